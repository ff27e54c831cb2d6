/*
 * corral-frontend: the ZooKeeper client protocol. Holds a replica of the
 * tree (fed by the store's snapshot, then the commit stream), answers reads
 * from it, sends writes to the replicator and answers them when their
 * commit comes back, fires watches.
 *
 * Per-session FIFO (as in ZooKeeper): every connection keeps its requests
 * in arrival order; a read is answered only when every earlier request of
 * the connection has been answered, so it sees their effects.
 */
#ifndef CORRAL_FRONTEND_FRONTEND_H
#define CORRAL_FRONTEND_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/acl.h"
#include "common/cmd.h"
#include "common/jute.h"
#include "common/msg.h"
#include "common/sm.h"

struct child;
struct u64map;
struct strmap;

enum req_state {
	REQ_READ,	/* answered from the tree when at the head */
	REQ_WAITING,	/* a write waiting for its commit */
	REQ_DONE	/* reply ready */
};

struct req {
	struct req	*next;
	struct conn	*conn;
	enum req_state	 state;
	int32_t		 xid;
	int32_t		 opcode;
	uint64_t	 seq;		/* write: tag matched on commit */
	uint64_t	 session;	/* createSession: the new id */
	int64_t		 arg;		/* createSession: timeout */
	int		 sent;		/* write: submitted to this replicator */
	uint8_t		*payload;	/* request record (owned) */
	size_t		 len;
	uint8_t		*auth;		/* write: ids when it came (owned) */
	size_t		 auth_len;
	int64_t		 zxid;		/* reply header zxid when done */
	int32_t		 err;
	struct jute_writer reply;
	uint64_t	 start_us;	/* for latency statistics */
};

enum conn_state {
	CONN_HANDSHAKE,		/* waiting for ConnectRequest */
	CONN_CONNECTING,	/* createSession submitted */
	CONN_ACTIVE,
	CONN_CLOSING		/* flush output, then close */
};

struct conn {
	uint64_t	 id;
	int		 fd;
	char		 peer[64];	/* "ip:port" */
	enum conn_state	 state;
	uint8_t		*in;
	size_t		 inlen, incap;
	struct jute_writer out;
	size_t		 outoff;
	int		 want_write;
	int		 paused;	/* EPOLLIN off: too many queued */
	int		 dirty;		/* on the flush list */
	struct conn	*dirty_next;
	uint64_t	 session;
	int32_t		 timeout;
	uint8_t		 passwd[SM_PASSWD_LEN];
	int		 has_read_only;
	int		 touched;	/* heard from since the last touch batch */
	struct req	*head, *tail;	/* FIFO of requests */
	size_t		 queued;
	struct req	*connect_req;	/* createSession in flight */
	uint64_t	 received, sent;
	uint64_t	 last_zxid;
	struct watch_reg *watches;	/* this connection's registrations */
	uint64_t	 watch_mark;	/* last trigger that notified it */
	int		 data_watcher;	/* has watched data: wchs counts it */
	/* cons statistics, as ZooKeeper's ServerCnxn keeps them */
	uint64_t	 est_ms;	/* wall clock at accept */
	int32_t		 last_cxid;	/* xid of the last reply, -1: none */
	int32_t		 last_op;	/* opcode last answered, 0: none */
	uint64_t	 last_resp_ms;	/* monotonic */
	uint64_t	 lat_last_us, lat_min_us, lat_max_us, lat_sum_us,
			 lat_count;
	struct acl_ids	 auth;		/* identities, len 0 until first use */
	void		*sasl;		/* SASL exchange in progress */
};

struct watch_reg {
	struct watch_reg *next, *prev;
	int		 kind;		/* SM_WATCH_DATA / SM_WATCH_CHILD */
	char		*path;
};

/* Watch modes (ZooKeeper's WatcherMode). */
#define FRONTEND_WATCH_STANDARD		0	/* one-time */
#define FRONTEND_WATCH_PERSISTENT	1
#define FRONTEND_WATCH_RECURSIVE	2	/* persistent, whole subtree */

/* A commit waiting for the gap before it to be filled. */
struct pending_commit {
	uint64_t	 zxid;
	uint64_t	 prev_zxid;
	uint8_t		*val;		/* the encoded command (cmd.h) */
	size_t		 vlen;
};

struct frontend {
	struct child	*c;
	void		*repl;		/* DEALER to the replicator */
	void		*commits;	/* SUB to the commit stream */
	void		*store;		/* DEALER to the store */
	int		 listen_fd;
	int		 epfd;
	struct sm	*sm;
	int		 live;		/* snapshot loaded */
	int		 snap_requested;
	struct sm	*loading;	/* snapshot being received */
	/* commit stream position and gap repair */
	struct pending_commit *buf;
	size_t		 nbuf, capbuf;
	int		 log_requested;
	uint64_t	 log_req_ms;
	uint64_t	 log_req_to;
	/* the replicator incarnation we submit to */
	uint64_t	 repl_gen;
	uint64_t	 membership;	/* version the replicator last told */
	uint64_t	 repl_start;
	int		 resubmit;	/* resend unsent writes once caught up */
	struct cmd_batch submits;	/* this loop turn's, for repl_gen */
	uint64_t	 submits_gen;
	int		 serving;	/* the replicator serves (not looking) */
	int		 mode;		/* replicator role, for srvr's Mode */
	const char	*closing_why;
	uint64_t	 seq_base, seq_next;
	struct u64map	*pending;	/* seq -> struct req */
	struct u64map	*conns;		/* id -> struct conn */
	struct u64map	*sessions;	/* session id -> struct conn */
	uint64_t	 next_conn_id;
	uint64_t	 next_session;
	struct conn	*dirty;
	struct strmap	*data_watches;	/* path -> struct watch_list */
	struct strmap	*child_watches;
	size_t		 watch_recursive;	/* recursive entries, both tables */
	uint64_t	 watch_gen;		/* trigger counter (dedup marks) */
	struct sm_result res;
	/* statistics for srvr/stat/mntr */
	uint64_t	 packets_received, packets_sent;
	uint64_t	 lat_min_us, lat_max_us, lat_sum_us, lat_count;
	uint64_t	 start_ms;
	uint64_t	 conn_rejected;	/* maxClientCnxns refusals (mntr) */
};

/* frontend.c */
int	frontend_main(struct child *);
uint32_t frontend_origin(const struct frontend *);
/* Submit a write to the replicator (or hold it until one is known). */
void	frontend_submit(struct frontend *, struct req *);
/* Send this loop turn's submissions (before it sleeps). */
void	frontend_flush_submits(struct frontend *);

/* frontend_reconfig.c: reconfig's checks before the leader's; on 0 the
 * request's payload is the whole new member list. */
int32_t	frontend_reconfig_prepare(struct frontend *, struct conn *,
	    struct req *);

/* frontend_conn.c */
void	frontend_conn_listen(struct frontend *);
void	frontend_conn_events(struct frontend *);
void	frontend_conn_send(struct frontend *, struct conn *, const void *,
	    size_t);
/* Queue a framed packet: header + body, length-prefixed. */
void	frontend_conn_reply(struct frontend *, struct conn *, int32_t xid,
	    int64_t zxid, int32_t err, const struct jute_writer *body);
void	frontend_conn_close(struct frontend *, struct conn *, const char *why);
void	frontend_conn_close_after_flush(struct frontend *, struct conn *);
void	frontend_conn_resume(struct frontend *, struct conn *);
void	frontend_conn_close_all(struct frontend *, const char *why);
void	frontend_conn_flush_all(struct frontend *);
size_t	frontend_conn_count(const struct frontend *);

/* frontend_request.c */
/* One complete packet from a connection (after the length prefix). */
void	frontend_request_packet(struct frontend *, struct conn *,
	    const uint8_t *, size_t);
/* Answer what can be answered at the head of the connection's queue. */
void	frontend_request_flush(struct frontend *, struct conn *);
void	frontend_request_free(struct req *);
/* Requests received and not yet answered (all connections); forget n. */
size_t	frontend_request_backlog(void);
void	frontend_request_forget(size_t n);

/* frontend_session.c */
void	frontend_session_connect(struct frontend *, struct conn *,
	    const uint8_t *, size_t);
void	frontend_session_created(struct frontend *, struct req *);
void	frontend_session_closed(struct frontend *, uint64_t session);
void	frontend_session_touch(struct frontend *);

/* frontend_apply.c */
void	frontend_apply_commit(struct frontend *, const struct cmd *);

/* frontend_sync.c: snapshot load and the commit stream */
void	frontend_sync_start(struct frontend *);
void	frontend_sync_commit(struct frontend *, struct msg *);
void	frontend_sync_tick(struct frontend *, const Envelope *);
void	frontend_sync_store(struct frontend *, struct msg *);

/* frontend_watch.c */
void	frontend_watch_add(struct frontend *, struct conn *, int kind,
	    const char *path);
void	frontend_watch_trigger(struct frontend *, const struct sm_change *);
void	frontend_watch_conn_gone(struct frontend *, struct conn *);
void	frontend_watch_set(struct frontend *, struct conn *,
	    const uint8_t *, size_t, int v2);
size_t	frontend_watch_count(const struct frontend *);
/* addWatch (106): ZOK, or ZMARSHALLINGERROR for a bad record or mode. */
int32_t	frontend_watch_add_request(struct frontend *, struct conn *,
	    const uint8_t *, size_t);
/* checkWatches (17) / removeWatches (18): ZOK, ZNOWATCHER or
 * ZMARSHALLINGERROR. */
int32_t	frontend_watch_remove_request(struct frontend *, struct conn *,
	    int32_t op, const uint8_t *, size_t);
/* The 4lw wchs text (no final newline), and wchp/wchc listings. */
void	frontend_watch_summary(const struct frontend *, FILE *);
void	frontend_watch_dump(const struct frontend *, int by_path, FILE *);

/* frontend_multiread.c: fills out; returns the reply header's err */
int32_t	frontend_multiread(struct frontend *, struct conn *, const uint8_t *,
	    size_t, struct jute_writer *);

/* frontend_auth.c: identities (ZooKeeper's authInfo) and addauth */
void	frontend_auth_packet(struct frontend *, struct conn *, const uint8_t *,
	    size_t);
/* Add scheme:id to the connection; -1 (logged) if it would not fit. */
int	frontend_auth_add(struct frontend *, struct conn *, const char *scheme,
	    const char *id, size_t len);
/* The ids ACL checks see: the connection's, then this node's policy. */
void	frontend_auth_ids(const struct frontend *, struct conn *,
	    struct acl_ids *);
void	frontend_auth_whoami(const struct frontend *, struct conn *,
	    struct jute_writer *);

/* frontend_sasl.c: opcode 102, DIGEST-MD5 with Cyrus SASL */
void	frontend_sasl_packet(struct frontend *, struct conn *, int32_t xid,
	    const uint8_t *, size_t);
void	frontend_sasl_conn_gone(struct conn *);

/* frontend_4lw.c */
/* If the first bytes are a four-letter word, answer it; 1 if handled. */
int	frontend_4lw(struct frontend *, struct conn *);
const char *frontend_4lw_mode(const struct frontend *);

#endif
