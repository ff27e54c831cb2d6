/*
 * Four-letter words: a connection whose first four bytes spell a known
 * command gets its text answer and is closed, as in ZooKeeper. Words not
 * in 4lw.commands.whitelist get ZooKeeper's refusal text.
 */
#include "frontend/frontend.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/loop.h"
#include "common/map.h"

#define ZK_PROTOCOL_VERSION	"3.8.4"

static const char *const words[] = {
	"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "isro",
	"mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp",
	"wchs", NULL
};

struct text {
	char	buf[16384];
	size_t	len;
};

static void tprintf(struct text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len ? (size_t)n :
		    sizeof(t->buf) - t->len - 1;
}

/* The replicator's role, from its ticks (see replicator.h enum repl_role). */
const char *
frontend_4lw_mode(const struct frontend *f)
{
	switch (f->mode) {
	case 2:
		return "follower";
	case 3:
		return "leader";
	case 4:
		return "standalone";
	default:
		return "looking";
	}
}

static const char *
version(void)
{
	return ZK_PROTOCOL_VERSION "-corral-" CORRAL_VERSION
	    ", built on " __DATE__ " " __TIME__;
}

static void
latency(struct frontend *f, struct text *t)
{
	uint64_t avg10 = f->lat_count ? f->lat_sum_us * 10 / f->lat_count /
	    1000 : 0;

	tprintf(t, "Latency min/avg/max: %" PRIu64 "/%" PRIu64 ".%" PRIu64
	    "/%" PRIu64 "\n", f->lat_min_us / 1000, avg10 / 10, avg10 % 10,
	    f->lat_max_us / 1000);
}

static void
client_line(void *arg, uint64_t key, void *val)
{
	struct text *t = arg;
	struct conn *c = val;

	(void)key;
	tprintf(t, " /%s[1](queued=%zu,recved=%" PRIu64 ",sent=%" PRIu64
	    ",sid=0x%" PRIx64 ")\n", c->peer, c->queued, c->received, c->sent,
	    c->session);
}

static void
srvr(struct frontend *f, struct text *t, int with_clients)
{
	tprintf(t, "Zookeeper version: %s\n", version());
	if (with_clients) {
		tprintf(t, "Clients:\n");
		u64map_foreach(f->conns, client_line, t);
		tprintf(t, "\n");
	}
	latency(f, t);
	tprintf(t, "Received: %" PRIu64 "\nSent: %" PRIu64 "\n",
	    f->packets_received, f->packets_sent);
	tprintf(t, "Connections: %zu\nOutstanding: %zu\n",
	    frontend_conn_count(f), u64map_count(f->pending));
	tprintf(t, "Zxid: 0x%" PRIx64 "\n", f->sm ? sm_last_zxid(f->sm) : 0);
	tprintf(t, "Mode: %s\nNode count: %zu\n", frontend_4lw_mode(f),
	    f->sm ? sm_node_count(f->sm) : 0);
}

static void
mntr(struct frontend *f, struct text *t)
{
	uint64_t avg = f->lat_count ? f->lat_sum_us / f->lat_count / 1000 : 0;

	tprintf(t, "zk_version\t%s\n", version());
	tprintf(t, "zk_server_state\t%s\n", frontend_4lw_mode(f));
	tprintf(t, "zk_avg_latency\t%" PRIu64 "\n", avg);
	tprintf(t, "zk_max_latency\t%" PRIu64 "\n", f->lat_max_us / 1000);
	tprintf(t, "zk_min_latency\t%" PRIu64 "\n", f->lat_min_us / 1000);
	tprintf(t, "zk_packets_received\t%" PRIu64 "\n", f->packets_received);
	tprintf(t, "zk_packets_sent\t%" PRIu64 "\n", f->packets_sent);
	tprintf(t, "zk_num_alive_connections\t%zu\n", frontend_conn_count(f));
	tprintf(t, "zk_outstanding_requests\t%zu\n", u64map_count(f->pending));
	tprintf(t, "zk_znode_count\t%zu\n", f->sm ? sm_node_count(f->sm) : 0);
	tprintf(t, "zk_watch_count\t%zu\n", frontend_watch_count(f));
	tprintf(t, "zk_ephemerals_count\t%zu\n",
	    f->sm ? sm_ephemeral_count(f->sm) : 0);
	tprintf(t, "zk_approximate_data_size\t%" PRIu64 "\n",
	    f->sm ? sm_data_size(f->sm) : 0);
	tprintf(t, "zk_global_sessions\t%zu\n",
	    f->sm ? sm_session_count(f->sm) : 0);
	tprintf(t, "zk_uptime\t%" PRIu64 "\n", loop_now_ms() - f->start_ms);
	tprintf(t, "zk_max_file_descriptor_count\t%ld\n",
	    sysconf(_SC_OPEN_MAX));
}

static void
envi(struct frontend *f, struct text *t)
{
	char host[256] = "localhost";

	gethostname(host, sizeof(host) - 1);
	tprintf(t, "Environment:\n");
	tprintf(t, "zookeeper.version=%s\n", version());
	tprintf(t, "host.name=%s\n", host);
	tprintf(t, "corral.version=%s\n", CORRAL_VERSION);
	tprintf(t, "corral.dataDir=%s\n", f->c->cfg.data_dir);
	tprintf(t, "os.name=Linux\n");
	tprintf(t, "user.dir=%s\n", f->c->cfg.data_dir);
}

static void
answer(struct frontend *f, const char *w, struct text *t)
{
	if (strcmp(w, "ruok") == 0)
		tprintf(t, "imok");
	else if (!f->serving && strcmp(w, "envi") != 0 &&
	    strcmp(w, "conf") != 0 && strcmp(w, "isro") != 0)
		tprintf(t, "This ZooKeeper instance is not currently serving "
		    "requests\n");
	else if (strcmp(w, "srvr") == 0)
		srvr(f, t, 0);
	else if (strcmp(w, "stat") == 0)
		srvr(f, t, 1);
	else if (strcmp(w, "mntr") == 0)
		mntr(f, t);
	else if (strcmp(w, "envi") == 0)
		envi(f, t);
	else if (strcmp(w, "isro") == 0)
		tprintf(t, "rw");
	else if (strcmp(w, "cons") == 0) {
		u64map_foreach(f->conns, client_line, t);
		tprintf(t, "\n");
	} else if (strcmp(w, "srst") == 0 || strcmp(w, "crst") == 0) {
		f->lat_min_us = f->lat_max_us = f->lat_sum_us = 0;
		f->lat_count = f->packets_received = f->packets_sent = 0;
		tprintf(t, "%s\n", w[0] == 's' ? "Server stats reset." :
		    "Connection stats reset.");
	} else if (strcmp(w, "wchs") == 0)
		tprintf(t, "%zu connections watching paths\n"
		    "Total watches:%zu\n", frontend_conn_count(f),
		    frontend_watch_count(f));
	else
		tprintf(t, "%s is not implemented yet\n", w);
}

int
frontend_4lw(struct frontend *f, struct conn *c)
{
	struct text t;
	char w[5];
	int known = 0;

	memcpy(w, c->in, 4);
	w[4] = '\0';
	for (size_t i = 0; words[i] != NULL; i++)
		known |= strcmp(words[i], w) == 0;
	if (!known)
		return 0;
	t.len = 0;
	t.buf[0] = '\0';
	if (!config_4lw_allowed(&f->c->cfg, w))
		tprintf(&t, "%s is not executed because it is not in the "
		    "whitelist.\n", w);
	else
		answer(f, w, &t);
	frontend_conn_send(f, c, t.buf, t.len);
	c->inlen = 0;
	frontend_conn_close_after_flush(f, c);
	return 1;
}
