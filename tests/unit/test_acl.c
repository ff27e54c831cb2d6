/*
 * common/acl.c against ZooKeeper 3.8's providers: digests (values from
 * DigestAuthenticationProvider.generateDigest), ip validity and CIDR
 * matching (IPAuthenticationProvider, IPv4 only), digest and sasl
 * validity, checkACL and fixupACL, getACL's hiding of hashes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"

static struct jute_bytes
B(const char *s)
{
	return (struct jute_bytes){ (const uint8_t *)s, (int32_t)strlen(s) };
}

static void
test_digest(void **state)
{
	static const struct {
		const char	*in, *want;
	} t[] = {
		/* what ZooKeeper 3.8 stores for addauth digest */
		{ "super:s3cret", "super:3/BRixgtJK5zIu/gWZCB29+Rzoo=" },
		{ "alice:pw", "alice:V55/p2T0OpjQ+low3NVAH4aLvm0=" },
		{ "nocolon", "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=" },
		{ "a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=" },
		{ ":x", ":57b19mLA2vMhI/edHul/TytWqWE=" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(acl_digest((const uint8_t *)t[i].in,
		    strlen(t[i].in), out, sizeof(out)), 0);
		if (strcmp(out, t[i].want) != 0)
			fail_msg("%s: got %s, want %s", t[i].in, out, t[i].want);
	}
	assert_int_equal(acl_digest((const uint8_t *)"a:b", 3, out, 10), -1);
}

static void
test_valid(void **state)
{
	static const struct {
		const char	*scheme, *id;
		int		 want;
	} t[] = {
		{ "digest", "a:b", 1 }, { "digest", ":b", 1 },
		{ "digest", "a:b:", 1 }, { "digest", "a:b::", 1 },
		{ "digest", "nocolon", 0 }, { "digest", "a:b:c", 0 },
		{ "digest", "a::", 0 }, { "digest", "", 0 }, { "digest", ":", 0 },
		{ "ip", "1.2.3.4", 1 }, { "ip", "1.2.3.4/0", 1 },
		{ "ip", "1.2.3.4/32", 1 }, { "ip", "1.2.3.4/33", 0 },
		{ "ip", "1.2.3.4/-1", 0 }, { "ip", "1.2.3.4/+8", 1 },
		{ "ip", "1.2.3.4/", 0 }, { "ip", "1.2.3.4/x", 0 },
		{ "ip", "001.2.3.4", 1 }, { "ip", "-0.2.3.4", 1 },
		{ "ip", "256.2.3.4", 0 }, { "ip", "1.2.3", 0 },
		{ "ip", "1.2.3.4.5", 0 }, { "ip", "1..3.4", 0 },
		{ "ip", "::1", 0 }, { "ip", "host", 0 }, { "ip", "", 0 },
		{ "ip", "99999999999.1.1.1", 0 },
		{ "sasl", "bob", 1 }, { "sasl", "bob@REALM", 1 },
		{ "sasl", "zk/host@REALM", 1 }, { "sasl", "a/b/c@R", 0 },
		{ "sasl", "a@b@c", 0 }, { "sasl", "a@b/c", 0 },
		{ "sasl", "a/b/c", 1 },
	};
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct jute_bytes id = B(t[i].id);

		if (strcmp(t[i].scheme, "digest") == 0)
			got = acl_digest_valid(&id);
		else if (strcmp(t[i].scheme, "ip") == 0)
			got = acl_ip_valid(&id);
		else
			got = acl_sasl_valid(&id);
		if (got != t[i].want)
			fail_msg("%s:%s: got %d, want %d", t[i].scheme, t[i].id,
			    got, t[i].want);
	}
}

static void
test_ip_match(void **state)
{
	static const struct {
		const char	*id, *expr;
		int		 want;
	} t[] = {
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "127.0.0.1", "127.0.0.2", 0 },
		{ "127.0.0.1", "127.0.0.0/8", 1 },
		{ "127.200.3.1", "127.0.0.0/8", 1 },
		{ "128.0.0.1", "127.0.0.0/8", 0 },
		{ "10.1.2.3", "10.1.2.0/24", 1 },
		{ "10.1.3.3", "10.1.2.0/24", 0 },
		{ "10.1.2.3", "10.1.2.2/31", 1 },
		{ "10.1.2.4", "10.1.2.2/31", 0 },
		{ "10.1.2.3", "10.1.2.0/30", 1 },
		{ "10.1.2.3", "0.0.0.0/0", 1 },
		{ "10.1.2.3", "10.1.2.3/32", 1 },
		{ "10.1.2.3", "10.1.2.3/33", 0 },
		{ "10.1.2.3", "bad", 0 },
		{ "::1", "0.0.0.0/0", 0 },
		{ "10.1.2.3", "10.1.2.7/29", 1 },
		{ "10.1.2.8", "10.1.2.7/29", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct jute_bytes id = B(t[i].id), e = B(t[i].expr);
		int got = acl_ip_match(&id, &e);

		if (got != t[i].want)
			fail_msg("%s in %s: got %d, want %d", t[i].id,
			    t[i].expr, got, t[i].want);
	}
}

/* An identity list from "scheme:id" strings (split at the first ':'). */
static int
ids_of(const char *const *in, struct acl_ids *l, struct zk_id *ids)
{
	acl_ids_init(l);
	for (; *in != NULL; in++) {
		const char *colon = strchr(*in, ':');
		char scheme[32];

		snprintf(scheme, sizeof(scheme), "%.*s", (int)(colon - *in),
		    *in);
		assert_true(acl_ids_add(l, scheme, colon + 1,
		    strlen(colon + 1)) >= 0);
	}
	return acl_ids_decode(l->enc, l->len, ids, ACL_IDS_MAXN);
}

/* "perms,scheme:id" entries into a list. */
static void
acl_of(const char *const *in, struct zk_acl_list *l)
{
	for (l->count = 0; *in != NULL; in++, l->count++) {
		const char *comma = strchr(*in, ','), *colon;
		struct zk_acl *a = &l->acl[l->count];

		colon = strchr(comma + 1, ':');
		a->perms = atoi(*in);
		a->id.scheme = (struct jute_bytes){ (const uint8_t *)comma + 1,
		    (int32_t)(colon - comma - 1) };
		a->id.id = B(colon + 1);
	}
}

struct check_case {
	const char	*name;
	const char	*acl[4];
	const char	*ids[4];
	int32_t		 perm;
	int		 want;
};

static const struct check_case checks[] = {
	{ "world read", { "1,world:anyone" }, { "ip:1.2.3.4" }, 1, 1 },
	{ "world no write", { "1,world:anyone" }, { "ip:1.2.3.4" }, 2, 0 },
	{ "world:other", { "31,world:other" }, { "ip:1.2.3.4" }, 1, 0 },
	{ "digest", { "31,digest:a:h" }, { "digest:a:h" }, 8, 1 },
	{ "digest other", { "31,digest:a:h" }, { "digest:a:g" }, 8, 0 },
	{ "ip cidr", { "4,ip:10.0.0.0/8" }, { "ip:10.9.9.9" }, 4, 1 },
	{ "ip outside", { "4,ip:10.0.0.0/8" }, { "ip:11.9.9.9" }, 4, 0 },
	{ "super", { "0,world:anyone" }, { "super:" }, 16, 1 },
	{ "read or admin", { "16,world:anyone" }, { "ip:1.1.1.1" }, 17, 1 },
	{ "sasl off", { "31,sasl:bob" }, { "sasl:bob" }, 1, 0 },
	{ "sasl on", { "31,sasl:bob" }, { "sasl:bob", "corral:sasl" }, 1, 1 },
	{ "sasl super", { "31,sasl:bob" }, { "sasl:super", "corral:sasl" },
	    1, 1 },
	{ "scheme must match", { "31,ip:1.2.3.4" }, { "digest:1.2.3.4" }, 1,
	    0 },
	{ "second entry", { "2,world:anyone", "1,digest:a:h" },
	    { "digest:a:h" }, 1, 1 },
};

static void
test_check(void **state)
{
	struct zk_id ids[ACL_IDS_MAXN];
	struct zk_acl_list l;
	struct jute_writer w;
	struct acl_ids il;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct check_case *c = &checks[i];
		int n = ids_of(c->ids, &il, ids), got;

		acl_of(c->acl, &l);
		jute_writer_init(&w);
		jute_put_acl_list(&w, &l);
		got = acl_check(w.buf, w.len, c->perm, ids, n);
		jute_writer_free(&w);
		if (got != c->want)
			fail_msg("%s: got %d, want %d", c->name, got, c->want);
	}
}

struct fixup_case {
	const char	*name;
	const char	*acl[4];
	const char	*ids[4];
	int32_t		 want_err;
	int32_t		 want_count;
};

static const struct fixup_case fixups[] = {
	{ "empty", { NULL }, { "ip:1.1.1.1" }, -114, 0 },
	{ "world", { "31,world:anyone" }, { NULL }, 0, 1 },
	{ "dup", { "1,world:anyone", "1,world:anyone" }, { NULL }, 0, 1 },
	{ "auth no ids", { "31,auth:" }, { "ip:1.1.1.1" }, -114, 0 },
	{ "auth two", { "31,auth:" }, { "ip:1.1.1.1", "digest:a:h",
	    "digest:b:h" }, 0, 2 },
	{ "auth skips super", { "31,auth:" }, { "super:", "digest:a:h" },
	    0, 1 },
	{ "auth sasl off", { "31,auth:" }, { "sasl:bob" }, -114, 0 },
	{ "auth sasl on", { "31,auth:" }, { "sasl:bob", "corral:sasl" }, 0,
	    1 },
	{ "sasl off", { "31,sasl:bob" }, { NULL }, -114, 0 },
	{ "sasl on", { "31,sasl:bob" }, { "corral:sasl" }, 0, 1 },
	{ "bad ip", { "31,ip:1.2.3.4/40" }, { NULL }, -114, 0 },
	{ "unknown", { "31,x509:CN=a" }, { NULL }, -114, 0 },
	{ "super scheme", { "31,super:" }, { "super:" }, -114, 0 },
	{ "mixed bad", { "31,world:anyone", "1,digest:bad" }, { NULL },
	    -114, 0 },
};

static void
test_fixup(void **state)
{
	struct zk_id ids[ACL_IDS_MAXN];
	struct zk_acl_list l;
	struct jute_writer w;
	struct acl_ids il;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixups) / sizeof(fixups[0]); i++) {
		const struct fixup_case *c = &fixups[i];
		int n = ids_of(c->ids, &il, ids);
		int32_t err, count = 0;

		acl_of(c->acl, &l);
		jute_writer_init(&w);
		err = acl_fixup(&l, ids, n, &w);
		if (err == 0) {
			struct jute_reader r;

			jute_reader_init(&r, w.buf, w.len);
			count = jute_get_int(&r);
		}
		jute_writer_free(&w);
		if (err != c->want_err || count != c->want_count)
			fail_msg("%s: got err %d count %d, want %d %d", c->name,
			    err, count, c->want_err, c->want_count);
	}
}

static void
test_ids(void **state)
{
	struct acl_ids l;
	struct zk_id ids[ACL_IDS_MAXN];
	char id[600];
	int n;

	(void)state;
	acl_ids_init(&l);
	assert_int_equal(acl_ids_add(&l, "ip", "1.2.3.4", 7), 0);
	assert_int_equal(acl_ids_add(&l, "ip", "1.2.3.4", 7), 1);
	assert_int_equal(acl_ids_add(&l, "super", "", 0), 0);
	n = acl_ids_decode(l.enc, l.len, ids, ACL_IDS_MAXN);
	assert_int_equal(n, 2);
	memset(id, 'a', sizeof(id));
	assert_int_equal(acl_ids_add(&l, "digest", id, sizeof(id)), 0);
	assert_int_equal(acl_ids_add(&l, "digest", id, 500), -1);
	assert_int_equal(acl_ids_decode(l.enc, l.len - 1, ids, ACL_IDS_MAXN),
	    -1);
	assert_int_equal(acl_ids_decode(NULL, 0, ids, ACL_IDS_MAXN), 0);
}

static void
test_redact(void **state)
{
	static const char *in[] = { "31,digest:alice:hash", "1,world:anyone",
	    "1,digest:nocolonhere", NULL };
	struct zk_acl_list l, got;
	struct jute_writer w, out;
	struct jute_reader r;

	(void)state;
	acl_of(in, &l);
	jute_writer_init(&w);
	jute_writer_init(&out);
	jute_put_acl_list(&w, &l);
	acl_redact_digests(w.buf, w.len, &out);
	jute_reader_init(&r, out.buf, out.len);
	assert_int_equal(jute_get_acl_list(&r, &got), 0);
	assert_int_equal(got.count, 3);
	assert_int_equal(got.acl[0].id.id.len, 7);
	assert_memory_equal(got.acl[0].id.id.p, "alice:x", 7);
	assert_memory_equal(got.acl[1].id.id.p, "anyone", 6);
	assert_int_equal(got.acl[2].id.id.len, 11);
	jute_writer_free(&w);
	jute_writer_free(&out);
}

static void
test_user_name(void **state)
{
	struct zk_id d = { B("digest"), B("alice:hash") };
	struct zk_id s = { B("super"), B("") };
	struct zk_id ip = { B("ip"), B("1.2.3.4") };
	struct zk_id sa = { B("sasl"), B("bob") };
	struct jute_bytes u;

	(void)state;
	u = acl_user_name(&d, 0);
	assert_int_equal(u.len, 5);
	assert_memory_equal(u.p, "alice", 5);
	assert_int_equal(acl_user_name(&s, 0).len, 0);
	assert_int_equal(acl_user_name(&ip, 0).len, 7);
	assert_int_equal(acl_user_name(&sa, 0).len, 0);
	assert_int_equal(acl_user_name(&sa, 1).len, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_ip_match),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_fixup),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_user_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
