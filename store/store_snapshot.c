/*
 * The durable tree, as ZooKeeper keeps it: the log, plus a snapshot of the
 * whole sm taken every snapCount or so applied commands (more with a
 * large tree: due_now). Writing each changed node at every apply cost a
 * RocksDB key per write (its memtable insert, WAL bytes, flush and
 * compactions): a fifth of corral's CPU under a create load. A snapshot
 * is a few large values instead.
 *
 * snap column family: [be64 zxid][be32 chunk number] -> [u8 kind: 0 nodes,
 * 1 sessions][u32 LE length][record]... (the records of STORE_SNAP_CHUNK).
 * Meta "snapshot" names the latest complete one; a restart loads it and
 * replays the log after it (store_log.c keeps every entry after it).
 *
 * A thread writes the snapshot while the loop goes on logging and
 * acknowledging; applies wait meanwhile, so the sm it reads does not
 * change (the loop only reads it too: snapshots for frontends). Anything
 * that must change the sm first waits for the thread (store_snapshot_wait).
 *
 * The thread writes its chunks straight into a table file (synced), which
 * RocksDB then takes in whole (ingestion: a hard link and a MANIFEST
 * record) before the loop names the snapshot in a synced write; once that
 * is durable the older snapshots' tables are deleted as files. Written
 * through the memtable instead, each snapshot was copied three times
 * (memtable, flush, then a compaction merging it with the one it
 * replaces): a fifth of the machine's CPU under a create load with a
 * large tree, and every flush started a new WAL file.
 */
#include "store/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "common/child.h"
#include "common/jute.h"
#include "common/log.h"
#include "common/sm.h"
#include "common/xmalloc.h"

#define KIND_NODES	0
#define KIND_SESSIONS	1

struct store_snapshot {
	pthread_t		 thread;
	struct store_db		*db;
	const struct sm		*sm;
	uint64_t		 zxid;
	/* the chunk being filled and the record being encoded */
	struct jute_writer	 chunk;
	struct jute_writer	 rec;
	uint32_t		 nchunks;
	size_t			 nrecs;
	uint64_t		 cpu_us;	/* the thread's CPU time */
	/* the thread's table, and its result, read once it is joined */
	rocksdb_sstfilewriter_t	*table;
	char			*err;		/* a RocksDB error */
	/* set by the thread when it is done */
	int			 done;
	pthread_mutex_t		 lock;
	/* synchronous writes go into this batch instead of the thread's */
	rocksdb_writebatch_t	*into;
};

static void
key_put(uint8_t key[12], uint64_t zxid, uint32_t n)
{
	store_db_be64_put(key, zxid);
	key[8] = (uint8_t)(n >> 24);
	key[9] = (uint8_t)(n >> 16);
	key[10] = (uint8_t)(n >> 8);
	key[11] = (uint8_t)n;
}

static void
chunk_start(struct store_snapshot *w, uint8_t kind)
{
	jute_writer_reset(&w->chunk);
	jute_put_raw(&w->chunk, &kind, 1);
}

/* Write the chunk if it holds records; a RocksDB error stops the rest. */
static void
chunk_flush(struct store_snapshot *w)
{
	rocksdb_column_family_handle_t *cf = w->db->cf[STORE_CF_SNAP];
	uint8_t key[12], kind;

	if (w->chunk.len <= 1 || w->err != NULL)
		return;
	key_put(key, w->zxid, w->nchunks++);
	if (w->into != NULL)
		rocksdb_writebatch_put_cf(w->into, cf, (const char *)key,
		    sizeof(key), (const char *)w->chunk.buf, w->chunk.len);
	else
		rocksdb_sstfilewriter_put(w->table, (const char *)key,
		    sizeof(key), (const char *)w->chunk.buf, w->chunk.len,
		    &w->err);
	kind = w->chunk.buf[0];
	chunk_start(w, kind);
}

/* sm_foreach_record visitor: frame the record into the chunk. */
static void
add_record(void *arg, const struct jute_writer *rec)
{
	struct store_snapshot *w = arg;

	store_record_put(&w->chunk, rec);
	w->nrecs++;
	if (w->chunk.len >= STORE_SNAP_CHUNK_SIZE)
		chunk_flush(w);
}

/* Every node, then every session, in chunks. */
static void
write_all(struct store_snapshot *w)
{
	chunk_start(w, KIND_NODES);
	sm_foreach_record(w->sm, 0, &w->rec, add_record, w);
	chunk_flush(w);
	chunk_start(w, KIND_SESSIONS);
	sm_foreach_record(w->sm, 1, &w->rec, add_record, w);
	chunk_flush(w);
}

/*
 * A table of an earlier run at this zxid (one that crashed between the
 * ingestion and the naming) is deleted first, or its extra chunks would
 * read as part of this snapshot. Rare: it costs a flush of the memtable.
 */
static void
clear_same_zxid(struct store_snapshot *w)
{
	rocksdb_iterator_t *it = store_db_iter(w->db, STORE_CF_SNAP);
	uint8_t lo[12], hi[12];
	const char *k;
	size_t klen;
	int found = 0;

	key_put(lo, w->zxid, 0);
	key_put(hi, w->zxid + 1, 0);
	rocksdb_iter_seek(it, (const char *)lo, sizeof(lo));
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		found = klen == sizeof(lo) && memcmp(k, lo, 8) == 0;
	}
	rocksdb_iter_get_error(it, &w->err);
	rocksdb_iter_destroy(it);
	if (found && w->err == NULL)
		rocksdb_delete_range_cf(w->db->db, w->db->wsync,
		    w->db->cf[STORE_CF_SNAP], (const char *)lo, sizeof(lo),
		    (const char *)hi, sizeof(hi), &w->err);
}

static void
table_open(struct store_snapshot *w)
{
	rocksdb_envoptions_t *eo = rocksdb_envoptions_create();

	w->table = rocksdb_sstfilewriter_create(eo, w->db->snap_opts);
	rocksdb_envoptions_destroy(eo);
	rocksdb_sstfilewriter_open(w->table, w->db->snap_table, &w->err);
}

/* Finish the table (it syncs it) and have RocksDB take it in. */
static void
table_ingest(struct store_snapshot *w)
{
	rocksdb_ingestexternalfileoptions_t *io;
	const char *files[1] = { w->db->snap_table };

	if (w->err == NULL)
		rocksdb_sstfilewriter_finish(w->table, &w->err);
	rocksdb_sstfilewriter_destroy(w->table);
	w->table = NULL;
	if (w->err != NULL)
		return;
	io = rocksdb_ingestexternalfileoptions_create();
	rocksdb_ingestexternalfileoptions_set_move_files(io, 1);
	rocksdb_ingest_external_file_cf(w->db->db, w->db->cf[STORE_CF_SNAP],
	    files, 1, io, &w->err);
	rocksdb_ingestexternalfileoptions_destroy(io);
}

static uint64_t
thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *
run(void *arg)
{
	struct store_snapshot *w = arg;
	uint64_t t0 = thread_cpu_us();

	clear_same_zxid(w);
	if (w->err == NULL)
		table_open(w);
	if (w->err == NULL)
		write_all(w);
	if (w->table != NULL)
		table_ingest(w);
	w->cpu_us = thread_cpu_us() - t0;
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static struct store_snapshot *
snapshot_new(struct store *s)
{
	struct store_snapshot *w = xcalloc(1, sizeof(*w));

	w->db = s->db;
	w->sm = s->sm;
	w->zxid = s->applied;
	jute_writer_init(&w->chunk);
	jute_writer_init(&w->rec);
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

static void
snapshot_free(struct store_snapshot **wp)
{
	struct store_snapshot *w = *wp;

	jute_writer_free(&w->chunk);
	jute_writer_free(&w->rec);
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
}

/*
 * Name the snapshot in the open batch (synced) and drop the older ones:
 * their keys now, their tables once the name is durable (drop_old).
 */
static void
commit_snapshot(struct store *s, const struct store_snapshot *w)
{
	uint64_t zxid = w->zxid;
	uint8_t lo[12], hi[12];

	key_put(lo, 0, 0);
	key_put(hi, zxid, 0);
	rocksdb_writebatch_delete_range_cf(s->batch, s->db->cf[STORE_CF_SNAP],
	    (const char *)lo, sizeof(lo), (const char *)hi, sizeof(hi));
	store_meta_put(s, "snapshot", zxid);
	s->batch_sync = 1;
	s->snap_zxid = zxid;
	s->snap_drop_below = zxid;
	s->applied_since_snap = 0;
	log_info("snapshot at zxid=0x%" PRIx64 ": %zu records in %" PRIu32
	    " chunks, %" PRIu64 " ms of CPU", zxid, w->nrecs, w->nchunks,
	    w->cpu_us / 1000);
}

/*
 * Delete the tables holding only keys below the named snapshot, so no
 * compaction ever copies a dead snapshot; the range delete covers what
 * other tables still hold. The upper key is inclusive: the last one below
 * the named snapshot's first.
 */
void
store_snapshot_drop_old(struct store *s)
{
	uint64_t z = s->snap_drop_below;
	uint8_t lo[12], hi[12];
	char *err = NULL;

	if (z == 0)
		return;
	s->snap_drop_below = 0;
	key_put(lo, 0, 0);
	key_put(hi, z - 1, UINT32_MAX);
	rocksdb_delete_file_in_range_cf(s->db->db, s->db->cf[STORE_CF_SNAP],
	    (const char *)lo, sizeof(lo), (const char *)hi, sizeof(hi), &err);
	store_db_check(s->db, err, STORE_DB_WARN, "delete old snapshot tables");
}

/* ZooKeeper's jitter: between half and all of snapCount, so the servers
 * of an ensemble do not all write theirs at once. */
static uint64_t
next_due(const struct store *s)
{
	uint64_t n = (uint64_t)s->child->cfg.snap_count;

	return n / 2 + (uint64_t)random() % (n / 2 + 1);
}

/*
 * A snapshot costs in proportion to the tree (0.3-0.6 us a znode), so at
 * a fixed snapCount its cost per write grows with the tree: with 500k
 * znodes, two fifths of the stores' CPU under a 3-node setData load. Past
 * corral.snapScaleNodes znodes the interval grows with the tree instead,
 * which keeps the cost per write flat and, with the defaults, the log a
 * restart replays no longer (in writes) than the tree (in znodes).
 */
static uint64_t
due_now(const struct store *s)
{
	uint64_t scale = (uint64_t)s->child->cfg.snap_scale_nodes;
	uint64_t nodes = sm_node_count(s->sm);

	if (scale == 0 || nodes <= scale)
		return s->snap_due;
	return s->snap_due * nodes / scale;
}

void
store_snapshot_maybe_start(struct store *s)
{
	struct store_snapshot *w;

	if (s->snapshot != NULL || s->applied_since_snap < due_now(s) ||
	    s->applied == s->snap_zxid)
		return;
	w = snapshot_new(s);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		log_warn("snapshot thread");
		snapshot_free(&w);
		return;
	}
	s->snapshot = w;
	s->snap_due = next_due(s);
	log_debug("snapshot at zxid=0x%" PRIx64 " started", w->zxid);
}

int
store_snapshot_running(const struct store *s)
{
	return s->snapshot != NULL;
}

/* Join the thread and take its result into the open batch. */
static void
finish(struct store *s)
{
	struct store_snapshot *w = s->snapshot;

	pthread_join(w->thread, NULL);
	s->snapshot = NULL;
	if (w->err != NULL) {
		store_db_check(s->db, w->err, STORE_DB_POISON, "write snapshot");
		return;		/* not reached: a failed write is fatal */
	}
	commit_snapshot(s, w);
	snapshot_free(&w);
}

void
store_snapshot_poll(struct store *s)
{
	int done;

	if (s->snapshot == NULL)
		return;
	pthread_mutex_lock(&s->snapshot->lock);
	done = s->snapshot->done;
	pthread_mutex_unlock(&s->snapshot->lock);
	if (done)
		finish(s);
}

void
store_snapshot_wait(struct store *s)
{
	if (s->snapshot != NULL)
		finish(s);
}

void
store_snapshot_write_now(struct store *s)
{
	struct store_snapshot *w;
	uint8_t lo[12], hi[12];	/* a table at this zxid goes first */

	store_snapshot_wait(s);
	w = snapshot_new(s);
	w->into = s->batch;
	key_put(lo, w->zxid, 0);
	key_put(hi, w->zxid + 1, 0);
	rocksdb_writebatch_delete_range_cf(s->batch, s->db->cf[STORE_CF_SNAP],
	    (const char *)lo, sizeof(lo), (const char *)hi, sizeof(hi));
	w->cpu_us = thread_cpu_us();
	write_all(w);
	w->cpu_us = thread_cpu_us() - w->cpu_us;
	commit_snapshot(s, w);
	snapshot_free(&w);
}

/* Load one chunk, [u8 kind][records], into sm; -1 if malformed. */
static int
load_chunk(struct sm *sm, const uint8_t *p, size_t len)
{
	if (len < 1)
		return -1;
	return store_records_load(sm, p[0], p + 1, len - 1);
}

int
store_snapshot_load(struct store *s, uint64_t zxid)
{
	rocksdb_iterator_t *it = store_db_iter(s->db, STORE_CF_SNAP);
	uint8_t start[12];
	const char *k, *v;
	size_t klen, vlen, n = 0;

	key_put(start, zxid, 0);
	s->sm = sm_new();
	for (rocksdb_iter_seek(it, (const char *)start, sizeof(start));
	    rocksdb_iter_valid(it); rocksdb_iter_next(it), n++) {
		k = rocksdb_iter_key(it, &klen);
		if (klen != 12 || memcmp(k, start, 8) != 0)
			break;
		v = rocksdb_iter_value(it, &vlen);
		if (load_chunk(s->sm, (const uint8_t *)v, vlen) < 0) {
			s->db->poisoned = 1;
			fatalx("corrupt snapshot zxid=0x%" PRIx64 " chunk %zu",
			    zxid, n);
		}
	}
	store_db_iter_check(s->db, it, "read snapshot");
	rocksdb_iter_destroy(it);
	if (n == 0)
		return -1;
	if (sm_load_finish(s->sm, zxid) < 0) {
		s->db->poisoned = 1;
		fatalx("snapshot at zxid=0x%" PRIx64 " does not link", zxid);
	}
	s->snap_zxid = s->applied = zxid;
	return 0;
}

void
store_snapshot_init(struct store *s)
{
	srandom((unsigned)(s->child->cfg.myid * 7919u) ^ (unsigned)getpid());
	s->snap_due = next_due(s);
}
