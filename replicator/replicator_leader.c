/*
 * Leading, as ZooKeeper's Leader and LearnerHandler:
 *   discovery  FOLLOWERINFO from a quorum -> new epoch = max(accepted) + 1,
 *              persisted as acceptedEpoch before LEADERINFO goes out;
 *   sync       per learner after its ACKEPOCH: DIFF, TRUNC+DIFF, TRUNC or
 *              SNAP(+DIFF), then NEWLEADER; a quorum of NEWLEADER ACKs ->
 *              currentEpoch persisted, our log committed, UPTODATE;
 *   broadcast  PROPOSAL to synced learners, cumulative ACKs, COMMIT once a
 *              quorum (our store counting as one voter) holds a zxid.
 * The store streams one learner's DIFF or SNAP at a time; proposals made
 * meanwhile reach that learner as the tail of its sync.
 */
#include "replicator/replicator.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/membership.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

static size_t
quorum(const struct replicator *r)
{
	return replicator_nvoters(r) / 2 + 1;
}

static void
send_learner(struct replicator *r, struct learner *l, const PeerHeader *h,
    const void *payload, size_t len)
{
	if (replicator_peer_send(r->quorum, l->ident, l->ident_len, h, payload,
	    len) < 0)
		log_debug("send %s to sid=%u failed",
		    replicator_peer_type_name(h->type), l->sid);
}

static void
send_simple(struct replicator *r, struct learner *l, PeerType type,
    uint64_t zxid, int64_t arg)
{
	PeerHeader h = replicator_peer_header(r, type);

	h.epoch = r->new_epoch;
	h.zxid = zxid;
	h.arg = arg;
	send_learner(r, l, &h, NULL, 0);
}

/* A batch of proposals (cmd.h) whose last zxid is last. */
static void
send_proposals(struct replicator *r, struct learner *l, const uint8_t *batch,
    size_t len, uint64_t last)
{
	PeerHeader h = replicator_peer_header(r, PeerType_PROPOSAL);

	h.epoch = r->new_epoch;
	h.zxid = last;
	send_learner(r, l, &h, batch, len);
	l->streamed = last;
}

/* UPTODATE carries our membership: a learner synced by snapshot past a
 * reconfig learns it here (ZooKeeper's NEWLEADER carries it). */
static void
send_uptodate(struct replicator *r, struct learner *l)
{
	PeerHeader h = replicator_peer_header(r, PeerType_UPTODATE);
	char *text = xmalloc(MEMBERSHIP_TEXT_MAX);
	size_t len = replicator_reconfig_text(r, text, MEMBERSHIP_TEXT_MAX);

	h.epoch = r->new_epoch;
	send_learner(r, l, &h, text, len);
	free(text);
}

static struct learner *
find(struct replicator *r, uint32_t sid)
{
	for (size_t i = 0; i < r->nlearners; i++)
		if (r->learners[i]->sid == sid)
			return r->learners[i];
	return NULL;
}

static void
drop(struct replicator *r, struct learner *l, const char *why)
{
	log_info("learner sid=%u dropped: %s", l->sid, why);
	if (r->syncing == l)
		r->syncing = NULL;	/* its stream is drained and ignored */
	for (size_t i = 0; i < r->nlearners; i++) {
		if (r->learners[i] != l)
			continue;
		r->learners[i] = r->learners[--r->nlearners];
		break;
	}
	free(l);
}

void
replicator_leader_hold(struct replicator *r, const struct peer_msg *m)
{
	struct held_hello *h = NULL;

	if (m->h.sid < 1 || m->h.sid > 254 || m->h.sid == r->myid ||
	    m->ident_len > sizeof(h->ident))
		return;
	for (size_t i = 0; i < CONFIG_MAX_SERVERS && h == NULL; i++)
		if (r->held[i].sid == m->h.sid)
			h = &r->held[i];
	for (size_t i = 0; i < CONFIG_MAX_SERVERS && h == NULL; i++)
		if (r->held[i].sid == 0)
			h = &r->held[i];
	if (h == NULL)
		return;	/* it says hello again every tick */
	h->sid = m->h.sid;
	memcpy(h->ident, m->ident, m->ident_len);
	h->ident_len = m->ident_len;
	h->epoch = m->h.epoch;
	h->zxid = m->h.zxid;
	h->arg = m->h.arg;
	h->at_ms = loop_now_ms();
	log_debug("learner sid=%u: FOLLOWERINFO while looking, held",
	    h->sid);
}

/*
 * The hellos held while we looked, as if they came now. One older than a
 * tick is stale: a learner still waiting for us repeats it every
 * tickTime/2, and one that gave up must not count for our new epoch.
 */
static void
take_held(struct replicator *r)
{
	uint64_t now = loop_now_ms();
	struct peer_msg m;

	for (size_t i = 0; i < CONFIG_MAX_SERVERS; i++) {
		struct held_hello *h = &r->held[i];

		if (h->sid == 0)
			continue;
		if (now - h->at_ms <= r->tick_ms) {
			memset(&m, 0, sizeof(m));
			memcpy(m.ident, h->ident, h->ident_len);
			m.ident_len = h->ident_len;
			m.h = replicator_peer_header(r, PeerType_FOLLOWERINFO);
			m.h.sid = h->sid;
			m.h.epoch = h->epoch;
			m.h.zxid = h->zxid;
			m.h.arg = h->arg;
			replicator_leader_peer(r, &m);
		}
		h->sid = 0;
	}
}

void
replicator_lead(struct replicator *r)
{
	r->role = ROLE_LEADING;
	r->role_since_ms = loop_now_ms();
	r->leader_id = r->myid;
	r->established = 0;
	r->new_epoch = 0;
	r->leaderinfo_sent = 0;
	r->establishing = 0;
	r->takeover_zxid = r->last_proposed = r->store_logged;
	log_info("leading: discovery from zxid=0x%" PRIx64 " (accepted epoch "
	    "%" PRIu64 ")", r->takeover_zxid, r->accepted_epoch);
	take_held(r);
}

void
replicator_leader_stop(struct replicator *r)
{
	while (r->nlearners > 0)
		drop(r, r->learners[0], "leadership ended");
	r->syncing = NULL;
	r->sync_busy = 0;
	r->new_epoch = 0;
	cmd_batch_clear(&r->peer_batch);
}

/* Discovery: a quorum told us its acceptedEpoch, pick the next one. */
static void
maybe_new_epoch(struct replicator *r)
{
	uint64_t e = r->accepted_epoch;
	size_t n = 1;

	if (r->new_epoch != 0)
		return;
	/* an epoch entered by counter rollover counts as accepted */
	if (zxid_epoch(r->takeover_zxid) > e)
		e = zxid_epoch(r->takeover_zxid);
	for (size_t i = 0; i < r->nlearners; i++) {
		if (!r->learners[i]->voter)
			continue;
		n++;
		if (r->learners[i]->accepted_epoch > e)
			e = r->learners[i]->accepted_epoch;
		if (zxid_epoch(r->learners[i]->info_zxid) > e)
			e = zxid_epoch(r->learners[i]->info_zxid);
	}
	if (n < quorum(r))
		return;
	r->new_epoch = e + 1;
	log_info("leading: new epoch %" PRIu64 " (from %zu voters)",
	    r->new_epoch, n);
	replicator_store_epoch(r, r->new_epoch, 0);
}

static void start_sync_next(struct replicator *);

static void
send_leaderinfo(struct replicator *r, struct learner *l)
{
	if (l->state == LEARNER_INFO)
		send_simple(r, l, PeerType_LEADERINFO, 0, 0);
}

static void
request_log(struct replicator *r, uint64_t from)
{
	Envelope env = msg_env(MsgType_STORE_LOG_REQ);

	env.zxid = from;
	env.arg = (int64_t)r->last_proposed;
	r->sync_from = from;
	r->sync_busy = 1;
	replicator_send_store(r, &env, NULL, 0);
}

static void
request_snap(struct replicator *r, struct learner *l)
{
	Envelope env = msg_env(MsgType_STORE_SNAP_REQ);

	log_info("sync sid=%u: SNAP (its zxid=0x%" PRIx64 " is below our "
	    "log at 0x%" PRIx64 ")", l->sid, l->last_zxid, r->log_base);
	send_simple(r, l, PeerType_SNAP, 0, 0);
	r->sync_busy = 1;
	replicator_send_store(r, &env, NULL, 0);
}

/*
 * The learner has everything up to l->streamed: send it the in-memory
 * tail, what is committed, and NEWLEADER. From here on it gets live
 * proposals.
 */
static void
finish_sync(struct replicator *r, struct learner *l)
{
	struct cmd_batch tail = { 0 };

	/* the synced get this iteration's proposals; l gets them below */
	replicator_leader_flush(r);
	for (size_t i = 0; i < r->qlen; i++) {
		struct proposal *p = replicator_queue_at(r, i);

		if (p->key.zxid > l->streamed)
			cmd_batch_add_value(&tail, p->val, p->vlen, p->key.zxid,
			    p->key.prev_zxid);
	}
	if (tail.n > 0)
		send_proposals(r, l, tail.buf, tail.len, tail.last_zxid);
	cmd_batch_free(&tail);
	if (r->established)
		send_simple(r, l, PeerType_COMMIT, r->last_committed, 0);
	send_simple(r, l, PeerType_NEWLEADER, zxid_make((uint32_t)r->new_epoch,
	    0), (int64_t)r->takeover_zxid);
	l->state = LEARNER_SYNCED;
	if (r->syncing == l)
		r->syncing = NULL;
	r->sync_busy = 0;
	start_sync_next(r);
}

static void
send_diff_header(struct replicator *r, struct learner *l, uint64_t from)
{
	if (r->sync_header_sent)
		return;
	r->sync_header_sent = 1;
	log_info("sync sid=%u: DIFF from zxid=0x%" PRIx64 " to 0x%" PRIx64,
	    l->sid, from, r->last_proposed);
	send_simple(r, l, PeerType_DIFF, from, 0);
}

/* Sync the next learner that acknowledged the epoch. */
static void
start_sync_next(struct replicator *r)
{
	struct learner *l = NULL;

	if (r->sync_busy || r->syncing != NULL)
		return;
	for (size_t i = 0; i < r->nlearners && l == NULL; i++)
		if (r->learners[i]->state == LEARNER_EPOCH_ACKED)
			l = r->learners[i];
	if (l == NULL)
		return;
	r->syncing = l;
	r->sync_header_sent = 0;
	l->state = LEARNER_SYNCING;
	l->streamed = l->last_zxid;
	switch (replicator_sync_choose(l->last_zxid, r->last_proposed,
	    r->log_base)) {
	case SYNC_TRUNC:
		log_info("sync sid=%u: TRUNC to zxid=0x%" PRIx64 " (it has "
		    "0x%" PRIx64 ")", l->sid, r->last_proposed, l->last_zxid);
		send_simple(r, l, PeerType_TRUNC, r->last_proposed, 0);
		l->streamed = r->last_proposed;
		finish_sync(r, l);
		break;
	case SYNC_SNAP:
		request_snap(r, l);
		break;
	case SYNC_DIFF:
		if (l->last_zxid == r->last_proposed) {
			send_diff_header(r, l, l->last_zxid);
			finish_sync(r, l);
		} else
			request_log(r, l->last_zxid);
		break;
	}
}

/* A DIFF or SNAP stream from our store, for r->syncing. */
void
replicator_leader_store(struct replicator *r, struct msg *m)
{
	struct learner *l = r->syncing;
	int end = m->env.type == MsgType_STORE_LOG_END ||
	    m->env.type == MsgType_STORE_SNAP_END;

	if (l == NULL) {	/* its learner went away mid-stream */
		if (end) {
			r->sync_busy = 0;
			start_sync_next(r);
		}
		return;
	}
	switch (m->env.type) {
	case MsgType_STORE_LOG_ENTRY:
		send_diff_header(r, l, l->streamed);
		if (m->has_payload)
			send_proposals(r, l, m->payload, m->len, m->env.zxid);
		break;
	case MsgType_STORE_LOG_END:
		if (m->env.err == -2 &&
		    !replicator_sync_trunc_ok(m->env.prev_zxid, l->last_zxid)) {
			log_info("sync sid=%u: cannot TRUNC zxid=0x%" PRIx64
			    ": our next entry 0x%" PRIx64 " is in another epoch",
			    l->sid, l->last_zxid, m->env.prev_zxid);
			request_snap(r, l);
		} else if (m->env.err == -2) {
			log_info("sync sid=%u: TRUNC to zxid=0x%" PRIx64
			    " then DIFF", l->sid, m->env.zxid);
			send_simple(r, l, PeerType_TRUNC, m->env.zxid, 0);
			l->streamed = m->env.zxid;
			request_log(r, m->env.zxid);
		} else if (m->env.err == -1)
			request_snap(r, l);
		else if (m->env.zxid < r->store_logged &&
		    m->env.zxid > r->sync_from)
			request_log(r, m->env.zxid);	/* a capped stream */
		else {
			send_diff_header(r, l, l->streamed);
			finish_sync(r, l);
		}
		break;
	case MsgType_STORE_SNAP_CHUNK: {
		PeerHeader h = replicator_peer_header(r, PeerType_SNAP_CHUNK);

		h.arg = m->env.arg;
		send_learner(r, l, &h, m->payload ? m->payload : (const
		    uint8_t *)"", m->len);
		break;
	}
	case MsgType_STORE_SNAP_END:
		send_simple(r, l, PeerType_SNAP_END, m->env.zxid, 0);
		l->streamed = m->env.zxid;
		/* the snapshot is at our last applied: DIFF the rest */
		r->sync_header_sent = 1;
		request_log(r, m->env.zxid);
		break;
	default:
		break;
	}
}

static void
establish(struct replicator *r)
{
	r->establishing = 0;
	log_info("leading: epoch %" PRIu64 " established with a quorum, "
	    "committing our log up to zxid=0x%" PRIx64, r->new_epoch,
	    r->takeover_zxid);
	replicator_commit(r, r->takeover_zxid);
	replicator_reconfig_establish(r);
	for (size_t i = 0; i < r->nlearners; i++) {
		struct learner *l = r->learners[i];

		if (!l->newleader_acked)
			continue;
		send_simple(r, l, PeerType_COMMIT, r->last_committed, 0);
		send_uptodate(r, l);
		l->state = LEARNER_UPTODATE;
	}
	replicator_serve(r, r->takeover_zxid);
	{
		Envelope env = msg_env(MsgType_STORE_SESSIONS_REQ);

		replicator_send_store(r, &env, NULL, 0);
	}
	replicator_settled(r);
}

/* A quorum acknowledged NEWLEADER: persist currentEpoch, then serve. */
static void
maybe_establish(struct replicator *r)
{
	size_t n = 1;

	if (r->established || r->establishing || r->new_epoch == 0 ||
	    r->accepted_epoch < r->new_epoch)
		return;
	for (size_t i = 0; i < r->nlearners; i++)
		n += r->learners[i]->voter && r->learners[i]->newleader_acked;
	if (n < quorum(r))
		return;
	r->establishing = 1;
	if (r->current_epoch >= r->new_epoch)
		establish(r);
	else
		replicator_store_epoch(r, 0, r->new_epoch);
}

void
replicator_leader_store_state(struct replicator *r)
{
	if (r->new_epoch != 0 && r->accepted_epoch >= r->new_epoch &&
	    !r->leaderinfo_sent) {
		r->leaderinfo_sent = 1;
		for (size_t i = 0; i < r->nlearners; i++)
			send_leaderinfo(r, r->learners[i]);
	}
	if (r->establishing && r->current_epoch >= r->new_epoch)
		establish(r);
	maybe_establish(r);
}

void
replicator_leader_advance(struct replicator *r)
{
	uint64_t acked[1 + 64], c;
	size_t n = 0;

	r->advance_pending = 0;
	if (r->role != ROLE_LEADING || !r->established)
		return;
	acked[n++] = r->store_logged;
	for (size_t i = 0; i < r->nlearners && n < 65; i++) {
		struct learner *l = r->learners[i];

		if (l->voter && l->state >= LEARNER_SYNCED)
			acked[n++] = l->acked;
	}
	c = replicator_quorum_commit(acked, n, replicator_nvoters(r));
	c = replicator_reconfig_limit(r, c);
	if (c > r->last_proposed)
		c = r->last_proposed;
	if (c <= r->last_committed || zxid_epoch(c) < r->new_epoch)
		return;
	replicator_commit(r, c);
	for (size_t i = 0; i < r->nlearners; i++)
		if (r->learners[i]->state >= LEARNER_SYNCED)
			send_simple(r, r->learners[i], PeerType_COMMIT, c, 0);
}

/* ACKs read in one loop iteration are counted once, before it sleeps. */
void
replicator_leader_store_ack(struct replicator *r)
{
	r->advance_pending = 1;
}

/* Proposals join this iteration's batch to the synced learners. */
void
replicator_leader_proposed(struct replicator *r, struct proposal *p)
{
	cmd_batch_add_value(&r->peer_batch, p->val, p->vlen, p->key.zxid,
	    p->key.prev_zxid);
}

void
replicator_leader_flush(struct replicator *r)
{
	struct cmd_batch *b = &r->peer_batch;

	if (b->n == 0)
		return;
	for (size_t i = 0; i < r->nlearners; i++)
		if (r->learners[i]->state >= LEARNER_SYNCED)
			send_proposals(r, r->learners[i], b->buf, b->len,
			    b->last_zxid);
	cmd_batch_clear(b);
}

static struct learner *
followerinfo(struct replicator *r, struct peer_msg *m)
{
	struct learner *l = find(r, m->h.sid);

	if (l != NULL && l->state == LEARNER_INFO) {
		/* a repeated hello: answer it again if we can */
		l->accepted_epoch = m->h.epoch;
		l->info_zxid = m->h.zxid;
		if (r->leaderinfo_sent)
			send_leaderinfo(r, l);
		return l;
	}
	if (l != NULL)
		drop(r, l, "it reconnected");
	l = xcalloc(1, sizeof(*l));
	l->sid = m->h.sid;
	memcpy(l->ident, m->ident, m->ident_len);
	l->ident_len = m->ident_len;
	l->state = LEARNER_INFO;
	/* a server joining by reconfig: a non-voter until it commits */
	l->observer = m->h.arg != 0;
	l->voter = !l->observer && replicator_is_voter(r, m->h.sid) == 1;
	l->accepted_epoch = m->h.epoch;
	l->info_zxid = m->h.zxid;
	l->last_heard_ms = loop_now_ms();
	if (r->nlearners == r->learners_cap) {
		r->learners_cap = r->learners_cap ? r->learners_cap * 2 : 8;
		r->learners = xreallocarray(r->learners, r->learners_cap,
		    sizeof(*r->learners));
	}
	r->learners[r->nlearners++] = l;
	log_info("learner sid=%u: FOLLOWERINFO accepted epoch %" PRIu64
	    " zxid=0x%" PRIx64, l->sid, l->accepted_epoch, m->h.zxid);
	if (r->leaderinfo_sent)
		send_leaderinfo(r, l);
	else
		maybe_new_epoch(r);
	return l;
}

static void
ack(struct replicator *r, struct learner *l, const PeerHeader *h)
{
	if (h->zxid > l->acked)
		l->acked = h->zxid;
	if (h->arg == 1 && l->state == LEARNER_SYNCED && !l->newleader_acked) {
		l->newleader_acked = 1;
		if (r->established) {
			send_uptodate(r, l);
			l->state = LEARNER_UPTODATE;
			log_info("learner sid=%u up to date", l->sid);
		} else
			maybe_establish(r);
	}
	r->advance_pending = 1;
}

static void
request(struct replicator *r, struct learner *l, struct peer_msg *m)
{
	if (!r->established || l->state != LEARNER_UPTODATE)
		return;	/* its frontend resubmits after the next sync */
	if (m->has_payload &&
	    replicator_propose_batch(r, m->payload, m->len) < 0)
		log_warnx("sid=%u sent a malformed REQUEST batch", l->sid);
}

void
replicator_leader_peer(struct replicator *r, struct peer_msg *m)
{
	struct learner *l;

	if (m->h.sid < 1 || m->h.sid > 254 || m->h.sid == r->myid) {
		log_warnx("peer message from sid=%u dropped", m->h.sid);
		return;
	}
	if (m->h.type == PeerType_FOLLOWERINFO) {
		followerinfo(r, m);
		return;
	}
	if ((l = find(r, m->h.sid)) == NULL)
		return;	/* not (or no longer) one of ours */
	l->last_heard_ms = loop_now_ms();
	switch (m->h.type) {
	case PeerType_ACKEPOCH:
		if (l->state != LEARNER_INFO)
			break;
		l->last_zxid = m->h.zxid;
		l->state = LEARNER_EPOCH_ACKED;
		start_sync_next(r);
		break;
	case PeerType_ACK:
		ack(r, l, &m->h);
		break;
	case PeerType_PING:
		if (r->established && m->has_payload)
			replicator_session_touch(r, m->payload, m->len);
		break;
	case PeerType_REQUEST:
		request(r, l, m);
		break;
	default:
		log_debug("sid=%u sent unexpected %s", l->sid,
		    replicator_peer_type_name(m->h.type));
		break;
	}
}

/* Every tick: ping, drop the silent, step down without a quorum. */
void
replicator_leader_tick(struct replicator *r)
{
	uint64_t now = loop_now_ms();
	uint64_t limit = (uint64_t)r->c->cfg.sync_limit * r->tick_ms;
	size_t alive = 1;

	for (size_t i = 0; i < r->nlearners; i++) {
		struct learner *l = r->learners[i];

		if (now - l->last_heard_ms > limit) {
			drop(r, l, "silent for syncLimit");
			i--;
			continue;
		}
		send_simple(r, l, PeerType_PING, r->last_committed, 0);
		alive += l->voter && l->state >= LEARNER_SYNCED;
	}
	if (!r->established) {
		if (now - r->role_since_ms >
		    (uint64_t)r->c->cfg.init_limit * r->tick_ms)
			replicator_go_looking(r, "no quorum within initLimit");
		return;
	}
	if (alive < quorum(r))
		replicator_go_looking(r, "lost the quorum");
}
