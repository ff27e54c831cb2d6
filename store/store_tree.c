/*
 * The store's tree: committed commands applied, in zxid order, to the
 * in-memory sm. It is made durable by snapshots (store_snapshot.c) and the
 * log after them, so applying writes nothing but "committed", the zxid a
 * restart replays the log up to.
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/log.h"
#include "common/sm.h"
#include "common/zxid.h"

struct apply_ctx {
	struct store		*s;
	struct sm_result	 res;
};

/* Apply one logged command, the value logged at key->zxid. */
static int
apply_one(void *arg, const struct cmd_key *key, const uint8_t *val,
    size_t vlen)
{
	struct apply_ctx *a = arg;
	struct store *s = a->s;
	struct cmd c;
	struct sm_cmd cmd;

	if (cmd_decode(val, vlen, &c) < 0 || c.h.zxid != key->zxid) {
		s->db->poisoned = 1;
		fatalx("corrupt log entry zxid=0x%" PRIx64, key->zxid);
	}
	cmd = (struct sm_cmd){ c.h.zxid, c.h.time, c.h.session, c.h.cxid,
	    c.h.opcode, c.payload, c.len, c.h.auth.bytes, c.h.auth.size };
	sm_result_reset(&a->res);
	if (sm_apply(s->sm, &cmd, &a->res) < 0)
		fatalx("sm refused zxid=0x%" PRIx64 " after zxid=0x%" PRIx64,
		    c.h.zxid, s->applied);
	s->applied = c.h.zxid;
	s->applied_since_trim++;
	s->applied_since_snap++;
	return 0;
}

/* Apply cached entries up to upto, in order, dropping them from memory. */
static void
apply_cached(struct apply_ctx *a, uint64_t upto)
{
	struct store *s = a->s;
	const struct store_entry *e;

	while (s->chead < s->ncache) {
		if ((e = &s->cache[s->chead])->zxid > upto)
			break;
		if (e->zxid > s->applied) {
			struct cmd_key key = { .zxid = e->zxid };

			apply_one(a, &key, e->val, e->len);
		}
		store_log_uncache(s, e->zxid);
	}
}

void
store_tree_apply(struct store *s, uint64_t upto)
{
	struct apply_ctx a = { .s = s };
	uint64_t front;

	store_snapshot_wait(s);		/* it reads the sm we change */
	sm_result_init(&a.res);
	store_log_uncache(s, s->applied);
	front = s->chead < s->ncache ? s->cache[s->chead].zxid : UINT64_MAX;
	/* entries that left the cache (or predate this run) are read back */
	if (front > zxid_next(s->applied))
		store_log_foreach(s, s->applied,
		    front - 1 < upto ? front - 1 : upto, apply_one, &a);
	apply_cached(&a, upto);
	if (s->applied < upto)
		fatalx("log ends at zxid=0x%" PRIx64 ", cannot apply up to "
		    "zxid=0x%" PRIx64, s->applied, upto);
	sm_result_free(&a.res);
	store_meta_put(s, "committed", s->applied);
	store_snapshot_maybe_start(s);
}

/* Load every record of one column family with load(); -1 is corruption. */
static size_t
load_cf(struct store *s, enum store_cf cf, const char *what,
    int (*load)(struct sm *, const uint8_t *, size_t))
{
	rocksdb_iterator_t *it = store_db_iter(s->db, cf);
	const char *k, *v;
	size_t klen, vlen, n = 0;

	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	    rocksdb_iter_next(it), n++) {
		v = rocksdb_iter_value(it, &vlen);
		if (load(s->sm, (const uint8_t *)v, vlen) == 0)
			continue;
		k = rocksdb_iter_key(it, &klen);
		s->db->poisoned = 1;
		if (cf == STORE_CF_SESSIONS && klen == 8)
			fatalx("corrupt %s record session=0x%016" PRIx64, what,
			    store_db_be64_get((const uint8_t *)k));
		fatalx("corrupt %s record \"%.*s\"", what,
		    (int)(klen > 200 ? 200 : klen), k);
	}
	store_db_iter_check(s->db, it, "read tree");
	rocksdb_iter_destroy(it);
	return n;
}

/*
 * A store written before snapshots kept every node in the tree column
 * family, current at lastApplied: load it, then keep it as a snapshot.
 */
static int
load_legacy(struct store *s)
{
	uint64_t applied = store_db_get_u64(s->db, "lastApplied");
	size_t nodes, sessions;

	s->sm = sm_new();
	nodes = load_cf(s, STORE_CF_TREE, "node", sm_node_load);
	if (nodes == 0) {
		sm_destroy(&s->sm);
		return -1;
	}
	sessions = load_cf(s, STORE_CF_SESSIONS, "session", sm_session_load);
	if (sm_load_finish(s->sm, applied) < 0) {
		s->db->poisoned = 1;
		fatalx("durable tree at zxid=0x%" PRIx64 " does not link",
		    applied);
	}
	s->applied = applied;
	log_info("loaded %zu nodes, %zu sessions at zxid=0x%" PRIx64 " from "
	    "the tree column family: keeping them as a snapshot", nodes,
	    sessions, applied);
	store_snapshot_write_now(s);
	store_db_clear_cf(s->db, s->batch, STORE_CF_TREE);
	store_db_clear_cf(s->db, s->batch, STORE_CF_SESSIONS);
	rocksdb_writebatch_delete_cf(s->batch, s->db->cf[STORE_CF_DEFAULT],
	    "lastApplied", strlen("lastApplied"));
	return 0;
}

void
store_tree_load(struct store *s)
{
	uint64_t z = store_db_get_u64(s->db, "snapshot");

	store_snapshot_init(s);
	if (z != 0 && store_snapshot_load(s, z) == 0) {
		log_info("loaded %zu nodes, %zu sessions from the snapshot at "
		    "zxid=0x%" PRIx64, sm_node_count(s->sm),
		    sm_session_count(s->sm), z);
		return;
	}
	if (z != 0) {
		s->db->poisoned = 1;
		fatalx("the snapshot at zxid=0x%" PRIx64 " is missing", z);
	}
	if (load_legacy(s) == 0)
		return;
	/* a new store: sm_new()'s tree at zxid 0, the log from there */
	s->sm = sm_new();
	s->applied = s->snap_zxid = 0;
	log_info("a new store: the empty tree at zxid=0");
}
