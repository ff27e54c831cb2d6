/*
 * corral-replicator main loop, role changes and the pieces every role
 * shares: stamping, committing, the commit stream, the store link.
 *
 * Ordering rules enforced here:
 * - zxids are assigned in arrival order; the commit stream publishes them
 *   in zxid order, each chained to its predecessor by prev_zxid.
 * - nothing is committed (published, answered) before a quorum, this
 *   node's store counting as one voter, has acknowledged it durable.
 * - a submission tagged with another service generation is dropped: after
 *   every (re)establishment the frontends first catch up to start_zxid,
 *   then resubmit what they still wait for, so nothing is applied twice.
 */
#include "replicator/replicator.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <zmq.h>

#include "common/child.h"
#include "common/cmd.h"
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

/*
 * COMMIT_TICK tells the frontends what is committed (a commit the PUB
 * socket dropped shows as a gap), the service generation and the mode.
 * Every TICK_INTERVAL_MS while commits flow; with none since the last
 * tick the gap doubles up to TICK_IDLE_MS, so an idle node's frontends
 * wake twice a second, not 20 times. A new commit pulls the next tick
 * in again; a change of role or generation is published at once.
 */
#define TICK_INTERVAL_MS	50
#define TICK_IDLE_MS		500
#define STORE_HELLO_MS		200	/* re-learn the store's state */
#define STORE_RESEND_MS		500	/* no ACK progress: resend proposals */
#define ELECTION_RESEND_MS	1000
#define STORE_COMMIT_DEFER_MS	20	/* a STORE_COMMIT waits at most this */

#define OP_CREATE_SESSION	(-10)
#define OP_CLOSE_SESSION	(-11)

#define STATE_FOLLOWING		1
#define STATE_LEADING		2
#define STATE_OBSERVING		3
#define OP_RECONFIG		16
#define MODE_OBSERVER		5	/* COMMIT_TICK cxid: srvr's "observer" */

/* Wall-clock nanoseconds: increasing across restarts of this process. */
static uint64_t
new_generation(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static const char *
role_name(enum repl_role role)
{
	switch (role) {
	case ROLE_STARTING:
		return "starting";
	case ROLE_LOOKING:
		return "looking";
	case ROLE_FOLLOWING:
		return "following";
	case ROLE_LEADING:
		return "leading";
	case ROLE_STANDALONE:
		return "standalone";
	}
	return "?";
}

static void
send_store_raw(struct replicator *r, const Envelope *env,
    const void *payload, size_t len)
{
	Envelope e = *env;

	e.generation = r->incarnation;
	if (msg_send(r->store, NULL, 0, &e, payload, len) < 0)
		fatal("send %s to store", msg_type_name(e.type));
}

void
replicator_flush_store_commit(struct replicator *r)
{
	Envelope env;

	if (r->store_commit_to <= r->store_commit_sent)
		return;
	env = msg_env(MsgType_STORE_COMMIT);
	env.zxid = r->store_commit_to;
	send_store_raw(r, &env, NULL, 0);
	r->store_commit_sent = r->store_commit_to;
	r->store_commit_ms = loop_now_ms();
}

void
replicator_flush_appends(struct replicator *r)
{
	Envelope env;

	if (r->store_batch.n == 0)
		return;
	env = msg_batch_env(MsgType_STORE_APPEND, &r->store_batch);
	send_store_raw(r, &env, r->store_batch.buf, r->store_batch.len);
	cmd_batch_clear(&r->store_batch);
	r->appends_sent = 1;
}

/*
 * Every request but an append first carries the appends and the commit
 * target of this iteration, so the store sees them all in the order they
 * were decided.
 */
void
replicator_send_store(struct replicator *r, const Envelope *env,
    const void *payload, size_t len)
{
	replicator_flush_appends(r);
	replicator_flush_store_commit(r);
	send_store_raw(r, env, payload, len);
}

/* Appends join this iteration's STORE_APPEND batch. */
static void
send_append(struct replicator *r, const struct proposal *p)
{
	cmd_batch_add_value(&r->store_batch, p->val, p->vlen, p->key.zxid,
	    p->key.prev_zxid);
}

void
replicator_store_epoch(struct replicator *r, uint64_t accepted,
    uint64_t current)
{
	Envelope env = msg_env(MsgType_STORE_EPOCH);

	env.accepted_epoch = accepted;
	env.current_epoch = current;
	r->epoch_pending = 1;
	replicator_send_store(r, &env, NULL, 0);
}

/* This iteration's commits, one COMMIT message (before it sleeps). */
static void
flush_pub(struct replicator *r)
{
	Envelope env;

	if (r->pub_batch.n == 0)
		return;
	env = msg_batch_env(MsgType_COMMIT, &r->pub_batch);
	/* PUB drops at its HWM: subscribers refill gaps from the store */
	if (msg_send(r->pub, NULL, 0, &env, r->pub_batch.buf,
	    r->pub_batch.len) < 0 && errno != EAGAIN)
		log_warn("publish zxid=0x%" PRIx64, env.zxid);
	cmd_batch_clear(&r->pub_batch);
}

static void arm_commit_tick(struct replicator *, int);

static void
publish_tick(struct replicator *r)
{
	Envelope env = msg_env(MsgType_COMMIT_TICK);

	flush_pub(r);	/* the tick says what is committed: after it */
	env.zxid = r->last_committed;
	env.generation = r->established ? r->service_gen : 0;
	env.arg = (int64_t)r->start_zxid;
	env.membership = r->c->cfg.membership_version;
	/* for srvr's Mode line */
	env.cxid = r->role == ROLE_FOLLOWING && r->observing ? MODE_OBSERVER :
	    (int32_t)r->role;
	msg_send(r->pub, NULL, 0, &env, NULL, 0);
}

/* Queue a command (val is malloc'd: the queue takes it) and log it. */
static struct proposal *
enqueue(struct replicator *r, const struct cmd_key *key, uint8_t *val,
    size_t vlen)
{
	struct proposal *p;

	replicator_queue_push(r, key, val, vlen);
	p = replicator_queue_at(r, r->qlen - 1);
	send_append(r, p);
	r->last_proposed = key->zxid;
	return p;
}

void
replicator_propose(struct replicator *r, Command *h, const void *payload,
    size_t len)
{
	uint32_t epoch = r->role == ROLE_LEADING ? (uint32_t)r->new_epoch :
	    zxid_epoch(r->last_proposed);
	uint8_t errbuf[4], *val;
	struct cmd_key key;
	struct proposal *p;
	size_t vlen;

	if (h->opcode == OP_RECONFIG && r->role == ROLE_LEADING)
		payload = replicator_reconfig_stamp(r, h, payload, &len,
		    errbuf);

	h->prev_zxid = r->last_proposed;
	h->zxid = replicator_next_zxid(r->last_proposed, epoch);
	if (r->role == ROLE_LEADING && zxid_epoch(h->zxid) > r->new_epoch) {
		/*
		 * The 32-bit counter ran out: go on in the next epoch without
		 * an election, and make the epoch durable so no later leader
		 * can pick it again.
		 */
		r->new_epoch = zxid_epoch(h->zxid);
		log_info("zxid counter exhausted: moving to epoch %" PRIu64,
		    r->new_epoch);
		replicator_store_epoch(r, r->new_epoch, r->new_epoch);
	}
	h->time = wall_ms();
	if (h->opcode == OP_RECONFIG && r->role == ROLE_LEADING)
		replicator_reconfig_proposed(r, h);
	key = (struct cmd_key){ h->zxid, h->prev_zxid, h->session, h->opcode,
	    h->arg };
	val = cmd_encode(h, payload, len, &vlen);
	p = enqueue(r, &key, val, vlen);
	if (r->role == ROLE_LEADING)
		replicator_leader_proposed(r, p);
}

int
replicator_propose_batch(struct replicator *r, const uint8_t *batch,
    size_t len)
{
	const uint8_t *p = batch, *val;
	struct cmd c;
	size_t vlen;
	int rc;

	while ((rc = msg_batch_next(&p, batch + len, &val, &vlen)) == 1) {
		if (cmd_decode(val, vlen, &c) < 0)
			return -1;
		replicator_propose(r, &c.h, c.payload, c.len);
	}
	return rc;
}

int
replicator_take_proposal(struct replicator *r, const struct cmd_key *key,
    const uint8_t *val, size_t vlen)
{
	if (key->zxid <= r->last_proposed)
		return 0;	/* we have it already */
	enqueue(r, key, xmemdup(val, vlen), vlen);
	return 1;
}

static void
publish(struct replicator *r, struct proposal *p)
{
	cmd_batch_add_value(&r->pub_batch, p->val, p->vlen, p->key.zxid,
	    p->key.prev_zxid);
	if (r->role != ROLE_LEADING && r->role != ROLE_STANDALONE)
		return;
	if (p->key.opcode == OP_CREATE_SESSION)
		replicator_session_opened(r, p->key.session,
		    (int32_t)p->key.arg);
	else if (p->key.opcode == OP_CLOSE_SESSION)
		replicator_session_closed(r, p->key.session);
}

void
replicator_commit(struct replicator *r, uint64_t zxid)
{
	if (zxid <= r->last_committed)
		return;
	for (size_t i = 0; i < r->qlen; i++) {
		struct proposal *p = replicator_queue_at(r, i);

		if (p->key.zxid > zxid)
			break;
		if (p->key.zxid > r->last_committed) {
			publish(r, p);
			replicator_reconfig_committed(r, p);
			r->commits++;
		}
	}
	r->last_committed = zxid;
	/* the STORE_COMMIT goes before the loop sleeps (before_sleep) */
	r->store_commit_to = zxid;
	replicator_queue_trim(r);
}

void
replicator_serve(struct replicator *r, uint64_t from)
{
	r->service_gen = new_generation();
	r->start_zxid = from;
	r->established = 1;
	publish_tick(r);
	arm_commit_tick(r, TICK_INTERVAL_MS);	/* repeat it soon */
}

void
replicator_settled(struct replicator *r)
{
	Envelope env = msg_env(MsgType_ELECTION_SETTLED);

	env.arg = r->role == ROLE_LEADING ? STATE_LEADING : r->observing ?
	    STATE_OBSERVING : STATE_FOLLOWING;
	env.origin = r->leader_id;
	env.seq = r->current_epoch;
	msg_send(r->election, NULL, 0, &env, NULL, 0);
}

static void
send_looking(struct replicator *r)
{
	Envelope env = msg_env(MsgType_ELECTION_LOOKING);

	env.zxid = r->store_logged;
	env.seq = r->current_epoch;
	msg_send(r->election, NULL, 0, &env, NULL, 0);
}

static void
store_hello(struct replicator *r)
{
	Envelope env = msg_env(MsgType_STORE_HELLO);

	replicator_send_store(r, &env, NULL, 0);
}

void
replicator_go_looking(struct replicator *r, const char *why)
{
	if (r->role == ROLE_LOOKING)
		return;
	log_info("%s -> looking: %s", role_name(r->role), why);
	if (r->role == ROLE_LEADING)
		replicator_leader_stop(r);
	replicator_peer_disconnect(r);
	replicator_queue_clear(r);
	replicator_session_reset(r);
	replicator_reconfig_abort(r);
	r->role = ROLE_LOOKING;
	r->observing = 0;
	memset(r->held, 0, sizeof(r->held));
	r->role_since_ms = loop_now_ms();
	r->established = 0;
	r->sync_newleader = 0;
	r->snap_installing = 0;
	r->last_proposed = r->last_committed;
	publish_tick(r);
	arm_commit_tick(r, TICK_INTERVAL_MS);	/* repeat it soon */
	/* vote with what the store has made durable: ask it first */
	store_hello(r);
}

/* First STORE_STATE: serve alone, or look for a leader. */
static void
start(struct replicator *r)
{
	r->last_committed = r->last_proposed = r->store_logged;
	if (config_standalone(&r->c->cfg)) {
		Envelope env;

		r->role = ROLE_STANDALONE;
		r->start_zxid = r->store_logged;
		/* alone, everything the store logged is committed */
		env = msg_env(MsgType_STORE_COMMIT);
		env.zxid = r->store_logged;
		replicator_send_store(r, &env, NULL, 0);
		env = msg_env(MsgType_STORE_SESSIONS_REQ);
		replicator_send_store(r, &env, NULL, 0);
		log_info("standalone from zxid=0x%" PRIx64, r->store_logged);
		replicator_serve(r, r->store_logged);
	} else {
		r->role = ROLE_LOOKING;
		r->role_since_ms = loop_now_ms();
		log_info("looking, last logged zxid=0x%" PRIx64 " epoch %"
		    PRIu64 "/%" PRIu64, r->store_logged, r->accepted_epoch,
		    r->current_epoch);
		send_looking(r);
	}
	child_ready(r->c);
}

/* The store restarted and lost what we sent it: send it again. */
static void
resend_unlogged(struct replicator *r)
{
	if (r->qlen == 0 ||
	    loop_now_ms() - r->last_store_ack_ms < STORE_RESEND_MS)
		return;
	log_info("store at zxid=0x%" PRIx64 ", resending %zu proposals",
	    r->store_logged, r->qlen);
	for (size_t i = 0; i < r->qlen; i++) {
		struct proposal *p = replicator_queue_at(r, i);

		if (p->key.zxid > r->store_logged)
			send_append(r, p);
	}
	replicator_flush_appends(r);
	r->last_store_ack_ms = loop_now_ms();
}

static void store_ack(struct replicator *, uint64_t);

static void
store_state(struct replicator *r, const Envelope *env)
{
	int first = !r->store_known;

	r->store_known = 1;
	r->store_commit_sent = 0;	/* it may have restarted: tell it again */
	r->store_applied = env->prev_zxid;
	r->accepted_epoch = env->accepted_epoch;
	r->current_epoch = env->current_epoch;
	r->log_base = env->log_base;
	r->epoch_pending = 0;
	if (env->err != 0 && r->role == ROLE_FOLLOWING) {
		/* a refused TRUNC or snapshot: this sync cannot go on */
		replicator_go_looking(r, "the store refused the leader's sync");
		return;
	}
	if (first || env->zxid < r->store_logged) {
		r->store_logged = env->zxid;
	} else if (env->zxid > r->store_logged)
		store_ack(r, env->zxid);
	if (first) {
		start(r);
		return;
	}
	switch (r->role) {
	case ROLE_LOOKING:
		send_looking(r);
		break;
	case ROLE_LEADING:
		replicator_leader_store_state(r);
		break;
	case ROLE_FOLLOWING:
		replicator_follower_store_state(r);
		break;
	default:
		break;
	}
	resend_unlogged(r);
}

static void
store_ack(struct replicator *r, uint64_t zxid)
{
	r->last_store_ack_ms = loop_now_ms();
	if (zxid <= r->store_logged)
		return;
	r->store_logged = zxid;
	switch (r->role) {
	case ROLE_STANDALONE:
		replicator_commit(r, zxid);
		break;
	case ROLE_LEADING:
		replicator_leader_store_ack(r);
		break;
	case ROLE_FOLLOWING:
		replicator_follower_store_ack(r);
		break;
	default:
		break;
	}
	replicator_queue_trim(r);
}

static void
dispatch_store(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	struct msg m;

	(void)l;
	while (msg_recv(r->store, 0, &m) == 0) {
		switch (m.env.type) {
		case MsgType_STORE_STATE:
			store_state(r, &m.env);
			break;
		case MsgType_STORE_ACK:
			store_ack(r, m.env.zxid);
			break;
		case MsgType_STORE_SESSIONS:
			if (r->role == ROLE_LEADING ||
			    r->role == ROLE_STANDALONE)
				replicator_session_load(r, m.payload, m.len);
			break;
		case MsgType_STORE_CLEANUP:
			replicator_cleanup_due(r, m.payload, m.len);
			break;
		case MsgType_STORE_LOG_ENTRY:
		case MsgType_STORE_LOG_END:
		case MsgType_STORE_SNAP_CHUNK:
		case MsgType_STORE_SNAP_END:
			if (r->role == ROLE_LEADING)
				replicator_leader_store(r, &m);
			break;
		default:
			log_warnx("store sent unexpected %s",
			    msg_type_name(m.env.type));
			break;
		}
		msg_close(&m);
	}
}

static void
submit(struct replicator *r, struct msg *m)
{
	if (!r->established || m->env.generation != r->service_gen) {
		log_debug("dropping submissions for generation %016" PRIx64,
		    m->env.generation);
		return;
	}
	if (r->role == ROLE_FOLLOWING)
		replicator_follower_submit(r, m);
	else if (replicator_propose_batch(r, m->payload, m->len) < 0)
		log_warnx("a malformed batch of submissions, dropped");
}

static void
dispatch_frontends(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	struct msg m;

	(void)l;
	while (msg_recv(r->router, 1, &m) == 0) {
		switch (m.env.type) {
		case MsgType_REPL_SUBMIT:
			loop_note_backlog(m.env.backlog);
			submit(r, &m);
			break;
		case MsgType_REPL_TOUCH:
			if (r->role == ROLE_FOLLOWING)
				replicator_follower_touch(r, m.payload, m.len);
			else
				replicator_session_touch(r, m.payload, m.len);
			break;
		default:
			log_warnx("frontend sent unexpected %s",
			    msg_type_name(m.env.type));
			break;
		}
		msg_close(&m);
	}
}

static void
election_result(struct replicator *r, const Envelope *env)
{
	if (r->role != ROLE_LOOKING)
		return;
	if (env->arg == STATE_LEADING && env->origin == r->myid)
		replicator_lead(r);
	else if ((env->arg == STATE_FOLLOWING ||
	    env->arg == STATE_OBSERVING) && env->origin != r->myid) {
		r->observing = env->arg == STATE_OBSERVING;
		replicator_follow(r, env->origin);
	}
	else
		log_warnx("election result state %" PRId64 " leader sid=%u "
		    "not usable", env->arg, env->origin);
}

static void
dispatch_election(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	struct msg m;

	(void)l;
	while (msg_recv(r->election, 0, &m) == 0) {
		if (m.env.type == MsgType_ELECTION_RESULT)
			election_result(r, &m.env);
		msg_close(&m);
	}
}

static void
dispatch_quorum(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	struct peer_msg m;

	(void)l;
	while (replicator_peer_recv(r->quorum, 1, &m) == 0) {
		if (r->role == ROLE_LEADING)
			replicator_leader_peer(r, &m);
		else if (r->role == ROLE_LOOKING &&
		    m.h.type == PeerType_FOLLOWERINFO)
			replicator_leader_hold(r, &m);
		replicator_peer_close(&m);
	}
}

void
replicator_dispatch_leader(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	struct peer_msg m;

	(void)l;
	while (r->leader != NULL && replicator_peer_recv(r->leader, 0, &m) == 0) {
		if (r->role == ROLE_FOLLOWING)
			replicator_follower_peer(r, &m);
		replicator_peer_close(&m);
	}
}

static void on_commit_tick(struct loop *, void *);

static void
arm_commit_tick(struct replicator *r, int ms)
{
	if (r->pub_tick_timer != 0)
		loop_cancel_timer(r->c->loop, r->pub_tick_timer);
	r->pub_tick_gap_ms = ms;
	r->pub_tick_timer = loop_add_timer(r->c->loop, ms, 0, on_commit_tick,
	    r);
}

static void
on_commit_tick(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	int gap = TICK_INTERVAL_MS;

	(void)l;
	r->pub_tick_timer = 0;
	if (r->store_known)
		publish_tick(r);
	if (r->last_committed == r->pub_tick_zxid)
		gap = r->pub_tick_gap_ms * 2 < TICK_IDLE_MS ?
		    r->pub_tick_gap_ms * 2 : TICK_IDLE_MS;
	r->pub_tick_zxid = r->last_committed;
	arm_commit_tick(r, gap);
}

static void
on_store_commit_due(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	r->store_commit_timer = 0;
	replicator_flush_store_commit(r);
}

/*
 * Once per loop iteration: count the ACKs read (leader), publish the
 * commits to the frontends, then tell the store what is committed, with
 * the appends of this iteration when there were any, else once the last
 * STORE_COMMIT is STORE_COMMIT_DEFER_MS old (a timer, when nothing else
 * wakes us). A COMMIT alone would wake the store for an apply that can as
 * well join its next group commit; and unloaded, it woke all three stores
 * in the very moment the frontends had a client to answer, on two CPUs.
 */
static void
before_sleep(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	if (r->role == ROLE_LEADING)
		replicator_leader_flush(r);
	replicator_flush_appends(r);
	if (r->advance_pending)
		replicator_leader_advance(r);
	flush_pub(r);
	if (r->store_commit_to > r->store_commit_sent) {
		if (r->appends_sent || loop_now_ms() - r->store_commit_ms >=
		    STORE_COMMIT_DEFER_MS)
			replicator_flush_store_commit(r);
		else if (r->store_commit_timer == 0)
			r->store_commit_timer = loop_add_timer(l,
			    STORE_COMMIT_DEFER_MS, 0, on_store_commit_due, r);
	}
	r->appends_sent = 0;
	/* commits again after a quiet spell: tick soon */
	if (r->pub_tick_gap_ms > TICK_INTERVAL_MS &&
	    r->last_committed != r->pub_tick_zxid)
		arm_commit_tick(r, TICK_INTERVAL_MS);
}

static void
on_store_hello(struct loop *l, void *arg)
{
	(void)l;
	store_hello(arg);
}

static void
on_election(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	if (r->role == ROLE_LOOKING)
		send_looking(r);
	else if (r->established &&
	    (r->role == ROLE_LEADING || r->role == ROLE_FOLLOWING))
		replicator_settled(r);
}

static void
on_cleanup(struct loop *l, void *arg)
{
	(void)l;
	replicator_cleanup_tick(arg);
}

static void
on_zab_tick(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	if (r->role == ROLE_LEADING)
		replicator_leader_tick(r);
	else if (r->role == ROLE_FOLLOWING)
		replicator_follower_tick(r);
	if (r->established &&
	    (r->role == ROLE_LEADING || r->role == ROLE_STANDALONE))
		replicator_session_expire(r, loop_now_ms());
	child_status(r->c, "%s zxid=0x%" PRIx64 " epoch=%" PRIu64
	    " sessions=%zu pending=%zu commits=%" PRIu64, role_name(r->role),
	    r->last_committed, r->current_epoch, u64map_count(r->sessions),
	    r->qlen, r->commits);
}

int
replicator_main(struct child *c)
{
	struct replicator r;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.myid = c->cfg.myid;
	r.tick_ms = (uint64_t)c->cfg.tick_time;
	r.incarnation = new_generation();
	r.role = ROLE_STARTING;
	replicator_session_init(&r);
	r.router = endpoint_bind(c->zctx, EP_REPLICATOR, c->rundir);
	r.pub = endpoint_bind(c->zctx, EP_COMMITS, c->rundir);
	r.store = endpoint_connect(c->zctx, EP_STORE, c->rundir);
	r.election = endpoint_connect(c->zctx, EP_ELECTION, c->rundir);
	loop_add_sock(c->loop, r.store, dispatch_store, &r);
	loop_add_sock(c->loop, r.router, dispatch_frontends, &r);
	loop_add_sock(c->loop, r.election, dispatch_election, &r);
	if (!config_standalone(&c->cfg)) {
		replicator_peer_bind(&r);
		loop_add_sock(c->loop, r.quorum, dispatch_quorum, &r);
	}
	loop_before_sleep(c->loop, before_sleep, &r);
	/*
	 * Every write crosses the replicators two or three times, and their
	 * input comes batched already (by the frontends, the stores, the
	 * leader), so their waits mostly add latency: at 16 x 8 sets in
	 * flight they held 3 nodes to 6.3k/s with the CPUs 38 % idle.
	 * They still coalesce when the CPUs are busy (a 90/10 mix: 18 %
	 * fewer ops/s when they never wait).
	 */
	loop_coalesce_when_busy(c->loop);
	arm_commit_tick(&r, TICK_INTERVAL_MS);
	loop_add_timer(c->loop, STORE_HELLO_MS, 1, on_store_hello, &r);
	loop_add_timer(c->loop, ELECTION_RESEND_MS, 1, on_election, &r);
	loop_add_timer(c->loop, c->cfg.container_check_ms, 1, on_cleanup, &r);
	loop_add_timer(c->loop, (int)r.tick_ms / 2 > 0 ? (int)r.tick_ms / 2 :
	    1, 1, on_zab_tick, &r);
	store_hello(&r);

	loop_run(c->loop);

	log_info("exiting at zxid=0x%" PRIx64, r.last_committed);
	replicator_peer_disconnect(&r);
	endpoint_close(&r.quorum);
	endpoint_close(&r.election);
	endpoint_close(&r.store);
	endpoint_close(&r.pub);
	endpoint_close(&r.router);
	child_destroy(&c);
	return 0;
}
