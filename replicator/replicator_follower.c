/*
 * Following, as ZooKeeper's Learner and Follower: FOLLOWERINFO, then
 * acceptedEpoch persisted before ACKEPOCH, the sync stream written to our
 * store (TRUNC, SNAP, proposals), currentEpoch persisted and every synced
 * proposal durable before NEWLEADER is acknowledged, then UPTODATE.
 * Live: a PROPOSAL is acknowledged once our store has it durable, a COMMIT
 * is published. Local writes are forwarded to the leader as REQUESTs.
 */
#include "replicator/replicator.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

static void
send_leader(struct replicator *r, const PeerHeader *h, const void *payload,
    size_t len)
{
	if (replicator_peer_send(r->leader, NULL, 0, h, payload, len) < 0)
		log_debug("send %s to the leader failed",
		    replicator_peer_type_name(h->type));
}

static void
send_simple(struct replicator *r, PeerType type, uint64_t epoch,
    uint64_t zxid, int64_t arg)
{
	PeerHeader h = replicator_peer_header(r, type);

	h.epoch = epoch;
	h.zxid = zxid;
	h.arg = arg;
	send_leader(r, &h, NULL, 0);
}

void
replicator_follow(struct replicator *r, uint32_t leader)
{
	r->role = ROLE_FOLLOWING;
	r->role_since_ms = r->leader_last_heard_ms = loop_now_ms();
	r->leader_id = leader;
	r->established = 0;
	r->ackepoch_pending = 0;
	r->sync_newleader = 0;
	r->pending_commit = 0;
	r->leaderinfo_epoch = 0;
	r->last_proposed = r->store_logged;
	replicator_peer_connect(r, leader);
	loop_add_sock(r->c->loop, r->leader, replicator_dispatch_leader, r);
	log_info("following leader sid=%u from zxid=0x%" PRIx64, leader,
	    r->store_logged);
	send_simple(r, PeerType_FOLLOWERINFO, r->accepted_epoch,
	    r->store_logged, r->observing);
}

static void
maybe_ackepoch(struct replicator *r)
{
	if (!r->ackepoch_pending || r->accepted_epoch < r->leaderinfo_epoch)
		return;
	r->ackepoch_pending = 0;
	send_simple(r, PeerType_ACKEPOCH, r->current_epoch, r->store_logged, 0);
}

static void
leaderinfo(struct replicator *r, uint64_t epoch)
{
	if (epoch < r->accepted_epoch) {
		replicator_go_looking(r, "leader offers an older epoch");
		return;
	}
	r->leaderinfo_epoch = epoch;
	r->ackepoch_pending = 1;
	/* acceptedEpoch is durable before we promise anything */
	if (epoch > r->accepted_epoch)
		replicator_store_epoch(r, epoch, 0);
	else
		maybe_ackepoch(r);
}

/* NEWLEADER is acknowledged once all of the sync is durable here. */
static void
maybe_ack_newleader(struct replicator *r)
{
	uint64_t epoch = zxid_epoch(r->newleader_zxid);

	if (!r->sync_newleader || r->epoch_pending || r->snap_installing ||
	    r->store_logged < r->last_proposed)
		return;
	if (r->current_epoch < epoch) {
		replicator_store_epoch(r, 0, epoch);
		return;
	}
	r->sync_newleader = 0;
	send_simple(r, PeerType_ACK, epoch, r->store_logged, 1);
}

/* A batch of proposals: queue and log each one we do not have. */
static void
proposals(struct replicator *r, struct peer_msg *m)
{
	const uint8_t *p = m->payload, *val;
	struct cmd_key key;
	size_t vlen;
	int rc;

	if (!m->has_payload)
		return;
	while ((rc = msg_batch_next(&p, m->payload + m->len, &val,
	    &vlen)) == 1) {
		if (cmd_peek(val, vlen, &key) < 0) {
			rc = -1;
			break;
		}
		if (!replicator_take_proposal(r, &key, val, vlen))
			continue;
		/* the leader rolled into a new epoch without an election */
		if (r->established && zxid_epoch(key.zxid) >
		    r->current_epoch && !r->epoch_pending)
			replicator_store_epoch(r, zxid_epoch(key.zxid),
			    zxid_epoch(key.zxid));
	}
	if (rc < 0)
		replicator_go_looking(r, "the leader sent a malformed "
		    "PROPOSAL batch");
}

static void
commit(struct replicator *r, uint64_t zxid)
{
	if (!r->established) {
		if (zxid > r->pending_commit)
			r->pending_commit = zxid;
		return;
	}
	replicator_commit(r, zxid < r->last_proposed ? zxid :
	    r->last_proposed);
}

static void
uptodate(struct replicator *r, const struct peer_msg *m)
{
	uint64_t c = r->pending_commit > r->leader_takeover ?
	    r->pending_commit : r->leader_takeover;

	if (c > r->last_proposed)
		c = r->last_proposed;
	log_info("following leader sid=%u: up to date at zxid=0x%" PRIx64
	    " epoch %" PRIu64, r->leader_id, c, r->current_epoch);
	replicator_commit(r, c);
	if (m->has_payload)
		replicator_reconfig_learned(r, m->payload, m->len);
	/*
	 * Our frontends resubmit what they have not seen committed once they
	 * reach the start we give them. A write we forwarded before this sync
	 * may already be (or soon be) committed by the same leader: it is in
	 * what the leader sent us up to now, never after, since the leader
	 * proposes a learner's requests only while it is up to date. Start
	 * at the end of what we received, not at the leader's takeover, or
	 * that write is applied twice.
	 */
	replicator_serve(r, r->last_proposed > r->leader_takeover ?
	    r->last_proposed : r->leader_takeover);
	replicator_settled(r);
}

static void
relay_snapshot(struct replicator *r, struct peer_msg *m)
{
	Envelope env;

	switch (m->h.type) {
	case PeerType_SNAP:
		log_info("sync from sid=%u: SNAP", r->leader_id);
		r->snap_installing = 1;
		env = msg_env(MsgType_STORE_SNAP_INSTALL);
		replicator_send_store(r, &env, NULL, 0);
		break;
	case PeerType_SNAP_CHUNK:
		env = msg_env(MsgType_STORE_SNAP_CHUNK);
		env.arg = m->h.arg;
		replicator_send_store(r, &env, m->payload != NULL ? m->payload :
		    (const uint8_t *)"", m->len);
		break;
	default:	/* SNAP_END */
		env = msg_env(MsgType_STORE_SNAP_END);
		env.zxid = m->h.zxid;
		replicator_send_store(r, &env, NULL, 0);
		r->last_proposed = m->h.zxid;
		break;
	}
}

static void
truncate_log(struct replicator *r, uint64_t zxid)
{
	Envelope env = msg_env(MsgType_STORE_TRUNC);

	log_info("sync from sid=%u: TRUNC to zxid=0x%" PRIx64 " (we have "
	    "0x%" PRIx64 ")", r->leader_id, zxid, r->last_proposed);
	env.zxid = zxid;
	replicator_send_store(r, &env, NULL, 0);
	r->last_proposed = zxid;
	replicator_queue_clear(r);
}

static void
ping(struct replicator *r)
{
	PeerHeader h = replicator_peer_header(r, PeerType_PING);

	h.zxid = r->store_logged;
	send_leader(r, &h, r->ntouches ? r->touches : NULL, r->ntouches);
	r->ntouches = 0;
}

void
replicator_follower_peer(struct replicator *r, struct peer_msg *m)
{
	if (m->h.sid != r->leader_id)
		return;
	r->leader_last_heard_ms = loop_now_ms();
	switch (m->h.type) {
	case PeerType_LEADERINFO:
		leaderinfo(r, m->h.epoch);
		break;
	case PeerType_DIFF:
		log_info("sync from sid=%u: DIFF from zxid=0x%" PRIx64,
		    r->leader_id, m->h.zxid);
		break;
	case PeerType_TRUNC:
		truncate_log(r, m->h.zxid);
		break;
	case PeerType_SNAP:
	case PeerType_SNAP_CHUNK:
	case PeerType_SNAP_END:
		relay_snapshot(r, m);
		break;
	case PeerType_PROPOSAL:
		proposals(r, m);
		break;
	case PeerType_COMMIT:
		commit(r, m->h.zxid);
		break;
	case PeerType_NEWLEADER:
		r->sync_newleader = 1;
		r->newleader_zxid = m->h.zxid;
		r->leader_takeover = (uint64_t)m->h.arg;
		maybe_ack_newleader(r);
		break;
	case PeerType_UPTODATE:
		uptodate(r, m);
		break;
	case PeerType_PING:
		break;
	default:
		log_debug("leader sent unexpected %s",
		    replicator_peer_type_name(m->h.type));
		break;
	}
}

void
replicator_follower_store_state(struct replicator *r)
{
	if (r->snap_installing && r->store_logged >= r->last_proposed)
		r->snap_installing = 0;
	maybe_ackepoch(r);
	maybe_ack_newleader(r);
}

void
replicator_follower_store_ack(struct replicator *r)
{
	if (r->established)
		send_simple(r, PeerType_ACK, r->current_epoch, r->store_logged,
		    0);
	maybe_ack_newleader(r);
}

/* Our frontends' writes go to the leader as they came: one batch. */
void
replicator_follower_submit(struct replicator *r, const struct msg *m)
{
	PeerHeader h = replicator_peer_header(r, PeerType_REQUEST);

	if (m->has_payload)
		send_leader(r, &h, m->payload, m->len);
}

void
replicator_follower_touch(struct replicator *r, const uint8_t *ids,
    size_t len)
{
	if (r->ntouches + len > r->touches_cap) {
		r->touches_cap = (r->ntouches + len) * 2;
		r->touches = xrealloc(r->touches, r->touches_cap);
	}
	memcpy(r->touches + r->ntouches, ids, len);
	r->ntouches += len;
}

void
replicator_follower_tick(struct replicator *r)
{
	uint64_t now = loop_now_ms();
	const struct config *cfg = &r->c->cfg;

	if (now - r->leader_last_heard_ms >
	    (uint64_t)cfg->sync_limit * r->tick_ms) {
		replicator_go_looking(r, "the leader is silent");
		return;
	}
	if (!r->established && now - r->role_since_ms >
	    (uint64_t)cfg->init_limit * r->tick_ms) {
		replicator_go_looking(r, "no sync within initLimit");
		return;
	}
	/* the leader may not have been leading yet when we said hello */
	if (r->leaderinfo_epoch == 0 && !r->ackepoch_pending)
		send_simple(r, PeerType_FOLLOWERINFO, r->accepted_epoch,
		    r->store_logged, r->observing);
	ping(r);
}
