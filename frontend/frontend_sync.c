/*
 * Keeping the tree replica current. At start the frontend subscribes to
 * the commit stream, asks the store for a snapshot and buffers commits
 * meanwhile. Every commit names its predecessor (prev_zxid): a commit that
 * does not follow what we applied is held back, and the gap is filled
 * from the store's log before anything later is applied. Ticks carry the
 * last committed zxid, so a gap is noticed even when nothing follows it.
 */
#include "frontend/frontend.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/membership.h"
#include "common/xmalloc.h"

static void
request_log(struct frontend *f, uint64_t to)
{
	Envelope env = msg_env(MsgType_STORE_LOG_REQ);

	/* a request lost with a restarting store is asked again */
	if (f->log_requested && loop_now_ms() - f->log_req_ms < 1000)
		return;
	f->log_req_ms = loop_now_ms();
	env.zxid = sm_last_zxid(f->sm);
	env.arg = (int64_t)to;
	f->log_requested = 1;
	log_debug("gap after zxid=0x%llx: fetching up to 0x%llx from the store",
	    (unsigned long long)env.zxid, (unsigned long long)to);
	msg_send(f->store, NULL, 0, &env, NULL, 0);
}

static void
buffer_commit(struct frontend *f, const struct cmd_key *k, const uint8_t *val,
    size_t vlen)
{
	struct pending_commit *pc;

	if (f->nbuf == f->capbuf) {
		f->capbuf = f->capbuf ? f->capbuf * 2 : 64;
		f->buf = xreallocarray(f->buf, f->capbuf, sizeof(*f->buf));
	}
	pc = &f->buf[f->nbuf++];
	pc->zxid = k->zxid;
	pc->prev_zxid = k->prev_zxid;
	pc->val = xmemdup(val, vlen);
	pc->vlen = vlen;
}

/* Apply one command value (from our replicator or our store). */
static void
apply_value(struct frontend *f, const uint8_t *val, size_t vlen)
{
	struct cmd c;

	if (cmd_decode(val, vlen, &c) < 0)
		fatalx("undecodable command after zxid=0x%llx",
		    (unsigned long long)sm_last_zxid(f->sm));
	frontend_apply_commit(f, &c);
}

/* Apply buffered commits that now follow; stop at the next gap. */
static void
drain(struct frontend *f)
{
	size_t i = 0;

	while (i < f->nbuf) {
		struct pending_commit *pc = &f->buf[i];
		uint64_t last = sm_last_zxid(f->sm);

		if (pc->zxid > last && pc->prev_zxid != last) {
			request_log(f, pc->prev_zxid);
			break;
		}
		if (pc->zxid > last)
			apply_value(f, pc->val, pc->vlen);
		free(pc->val);
		i++;
	}
	memmove(f->buf, f->buf + i, (f->nbuf - i) * sizeof(*f->buf));
	f->nbuf -= i;
}

/* Writes wait until we have caught up with the replicator's start. */
static void
maybe_resubmit(struct frontend *f);

static void
offer(struct frontend *f, const struct cmd_key *k, const uint8_t *val,
    size_t vlen)
{
	uint64_t last = sm_last_zxid(f->sm);
	size_t i;

	if (k->zxid <= last)
		return;
	if (k->prev_zxid == last && f->nbuf == 0) {
		apply_value(f, val, vlen);
		return;
	}
	/* keep the buffer in zxid order: log entries fill in before it */
	buffer_commit(f, k, val, vlen);
	for (i = f->nbuf - 1; i > 0 && f->buf[i - 1].zxid > k->zxid; i--) {
		struct pending_commit t = f->buf[i];

		f->buf[i] = f->buf[i - 1];
		f->buf[i - 1] = t;
	}
	drain(f);
}

/*
 * Every command of a batch (COMMIT or STORE_LOG_ENTRY) in order: applied
 * when it follows, else buffered (always, before the tree is loaded).
 */
static void
take_batch(struct frontend *f, const struct msg *m)
{
	const uint8_t *p = m->payload, *val;
	struct cmd_key k;
	size_t vlen;
	int rc;

	if (!m->has_payload)
		return;
	while ((rc = msg_batch_next(&p, m->payload + m->len, &val,
	    &vlen)) == 1) {
		if (cmd_peek(val, vlen, &k) < 0)
			break;
		if (f->live)
			offer(f, &k, val, vlen);
		else
			buffer_commit(f, &k, val, vlen);
	}
	if (rc != 0)
		fatalx("a malformed %s batch after zxid=0x%llx",
		    msg_type_name(m->env.type), f->sm != NULL ?
		    (unsigned long long)sm_last_zxid(f->sm) : 0ULL);
}

void
frontend_sync_commit(struct frontend *f, struct msg *m)
{
	take_batch(f, m);
	if (f->live)
		maybe_resubmit(f);
}

static int
by_seq(const void *a, const void *b)
{
	const struct req *x = *(struct req *const *)a;
	const struct req *y = *(struct req *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct req_vec {
	struct req	**v;
	size_t		  n;
};

static void
collect_pending(void *arg, uint64_t key, void *val)
{
	struct req_vec *rv = arg;

	(void)key;
	rv->v[rv->n++] = val;
}

/* Every write still waiting, in a vector the caller frees. */
static struct req_vec
pending_writes(struct frontend *f)
{
	struct req_vec rv;

	rv.n = 0;
	rv.v = xcalloc(u64map_count(f->pending) + 1, sizeof(*rv.v));
	u64map_foreach(f->pending, collect_pending, &rv);
	return rv;
}

static void
maybe_resubmit(struct frontend *f)
{
	struct req_vec rv;

	if (!f->resubmit || !f->live || f->repl_gen == 0 ||
	    sm_last_zxid(f->sm) < f->repl_start)
		return;
	f->resubmit = 0;
	rv = pending_writes(f);
	/* per-session order is submission order */
	qsort(rv.v, rv.n, sizeof(*rv.v), by_seq);
	if (rv.n > 0)
		log_info("submitting %zu writes to replicator generation "
		    "%016llx", rv.n, (unsigned long long)f->repl_gen);
	for (size_t i = 0; i < rv.n; i++)
		frontend_submit(f, rv.v[i]);
	free(rv.v);
}

static void set_membership(struct frontend *);

/*
 * The replicator's membership changed without a command (a leader
 * versioning zoo.cfg's, UPTODATE): take it from dataDir/membership.
 */
static void
reload_membership(struct frontend *f, uint64_t version)
{
	struct membership *m = xmalloc(sizeof(*m));
	char why[512];

	f->membership = version;
	if (membership_load(m, f->c->cfg.data_dir, why, sizeof(why)) == 0 &&
	    m->version >= version) {
		membership_to_config(m, &f->c->cfg);
		if (f->sm != NULL)
			set_membership(f);
	}
	free(m);
}

void
frontend_sync_tick(struct frontend *f, const Envelope *env)
{
	f->mode = env->cxid;
	if (env->membership > f->membership &&
	    env->membership > f->c->cfg.membership_version)
		reload_membership(f, env->membership);
	if (env->generation == 0) {
		/* looking for a leader: like ZooKeeper, serve no client */
		if (f->serving)
			frontend_conn_close_all(f, "server not serving: no "
			    "quorum");
		f->serving = 0;
		f->repl_gen = 0;
		return;
	}
	f->serving = 1;
	if (env->generation != f->repl_gen) {
		log_info("replicator generation %016llx from zxid=0x%llx",
		    (unsigned long long)env->generation,
		    (unsigned long long)env->arg);
		f->repl_gen = env->generation;
		f->repl_start = (uint64_t)env->arg;
		f->resubmit = 1;
	}
	if (f->live && env->zxid > sm_last_zxid(f->sm) && f->nbuf == 0)
		request_log(f, env->zxid);
	maybe_resubmit(f);
}

void
frontend_sync_start(struct frontend *f)
{
	Envelope env = msg_env(MsgType_STORE_SNAP_REQ);

	sm_destroy(&f->loading);
	f->loading = sm_new();
	f->snap_requested = 1;
	msg_send(f->store, NULL, 0, &env, NULL, 0);
}

/*
 * Drop every write still waiting. A snapshot may hold writes we submitted
 * whose commits we never saw: resubmitted after the load, they would be
 * applied twice. Their clients have just been disconnected and see
 * ConnectionLoss, as ZooKeeper's would: the write may or may not have
 * happened, never twice.
 */
static void
forget_pending(struct frontend *f)
{
	struct req_vec rv = pending_writes(f);

	if (rv.n > 0)
		log_info("dropping %zu writes of disconnected clients", rv.n);
	for (size_t i = 0; i < rv.n; i++) {
		u64map_del(f->pending, rv.v[i]->seq);
		frontend_request_free(rv.v[i]);
	}
	free(rv.v);
}

/*
 * The store's log no longer reaches back to our tree (it installed a
 * leader's snapshot): load the tree again. Clients reconnect and their
 * setWatches tell them what they missed.
 */
static void
reload(struct frontend *f)
{
	log_info("the store's log starts after our zxid=0x%llx: reloading "
	    "the tree", (unsigned long long)sm_last_zxid(f->sm));
	frontend_conn_close_all(f, "reloading the tree");
	forget_pending(f);
	f->live = 0;
	frontend_sync_start(f);
}

static void
load_chunk(struct frontend *f, struct msg *m)
{
	size_t off = 0;

	if (f->loading == NULL)
		return;
	while (off + 4 <= m->len) {
		uint32_t n;
		int rc;

		memcpy(&n, m->payload + off, 4);
		off += 4;
		if (n > m->len - off)
			fatalx("snapshot chunk truncated");
		rc = m->env.arg == 0 ?
		    sm_node_load(f->loading, m->payload + off, n) :
		    sm_session_load(f->loading, m->payload + off, n);
		if (rc < 0)
			fatalx("snapshot record does not load");
		off += n;
	}
}

/* /zookeeper/config shows this node's membership, as ZooKeeper's does. */
static void
set_membership(struct frontend *f)
{
	char text[CONFIG_MAX_SERVERS * 320];
	size_t n = config_membership(&f->c->cfg, text, sizeof(text));
	struct timeval tv;

	gettimeofday(&tv, NULL);
	sm_set_config(f->sm, text, n, f->c->cfg.membership_version,
	    (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
	    f->c->cfg.reconfig_enabled);
}

static void
snapshot_done(struct frontend *f, uint64_t zxid)
{
	int first = f->sm == NULL;

	if (f->loading == NULL)
		return;
	if (sm_load_finish(f->loading, zxid) < 0)
		fatalx("snapshot at zxid=0x%llx does not load",
		    (unsigned long long)zxid);
	sm_destroy(&f->sm);
	f->sm = f->loading;
	f->loading = NULL;
	set_membership(f);
	f->snap_requested = 0;
	f->live = 1;
	log_info("tree loaded at zxid=0x%llx: %zu nodes, %zu sessions",
	    (unsigned long long)zxid, sm_node_count(f->sm),
	    sm_session_count(f->sm));
	drain(f);
	maybe_resubmit(f);
	if (first) {
		frontend_conn_listen(f);
		child_ready(f->c);
	}
}

void
frontend_sync_store(struct frontend *f, struct msg *m)
{
	switch (m->env.type) {
	case MsgType_STORE_SNAP_CHUNK:
		load_chunk(f, m);
		break;
	case MsgType_STORE_SNAP_END:
		snapshot_done(f, m->env.zxid);
		break;
	case MsgType_STORE_LOG_ENTRY:
		if (f->live)
			take_batch(f, m);
		break;
	case MsgType_STORE_LOG_END:
		f->log_requested = 0;
		/*
		 * -1: the log starts after our tree. -2 only says the store
		 * has not logged our zxid yet (a quorum committed it before
		 * our own store wrote it): ask again on the next tick.
		 */
		if (m->env.err == -1) {
			reload(f);
			break;
		}
		if (m->env.err == -2) {
			/* held back ~50 ms by request_log's throttle */
			f->log_requested = 1;
			f->log_req_ms = loop_now_ms() - 950;
			break;
		}
		drain(f);
		maybe_resubmit(f);
		break;
	default:
		log_warnx("store sent unexpected %s", msg_type_name(m->env.type));
		break;
	}
}
