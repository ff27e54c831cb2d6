/*
 * corral-store: one per node. Owns RocksDB (the command log, epochs, the
 * durable tree) and serves the replicator (HELLO, APPEND, COMMIT, EPOCH,
 * TRUNC, snapshot install, SESSIONS) and any requester (snapshots, log
 * ranges) on the EP_STORE ROUTER.
 *
 * Fencing: only the replicator incarnation of the latest STORE_HELLO may
 * change state (append, commit, epochs, truncate, install). A dead
 * replicator's queued messages carry an older generation and are dropped,
 * so nothing changes after the new one has read our state.
 *
 * Every request that changes state is answered with STORE_STATE only
 * after the change is durable.
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/child.h"
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/msg.h"
#include "common/sm.h"
#include "common/xmalloc.h"

/* The reply to HELLO, EPOCH, TRUNC and SNAP_END. */
void
store_send_state(struct store *s, const struct msg *req, int err)
{
	Envelope env = msg_env(MsgType_STORE_STATE);

	env.zxid = s->durable;
	env.prev_zxid = s->applied;
	env.accepted_epoch = s->accepted_epoch;
	env.current_epoch = s->current_epoch;
	env.log_base = s->log_base;
	env.arg = (int64_t)s->current_epoch;	/* as before the fields */
	env.generation = s->generation;
	env.err = err;
	if (msg_send(s->router, req->ident, req->ident_len, &env, NULL, 0) < 0)
		log_warn("send STORE_STATE");
}

/* A new replicator: flush what the old one sent, then tell our state. */
static void
hello(struct store *s, const struct msg *m)
{
	if (s->have_repl && m->env.generation < s->generation) {
		log_warnx("STORE_HELLO from stale replicator generation %"
		    PRIu64 " (serving %" PRIu64 "), ignored", m->env.generation,
		    s->generation);
		return;
	}
	/* durable first; the apply may wait for a snapshot being written,
	 * and a replicator going to an election must not */
	store_log_group_commit(s);
	if (!s->have_repl || m->env.generation != s->generation) {
		log_info("replicator generation %" PRIu64 ": logged zxid=0x%"
		    PRIx64 " applied zxid=0x%" PRIx64, m->env.generation,
		    s->durable, s->applied);
		store_install_abort(s);
	}
	s->have_repl = 1;
	s->generation = m->env.generation;
	memcpy(s->repl_ident, m->ident, m->ident_len);
	s->repl_ident_len = m->ident_len;
	store_send_state(s, m, 0);
}

/* 1 if m comes from the replicator incarnation we serve. */
static int
fenced_in(const struct store *s, const struct msg *m)
{
	if (s->have_repl && m->env.generation == s->generation)
		return 1;
	log_debug("%s zxid=0x%" PRIx64 " from replicator generation %" PRIu64
	    " dropped", msg_type_name(m->env.type), m->env.zxid,
	    m->env.generation);
	return 0;
}

/* A COMMIT only raises the target; store_log_flush() applies it. */
static void
commit(struct store *s, uint64_t zxid)
{
	if (zxid > s->commit_to)
		s->commit_to = zxid;
}

/* STORE_EPOCH: persist the epochs (synced), then reply. */
static void
set_epochs(struct store *s, const struct msg *m)
{
	store_meta_epoch(s, m->env.accepted_epoch, m->env.current_epoch);
	store_send_state(s, m, 0);
}

/* STORE_TRUNC: drop the log above zxid (synced), then reply. */
static void
trunc_log(struct store *s, const struct msg *m)
{
	store_send_state(s, m, store_log_trunc(s, m->env.zxid));
}

/* The replicator's messages of a snapshot install, fenced in already. */
static void
install(struct store *s, const struct msg *m)
{
	switch (m->env.type) {
	case MsgType_STORE_SNAP_INSTALL:
		store_install_begin(s, m->env.zxid);
		break;
	case MsgType_STORE_SNAP_CHUNK:
		store_install_chunk(s, m);
		break;
	default:
		store_install_end(s, m);
		break;
	}
}

/*
 * Read requests until none is pending or one group commit is full; the
 * loop looks at the socket again, so the rest waits a turn and ACK
 * latency stays bounded under load.
 */
static void
dispatch_router(struct loop *l, void *arg)
{
	struct store *s = arg;
	struct msg m;

	(void)l;
	for (int n = 0; n < STORE_BATCH_MAX_MSGS &&
	    store_log_batch_bytes(s) < STORE_BATCH_MAX_BYTES; n++) {
		if (msg_recv(s->router, 1, &m) < 0)
			break;
		switch (m.env.type) {
		case MsgType_STORE_HELLO:
			hello(s, &m);
			break;
		case MsgType_STORE_APPEND:
			if (fenced_in(s, &m) && m.has_payload)
				store_log_append(s, m.payload, m.len);
			break;
		case MsgType_STORE_COMMIT:
			if (fenced_in(s, &m))
				commit(s, m.env.zxid);
			break;
		case MsgType_STORE_EPOCH:
			if (fenced_in(s, &m))
				set_epochs(s, &m);
			break;
		case MsgType_STORE_TRUNC:
			if (fenced_in(s, &m))
				trunc_log(s, &m);
			break;
		case MsgType_STORE_SNAP_INSTALL:
		case MsgType_STORE_SNAP_CHUNK:
		case MsgType_STORE_SNAP_END:
			if (fenced_in(s, &m))
				install(s, &m);
			break;
		case MsgType_STORE_SNAP_REQ:
			store_snap_send(s, &m);
			break;
		case MsgType_STORE_LOG_REQ:
			store_snap_send_log(s, &m);
			break;
		case MsgType_STORE_SESSIONS_REQ:
			store_snap_send_sessions(s, &m);
			break;
		case MsgType_STORE_CLEANUP_REQ:
			store_snap_send_cleanup(s, &m);
			break;
		default:
			fatalx("unexpected %s", msg_type_name(m.env.type));
		}
		msg_close(&m);
	}
}

static void on_apply(struct loop *, void *);

/*
 * What the group commit left unapplied is applied within STORE_APPLY_MS,
 * and a snapshot written meanwhile is named, even when nothing arrives.
 * The timer runs only while such work waits: an idle store sleeps.
 */
static void
arm_apply(struct store *s)
{
	if (s->apply_timer == 0 && store_log_work_left(s))
		s->apply_timer = loop_add_timer(s->child->loop, STORE_APPLY_MS,
		    0, on_apply, s);
}

static void
on_apply(struct loop *l, void *arg)
{
	struct store *s = arg;

	(void)l;
	s->apply_timer = 0;
	store_log_group_commit(s);
	arm_apply(s);
}

/* Group commit, once per loop iteration. */
static void
before_sleep(struct loop *l, void *arg)
{
	struct store *s = arg;

	(void)l;
	store_log_group_commit(s);
	arm_apply(s);
	child_status(s->child, "logged=0x%" PRIx64 " applied=0x%" PRIx64,
	    s->durable, s->applied);
}

/* RocksDB lives under dataLogDir when set, as ZooKeeper puts its txn log. */
static const char *
db_dir(const struct config *cfg)
{
	return cfg->data_log_dir[0] != '\0' ? cfg->data_log_dir :
	    cfg->data_dir;
}

/* Free the in-memory log cache. */
static void
free_cache(struct store *s)
{
	store_log_uncache(s, UINT64_MAX);
	free(s->cache);
	s->cache = NULL;
}

int
store_main(int argc, char **argv)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->child = child_new("store", argc, argv);
	if (store_room_wait(db_dir(&s->child->cfg), s->child->sigfd) < 0) {
		child_destroy(&s->child);
		free(s);
		return 0;
	}
	if ((s->db = store_db_open(db_dir(&s->child->cfg))) == NULL)
		fatalx("cannot open the store in %s", db_dir(&s->child->cfg));
	s->batch = rocksdb_writebatch_create();
	store_meta_load(s);
	store_log_load(s);
	store_tree_load(s);
	if (s->applied > s->logged)
		fatalx("the tree at zxid=0x%" PRIx64 " is past the log end "
		    "zxid=0x%" PRIx64, s->applied, s->logged);
	store_log_flush(s);	/* replays (snapshot, committed] */
	log_info("logged zxid=0x%" PRIx64 " applied zxid=0x%" PRIx64
	    " log base zxid=0x%" PRIx64 " epochs %" PRIu64 "/%" PRIu64,
	    s->durable, s->applied, s->log_base, s->accepted_epoch,
	    s->current_epoch);

	s->router = endpoint_bind(s->child->zctx, EP_STORE, s->child->rundir);
	loop_add_sock(s->child->loop, s->router, dispatch_router, s);
	loop_before_sleep(s->child->loop, before_sleep, s);
	child_ready(s->child);
	loop_run(s->child->loop);

	store_log_flush(s);
	store_snapshot_wait(s);
	store_log_flush(s);	/* names it */
	endpoint_close(&s->router);
	store_install_abort(s);
	free_cache(s);
	sm_destroy(&s->sm);
	rocksdb_writebatch_destroy(s->batch);
	store_db_destroy(&s->db);
	child_destroy(&s->child);
	free(s);
	return 0;
}
