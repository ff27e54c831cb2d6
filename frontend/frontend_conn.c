/*
 * Client connections: one epoll fd covering the listener and every
 * client, registered with the loop. Output is buffered per connection and
 * written once per loop iteration (before sleep), so a burst of replies
 * costs one syscall.
 */
#include "frontend/frontend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/xmalloc.h"

#define READ_CHUNK	65536
#define MAX_QUEUED	4096	/* stop reading a client this far ahead */

void
frontend_conn_listen(struct frontend *f)
{
	struct config *cfg = &f->c->cfg;
	struct sockaddr_in sin;
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(cfg->client_port);
	if (inet_pton(AF_INET, cfg->client_port_address[0] ?
	    cfg->client_port_address : "0.0.0.0", &sin.sin_addr) != 1)
		fatalx("clientPortAddress %s: not an IPv4 address",
		    cfg->client_port_address);
	f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0)
		fatal("socket");
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* several frontends of one node share the port */
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(f->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		fatal("bind %s:%u", cfg->client_port_address, cfg->client_port);
	if (listen(f->listen_fd, 1024) < 0)
		fatal("listen");
	ev.data.u64 = 0;	/* conn id 0 = the listener */
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->listen_fd, &ev) < 0)
		fatal("epoll_ctl listener");
	log_info("serving clients on %s:%u", cfg->client_port_address[0] ?
	    cfg->client_port_address : "0.0.0.0", cfg->client_port);
}

struct ip_count {
	const char	*ip;
	size_t		 iplen;
	int		 n;
};

static void
count_ip(void *arg, uint64_t key, void *val)
{
	struct ip_count *ic = arg;
	const struct conn *c = val;

	(void)key;
	if (strncmp(c->peer, ic->ip, ic->iplen) == 0 && c->peer[ic->iplen] == ':')
		ic->n++;
}

/* maxClientCnxns: connections from one address (0 = unlimited). */
static int
too_many(struct frontend *f, const char *ip)
{
	struct ip_count ic = { ip, strlen(ip), 0 };
	int max = f->c->cfg.max_client_cnxns;

	if (max <= 0)
		return 0;
	u64map_foreach(f->conns, count_ip, &ic);
	return ic.n >= max;
}


static void
accept_all(struct frontend *f)
{
	for (;;) {
		struct sockaddr_in sin;
		socklen_t sl = sizeof(sin);
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c;
		char ip[INET_ADDRSTRLEN];
		int fd, one = 1;

		fd = accept4(f->listen_fd, (struct sockaddr *)&sin, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
		if (too_many(f, ip)) {
			/* as ZooKeeper: refused at accept, before any byte */
			log_warnx("client=%s:%u: Too many connections from /%s "
			    "- max is %d (maxClientCnxns), closing", ip,
			    ntohs(sin.sin_port), ip,
			    f->c->cfg.max_client_cnxns);
			f->conn_rejected++;
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->id = ++f->next_conn_id;
		c->fd = fd;
		c->state = CONN_HANDSHAKE;
		c->est_ms = loop_wall_ms();	/* cons: est= */
		c->last_cxid = -1;
		snprintf(c->peer, sizeof(c->peer), "%s:%u", ip,
		    ntohs(sin.sin_port));
		jute_writer_init(&c->out);
		u64map_put(f->conns, c->id, c);
		ev.data.u64 = c->id;
		if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			fatal("epoll_ctl add client");
	}
}

static void
mark_dirty(struct frontend *f, struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	c->dirty_next = f->dirty;
	f->dirty = c;
}

void
frontend_conn_send(struct frontend *f, struct conn *c, const void *p,
    size_t n)
{
	if (c->fd < 0)
		return;
	jute_put_raw(&c->out, p, n);
	mark_dirty(f, c);
}

void
frontend_conn_reply(struct frontend *f, struct conn *c, int32_t xid,
    int64_t zxid, int32_t err, const struct jute_writer *body)
{
	struct zk_reply_header h = { xid, zxid, err };
	size_t start = c->out.len;

	if (c->fd < 0)
		return;
	jute_put_int(&c->out, 0);
	jute_put_reply_header(&c->out, &h);
	if (body != NULL && body->len > 0)
		jute_put_raw(&c->out, body->buf, body->len);
	jute_patch_int(&c->out, start, (int32_t)(c->out.len - start - 4));
	if (xid != -1) {	/* a response, not a notification: cons */
		c->last_cxid = xid;
		c->last_zxid = (uint64_t)zxid;
		c->last_resp_ms = loop_now_ms();
	}
	c->sent++;
	f->packets_sent++;
	mark_dirty(f, c);
}

/* Split the input into length-prefixed packets and hand them on. */
static int
parse_input(struct frontend *f, struct conn *c)
{
	size_t off = 0;
	int32_t max = f->c->cfg.jute_maxbuffer;

	if (c->state == CONN_HANDSHAKE && c->inlen >= 4 && frontend_4lw(f, c))
		return 0;	/* answered; closes once written */
	while (c->inlen - off >= 4 && c->fd >= 0 && c->state != CONN_CLOSING) {
		uint32_t be;
		int32_t len;

		memcpy(&be, c->in + off, 4);
		len = (int32_t)ntohl(be);
		if (len < 0 || len > max) {
			log_warnx("client=%s: packet length %d out of range "
			    "(jute.maxbuffer %d), closing", c->peer, len, max);
			return -1;
		}
		if (c->inlen - off - 4 < (size_t)len)
			break;
		c->received++;
		f->packets_received++;
		/* many clients' requests count for coalescing, a few don't */
		if (frontend_request_backlog() >= LOOP_BACKLOG)
			loop_note_messages(1);
		c->touched = 1;
		if (c->state == CONN_HANDSHAKE)
			frontend_session_connect(f, c, c->in + off + 4,
			    (size_t)len);
		else
			frontend_request_packet(f, c, c->in + off + 4,
			    (size_t)len);
		off += 4 + (size_t)len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return 0;
}

/* Set the epoll interest: out while output waits, in unless paused. */
static void
arm(struct frontend *f, struct conn *c)
{
	struct epoll_event ev;

	ev.events = (c->paused ? 0 : EPOLLIN) | (c->want_write ? EPOLLOUT : 0);
	ev.data.u64 = c->id;
	epoll_ctl(f->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
read_conn(struct frontend *f, struct conn *c)
{
	for (;;) {
		ssize_t n;
		size_t room;

		if (c->queued > MAX_QUEUED) {
			/* a client far ahead of us waits: backpressure */
			c->paused = 1;
			arm(f, c);
			return;
		}
		if (c->incap - c->inlen < READ_CHUNK) {
			c->incap = c->inlen + READ_CHUNK * 2;
			c->in = xrealloc(c->in, c->incap);
		}
		room = c->incap - c->inlen;
		n = read(c->fd, c->in + c->inlen, room);
		if (n == 0) {
			frontend_conn_close(f, c, "closed by client");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			frontend_conn_close(f, c, strerror(errno));
			return;
		}
		c->inlen += (size_t)n;
		if (parse_input(f, c) < 0) {
			frontend_conn_close(f, c, "bad input");
			return;
		}
		if (c->fd < 0 || c->state == CONN_CLOSING)
			return;
		if ((size_t)n < room)
			return;	/* drained the socket */
	}
}

/* Resume reading a client whose queue has drained (see MAX_QUEUED). */
void
frontend_conn_resume(struct frontend *f, struct conn *c)
{
	if (c->fd < 0 || !c->paused || c->queued > MAX_QUEUED / 2)
		return;
	c->paused = 0;
	arm(f, c);
}

/* Write buffered output; keep EPOLLOUT armed only while some is left. */
static void
write_conn(struct frontend *f, struct conn *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = write(c->fd, c->out.buf + c->outoff,
		    c->out.len - c->outoff);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			frontend_conn_close(f, c, strerror(errno));
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->out.len) {
		jute_writer_reset(&c->out);
		c->outoff = 0;
		if (c->state == CONN_CLOSING) {
			frontend_conn_close(f, c, "closed after reply");
			return;
		}
	}
	if ((c->outoff < c->out.len) != c->want_write) {
		c->want_write = c->outoff < c->out.len;
		arm(f, c);
	}
}

void
frontend_conn_events(struct frontend *f)
{
	struct epoll_event evs[256];
	int n;

	n = epoll_wait(f->epfd, evs, 256, 0);
	for (int i = 0; i < n; i++) {
		struct conn *c;

		if (evs[i].data.u64 == 0) {
			accept_all(f);
			continue;
		}
		if ((c = u64map_get(f->conns, evs[i].data.u64)) == NULL)
			continue;
		if (evs[i].events & EPOLLOUT)
			write_conn(f, c);
		if (c->fd >= 0 && evs[i].events & (EPOLLIN | EPOLLHUP |
		    EPOLLERR))
			read_conn(f, c);
	}
}

void
frontend_conn_flush_all(struct frontend *f)
{
	while (f->dirty != NULL) {
		struct conn *c = f->dirty;

		f->dirty = c->dirty_next;
		c->dirty = 0;
		if (c->fd >= 0) {
			write_conn(f, c);
			continue;
		}
		/* closed: nothing else points at it any more */
		free(c->in);
		jute_writer_free(&c->out);
		free(c);
	}
}

/* Stop reading; close once the queued output is written. */
void
frontend_conn_close_after_flush(struct frontend *f, struct conn *c)
{
	c->state = CONN_CLOSING;
	mark_dirty(f, c);
}

/*
 * Close now. Writes still waiting for their commit are orphaned, not
 * dropped: they were submitted and will be applied; only their replies
 * are lost, as when a ZooKeeper client disconnects.
 */
void
frontend_conn_close(struct frontend *f, struct conn *c, const char *why)
{
	struct req *r, *next;

	if (c->fd < 0)
		return;
	log_debug("client=%s session=0x%016llx: %s", c->peer,
	    (unsigned long long)c->session, why);
	epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	u64map_del(f->conns, c->id);
	if (c->session != 0 && u64map_get(f->sessions, c->session) == c)
		u64map_del(f->sessions, c->session);
	frontend_watch_conn_gone(f, c);
	frontend_sasl_conn_gone(c);
	for (r = c->head; r != NULL; r = next) {
		next = r->next;
		if (r->state == REQ_WAITING)
			r->conn = NULL;
		else
			frontend_request_free(r);
	}
	c->head = c->tail = NULL;
	frontend_request_forget(c->queued);
	c->queued = 0;
	if (c->connect_req != NULL)
		c->connect_req->conn = NULL;
	c->connect_req = NULL;
	mark_dirty(f, c);	/* freed by flush_all */
}

struct conn_vec {
	struct conn	**v;
	size_t		 *n;
};

static void
collect_conn(void *arg, uint64_t key, void *val)
{
	struct conn_vec *cv = arg;

	(void)key;
	cv->v[(*cv->n)++] = val;
}

static void
close_one(void *arg, uint64_t key, void *val)
{
	struct conn *c = val;
	struct frontend *f = arg;

	(void)key;
	if (c->state != CONN_HANDSHAKE || c->inlen == 0)
		frontend_conn_close(f, c, f->closing_why);
}

void
frontend_conn_close_all(struct frontend *f, const char *why)
{
	size_t n = frontend_conn_count(f);
	struct conn **all;
	size_t k = 0;

	log_info("closing %zu client connections: %s", n, why);
	all = xcalloc(n + 1, sizeof(*all));
	f->closing_why = why;
	/* collect first: closing edits the map we walk */
	u64map_foreach(f->conns, collect_conn, &(struct conn_vec){ all, &k });
	for (size_t i = 0; i < k; i++)
		close_one(f, 0, all[i]);
	free(all);
}

size_t
frontend_conn_count(const struct frontend *f)
{
	return u64map_count(f->conns);
}
