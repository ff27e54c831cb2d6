/*
 * Sessions at the frontend: the connect handshake, creating a session
 * through the write path (it exists once committed), re-attaching with
 * (id, password) against the replicated session table, and touch batches
 * for the leader's expiry tracker.
 */
#include "frontend/frontend.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/child.h"
#include "common/log.h"
#include "common/map.h"
#include "common/xmalloc.h"

#define OP_CREATE_SESSION	(-10)

static void
send_connect_response(struct frontend *f, struct conn *c, int32_t timeout,
    uint64_t session, const uint8_t *passwd)
{
	struct zk_connect_resp resp;
	struct jute_writer w;
	static const uint8_t zero[SM_PASSWD_LEN];

	memset(&resp, 0, sizeof(resp));
	resp.protocol_version = 0;
	resp.timeout = timeout;
	resp.session_id = (int64_t)session;
	resp.passwd = passwd != NULL ? passwd : zero;
	resp.passwd_len = SM_PASSWD_LEN;
	resp.has_read_only = c->has_read_only;
	resp.read_only = 0;
	jute_writer_init(&w);
	jute_put_int(&w, 0);
	jute_put_connect_resp(&w, &resp);
	jute_patch_int(&w, 0, (int32_t)(w.len - 4));
	frontend_conn_send(f, c, w.buf, w.len);
	jute_writer_free(&w);
	c->sent++;		/* a packet, as ZooKeeper counts it (cons) */
	f->packets_sent++;
}

static int32_t
negotiate(const struct config *cfg, int32_t want)
{
	if (want < cfg->min_session_timeout)
		return cfg->min_session_timeout;
	if (want > cfg->max_session_timeout)
		return cfg->max_session_timeout;
	return want;
}

static void
activate(struct frontend *f, struct conn *c)
{
	struct conn *old = u64map_get(f->sessions, c->session);

	/* the client moved to a new connection: drop the old one */
	if (old != NULL && old != c)
		frontend_conn_close(f, old, "session moved to a new connection");
	c->state = CONN_ACTIVE;
	u64map_put(f->sessions, c->session, c);
	send_connect_response(f, c, c->timeout, c->session, c->passwd);
}

static void
new_session(struct frontend *f, struct conn *c, int32_t timeout)
{
	struct req *r = xcalloc(1, sizeof(*r));
	struct jute_writer w;

	c->session = f->next_session;
	f->next_session += 16;	/* up to 16 frontends share the id space */
	c->timeout = timeout;
	if (getrandom(c->passwd, sizeof(c->passwd), 0) != sizeof(c->passwd))
		fatal("getrandom");
	c->state = CONN_CONNECTING;
	jute_writer_init(&r->reply);
	jute_writer_init(&w);
	sm_encode_create_session(&w, timeout, c->passwd);
	r->payload = w.buf;	/* takes the buffer */
	r->len = w.len;
	r->conn = c;
	r->opcode = OP_CREATE_SESSION;
	r->state = REQ_WAITING;
	r->session = c->session;
	r->arg = timeout;
	r->seq = f->seq_base + ++f->seq_next;
	u64map_put(f->pending, r->seq, r);
	c->connect_req = r;
	frontend_submit(f, r);
}

void
frontend_session_connect(struct frontend *f, struct conn *c,
    const uint8_t *p, size_t n)
{
	struct jute_reader rd;
	struct zk_connect_req req;
	const struct sm_session *s;
	int32_t timeout;

	if (!f->serving) {
		/* as ZooKeeper while it looks for a leader: no sessions */
		frontend_conn_close(f, c, "not serving: no leader");
		return;
	}
	jute_reader_init(&rd, p, n);
	if (jute_get_connect_req(&rd, &req) < 0) {
		frontend_conn_close(f, c, "malformed connect request");
		return;
	}
	if ((uint64_t)req.last_zxid_seen > sm_last_zxid(f->sm)) {
		log_warnx("client=%s has seen zxid=0x%llx, ours is 0x%llx: "
		    "refusing so it never reads backwards", c->peer,
		    (unsigned long long)req.last_zxid_seen,
		    (unsigned long long)sm_last_zxid(f->sm));
		frontend_conn_close(f, c, "client ahead of us");
		return;
	}
	c->has_read_only = req.has_read_only;
	timeout = negotiate(&f->c->cfg, req.timeout);
	if (timeout != req.timeout)
		log_info("client=%s: session timeout %d ms clamped to %d ms "
		    "(minSessionTimeout %d, maxSessionTimeout %d)", c->peer,
		    req.timeout, timeout, f->c->cfg.min_session_timeout,
		    f->c->cfg.max_session_timeout);
	if (req.session_id == 0) {
		new_session(f, c, timeout);
		return;
	}
	s = sm_session_find(f->sm, (uint64_t)req.session_id);
	if (s == NULL || req.passwd.len != SM_PASSWD_LEN ||
	    memcmp(s->passwd, req.passwd.p, SM_PASSWD_LEN) != 0) {
		log_info("client=%s session=0x%016llx: expired or wrong "
		    "password", c->peer, (unsigned long long)req.session_id);
		send_connect_response(f, c, 0, 0, NULL);
		frontend_conn_close_after_flush(f, c);
		return;
	}
	c->session = (uint64_t)req.session_id;
	c->timeout = timeout;
	memcpy(c->passwd, s->passwd, SM_PASSWD_LEN);
	activate(f, c);
}

/* Our createSession committed: answer the handshake. */
void
frontend_session_created(struct frontend *f, struct req *r)
{
	struct conn *c = r->conn;

	if (c == NULL || c->fd < 0)
		return;
	c->connect_req = NULL;
	activate(f, c);
	frontend_request_flush(f, c);
}

/* A session ended (closed or expired): its connection goes too. */
void
frontend_session_closed(struct frontend *f, uint64_t session)
{
	struct conn *c = u64map_get(f->sessions, session);

	if (c == NULL || c->state == CONN_CLOSING)
		return;
	u64map_del(f->sessions, session);
	frontend_conn_close_after_flush(f, c);
}

struct touch_batch {
	uint64_t	*ids;
	size_t		 n, cap;
};

static void
collect(void *arg, uint64_t key, void *val)
{
	struct touch_batch *b = arg;
	struct conn *c = val;

	(void)key;
	if (c->state != CONN_ACTIVE || !c->touched)
		return;
	c->touched = 0;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ids = xreallocarray(b->ids, b->cap, sizeof(*b->ids));
	}
	b->ids[b->n++] = c->session;
}

/* Every tickTime/2: tell the leader which sessions are alive. */
void
frontend_session_touch(struct frontend *f)
{
	struct touch_batch b = { NULL, 0, 0 };
	Envelope env = msg_env(MsgType_REPL_TOUCH);

	u64map_foreach(f->conns, collect, &b);
	if (b.n > 0)
		msg_send(f->repl, NULL, 0, &env, b.ids, b.n * sizeof(*b.ids));
	free(b.ids);
}
