/*
 * Meta values in the default column family, each an 8-byte big-endian
 * u64. They change only inside the same batch as the log and tree writes
 * they describe, so a crash never separates them.
 */
#include "store/store.h"

#include <inttypes.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/log.h"

void
store_meta_load(struct store *s)
{
	s->commit_to = store_db_get_u64(s->db, "committed");
	s->accepted_epoch = store_db_get_u64(s->db, "acceptedEpoch");
	s->current_epoch = store_db_get_u64(s->db, "currentEpoch");
	s->log_base = store_db_get_u64(s->db, "trimmed");
}

void
store_meta_put(struct store *s, const char *key, uint64_t v)
{
	uint8_t buf[8];

	store_db_be64_put(buf, v);
	rocksdb_writebatch_put_cf(s->batch, s->db->cf[STORE_CF_DEFAULT], key,
	    strlen(key), (const char *)buf, sizeof(buf));
}

/* Raise one epoch; 0 means "as it is", lower is a replicator mistake. */
static void
raise_epoch(struct store *s, const char *key, uint64_t *cur, uint64_t v)
{
	if (v == 0 || v == *cur)
		return;
	if (v < *cur) {
		log_warnx("%s %" PRIu64 " is below the stored %" PRIu64
		    ", ignored", key, v, *cur);
		return;
	}
	log_info("%s %" PRIu64 " (was %" PRIu64 ")", key, v, *cur);
	*cur = v;
	store_meta_put(s, key, v);
	s->batch_sync = 1;
}

/*
 * ZAB sets acceptedEpoch on LEADERINFO and currentEpoch on NEWLEADER; the
 * replicator acts on them only after our reply, so the write is synced
 * before store_send_state() runs.
 */
void
store_meta_epoch(struct store *s, uint64_t accepted, uint64_t current)
{
	raise_epoch(s, "acceptedEpoch", &s->accepted_epoch, accepted);
	raise_epoch(s, "currentEpoch", &s->current_epoch, current);
	store_log_group_commit(s);	/* synced: batch_sync */
}
