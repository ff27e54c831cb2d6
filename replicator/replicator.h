/*
 * corral-replicator: ZAB. The atomic broadcast of opaque commands, stamped
 * by the leader with zxid and time. Roles:
 *   standalone  the quorum is this node's store alone;
 *   leading     discovery (FOLLOWERINFO/LEADERINFO/ACKEPOCH), sync (DIFF,
 *               TRUNC+DIFF, TRUNC, SNAP), broadcast (PROPOSAL/ACK/COMMIT),
 *               the session tracker;
 *   following   the learner side, forwarding local writes to the leader;
 *   looking     waiting for corral-election.
 * Every role publishes what it learns committed on the node's commit
 * stream, chained by prev_zxid; frontends refill gaps from the store.
 */
#ifndef CORRAL_REPLICATOR_REPLICATOR_H
#define CORRAL_REPLICATOR_REPLICATOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/cmd.h"
#include "common/config.h"
#include "common/msg.h"
#include "peer.pb.h"

struct child;
struct loop;
struct u64map;

#define PEER_PROTOCOL_VERSION	2	/* 2: commands travel in batches */

enum repl_role {
	ROLE_STARTING,		/* waiting for the store's state */
	ROLE_LOOKING,
	ROLE_FOLLOWING,
	ROLE_LEADING,
	ROLE_STANDALONE
};

/* A stamped command not yet both committed and durable here. */
struct proposal {
	struct cmd_key	 key;
	uint8_t		*val;		/* the encoded command (cmd.h) */
	size_t		 vlen;
};

/* A learner connected to us while we lead (LearnerHandler). */
enum learner_state {
	LEARNER_INFO,		/* FOLLOWERINFO received */
	LEARNER_EPOCH_ACKED,	/* waiting for its turn to sync */
	LEARNER_SYNCING,	/* DIFF/SNAP stream in progress */
	LEARNER_SYNCED,		/* NEWLEADER sent, live proposals flow */
	LEARNER_UPTODATE
};

struct learner {
	uint32_t		 sid;
	uint8_t			 ident[64];
	size_t			 ident_len;
	enum learner_state	 state;
	int			 voter;
	int			 observer;	/* it said so in FOLLOWERINFO */
	int			 newleader_acked;
	uint64_t		 accepted_epoch;
	uint64_t		 info_zxid;	/* from FOLLOWERINFO */
	uint64_t		 last_zxid;	/* from ACKEPOCH */
	uint64_t		 acked;		/* durable there up to */
	uint64_t		 last_heard_ms;
	uint64_t		 streamed;	/* last zxid sent in its sync */
};

/*
 * A learner's FOLLOWERINFO that came while we were looking: its election
 * decided for us a moment before ours did. Answered once we lead.
 */
struct held_hello {
	uint32_t	 sid;		/* 0: empty slot */
	uint8_t		 ident[64];
	size_t		 ident_len;
	uint64_t	 epoch;		/* its acceptedEpoch */
	uint64_t	 zxid;
	int64_t		 arg;
	uint64_t	 at_ms;
};

/* A peer message received (foreign input: decoded defensively). */
struct peer_msg {
	uint8_t		 ident[64];
	size_t		 ident_len;
	PeerHeader	 h;
	const uint8_t	*payload;	/* inside frame, until peer_close */
	size_t		 len;
	int		 has_payload;
	zmq_msg_t	 frame;
};

struct replicator {
	struct child	*c;
	void		*router;	/* frontends submit here */
	void		*pub;		/* commit stream */
	void		*store;		/* DEALER to corral-store */
	void		*election;	/* DEALER to corral-election */
	void		*quorum;	/* ROUTER on quorumPort (learners) */
	void		*leader;	/* DEALER to the leader, when following */
	void		*leader_mon;	/* its socket monitor (disconnects) */
	uint32_t	 myid;
	uint64_t	 incarnation;	/* store fencing, fixed per process */
	uint64_t	 service_gen;	/* bumps at each establishment */
	enum repl_role	 role;
	int		 established;
	uint64_t	 role_since_ms;
	/* the store's durable state */
	int		 store_known;
	uint64_t	 store_logged;	/* durable in our store up to */
	uint64_t	 store_applied;
	uint64_t	 accepted_epoch;
	uint64_t	 current_epoch;
	uint64_t	 log_base;
	uint64_t	 last_store_ack_ms;
	int		 epoch_pending;	/* STORE_EPOCH sent, not confirmed */
	/* the log as we know it */
	uint64_t	 start_zxid;	/* committed when this service began */
	uint64_t	 last_proposed;	/* leader: stamped; learner: received */
	uint64_t	 last_committed;
	/*
	 * Coalesced per loop iteration (flushed before the loop sleeps):
	 * the store's COMMIT target rides with the iteration's appends, and
	 * a leader recomputes the quorum once for all the ACKs it read.
	 */
	uint64_t	 store_commit_to;	/* committed by replicator_commit */
	uint64_t	 store_commit_sent;	/* last STORE_COMMIT zxid */
	uint64_t	 store_commit_ms;	/* when it was sent */
	uint64_t	 store_commit_timer;	/* a deferred one is due */
	int		 appends_sent;		/* this iteration */
	int		 advance_pending;	/* leader: ACKs to count */
	/* commands of this loop iteration, one message each before it sleeps */
	struct cmd_batch store_batch;	/* STORE_APPEND */
	struct cmd_batch peer_batch;	/* PROPOSAL to synced learners */
	struct cmd_batch pub_batch;	/* COMMIT to the frontends */
	/* proposals (oldest first) until committed and durable here */
	struct proposal	*q;
	size_t		 qhead, qlen, qcap;
	/* leading */
	uint32_t	 leader_id;
	uint64_t	 new_epoch;	/* the epoch being established */
	uint64_t	 takeover_zxid;	/* our last logged when we took over */
	struct learner	**learners;
	size_t		 nlearners, learners_cap;
	int		 leaderinfo_sent;
	int		 establishing;	/* currentEpoch being persisted */
	struct held_hello held[CONFIG_MAX_SERVERS];	/* while looking */
	/* the store streams a DIFF or SNAP for one learner at a time */
	struct learner	*syncing;
	int		 sync_busy;	/* a stream is in flight */
	int		 sync_header_sent;
	uint64_t	 sync_from;
	/* following */
	uint64_t	 leader_last_heard_ms;
	int		 ackepoch_pending;	/* LEADERINFO epoch persisting */
	uint64_t	 leaderinfo_epoch;
	uint64_t	 pending_commit;	/* COMMIT seen before UPTODATE */
	int		 sync_newleader;	/* NEWLEADER seen, ack when durable */
	uint64_t	 newleader_zxid;
	uint64_t	 leader_takeover;	/* NEWLEADER's arg */
	int		 snap_installing;
	uint8_t		*touches;		/* session ids to forward */
	size_t		 ntouches, touches_cap;
	/* the leader's session tracker */
	struct u64map	*sessions;	/* id -> struct tracked_session */
	struct u64map	*buckets;	/* expire_at -> struct bucket */
	uint64_t	 next_expiry;
	uint64_t	 tick_ms;
	uint64_t	 commits;	/* counter for the status line */
	/* COMMIT_TICK pacing (replicator.c, on_commit_tick) */
	uint64_t	 pub_tick_timer;
	int		 pub_tick_gap_ms;
	uint64_t	 pub_tick_zxid;	/* last_committed at the last tick */
	/* membership (replicator_reconfig.c); the active one is c->cfg's */
	int		 observing;	/* following as a non-voter */
	struct membership *reconfig_pending;	/* proposed, not committed */
	uint64_t	 reconfig_zxid;		/* its zxid */
	uint64_t	 reconfig_prev;		/* the zxid before it */
	const char	*reconfig_rejoin;	/* go looking, and why */
};

/* replicator.c */
int	replicator_main(struct child *);
void	replicator_go_looking(struct replicator *, const char *why);
/* Stamp and propose a command (leader and standalone). */
void	replicator_propose(struct replicator *, Command *, const void *,
	    size_t);
/* Propose every command of a batch of submissions; -1 if malformed. */
int	replicator_propose_batch(struct replicator *, const uint8_t *,
	    size_t);
/* Queue a received proposal (learner) and log it; 0 if already had. */
int	replicator_take_proposal(struct replicator *, const struct cmd_key *,
	    const uint8_t *val, size_t vlen);
/* Everything up to zxid is committed: publish, tell the store. */
void	replicator_commit(struct replicator *, uint64_t zxid);
void	replicator_send_store(struct replicator *, const Envelope *,
	    const void *, size_t);
/* Send the store the commit target now if it is behind. */
void	replicator_flush_store_commit(struct replicator *);
/* Send the appends of this iteration to the store now. */
void	replicator_flush_appends(struct replicator *);
void	replicator_store_epoch(struct replicator *, uint64_t accepted,
	    uint64_t current);
/* A new service generation: frontends catch up to from, then resubmit. */
void	replicator_serve(struct replicator *, uint64_t from);
void	replicator_settled(struct replicator *);
/* The DEALER to the leader has something: hand it to the follower. */
void	replicator_dispatch_leader(struct loop *, void *);

/* replicator_queue.c */
/* Takes val (malloc'd, the encoded command). */
void	replicator_queue_push(struct replicator *, const struct cmd_key *,
	    uint8_t *val, size_t vlen);
struct proposal *replicator_queue_at(struct replicator *, size_t i);
/* Drop from the head what is committed and durable here. */
void	replicator_queue_trim(struct replicator *);
void	replicator_queue_clear(struct replicator *);

/* replicator_session.c: the session tracker (leader only) */
void	replicator_session_init(struct replicator *);
void	replicator_session_reset(struct replicator *);
void	replicator_session_opened(struct replicator *, uint64_t id,
	    int32_t timeout);
void	replicator_session_closed(struct replicator *, uint64_t id);
void	replicator_session_touch(struct replicator *, const uint8_t *ids,
	    size_t len);
void	replicator_session_load(struct replicator *, const uint8_t *rec,
	    size_t len);
void	replicator_session_expire(struct replicator *, uint64_t now_ms);
uint64_t replicator_session_bucket(uint64_t now, uint64_t timeout,
	    uint64_t tick);

/* replicator_peer.c: ZAB messages over ZeroMQ/TCP */
void	replicator_peer_bind(struct replicator *);
void	replicator_peer_connect(struct replicator *, uint32_t leader);
void	replicator_peer_disconnect(struct replicator *);
/* Receive one message; -1 when none is pending (malformed ones dropped). */
int	replicator_peer_recv(void *sock, int router, struct peer_msg *);
void	replicator_peer_close(struct peer_msg *);
int	replicator_peer_send(void *sock, const uint8_t *ident, size_t ilen,
	    const PeerHeader *, const void *payload, size_t len);
PeerHeader replicator_peer_header(struct replicator *, PeerType);
const char *replicator_peer_type_name(int);

/* replicator_leader.c */
void	replicator_lead(struct replicator *);
void	replicator_leader_peer(struct replicator *, struct peer_msg *);
/* A FOLLOWERINFO while looking: kept for replicator_lead (or dropped). */
void	replicator_leader_hold(struct replicator *, const struct peer_msg *);
void	replicator_leader_store(struct replicator *, struct msg *);
void	replicator_leader_store_state(struct replicator *);
void	replicator_leader_proposed(struct replicator *, struct proposal *);
/* Send this iteration's proposals to the synced learners. */
void	replicator_leader_flush(struct replicator *);
void	replicator_leader_store_ack(struct replicator *);
/* Commit what a quorum holds, ours included (once per loop iteration). */
void	replicator_leader_advance(struct replicator *);
void	replicator_leader_tick(struct replicator *);
void	replicator_leader_stop(struct replicator *);

/* replicator_follower.c */
void	replicator_follow(struct replicator *, uint32_t leader);
void	replicator_follower_peer(struct replicator *, struct peer_msg *);
void	replicator_follower_store_state(struct replicator *);
void	replicator_follower_store_ack(struct replicator *);
void	replicator_follower_submit(struct replicator *, const struct msg *);
void	replicator_follower_touch(struct replicator *, const uint8_t *,
	    size_t);
void	replicator_follower_tick(struct replicator *);

/* replicator_cleanup.c: containers and TTL nodes (leader) */
void	replicator_cleanup_tick(struct replicator *);
void	replicator_cleanup_due(struct replicator *, const uint8_t *, size_t);

/* replicator_reconfig.c: dynamic membership */
int	replicator_is_voter(const struct replicator *, uint32_t sid);
size_t	replicator_nvoters(const struct replicator *);
/* Leader: a reconfig to stamp. Returns the payload to propose: its own,
 * or ZooKeeper's ErrorTxn in errbuf (env->opcode -1) when refused. */
const void *replicator_reconfig_stamp(struct replicator *, Command *,
	    const void *payload, size_t *len, uint8_t errbuf[4]);
void	replicator_reconfig_proposed(struct replicator *, const Command *);
/* The highest zxid c may commit while a reconfig is pending. */
uint64_t replicator_reconfig_limit(const struct replicator *, uint64_t c);
void	replicator_reconfig_committed(struct replicator *,
	    const struct proposal *);
void	replicator_reconfig_abort(struct replicator *);
/* A leader establishing its epoch versions a zoo.cfg membership. */
void	replicator_reconfig_establish(struct replicator *);
/* Our membership as text (UPTODATE's payload), and a learner taking it. */
size_t	replicator_reconfig_text(const struct replicator *, char *, size_t);
void	replicator_reconfig_learned(struct replicator *, const uint8_t *,
	    size_t);

/* replicator_quorum.c: pure decisions */
enum sync_mode {
	SYNC_DIFF,		/* stream proposals after the peer's zxid */
	SYNC_TRUNC,		/* the peer is ahead: truncate it */
	SYNC_SNAP		/* the peer is older than our log: snapshot */
};
/*
 * ZooKeeper's LearnerHandler.syncFollower, on what can be decided without
 * reading the log; a DIFF whose start the log lacks becomes TRUNC+DIFF
 * (the store answers that).
 */
enum sync_mode replicator_sync_choose(uint64_t peer_last, uint64_t our_last,
	    uint64_t log_base);
/* 1 if a divergent peer may be truncated: our next entry after its last
 * zxid is of the same epoch (else it gets a SNAP). */
int	replicator_sync_trunc_ok(uint64_t our_next, uint64_t peer_last);
/* The highest zxid durable on a quorum: acked[] of the n voters. */
uint64_t replicator_quorum_commit(const uint64_t *acked, size_t n,
	    size_t nvoters);
/* zxid for the next proposal in epoch (a new epoch starts at counter 1). */
uint64_t replicator_next_zxid(uint64_t last, uint32_t epoch);

#endif
