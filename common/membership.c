/*
 * Membership text, reconfig arithmetic and the durable copy (see
 * membership.h). The text is what clients read from /zookeeper/config,
 * so it follows ZooKeeper's QuorumServer.toString to the byte.
 */
#include "common/membership.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xmalloc.h"

static void
fail(char *why, size_t whylen, const char *msg, const char *what)
{
	if (what != NULL)
		snprintf(why, whylen, "%s: %s", msg, what);
	else
		snprintf(why, whylen, "%s", msg);
}

static int
byid(const void *a, const void *b)
{
	const struct config_server *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
sort(struct membership *m)
{
	qsort(m->servers, (size_t)m->nservers, sizeof(m->servers[0]), byid);
}

static struct config_server *
find(struct membership *m, uint32_t id)
{
	for (int i = 0; i < m->nservers; i++)
		if (m->servers[i].id == id)
			return &m->servers[i];
	return NULL;
}

/* Add sv, or replace the server with its id; -1 with why when full. */
static int
put_server(struct membership *m, const struct config_server *sv, char *why,
    size_t whylen)
{
	struct config_server *old = find(m, sv->id);

	if (old != NULL)
		*old = *sv;
	else if (m->nservers == CONFIG_MAX_SERVERS) {
		fail(why, whylen, "too many servers", NULL);
		return -1;
	} else
		m->servers[m->nservers++] = *sv;
	return 0;
}

void
membership_from_config(struct membership *m, const struct config *c)
{
	memset(m, 0, sizeof(*m));
	m->version = c->membership_version;
	m->nservers = c->nservers;
	memcpy(m->servers, c->servers, (size_t)c->nservers *
	    sizeof(c->servers[0]));
	sort(m);
}

void
membership_to_config(const struct membership *m, struct config *c)
{
	const struct config_server *self;

	c->membership_version = m->version;
	c->nservers = m->nservers;
	memcpy(c->servers, m->servers, (size_t)m->nservers *
	    sizeof(m->servers[0]));
	if ((self = config_self(c)) != NULL)
		c->peer_type = self->type;
}

/*
 * "123" -> 123, any positive id as ZooKeeper reads it; corral's own limit
 * (1..254: session ids carry it in one byte) is membership_check_ids'.
 */
static int
parse_id(const char *s, size_t len, uint32_t *id)
{
	char buf[16], *end;
	long long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t\r\f");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\f", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

/* "server.N=spec" into sv; 0, or -1 with why. */
static int
parse_line(char *line, struct config_server *sv, char *why, size_t whylen)
{
	char *eq = strchr(line, '='), *key, *spec, *dot;
	const char *bad;

	if (eq == NULL || strchr(eq + 1, '=') != NULL) {
		fail(why, whylen, "Wrong format of server string", line);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	spec = trim(eq + 1);
	dot = strrchr(key, '.');
	memset(sv, 0, sizeof(*sv));
	if (dot == NULL || (size_t)(dot - key) != 6 ||
	    strncmp(key, "server", 6) != 0 ||
	    parse_id(dot + 1, strlen(dot + 1), &sv->id) < 0) {
		fail(why, whylen, "bad server id", key);
		return -1;
	}
	if ((bad = config_server_parse(spec, sv)) != NULL) {
		fail(why, whylen, bad, spec);
		return -1;
	}
	return 0;
}

int
membership_parse(struct membership *m, const char *text, size_t len,
    char *why, size_t whylen)
{
	char *buf = xstrndup(text, len), *save = NULL, *tok;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (strlen(buf) != len) {
		fail(why, whylen, "contains a NUL byte", NULL);
		free(buf);
		return -1;
	}
	for (tok = strtok_r(buf, "\n,", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, "\n,", &save)) {
		char *line = trim(tok), *end;
		struct config_server sv;

		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "version=", 8) == 0) {
			errno = 0;
			m->version = strtoull(line + 8, &end, 16);
			if (errno != 0 || end == line + 8 || *end != '\0') {
				fail(why, whylen, "bad version", line);
				rc = -1;
			}
			continue;
		}
		if (parse_line(line, &sv, why, whylen) < 0)
			rc = -1;
		else if (find(m, sv.id) != NULL) {
			fail(why, whylen, "duplicate server id", line);
			rc = -1;
		} else
			rc = put_server(m, &sv, why, whylen);
	}
	free(buf);
	sort(m);
	return rc;
}

static void
put(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void
put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

/* delimitedHostString: an IPv6 literal goes into brackets. */
static void
put_host(char *buf, size_t len, size_t *off, const char *host)
{
	if (strchr(host, ':') != NULL)
		put(buf, len, off, "[%s]", host);
	else
		put(buf, len, off, "%s", host);
}

size_t
membership_format(const struct membership *m, int with_version, char *buf,
    size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < m->nservers; i++) {
		const struct config_server *s = &m->servers[i];
		const char *ca = s->client_addr[0] ? s->client_addr : "0.0.0.0";

		put(buf, len, &off, "server.%u=", s->id);
		put_host(buf, len, &off, s->host);
		put(buf, len, &off, ":%u:%u:%s", s->quorum_port,
		    s->election_port, s->type == CONFIG_OBSERVER ? "observer" :
		    "participant");
		if (s->client_port != 0) {
			put(buf, len, &off, ";");
			put_host(buf, len, &off, ca);
			put(buf, len, &off, ":%u", s->client_port);
		}
		put(buf, len, &off, "\n");
	}
	if (with_version)
		put(buf, len, &off, "version=%" PRIx64, m->version);
	return off;
}

int
membership_check_ids(const struct membership *m, char *why, size_t whylen)
{
	for (int i = 0; i < m->nservers; i++)
		if (m->servers[i].id > 254) {
			snprintf(why, whylen, "server.%u: corral's server ids "
			    "are 1..254", m->servers[i].id);
			return -1;
		}
	return 0;
}

int
membership_voters(const struct membership *m)
{
	return config_server_voters(m->servers, m->nservers);
}

int
membership_role(const struct membership *m, uint32_t sid)
{
	return config_server_role(m->servers, m->nservers, sid);
}

int
membership_same(const struct membership *a, const struct membership *b)
{
	char x[MEMBERSHIP_TEXT_MAX], y[MEMBERSHIP_TEXT_MAX];

	membership_format(a, 0, x, sizeof(x));
	membership_format(b, 0, y, sizeof(y));
	return strcmp(x, y) == 0;
}

/* QuorumServer.checkAddressDuplicate: no two servers share an address. */
static int
duplicate_address(const struct config_server *a,
    const struct config_server *b)
{
	uint16_t pa[2] = { a->quorum_port, a->election_port };
	uint16_t pb[2] = { b->quorum_port, b->election_port };

	if (strcmp(a->host, b->host) != 0)
		return 0;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (pa[i] == pb[j])
				return 1;
	return 0;
}

static int
incremental(struct membership *next, const char *joining,
    const char *leaving, char *why, size_t whylen)
{
	char *buf, *save = NULL, *tok;
	int rc = 0;

	if (leaving != NULL) {
		buf = xstrdup(leaving);
		for (tok = strtok_r(buf, ",", &save); tok != NULL && rc == 0;
		    tok = strtok_r(NULL, ",", &save)) {
			char *t = trim(tok);
			struct config_server *s;
			uint32_t id;

			if (parse_id(t, strlen(t), &id) < 0) {
				fail(why, whylen, "bad server id", t);
				rc = -1;
			} else if ((s = find(next, id)) != NULL)
				*s = next->servers[--next->nservers];
		}
		free(buf);
		sort(next);
	}
	if (joining == NULL || rc < 0)
		return rc;
	buf = xstrdup(joining);
	save = NULL;
	for (tok = strtok_r(buf, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		struct config_server sv;

		if (parse_line(tok, &sv, why, whylen) < 0) {
			rc = -1;
			break;
		}
		if (sv.client_port == 0) {
			fail(why, whylen, "Wrong format of server string - "
			    "each server should have 3 ports specified", NULL);
			rc = -1;
			break;
		}
		for (int i = 0; i < next->nservers && rc == 0; i++)
			if (next->servers[i].id != sv.id &&
			    duplicate_address(&sv, &next->servers[i])) {
				fail(why, whylen, "address already in use by "
				    "another server", sv.host);
				rc = -1;
			}
		if (rc == 0)
			rc = put_server(next, &sv, why, whylen);
	}
	free(buf);
	sort(next);
	return rc;
}

int
membership_reconfig(const struct membership *cur, const char *joining,
    const char *leaving, const char *members, int standalone_enabled,
    struct membership *next, char *why, size_t whylen)
{
	int need = standalone_enabled ? 2 : 1;

	if (members != NULL) {
		if (membership_parse(next, members, strlen(members), why,
		    whylen) < 0)
			return -1;
		for (int i = 0; i < next->nservers; i++)
			for (int j = i + 1; j < next->nservers; j++)
				if (duplicate_address(&next->servers[i],
				    &next->servers[j])) {
					fail(why, whylen, "two servers share "
					    "an address", next->servers[j].host);
					return -1;
				}
	} else {
		*next = *cur;
		if (incremental(next, joining, leaving, why, whylen) < 0)
			return -1;
	}
	next->version = 0;
	if (membership_voters(next) < need) {
		fail(why, whylen, standalone_enabled ? "Reconfig failed - new "
		    "configuration must include at least 2 followers" :
		    "Reconfig failed - new configuration must include at least "
		    "1 follower", NULL);
		return -1;
	}
	return 0;
}

int
membership_load(struct membership *m, const char *data_dir, char *why,
    size_t whylen)
{
	char path[CONFIG_PATH_MAX + 32], buf[MEMBERSHIP_TEXT_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, MEMBERSHIP_FILE);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		fail(why, whylen, path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == sizeof(buf)) {
		fail(why, whylen, path, "too long");
		return -1;
	}
	if (membership_parse(m, buf, n, why, whylen) < 0 ||
	    membership_check_ids(m, why, whylen) < 0)
		return -1;
	if (m->version == 0 || membership_voters(m) == 0) {
		fail(why, whylen, path, "no version line or no participant");
		return -1;
	}
	return 0;
}

int
membership_save(const struct membership *m, const char *data_dir)
{
	char path[CONFIG_PATH_MAX + 32], tmp[CONFIG_PATH_MAX + 48];
	char buf[MEMBERSHIP_TEXT_MAX];
	size_t len = membership_format(m, 1, buf, sizeof(buf)), off = 0;
	int fd, dfd, saved;

	snprintf(path, sizeof(path), "%s/%s", data_dir, MEMBERSHIP_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -1;
	buf[len++] = '\n';
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto bad;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto bad;
	close(fd);
	if (rename(tmp, path) < 0)
		return -1;
	/* the rename itself must survive a power loss */
	if ((dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
bad:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
