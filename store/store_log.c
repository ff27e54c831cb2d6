/*
 * The replicated command log and the group commit.
 *
 * Ordering rules enforced here:
 * - ACK only after the batch is durable: every APPEND read in one loop
 *   iteration joins one WriteBatch, written with sync=1 before the loop
 *   sleeps, and only then is STORE_ACK (highest durable zxid) sent.
 * - The log is a chain: an entry is taken only if its prev_zxid is the
 *   last logged zxid, so the log never has a hole the replicator does not
 *   know about. Anything else waits for the replicator to resend from our
 *   STORE_STATE.
 * - Entries are applied (store_tree.c) in the same batch that logs them or
 *   later, never earlier, so the tree is never ahead of the log.
 * - Epochs come only from the replicator (STORE_EPOCH, store_meta.c), never
 *   from logged zxids: ZAB sets them on LEADERINFO and NEWLEADER.
 * - TRUNC never removes an applied (committed) entry.
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

void
store_log_load(struct store *s)
{
	rocksdb_iterator_t *it = store_db_iter(s->db, STORE_CF_LOG);
	const char *k;
	size_t klen;

	rocksdb_iter_seek_to_last(it);
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		if (klen != 8)
			fatalx("corrupt log key of %zu bytes", klen);
		s->logged = store_db_be64_get((const uint8_t *)k);
	}
	store_db_iter_check(s->db, it, "read log");
	rocksdb_iter_destroy(it);
	/* empty after a snapshot install: the log continues from there */
	if (s->logged < s->log_base)
		s->logged = s->log_base;
	s->durable = s->logged;
}

/* Append to the in-memory FIFO of not yet applied entries. */
static void
cache_push(struct store *s, uint64_t zxid, uint8_t *val, size_t len)
{
	if (s->ncache == s->ccap && s->chead > 0) {
		memmove(s->cache, s->cache + s->chead,
		    (s->ncache - s->chead) * sizeof(*s->cache));
		s->ncache -= s->chead;
		s->chead = 0;
	}
	if (s->ncache == s->ccap) {
		s->ccap = s->ccap ? s->ccap * 2 : 256;
		s->cache = xreallocarray(s->cache, s->ccap, sizeof(*s->cache));
	}
	s->cache[s->ncache++] = (struct store_entry){ zxid, val, len };
	s->cache_bytes += len;
}

/* Drop the oldest cached entry. */
static void
cache_pop(struct store *s)
{
	struct store_entry *e = &s->cache[s->chead++];

	s->cache_bytes -= e->len;
	free(e->val);
	if (s->chead == s->ncache)
		s->chead = s->ncache = 0;
}

const struct store_entry *
store_log_cached(const struct store *s, uint64_t zxid)
{
	size_t lo = s->chead, hi = s->ncache;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->cache[mid].zxid == zxid)
			return &s->cache[mid];
		if (s->cache[mid].zxid < zxid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
store_log_uncache(struct store *s, uint64_t zxid)
{
	while (s->chead < s->ncache && s->cache[s->chead].zxid <= zxid)
		cache_pop(s);
}

void
store_log_uncache_all(struct store *s)
{
	store_log_uncache(s, UINT64_MAX);
}

/* Drop the newest cached entries above zxid (a TRUNC). */
static void
cache_drop_above(struct store *s, uint64_t zxid)
{
	while (s->ncache > s->chead && s->cache[s->ncache - 1].zxid > zxid) {
		struct store_entry *e = &s->cache[--s->ncache];

		s->cache_bytes -= e->len;
		free(e->val);
	}
	if (s->chead == s->ncache)
		s->chead = s->ncache = 0;
}

/* One command of an APPEND batch. */
static int
append_one(struct store *s, const uint8_t *v, size_t vlen)
{
	struct cmd_key k;
	uint8_t key[8], *val;

	if (cmd_peek(v, vlen, &k) < 0)
		return -1;
	if (k.zxid <= s->logged)
		return 0;	/* a resend: the ACK covers it */
	if (k.prev_zxid != s->logged) {
		log_warnx("append zxid=0x%" PRIx64 " prev_zxid=0x%" PRIx64
		    " does not follow last logged zxid=0x%" PRIx64 ", ignored",
		    k.zxid, k.prev_zxid, s->logged);
		return -1;
	}
	val = xmemdup(v, vlen);
	store_db_be64_put(key, k.zxid);
	rocksdb_writebatch_put_cf(s->batch, s->db->cf[STORE_CF_LOG],
	    (const char *)key, sizeof(key), (const char *)val, vlen);
	cache_push(s, k.zxid, val, vlen);
	s->logged = k.zxid;
	s->batch_appends++;
	s->batch_bytes += vlen;
	return 0;
}

void
store_log_append(struct store *s, const uint8_t *batch, size_t len)
{
	const uint8_t *p = batch, *val;
	size_t vlen;
	int rc;

	s->ack_pending = 1;
	while ((rc = msg_batch_next(&p, batch + len, &val, &vlen)) == 1) {
		if (append_one(s, val, vlen) < 0)
			return;	/* the replicator resends from our ACK */
	}
	if (rc < 0)
		log_warnx("a malformed APPEND batch of %zu bytes, ignored from "
		    "zxid=0x%" PRIx64, len, s->logged);
}

size_t
store_log_batch_bytes(const struct store *s)
{
	return s->batch_bytes;
}

uint64_t
store_log_foreach(struct store *s, uint64_t from, uint64_t to,
    int (*fn)(void *, const struct cmd_key *, const uint8_t *, size_t),
    void *arg)
{
	rocksdb_iterator_t *it = store_db_iter(s->db, STORE_CF_LOG);
	struct cmd_key key;
	uint8_t start[8];
	uint64_t last = from, z;
	const char *k, *v;
	size_t klen, vlen;

	store_db_be64_put(start, from + 1);
	for (rocksdb_iter_seek(it, (const char *)start, sizeof(start));
	    rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		k = rocksdb_iter_key(it, &klen);
		if (klen != 8)
			fatalx("corrupt log key of %zu bytes", klen);
		if ((z = store_db_be64_get((const uint8_t *)k)) > to)
			break;
		v = rocksdb_iter_value(it, &vlen);
		if (cmd_peek((const uint8_t *)v, vlen, &key) < 0 ||
		    key.zxid != z) {
			s->db->poisoned = 1;
			fatalx("corrupt log entry zxid=0x%" PRIx64, z);
		}
		last = z;
		if (fn(arg, &key, (const uint8_t *)v, vlen) != 0)
			break;
	}
	store_db_iter_check(s->db, it, "read log");
	rocksdb_iter_destroy(it);
	return last;
}

uint64_t
store_log_prev(struct store *s, uint64_t zxid)
{
	rocksdb_iterator_t *it = store_db_iter(s->db, STORE_CF_LOG);
	uint8_t key[8];
	uint64_t prev = s->log_base;
	const char *k;
	size_t klen;

	store_db_be64_put(key, zxid);
	rocksdb_iter_seek(it, (const char *)key, sizeof(key));
	if (rocksdb_iter_valid(it))
		rocksdb_iter_prev(it);
	else
		rocksdb_iter_seek_to_last(it);
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		if (klen != 8)
			fatalx("corrupt log key of %zu bytes", klen);
		prev = store_db_be64_get((const uint8_t *)k);
	}
	store_db_iter_check(s->db, it, "read log");
	rocksdb_iter_destroy(it);
	return prev > s->log_base ? prev : s->log_base;
}

uint64_t
store_log_next(struct store *s, uint64_t zxid)
{
	rocksdb_iterator_t *it = store_db_iter(s->db, STORE_CF_LOG);
	uint8_t key[8];
	uint64_t next = 0;
	const char *k;
	size_t klen;

	store_db_be64_put(key, zxid + 1);
	rocksdb_iter_seek(it, (const char *)key, sizeof(key));
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		if (klen != 8)
			fatalx("corrupt log key of %zu bytes", klen);
		next = store_db_be64_get((const uint8_t *)k);
	}
	store_db_iter_check(s->db, it, "read log");
	rocksdb_iter_destroy(it);
	return next;
}

int
store_log_has(struct store *s, uint64_t zxid)
{
	char *err = NULL, *val;
	uint8_t key[8];
	size_t len;

	store_db_be64_put(key, zxid);
	val = rocksdb_get_cf(s->db->db, s->db->ropts, s->db->cf[STORE_CF_LOG],
	    (const char *)key, sizeof(key), &len, &err);
	store_db_check(s->db, err, STORE_DB_POISON, "read log");
	if (val == NULL)
		return 0;
	rocksdb_free(val);
	return 1;
}

/* Trim after logRetain / 10 applies, so a small window stays small. */
static uint64_t
trim_every(const struct store *s)
{
	uint64_t n = (uint64_t)s->child->cfg.log_retain / 10;

	return n < 1 ? 1 : n > STORE_TRIM_EVERY_MAX ? STORE_TRIM_EVERY_MAX : n;
}

/*
 * Delete log entries more than logRetain below applied, with one range
 * delete, but never one after the latest snapshot: a restart replays them.
 * Counters are consecutive within an epoch (the log is a prev_zxid chain),
 * so applied - retain keeps exactly retain entries below applied; early in
 * a new epoch we keep the previous epoch's tail until the new one alone
 * fills the window. log_base becomes the last entry deleted, so the cut
 * stops at what is durable (readable) already; the next flush trims the
 * rest.
 */
static void
trim(struct store *s)
{
	uint64_t retain = (uint64_t)s->child->cfg.log_retain, cut, last;
	uint8_t lo[8], hi[8];

	if (zxid_counter(s->applied) <= retain || s->snap_zxid == 0) {
		s->applied_since_trim = 0;
		return;
	}
	cut = s->applied - retain;
	if (cut > s->snap_zxid + 1)
		cut = s->snap_zxid + 1;
	/* entries of the open batch are not readable yet: next flush */
	if (cut > s->durable + 1)
		cut = s->durable + 1;
	else
		s->applied_since_trim = 0;
	last = store_log_prev(s, cut);
	if (last >= cut || last <= s->log_base)
		return;
	store_db_be64_put(lo, 0);
	store_db_be64_put(hi, cut);
	rocksdb_writebatch_delete_range_cf(s->batch, s->db->cf[STORE_CF_LOG],
	    (const char *)lo, sizeof(lo), (const char *)hi, sizeof(hi));
	s->log_base = last;
	store_meta_put(s, "trimmed", last);
	log_debug("log trimmed to zxid=0x%" PRIx64, last);
}

/* Durable entries may leave the cache; they can be read back. */
static void
cache_bound(struct store *s)
{
	while (s->cache_bytes > STORE_CACHE_MAX && s->chead < s->ncache &&
	    s->cache[s->chead].zxid <= s->durable)
		cache_pop(s);
}

/* One STORE_ACK per batch, to the replicator we serve, never once poisoned. */
static void
send_ack(struct store *s)
{
	Envelope env = msg_env(MsgType_STORE_ACK);

	s->ack_pending = 0;
	if (!s->have_repl || s->db->poisoned)
		return;
	env.zxid = s->durable;
	env.generation = s->generation;
	if (msg_send(s->router, s->repl_ident, s->repl_ident_len, &env,
	    NULL, 0) < 0)
		log_warn("send STORE_ACK zxid=0x%" PRIx64, env.zxid);
}

/* Committed and logged: as far as the tree may be applied. */
static uint64_t
appliable(const struct store *s)
{
	return s->commit_to < s->logged ? s->commit_to : s->logged;
}

/*
 * Write the open batch: appends with sync, then ACK. Committed entries
 * are applied to the sm first when apply is set (waiting for a snapshot
 * being written); else (the group commit under load) only once
 * STORE_APPLY_MS have passed since the last apply or the batch has no
 * append, and never while a snapshot is written. The log is the durable
 * record either way: a restart replays it after the latest snapshot.
 */
static void
flush(struct store *s, int apply)
{
	uint64_t upto = appliable(s);
	uint64_t now = loop_now_ms();

	store_snapshot_poll(s);
	if (upto > s->applied && (apply || (!store_snapshot_running(s) &&
	    (s->batch_appends == 0 ||
	    now - s->applied_ms >= STORE_APPLY_MS)))) {
		store_tree_apply(s, upto);
		s->applied_ms = now;
	}
	if (s->applied_since_trim >= trim_every(s))
		trim(s);
	if (rocksdb_writebatch_count(s->batch) > 0) {
		store_db_write(s->db, s->batch,
		    s->batch_appends > 0 || s->batch_sync);
		rocksdb_writebatch_clear(s->batch);
		store_snapshot_drop_old(s);	/* its name was in it */
	}
	s->durable = s->logged;
	s->batch_appends = 0;
	s->batch_sync = 0;
	s->batch_bytes = 0;
	cache_bound(s);
	if (s->ack_pending)
		send_ack(s);
}

void
store_log_flush(struct store *s)
{
	flush(s, 1);
}

void
store_log_group_commit(struct store *s)
{
	flush(s, 0);
}

int
store_log_work_left(const struct store *s)
{
	return appliable(s) > s->applied || store_snapshot_running(s);
}

/*
 * ZAB's TRUNC: a learner drops the proposals the new leader never had.
 * Committed entries are never among them, so an applied entry above zxid
 * means the replicator is wrong; refuse rather than lose it.
 */
int
store_log_trunc(struct store *s, uint64_t zxid)
{
	uint8_t lo[8], hi[8];
	uint64_t last;

	store_log_flush(s);	/* apply what is committed, write the rest */
	if (s->applied > zxid) {
		log_warnx("TRUNC to zxid=0x%" PRIx64 " below applied zxid=0x%"
		    PRIx64 ", refused", zxid, s->applied);
		return -1;
	}
	if (zxid >= s->logged)
		return 0;
	last = store_log_prev(s, zxid + 1);
	if (last != zxid)
		log_warnx("TRUNC to zxid=0x%" PRIx64 ", which was never logged:"
		    " the log ends at zxid=0x%" PRIx64, zxid, last);
	store_db_be64_put(lo, zxid + 1);
	store_db_be64_put(hi, UINT64_MAX);
	rocksdb_writebatch_delete_range_cf(s->batch, s->db->cf[STORE_CF_LOG],
	    (const char *)lo, sizeof(lo), (const char *)hi, sizeof(hi));
	rocksdb_writebatch_delete_cf(s->batch, s->db->cf[STORE_CF_LOG],
	    (const char *)hi, sizeof(hi));
	cache_drop_above(s, last);
	log_info("log truncated from zxid=0x%" PRIx64 " to zxid=0x%" PRIx64,
	    s->logged, last);
	s->logged = last;
	s->batch_sync = 1;
	store_log_flush(s);
	return 0;
}
