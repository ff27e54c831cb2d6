/*
 * ACL lists of writes, as ZooKeeper's PrepRequestProcessor.fixupACL checks
 * them: duplicates removed, an empty or null list refused, each id valid
 * for its scheme. ACL *checks* (may this session write here?) come later:
 * the seam is sm_cmd, which will carry the session's auth ids; until then
 * "auth" ids expand to nothing and are refused, as ZooKeeper does for an
 * unauthenticated session.
 */
#include "common/sm_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int
bytes_eq(const struct jute_bytes *b, const char *s)
{
	size_t n = strlen(s);

	return b->len == (int32_t)n && memcmp(b->p, s, n) == 0;
}

static int
acl_eq(const struct zk_acl *a, const struct zk_acl *b)
{
	return a->perms == b->perms &&
	    a->id.scheme.len == b->id.scheme.len &&
	    a->id.id.len == b->id.id.len &&
	    (a->id.scheme.len <= 0 || memcmp(a->id.scheme.p, b->id.scheme.p,
	    (size_t)a->id.scheme.len) == 0) &&
	    (a->id.id.len <= 0 || memcmp(a->id.id.p, b->id.id.p,
	    (size_t)a->id.id.len) == 0);
}

/* DigestAuthenticationProvider.isValid: Java id.split(":").length == 2. */
static int
digest_valid(const struct jute_bytes *id)
{
	int32_t i, end = id->len, colons = 0;

	while (end > 0 && id->p[end - 1] == ':')
		end--;		/* split() drops trailing empty strings */
	if (end == 0)
		return 0;
	for (i = 0; i < end; i++)
		colons += id->p[i] == ':';
	return colons == 1;
}

/* IPAuthenticationProvider.isValid: address, optional "/bits". */
static int
ip_valid(const struct jute_bytes *id)
{
	char buf[64], *slash, *end;
	unsigned char addr[16];
	int maxbits;
	long bits;

	if (id->len <= 0 || (size_t)id->len >= sizeof(buf))
		return 0;
	memcpy(buf, id->p, (size_t)id->len);
	buf[id->len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		maxbits = 32;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		maxbits = 128;
	else
		return 0;
	if (slash == NULL)
		return 1;
	if (*slash == '\0')
		return 0;
	bits = strtol(slash, &end, 10);
	return *end == '\0' && bits >= 0 && bits <= maxbits;
}

static int
acl_valid(const struct zk_acl *a)
{
	const struct jute_bytes *s = &a->id.scheme, *id = &a->id.id;

	if (s->len < 0 || id->len < 0)
		return 0;
	if (bytes_eq(s, "world"))
		return bytes_eq(id, "anyone");
	if (bytes_eq(s, "digest"))
		return digest_valid(id);
	if (bytes_eq(s, "ip"))
		return ip_valid(id);
	return 0;	/* "auth" (no auth ids yet) and unknown providers */
}

/*
 * Check and deduplicate a request's ACL list; on success *out is a
 * referenced cache entry. Returns SM_ZOK or SM_ZINVALIDACL.
 */
int
sm_acl_fixup(struct sm *sm, const struct zk_acl_list *l, struct sm_acl **out)
{
	struct zk_acl_list u = { .count = 0 };
	struct jute_writer w;
	int32_t i, j;

	if (l->count <= 0)
		return SM_ZINVALIDACL;
	for (i = 0; i < l->count; i++) {
		for (j = 0; j < u.count; j++)
			if (acl_eq(&l->acl[i], &u.acl[j]))
				break;
		if (j < u.count)
			continue;
		if (!acl_valid(&l->acl[i]))
			return SM_ZINVALIDACL;
		u.acl[u.count++] = l->acl[i];
	}
	jute_writer_init(&w);
	jute_put_acl_list(&w, &u);
	*out = sm_tree_acl_get(sm, w.buf, w.len);
	jute_writer_free(&w);
	return SM_ZOK;
}
