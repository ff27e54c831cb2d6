/* Envelope + payload framing over ZeroMQ (see msg.h). */
#include "common/msg.h"

#include <errno.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "common/log.h"
#include "common/loop.h"

Envelope
msg_env(MsgType type)
{
	Envelope env = Envelope_init_zero;

	env.type = type;
	return env;
}

Envelope
msg_batch_env(MsgType type, const struct cmd_batch *b)
{
	Envelope env = msg_env(type);

	env.zxid = b->last_zxid;
	env.prev_zxid = b->first_prev;
	env.arg = (int64_t)b->n;
	return env;
}

int
msg_batch_next(const uint8_t **p, const uint8_t *end, const uint8_t **val,
    size_t *vlen)
{
	int rc = cmd_batch_next(p, end, val, vlen);

	if (rc == 1 && *p != end)
		loop_note_messages(1);
	return rc;
}

int
msg_send_frames(void *sock, const uint8_t *ident, size_t ident_len,
    const void *hdr, size_t hlen, const void *payload, size_t len)
{
	int more = payload != NULL ? ZMQ_SNDMORE : 0;

	loop_note_sock_used(sock);
	if (ident != NULL &&
	    zmq_send(sock, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return -1;
	if (zmq_send(sock, hdr, hlen, more | ZMQ_DONTWAIT) < 0)
		return -1;
	if (payload != NULL && zmq_send(sock, payload, len, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

int
msg_send(void *sock, const uint8_t *ident, size_t ident_len,
    const Envelope *env, const void *payload, size_t len)
{
	uint8_t buf[Envelope_size];
	pb_ostream_t os = pb_ostream_from_buffer(buf, sizeof(buf));

	if (!pb_encode(&os, Envelope_fields, env))
		fatalx("encode %s: %s", msg_type_name(env->type),
		    PB_GET_ERROR(&os));
	return msg_send_frames(sock, ident, ident_len, buf, os.bytes_written,
	    payload, len);
}

/* Discard the rest of a multipart message. */
static void
drain_more(void *sock)
{
	int more;
	size_t sz = sizeof(more);
	zmq_msg_t f;

	for (;;) {
		if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) < 0 || !more)
			return;
		zmq_msg_init(&f);
		zmq_msg_recv(&f, sock, 0);
		zmq_msg_close(&f);
	}
}

static int
has_more(void *sock)
{
	int more = 0;
	size_t sz = sizeof(more);

	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	return more;
}

/* Nothing to read: the socket's fd will signal the next message. */
static int
recv_failed(void *sock)
{
	if (errno == EAGAIN)
		loop_note_sock_drained(sock);
	else
		loop_note_sock_used(sock);
	return -1;
}

int
msg_recv_header(void *sock, int router, uint8_t *ident, size_t *ident_len,
    size_t ident_cap, zmq_msg_t *hdr)
{
	int n;

	*ident_len = 0;
	if (router) {
		n = zmq_recv(sock, ident, ident_cap, ZMQ_DONTWAIT);
		if (n < 0)
			return recv_failed(sock);
		*ident_len = (size_t)n > ident_cap ? ident_cap : (size_t)n;
	}
	zmq_msg_init(hdr);
	/* with a ROUTER the identity came first: the rest is there */
	if (zmq_msg_recv(hdr, sock, router ? 0 : ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(hdr);
		return recv_failed(sock);
	}
	loop_note_sock_used(sock);	/* more may wait */
	loop_note_messages(1);
	return 0;
}

int
msg_recv_payload(void *sock, zmq_msg_t *frame)
{
	zmq_msg_init(frame);
	if (!has_more(sock))
		return 0;
	zmq_msg_recv(frame, sock, 0);
	drain_more(sock);
	return 1;
}

void
msg_discard_rest(void *sock)
{
	drain_more(sock);
}

int
msg_recv(void *sock, int router, struct msg *m)
{
	zmq_msg_t f;
	pb_istream_t is;

	m->has_payload = 0;
	m->payload = NULL;
	m->len = 0;
	if (msg_recv_header(sock, router, m->ident, &m->ident_len,
	    sizeof(m->ident), &f) < 0)
		return -1;
	is = pb_istream_from_buffer(zmq_msg_data(&f), zmq_msg_size(&f));
	memset(&m->env, 0, sizeof(m->env));
	if (!pb_decode(&is, Envelope_fields, &m->env))
		fatalx("undecodable envelope (%zu bytes): %s",
		    zmq_msg_size(&f), PB_GET_ERROR(&is));
	zmq_msg_close(&f);
	if (msg_recv_payload(sock, &m->frame)) {
		m->has_payload = 1;
		m->payload = zmq_msg_data(&m->frame);
		m->len = zmq_msg_size(&m->frame);
	}
	return 0;
}

void
msg_close(struct msg *m)
{
	zmq_msg_close(&m->frame);
	m->has_payload = 0;
	m->payload = NULL;
	m->len = 0;
}

#define CASE(x) case x: return &#x[sizeof("MsgType_") - 1]
const char *
msg_type_name(int type)
{
	switch (type) {
	CASE(MsgType_MSG_NONE);
	CASE(MsgType_SUPERVISOR_READY);
	CASE(MsgType_SUPERVISOR_HEARTBEAT);
	CASE(MsgType_SUPERVISOR_STOP);
	CASE(MsgType_REPL_SUBMIT);
	CASE(MsgType_REPL_TOUCH);
	CASE(MsgType_COMMIT);
	CASE(MsgType_COMMIT_TICK);
	CASE(MsgType_STORE_HELLO);
	CASE(MsgType_STORE_STATE);
	CASE(MsgType_STORE_APPEND);
	CASE(MsgType_STORE_ACK);
	CASE(MsgType_STORE_COMMIT);
	CASE(MsgType_STORE_EPOCH);
	CASE(MsgType_STORE_TRUNC);
	CASE(MsgType_STORE_SNAP_INSTALL);
	CASE(MsgType_STORE_SNAP_REQ);
	CASE(MsgType_STORE_SNAP_CHUNK);
	CASE(MsgType_STORE_SNAP_END);
	CASE(MsgType_STORE_LOG_REQ);
	CASE(MsgType_STORE_LOG_ENTRY);
	CASE(MsgType_STORE_LOG_END);
	CASE(MsgType_STORE_SESSIONS_REQ);
	CASE(MsgType_STORE_SESSIONS);
	CASE(MsgType_STORE_CLEANUP_REQ);
	CASE(MsgType_STORE_CLEANUP);
	CASE(MsgType_ELECTION_QUERY);
	CASE(MsgType_ELECTION_RESULT);
	CASE(MsgType_ELECTION_LOOKING);
	CASE(MsgType_ELECTION_SETTLED);
	CASE(MsgType_ELECTION_CONFIG);
	default:
		return "unknown";
	}
}
#undef CASE
