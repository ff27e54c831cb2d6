/*
 * ZAB messages between nodes: ZeroMQ over TCP, frame 1 a nanopb
 * PeerHeader, frame 2 an optional payload. Everything received here is
 * foreign input: a frame that does not decode, or from a sid we do not
 * know, is logged and dropped, never trusted.
 */
#include "replicator/replicator.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>
#include <zmq.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"

#define PEER_HWM	100000	/* past it a learner is too slow: dropped */

static void
set_common(void *s)
{
	int zero = 0, hwm = PEER_HWM, ivl = 50, ivlmax = 500;

	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof(ivlmax));
}

static const struct config_server *
server(const struct replicator *r, uint32_t sid)
{
	const struct config *cfg = &r->c->cfg;

	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].id == sid)
			return &cfg->servers[i];
	return NULL;
}

void
replicator_peer_bind(struct replicator *r)
{
	const struct config_server *self = config_self(&r->c->cfg);
	char addr[320];
	int one = 1;

	if (self == NULL)
		fatalx("no server.%u line for this node", r->myid);
	r->quorum = zmq_socket(r->c->zctx, ZMQ_ROUTER);
	set_common(r->quorum);
	/* a learner that reconnects takes its identity over */
	zmq_setsockopt(r->quorum, ZMQ_ROUTER_HANDOVER, &one, sizeof(one));
	zmq_setsockopt(r->quorum, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	snprintf(addr, sizeof(addr), "tcp://%s:%u", self->host,
	    self->quorum_port);
	if (zmq_bind(r->quorum, addr) < 0)
		fatal("bind quorumPort %s", addr);
	log_info("quorum port %s", addr);
}

/*
 * ZeroMQ hides a dropped connection; a socket monitor tells us at once
 * when the leader's end goes away (its process died: the kernel reset the
 * TCP connection), so we need not wait syncLimit ticks to look again.
 */
static void
on_monitor(struct loop *l, void *arg)
{
	struct replicator *r = arg;
	zmq_msg_t ev;
	uint16_t event = 0;

	(void)l;
	for (;;) {
		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, r->leader_mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&ev);
			return;
		}
		if (zmq_msg_size(&ev) >= 2)
			memcpy(&event, zmq_msg_data(&ev), 2);
		zmq_msg_close(&ev);
		msg_discard_rest(r->leader_mon);
		if (event == ZMQ_EVENT_DISCONNECTED &&
		    r->role == ROLE_FOLLOWING) {
			replicator_go_looking(r, "lost the connection to the "
			    "leader");
			return;
		}
	}
}

static void
monitor_leader(struct replicator *r)
{
	char addr[64];

	snprintf(addr, sizeof(addr), "inproc://leader-monitor-%p",
	    (void *)r->leader);
	if (zmq_socket_monitor(r->leader, addr, ZMQ_EVENT_DISCONNECTED) < 0)
		fatal("zmq_socket_monitor");
	r->leader_mon = zmq_socket(r->c->zctx, ZMQ_PAIR);
	if (zmq_connect(r->leader_mon, addr) < 0)
		fatal("connect %s", addr);
	loop_add_sock(r->c->loop, r->leader_mon, on_monitor, r);
}

void
replicator_peer_connect(struct replicator *r, uint32_t leader)
{
	const struct config_server *s = server(r, leader);
	char addr[320], id[16];

	replicator_peer_disconnect(r);
	if (s == NULL)
		fatalx("leader sid=%u is not in the config", leader);
	r->leader = zmq_socket(r->c->zctx, ZMQ_DEALER);
	set_common(r->leader);
	snprintf(id, sizeof(id), "%u", r->myid);
	zmq_setsockopt(r->leader, ZMQ_ROUTING_ID, id, strlen(id));
	snprintf(addr, sizeof(addr), "tcp://%s:%u", s->host, s->quorum_port);
	if (zmq_connect(r->leader, addr) < 0)
		fatal("connect %s", addr);
	monitor_leader(r);
}

void
replicator_peer_disconnect(struct replicator *r)
{
	int zero = 0;

	if (r->leader == NULL)
		return;
	loop_remove_sock(r->c->loop, r->leader_mon);
	zmq_socket_monitor(r->leader, NULL, 0);
	zmq_setsockopt(r->leader_mon, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(r->leader_mon);
	r->leader_mon = NULL;
	loop_remove_sock(r->c->loop, r->leader);
	zmq_setsockopt(r->leader, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(r->leader);
	r->leader = NULL;
}

PeerHeader
replicator_peer_header(struct replicator *r, PeerType type)
{
	PeerHeader h = PeerHeader_init_zero;

	h.type = type;
	h.sid = r->myid;
	h.protocol = PEER_PROTOCOL_VERSION;
	return h;
}

int
replicator_peer_send(void *sock, const uint8_t *ident, size_t ilen,
    const PeerHeader *h, const void *payload, size_t len)
{
	uint8_t buf[PeerHeader_size];
	pb_ostream_t os = pb_ostream_from_buffer(buf, sizeof(buf));

	if (sock == NULL)
		return -1;
	if (!pb_encode(&os, PeerHeader_fields, h))
		fatalx("encode peer %s", replicator_peer_type_name(h->type));
	return msg_send_frames(sock, ident, ilen, buf, os.bytes_written,
	    payload, len);
}

int
replicator_peer_recv(void *sock, int router, struct peer_msg *m)
{
	zmq_msg_t f;
	pb_istream_t is;

	for (;;) {
		memset(m, 0, sizeof(*m));
		if (msg_recv_header(sock, router, m->ident, &m->ident_len,
		    sizeof(m->ident), &f) < 0)
			return -1;
		is = pb_istream_from_buffer(zmq_msg_data(&f), zmq_msg_size(&f));
		if (!pb_decode(&is, PeerHeader_fields, &m->h) ||
		    m->h.protocol != PEER_PROTOCOL_VERSION) {
			log_warnx("peer: dropping a malformed message (%zu "
			    "bytes)", zmq_msg_size(&f));
			zmq_msg_close(&f);
			msg_discard_rest(sock);
			continue;
		}
		zmq_msg_close(&f);
		if (msg_recv_payload(sock, &m->frame)) {
			m->has_payload = 1;
			m->payload = zmq_msg_data(&m->frame);
			m->len = zmq_msg_size(&m->frame);
		}
		return 0;
	}
}

void
replicator_peer_close(struct peer_msg *m)
{
	if (m->has_payload)
		zmq_msg_close(&m->frame);
	m->has_payload = 0;
	m->payload = NULL;
}

#define CASE(x) case PeerType_##x: return #x
const char *
replicator_peer_type_name(int t)
{
	switch (t) {
	CASE(REQUEST);
	CASE(PROPOSAL);
	CASE(ACK);
	CASE(COMMIT);
	CASE(PING);
	CASE(NEWLEADER);
	CASE(FOLLOWERINFO);
	CASE(UPTODATE);
	CASE(DIFF);
	CASE(TRUNC);
	CASE(SNAP);
	CASE(LEADERINFO);
	CASE(ACKEPOCH);
	CASE(SNAP_CHUNK);
	CASE(SNAP_END);
	default:
		return "unknown";
	}
}
#undef CASE
