/*
 * One FastLeaderElection round, the body of ZooKeeper's lookForLeader()
 * without its queue and clock: the shell feeds notifications in and acts
 * on the STEP_* bits (send our vote, start the finalize wait, decided).
 */
#include "election/election.h"

#include <string.h>

/* Store v in a vote set indexed like cfg->servers. */
static void
put(struct election_vote *set, const struct config *cfg,
    const struct election_vote *v)
{
	int i = election_vote_index(cfg, v->sid);

	if (i >= 0)
		set[i] = *v;
}

/* Our proposal becomes (leader, zxid, peerEpoch) of v, in our round. */
static void
propose(struct election_round *r, const struct election_vote *v)
{
	r->proposal.leader = v->leader;
	r->proposal.zxid = v->zxid;
	r->proposal.peer_epoch = v->peer_epoch;
	r->proposal.election_epoch = r->logicalclock;
	r->proposal.state = ELECTION_LOOKING;
	r->proposal.sid = r->myid;
}

/*
 * ZooKeeper sends a voter's notifications to itself too, so its own vote
 * sits in recvset like any other; an observer sends only to voters.
 */
static void
self_vote(struct election_round *r, const struct config *cfg)
{
	if (r->voter)
		put(r->recvset, cfg, &r->proposal);
}

static int
quorum_for_proposal(const struct election_round *r, const struct config *cfg)
{
	return election_quorum_reached(r->recvset, cfg->nservers,
	    &r->proposal, cfg);
}

/* The end vote for leader; we lead, follow or observe it. */
static void
end_vote(const struct election_round *r, const struct election_vote *v,
    struct election_vote *out)
{
	*out = *v;
	out->sid = r->myid;
	if (v->leader == r->myid)
		out->state = ELECTION_LEADING;
	else
		out->state = r->voter ? ELECTION_FOLLOWING : ELECTION_OBSERVING;
}

int
election_round_start(struct election_round *r, const struct config *cfg,
    uint64_t zxid, uint64_t epoch)
{
	struct election_vote init;

	r->logicalclock++;
	memset(r->recvset, 0, sizeof(r->recvset));
	memset(r->outofelection, 0, sizeof(r->outofelection));
	r->voter = election_vote_is_voter(cfg, r->myid);
	memset(&init, 0, sizeof(init));
	/* an observer proposes nobody: any voter's vote beats it */
	if (r->voter) {
		init.leader = r->myid;
		init.zxid = zxid;
		init.peer_epoch = epoch;
	}
	init.sid = r->myid;
	r->init = init;
	propose(r, &init);
	self_vote(r, cfg);
	return ELECTION_STEP_NOTIFY |
	    (quorum_for_proposal(r, cfg) ? ELECTION_STEP_QUORUM : 0);
}

/* A LOOKING voter's notification. */
static int
looking(struct election_round *r, const struct config *cfg,
    const struct election_vote *n)
{
	int steps = 0;

	if (n->election_epoch > r->logicalclock) {
		/* a newer round: join it, with the better of theirs and ours */
		r->logicalclock = n->election_epoch;
		memset(r->recvset, 0, sizeof(r->recvset));
		propose(r, election_vote_better(n, &r->init, cfg) ?
		    n : &r->init);
		steps |= ELECTION_STEP_NOTIFY;
	} else if (n->election_epoch < r->logicalclock) {
		return 0;
	} else if (election_vote_better(n, &r->proposal, cfg)) {
		propose(r, n);
		steps |= ELECTION_STEP_NOTIFY;
	}
	put(r->recvset, cfg, n);
	if (steps & ELECTION_STEP_NOTIFY)
		self_vote(r, cfg);
	if (quorum_for_proposal(r, cfg))
		steps |= ELECTION_STEP_QUORUM;
	return steps;
}

/* A FOLLOWING or LEADING voter's notification: is there a sitting leader? */
static int
out_of_election(struct election_round *r, const struct config *cfg,
    const struct election_vote *n, struct election_vote *out)
{
	int ns = cfg->nservers;

	if (n->election_epoch == r->logicalclock) {
		put(r->recvset, cfg, n);
		if (election_quorum_reached(r->recvset, ns, n, cfg) &&
		    election_vote_check_leader(r->recvset, ns, n->leader,
		    n->election_epoch, r->myid, r->logicalclock)) {
			end_vote(r, n, out);
			return ELECTION_STEP_DECIDED;
		}
	}
	/* joining a running ensemble: a quorum must follow the same leader */
	put(r->outofelection, cfg, n);
	if (election_quorum_reached(r->outofelection, ns, n, cfg) &&
	    election_vote_check_leader(r->outofelection, ns, n->leader,
	    n->election_epoch, r->myid, r->logicalclock)) {
		r->logicalclock = n->election_epoch;
		end_vote(r, n, out);
		return ELECTION_STEP_DECIDED;
	}
	return 0;
}

int
election_round_receive(struct election_round *r, const struct config *cfg,
    const struct election_vote *n, struct election_vote *out)
{
	/* only votes from voters, for voters, take part */
	if (!election_vote_is_voter(cfg, n->sid) ||
	    !election_vote_is_voter(cfg, n->leader))
		return 0;
	switch (n->state) {
	case ELECTION_LOOKING:
		return looking(r, cfg, n);
	case ELECTION_FOLLOWING:
	case ELECTION_LEADING:
		return out_of_election(r, cfg, n, out);
	case ELECTION_OBSERVING:
	case ELECTION_STANDALONE:
		break;
	}
	return 0;
}

int
election_round_interrupts(const struct election_round *r,
    const struct config *cfg, const struct election_vote *n)
{
	return election_vote_is_voter(cfg, n->sid) &&
	    election_vote_better(n, &r->proposal, cfg);
}

void
election_round_decide(const struct election_round *r,
    struct election_vote *out)
{
	end_vote(r, &r->proposal, out);
}
