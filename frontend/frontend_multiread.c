/*
 * multiRead (opcode 22, ZooKeeper 3.6+): several getData / getChildren
 * reads answered together from one state of the tree. Unlike multi it is
 * not all-or-nothing: each op gets its result or its own ErrorResult.
 */
#include "frontend/frontend.h"

#include "common/log.h"

#define OP_GETDATA	4
#define OP_GETCHILDREN	8
#define OP_ERROR	(-1)
#define ZMARSHALLINGERROR (-5)

/* Re-encode one read op as its stand-alone request (path, watch=false). */
static int
read_op(struct jute_reader *rd, struct jute_writer *req)
{
	struct jute_bytes path;

	if (jute_get_bytes(rd, &path) < 0)
		return -1;
	(void)jute_get_bool(rd);	/* multiRead never sets watches */
	if (rd->err)
		return -1;
	jute_writer_reset(req);
	jute_put_bytes(req, path.p, path.len);
	jute_put_bool(req, 0);
	return 0;
}

static void
put_result(struct jute_writer *out, int32_t type, const struct sm_result *res)
{
	struct zk_multi_header h = { type, 0, 0 };

	if (res->err != 0) {
		h = (struct zk_multi_header){ OP_ERROR, 0, res->err };
		jute_put_multi_header(out, &h);
		jute_put_int(out, res->err);
		return;
	}
	jute_put_multi_header(out, &h);
	jute_put_raw(out, res->reply.buf, res->reply.len);
}

/* Returns the reply header's err: 0, or ZMARSHALLINGERROR. */
int32_t
frontend_multiread(struct frontend *f, struct conn *c, const uint8_t *p,
    size_t n, struct jute_writer *out)
{
	struct jute_reader rd;
	struct zk_multi_header h;
	struct jute_writer req;
	struct sm_result res;
	struct acl_ids ids;
	int32_t err = 0;

	frontend_auth_ids(f, c, &ids);
	jute_reader_init(&rd, p, n);
	jute_writer_init(&req);
	sm_result_init(&res);
	for (;;) {
		if (jute_get_multi_header(&rd, &h) < 0) {
			err = ZMARSHALLINGERROR;
			break;
		}
		if (h.done)
			break;
		if ((h.type != OP_GETDATA && h.type != OP_GETCHILDREN) ||
		    read_op(&rd, &req) < 0) {
			log_warnx("client=%s: malformed multiRead", c->peer);
			err = ZMARSHALLINGERROR;
			break;
		}
		sm_result_reset(&res);
		/* each op is checked like its stand-alone read */
		sm_read_auth(f->sm, c->session, ids.enc, ids.len, h.type,
		    req.buf, req.len, &res);
		put_result(out, h.type, &res);
	}
	if (err == 0) {
		h = (struct zk_multi_header){ -1, 1, -1 };
		jute_put_multi_header(out, &h);
	} else
		jute_writer_reset(out);
	sm_result_free(&res);
	jute_writer_free(&req);
	return err;
}
