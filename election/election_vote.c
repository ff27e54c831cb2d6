/*
 * The rules of FastLeaderElection that a ZooKeeper reviewer checks, as pure
 * functions: vote order (totalOrderPredicate), quorum (termPredicate over
 * the participants), checkLeader, and the notification codec that turns
 * network bytes into a validated vote.
 */
#include "election/election.h"

#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

/* msg.h only carries the Envelope; the peer codec is this module's. */
#include "election.pb.h"

int
election_vote_index(const struct config *cfg, uint32_t sid)
{
	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].id == sid)
			return i;
	return -1;
}

int
election_vote_is_voter(const struct config *cfg, uint32_t sid)
{
	return config_server_role(cfg->servers, cfg->nservers, sid) == 1;
}

int
election_vote_better(const struct election_vote *nv,
    const struct election_vote *cur, const struct config *cfg)
{
	/* ZooKeeper: getWeight(newId) == 0 never wins */
	if (!election_vote_is_voter(cfg, nv->leader))
		return 0;
	/* an observer starts with (MIN, MIN, MIN): anything beats it */
	if (!election_vote_is_voter(cfg, cur->leader))
		return 1;
	if (nv->peer_epoch != cur->peer_epoch)
		return nv->peer_epoch > cur->peer_epoch;
	if (nv->zxid != cur->zxid)
		return nv->zxid > cur->zxid;
	return nv->leader > cur->leader;
}

int
election_vote_equal(const struct election_vote *a,
    const struct election_vote *b)
{
	/*
	 * Out of election the zxid and round differ between servers that
	 * joined the leader at different times: leader and epoch decide.
	 */
	if (a->state != ELECTION_LOOKING && b->state != ELECTION_LOOKING)
		return a->leader == b->leader && a->peer_epoch == b->peer_epoch;
	return a->leader == b->leader && a->zxid == b->zxid &&
	    a->election_epoch == b->election_epoch &&
	    a->peer_epoch == b->peer_epoch;
}

int
election_quorum_reached(const struct election_vote *votes, int n,
    const struct election_vote *target, const struct config *cfg)
{
	uint8_t seen[256];
	int participants = config_server_voters(cfg->servers, cfg->nservers);
	int acks = 0;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < n; i++) {
		uint32_t sid = votes[i].sid;

		if (sid == 0 || sid > 255 || seen[sid] ||
		    !election_vote_is_voter(cfg, sid))
			continue;
		if (!election_vote_equal(&votes[i], target))
			continue;
		seen[sid] = 1;
		acks++;
	}
	return participants > 0 && 2 * acks > participants;
}

int
election_vote_check_leader(const struct election_vote *votes, int n,
    uint32_t leader, uint64_t election_epoch, uint32_t myid,
    uint64_t logicalclock)
{
	/* if everyone else thinks we lead, we do, but only in our round */
	if (leader == myid)
		return logicalclock == election_epoch;
	/* else the leader must have said LEADING, or it may be long dead */
	for (int i = 0; i < n; i++)
		if (votes[i].sid == leader)
			return votes[i].state == ELECTION_LEADING;
	return 0;
}

size_t
election_vote_encode(const struct election_vote *v, uint8_t *buf,
    size_t len)
{
	ElectionNotification m = ElectionNotification_init_zero;
	pb_ostream_t os = pb_ostream_from_buffer(buf, len);

	m.leader = v->leader;
	m.zxid = v->zxid;
	m.election_epoch = v->election_epoch;
	m.peer_epoch = v->peer_epoch;
	m.state = (uint32_t)v->state;
	m.sid = v->sid;
	/* our own struct into a buffer sized for it: cannot fail */
	if (!pb_encode(&os, ElectionNotification_fields, &m))
		return 0;
	return os.bytes_written;
}

int
election_vote_decode(const uint8_t *buf, size_t len,
    const struct config *cfg, struct election_vote *v, const char **why)
{
	ElectionNotification m = ElectionNotification_init_zero;
	pb_istream_t is;

	if (len == 0 || len > ELECTION_NOTIFICATION_MAX) {
		*why = len == 0 ? "empty" : "too long";
		return -1;
	}
	is = pb_istream_from_buffer(buf, len);
	if (!pb_decode(&is, ElectionNotification_fields, &m)) {
		*why = "does not decode";
		return -1;
	}
	if (m.state > ELECTION_OBSERVING) {
		*why = "unknown state";
		return -1;
	}
	/*
	 * A sender missing from our config may be joining by reconfig: it is
	 * a non-voter here and gets our vote as an answer (WorkerReceiver's
	 * !validVoter branch). Its id must still be one a server can have.
	 */
	(void)cfg;
	if (m.sid < 1 || m.sid > 254) {
		*why = "sender is not a server id (1..254)";
		return -1;
	}
	if (m.leader > 254) {
		*why = "leader is not a server id (1..254)";
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->leader = m.leader;
	v->zxid = m.zxid;
	v->election_epoch = m.election_epoch;
	v->peer_epoch = m.peer_epoch;
	v->state = (enum election_state)m.state;
	v->sid = m.sid;
	return 0;
}
