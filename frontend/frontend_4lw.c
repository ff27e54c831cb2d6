/*
 * Four-letter words: a connection whose first four bytes spell a known
 * command gets its text answer and is closed, as in ZooKeeper 3.8
 * (the server.command classes, NIOServerCnxn.checkFourLetterWord). A word
 * not in 4lw.commands.whitelist gets ZooKeeper's refusal text; srvr is
 * always allowed (FourLetterCommands: zkServer.sh depends on it). The texts
 * follow ZooKeeper's byte for byte, with corral's numbers; a word that needs
 * the server answers "not currently serving" while no leader is known.
 */
#include "frontend/frontend.h"

#include <dirent.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/membership.h"
#include "common/xmalloc.h"

#define ZK_PROTOCOL_VERSION	"3.8.4"
#define NOT_SERVING \
	"This ZooKeeper instance is not currently serving requests\n"
/* NIOServerCnxnFactory's zookeeper.nio.sessionlessCnxnTimeout default */
#define SESSIONLESS_CNXN_TIMEOUT	10000
#define OP_GETEPHEMERALS	103

struct word {
	const char	*name;
	int		 needs_server;	/* else NOT_SERVING */
	void		(*fn)(struct frontend *, struct conn *, FILE *);
};

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
	case 5:
		return "observer";
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

/* A Java double as ZooKeeper prints a rounded average: "0.0", "1.25". */
static void
put_double(FILE *out, double v)
{
	char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%.4f", v);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	fputs(buf, out);
}

/*
 * ZooKeeper's DataTree keys the root twice ("" and "/"), and its node
 * count (srvr, mntr) is that map's size: one more than the nodes.
 */
static size_t
znode_count(const struct frontend *f)
{
	return sm_node_count(f->sm) + 1;
}

static double
avg_ms(uint64_t sum_us, uint64_t count)
{
	return count ? (double)sum_us / (double)count / 1000.0 : 0.0;
}

/* cons's lop= (FinalRequestProcessor lastOp). */
static const char *
op_name(int32_t op)
{
	switch (op) {
	case 1: case 15: case 19: case 21:	return "CREA";
	case 2: case 20:	return "DELE";
	case 3:		return "EXIS";
	case 4:		return "GETD";
	case 5:		return "SETD";
	case 6:		return "GETA";
	case 7:		return "SETA";
	case 8: case 12:	return "GETC";
	case 9:		return "SYNC";
	case 11:	return "PING";
	case 13:	return "CHEC";
	case 14:	return "MULT";
	case 16:	return "RECO";
	case 17:	return "CHKW";
	case 18:	return "REMW";
	case 22:	return "MLTR";
	case 101:	return "SETW";
	case 103:	return "GETE";
	case 104:	return "GETACN";
	case 105:	return "STW2";
	case 106:	return "ADDW";
	case 107:	return "HOMI";
	case -10:	return "SESS";
	case -11:	return "CLOS";
	default:	return "NA";
	}
}

struct cons_ctx {
	FILE		*out;
	struct conn	*asking;	/* the 4lw connection itself */
	int		 brief;		/* stat: no session details */
};

/* ServerCnxn.dumpConnectionInfo; [interest ops]: 1 read, 5 read+write. */
static void
cons_line(void *arg, uint64_t key, void *val)
{
	struct cons_ctx *x = arg;
	struct conn *c = val;
	int ops = c == x->asking || c->paused ? 0 : c->want_write ? 5 : 1;

	(void)key;
	fprintf(x->out, " /%s[%d](queued=%zu,recved=%" PRIu64 ",sent=%"
	    PRIu64, c->peer, ops, c->queued, c->received, c->sent);
	if (!x->brief && c->session != 0) {
		fprintf(x->out, ",sid=0x%" PRIx64 ",lop=%s,est=%" PRIu64
		    ",to=%d", c->session, op_name(c->last_op), c->est_ms,
		    c->timeout);
		if (c->last_cxid >= 0)
			fprintf(x->out, ",lcxid=0x%x", c->last_cxid);
		fprintf(x->out, ",lzxid=0x%" PRIx64 ",lresp=%" PRIu64
		    ",llat=%" PRIu64 ",minlat=%" PRIu64 ",avglat=%" PRIu64
		    ",maxlat=%" PRIu64, c->last_zxid, c->last_resp_ms,
		    c->lat_last_us / 1000, c->lat_min_us / 1000,
		    c->lat_count ? c->lat_sum_us / c->lat_count / 1000 : 0,
		    c->lat_max_us / 1000);
	}
	fputs(")\n", x->out);
}

static void
cons(struct frontend *f, struct conn *c, FILE *out)
{
	struct cons_ctx x = { out, c, 0 };

	u64map_foreach(f->conns, cons_line, &x);
	fputs("\n", out);
}

/* StatCommand: srvr, and stat with its client list. */
static void
server_stats(struct frontend *f, struct conn *c, FILE *out, int clients)
{
	struct cons_ctx x = { out, c, 1 };

	fprintf(out, "Zookeeper version: %s\n", version());
	if (clients) {
		fputs("Clients:\n", out);
		u64map_foreach(f->conns, cons_line, &x);
		fputs("\n", out);
	}
	fprintf(out, "Latency min/avg/max: %" PRIu64 "/", f->lat_min_us / 1000);
	put_double(out, avg_ms(f->lat_sum_us, f->lat_count));
	fprintf(out, "/%" PRIu64 "\n", f->lat_max_us / 1000);
	fprintf(out, "Received: %" PRIu64 "\nSent: %" PRIu64 "\n",
	    f->packets_received, f->packets_sent);
	fprintf(out, "Connections: %zu\nOutstanding: %zu\n",
	    frontend_conn_count(f), frontend_request_backlog());
	fprintf(out, "Zxid: 0x%" PRIx64 "\n", sm_last_zxid(f->sm));
	fprintf(out, "Mode: %s\nNode count: %zu\n", frontend_4lw_mode(f),
	    znode_count(f));
	/* the leader's proposal sizes live in the replicator: none here */
	if (f->mode == 3)
		fputs("Proposal sizes last/min/max: -1/-1/-1\n", out);
}

static void
srvr(struct frontend *f, struct conn *c, FILE *out)
{
	server_stats(f, c, out, 0);
}

static void
stat_cmd(struct frontend *f, struct conn *c, FILE *out)
{
	server_stats(f, c, out, 1);
}

static size_t
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0;	/* not the one opendir holds */
}

/* The subset of ZooKeeper 3.8's mntr keys that corral has, in its order. */
static void
mntr(struct frontend *f, struct conn *c, FILE *out)
{
	struct rlimit rl = { 0, 0 };

	(void)c;
	getrlimit(RLIMIT_NOFILE, &rl);
	fprintf(out, "zk_version\t%s\n", version());
	fprintf(out, "zk_server_state\t%s\n", frontend_4lw_mode(f));
	if (f->mode == 2 || f->mode == 3 || f->mode == 5) /* ZAB: we serve */
		fprintf(out, "zk_peer_state\t%s - broadcast\n",
		    f->mode == 3 ? "leading" : f->mode == 5 ? "observing" :
		    "following");
	fprintf(out, "zk_ephemerals_count\t%zu\n", sm_ephemeral_count(f->sm));
	fprintf(out, "zk_num_alive_connections\t%zu\n",
	    frontend_conn_count(f));
	fputs("zk_avg_latency\t", out);
	put_double(out, avg_ms(f->lat_sum_us, f->lat_count));
	fprintf(out, "\nzk_outstanding_requests\t%zu\n",
	    frontend_request_backlog());
	fprintf(out, "zk_znode_count\t%zu\n", znode_count(f));
	fprintf(out, "zk_global_sessions\t%zu\n", sm_session_count(f->sm));
	fprintf(out, "zk_packets_sent\t%" PRIu64 "\n", f->packets_sent);
	fprintf(out, "zk_packets_received\t%" PRIu64 "\n",
	    f->packets_received);
	fprintf(out, "zk_watch_count\t%zu\n", frontend_watch_count(f));
	fprintf(out, "zk_min_latency\t%" PRIu64 "\n", f->lat_min_us / 1000);
	fprintf(out, "zk_max_file_descriptor_count\t%llu\n",
	    (unsigned long long)rl.rlim_cur);
	fprintf(out, "zk_approximate_data_size\t%" PRIu64 "\n",
	    sm_data_size(f->sm));
	fprintf(out, "zk_open_file_descriptor_count\t%zu\n", open_fds());
	fprintf(out, "zk_local_sessions\t0\n");
	fprintf(out, "zk_uptime\t%" PRIu64 "\n", loop_now_ms() - f->start_ms);
	fprintf(out, "zk_max_latency\t%" PRIu64 "\n", f->lat_max_us / 1000);
	fprintf(out, "zk_connection_rejected\t%" PRIu64 "\n", f->conn_rejected);
	if (f->mode == 3)
		fprintf(out, "zk_quorum_size\t%d\n", config_server_voters(
		    f->c->cfg.servers, f->c->cfg.nservers));
}

static void
envi(struct frontend *f, struct conn *c, FILE *out)
{
	char host[256] = "localhost", cwd[1024] = "";
	struct passwd *pw = getpwuid(getuid());
	struct utsname u;

	(void)c;
	gethostname(host, sizeof(host) - 1);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	memset(&u, 0, sizeof(u));
	uname(&u);
	fprintf(out, "Environment:\n");
	fprintf(out, "zookeeper.version=%s\n", version());
	fprintf(out, "host.name=%s\n", host);
	fprintf(out, "corral.version=%s\n", CORRAL_VERSION);
	fprintf(out, "os.name=%s\nos.arch=%s\nos.version=%s\n", u.sysname,
	    u.machine, u.release);
	fprintf(out, "user.name=%s\nuser.home=%s\n", pw ? pw->pw_name : "?",
	    pw ? pw->pw_dir : "?");
	fprintf(out, "user.dir=%s\n", cwd);
	fprintf(out, "corral.dataDir=%s\n", f->c->cfg.data_dir);
}

/* ZooKeeperServer.getDirSize: every file below dir, recursively. */
static uint64_t
dir_size(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[2048];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += dir_size(path);
		else if (S_ISREG(st.st_mode))
			n += (uint64_t)st.st_size;
	}
	closedir(d);
	return n;
}

/* ZooKeeper's snapshot and txn log dirs are corral's store (RocksDB). */
static void
store_dir(const struct frontend *f, char *buf, size_t len)
{
	const struct config *cfg = &f->c->cfg;

	snprintf(buf, len, "%s/store", cfg->data_log_dir[0] ?
	    cfg->data_log_dir : cfg->data_dir);
}

static void
dirs(struct frontend *f, struct conn *c, FILE *out)
{
	char store[CONFIG_PATH_MAX + 8];
	uint64_t n;

	(void)c;
	store_dir(f, store, sizeof(store));
	n = dir_size(store);
	fprintf(out, "datadir_size: %" PRIu64 "\nlogdir_size: %" PRIu64 "\n",
	    n, n);
}

/* ZooKeeperServer.dumpConf, plus QuorumZooKeeperServer's in an ensemble. */
static void
conf(struct frontend *f, struct conn *c, FILE *out)
{
	const struct config *cfg = &f->c->cfg;
	const struct config_server *self = config_self(cfg);
	char store[CONFIG_PATH_MAX + 8], *text;
	const uint8_t *data;
	int32_t len;
	uint64_t n;

	(void)c;
	store_dir(f, store, sizeof(store));
	n = dir_size(store);
	fprintf(out, "clientPort=%u\nsecureClientPort=-1\n", cfg->client_port);
	fprintf(out, "dataDir=%s\ndataDirSize=%" PRIu64 "\n", store, n);
	fprintf(out, "dataLogDir=%s\ndataLogSize=%" PRIu64 "\n", store, n);
	fprintf(out, "tickTime=%d\nmaxClientCnxns=%d\n", cfg->tick_time,
	    cfg->max_client_cnxns);
	fprintf(out, "minSessionTimeout=%d\nmaxSessionTimeout=%d\n",
	    cfg->min_session_timeout, cfg->max_session_timeout);
	fprintf(out, "clientPortListenBacklog=-1\nserverId=%u\n", cfg->myid);
	if (self == NULL)
		return;
	fprintf(out, "initLimit=%d\nsyncLimit=%d\nelectionAlg=3\n",
	    cfg->init_limit, cfg->sync_limit);
	fprintf(out, "electionPort=%u\nquorumPort=%u\npeerType=%d\n",
	    self->election_port, self->quorum_port, (int)self->type);
	fputs("membership: \n", out);
	/* QuorumVerifier.toString: no newline after the version. The tree
	 * has the membership of the last reconfig, our config the first. */
	data = sm_node_data(f->sm, "/zookeeper/config", &len);
	if (data != NULL && len > 0) {
		fwrite(data, 1, (size_t)len, out);
		return;
	}
	text = xmalloc(MEMBERSHIP_TEXT_MAX);
	config_membership(cfg, text, MEMBERSHIP_TEXT_MAX);
	fputs(text, out);
	free(text);
}

/*
 * ZooTrace's mask (gtmk, stmk): ZooKeeper's default is client requests,
 * server packets, sessions and warnings (2 | 16 | 32 | 256). corral
 * writes no trace log; the mask is kept, per frontend process, for the
 * tools that set it and read it back.
 */
static int64_t trace_mask = 306;

static void
gtmk(struct frontend *f, struct conn *c, FILE *out)
{
	(void)f;
	(void)c;
	fprintf(out, "%" PRId64, trace_mask);
}

/* The new mask is the long after the word (see frontend_4lw, which
 * waits for it). */
static void
stmk(struct frontend *f, struct conn *c, FILE *out)
{
	struct jute_reader r;

	(void)f;
	jute_reader_init(&r, c->in + 4, 8);
	trace_mask = jute_get_long(&r);
	fprintf(out, "%" PRId64, trace_mask);
}

static void
isro(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	/* IsroCommand: "null" while there is no ZooKeeperServer */
	fputs(f->serving ? "rw" : "null", out);
}

static void
ruok(struct frontend *f, struct conn *c, FILE *out)
{
	(void)f;
	(void)c;
	fputs("imok", out);
}

static void
reset_conn(void *arg, uint64_t key, void *val)
{
	struct conn *c = val;

	(void)arg;
	(void)key;
	c->received = c->sent = 0;
	c->lat_last_us = c->lat_min_us = c->lat_max_us = 0;
	c->lat_sum_us = c->lat_count = 0;
	c->last_cxid = -1;
	c->last_zxid = 0;
	c->last_op = 0;
	c->last_resp_ms = 0;
}

static void
crst(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	u64map_foreach(f->conns, reset_conn, NULL);
	fputs("Connection stats reset.\n", out);
}

static void
srst(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	f->lat_min_us = f->lat_max_us = f->lat_sum_us = 0;
	f->lat_count = f->packets_received = f->packets_sent = 0;
	fputs("Server stats reset.\n", out);
}

static void
wchs(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	frontend_watch_summary(f, out);
	fputs("\n", out);
}

static void
wchc(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	frontend_watch_dump(f, 0, out);
	fputs("\n", out);
}

static void
wchp(struct frontend *f, struct conn *c, FILE *out)
{
	(void)c;
	frontend_watch_dump(f, 1, out);
	fputs("\n", out);
}

/* One element of an ExpiryQueue dump. */
struct expiring {
	uint64_t	at;		/* wall clock ms */
	char		label[128];
};

struct expiry_dump {
	struct expiring	*v;
	size_t		 n, cap;
	struct frontend	*f;
	FILE		*out;
};

static struct expiring *
expiry_push(struct expiry_dump *d, uint64_t at)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n].at = at;
	return &d->v[d->n++];
}

static int
expiring_cmp(const void *a, const void *b)
{
	const struct expiring *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

/* ExpiryQueue.dump: "Sets (buckets)/(elements):", then each bucket. */
static void
expiry_print(struct expiry_dump *d)
{
	size_t sets = 0;

	qsort(d->v, d->n, sizeof(*d->v), expiring_cmp);
	for (size_t i = 0; i < d->n; i++)
		sets += i == 0 || d->v[i].at != d->v[i - 1].at;
	fprintf(d->out, "Sets (%zu)/(%zu):\n", sets, d->n);
	for (size_t i = 0, j; i < d->n; i = j) {
		time_t t = (time_t)(d->v[i].at / 1000);
		char when[64];
		struct tm tm;

		for (j = i; j < d->n && d->v[j].at == d->v[i].at; j++)
			;
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Z %Y",
		    localtime_r(&t, &tm));
		fprintf(d->out, "%zu expire at %s:\n", j - i, when);
		for (size_t k = i; k < j; k++)
			fprintf(d->out, "\t%s\n", d->v[k].label);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}


/* ExpiryQueue.roundToNextInterval, on the wall clock for display. */
static uint64_t
next_interval(const struct frontend *f, int32_t timeout)
{
	uint64_t tick = (uint64_t)f->c->cfg.tick_time;

	return ((loop_wall_ms() + (uint64_t)timeout) / tick + 1) * tick;
}

/*
 * Expiry is the leader's: this shows when each session would expire if
 * touched now, the way the leader's tracker buckets it.
 */
static void
dump_session(void *arg, uint64_t id)
{
	struct expiry_dump *d = arg;
	const struct sm_session *s = sm_session_find(d->f->sm, id);
	struct expiring *e;

	if (s == NULL)
		return;
	e = expiry_push(d, next_interval(d->f, s->timeout));
	snprintf(e->label, sizeof(e->label), "0x%" PRIx64, id);
}

/* DataTree.dumpEphemerals, one session: its ephemerals via getEphemerals. */
static void
dump_ephemerals(void *arg, uint64_t id)
{
	struct expiry_dump *d = arg;
	struct jute_writer req;
	struct jute_reader rd;
	struct sm_result res;
	int32_t n;

	jute_writer_init(&req);
	jute_put_string(&req, "/");
	sm_result_init(&res);
	sm_read(d->f->sm, id, OP_GETEPHEMERALS, req.buf, req.len, &res);
	jute_reader_init(&rd, res.reply.buf, res.reply.len);
	n = res.err == 0 ? jute_get_int(&rd) : 0;
	if (n > 0 && !rd.err) {
		fprintf(d->out, "0x%" PRIx64 ":\n", id);
		for (int32_t i = 0; i < n; i++) {
			struct jute_bytes b;

			if (jute_get_bytes(&rd, &b) < 0 || b.len < 0)
				break;
			fprintf(d->out, "\t%.*s\n", (int)b.len, b.p);
		}
		d->n++;
	}
	sm_result_free(&res);
	jute_writer_free(&req);
}

static void
dump_conn(void *arg, uint64_t key, void *val)
{
	struct expiry_dump *d = arg;
	struct conn *c = val;
	struct expiring *e;

	(void)key;
	e = expiry_push(d, next_interval(d->f, c->session != 0 ? c->timeout :
	    SESSIONLESS_CNXN_TIMEOUT));
	snprintf(e->label, sizeof(e->label), "ip: /%s sessionId: 0x%" PRIx64,
	    c->peer, c->session);
}

/* DumpCommand: sessions, ephemerals, connections. */
static void
dump(struct frontend *f, struct conn *c, FILE *out)
{
	struct expiry_dump d = { NULL, 0, 0, f, out };
	char *owners = NULL;
	size_t len = 0;

	(void)c;
	fputs("SessionTracker dump:\nSession ", out);
	sm_foreach_session(f->sm, dump_session, &d);
	expiry_print(&d);
	fputs("ephemeral nodes dump:\n", out);
	/* the header counts the owners: list them aside first */
	if ((d.out = open_memstream(&owners, &len)) == NULL)
		fatal("open_memstream");
	sm_foreach_session(f->sm, dump_ephemerals, &d);
	fclose(d.out);
	d.out = out;
	fprintf(out, "Sessions with Ephemerals (%zu):\n%s", d.n, owners);
	free(owners);
	d.n = 0;
	fputs("Connections dump:\nConnections ", out);
	u64map_foreach(f->conns, dump_conn, &d);
	expiry_print(&d);
}

static const struct word words[] = {
	{ "conf", 1, conf },
	{ "cons", 1, cons },
	{ "crst", 1, crst },
	{ "dirs", 1, dirs },
	{ "dump", 1, dump },
	{ "envi", 0, envi },
	{ "gtmk", 0, gtmk },
	{ "isro", 0, isro },
	{ "mntr", 1, mntr },
	{ "ruok", 0, ruok },
	{ "srst", 1, srst },
	{ "srvr", 1, srvr },
	{ "stat", 1, stat_cmd },
	{ "stmk", 0, stmk },
	{ "wchc", 1, wchc },
	{ "wchp", 1, wchp },
	{ "wchs", 1, wchs },
	{ NULL, 0, NULL }
};

static const struct word *
lookup(const char *w)
{
	for (const struct word *k = words; k->name != NULL; k++)
		if (strcmp(k->name, w) == 0)
			return k;
	return NULL;
}

int
frontend_4lw(struct frontend *f, struct conn *c)
{
	const struct word *k;
	char w[5], *text = NULL;
	size_t len = 0;
	FILE *out;

	memcpy(w, c->in, 4);
	w[4] = '\0';
	if ((k = lookup(w)) == NULL)
		return 0;	/* a length prefix, as ZooKeeper reads it */
	/* stmk's mask is in the next 8 bytes: wait for them (a peer that
	 * closes first gets nothing, as from ZooKeeper with a short mask) */
	if (k->fn == stmk && c->inlen < 12 && config_4lw_allowed(&f->c->cfg, w))
		return 1;
	c->received++;		/* a packet, as ZooKeeper counts it */
	f->packets_received++;
	if ((out = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (strcmp(w, "srvr") != 0 && !config_4lw_allowed(&f->c->cfg, w))
		fprintf(out, "%s is not executed because it is not in the "
		    "whitelist.\n", w);
	else if (k->needs_server && (!f->serving || f->sm == NULL))
		fputs(NOT_SERVING, out);
	else
		k->fn(f, c, out);
	fclose(out);
	frontend_conn_send(f, c, text, len);
	free(text);
	c->inlen = 0;
	frontend_conn_close_after_flush(f, c);
	return 1;
}
