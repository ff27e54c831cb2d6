/*
 * corral-election main loop: FastLeaderElection's shell. The replicator
 * starts a round with ELECTION_LOOKING, hears the decision as
 * ELECTION_RESULT and reports ELECTION_SETTLED once it serves; peers'
 * notifications come from election_net.c and go through the pure round
 * (election_round.c); this file owns the timers and the replies.
 */
#include "election/election.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/membership.h"
#include "common/msg.h"
#include "common/xmalloc.h"

/*
 * A LOOKING from the replicator with the values of the round just decided,
 * this soon after the decision, crossed our RESULT on the wire (it re-sends
 * every second while looking): answer it with the RESULT again.
 */
#define CROSSING_MS	1000

const char *
election_state_name(enum election_state s)
{
	switch (s) {
	case ELECTION_LOOKING:
		return "LOOKING";
	case ELECTION_FOLLOWING:
		return "FOLLOWING";
	case ELECTION_LEADING:
		return "LEADING";
	case ELECTION_OBSERVING:
		return "OBSERVING";
	case ELECTION_STANDALONE:
		return "STANDALONE";
	}
	return "unknown";
}

static void
send_result(struct election *e)
{
	Envelope env = msg_env(MsgType_ELECTION_RESULT);

	if (e->repl_ident_len == 0)
		return;
	env.arg = e->state;
	env.origin = e->leader;
	if (e->state != ELECTION_LOOKING && e->state != ELECTION_STANDALONE) {
		env.zxid = e->current.zxid;
		env.seq = e->current.peer_epoch;
		env.generation = e->current.election_epoch;
	}
	if (msg_send(e->router, e->repl_ident, e->repl_ident_len, &env,
	    NULL, 0) < 0)
		log_debug("result to the replicator dropped");
}

static void
set_status(struct election *e)
{
	if (e->state == ELECTION_LOOKING)
		child_status(e->c, "LOOKING round %" PRIu64,
		    e->round.logicalclock);
	else
		child_status(e->c, "%s leader=%u epoch=%" PRIu64,
		    election_state_name(e->state), e->leader,
		    e->current.peer_epoch);
}

static void
stop_timers(struct election *e)
{
	if (e->notify_timer != 0)
		loop_cancel_timer(e->c->loop, e->notify_timer);
	if (e->finalize_timer != 0)
		loop_cancel_timer(e->c->loop, e->finalize_timer);
	e->notify_timer = e->finalize_timer = 0;
}

/* No notification for notify_ms: resend ours, back off (ZooKeeper). */
static void
notify_timeout(struct loop *l, void *arg)
{
	struct election *e = arg;

	(void)l;
	e->notify_timer = 0;
	if (e->state != ELECTION_LOOKING)
		return;
	election_net_send_voters(e->net, &e->round.proposal);
	e->notify_ms = e->notify_ms * 2 < ELECTION_NOTIFY_MAX ?
	    e->notify_ms * 2 : ELECTION_NOTIFY_MAX;
	log_info("notification timeout, next in %d ms (round %" PRIu64 ")",
	    e->notify_ms, e->round.logicalclock);
	e->notify_timer = loop_add_timer(e->c->loop, e->notify_ms, 0,
	    notify_timeout, e);
}

/* Wait notify_ms from now (lookForLeader polls its queue this long). */
static void
arm_notify(struct election *e)
{
	if (e->notify_timer != 0)
		loop_cancel_timer(e->c->loop, e->notify_timer);
	e->notify_timer = loop_add_timer(e->c->loop, e->notify_ms, 0,
	    notify_timeout, e);
}

static void
decide(struct election *e, const struct election_vote *v)
{
	uint64_t now = loop_now_ms();

	stop_timers(e);
	e->current = *v;
	e->state = v->state;
	e->leader = v->leader;
	e->settled = 0;
	e->decided_ms = now;
	log_info("elected leader sid=%u epoch=%" PRIu64 " zxid=0x%" PRIx64
	    ", we are %s (round %" PRIu64 ", %d ms)", v->leader,
	    v->peer_epoch, v->zxid, election_state_name(v->state),
	    v->election_epoch, (int)(now - e->round_start_ms));
	set_status(e);
	send_result(e);
}

static void
finalize_timeout(struct loop *l, void *arg)
{
	struct election *e = arg;
	struct election_vote v;

	(void)l;
	e->finalize_timer = 0;
	election_round_decide(&e->round, &v);
	decide(e, &v);
}

/* A quorum holds our vote: decide unless a better one comes meanwhile. */
static void
start_finalize(struct election *e)
{
	stop_timers(e);
	e->finalize_timer = loop_add_timer(e->c->loop, ELECTION_FINALIZE_WAIT,
	    0, finalize_timeout, e);
}

static void
apply_steps(struct election *e, int steps, const struct election_vote *out)
{
	if (steps & ELECTION_STEP_DECIDED) {
		decide(e, out);
		return;
	}
	if (steps & ELECTION_STEP_NOTIFY)
		election_net_send_voters(e->net, &e->round.proposal);
	if (steps & ELECTION_STEP_QUORUM)
		start_finalize(e);
	else
		arm_notify(e);
}

static void
start_round(struct election *e, uint64_t zxid, uint64_t epoch)
{
	int steps;

	stop_timers(e);
	e->known = 1;
	e->settled = 0;
	e->last_zxid = zxid;
	e->cur_epoch = epoch;
	e->state = ELECTION_LOOKING;
	e->leader = 0;
	e->notify_ms = ELECTION_NOTIFY_MIN;
	e->round_start_ms = loop_now_ms();
	steps = election_round_start(&e->round, &e->c->cfg, zxid, epoch);
	log_info("new election round %" PRIu64 ": sid=%u proposes sid=%u "
	    "epoch=%" PRIu64 " zxid=0x%" PRIx64, e->round.logicalclock,
	    e->round.myid, e->round.proposal.leader,
	    e->round.proposal.peer_epoch, e->round.proposal.zxid);
	set_status(e);
	apply_steps(e, steps, NULL);
}

/* During the finalize wait only a better vote matters (ZooKeeper). */
static void
finalizing(struct election *e, const struct election_vote *n)
{
	struct election_vote out;
	int steps;

	if (!election_round_interrupts(&e->round, &e->c->cfg, n)) {
		/* dropped; lookForLeader polls finalizeWait again */
		start_finalize(e);
		return;
	}
	stop_timers(e);
	steps = election_round_receive(&e->round, &e->c->cfg, n, &out);
	apply_steps(e, steps, &out);
}

/* What a non-voter (an observer) hears when it asks. */
static void
answer_nonvoter(struct election *e, const struct election_vote *n)
{
	if (n->state != ELECTION_LOOKING)
		return;
	if (e->state == ELECTION_LOOKING)
		election_net_reply(e->net, n->sid, &e->round.proposal);
	else
		election_net_reply(e->net, n->sid, &e->current);
}

/*
 * A peer that sent its vote before our replicator spoke (we had just
 * started) would not send it again before its timeout, which may have
 * backed off to seconds: keep the last one of each, as ZooKeeper's queue
 * does, and take them in once we know our own vote.
 */
static void
keep_early(struct election *e, const struct election_vote *n)
{
	int i = election_vote_index(&e->c->cfg, n->sid);

	if (i >= 0)
		e->early[i] = *n;
}

static void
take_early(struct election *e)
{
	struct election_vote v;

	for (int i = 0; i < e->c->cfg.nservers; i++) {
		if (e->early[i].sid == 0)
			continue;
		v = e->early[i];
		e->early[i].sid = 0;
		election_receive(e, &v);
	}
}

/*
 * A voter's LOOKING vote while we still follow or lead: it lost the leader
 * before our replicator told us, and will not send it again before its
 * notification timeout, nor answer our own vote if it is worse (ZooKeeper
 * drops it the same way, and both sides then wait 200-400 ms). Keep the
 * last one of each voter for our next round, as if it came a bit later.
 */
static void
hold(struct election *e, const struct election_vote *n)
{
	int i = election_vote_index(&e->c->cfg, n->sid);

	if (i < 0)
		return;
	e->held[i] = *n;
	e->held_ms[i] = loop_now_ms();
}

/* Our round started: take in what was held, if it is still fresh. */
static void
take_held(struct election *e)
{
	uint64_t now = loop_now_ms();
	struct election_vote v;

	for (int i = 0; i < e->c->cfg.nservers; i++) {
		if (e->held[i].sid == 0)
			continue;
		v = e->held[i];
		e->held[i].sid = 0;
		/* stale, or the early ones decided already: it re-sends */
		if (now - e->held_ms[i] > ELECTION_HELD_MS ||
		    e->state != ELECTION_LOOKING)
			continue;
		log_debug("taking in sid=%u's vote held for %" PRIu64 " ms",
		    v.sid, now - e->held_ms[i]);
		election_receive(e, &v);
	}
}

void
election_receive(struct election *e, const struct election_vote *n)
{
	struct election_vote out;
	int steps;

	log_debug("notification from sid=%u: %s, leader sid=%u epoch=%"
	    PRIu64 " zxid=0x%" PRIx64 " round %" PRIu64, n->sid,
	    election_state_name(n->state), n->leader, n->peer_epoch, n->zxid,
	    n->election_epoch);
	if (n->sid == e->round.myid)
		return;
	/* until the replicator told us our zxid we have no vote to give */
	if (!e->known) {
		keep_early(e, n);
		return;
	}
	if (!election_vote_is_voter(&e->c->cfg, n->sid)) {
		answer_nonvoter(e, n);
		return;
	}
	if (e->state != ELECTION_LOOKING) {
		/* a late or restarted server learns the sitting leader */
		if (n->state == ELECTION_LOOKING) {
			election_net_reply(e->net, n->sid, &e->current);
			hold(e, n);
		}
		return;
	}
	/* WorkerReceiver: a LOOKING voter behind our round hears our vote */
	if (e->round.voter && n->state == ELECTION_LOOKING &&
	    n->election_epoch < e->round.logicalclock)
		election_net_reply(e->net, n->sid, &e->round.proposal);
	if (e->finalize_timer != 0) {
		finalizing(e, n);
		return;
	}
	steps = election_round_receive(&e->round, &e->c->cfg, n, &out);
	apply_steps(e, steps, &out);
}

void
election_peer_connected(struct election *e, uint32_t sid)
{
	/* what QuorumCnxManager does on connect: send the last message */
	if (e->known && e->state == ELECTION_LOOKING &&
	    election_vote_is_voter(&e->c->cfg, sid))
		election_net_send(e->net, sid, &e->round.proposal);
}

static void
on_looking(struct election *e, const Envelope *env)
{
	int same = env->zxid == e->last_zxid && env->seq == e->cur_epoch;

	if (e->net == NULL) {
		send_result(e);
		return;
	}
	/* re-sent every second while the replicator looks: a no-op */
	if (e->known && e->state == ELECTION_LOOKING && same)
		return;
	if (e->state != ELECTION_LOOKING && !e->settled && same &&
	    loop_now_ms() - e->decided_ms < CROSSING_MS) {
		send_result(e);
		return;
	}
	if (e->state != ELECTION_LOOKING)
		log_info("replicator is LOOKING again (was %s under sid=%u)",
		    election_state_name(e->state), e->leader);
	start_round(e, env->zxid, env->seq);
	take_early(e);
	take_held(e);
}

static void
on_settled(struct election *e, const Envelope *env)
{
	enum election_state s = (enum election_state)env->arg;

	if (e->net == NULL)
		return;
	if (s != ELECTION_FOLLOWING && s != ELECTION_LEADING &&
	    s != ELECTION_OBSERVING)
		fatalx("ELECTION_SETTLED with state %" PRId64, env->arg);
	e->known = 1;
	if (e->settled && e->state == s && e->leader == env->origin &&
	    e->current.peer_epoch == env->seq)
		return;
	stop_timers(e);
	if (e->current.leader != env->origin)
		e->current.zxid = 0;
	e->current.leader = env->origin;
	e->current.peer_epoch = env->seq;
	e->current.state = s;
	e->current.sid = e->round.myid;
	if (e->state == ELECTION_LOOKING)
		e->current.election_epoch = e->round.logicalclock;
	e->state = s;
	e->leader = env->origin;
	e->settled = 1;
	log_info("settled: %s under leader sid=%u epoch=%" PRIu64,
	    election_state_name(s), e->leader, env->seq);
	set_status(e);
	take_early(e);
}

/*
 * A reconfig committed: votes count in the new membership from now on.
 * Notifications kept from before it may name servers that are gone.
 */
static void
on_config(struct election *e, const struct msg *m)
{
	struct membership *mb;
	char why[256];

	if (e->net == NULL || !m->has_payload)
		return;
	mb = xmalloc(sizeof(*mb));
	if (membership_parse(mb, (const char *)m->payload, m->len, why,
	    sizeof(why)) < 0)
		log_warnx("ELECTION_CONFIG does not parse: %s", why);
	else if (mb->version > e->c->cfg.membership_version) {
		membership_to_config(mb, &e->c->cfg);
		memset(e->early, 0, sizeof(e->early));
		memset(e->held, 0, sizeof(e->held));
		election_net_reconfig(e->net);
		log_info("membership version %llx: %d servers, %d voters",
		    (unsigned long long)mb->version, mb->nservers,
		    membership_voters(mb));
	}
	free(mb);
}

static void
dispatch_router(struct loop *l, void *arg)
{
	struct election *e = arg;
	struct msg m;

	(void)l;
	while (msg_recv(e->router, 1, &m) == 0) {
		/* answer the replicator where it spoke last */
		memcpy(e->repl_ident, m.ident, m.ident_len);
		e->repl_ident_len = m.ident_len;
		switch (m.env.type) {
		case MsgType_ELECTION_QUERY:
			send_result(e);
			break;
		case MsgType_ELECTION_LOOKING:
			on_looking(e, &m.env);
			break;
		case MsgType_ELECTION_SETTLED:
			on_settled(e, &m.env);
			break;
		case MsgType_ELECTION_CONFIG:
			on_config(e, &m);
			break;
		default:
			log_warnx("unexpected %s", msg_type_name(m.env.type));
			break;
		}
		msg_close(&m);
	}
}

int
election_main(struct child *c)
{
	struct election e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.round.myid = c->cfg.myid;
	e.notify_ms = ELECTION_NOTIFY_MIN;
	if (config_standalone(&c->cfg)) {
		e.state = ELECTION_STANDALONE;
		e.leader = c->cfg.myid;
	} else {
		e.state = ELECTION_LOOKING;
		if ((e.net = election_net_new(&e)) == NULL)
			fatal("electionPort");
	}
	e.router = endpoint_bind(c->zctx, EP_ELECTION, c->rundir);
	loop_add_sock(c->loop, e.router, dispatch_router, &e);
	if (e.state == ELECTION_STANDALONE)
		child_status(c, "%s", election_state_name(e.state));
	else
		child_status(c, "waiting for the replicator's zxid");
	child_ready(c);

	loop_run(c->loop);

	endpoint_close(&e.router);
	election_net_destroy(&e.net);
	child_destroy(&c);
	return 0;
}
