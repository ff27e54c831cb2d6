/*
 * ZooKeeper 3.8's ACL rules, pure (see acl.h). Java string semantics are
 * kept where they decide validity: Integer.parseInt accepts a sign and
 * leading zeros, String.split drops trailing empty strings.
 */
#include "common/acl.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

static int
bytes_is(const struct jute_bytes *b, const char *s)
{
	size_t n = strlen(s);

	return b->len == (int32_t)n && (n == 0 || memcmp(b->p, s, n) == 0);
}

static int
bytes_eq(const struct jute_bytes *a, const struct jute_bytes *b)
{
	return a->len == b->len &&
	    (a->len <= 0 || memcmp(a->p, b->p, (size_t)a->len) == 0);
}

/* --- identity lists --- */

void
acl_ids_init(struct acl_ids *l)
{
	l->n = 0;
	l->len = 4;
	memset(l->enc, 0, 4);
}

static int
ids_has(const struct acl_ids *l, const struct jute_bytes *s,
    const struct jute_bytes *id)
{
	struct zk_id ids[ACL_IDS_MAXN];
	int i, n = acl_ids_decode(l->enc, l->len, ids, ACL_IDS_MAXN);

	for (i = 0; i < n; i++)
		if (bytes_eq(&ids[i].scheme, s) && bytes_eq(&ids[i].id, id))
			return 1;
	return 0;
}

int
acl_ids_add(struct acl_ids *l, const char *scheme, const char *id,
    size_t idlen)
{
	struct jute_bytes s = { (const uint8_t *)scheme,
	    (int32_t)strlen(scheme) };
	struct jute_bytes i = { (const uint8_t *)id, (int32_t)idlen };
	size_t need = 8 + (size_t)s.len + idlen;
	uint8_t *p;

	if (l->len < 4)
		acl_ids_init(l);
	if (ids_has(l, &s, &i))
		return 1;
	if (l->len + need > ACL_IDS_MAX || l->n >= ACL_IDS_MAXN)
		return -1;
	p = jute_enc_bytes(l->enc + l->len, scheme, s.len);
	p = jute_enc_bytes(p, id, i.len);
	l->len = (size_t)(p - l->enc);
	jute_enc_int(l->enc, (int32_t)++l->n);
	return 0;
}

int
acl_ids_merge(struct acl_ids *dst, const struct acl_ids *src)
{
	struct zk_id ids[ACL_IDS_MAXN];
	char scheme[ACL_IDS_MAX];
	int i, n = acl_ids_decode(src->enc, src->len, ids, ACL_IDS_MAXN);

	for (i = 0; i < n; i++) {
		memcpy(scheme, ids[i].scheme.p, (size_t)ids[i].scheme.len);
		scheme[ids[i].scheme.len] = '\0';
		if (acl_ids_add(dst, scheme, (const char *)ids[i].id.p,
		    (size_t)ids[i].id.len) < 0)
			return -1;
	}
	return n < 0 ? -1 : 0;
}

int
acl_ids_decode(const uint8_t *buf, size_t len, struct zk_id *ids, int max)
{
	struct jute_reader r;
	int32_t i, n;

	if (buf == NULL || len == 0)
		return 0;
	jute_reader_init(&r, buf, len);
	n = jute_get_int(&r);
	if (r.err || n < 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		if (jute_get_bytes(&r, &ids[i].scheme) < 0 ||
		    jute_get_bytes(&r, &ids[i].id) < 0 ||
		    ids[i].scheme.len < 0 || ids[i].id.len < 0)
			return -1;
	}
	return jute_remaining(&r) == 0 ? n : -1;
}

/* --- providers --- */

int
acl_digest(const uint8_t *userpass, size_t len, char *out, size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const uint8_t *colon = memchr(userpass, ':', len);
	size_t ulen = colon != NULL ? (size_t)(colon - userpass) : len;

	if (outsz < ulen + ACL_DIGEST_LEN + 1)
		return -1;
	if (EVP_Digest(userpass, len, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return -1;
	memcpy(out, userpass, ulen);
	out[ulen] = ':';
	EVP_EncodeBlock((unsigned char *)out + ulen + 1, md, (int)mdlen);
	return 0;
}

/* Java String.split(":").length: fields, trailing empty ones dropped. */
static int
split_count(const struct jute_bytes *b, char sep)
{
	int32_t i, end = b->len, n = 1;

	while (end > 0 && b->p[end - 1] == sep)
		end--;
	if (end == 0)
		return b->len == 0 ? 1 : 0;	/* "" -> [""], ":" -> [] */
	for (i = 0; i < end; i++)
		n += b->p[i] == sep;
	return n;
}

int
acl_digest_valid(const struct jute_bytes *id)
{
	return id->len >= 0 && split_count(id, ':') == 2;
}

/* Integer.parseInt: [+-]digits, in int range; -1 on failure, *v set. */
static int
java_parse_int(const uint8_t *p, size_t n, long long *v)
{
	size_t i = 0;
	int neg = 0;

	*v = 0;
	if (n > 0 && (p[0] == '+' || p[0] == '-')) {
		neg = p[0] == '-';
		i++;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
		if (*v > (long long)INT_MAX + 1)
			return -1;
	}
	if (neg)
		*v = -*v;
	return *v > INT_MAX ? -1 : 0;
}

/* IPAuthenticationProvider.v4addr2Bytes: exactly 4 parts, each 0..255. */
static int
v4_bytes(const uint8_t *p, size_t n, uint8_t out[4])
{
	size_t start = 0, i;
	int part = 0;
	long long v;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '.')
			continue;
		if (part == 4 || java_parse_int(p + start, i - start, &v) < 0 ||
		    v < 0 || v > 255)
			return -1;
		out[part++] = (uint8_t)v;
		start = i + 1;
	}
	return part == 4 ? 0 : -1;
}

/* Split "addr[/bits]" and parse both; bits defaults to 32. */
static int
ip_expr(const struct jute_bytes *e, uint8_t addr[4], int *bits)
{
	const uint8_t *slash;
	size_t alen;
	long long v;

	if (e->len < 0)
		return -1;
	slash = memchr(e->p, '/', (size_t)e->len);
	alen = slash != NULL ? (size_t)(slash - e->p) : (size_t)e->len;
	if (v4_bytes(e->p, alen, addr) < 0)
		return -1;
	*bits = 32;
	if (slash == NULL)
		return 0;
	if (java_parse_int(slash + 1, (size_t)e->len - alen - 1, &v) < 0 ||
	    v < 0 || v > 32)
		return -1;
	*bits = (int)v;
	return 0;
}

int
acl_ip_valid(const struct jute_bytes *id)
{
	uint8_t addr[4];
	int bits;

	return ip_expr(id, addr, &bits) == 0;
}

static void
ip_mask(uint8_t b[4], int bits)
{
	int i;

	for (i = 0; i < 4; i++) {
		int keep = bits - i * 8;

		if (keep <= 0)
			b[i] = 0;
		else if (keep < 8)
			b[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

int
acl_ip_match(const struct jute_bytes *id, const struct jute_bytes *expr)
{
	uint8_t want[4], have[4];
	int bits;

	if (ip_expr(expr, want, &bits) < 0 || id->len < 0 ||
	    v4_bytes(id->p, (size_t)id->len, have) < 0)
		return 0;
	ip_mask(want, bits);
	ip_mask(have, bits);
	return memcmp(want, have, 4) == 0;
}

/*
 * new KerberosName(id) throws only for a name with '@' that does not match
 * ([^/@]*)(/([^/@]*))?@([^/@]*).
 */
int
acl_sasl_valid(const struct jute_bytes *id)
{
	const uint8_t *at;
	int32_t i, slashes = 0;

	if (id->len < 0)
		return 0;
	if ((at = memchr(id->p, '@', (size_t)id->len)) == NULL)
		return 1;
	for (i = 0; id->p + i < at; i++)
		slashes += id->p[i] == '/';
	for (i = (int32_t)(at - id->p) + 1; i < id->len; i++)
		if (id->p[i] == '/' || id->p[i] == '@')
			return 0;
	return slashes <= 1;
}

int
acl_sasl_on(const struct zk_id *ids, int nids)
{
	int i;

	for (i = 0; i < nids; i++)
		if (bytes_is(&ids[i].scheme, ACL_POLICY) &&
		    bytes_is(&ids[i].id, "sasl"))
			return 1;
	return 0;
}

/* --- checkACL and fixupACL --- */

/* The provider of an ACL entry's scheme matches one of the ids. */
static int
entry_matches(const struct zk_id *e, const struct zk_id *ids, int nids,
    int sasl_on)
{
	int i;

	for (i = 0; i < nids; i++) {
		if (!bytes_eq(&ids[i].scheme, &e->scheme))
			continue;
		if (bytes_is(&e->scheme, "digest") && bytes_eq(&ids[i].id,
		    &e->id))
			return 1;
		if (bytes_is(&e->scheme, "ip") && acl_ip_match(&ids[i].id,
		    &e->id))
			return 1;
		/* SASLAuthenticationProvider.matches: "super" matches all */
		if (bytes_is(&e->scheme, "sasl") && sasl_on &&
		    (bytes_eq(&ids[i].id, &e->id) ||
		    bytes_is(&ids[i].id, "super")))
			return 1;
	}
	return 0;
}

int
acl_check(const uint8_t *acl, size_t len, int32_t perm,
    const struct zk_id *ids, int nids)
{
	struct jute_reader r;
	struct zk_acl a;
	int32_t i, n;
	int sasl_on = acl_sasl_on(ids, nids);

	for (i = 0; i < nids; i++)
		if (bytes_is(&ids[i].scheme, "super"))
			return 1;
	jute_reader_init(&r, acl, len);
	n = jute_get_int(&r);
	if (n <= 0)
		return 1;	/* null or empty: no restriction */
	for (i = 0; i < n; i++) {
		a.perms = jute_get_int(&r);
		if (jute_get_bytes(&r, &a.id.scheme) < 0 ||
		    jute_get_bytes(&r, &a.id.id) < 0)
			return 0;
		if ((a.perms & perm) == 0)
			continue;
		if (bytes_is(&a.id.scheme, "world") &&
		    bytes_is(&a.id.id, "anyone"))
			return 1;
		if (entry_matches(&a.id, ids, nids, sasl_on))
			return 1;
	}
	return 0;
}

static int
acl_eq(const struct zk_acl *a, const struct zk_acl *b)
{
	return a->perms == b->perms && bytes_eq(&a->id.scheme, &b->id.scheme) &&
	    bytes_eq(&a->id.id, &b->id.id);
}

/* ProviderRegistry.getServerProvider(scheme).isValid(id). */
static int
id_valid(const struct zk_id *id, int sasl_on)
{
	if (id->scheme.len < 0 || id->id.len < 0)
		return 0;
	if (bytes_is(&id->scheme, "digest"))
		return acl_digest_valid(&id->id);
	if (bytes_is(&id->scheme, "ip"))
		return acl_ip_valid(&id->id);
	if (bytes_is(&id->scheme, "sasl") && sasl_on)
		return acl_sasl_valid(&id->id);
	return 0;
}

/* Provider isAuthenticated(): digest and sasl, not ip, super or policy. */
static int
id_authenticated(const struct zk_id *id, int sasl_on)
{
	return bytes_is(&id->scheme, "digest") ||
	    (bytes_is(&id->scheme, "sasl") && sasl_on);
}

static void
put_acl(struct jute_writer *w, int32_t perms, const struct zk_id *id)
{
	jute_put_int(w, perms);
	jute_put_bytes(w, id->scheme.p, id->scheme.len);
	jute_put_bytes(w, id->id.p, id->id.len);
}

/* Expand one "auth" entry; 0 if no authenticated id was there. */
static int
expand_auth(int32_t perms, const struct zk_id *ids, int nids, int sasl_on,
    struct jute_writer *w, int32_t *count)
{
	int i, found = 0;

	for (i = 0; i < nids; i++) {
		if (!id_authenticated(&ids[i], sasl_on))
			continue;
		put_acl(w, perms, &ids[i]);
		(*count)++;
		found = 1;
	}
	return found;
}

int32_t
acl_fixup(const struct zk_acl_list *l, const struct zk_id *ids, int nids,
    struct jute_writer *out)
{
	int sasl_on = acl_sasl_on(ids, nids);
	size_t start = out->len;
	int32_t i, j, count = 0;

	jute_put_int(out, 0);
	for (i = 0; i < l->count; i++) {
		const struct zk_acl *a = &l->acl[i];

		for (j = 0; j < i; j++)		/* removeDuplicates */
			if (acl_eq(a, &l->acl[j]))
				break;
		if (j < i)
			continue;
		if (bytes_is(&a->id.scheme, "world") &&
		    bytes_is(&a->id.id, "anyone")) {
			put_acl(out, a->perms, &a->id);
			count++;
		} else if (bytes_is(&a->id.scheme, "auth")) {
			if (!expand_auth(a->perms, ids, nids, sasl_on, out,
			    &count))
				goto invalid;
		} else if (id_valid(&a->id, sasl_on)) {
			put_acl(out, a->perms, &a->id);
			count++;
		} else
			goto invalid;
	}
	if (count == 0)
		goto invalid;
	jute_patch_int(out, start, count);
	return 0;
invalid:
	out->len = start;
	return -114;
}

void
acl_redact_digests(const uint8_t *acl, size_t len, struct jute_writer *out)
{
	struct jute_reader r;
	struct zk_acl a;
	int32_t i, n;

	jute_reader_init(&r, acl, len);
	n = jute_get_int(&r);
	jute_put_int(out, n);
	for (i = 0; i < n; i++) {
		const uint8_t *colon;
		size_t keep;

		a.perms = jute_get_int(&r);
		jute_get_bytes(&r, &a.id.scheme);
		jute_get_bytes(&r, &a.id.id);
		jute_put_int(out, a.perms);
		jute_put_bytes(out, a.id.scheme.p, a.id.scheme.len);
		colon = a.id.id.len > 0 ? memchr(a.id.id.p, ':',
		    (size_t)a.id.id.len) : NULL;
		if (!bytes_is(&a.id.scheme, "digest") || colon == NULL) {
			jute_put_bytes(out, a.id.id.p, a.id.id.len);
			continue;
		}
		/* replaceAll(":.*", ":x") */
		keep = (size_t)(colon - a.id.id.p) + 1;
		jute_put_int(out, (int32_t)keep + 1);
		jute_put_raw(out, a.id.id.p, keep);
		jute_put_raw(out, "x", 1);
	}
}

struct jute_bytes
acl_user_name(const struct zk_id *id, int sasl_on)
{
	struct jute_bytes none = { (const uint8_t *)"", 0 }, u = id->id;
	const uint8_t *colon;

	if (bytes_is(&id->scheme, "ip") || (bytes_is(&id->scheme, "sasl") &&
	    sasl_on))
		return u;
	if (!bytes_is(&id->scheme, "digest"))
		return none;		/* no provider: "" */
	if (u.len > 0 && (colon = memchr(u.p, ':', (size_t)u.len)) != NULL)
		u.len = (int32_t)(colon - u.p);	/* split(":")[0] */
	return u;
}
