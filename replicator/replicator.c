/*
 * corral-replicator main loop.
 *
 * Ordering rules enforced here:
 * - zxids are assigned in arrival order; the commit stream publishes them
 *   in zxid order, each chained to its predecessor by prev_zxid.
 * - nothing is committed (published, answered) before the store has
 *   acknowledged it durable.
 * - a submission tagged with another replicator incarnation is dropped:
 *   after a restart the frontends first catch up to start_zxid, then
 *   resubmit what they still wait for, so nothing is applied twice.
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
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/zxid.h"

#define TICK_INTERVAL_MS	50	/* COMMIT_TICK: idle gap detection */
#define STORE_HELLO_MS		200	/* re-learn the store's state */
#define STORE_RESEND_MS		500	/* no ACK progress: resend proposals */

#define OP_CREATE_SESSION	(-10)
#define OP_CLOSE_SESSION	(-11)

static int64_t
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/*
 * Our incarnation: wall-clock nanoseconds, so a restarted replicator's
 * generation is higher than its predecessor's and the store can fence the
 * dead one's queued messages by order, not just by inequality.
 */
static uint64_t
new_generation(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
send_store(struct replicator *r, const Envelope *env, const void *payload,
    size_t len)
{
	if (msg_send(r->store, NULL, 0, env, payload, len) < 0)
		fatal("send %s to store", msg_type_name(env->type));
}

static void
send_append(struct replicator *r, const struct proposal *p)
{
	Envelope env = p->env;

	env.type = MsgType_STORE_APPEND;
	env.generation = r->generation;
	send_store(r, &env, p->has_payload ? p->payload : NULL, p->len);
}

void
replicator_propose(struct replicator *r, Envelope *env, const void *payload,
    size_t len, int has_payload)
{
	struct proposal *p;

	env->prev_zxid = r->last_proposed;
	env->zxid = zxid_next(r->last_proposed);
	env->time = wall_ms();
	r->last_proposed = env->zxid;
	replicator_queue_push(r, env, payload, len, has_payload);
	p = replicator_queue_at(r, r->qlen - 1);
	send_append(r, p);
}

static void
publish(struct replicator *r, struct proposal *p)
{
	Envelope env = p->env;

	env.type = MsgType_COMMIT;
	env.generation = r->generation;
	/* PUB drops at its HWM: subscribers refill gaps from the store */
	if (msg_send(r->pub, NULL, 0, &env, p->has_payload ? p->payload :
	    NULL, p->len) < 0 && errno != EAGAIN)
		log_warn("publish zxid=0x%" PRIx64, env.zxid);
	if (env.opcode == OP_CREATE_SESSION)
		replicator_session_opened(r, env.session, (int32_t)env.arg);
	else if (env.opcode == OP_CLOSE_SESSION)
		replicator_session_closed(r, env.session);
}

/* The store made everything up to zxid durable: commit it. */
static void
handle_ack(struct replicator *r, uint64_t zxid)
{
	Envelope env;
	uint64_t before = r->last_committed;

	r->last_store_ack_ms = loop_now_ms();
	while (r->qlen > 0 && replicator_queue_at(r, 0)->env.zxid <= zxid) {
		struct proposal *p = replicator_queue_at(r, 0);

		publish(r, p);
		r->last_committed = p->env.zxid;
		r->commits++;
		replicator_queue_pop(r);
	}
	if (r->last_committed == before)
		return;
	env = msg_env(MsgType_STORE_COMMIT);
	env.zxid = r->last_committed;
	env.generation = r->generation;
	send_store(r, &env, NULL, 0);
}

static void
publish_tick(struct replicator *r)
{
	Envelope env = msg_env(MsgType_COMMIT_TICK);

	env.zxid = r->last_committed;
	env.generation = r->generation;
	env.arg = (int64_t)r->start_zxid;
	msg_send(r->pub, NULL, 0, &env, NULL, 0);
}

/* First STORE_STATE: everything the store logged is committed (alone). */
static void
take_over(struct replicator *r, uint64_t last_logged)
{
	Envelope env;

	r->store_known = 1;
	r->start_zxid = r->last_committed = r->last_proposed = last_logged;
	env = msg_env(MsgType_STORE_COMMIT);
	env.zxid = last_logged;
	env.generation = r->generation;
	send_store(r, &env, NULL, 0);
	env = msg_env(MsgType_STORE_SESSIONS_REQ);
	send_store(r, &env, NULL, 0);
	log_info("leading (standalone) from zxid=0x%" PRIx64
	    ", generation %016" PRIx64, last_logged, r->generation);
	publish_tick(r);
	child_ready(r->c);
}

/*
 * A later STORE_STATE: if the store is behind what we proposed and has not
 * acknowledged anything for a while, it restarted: send again what it lacks.
 */
static void
store_state(struct replicator *r, uint64_t last_logged)
{
	if (!r->store_known) {
		take_over(r, last_logged);
		return;
	}
	if (last_logged > r->last_committed)
		handle_ack(r, last_logged);
	if (r->qlen == 0 ||
	    loop_now_ms() - r->last_store_ack_ms < STORE_RESEND_MS)
		return;
	log_info("store at zxid=0x%" PRIx64 ", resending %zu proposals",
	    last_logged, r->qlen);
	for (size_t i = 0; i < r->qlen; i++) {
		struct proposal *p = replicator_queue_at(r, i);

		if (p->env.zxid > last_logged)
			send_append(r, p);
	}
	r->last_store_ack_ms = loop_now_ms();
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
			store_state(r, m.env.zxid);
			break;
		case MsgType_STORE_ACK:
			handle_ack(r, m.env.zxid);
			break;
		case MsgType_STORE_SESSIONS:
			replicator_session_load(r, m.payload, m.len);
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
	Envelope env = m->env;

	if (!r->store_known || env.generation != r->generation) {
		log_debug("dropping submission for generation %016" PRIx64,
		    env.generation);
		return;
	}
	replicator_propose(r, &env, m->payload, m->len, m->has_payload);
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
			submit(r, &m);
			break;
		case MsgType_REPL_TOUCH:
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
on_tick(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	if (r->store_known)
		publish_tick(r);
}

static void
on_store_hello(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	Envelope env = msg_env(MsgType_STORE_HELLO);

	(void)l;
	env.generation = r->generation;
	send_store(r, &env, NULL, 0);
}

static void
on_session_tick(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	if (r->store_known)
		replicator_session_expire(r, loop_now_ms());
	child_status(r->c, "leading zxid=0x%" PRIx64 " sessions=%zu "
	    "pending=%zu commits=%" PRIu64, r->last_committed,
	    u64map_count(r->sessions), r->qlen, r->commits);
}

int
replicator_main(struct child *c)
{
	struct replicator r;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.tick_ms = (uint64_t)c->cfg.tick_time;
	r.generation = new_generation();
	replicator_session_init(&r);
	r.router = endpoint_bind(c->zctx, EP_REPLICATOR, c->rundir);
	r.pub = endpoint_bind(c->zctx, EP_COMMITS, c->rundir);
	r.store = endpoint_connect(c->zctx, EP_STORE, c->rundir);
	loop_add_sock(c->loop, r.store, dispatch_store, &r);
	loop_add_sock(c->loop, r.router, dispatch_frontends, &r);
	loop_add_timer(c->loop, TICK_INTERVAL_MS, 1, on_tick, &r);
	loop_add_timer(c->loop, STORE_HELLO_MS, 1, on_store_hello, &r);
	loop_add_timer(c->loop, (int)r.tick_ms / 2 > 0 ? (int)r.tick_ms / 2 :
	    1, 1, on_session_tick, &r);
	on_store_hello(c->loop, &r);

	loop_run(c->loop);

	log_info("exiting at zxid=0x%" PRIx64, r.last_committed);
	endpoint_close(&r.store);
	endpoint_close(&r.pub);
	endpoint_close(&r.router);
	child_destroy(&c);
	return 0;
}
