/*
 * corral-store: the node's durable state in RocksDB. Column families:
 *   log       8-byte big-endian zxid -> a command value (common/cmd.h), as
 *             received in STORE_APPEND
 *   snap      snapshots of the tree (store_snapshot.c): [be64 zxid][be32
 *             chunk] -> [u8 kind][records of sm_node_encode or
 *             sm_session_encode, each after a u32 LE length]
 *   tree,     before snapshots, znode path -> node record and session id
 *   sessions  -> session record, at lastApplied; loaded once and emptied
 *   default   meta: "committed" (applied up to), "snapshot" (the zxid of
 *             the latest), "acceptedEpoch", "currentEpoch", "trimmed"
 *             (log_base) as 8-byte big-endian values
 * The log holds (log_base, logged]: log_base is the last entry trimmed
 * away, or the zxid of the last installed snapshot, or 0. It keeps every
 * entry after the latest snapshot, so a restart loads that snapshot and
 * replays the log up to "committed".
 * Private to the store role.
 */
#ifndef CORRAL_STORE_STORE_H
#define CORRAL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "common/cmd.h"
#include "common/msg.h"

/*
 * corral.logRetain entries are kept in the log below applied. The DIFF
 * sync of a lagging follower and the catch-up of a frontend read this
 * window; older entries are only reachable through a snapshot. We trim
 * once logRetain / 10 entries (at most this many) were applied since.
 */
#define STORE_TRIM_EVERY_MAX	10000
/* One STORE_LOG_REQ streams at most this much; the requester asks again. */
#define STORE_STREAM_MAX	(64 * 1024 * 1024)
/* Snapshot chunk size (frame 2 of STORE_SNAP_CHUNK). */
#define STORE_SNAP_CHUNK_SIZE	(256 * 1024)
/* Durable, unapplied entries stop being cached past this many bytes. */
#define STORE_CACHE_MAX		(64 * 1024 * 1024)
/* Bound one group commit: stop reading the socket past these. */
#define STORE_BATCH_MAX_MSGS	4096
#define STORE_BATCH_MAX_BYTES	(64 * 1024 * 1024)
/* Live WAL files past this size make RocksDB flush what holds them. */
#define STORE_WAL_MAX		(64 * 1024 * 1024)
/* Committed entries wait at most this long to be applied (ms). */
#define STORE_APPLY_MS		50

enum store_cf {
	STORE_CF_DEFAULT,
	STORE_CF_LOG,
	STORE_CF_TREE,
	STORE_CF_SESSIONS,
	STORE_CF_SNAP,
	STORE_CF_COUNT
};

struct store_db {
	rocksdb_t			*db;
	rocksdb_options_t		*opts;
	rocksdb_block_based_table_options_t *topts;
	rocksdb_cache_t			*cache;
	rocksdb_column_family_handle_t	*cf[STORE_CF_COUNT];
	rocksdb_writeoptions_t		*wsync;		/* with appends */
	rocksdb_writeoptions_t		*wnosync;	/* apply-only batches */
	rocksdb_options_t		*snap_opts;	/* snap CF: no compression */
	rocksdb_readoptions_t		*ropts;
	int				 poisoned;	/* sticky: no ACKs */
	char				 path[1100];
	/* a snapshot table being written, before RocksDB ingests it */
	char				 snap_table[1120];
};

/* A logged command: the log value, kept in memory until it is applied. */
struct store_entry {
	uint64_t	 zxid;
	uint8_t		*val;		/* owned */
	size_t		 len;
};

struct jute_writer;
struct store_snapshot;

struct store {
	struct child	*child;
	struct store_db	*db;
	void		*router;	/* EP_STORE */
	struct sm	*sm;

	/* the replicator incarnation we serve (fencing) */
	int		 have_repl;
	uint64_t	 generation;
	uint8_t		 repl_ident[MSG_IDENT_MAX];
	size_t		 repl_ident_len;

	uint64_t	 logged;	/* last logged, open batch included */
	uint64_t	 durable;	/* last logged and synced */
	uint64_t	 log_base;	/* the log holds (log_base, logged] */
	uint64_t	 applied;	/* last applied to sm and batch */
	uint64_t	 applied_ms;	/* when the tree was last applied */
	uint64_t	 apply_timer;	/* armed while work waits (store.c) */
	uint64_t	 commit_to;	/* highest STORE_COMMIT seen */
	uint64_t	 accepted_epoch;
	uint64_t	 current_epoch;
	uint64_t	 applied_since_trim;
	/* snapshots */
	uint64_t	 snap_zxid;		/* the latest complete one */
	uint64_t	 applied_since_snap;
	uint64_t	 snap_due;		/* applies before the next */
	uint64_t	 snap_drop_below;	/* once named durably: 0 = none */
	struct store_snapshot *snapshot;	/* being written, or NULL */

	/* the open group-commit batch */
	rocksdb_writebatch_t *batch;
	int		 batch_appends;	/* appends in it: write with sync */
	int		 batch_sync;	/* epochs, TRUNC: write with sync */
	int		 ack_pending;	/* an APPEND arrived: ACK after write */
	size_t		 batch_bytes;

	/* (x, logged] in zxid order, for apply without a read back */
	struct store_entry *cache;
	size_t		 chead, ncache, ccap;
	size_t		 cache_bytes;

	/* a leader's snapshot being received (STORE_SNAP_INSTALL) */
	int		 installing;	/* INSTALL seen, END not yet */
	struct sm	*install;	/* NULL once a chunk was malformed */
	uint64_t	 install_zxid;
};

/* store.c */
/* Run the store process; returns the exit status. */
int	store_main(int argc, char **argv);
/*
 * Reply STORE_STATE to the sender of req: last durable zxid, last applied,
 * epochs, log_base, the generation we serve, and err (0 or -1).
 */
void	store_send_state(struct store *, const struct msg *req, int err);

/* RocksDB's directory under dataDir (or dataLogDir), and the suffix of
 * the snapshot table written beside it before RocksDB takes it in. */
#define STORE_DB_DIR		"store"
#define STORE_SNAP_TABLE	".snapshot.sst"

/* store_room.c */
/*
 * Wait until dir's disk has room to open the store (its WAL and a
 * margin). Returns 0 then, -1 when SIGTERM or SIGINT came first.
 */
int	store_room_wait(const char *dir, int sigfd);

/* store_db.c */
/*
 * Open (create if missing) the database in dir with every column family.
 * Returns NULL after logging why when RocksDB cannot open it.
 */
struct store_db	*store_db_open(const char *dir);
void		 store_db_destroy(struct store_db **);
/*
 * Every RocksDB char *err goes through here. Returns 0 if err is NULL;
 * else logs "what: err" and frees it, then with STORE_DB_POISON poisons
 * the db and exits (the supervisor restarts us; nothing acknowledged is
 * lost), with STORE_DB_WARN returns -1 (open: the caller gives up).
 */
#define STORE_DB_WARN	0
#define STORE_DB_POISON	1
int		 store_db_check(struct store_db *, char *err, int on_error,
		    const char *what);
/* Write the batch (sync or not); a failure poisons the store. */
void		 store_db_write(struct store_db *, rocksdb_writebatch_t *,
		    int sync);
/* Put a delete of every key of cf into the batch (range delete). */
void		 store_db_clear_cf(struct store_db *, rocksdb_writebatch_t *,
		    enum store_cf);
/* Read a u64 meta value; 0 when absent. Corrupt length is fatal. */
uint64_t	 store_db_get_u64(struct store_db *, const char *key);
/* A new iterator over cf; caller destroys it with rocksdb_iter_destroy. */
rocksdb_iterator_t *store_db_iter(struct store_db *, enum store_cf);
/* Check an iterator's status after a walk (fatal on error). */
void		 store_db_iter_check(struct store_db *, rocksdb_iterator_t *,
		    const char *what);
void		 store_db_be64_put(uint8_t out[8], uint64_t);
uint64_t	 store_db_be64_get(const uint8_t in[8]);

/* store_meta.c */
/* Load committed, epochs and log_base into s. */
void	store_meta_load(struct store *);
/* Put a meta value into the open batch. */
void	store_meta_put(struct store *, const char *key, uint64_t);
/*
 * STORE_EPOCH: raise acceptedEpoch and currentEpoch (0 leaves one as it
 * is; a lower value is ignored with a warning), durable on return.
 */
void	store_meta_epoch(struct store *, uint64_t accepted, uint64_t current);

/* store_log.c */
/* Find the last logged zxid on start (log_base if the log is empty). */
void	store_log_load(struct store *);
/*
 * Handle STORE_APPEND, a batch of commands (cmd.h): resends count for the
 * ACK only; an entry that does not chain on the last logged zxid is
 * ignored with a warning, as is a malformed batch from there on; the
 * others join the open batch, their values logged as they came.
 */
void	store_log_append(struct store *, const uint8_t *batch, size_t len);
/*
 * Group commit: apply what is committed, trim now and then, write the
 * batch (synced when it holds appends or batch_sync is set), then ACK the
 * highest durable zxid.
 */
void	store_log_flush(struct store *);
/*
 * The same, but the apply may wait (see store_log.c) and never waits for a
 * snapshot being written: once per iteration, and wherever only the
 * writes must be durable (HELLO, epochs, log requests).
 */
void	store_log_group_commit(struct store *);
/* Does a group commit still have work without new messages (committed
 * entries left unapplied, a snapshot to name)? */
int	store_log_work_left(const struct store *);
/*
 * STORE_TRUNC: make every entry above zxid go, durably (flushes first).
 * Returns -1 without truncating when an applied entry is above zxid.
 */
int	store_log_trunc(struct store *, uint64_t zxid);
/* 1 if zxid is a durable log entry. */
int	store_log_has(struct store *, uint64_t zxid);
/* The largest durable log entry below zxid, log_base if none. */
/* The first logged zxid above zxid, 0 if none. */
uint64_t store_log_next(struct store *, uint64_t);
uint64_t store_log_prev(struct store *, uint64_t zxid);
/* Bytes in the open batch (for bounding one group commit). */
size_t	store_log_batch_bytes(const struct store *);
/*
 * Call fn for every durable entry in (from, to], in zxid order, with its
 * value (cmd.h) and key; fn returns 0 to go on, 1 to stop. An entry whose
 * value is malformed or names another zxid is fatal. Returns the last
 * zxid visited (from if none).
 */
uint64_t store_log_foreach(struct store *, uint64_t from, uint64_t to,
	    int (*fn)(void *, const struct cmd_key *, const uint8_t *val,
	    size_t vlen), void *);
/* The cached entry for zxid, or NULL. */
const struct store_entry *store_log_cached(const struct store *, uint64_t);
/* Forget cached entries at or below zxid. */
void	store_log_uncache(struct store *, uint64_t zxid);
/* Forget every cached entry. */
void	store_log_uncache_all(struct store *);

/* store_tree.c */
/*
 * Load the latest snapshot into a fresh sm (s->applied: its zxid); a
 * store from before snapshots has its tree column families loaded and
 * kept as a snapshot (in the open batch); a new store starts from
 * sm_new()'s tree at zxid 0. Anything that does not load is fatal.
 */
void	store_tree_load(struct store *);
/*
 * Apply logged entries (applied, upto] to the sm (after waiting for a
 * snapshot being written), put "committed" into the open batch, and start
 * a snapshot when one is due.
 */
void	store_tree_apply(struct store *, uint64_t upto);

/* store_snapshot.c */
void	store_snapshot_init(struct store *);
/* Load the snapshot at zxid into a new s->sm; -1 if it has no chunk. */
int	store_snapshot_load(struct store *, uint64_t zxid);
/* After an apply: start writing one (a thread) when snapCount is due. */
void	store_snapshot_maybe_start(struct store *);
int	store_snapshot_running(const struct store *);
/* If the thread is done, name its snapshot in the open batch (synced). */
void	store_snapshot_poll(struct store *);
/* Block until no snapshot is being written (before the sm changes). */
void	store_snapshot_wait(struct store *);
/* Write a snapshot of the sm at applied into the open batch now. */
void	store_snapshot_write_now(struct store *);
/* After a synced write: drop the tables of snapshots older than the named. */
void	store_snapshot_drop_old(struct store *);

/* store_install.c */
/* STORE_SNAP_INSTALL: start receiving a snapshot at zxid (0: named by END). */
void	store_install_begin(struct store *, uint64_t zxid);
/* STORE_SNAP_CHUNK from the replicator: load its records. */
void	store_install_chunk(struct store *, const struct msg *);
/*
 * STORE_SNAP_END: replace tree, sessions and log by the snapshot in one
 * synced batch, then reply STORE_STATE (err -1 and the old state kept
 * when the snapshot was malformed).
 */
void	store_install_end(struct store *, const struct msg *);
/* Forget a snapshot being received (a new replicator). */
void	store_install_abort(struct store *);
/*
 * Load [u32 LE len][record]... of kind (0 nodes, 1 sessions), as snapshot
 * chunks carry them, into sm; -1 if malformed.
 */
int	store_records_load(struct sm *, int64_t kind, const uint8_t *,
	    size_t);
/* Append one record in that framing (store_snap.c). */
void	store_record_put(struct jute_writer *chunk,
	    const struct jute_writer *rec);

/* store_snap.c */
/* Stream the sm to any requester: SNAP_CHUNKs, then SNAP_END. */
void	store_snap_send(struct store *, const struct msg *);
/*
 * STORE_LOG_REQ: stream log entries (from, to] (at most STORE_STREAM_MAX
 * bytes), then LOG_END; err -1 if from is below log_base, -2 (zxid = the
 * TRUNC point) if from is above it but was never logged here.
 */
void	store_snap_send_log(struct store *, const struct msg *);
/* Reply STORE_SESSIONS with every live session and its timeout. */
void	store_snap_send_sessions(struct store *, const struct msg *);
/* STORE_CLEANUP: container/TTL nodes due at env.time (wall ms). */
void	store_snap_send_cleanup(struct store *, const struct msg *);

#endif
