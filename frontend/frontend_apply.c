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
complete(struct frontend *f, struct req *r, uint64_t zxid)
{
	r->zxid = (int64_t)zxid;
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
frontend_apply_commit(struct frontend *f, const struct cmd *c)
{
	struct sm_cmd cmd;
	struct req *r;
	uint64_t closed;

	cmd.zxid = c->h.zxid;
	cmd.time = c->h.time;
	cmd.session = c->h.session;
	cmd.cxid = c->h.cxid;
	cmd.opcode = c->h.opcode;
	cmd.payload = c->payload;
	cmd.len = c->len;
	cmd.auth = c->h.auth.bytes;
	cmd.auth_len = c->h.auth.size;
	sm_result_reset(&f->res);
	if (sm_apply(f->sm, &cmd, &f->res) < 0)
		fatalx("apply zxid=0x%llx out of order (last 0x%llx)",
		    (unsigned long long)c->h.zxid,
		    (unsigned long long)sm_last_zxid(f->sm));
	for (size_t i = 0; i < f->res.nchanges; i++)
		frontend_watch_trigger(f, &f->res.changes[i]);
	/* complete() answers queued reads, which reuse f->res */
	closed = f->res.session_closed;
	if (c->h.origin == frontend_origin(f) &&
	    (r = u64map_del(f->pending, c->h.seq)) != NULL)
		complete(f, r, c->h.zxid);
	if (closed != 0)
		frontend_session_closed(f, closed);
}
