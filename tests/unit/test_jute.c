/* The jute codec: round trips, truncated, malformed and oversized input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/jute.h"

#define BYTES(s)	((struct jute_bytes){ (const uint8_t *)(s), sizeof(s) - 1 })

static void
want_bytes(const char *what, const struct jute_bytes *got, const char *want)
{
	if (want == NULL) {
		if (got->len != -1)
			fail_msg("%s: got len %d, want null", what, got->len);
		return;
	}
	if (got->len != (int32_t)strlen(want) ||
	    memcmp(got->p, want, strlen(want)) != 0)
		fail_msg("%s: got \"%.*s\", want \"%s\"", what,
		    got->len < 0 ? 0 : got->len, (const char *)got->p, want);
}

static void
want_int(const char *what, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, (long long)got,
		    (long long)want);
}

static void
put_acl(struct jute_writer *w)
{
	struct zk_acl_list l = { .count = 2 };

	l.acl[0] = (struct zk_acl){ 31, { BYTES("world"), BYTES("anyone") } };
	l.acl[1] = (struct zk_acl){ 1, { BYTES("digest"), BYTES("u:p") } };
	jute_put_acl_list(w, &l);
}

static void
check_acl(const struct zk_acl_list *l)
{
	want_int("acl count", l->count, 2);
	want_int("acl0 perms", l->acl[0].perms, 31);
	want_bytes("acl0 scheme", &l->acl[0].id.scheme, "world");
	want_bytes("acl0 id", &l->acl[0].id.id, "anyone");
	want_int("acl1 perms", l->acl[1].perms, 1);
	want_bytes("acl1 id", &l->acl[1].id.id, "u:p");
}

static const struct zk_stat stat0 = { 1, 2, 3, 4, 5, 6, 7,
    (int64_t)0x8000000000000000ULL, 9, 10, 11 };

static void
enc_stat(struct jute_writer *w)
{
	jute_put_stat(w, &stat0);
}

static int
dec_stat(struct jute_reader *r)
{
	struct zk_stat s;

	if (jute_get_stat(r, &s) == -1)
		return -1;
	want_int("czxid", s.czxid, stat0.czxid);
	want_int("mzxid", s.mzxid, stat0.mzxid);
	want_int("ctime", s.ctime, stat0.ctime);
	want_int("mtime", s.mtime, stat0.mtime);
	want_int("version", s.version, stat0.version);
	want_int("cversion", s.cversion, stat0.cversion);
	want_int("aversion", s.aversion, stat0.aversion);
	want_int("owner", s.ephemeral_owner, stat0.ephemeral_owner);
	want_int("dataLength", s.data_length, stat0.data_length);
	want_int("numChildren", s.num_children, stat0.num_children);
	want_int("pzxid", s.pzxid, stat0.pzxid);
	return 0;
}

static void
enc_acl(struct jute_writer *w)
{
	put_acl(w);
}

static int
dec_acl(struct jute_reader *r)
{
	struct zk_acl_list l;

	if (jute_get_acl_list(r, &l) == -1)
		return -1;
	check_acl(&l);
	return 0;
}

static void
enc_connect(struct jute_writer *w)
{
	jute_put_int(w, 0);
	jute_put_long(w, 0x1234);
	jute_put_int(w, 30000);
	jute_put_long(w, 77);
	jute_put_bytes(w, "0123456789abcdef", 16);
	jute_put_bool(w, 1);
}

static int
dec_connect(struct jute_reader *r)
{
	struct zk_connect_req c;

	if (jute_get_connect_req(r, &c) == -1)
		return -1;
	want_int("last zxid", c.last_zxid_seen, 0x1234);
	want_int("timeout", c.timeout, 30000);
	want_int("session", c.session_id, 77);
	want_bytes("passwd", &c.passwd, "0123456789abcdef");
	/* A prefix that stops right after passwd is an old client: valid. */
	if (jute_remaining(r) == 0 && !c.has_read_only)
		return 1;
	want_int("has_read_only", c.has_read_only, 1);
	want_int("read_only", c.read_only, 1);
	return 0;
}

static void
enc_create(struct jute_writer *w)
{
	jute_put_string(w, "/a/b");
	jute_put_bytes(w, "data", 4);
	put_acl(w);
	jute_put_int(w, 3);
}

static int
dec_create(struct jute_reader *r)
{
	struct zk_create_req c;

	if (jute_get_create_req(r, &c) == -1)
		return -1;
	want_bytes("path", &c.path, "/a/b");
	want_bytes("data", &c.data, "data");
	check_acl(&c.acl);
	want_int("flags", c.flags, 3);
	return 0;
}

static void
enc_create_ttl(struct jute_writer *w)
{
	enc_create(w);
	jute_put_long(w, 5000);
}

static int
dec_create_ttl(struct jute_reader *r)
{
	struct zk_create_ttl_req c;

	if (jute_get_create_ttl_req(r, &c) == -1)
		return -1;
	want_bytes("path", &c.c.path, "/a/b");
	check_acl(&c.c.acl);
	want_int("ttl", c.ttl, 5000);
	return 0;
}

static void
enc_path_version(struct jute_writer *w)
{
	jute_put_string(w, "/x");
	jute_put_int(w, -1);
}

static int
dec_path_version(struct jute_reader *r)
{
	struct zk_path_version_req q;

	if (jute_get_path_version_req(r, &q) == -1)
		return -1;
	want_bytes("path", &q.path, "/x");
	want_int("version", q.version, -1);
	return 0;
}

static void
enc_path_watch(struct jute_writer *w)
{
	jute_put_string(w, "/x");
	jute_put_bool(w, 1);
}

static int
dec_path_watch(struct jute_reader *r)
{
	struct zk_path_watch_req q;

	if (jute_get_path_watch_req(r, &q) == -1)
		return -1;
	want_bytes("path", &q.path, "/x");
	want_int("watch", q.watch, 1);
	return 0;
}

static void
enc_set_data(struct jute_writer *w)
{
	jute_put_string(w, "/x");
	jute_put_bytes(w, NULL, -1);
	jute_put_int(w, 7);
}

static int
dec_set_data(struct jute_reader *r)
{
	struct zk_set_data_req q;

	if (jute_get_set_data_req(r, &q) == -1)
		return -1;
	want_bytes("path", &q.path, "/x");
	want_bytes("data", &q.data, NULL);
	want_int("version", q.version, 7);
	return 0;
}

static void
enc_set_acl(struct jute_writer *w)
{
	jute_put_string(w, "/x");
	put_acl(w);
	jute_put_int(w, 2);
}

static int
dec_set_acl(struct jute_reader *r)
{
	struct zk_set_acl_req q;

	if (jute_get_set_acl_req(r, &q) == -1)
		return -1;
	want_bytes("path", &q.path, "/x");
	check_acl(&q.acl);
	want_int("version", q.version, 2);
	return 0;
}

static void
enc_path(struct jute_writer *w)
{
	jute_put_string(w, "/some/path");
}

static int
dec_path(struct jute_reader *r)
{
	struct jute_bytes p;

	if (jute_get_path_req(r, &p) == -1)
		return -1;
	want_bytes("path", &p, "/some/path");
	return 0;
}

static void
enc_auth(struct jute_writer *w)
{
	jute_put_int(w, 0);
	jute_put_string(w, "digest");
	jute_put_bytes(w, "u:p", 3);
}

static int
dec_auth(struct jute_reader *r)
{
	struct zk_auth_packet a;

	if (jute_get_auth_packet(r, &a) == -1)
		return -1;
	want_bytes("scheme", &a.scheme, "digest");
	want_bytes("auth", &a.auth, "u:p");
	return 0;
}

static void
enc_headers(struct jute_writer *w)
{
	struct zk_multi_header m = { 14, 1, -1 };

	jute_put_int(w, 42);
	jute_put_int(w, 4);
	jute_put_multi_header(w, &m);
}

static int
dec_headers(struct jute_reader *r)
{
	struct zk_request_header h;
	struct zk_multi_header m;

	if (jute_get_request_header(r, &h) == -1 ||
	    jute_get_multi_header(r, &m) == -1)
		return -1;
	want_int("xid", h.xid, 42);
	want_int("type", h.type, 4);
	want_int("mh type", m.type, 14);
	want_int("mh done", m.done, 1);
	want_int("mh err", m.err, -1);
	return 0;
}

struct watch_tally {
	int	count[5];
};

static void
tally(void *arg, int kind, const struct jute_bytes *path)
{
	struct watch_tally *t = arg;

	(void)path;
	t->count[kind]++;
}

static void
enc_set_watches2(struct jute_writer *w)
{
	int k, i;

	jute_put_long(w, 99);
	for (k = 0; k < 5; k++) {
		jute_put_int(w, k);
		for (i = 0; i < k; i++)
			jute_put_string(w, "/w");
	}
}

static int
dec_set_watches2(struct jute_reader *r)
{
	struct zk_set_watches s;
	struct watch_tally t = { { 0 } };
	int k;

	if (jute_get_set_watches(r, 1, &s, tally, &t) == -1)
		return -1;
	want_int("relative zxid", s.relative_zxid, 99);
	for (k = 0; k < 5; k++)
		want_int("watch count", t.count[k], k);
	return 0;
}

struct record_case {
	const char	*name;
	void		(*enc)(struct jute_writer *);
	int		(*dec)(struct jute_reader *);
};

static const struct record_case records[] = {
	{ "stat", enc_stat, dec_stat },
	{ "acl", enc_acl, dec_acl },
	{ "connect", enc_connect, dec_connect },
	{ "create", enc_create, dec_create },
	{ "create ttl", enc_create_ttl, dec_create_ttl },
	{ "path version", enc_path_version, dec_path_version },
	{ "path watch", enc_path_watch, dec_path_watch },
	{ "set data", enc_set_data, dec_set_data },
	{ "set acl", enc_set_acl, dec_set_acl },
	{ "path", enc_path, dec_path },
	{ "auth", enc_auth, dec_auth },
	{ "headers", enc_headers, dec_headers },
	{ "set watches2", enc_set_watches2, dec_set_watches2 },
};
#define NRECORDS	(sizeof(records) / sizeof(records[0]))

/* Every record decodes back; every strict prefix of it fails cleanly. */
static void
test_round_trip_and_prefixes(void **state)
{
	struct jute_writer w;
	struct jute_reader r;
	size_t i, n;
	uint8_t *copy;
	int rc;

	(void)state;
	jute_writer_init(&w);
	for (i = 0; i < NRECORDS; i++) {
		jute_writer_reset(&w);
		records[i].enc(&w);
		jute_reader_init(&r, w.buf, w.len);
		rc = records[i].dec(&r);
		if (rc != 0 || jute_remaining(&r) != 0)
			fail_msg("%s: got rc %d remaining %zu, want 0 0",
			    records[i].name, rc, jute_remaining(&r));
		for (n = 0; n < w.len; n++) {
			/* An exact-size heap copy lets ASan see overreads. */
			copy = malloc(n ? n : 1);
			memcpy(copy, w.buf, n);
			jute_reader_init(&r, copy, n);
			rc = records[i].dec(&r);
			free(copy);
			if (rc == 0)
				fail_msg("%s prefix %zu: got 0, want -1",
				    records[i].name, n);
		}
	}
	jute_writer_free(&w);
}

static void
test_scalars(void **state)
{
	struct jute_writer w;
	struct jute_reader r;
	static const uint8_t want[] = { 0x80, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xfe, 1, 0, 0, 0, 3, 'a', 'b', 'c',
	    0xff, 0xff, 0xff, 0xff };

	(void)state;
	jute_writer_init(&w);
	jute_put_int(&w, INT32_MIN + 1);
	jute_put_long(&w, -2);
	jute_put_bool(&w, 7);
	jute_put_string(&w, "abc");
	jute_put_string(&w, NULL);
	if (w.len != sizeof(want) || memcmp(w.buf, want, w.len) != 0)
		fail_msg("encoding: got %zu bytes, want %zu (or bytes differ)",
		    w.len, sizeof(want));
	jute_reader_init(&r, w.buf, w.len);
	want_int("int", jute_get_int(&r), INT32_MIN + 1);
	want_int("long", jute_get_long(&r), -2);
	want_int("bool", jute_get_bool(&r), 1);
	jute_patch_int(&w, 0, 5);
	jute_reader_init(&r, w.buf, 4);
	want_int("patched", jute_get_int(&r), 5);
	/* Sticky error: once past the end, everything reads zero. */
	want_int("past end", jute_get_int(&r), 0);
	want_int("err", r.err, 1);
	jute_reader_init(&r, w.buf, w.len);
	r.err = 1;
	want_int("sticky", jute_get_int(&r), 0);
	jute_writer_free(&w);
}

static void
test_malformed(void **state)
{
	struct jute_writer w;
	struct jute_reader r;
	struct jute_bytes b;
	struct zk_acl_list l;
	struct zk_connect_req c;
	struct zk_connect_resp resp = { 0, 4000, 9, (const uint8_t *)"pw", 2,
	    0, 0 };

	(void)state;
	jute_writer_init(&w);
	jute_put_int(&w, -2);		/* negative length other than -1 */
	jute_reader_init(&r, w.buf, w.len);
	want_int("neg len", jute_get_bytes(&r, &b), -1);

	jute_writer_reset(&w);
	jute_put_int(&w, 100);		/* longer than the input */
	jute_put_raw(&w, "abc", 3);
	jute_reader_init(&r, w.buf, w.len);
	want_int("long len", jute_get_bytes(&r, &b), -1);

	jute_writer_reset(&w);
	jute_put_int(&w, JUTE_MAX_ACL + 1);	/* over our ACL cap */
	jute_reader_init(&r, w.buf, w.len);
	want_int("acl cap", jute_get_acl_list(&r, &l), -1);

	jute_writer_reset(&w);
	jute_put_int(&w, -1);		/* null ACL vector is valid */
	jute_reader_init(&r, w.buf, w.len);
	want_int("null acl", jute_get_acl_list(&r, &l), 0);
	want_int("null acl count", l.count, -1);

	jute_writer_reset(&w);
	jute_put_int(&w, INT32_MIN);
	jute_reader_init(&r, w.buf, w.len);
	want_int("acl min", jute_get_acl_list(&r, &l), -1);

	/* Connect response round trip without and with readOnly. */
	jute_writer_reset(&w);
	jute_put_connect_resp(&w, &resp);
	want_int("resp len", (int64_t)w.len, 4 + 4 + 8 + 4 + 2);
	resp.has_read_only = 1;
	jute_writer_reset(&w);
	jute_put_connect_resp(&w, &resp);
	want_int("resp len ro", (int64_t)w.len, 4 + 4 + 8 + 4 + 2 + 1);

	/* Old client connect request: no readOnly byte. */
	jute_writer_reset(&w);
	jute_put_int(&w, 0);
	jute_put_long(&w, 0);
	jute_put_int(&w, 1);
	jute_put_long(&w, 0);
	jute_put_bytes(&w, NULL, -1);
	jute_reader_init(&r, w.buf, w.len);
	want_int("old connect", jute_get_connect_req(&r, &c), 0);
	want_int("old has_ro", c.has_read_only, 0);
	jute_writer_free(&w);
}

/* Random bytes never crash any decoder. */
static void
test_random(void **state)
{
	uint8_t buf[256];
	struct jute_reader r;
	unsigned seed = 12345;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = rand_r(&seed) % sizeof(buf);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* Small lengths make it past the length checks more often. */
		if (n > 4 && (i & 1))
			buf[0] = buf[1] = buf[2] = 0;
		for (j = 0; j < NRECORDS; j++) {
			uint8_t *copy = malloc(n ? n : 1);

			memcpy(copy, buf, n);
			jute_reader_init(&r, copy, n);
			/* Field checks may fail_msg on garbage: skip them. */
			if (records[j].dec == dec_stat) {
				struct zk_stat s;

				(void)jute_get_stat(&r, &s);
			} else {
				struct zk_create_ttl_req c;
				struct zk_set_acl_req a;
				struct zk_set_watches s;

				(void)jute_get_create_ttl_req(&r, &c);
				jute_reader_init(&r, copy, n);
				(void)jute_get_set_acl_req(&r, &a);
				jute_reader_init(&r, copy, n);
				(void)jute_get_set_watches(&r, 1, &s, NULL,
				    NULL);
			}
			free(copy);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_round_trip_and_prefixes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
