/*
 * Who a connection is: its identities, as ZooKeeper's ServerCnxn.authInfo
 * (ip:<address> from the start, then what addauth and SASL add), and the
 * auth packet (opcode 100) that adds them. Writes carry a copy of the ids
 * taken when they arrive (as ZooKeeper's Request.authInfo), reads use the
 * ids of the moment; both end with this node's policy (common/acl.h).
 */
#include "frontend/frontend.h"

#include <string.h>

#include "common/acl.h"
#include "common/child.h"
#include "common/log.h"

#define XID_AUTH	(-4)
#define ZAUTHFAILED	(-115)

/* The connection's own ids, starting with its address the first time. */
static struct acl_ids *
conn_ids(struct conn *c)
{
	size_t iplen;

	if (c->auth.len == 0) {
		acl_ids_init(&c->auth);
		iplen = strcspn(c->peer, ":");	/* "a.b.c.d:port" */
		acl_ids_add(&c->auth, "ip", c->peer, iplen);
	}
	return &c->auth;
}

void
frontend_auth_ids(const struct frontend *f, struct conn *c,
    struct acl_ids *out)
{
	*out = *conn_ids(c);
	/* the policy ids fit: addauth keeps room for them */
	if (config_skip_acl(&f->c->cfg))
		acl_ids_add(out, "super", "", 0);
	if (f->c->cfg.sasl_provider)
		acl_ids_add(out, ACL_POLICY, "sasl", 4);
}

int
frontend_auth_add(struct frontend *f, struct conn *c, const char *scheme,
    const char *id, size_t len)
{
	struct acl_ids *l = conn_ids(c);
	struct acl_ids room = *l;

	/* keep 64 bytes for the policy ids of frontend_auth_ids() */
	if (acl_ids_add(&room, scheme, id, len) < 0 ||
	    room.len > ACL_IDS_MAX - 64) {
		log_warnx("client=%s: too many identities, refusing %s",
		    c->peer, scheme);
		return -1;
	}
	(void)f;
	*l = room;
	return 0;
}

/* DigestAuthenticationProvider.handleAuthentication. */
static int
add_digest(struct frontend *f, struct conn *c, const struct jute_bytes *a)
{
	char id[ACL_IDS_MAX];
	struct acl_ids save = *conn_ids(c);

	if (a->len < 0 || acl_digest(a->p, (size_t)a->len, id,
	    sizeof(id)) < 0)
		return -1;
	if (f->c->cfg.super_digest[0] != '\0' &&
	    strcmp(id, f->c->cfg.super_digest) == 0 &&
	    frontend_auth_add(f, c, "super", "", 0) < 0)
		return -1;
	if (frontend_auth_add(f, c, "digest", id, strlen(id)) < 0) {
		c->auth = save;
		return -1;
	}
	return 0;
}

/* Scheme known and its provider accepts: 0, else -1 (AUTHFAILED). */
static int
authenticate(struct frontend *f, struct conn *c,
    const struct zk_auth_packet *a)
{
	const struct jute_bytes *s = &a->scheme;

	if (s->len == 6 && memcmp(s->p, "digest", 6) == 0)
		return add_digest(f, c, &a->auth);
	/* IPAuthenticationProvider: the address it already has */
	if (s->len == 2 && memcmp(s->p, "ip", 2) == 0)
		return 0;
	/* sasl is negotiated by opcode 102; other schemes: no provider */
	return -1;
}

void
frontend_auth_packet(struct frontend *f, struct conn *c, const uint8_t *p,
    size_t n)
{
	struct jute_reader rd;
	struct zk_auth_packet a;

	jute_reader_init(&rd, p, n);
	if (jute_get_auth_packet(&rd, &a) < 0) {
		frontend_conn_close(f, c, "malformed auth packet");
		return;
	}
	/* ZooKeeper answers with zxid 0; a failure closes the connection */
	if (authenticate(f, c, &a) == 0) {
		frontend_conn_reply(f, c, XID_AUTH, 0, 0, NULL);
		return;
	}
	log_info("client=%s: auth failed for scheme %.*s", c->peer,
	    a.scheme.len > 0 ? (int)a.scheme.len : 0, (const char *)a.scheme.p);
	frontend_conn_reply(f, c, XID_AUTH, 0, ZAUTHFAILED, NULL);
	frontend_conn_close_after_flush(f, c);
}

void
frontend_auth_whoami(const struct frontend *f, struct conn *c,
    struct jute_writer *w)
{
	struct zk_id ids[ACL_IDS_MAXN];
	const struct acl_ids *l = conn_ids(c);
	int i, n = acl_ids_decode(l->enc, l->len, ids, ACL_IDS_MAXN);

	jute_put_int(w, n < 0 ? 0 : n);
	for (i = 0; i < n; i++) {
		struct jute_bytes u = acl_user_name(&ids[i],
		    f->c->cfg.sasl_provider);

		jute_put_bytes(w, ids[i].scheme.p, ids[i].scheme.len);
		jute_put_bytes(w, u.p, u.len);
	}
}
