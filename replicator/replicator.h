/*
 * corral-replicator: the atomic broadcast of commands. In this slice the
 * node runs alone, so the leader's quorum is its own store: a proposal is
 * committed once the store has made it durable (STORE_ACK). The ensemble
 * adds peers to this same path.
 */
#ifndef CORRAL_REPLICATOR_REPLICATOR_H
#define CORRAL_REPLICATOR_REPLICATOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct child;
struct u64map;

/* A stamped command waiting for its store ACK. */
struct proposal {
	Envelope	 env;
	uint8_t		*payload;
	size_t		 len;
	int		 has_payload;
};

struct replicator {
	struct child	*c;
	void		*router;	/* frontends submit here */
	void		*pub;		/* commit stream */
	void		*store;		/* DEALER to corral-store */
	uint64_t	 generation;	/* our incarnation, increasing */
	int		 store_known;	/* STORE_STATE received once */
	uint64_t	 start_zxid;	/* committed when we took over */
	uint64_t	 last_proposed;
	uint64_t	 last_committed;
	uint64_t	 last_store_ack_ms;	/* progress, for resends */
	/* proposals (last_committed, last_proposed], oldest first */
	struct proposal	*q;
	size_t		 qhead, qlen, qcap;
	struct u64map	*sessions;	/* id -> struct tracked_session */
	struct u64map	*buckets;	/* expire_at -> struct bucket */
	uint64_t	 next_expiry;	/* next bucket time to process */
	uint64_t	 tick_ms;
	uint64_t	 commits;	/* counter for the status line */
};

/* replicator_queue.c */
void	replicator_queue_push(struct replicator *, const Envelope *,
	    const void *payload, size_t len, int has_payload);
struct proposal *replicator_queue_at(struct replicator *, size_t i);
void	replicator_queue_pop(struct replicator *);

/* replicator_session.c: the session tracker (leader only) */
void	replicator_session_init(struct replicator *);
void	replicator_session_opened(struct replicator *, uint64_t id,
	    int32_t timeout);
void	replicator_session_closed(struct replicator *, uint64_t id);
void	replicator_session_touch(struct replicator *, const uint8_t *ids,
	    size_t len);
void	replicator_session_load(struct replicator *, const uint8_t *rec,
	    size_t len);
/* Expire due sessions: submits closeSession commands. */
void	replicator_session_expire(struct replicator *, uint64_t now_ms);
/* ExpiryQueue rounding: the next multiple of tick after now + timeout. */
uint64_t replicator_session_bucket(uint64_t now, uint64_t timeout,
	    uint64_t tick);

/* replicator.c */
int	replicator_main(struct child *);
/* Stamp and propose a command (the leader's entry point). */
void	replicator_propose(struct replicator *, Envelope *, const void *,
	    size_t, int has_payload);

#endif
