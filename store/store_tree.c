/*
 * The durable tree: committed commands are applied to the in-memory sm
 * and every node and session they changed is written, in its final state,
 * into the same batch as lastApplied. So the tree column family is always
 * the sm at lastApplied, and a restart replays only the committed tail.
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/jute.h"
#include "common/log.h"
#include "common/sm.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

/* What one flush changed: paths and session ids, deduplicated at the end. */
struct apply_ctx {
	struct store		*s;
	struct sm_result	 res;
	char			**paths;
	size_t			 npaths, pcap;
	uint64_t		*sess;
	size_t			 nsess, scap;
};

/* Remember a changed path (copied: the result is reused). */
static void
note_path(struct apply_ctx *a, const char *path)
{
	if (a->npaths == a->pcap) {
		a->pcap = a->pcap ? a->pcap * 2 : 64;
		a->paths = xreallocarray(a->paths, a->pcap, sizeof(*a->paths));
	}
	a->paths[a->npaths++] = xstrdup(path);
}

/* Remember a session whose record may have changed. */
static void
note_session(struct apply_ctx *a, uint64_t id)
{
	if (a->nsess == a->scap) {
		a->scap = a->scap ? a->scap * 2 : 16;
		a->sess = xreallocarray(a->sess, a->scap, sizeof(*a->sess));
	}
	a->sess[a->nsess++] = id;
}

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
	for (size_t i = 0; i < a->res.nchanges; i++)
		note_path(a, a->res.changes[i].path);
	if (a->res.session_opened != 0)
		note_session(a, a->res.session_opened);
	if (a->res.session_closed != 0)
		note_session(a, a->res.session_closed);
	s->applied = c.h.zxid;
	s->applied_since_trim++;
	return 0;
}

/* qsort comparators for deduplication. */
static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Put (or delete, when gone) one node in its state after this flush. */
static void
persist_node(struct store *s, const char *path, struct jute_writer *w)
{
	rocksdb_column_family_handle_t *cf = s->db->cf[STORE_CF_TREE];

	jute_writer_reset(w);
	if (sm_node_encode(s->sm, path, w) < 0)
		rocksdb_writebatch_delete_cf(s->batch, cf, path, strlen(path));
	else
		rocksdb_writebatch_put_cf(s->batch, cf, path, strlen(path),
		    (const char *)w->buf, w->len);
}

/* Put (or delete, when closed) one session record. */
static void
persist_session(struct store *s, uint64_t id, struct jute_writer *w)
{
	rocksdb_column_family_handle_t *cf = s->db->cf[STORE_CF_SESSIONS];
	uint8_t key[8];

	store_db_be64_put(key, id);
	jute_writer_reset(w);
	if (sm_session_encode(s->sm, id, w) < 0)
		rocksdb_writebatch_delete_cf(s->batch, cf, (const char *)key,
		    sizeof(key));
	else
		rocksdb_writebatch_put_cf(s->batch, cf, (const char *)key,
		    sizeof(key), (const char *)w->buf, w->len);
}

/* Write each changed path and session once, then free the lists. */
static void
persist(struct apply_ctx *a)
{
	struct store *s = a->s;
	struct jute_writer w;

	jute_writer_init(&w);
	qsort(a->paths, a->npaths, sizeof(*a->paths), cmp_str);
	for (size_t i = 0; i < a->npaths; i++) {
		if (i == 0 || strcmp(a->paths[i], a->paths[i - 1]) != 0)
			persist_node(s, a->paths[i], &w);
	}
	qsort(a->sess, a->nsess, sizeof(*a->sess), cmp_u64);
	for (size_t i = 0; i < a->nsess; i++) {
		if (i == 0 || a->sess[i] != a->sess[i - 1])
			persist_session(s, a->sess[i], &w);
	}
	store_meta_put(s, "lastApplied", s->applied);
	store_meta_put(s, "committed", s->applied);
	jute_writer_free(&w);
	for (size_t i = 0; i < a->npaths; i++)
		free(a->paths[i]);
	free(a->paths);
	free(a->sess);
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
	persist(&a);
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

/* sm_foreach_node visitor: every node counts as changed. */
static void
persist_all_cb(void *arg, const char *path)
{
	struct apply_ctx *a = arg;

	note_path(a, path);
}

/* sm_foreach_session visitor: every session counts as changed. */
static void
persist_all_session_cb(void *arg, uint64_t id)
{
	struct apply_ctx *a = arg;

	note_session(a, id);
}

void
store_tree_persist_all(struct store *s)
{
	struct apply_ctx a = { .s = s };

	sm_foreach_node(s->sm, persist_all_cb, &a);
	sm_foreach_session(s->sm, persist_all_session_cb, &a);
	persist(&a);
}

void
store_tree_load(struct store *s)
{
	size_t nodes, sessions;

	s->sm = sm_new();
	nodes = load_cf(s, STORE_CF_TREE, "node", sm_node_load);
	sessions = load_cf(s, STORE_CF_SESSIONS, "session", sm_session_load);
	if (sm_load_finish(s->sm, s->applied) < 0) {
		s->db->poisoned = 1;
		fatalx("durable tree at zxid=0x%" PRIx64 " does not link",
		    s->applied);
	}
	/* a new store: make the tree CF hold sm_new()'s nodes too */
	if (nodes == 0)
		store_tree_persist_all(s);
	log_info("loaded %zu nodes, %zu sessions at zxid=0x%" PRIx64, nodes,
	    sessions, s->applied);
}
