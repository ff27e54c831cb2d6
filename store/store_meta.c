/*
 * Meta values in the default column family, each an 8-byte big-endian
 * u64. They change only inside the same batch as the log and tree writes
 * they describe, so a crash never separates them.
 */
#include "store/store.h"

#include <string.h>

#include <rocksdb/c.h>

void
store_meta_load(struct store *s)
{
	s->applied = store_db_get_u64(s->db, "lastApplied");
	s->commit_to = store_db_get_u64(s->db, "committed");
	s->accepted_epoch = store_db_get_u64(s->db, "acceptedEpoch");
	s->current_epoch = store_db_get_u64(s->db, "currentEpoch");
	s->trimmed = store_db_get_u64(s->db, "trimmed");
}

void
store_meta_put(struct store *s, const char *key, uint64_t v)
{
	uint8_t buf[8];

	store_db_be64_put(buf, v);
	rocksdb_writebatch_put_cf(s->batch, s->db->cf[STORE_CF_DEFAULT], key,
	    strlen(key), (const char *)buf, sizeof(buf));
}
