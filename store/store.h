/*
 * corral-store: the node's durable state in RocksDB. Column families:
 *   log       8-byte big-endian zxid -> [u32 LE envelope length]
 *             [nanopb Envelope (STORE_APPEND as received)][payload]
 *   tree      znode path -> sm_node_encode record (current at lastApplied)
 *   sessions  8-byte big-endian session id -> sm_session_encode record
 *   default   meta: "committed", "lastApplied", "acceptedEpoch",
 *             "currentEpoch", "trimmed" as 8-byte big-endian values
 * Private to the store role.
 */
#ifndef CORRAL_STORE_STORE_H
#define CORRAL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <rocksdb/c.h>

#include "common/msg.h"

/*
 * Entries kept in the log below lastApplied. The DIFF sync of a lagging
 * follower and the catch-up of a frontend read this window; older
 * entries are only reachable through a snapshot.
 */
#define STORE_LOG_KEEP		100000
/* Trim once this many entries have been applied since the last trim. */
#define STORE_TRIM_EVERY	10000
/* Snapshot chunk size (frame 2 of STORE_SNAP_CHUNK). */
#define STORE_SNAP_CHUNK_SIZE	(256 * 1024)
/* Durable, unapplied entries stop being cached past this many bytes. */
#define STORE_CACHE_MAX		(64 * 1024 * 1024)
/* Bound one group commit: stop reading the socket past these. */
#define STORE_BATCH_MAX_MSGS	4096
#define STORE_BATCH_MAX_BYTES	(64 * 1024 * 1024)

enum store_cf {
	STORE_CF_DEFAULT,
	STORE_CF_LOG,
	STORE_CF_TREE,
	STORE_CF_SESSIONS,
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
	rocksdb_readoptions_t		*ropts;
	int				 poisoned;	/* sticky: no ACKs */
	char				 path[1100];
};

/* A logged command: the log value, kept in memory until it is applied. */
struct store_entry {
	uint64_t	 zxid;
	uint8_t		*val;		/* owned */
	size_t		 len;
};

/* A decoded log value; payload points into the value. */
struct store_rec {
	Envelope	 env;
	const uint8_t	*payload;
	size_t		 len;
};

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
	uint64_t	 trimmed;	/* last entry trimmed away, 0 none */
	uint64_t	 applied;	/* last applied to sm and batch */
	uint64_t	 commit_to;	/* highest STORE_COMMIT seen */
	uint64_t	 accepted_epoch;
	uint64_t	 current_epoch;
	uint64_t	 applied_since_trim;

	/* the open group-commit batch */
	rocksdb_writebatch_t *batch;
	int		 batch_appends;	/* appends in it: write with sync */
	int		 ack_pending;	/* an APPEND arrived: ACK after write */
	size_t		 batch_bytes;

	/* (x, logged] in zxid order, for apply without a read back */
	struct store_entry *cache;
	size_t		 chead, ncache, ccap;
	size_t		 cache_bytes;
};

/* store.c */
/* Run the store process; returns the exit status. */
int	store_main(int argc, char **argv);

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
/* Load committed, lastApplied, epochs and trimmed into s. */
void	store_meta_load(struct store *);
/* Put a meta value into the open batch. */
void	store_meta_put(struct store *, const char *key, uint64_t);

/* store_log.c */
/* Find the first/last logged zxid on start (0, 0 if the log is empty). */
void	store_log_load(struct store *);
/*
 * Handle STORE_APPEND: resends count for the ACK only; an entry that does
 * not chain on the last logged zxid is ignored with a warning; otherwise
 * it joins the open batch.
 */
void	store_log_append(struct store *, const Envelope *, const uint8_t *,
	    size_t);
/*
 * Group commit: apply what is committed, trim now and then, write the
 * batch (synced when it holds appends), then ACK the highest durable zxid.
 */
void	store_log_flush(struct store *);
/* Bytes in the open batch (for bounding one group commit). */
size_t	store_log_batch_bytes(const struct store *);
/*
 * Call fn for every durable entry in (from, to], in zxid order; fn
 * returns 0 to go on, 1 to stop. A corrupt entry is fatal. Returns the
 * last zxid visited (from if none).
 */
uint64_t store_log_foreach(struct store *, uint64_t from, uint64_t to,
	    int (*fn)(void *, uint64_t, const struct store_rec *), void *);
/* Decode a log value; -1 if it is malformed. */
int	store_log_decode(const uint8_t *, size_t, struct store_rec *);
/* The cached entry for zxid, or NULL. */
const struct store_entry *store_log_cached(const struct store *, uint64_t);
/* Forget cached entries at or below zxid. */
void	store_log_uncache(struct store *, uint64_t zxid);

/* store_tree.c */
/*
 * Load the tree and session column families into a fresh sm at
 * lastApplied; a record that does not load is fatal. A new store gets
 * sm_new()'s nodes put into the open batch.
 */
void	store_tree_load(struct store *);
/*
 * Apply logged entries (applied, upto] to the sm and put the changed nodes,
 * sessions, lastApplied and committed into the open batch.
 */
void	store_tree_apply(struct store *, uint64_t upto);

/* store_snap.c */
/* Stream the sm to a frontend: SNAP_CHUNKs, then SNAP_END. */
void	store_snap_send(struct store *, const struct msg *);
/* Stream log entries (from, to] (STORE_LOG_REQ), then LOG_END. */
void	store_snap_send_log(struct store *, const struct msg *);
/* Reply STORE_SESSIONS with every live session and its timeout. */
void	store_snap_send_sessions(struct store *, const struct msg *);

#endif
