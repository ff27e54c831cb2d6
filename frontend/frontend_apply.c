/*
 * Apply one committed command to the tree replica: watches fire first
 * (a client sees the event before it can read the new state, as in
 * ZooKeeper's FinalRequestProcessor), then the connection that sent the
 * command gets its reply, in its FIFO order.
 */
#include "frontend/frontend.h"

#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/map.h"

#define OP_CREATE_SESSION	(-10)

static void
swap_writers(struct jute_writer *a, struct jute_writer *b)
{
	struct jute_writer t = *a;

	*a = *b;
	*b = t;
}

/* The command came from one of our clients: hand it its result. */
static void
complete(struct frontend *f, struct req *r, const Envelope *env)
{
	r->zxid = (int64_t)env->zxid;
	r->err = f->res.err;
	swap_writers(&r->reply, &f->res.reply);
	r->state = REQ_DONE;
	if (r->opcode == OP_CREATE_SESSION) {
		frontend_session_created(f, r);
		frontend_request_free(r);
	} else if (r->conn != NULL)
		frontend_request_flush(f, r->conn);	/* frees r */
	else
		frontend_request_free(r);	/* its client is gone */
}

void
frontend_apply_commit(struct frontend *f, const Envelope *env,
    const uint8_t *payload, size_t len)
{
	struct sm_cmd cmd;
	struct req *r;
	uint64_t closed;

	cmd.zxid = env->zxid;
	cmd.time = env->time;
	cmd.session = env->session;
	cmd.cxid = env->cxid;
	cmd.opcode = env->opcode;
	cmd.payload = payload;
	cmd.len = len;
	cmd.auth = env->auth.bytes;
	cmd.auth_len = env->auth.size;
	sm_result_reset(&f->res);
	if (sm_apply(f->sm, &cmd, &f->res) < 0)
		fatalx("apply zxid=0x%llx out of order (last 0x%llx)",
		    (unsigned long long)env->zxid,
		    (unsigned long long)sm_last_zxid(f->sm));
	for (size_t i = 0; i < f->res.nchanges; i++)
		frontend_watch_trigger(f, &f->res.changes[i]);
	/* complete() answers queued reads, which reuse f->res */
	closed = f->res.session_closed;
	if (env->origin == frontend_origin(f) &&
	    (r = u64map_del(f->pending, env->seq)) != NULL)
		complete(f, r, env);
	if (closed != 0)
		frontend_session_closed(f, closed);
}
