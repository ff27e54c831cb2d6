/*
 * zoo.cfg parser (see config.h). Line syntax follows java.util.Properties
 * as ZooKeeper reads it: '#' or '!' comments, the key ends at the first
 * '=', ':' or blank, values are trimmed. Defaults are applied by running
 * each row's default text through the same setter as file values, so a
 * default can never bypass a range check. Values derived from others
 * (session timeouts, dataLogDir, myid, the client port of server.N) are
 * settled in finish(), after the whole file is read.
 */
#include "common/config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/membership.h"
#include "common/xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

enum kind {
	K_INT,		/* int */
	K_PORT,		/* uint16_t */
	K_STR,		/* char[size], non-empty */
	K_WORDS,	/* char[size], comma separated list, may be empty */
	K_BOOL,		/* int 0/1, written true/false */
	K_PEER,		/* enum config_peer_type */
	K_IGNORE	/* accepted for ZooKeeper compatibility, not stored */
};

struct row {
	const char	*key;
	enum kind	 kind;
	const char	*def;	/* NULL: none, or derived in finish() */
	long long	 min, max;
	size_t		 off;
	size_t		 size;
};

#define F(field)	offsetof(struct config, field), \
			    sizeof(((struct config *)0)->field)
#define IGN		0, 0

/* Sorted by strcmp for bsearch; checked once by check_sorted(). */
static const struct row rows[] = {
	{ "4lw.commands.whitelist", K_WORDS, "srvr", 0, 0,
	    F(four_letter_whitelist) },
	/* "super:<base64 sha1>": addauth digest super:<password> is super */
	{ "DigestAuthenticationProvider.superDigest", K_STR, NULL, 0, 0,
	    F(super_digest) },
	{ "admin.enableServer", K_IGNORE, NULL, 0, 0, IGN },
	{ "admin.serverPort", K_IGNORE, NULL, 0, 0, IGN },
	{ "autopurge.purgeInterval", K_IGNORE, NULL, 0, 0, IGN },
	{ "autopurge.snapRetainCount", K_IGNORE, NULL, 0, 0, IGN },
	{ "clientPort", K_PORT, "2181", 1, 65535, F(client_port) },
	{ "clientPortAddress", K_STR, "0.0.0.0", 0, 0,
	    F(client_port_address) },
	{ "corral.frontends", K_INT, "1", 1, 16, F(frontends) },
	/* below this, a follower or frontend that lags needs a snapshot */
	{ "corral.logRetain", K_INT, "100000", 100, INT_MAX, F(log_retain) },
	/* snapCount counts writes per this many znodes (0 = fixed) */
	{ "corral.snapScaleNodes", K_INT, "100000", 0, INT_MAX,
	    F(snap_scale_nodes) },
	{ "dataDir", K_STR, NULL, 0, 0, F(data_dir) },
	{ "dataLogDir", K_STR, NULL, 0, 0, F(data_log_dir) },
	{ "electionAlg", K_IGNORE, NULL, 0, 0, IGN },
	{ "extendedTypesEnabled", K_IGNORE, NULL, 0, 0, IGN },
	{ "initLimit", K_INT, "10", 1, 1000000, F(init_limit) },
	/* a JVM property in ZooKeeper; here a key: the JAAS file for SASL */
	{ "java.security.auth.login.config", K_STR, NULL, 0, 0,
	    F(jaas_config) },
	{ "jute.maxbuffer", K_INT, "1048575", 1, INT_MAX, F(jute_maxbuffer) },
	{ "maxClientCnxns", K_INT, "60", 0, INT_MAX, F(max_client_cnxns) },
	{ "maxSessionTimeout", K_INT, NULL, 1, INT_MAX,
	    F(max_session_timeout) },
	{ "metricsProvider.className", K_IGNORE, NULL, 0, 0, IGN },
	/* 0 turns the /metrics listener off (several nodes on one host) */
	{ "metricsProvider.httpPort", K_PORT, "7000", 0, 65535,
	    F(metrics_port) },
	{ "minSessionTimeout", K_INT, NULL, 1, INT_MAX,
	    F(min_session_timeout) },
	{ "peerType", K_PEER, "participant", 0, 0, F(peer_type) },
	{ "quorumListenOnAllIPs", K_IGNORE, NULL, 0, 0, IGN },
	{ "reconfigEnabled", K_BOOL, "false", 0, 0, F(reconfig_enabled) },
	/* ZooKeeper skips ACL checks only for the exact value "yes" */
	{ "skipACL", K_STR, "no", 0, 0, F(skip_acl) },
	/* ZooKeeper's: a snapshot every snapCount / 2 to snapCount writes */
	{ "snapCount", K_INT, "100000", 2, INT_MAX, F(snap_count) },
	{ "standaloneEnabled", K_BOOL, "true", 0, 0, F(standalone_enabled) },
	/* zookeeper.superUser: a SASL user that is super */
	{ "superUser", K_STR, NULL, 0, 0, F(sasl_super_user) },
	{ "syncLimit", K_INT, "5", 1, 1000000, F(sync_limit) },
	/* 20 x tickTime must fit an int */
	{ "tickTime", K_INT, "2000", 1, 3600000, F(tick_time) },
	{ "znode.container.checkIntervalMs", K_INT, "60000", 1, INT_MAX,
	    F(container_check_ms) },
	{ "znode.container.maxPerMinute", K_INT, "10000", 1, INT_MAX,
	    F(container_max_per_minute) },
};

/* Keys whose meaning we cannot honour: refusing beats ignoring them. */
static const struct {
	const char	*prefix;
	const char	*why;
} refused[] = {
	{ "dynamicConfigFile", "dynamic config files are not supported; "
	    "put the server.N lines in this file" },
	{ "group.", "hierarchical quorums are not supported" },
	{ "weight.", "hierarchical quorums are not supported" },
};

struct parse {
	struct config	*cfg;
	const char	*name;
	FILE		*errf;
	int		 line;
	int		 errors;
	int		 seen[nitems(rows)];	/* line that set it, 0: unset */
	int		 server_line[CONFIG_MAX_SERVERS];
};

static void
perr(struct parse *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
pwarn(struct parse *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report "FILE:LINE: key: message"; line 0 means "not tied to a line". */
static void
report(struct parse *p, const char *key, const char *fmt, va_list ap)
{
	if (p->errf == NULL)
		return;
	if (p->line > 0)
		fprintf(p->errf, "%s:%d: %s: ", p->name, p->line, key);
	else
		fprintf(p->errf, "%s: %s: ", p->name, key);
	vfprintf(p->errf, fmt, ap);
	fputc('\n', p->errf);
}

static void
perr(struct parse *p, const char *key, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	va_start(ap, fmt);
	report(p, key, fmt, ap);
	va_end(ap);
}

static void
pwarn(struct parse *p, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(p, key, fmt, ap);
	va_end(ap);
}

/* bsearch comparator: key string against a row. */
static int
rowcmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct row *)elem)->key);
}

/* The table must stay sorted for bsearch: our own bug if not. */
static void
check_sorted(void)
{
	for (size_t i = 1; i < nitems(rows); i++)
		assert(strcmp(rows[i - 1].key, rows[i].key) < 0);
}

/* Copy into a fixed field, zero-filling it so configs compare bytewise. */
static int
set_field_str(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return -1;
	memset(dst, 0, size);
	memcpy(dst, s, n);
	return 0;
}

/* Strict base-10 integer: the whole value, nothing else. */
static int
parse_num(const char *s, long long *out)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/* K_INT and K_PORT: a number within the row's range. */
static int
set_num(struct parse *p, const struct row *r, const char *v)
{
	char *field = (char *)p->cfg + r->off;
	long long n;

	if (parse_num(v, &n) < 0) {
		perr(p, r->key, "'%s' is not a number", v);
		return -1;
	}
	if (n < r->min || n > r->max) {
		perr(p, r->key, "%lld out of range (%lld..%lld)", n, r->min,
		    r->max);
		return -1;
	}
	if (r->kind == K_PORT)
		*(uint16_t *)(void *)field = (uint16_t)n;
	else
		*(int *)(void *)field = (int)n;
	return 0;
}

/* "a, b ,c" -> "a,b,c"; "*" anywhere means every word. Every blank
 * separates, as the line parser trims them all: a word of "\f" would be
 * printed and then lost when read again. */
#define WORD_SEPARATORS	", \t\n\v\f\r"

static int
set_words(struct parse *p, const struct row *r, const char *v)
{
	char buf[1024], *field = (char *)p->cfg + r->off;
	size_t n = 0;

	for (const char *s = v; *s != '\0';) {
		size_t len;

		s += strspn(s, WORD_SEPARATORS);
		len = strcspn(s, WORD_SEPARATORS);
		if (len == 0)
			break;
		if (len == 1 && *s == '*') {
			set_field_str(field, r->size, "*");
			return 0;
		}
		if (n + (n > 0) + len >= sizeof(buf) ||
		    n + (n > 0) + len >= r->size) {
			perr(p, r->key, "value too long (max %zu)",
			    r->size - 1);
			return -1;
		}
		if (n > 0)
			buf[n++] = ',';
		memcpy(buf + n, s, len);
		n += len;
		s += len;
	}
	buf[n] = '\0';
	set_field_str(field, r->size, buf);
	return 0;
}

/* K_BOOL (true|false) and K_PEER (participant|observer). */
static int
set_enum(struct parse *p, const struct row *r, const char *v)
{
	int *field = (int *)(void *)((char *)p->cfg + r->off);

	if (r->kind == K_BOOL) {
		if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0) {
			*field = strcasecmp(v, "true") == 0;
			return 0;
		}
		perr(p, r->key, "'%s' is not a boolean (true|false)", v);
		return -1;
	}
	if (strcasecmp(v, "participant") == 0)
		*field = CONFIG_PARTICIPANT;
	else if (strcasecmp(v, "observer") == 0)
		*field = CONFIG_OBSERVER;
	else {
		perr(p, r->key, "'%s' is not participant or observer", v);
		return -1;
	}
	return 0;
}

/* Store v into the field of row r; reports and returns -1 if bad. */
static int
set_value(struct parse *p, const struct row *r, const char *v)
{
	char *field = (char *)p->cfg + r->off;

	switch (r->kind) {
	case K_INT:
	case K_PORT:
		return set_num(p, r, v);
	case K_WORDS:
		return set_words(p, r, v);
	case K_BOOL:
	case K_PEER:
		return set_enum(p, r, v);
	case K_STR:
		if (*v == '\0') {
			perr(p, r->key, "empty value");
			return -1;
		}
		if (set_field_str(field, r->size, v) < 0) {
			perr(p, r->key, "value too long (max %zu)",
			    r->size - 1);
			return -1;
		}
		return 0;
	case K_IGNORE:
		return 0;
	}
	return -1;
}

/* Parse a port "1..65535"; -1 if bad. */
static int
parse_port(const char *s, size_t len, uint16_t *out)
{
	char buf[16];
	long long n;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (parse_num(buf, &n) < 0 || n < 1 || n > 65535)
		return -1;
	*out = (uint16_t)n;
	return 0;
}

/*
 * Split "host:rest" where host may be "[v6]". Returns the length of the
 * host part, sets *hostoff to skip a '[', *rest past the ':'.
 */
static int
split_host(const char *s, size_t *hostoff, const char **rest)
{
	const char *e;

	*hostoff = 0;
	if (*s == '[') {
		if ((e = strchr(s, ']')) == NULL || e[1] != ':')
			return -1;
		*hostoff = 1;
		*rest = e + 2;
		return (int)(e - s - 1);
	}
	if ((e = strchr(s, ':')) == NULL)
		return -1;
	*rest = e + 1;
	return (int)(e - s);
}

/*
 * A host name or address: printable, no blank, and none of the characters
 * that delimit a server spec or a membership line. Found by
 * fuzz_membership: a reconfig's "joining" could carry a newline inside a
 * host, which /zookeeper/config then printed as two bad lines; and the
 * host "[1" (from "[[1]:...", brackets being IPv6's quoting) printed as
 * "[1:..." which does not parse back.
 */
static int
host_chars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]) ||
		    strchr(",;=|#![]", s[i]) != NULL)
			return 0;
	return 1;
}

/* "[clientAddr:]clientPort" after ';' in a 3.5-style server line. */
static const char *
parse_client(const char *s, struct config_server *sv, char *addr,
    size_t addrlen)
{
	const char *rest;
	size_t off;
	int hl;

	addr[0] = '\0';
	s += strspn(s, " \t");		/* "; 127.0.0.1:2181" */
	if (strchr(s, ':') == NULL)
		return parse_port(s, strlen(s), &sv->client_port) < 0 ?
		    "bad client port" : NULL;
	if ((hl = split_host(s, &off, &rest)) <= 0 || (size_t)hl >= addrlen)
		return "bad client address";
	memcpy(addr, s + off, (size_t)hl);
	addr[hl] = '\0';
	/* found by fuzz_config: " .0.0.0" was taken, printed, re-read trimmed */
	if (!host_chars(addr, strlen(addr)))
		return "bad client address";
	if (parse_port(rest, strlen(rest), &sv->client_port) < 0)
		return "bad client port";
	return NULL;
}

/* host:quorumPort:electionPort[:type][;client]; NULL or why it is bad. */
const char *
config_server_parse(const char *v, struct config_server *sv)
{
	const char *rest, *semi = strchr(v, ';'), *end;
	size_t off, len, hostlen;
	int hl;

	end = semi ? semi : v + strlen(v);
	if ((hl = split_host(v, &off, &rest)) <= 0 || rest > end)
		return "missing host";
	hostlen = (size_t)hl;
	if (hostlen >= sizeof(sv->host) || !host_chars(v + off, hostlen))
		return "bad host";
	memcpy(sv->host, v + off, hostlen);
	len = strcspn(rest, ":;");
	if (parse_port(rest, len, &sv->quorum_port) < 0)
		return "bad quorum port";
	if (rest[len] != ':')
		return "missing election port";
	rest += len + 1;
	len = strcspn(rest, ":;");
	if (parse_port(rest, len, &sv->election_port) < 0)
		return "bad election port";
	rest += len;
	if (*rest == ':') {
		rest++;
		len = (size_t)(end - rest);
		if (len == 11 && strncasecmp(rest, "participant", len) == 0)
			sv->type = CONFIG_PARTICIPANT;
		else if (len == 8 && strncasecmp(rest, "observer", len) == 0)
			sv->type = CONFIG_OBSERVER;
		else
			return "type is not participant or observer";
	}
	if (semi == NULL)
		return NULL;
	return parse_client(semi + 1, sv, sv->client_addr,
	    sizeof(sv->client_addr));
}

/*
 * One server.N line: id 1..254, unique, and a valid spec. A session id
 * carries the server id in its top byte, and 255 there would read as a TTL
 * node's owner (ZooKeeper refuses 255 with extended types for the same
 * reason; corral always has them).
 */
static void
add_server(struct parse *p, const char *key, const char *v)
{
	struct config *c = p->cfg;
	struct config_server sv;
	const char *why;
	long long id;

	if (parse_num(key + 7, &id) < 0 || id < 1 || id > 254) {
		perr(p, key, "bad server id (1..254)");
		return;
	}
	for (int i = 0; i < c->nservers; i++)
		if (c->servers[i].id == (uint32_t)id) {
			perr(p, key, "duplicate server id (first at line %d)",
			    p->server_line[i]);
			return;
		}
	if (c->nservers == CONFIG_MAX_SERVERS) {
		perr(p, key, "too many servers (max %d)", CONFIG_MAX_SERVERS);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.id = (uint32_t)id;
	if ((why = config_server_parse(v, &sv)) != NULL) {
		perr(p, key, "bad server spec '%s': %s (want "
		    "host:quorumPort:electionPort[:participant|:observer]"
		    "[;[clientAddr:]clientPort])", v, why);
		return;
	}
	p->server_line[c->nservers] = p->line;
	c->servers[c->nservers++] = sv;
}

/*
 * authProvider.N=CLASS: ZooKeeper loads CLASS as an extra provider. corral
 * knows the SASL one; digest and ip are always there, as in ZooKeeper.
 */
static void
set_auth_provider(struct parse *p, const char *key, const char *v)
{
	if (strcmp(v, CONFIG_SASL_PROVIDER) == 0)
		p->cfg->sasl_provider = 1;
	else if (strcmp(v, "org.apache.zookeeper.server.auth."
	    "DigestAuthenticationProvider") != 0 && strcmp(v,
	    "org.apache.zookeeper.server.auth.IPAuthenticationProvider") != 0)
		pwarn(p, key, "provider '%s' not supported, ignored", v);
}

/* Dispatch one key: server.N, authProvider.*, refused, table row. */
static void
set_key(struct parse *p, const char *key, const char *v)
{
	const struct row *r;
	size_t i;

	if (strncmp(key, "server.", 7) == 0) {
		add_server(p, key, v);
		return;
	}
	if (strncmp(key, "authProvider.", 13) == 0) {
		set_auth_provider(p, key, v);
		return;
	}
	for (i = 0; i < nitems(refused); i++)
		if (strncmp(key, refused[i].prefix,
		    strlen(refused[i].prefix)) == 0) {
			perr(p, key, "%s", refused[i].why);
			return;
		}
	r = bsearch(key, rows, nitems(rows), sizeof(rows[0]), rowcmp);
	if (r == NULL) {
		pwarn(p, key, "unknown key, ignored");
		return;
	}
	i = (size_t)(r - rows);
	if (p->seen[i]) {
		perr(p, key, "duplicate key (first at line %d)", p->seen[i]);
		return;
	}
	p->seen[i] = p->line;
	set_value(p, r, v);
}

/* Split one line (already without its newline) into key and value. */
static void
parse_line(struct parse *p, char *s)
{
	char *v, sep;
	size_t n;

	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';	/* also the CR of a CRLF line end */
	s += strspn(s, " \t\f");
	if (*s == '\0' || *s == '#' || *s == '!')
		return;
	n = strcspn(s, "=: \t\f");
	sep = s[n];
	s[n] = '\0';
	v = sep == '\0' ? s + n : s + n + 1;
	v += strspn(v, " \t\f");
	/* "key = value": the blank ended the key, the '=' is still ahead */
	if ((sep == ' ' || sep == '\t' || sep == '\f') &&
	    (*v == '=' || *v == ':'))
		v += 1 + strspn(v + 1, " \t\f");
	set_key(p, s, v);
}

/* Every row's default, through the same setters as file values. */
static void
set_defaults(struct parse *p)
{
	memset(p->cfg, 0, sizeof(*p->cfg));
	for (size_t i = 0; i < nitems(rows); i++) {
		int rc;

		if (rows[i].def == NULL)
			continue;
		rc = set_value(p, &rows[i], rows[i].def);
		assert(rc == 0);	/* a bad default is our own bug */
	}
}

/* The line that set key, 0 if it kept its default. */
static int
seen_line(const struct parse *p, const char *key)
{
	const struct row *r = bsearch(key, rows, nitems(rows),
	    sizeof(rows[0]), rowcmp);

	return p->seen[r - rows];
}

/* Session timeouts default to 2x and 20x tickTime; min <= max. */
static void
finish_sessions(struct parse *p)
{
	struct config *c = p->cfg;

	if (!seen_line(p, "minSessionTimeout"))
		c->min_session_timeout = 2 * c->tick_time;
	if (!seen_line(p, "maxSessionTimeout"))
		c->max_session_timeout = 20 * c->tick_time;
	if (c->min_session_timeout > c->max_session_timeout) {
		p->line = seen_line(p, "minSessionTimeout");
		if (p->line == 0)
			p->line = seen_line(p, "maxSessionTimeout");
		perr(p, "minSessionTimeout", "%d is greater than "
		    "maxSessionTimeout %d", c->min_session_timeout,
		    c->max_session_timeout);
	}
}

/* Read dataDir/myid: one number, the id of a server.N line. */
static void
read_myid(struct parse *p)
{
	struct config *c = p->cfg;
	char path[CONFIG_PATH_MAX + 8], buf[64];
	long long id;
	size_t n;
	FILE *f;

	p->line = 0;
	snprintf(path, sizeof(path), "%s/myid", c->data_dir);
	if ((f = fopen(path, "r")) == NULL) {
		perr(p, "myid", "%s: %s (required with server.N lines)", path,
		    strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (parse_num(buf, &id) < 0 || id < 1 || id > 254) {
		perr(p, "myid", "%s: '%s' is not a server id (1..254)", path,
		    buf);
		return;
	}
	c->myid = (uint32_t)id;
	if (config_self(c) == NULL) {
		c->myid = 0;
		perr(p, "myid", "%s: %lld has no server.%lld line", path, id,
		    id);
	}
}

/* The client address and port of our own server line, if it has them. */
static void
finish_self(struct parse *p)
{
	struct config *c = p->cfg;
	const struct config_server *self = config_self(c);
	int i = (int)(self - c->servers);
	const char *addr = self->client_addr;

	if (!seen_line(p, "peerType"))
		c->peer_type = self->type;
	else if (c->peer_type != self->type) {
		p->line = seen_line(p, "peerType");
		pwarn(p, "peerType", "differs from server.%u, using server.%u",
		    self->id, self->id);
		c->peer_type = self->type;
	}
	p->line = p->server_line[i];
	if (self->client_port != 0 && seen_line(p, "clientPort") &&
	    self->client_port != c->client_port)
		perr(p, "clientPort", "%u differs from server.%u client port "
		    "%u", c->client_port, self->id, self->client_port);
	else if (self->client_port != 0)
		c->client_port = self->client_port;
	if (*addr != '\0' && seen_line(p, "clientPortAddress") &&
	    strcmp(addr, c->client_port_address) != 0)
		perr(p, "clientPortAddress", "%s differs from server.%u "
		    "client address %s", c->client_port_address, self->id,
		    addr);
	else if (*addr != '\0')
		set_field_str(c->client_port_address,
		    sizeof(c->client_port_address), addr);
}

int
config_server_role(const struct config_server *sv, int n, uint32_t sid)
{
	for (int i = 0; i < n; i++)
		if (sv[i].id == sid)
			return sv[i].type == CONFIG_PARTICIPANT;
	return -1;
}

int
config_server_voters(const struct config_server *sv, int n)
{
	int voters = 0;

	for (int i = 0; i < n; i++)
		voters += sv[i].type == CONFIG_PARTICIPANT;
	return voters;
}

/* Quorum mode as ZooKeeper decides it: 2+ voters, observers, or forced. */
static int
quorum_mode(const struct config *c)
{
	int voters = config_server_voters(c->servers, c->nservers);

	return voters >= 2 || voters < c->nservers ||
	    (c->nservers > 0 && !c->standalone_enabled);
}

/* In quorum mode, find ourselves through dataDir/myid. */
static void
finish_servers(struct parse *p)
{
	struct config *c = p->cfg;

	if (!quorum_mode(c) || c->data_dir[0] == '\0')
		return;
	p->line = 0;
	if (config_server_voters(c->servers, c->nservers) == 0) {
		perr(p, "server", "no participant among the server.N lines");
		return;
	}
	read_myid(p);
	if (c->myid != 0)
		finish_self(p);
}

/* Settle derived values once every line is read. */
static void
finish(struct parse *p)
{
	struct config *c = p->cfg;

	p->line = 0;
	if (c->data_dir[0] == '\0')
		perr(p, "dataDir", "required");
	else if (c->data_log_dir[0] == '\0')
		set_field_str(c->data_log_dir, sizeof(c->data_log_dir),
		    c->data_dir);
	finish_sessions(p);
	finish_servers(p);
}

int
config_parse(struct config *c, const char *name, const char *text,
    size_t len, FILE *errf)
{
	struct parse *p = xcalloc(1, sizeof(*p));
	const char *s = text, *end = text + len;
	int rc;

	check_sorted();
	*p = (struct parse){ .cfg = c, .name = name, .errf = errf };
	set_defaults(p);
	set_field_str(c->path, sizeof(c->path), name);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char *line = xstrndup(s, n);	/* CR: trimmed as a blank */

		p->line++;
		if (strlen(line) != n)
			perr(p, "line", "contains a NUL byte");
		else
			parse_line(p, line);
		free(line);
		s += n + 1;
	}
	finish(p);
	rc = p->errors ? -1 : 0;
	free(p);
	return rc;
}

/*
 * A committed reconfig left the membership in dataDir/membership: it
 * replaces the server.N lines (which only describe the first one).
 */
static int
load_membership(struct config *c, FILE *errf)
{
	struct membership *m = xmalloc(sizeof(*m));
	char why[512];
	int rc = membership_load(m, c->data_dir, why, sizeof(why));

	if (rc == 0) {
		membership_to_config(m, c);
		if (config_self(c) == NULL) {
			if (errf != NULL)
				fprintf(errf, "%s/%s: server.%u was removed "
				    "from the ensemble by reconfig (version "
				    "%llx); remove that file to start from "
				    "the server.N lines again\n", c->data_dir,
				    MEMBERSHIP_FILE, c->myid,
				    (unsigned long long)m->version);
			rc = -1;
		}
	} else if (rc < 0 && errf != NULL)
		fprintf(errf, "%s\n", why);
	free(m);
	return rc < 0 ? -1 : 0;
}

int
config_load(struct config *c, const char *file, FILE *errf)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int rc;

	if ((f = fopen(file, "r")) == NULL) {
		memset(c, 0, sizeof(*c));
		if (errf != NULL)
			fprintf(errf, "%s: %s\n", file, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	rc = config_parse(c, file, buf, len, errf);
	free(buf);
	if (rc == 0 && !config_standalone(c))
		rc = load_membership(c, errf);
	return rc;
}

/* IPv6 literals go back into brackets. */
static void
print_host(FILE *f, const char *host)
{
	fprintf(f, strchr(host, ':') ? "[%s]" : "%s", host);
}

/* One "key=value" line in the form the parser reads back. */
static void
print_row(const struct config *c, const struct row *r, FILE *f)
{
	const char *field = (const char *)c + r->off;
	int iv = 0;

	if (r->kind == K_INT || r->kind == K_BOOL || r->kind == K_PEER)
		memcpy(&iv, field, sizeof(iv));
	switch (r->kind) {
	case K_INT:
		fprintf(f, "%s=%d\n", r->key, iv);
		break;
	case K_PORT:
		fprintf(f, "%s=%u\n", r->key,
		    *(const uint16_t *)(const void *)field);
		break;
	case K_STR:
		if (*field != '\0')	/* unset optional key */
			fprintf(f, "%s=%s\n", r->key, field);
		break;
	case K_WORDS:
		fprintf(f, "%s=%s\n", r->key, field);
		break;
	case K_BOOL:
		fprintf(f, "%s=%s\n", r->key, iv ? "true" : "false");
		break;
	case K_PEER:
		fprintf(f, "%s=%s\n", r->key, iv == CONFIG_OBSERVER ?
		    "observer" : "participant");
		break;
	case K_IGNORE:
		break;
	}
}

void
config_print(const struct config *c, FILE *f)
{
	fprintf(f, "# corral normalized config of %s\n", c->path);
	for (size_t i = 0; i < nitems(rows); i++)
		print_row(c, &rows[i], f);
	for (int i = 0; i < c->nservers; i++) {
		const struct config_server *sv = &c->servers[i];

		fprintf(f, "server.%u=", sv->id);
		print_host(f, sv->host);
		fprintf(f, ":%u:%u:%s", sv->quorum_port, sv->election_port,
		    sv->type == CONFIG_OBSERVER ? "observer" : "participant");
		if (sv->client_port != 0 && sv->client_addr[0] != '\0') {
			fputc(';', f);
			print_host(f, sv->client_addr);
			fprintf(f, ":%u", sv->client_port);
		} else if (sv->client_port != 0)
			fprintf(f, ";%u", sv->client_port);
		fputc('\n', f);
	}
	if (c->sasl_provider)
		fprintf(f, "authProvider.1=%s\n", CONFIG_SASL_PROVIDER);
	if (c->myid != 0)
		fprintf(f, "# myid %u (from %s/myid)\n", c->myid, c->data_dir);
}

int
config_standalone(const struct config *c)
{
	return !quorum_mode(c);
}

int
config_4lw_allowed(const struct config *c, const char *word)
{
	const char *s = c->four_letter_whitelist;
	size_t len = strlen(word);

	if (strcmp(s, "*") == 0)
		return 1;
	while (*s != '\0') {
		size_t n = strcspn(s, ",");

		if (n == len && strncmp(s, word, n) == 0)
			return 1;
		s += n + (s[n] == ',');
	}
	return 0;
}

const struct config_server *
config_self(const struct config *c)
{
	if (c->myid == 0)
		return NULL;
	for (int i = 0; i < c->nservers; i++)
		if (c->servers[i].id == c->myid)
			return &c->servers[i];
	return NULL;
}

int
config_skip_acl(const struct config *c)
{
	return strcmp(c->skip_acl, "yes") == 0;
}

/* ZooKeeper's QuorumVerifier.toString(): what /zookeeper/config holds. */
size_t
config_membership(const struct config *c, char *buf, size_t len)
{
	struct membership *m;
	size_t n;

	buf[0] = '\0';
	if (config_standalone(c))
		return 0;
	m = xmalloc(sizeof(*m));
	membership_from_config(m, c);
	n = membership_format(m, 1, buf, len);
	free(m);
	return n;
}
