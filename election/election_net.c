/*
 * Election traffic between servers, ZeroMQ over TCP (QuorumCnxManager's
 * job): we bind a ROUTER on our electionPort and connect one DEALER, whose
 * identity is our sid, to every other server. Every send is non-blocking
 * and dropped when it cannot go: notifications are idempotent and re-sent
 * on timeouts, so a dead peer never holds us. Whatever arrives on the
 * ROUTER is foreign bytes until it decodes and names a known server.
 */
#include "election/election.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

#define PEER_SNDHWM		100
#define PEER_RECONNECT_IVL	100	/* ms: a restarted peer is back soon */
#define PEER_HEARTBEAT_IVL	1000	/* ms: find half-open connections */
#define PEER_HEARTBEAT_TIMEOUT	3000
#define ROUTER_MAXMSGSIZE	4096	/* > any notification */
#define WARN_INTERVAL_MS	1000	/* foreign floods: 1 warning/s */

struct election_peer {
	uint32_t		 sid;
	void			*dealer;
	void			*monitor;	/* PAIR: dealer handshakes */
	struct election_net	*net;
};

struct election_net {
	struct election		*e;
	void			*router;
	struct election_peer	 peers[CONFIG_MAX_SERVERS];
	int			 npeers;
	uint64_t		 last_warn_ms;
	unsigned		 suppressed;
	unsigned		 monitors;	/* names each monitor endpoint */
};

static void
setopt_int(void *s, int opt, int v)
{
	zmq_setsockopt(s, opt, &v, sizeof(v));
}

/* tcp://host:port, with brackets and ZMQ_IPV6 for an IPv6 literal. */
static void
tcp_address(void *s, const struct config_server *sv, char *buf, size_t len)
{
	if (strchr(sv->host, ':') != NULL) {
		setopt_int(s, ZMQ_IPV6, 1);
		snprintf(buf, len, "tcp://[%s]:%u", sv->host,
		    sv->election_port);
	} else
		snprintf(buf, len, "tcp://%s:%u", sv->host, sv->election_port);
}

/* Log a peer problem, at most once a second (foreign bytes can flood). */
static void
peer_warn(struct election_net *net, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
peer_warn(struct election_net *net, const char *fmt, ...)
{
	uint64_t now = loop_now_ms();
	char line[512];
	va_list ap;

	if (now - net->last_warn_ms < WARN_INTERVAL_MS) {
		net->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (net->suppressed > 0)
		log_warnx("%s (and %u more since the last warning)", line,
		    net->suppressed);
	else
		log_warnx("%s", line);
	net->last_warn_ms = now;
	net->suppressed = 0;
}

/* "127.0.0.1:51234 identity '3'" for logs; identity escaped. */
static void
peer_name(zmq_msg_t *body, const uint8_t *id, size_t idlen, char *buf,
    size_t len)
{
	const char *addr = zmq_msg_gets(body, "Peer-Address");
	char ident[64];
	size_t j = 0;

	for (size_t i = 0; i < idlen && j + 5 < sizeof(ident); i++) {
		if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\'')
			ident[j++] = (char)id[i];
		else
			j += (size_t)snprintf(ident + j, sizeof(ident) - j,
			    "\\x%02x", id[i]);
	}
	ident[j] = '\0';
	snprintf(buf, len, "%s identity '%s'", addr ? addr : "?", ident);
}

/* 1 if the routing identity is the decimal sid the notification claims. */
static int
identity_is(const uint8_t *id, size_t idlen, uint32_t sid)
{
	char want[16];
	int n = snprintf(want, sizeof(want), "%u", sid);

	return (size_t)n == idlen && memcmp(id, want, idlen) == 0;
}

static int
more_pending(void *s)
{
	int more = 0;
	size_t sz = sizeof(more);

	return zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) == 0 && more;
}

static void
discard_rest(void *s)
{
	int more = 1;
	size_t sz = sizeof(more);
	zmq_msg_t f;

	while (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
		zmq_msg_init(&f);
		zmq_msg_recv(&f, s, 0);
		zmq_msg_close(&f);
	}
}

/* Validate one notification frame and hand it to the election. */
static void
deliver(struct election_net *net, zmq_msg_t *body, const uint8_t *id,
    size_t idlen)
{
	struct election_vote v;
	const char *why;
	char who[160];

	peer_name(body, id, idlen, who, sizeof(who));
	if (zmq_msg_more(body))
		peer_warn(net, "malformed notification from %s: more than "
		    "one frame, dropped", who);
	else if (election_vote_decode(zmq_msg_data(body), zmq_msg_size(body),
	    &net->e->c->cfg, &v, &why) < 0)
		peer_warn(net, "malformed notification from %s (%zu bytes): "
		    "%s, dropped", who, zmq_msg_size(body), why);
	else if (!identity_is(id, idlen, v.sid))
		peer_warn(net, "notification from %s claims sid=%u, dropped",
		    who, v.sid);
	else
		election_receive(net->e, &v);
}

/* One message from the ROUTER: [identity][notification]. -1: none left. */
static int
recv_router(struct election_net *net)
{
	uint8_t id[256];
	zmq_msg_t body;
	int n;

	if ((n = zmq_recv(net->router, id, sizeof(id), ZMQ_DONTWAIT)) < 0)
		return -1;
	if ((size_t)n > sizeof(id))
		n = sizeof(id);
	zmq_msg_init(&body);
	if (more_pending(net->router) &&
	    zmq_msg_recv(&body, net->router, 0) >= 0) {
		deliver(net, &body, id, (size_t)n);
		discard_rest(net->router);
	}
	zmq_msg_close(&body);
	return 0;
}

/* Replies to our notifications come back on our DEALER to that peer. */
static void
dispatch_dealer(struct loop *l, void *arg)
{
	struct election_peer *p = arg;
	char id[16];
	zmq_msg_t body;

	(void)l;
	snprintf(id, sizeof(id), "%u", p->sid);
	for (;;) {
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, p->dealer, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&body);
			return;
		}
		deliver(p->net, &body, (const uint8_t *)id, strlen(id));
		discard_rest(p->dealer);
		zmq_msg_close(&body);
	}
}

static void
dispatch_peers(struct loop *l, void *arg)
{
	struct election_net *net = arg;

	(void)l;
	while (recv_router(net) == 0)
		;
}

/* A monitor event: [u16 event, u32 value][address]. */
static void
dispatch_monitor(struct loop *l, void *arg)
{
	struct election_peer *p = arg;
	uint8_t ev[6];
	int n;
	uint16_t event;

	(void)l;
	while ((n = zmq_recv(p->monitor, ev, sizeof(ev), ZMQ_DONTWAIT)) >= 0) {
		discard_rest(p->monitor);
		if (n < 2)
			continue;
		memcpy(&event, ev, sizeof(event));
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			log_debug("connected to sid=%u", p->sid);
			election_peer_connected(p->net->e, p->sid);
		}
	}
}

static void
connect_peer(struct election_net *net, struct election_peer *p,
    const struct config_server *sv)
{
	void *zctx = net->e->c->zctx;
	char addr[300], ident[16], mon[64];

	p->sid = sv->id;
	p->net = net;
	if ((p->dealer = zmq_socket(zctx, ZMQ_DEALER)) == NULL)
		fatal("zmq_socket");
	snprintf(ident, sizeof(ident), "%u", net->e->c->cfg.myid);
	zmq_setsockopt(p->dealer, ZMQ_ROUTING_ID, ident, strlen(ident));
	setopt_int(p->dealer, ZMQ_LINGER, 0);
	setopt_int(p->dealer, ZMQ_SNDHWM, PEER_SNDHWM);
	/* queue nothing for a peer that is down: stale votes help nobody */
	setopt_int(p->dealer, ZMQ_IMMEDIATE, 1);
	setopt_int(p->dealer, ZMQ_RECONNECT_IVL, PEER_RECONNECT_IVL);
	setopt_int(p->dealer, ZMQ_HEARTBEAT_IVL, PEER_HEARTBEAT_IVL);
	setopt_int(p->dealer, ZMQ_HEARTBEAT_TIMEOUT, PEER_HEARTBEAT_TIMEOUT);
	/* the socket is ours, so is the monitor endpoint: unique per peer */
	snprintf(mon, sizeof(mon), "inproc://election-monitor-%u-%u", sv->id,
	    ++net->monitors);
	if (zmq_socket_monitor(p->dealer, mon,
	    ZMQ_EVENT_HANDSHAKE_SUCCEEDED) < 0)
		fatal("zmq_socket_monitor %s", mon);
	if ((p->monitor = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_connect(p->monitor, mon) < 0)
		fatal("monitor %s", mon);
	setopt_int(p->monitor, ZMQ_LINGER, 0);
	tcp_address(p->dealer, sv, addr, sizeof(addr));
	if (zmq_connect(p->dealer, addr) < 0)
		fatal("connect %s (server.%u)", addr, sv->id);
	loop_add_sock(net->e->c->loop, p->monitor, dispatch_monitor, p);
	loop_add_sock(net->e->c->loop, p->dealer, dispatch_dealer, p);
}

struct election_net *
election_net_new(struct election *e)
{
	const struct config *cfg = &e->c->cfg;
	const struct config_server *self = config_self(cfg);
	struct election_net *net;
	int64_t maxmsg = ROUTER_MAXMSGSIZE;
	char addr[300];

	if (self == NULL)
		fatalx("no server.%u line for our myid", cfg->myid);
	net = xcalloc(1, sizeof(*net));
	net->e = e;
	if ((net->router = zmq_socket(e->c->zctx, ZMQ_ROUTER)) == NULL)
		fatal("zmq_socket");
	setopt_int(net->router, ZMQ_LINGER, 0);
	/* a restarted peer reconnects with its old identity: let it in */
	setopt_int(net->router, ZMQ_ROUTER_HANDOVER, 1);
	/* a reply to a peer that is gone fails instead of vanishing */
	setopt_int(net->router, ZMQ_ROUTER_MANDATORY, 1);
	setopt_int(net->router, ZMQ_RCVHWM, 1000);
	/* a foreign sender cannot make us buffer megabytes */
	zmq_setsockopt(net->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	tcp_address(net->router, self, addr, sizeof(addr));
	if (zmq_bind(net->router, addr) < 0) {
		log_warn("bind %s (server.%u electionPort)", addr, self->id);
		zmq_close(net->router);
		free(net);
		return NULL;
	}
	log_info("sid=%u listening on %s (%s)", self->id, addr,
	    self->type == CONFIG_PARTICIPANT ? "participant" : "observer");
	for (int i = 0; i < cfg->nservers; i++)
		if (cfg->servers[i].id != cfg->myid)
			connect_peer(net, &net->peers[net->npeers++],
			    &cfg->servers[i]);
	loop_add_sock(e->c->loop, net->router, dispatch_peers, net);
	return net;
}

static void
close_peer(struct election_net *net, struct election_peer *p)
{
	loop_remove_sock(net->e->c->loop, p->monitor);
	loop_remove_sock(net->e->c->loop, p->dealer);
	zmq_socket_monitor(p->dealer, NULL, 0);
	zmq_close(p->monitor);
	zmq_close(p->dealer);
}

/*
 * A reconfig changed cfg's servers: talk to the new ones, forget the
 * removed. The peers array moves, so every socket is registered anew.
 */
void
election_net_reconfig(struct election_net *net)
{
	const struct config *cfg = &net->e->c->cfg;
	struct election_peer *p;
	int i, j, keep;

	for (i = 0; i < net->npeers; i++)
		close_peer(net, &net->peers[i]);
	net->npeers = 0;
	for (i = 0; i < cfg->nservers; i++) {
		if (cfg->servers[i].id == cfg->myid)
			continue;
		keep = 1;
		for (j = 0; j < net->npeers; j++)
			keep &= net->peers[j].sid != cfg->servers[i].id;
		if (!keep)
			continue;
		p = &net->peers[net->npeers++];
		memset(p, 0, sizeof(*p));
		connect_peer(net, p, &cfg->servers[i]);
	}
	log_info("election peers now: %d servers besides us", net->npeers);
}

void
election_net_destroy(struct election_net **netp)
{
	struct election_net *net;

	if (netp == NULL || (net = *netp) == NULL)
		return;
	for (int i = net->npeers - 1; i >= 0; i--)
		close_peer(net, &net->peers[i]);
	loop_remove_sock(net->e->c->loop, net->router);
	zmq_close(net->router);
	free(net);
	*netp = NULL;
}

static struct election_peer *
find_peer(struct election_net *net, uint32_t sid)
{
	for (int i = 0; i < net->npeers; i++)
		if (net->peers[i].sid == sid)
			return &net->peers[i];
	return NULL;
}

static void
trace(const char *how, uint32_t sid, const struct election_vote *v)
{
	log_debug("notification %s sid=%u: %s, leader sid=%u epoch=%" PRIu64
	    " zxid=0x%" PRIx64 " round %" PRIu64, how, sid,
	    election_state_name(v->state), v->leader, v->peer_epoch, v->zxid,
	    v->election_epoch);
}

void
election_net_send(struct election_net *net, uint32_t sid,
    const struct election_vote *v)
{
	uint8_t buf[ELECTION_NOTIFICATION_MAX];
	size_t len = election_vote_encode(v, buf, sizeof(buf));
	struct election_peer *p = find_peer(net, sid);

	if (len == 0)
		fatalx("cannot encode a notification");
	if (p == NULL)
		return;
	loop_note_sock_used(p->dealer);
	if (zmq_send(p->dealer, buf, len, ZMQ_DONTWAIT) < 0) {
		log_debug("notification to sid=%u dropped: %s", sid,
		    zmq_strerror(errno));
		return;
	}
	trace("to", sid, v);
}

void
election_net_reply(struct election_net *net, uint32_t sid,
    const struct election_vote *v)
{
	uint8_t buf[ELECTION_NOTIFICATION_MAX];
	size_t len = election_vote_encode(v, buf, sizeof(buf));
	char id[16];

	if (len == 0)
		fatalx("cannot encode a notification");
	/*
	 * The peer's own connection just carried its notification, while
	 * ours to it may still be reconnecting (it restarted): answer there.
	 */
	snprintf(id, sizeof(id), "%u", sid);
	loop_note_sock_used(net->router);
	if (zmq_send(net->router, id, strlen(id), ZMQ_SNDMORE |
	    ZMQ_DONTWAIT) < 0 ||
	    zmq_send(net->router, buf, len, ZMQ_DONTWAIT) < 0) {
		election_net_send(net, sid, v);
		return;
	}
	trace("in reply to", sid, v);
}

void
election_net_send_voters(struct election_net *net,
    const struct election_vote *v)
{
	const struct config *cfg = &net->e->c->cfg;

	for (int i = 0; i < net->npeers; i++)
		if (election_vote_is_voter(cfg, net->peers[i].sid))
			election_net_send(net, net->peers[i].sid, v);
}
