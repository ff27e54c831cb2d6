/* corral-frontend main loop and the write submission path. */
#include "frontend/frontend.h"

#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"

/* Who submitted a command: node id and frontend instance. */
uint32_t
frontend_origin(const struct frontend *f)
{
	return f->c->cfg.myid << 8 | (uint32_t)f->c->instance;
}

/*
 * Send a write to the replicator we know. Until one is known, or while a
 * newly started one is being caught up with, writes wait (in seq order,
 * see frontend_sync.c) so one session's writes are never reordered.
 */
void
frontend_submit(struct frontend *f, struct req *r)
{
	Command h = Command_init_zero;

	r->sent = 0;
	if (f->repl_gen == 0 || f->resubmit)
		return;
	if (f->submits_gen != f->repl_gen)
		cmd_batch_clear(&f->submits);	/* for a replicator gone */
	f->submits_gen = f->repl_gen;
	h.session = r->session;
	h.cxid = r->xid;
	h.opcode = r->opcode;
	h.seq = r->seq;
	h.origin = frontend_origin(f);
	h.arg = r->arg;
	if (r->auth_len <= sizeof(h.auth.bytes)) {
		memcpy(h.auth.bytes, r->auth, r->auth_len);
		h.auth.size = (pb_size_t)r->auth_len;
	}
	cmd_batch_add(&f->submits, &h, r->payload, r->len);
	r->sent = 1;
}

/*
 * One REPL_SUBMIT per loop turn. A batch meant for a replicator
 * generation that has ended is dropped: its writes are still pending and
 * go again once the new one has caught us up (frontend_sync.c).
 */
void
frontend_flush_submits(struct frontend *f)
{
	Envelope env = msg_env(MsgType_REPL_SUBMIT);

	if (f->submits.n == 0)
		return;
	if (f->submits_gen == f->repl_gen) {
		env.generation = f->repl_gen;
		env.arg = (int64_t)f->submits.n;
		env.backlog = (uint32_t)frontend_request_backlog();
		if (msg_send(f->repl, NULL, 0, &env, f->submits.buf,
		    f->submits.len) < 0)
			fatal("submit to replicator");
	}
	cmd_batch_clear(&f->submits);
}

static void
dispatch_commits(struct loop *l, void *arg)
{
	struct frontend *f = arg;
	struct msg m;

	(void)l;
	while (msg_recv(f->commits, 0, &m) == 0) {
		switch (m.env.type) {
		case MsgType_COMMIT:
			frontend_sync_commit(f, &m);
			break;
		case MsgType_COMMIT_TICK:
			frontend_sync_tick(f, &m.env);
			break;
		default:
			log_warnx("commit stream: unexpected %s",
			    msg_type_name(m.env.type));
			break;
		}
		msg_close(&m);
	}
}

static void
dispatch_store(struct loop *l, void *arg)
{
	struct frontend *f = arg;
	struct msg m;

	(void)l;
	while (msg_recv(f->store, 0, &m) == 0) {
		frontend_sync_store(f, &m);
		msg_close(&m);
	}
}

static void
dispatch_repl(struct loop *l, void *arg)
{
	struct frontend *f = arg;
	struct msg m;

	(void)l;
	while (msg_recv(f->repl, 0, &m) == 0) {
		log_warnx("replicator sent unexpected %s",
		    msg_type_name(m.env.type));
		msg_close(&m);
	}
}

static void
on_clients(struct loop *l, void *arg)
{
	(void)l;
	frontend_conn_events(arg);
}

static void
before_sleep(struct loop *l, void *arg)
{
	(void)l;
	frontend_flush_submits(arg);
	frontend_conn_flush_all(arg);
	loop_note_backlog((unsigned)frontend_request_backlog());
}

static void
on_touch(struct loop *l, void *arg)
{
	struct frontend *f = arg;

	(void)l;
	frontend_session_touch(f);
	child_status(f->c, "%s zxid=0x%" PRIx64 " clients=%zu pending=%zu",
	    f->live ? "serving" : "loading", f->sm ? sm_last_zxid(f->sm) : 0,
	    frontend_conn_count(f), u64map_count(f->pending));
}

/* ZooKeeper's session id layout: myid in the top byte, then time. */
static uint64_t
first_session_id(const struct child *c)
{
	struct timeval tv;
	uint64_t ms;

	gettimeofday(&tv, NULL);
	ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	return (((ms << 24) >> 8) + (uint64_t)(c->instance - 1)) |
	    (uint64_t)c->cfg.myid << 56;
}

int
frontend_main(struct child *c)
{
	struct frontend f;
	int tick;

	memset(&f, 0, sizeof(f));
	f.c = c;
	f.listen_fd = -1;
	f.start_ms = loop_now_ms();
	f.seq_base = c->generation << 40;
	f.next_session = first_session_id(c);
	f.pending = u64map_new();
	f.conns = u64map_new();
	f.sessions = u64map_new();
	f.data_watches = strmap_new();
	f.child_watches = strmap_new();
	sm_result_init(&f.res);
	if ((f.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
	f.commits = endpoint_connect(c->zctx, EP_COMMITS, c->rundir);
	f.store = endpoint_connect(c->zctx, EP_STORE, c->rundir);
	f.repl = endpoint_connect(c->zctx, EP_REPLICATOR, c->rundir);
	loop_add_sock(c->loop, f.commits, dispatch_commits, &f);
	loop_add_sock(c->loop, f.store, dispatch_store, &f);
	loop_add_sock(c->loop, f.repl, dispatch_repl, &f);
	loop_add_fd(c->loop, f.epfd, on_clients, &f);
	loop_before_sleep(c->loop, before_sleep, &f);
	tick = c->cfg.tick_time / 2 > 0 ? c->cfg.tick_time / 2 : 1;
	loop_add_timer(c->loop, tick, 1, on_touch, &f);
	frontend_sync_start(&f);

	loop_run(c->loop);

	log_info("exiting with %zu clients", frontend_conn_count(&f));
	if (f.listen_fd >= 0)
		close(f.listen_fd);
	close(f.epfd);
	endpoint_close(&f.repl);
	endpoint_close(&f.store);
	endpoint_close(&f.commits);
	sm_result_free(&f.res);
	cmd_batch_free(&f.submits);
	sm_destroy(&f.sm);
	child_destroy(&c);
	return 0;
}
