/*
 * corral-election: decides this node's state (LOOKING, FOLLOWING, LEADING,
 * OBSERVING) with ZooKeeper's FastLeaderElection over electionPort, and
 * tells the local replicator. A standalone node is decided at once.
 *
 * election.c        the loop: replicator channel, timers, decisions
 * election_round.c  one FLE round (lookForLeader's body), pure
 * election_vote.c   vote order, quorum, checkLeader, wire codec, pure
 * election_net.c    ZeroMQ over TCP to the other servers
 */
#ifndef CORRAL_ELECTION_ELECTION_H
#define CORRAL_ELECTION_ELECTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

enum election_state {
	ELECTION_LOOKING = 0,
	ELECTION_FOLLOWING = 1,
	ELECTION_LEADING = 2,
	ELECTION_OBSERVING = 3,
	ELECTION_STANDALONE = 4
};

/* ZooKeeper's finalizeWait and min/maxNotificationInterval, in ms. */
#define ELECTION_FINALIZE_WAIT		200
#define ELECTION_NOTIFY_MIN		200
#define ELECTION_NOTIFY_MAX		60000

/*
 * A LOOKING notification that reached us while we still followed (or led)
 * is taken into our next round if it is at most this old (ms): its sender
 * lost the leader a moment before our replicator did. Followers notice a
 * silent leader on their tickTime/2 tick, 1 s apart at the default.
 */
#define ELECTION_HELD_MS		1000

/* Largest encoded notification; a frame above it is foreign. */
#define ELECTION_NOTIFICATION_MAX	64

/* A vote as carried by a notification (ZooKeeper's Vote/Notification). */
struct election_vote {
	uint32_t		leader;		/* 0 = no leader proposed */
	uint64_t		zxid;
	uint64_t		election_epoch;
	uint64_t		peer_epoch;
	enum election_state	state;		/* the sender's state */
	uint32_t		sid;		/* the sender */
};

/*
 * One election round as lookForLeader keeps it. The vote sets are indexed
 * like cfg->servers; an empty slot has sid 0.
 */
struct election_round {
	uint32_t		myid;
	int			voter;		/* we are a participant */
	uint64_t		logicalclock;
	struct election_vote	init;		/* our own initial vote */
	struct election_vote	proposal;	/* what we vote for now */
	struct election_vote	recvset[CONFIG_MAX_SERVERS];
	struct election_vote	outofelection[CONFIG_MAX_SERVERS];
};

/* What election_round_*() asks the shell to do (bit set). */
#define ELECTION_STEP_NOTIFY	0x1	/* send our proposal to every voter */
#define ELECTION_STEP_QUORUM	0x2	/* a quorum holds it: finalize wait */
#define ELECTION_STEP_DECIDED	0x4	/* *out holds the decision */

struct child;
struct election_net;

struct election {
	struct child		*c;
	void			*router;	/* the replicator asks here */
	struct election_net	*net;		/* NULL when standalone */
	enum election_state	 state;
	uint32_t		 leader;

	/* the replicator: its identity, and what it told us last */
	uint8_t			 repl_ident[256];
	size_t			 repl_ident_len;
	int			 known;		/* LOOKING or SETTLED seen */
	int			 settled;	/* SETTLED since the decision */
	uint64_t		 last_zxid;	/* ELECTION_LOOKING zxid */
	uint64_t		 cur_epoch;	/* ELECTION_LOOKING seq */

	/* what peers said before the replicator did (lookForLeader's queue) */
	struct election_vote	 early[CONFIG_MAX_SERVERS];
	/* LOOKING votes heard while not looking, and when (ms) */
	struct election_vote	 held[CONFIG_MAX_SERVERS];
	uint64_t		 held_ms[CONFIG_MAX_SERVERS];

	struct election_round	 round;
	struct election_vote	 current;	/* decided/settled: we say it */
	int			 notify_ms;	/* notification timeout now */
	uint64_t		 notify_timer;
	uint64_t		 finalize_timer;	/* 0 = not finalizing */
	uint64_t		 round_start_ms;
	uint64_t		 decided_ms;
};

/* election.c */
const char	*election_state_name(enum election_state);
int		 election_main(struct child *);
/* A validated notification from peer n->sid (called by election_net.c). */
void		 election_receive(struct election *,
		    const struct election_vote *);
/* Our connection to server sid is up (called by election_net.c). */
void		 election_peer_connected(struct election *, uint32_t sid);

/* election_vote.c: pure */
/* 1 if sid is a participant (a voting server) of cfg. */
int	election_vote_is_voter(const struct config *, uint32_t sid);
/* Index of sid in cfg->servers, -1 if absent. */
int	election_vote_index(const struct config *, uint32_t sid);
/*
 * totalOrderPredicate: 1 if nv beats cur by higher peerEpoch, then higher
 * zxid, then higher leader sid. A vote for a non-voter never wins; any
 * vote for a voter beats a vote for none (an observer's initial vote).
 */
int	election_vote_better(const struct election_vote *nv,
	    const struct election_vote *cur, const struct config *);
/* Vote.equals: leader and peerEpoch out of election, all four otherwise. */
int	election_vote_equal(const struct election_vote *,
	    const struct election_vote *);
/*
 * termPredicate: 1 if more than half of cfg's participants have a vote
 * in votes[0..n) equal to target. Observers' votes never count; each sid
 * counts once.
 */
int	election_quorum_reached(const struct election_vote *votes, int n,
	    const struct election_vote *target, const struct config *);
/*
 * checkLeader: a leader other than myid must have told us it is LEADING;
 * when we are the leader, the round must be ours (logicalclock).
 */
int	election_vote_check_leader(const struct election_vote *votes, int n,
	    uint32_t leader, uint64_t election_epoch, uint32_t myid,
	    uint64_t logicalclock);
/* Encode v into buf (ELECTION_NOTIFICATION_MAX bytes); returns its size. */
size_t	election_vote_encode(const struct election_vote *, uint8_t *buf,
	    size_t len);
/*
 * Decode a notification from the network into *v. Returns 0, or -1 with
 * *why set when the bytes do not decode, the state is unknown or the
 * sender is not a server of cfg.
 */
int	election_vote_decode(const uint8_t *buf, size_t len,
	    const struct config *, struct election_vote *v, const char **why);

/* election_round.c: pure */
/* A new round: logicalclock + 1, our initial vote (zxid, epoch). */
int	election_round_start(struct election_round *, const struct config *,
	    uint64_t zxid, uint64_t epoch);
/* One notification from a voter while LOOKING. Returns STEP_* bits. */
int	election_round_receive(struct election_round *, const struct config *,
	    const struct election_vote *n, struct election_vote *out);
/* 1 if n, arriving during the finalize wait, must reopen the round. */
int	election_round_interrupts(const struct election_round *,
	    const struct config *, const struct election_vote *n);
/* The finalize wait passed quietly: our proposal is the decision. */
void	election_round_decide(const struct election_round *,
	    struct election_vote *out);

/* election_net.c */
/* Bind our electionPort, connect to every other server. NULL on failure. */
struct election_net *election_net_new(struct election *);
void	election_net_destroy(struct election_net **);
/* cfg's servers changed (a reconfig): connect to the new set. */
void	election_net_reconfig(struct election_net *);
/* Send v to server sid; dropped (logged) when it cannot go now. */
void	election_net_send(struct election_net *, uint32_t sid,
	    const struct election_vote *);
/* Answer server sid's notification with v, on the link it came by. */
void	election_net_reply(struct election_net *, uint32_t sid,
	    const struct election_vote *);
/* Send v to every voter but ourselves. */
void	election_net_send_voters(struct election_net *,
	    const struct election_vote *);

#endif
