/*
 * Requests of one connection, in order. Reads are answered from the tree
 * the moment they reach the head of the queue; writes go to the
 * replicator at once (several may be in flight) and are answered when
 * their commit arrives. Replies therefore leave in request order.
 */
#include "frontend/frontend.h"

#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/xmalloc.h"

/* opcodes (zookeeper/proto.h and ZooDefs.OpCode) */
#define OP_CREATE		1
#define OP_DELETE		2
#define OP_EXISTS		3
#define OP_GETDATA		4
#define OP_SETDATA		5
#define OP_GETACL		6
#define OP_SETACL		7
#define OP_GETCHILDREN		8
#define OP_SYNC			9
#define OP_PING			11
#define OP_GETCHILDREN2		12
#define OP_CHECK		13
#define OP_MULTI		14
#define OP_CREATE2		15
#define OP_RECONFIG		16
#define OP_CHECKWATCHES		17
#define OP_REMOVEWATCHES	18
#define OP_CREATE_CONTAINER	19
#define OP_DELETE_CONTAINER	20
#define OP_CREATE_TTL		21
#define OP_MULTIREAD		22
#define OP_SETAUTH		100
#define OP_SETWATCHES		101
#define OP_SASL			102
#define OP_GETEPHEMERALS	103
#define OP_GETALLCHILDRENNUMBER	104
#define OP_SETWATCHES2		105
#define OP_ADDWATCH		106
#define OP_WHOAMI		107
#define OP_CLOSE		(-11)

#define XID_PING		(-2)
#define XID_SETWATCHES		(-8)

#define ZUNIMPLEMENTED		(-6)
#define ZMARSHALLINGERROR	(-5)


static int
is_write(int32_t op)
{
	switch (op) {
	case OP_CREATE:
	case OP_DELETE:
	case OP_SETDATA:
	case OP_SETACL:
	case OP_SYNC:
	case OP_CHECK:
	case OP_MULTI:
	case OP_CREATE2:
	case OP_CREATE_CONTAINER:
	case OP_CREATE_TTL:
	case OP_RECONFIG:
	case OP_CLOSE:
		return 1;	/* deleteContainer is the leader's, not a client's */
	default:
		return 0;
	}
}

void
frontend_request_free(struct req *r)
{
	if (r == NULL)
		return;
	free(r->payload);
	free(r->auth);
	jute_writer_free(&r->reply);
	free(r);
}

/* Server and connection latency (srvr, mntr, cons). */
static void
record_latency(struct frontend *f, struct conn *c, int32_t op,
    uint64_t start)
{
	uint64_t d = loop_now_us() - start;

	if (f->lat_count == 0 || d < f->lat_min_us)
		f->lat_min_us = d;
	if (d > f->lat_max_us)
		f->lat_max_us = d;
	f->lat_sum_us += d;
	f->lat_count++;
	if (c->lat_count == 0 || d < c->lat_min_us)
		c->lat_min_us = d;
	if (d > c->lat_max_us)
		c->lat_max_us = d;
	c->lat_sum_us += d;
	c->lat_count++;
	c->lat_last_us = d;
	c->last_op = op;
}

/* sm_read with the ACL checks of the connection's identities. */
static void
read_as(struct frontend *f, struct conn *c, int32_t op, const uint8_t *p,
    size_t n, struct sm_result *res)
{
	struct acl_ids ids;

	frontend_auth_ids(f, c, &ids);
	sm_read_auth(f->sm, c->session, ids.enc, ids.len, op, p, n, res);
}

/* addWatch answers an ErrorResponse (int 0); check/removeWatches no body. */
static void
watch_request(struct frontend *f, struct conn *c, int32_t xid, int32_t op,
    const uint8_t *p, size_t n)
{
	struct jute_writer *w = &f->res.reply;
	int32_t err;

	if (op == OP_ADDWATCH) {
		err = frontend_watch_add_request(f, c, p, n);
		if (err == 0)
			jute_put_int(w, 0);
	} else
		err = frontend_watch_remove_request(f, c, op, p, n);
	frontend_conn_reply(f, c, xid, (int64_t)sm_last_zxid(f->sm), err, w);
}

/* Answer a read-type request from the tree, now. */
static void
execute_read(struct frontend *f, struct conn *c, int32_t xid, int32_t op,
    const uint8_t *p, size_t n)
{
	struct sm_result *res = &f->res;
	int64_t zxid = (int64_t)sm_last_zxid(f->sm);
	int32_t err;

	sm_result_reset(res);
	switch (op) {
	case OP_PING:
		frontend_conn_reply(f, c, XID_PING, zxid, 0, NULL);
		return;
	case OP_SETWATCHES:
	case OP_SETWATCHES2:
		frontend_watch_set(f, c, p, n, op == OP_SETWATCHES2);
		frontend_conn_reply(f, c, XID_SETWATCHES, zxid, 0, NULL);
		return;
	case OP_ADDWATCH:
	case OP_CHECKWATCHES:
	case OP_REMOVEWATCHES:
		watch_request(f, c, xid, op, p, n);
		return;
	case OP_WHOAMI:
		frontend_auth_whoami(f, c, &res->reply);
		frontend_conn_reply(f, c, xid, zxid, 0, &res->reply);
		return;
	case OP_EXISTS:
	case OP_GETDATA:
	case OP_GETACL:
	case OP_GETCHILDREN:
	case OP_GETCHILDREN2:
	case OP_GETEPHEMERALS:
	case OP_GETALLCHILDRENNUMBER:
		read_as(f, c, op, p, n, res);
		if (res->watch != SM_WATCH_NONE && res->watch_path != NULL)
			frontend_watch_add(f, c, res->watch, res->watch_path);
		frontend_conn_reply(f, c, xid, zxid, res->err, &res->reply);
		return;
	case OP_MULTIREAD:
		err = frontend_multiread(f, c, p, n, &res->reply);
		frontend_conn_reply(f, c, xid, zxid, err, &res->reply);
		return;
	default:
		/* as ZooKeeper: answer ZUNIMPLEMENTED, then hang up */
		log_info("client=%s: opcode %d not implemented, closing",
		    c->peer, op);
		frontend_conn_reply(f, c, xid, zxid, ZUNIMPLEMENTED, NULL);
		frontend_conn_close_after_flush(f, c);
		return;
	}
}

/* Requests received and not yet answered, over all connections. */
static size_t backlog;

size_t
frontend_request_backlog(void)
{
	return backlog;
}

void
frontend_request_forget(size_t n)
{
	backlog -= n < backlog ? n : backlog;
}

static void
enqueue(struct conn *c, struct req *r)
{
	r->conn = c;
	if (c->tail != NULL)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	c->queued++;
	backlog++;
}

static struct req *
new_req(int32_t xid, int32_t op, const uint8_t *p, size_t n)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->xid = xid;
	r->opcode = op;
	r->payload = n ? xmemdup(p, n) : NULL;
	r->len = n;
	r->start_us = loop_now_us();
	jute_writer_init(&r->reply);
	return r;
}

/* A write carries the ids of the moment it came (Request.authInfo). */
static void
snapshot_ids(struct frontend *f, struct conn *c, struct req *r)
{
	struct acl_ids ids;

	frontend_auth_ids(f, c, &ids);
	r->auth = xmemdup(ids.enc, ids.len);
	r->auth_len = ids.len;
}

void
frontend_request_packet(struct frontend *f, struct conn *c,
    const uint8_t *p, size_t n)
{
	struct jute_reader rd;
	struct zk_request_header h;
	struct req *r;

	if (c->state != CONN_ACTIVE) {
		frontend_conn_close(f, c, "request before the session exists");
		return;
	}
	jute_reader_init(&rd, p, n);
	if (jute_get_request_header(&rd, &h) < 0) {
		frontend_conn_close(f, c, "malformed request header");
		return;
	}
	p += rd.off;
	n -= rd.off;
	/* as ZooKeeper's processPacket: auth is handled on arrival */
	if (h.type == OP_SETAUTH) {
		frontend_auth_packet(f, c, p, n);
		return;
	}
	if (h.type == OP_SASL) {
		frontend_sasl_packet(f, c, h.xid, p, n);
		return;
	}
	if (!is_write(h.type) && c->head == NULL) {
		uint64_t t0 = loop_now_us();

		execute_read(f, c, h.xid, h.type, p, n);
		record_latency(f, c, h.type, t0);
		return;
	}
	r = new_req(h.xid, h.type, p, n);
	r->session = c->session;
	if (is_write(h.type)) {
		snapshot_ids(f, c, r);
		if (h.type == OP_RECONFIG &&
		    (r->err = frontend_reconfig_prepare(f, c, r)) != 0) {
			/* answered in its turn, like any other */
			r->state = REQ_DONE;
			r->zxid = (int64_t)sm_last_zxid(f->sm);
			enqueue(c, r);
			frontend_request_flush(f, c);
			return;
		}
		r->state = REQ_WAITING;
		r->seq = f->seq_base + ++f->seq_next;
		u64map_put(f->pending, r->seq, r);
		enqueue(c, r);
		frontend_submit(f, r);
	} else {
		r->state = REQ_READ;
		enqueue(c, r);
	}
}

void
frontend_request_flush(struct frontend *f, struct conn *c)
{
	struct req *r;

	while (c->fd >= 0 && (r = c->head) != NULL && r->state != REQ_WAITING) {
		int closing = r->opcode == OP_CLOSE;

		if (r->state == REQ_READ)
			execute_read(f, c, r->xid, r->opcode, r->payload,
			    r->len);
		else
			frontend_conn_reply(f, c, r->xid, r->zxid, r->err,
			    &r->reply);
		record_latency(f, c, r->opcode, r->start_us);
		c->head = r->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->queued--;
		frontend_request_forget(1);
		frontend_request_free(r);
		if (closing) {
			frontend_conn_close_after_flush(f, c);
			return;
		}
	}
	frontend_conn_resume(f, c);
}
