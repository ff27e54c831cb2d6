/*
 * Fuzz the jute record readers (common/jute.c), the first code to see a
 * client's bytes. Input: one selector byte, then the record. Beyond "no
 * crash", every decoded string must lie inside the input, errors must be
 * sticky, and records with an encoder must re-encode to the bytes read.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jute.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum rec {
	R_CONNECT, R_REQUEST_HEADER, R_CREATE, R_CREATE_TTL, R_PATH_VERSION,
	R_PATH_WATCH, R_SET_DATA, R_SET_ACL, R_PATH, R_AUTH, R_SET_WATCHES,
	R_SET_WATCHES2, R_MULTI_HEADER, R_ACL_LIST, R_STAT, R_MULTI,
	R_COUNT
};

static const uint8_t	*in_p;
static size_t		 in_len;

/* A decoded string or buffer points into the input, or is null. */
static void
check_bytes(const struct jute_bytes *b)
{
	volatile uint8_t sum = 0;
	int32_t i;

	if (b->len == -1)
		return;
	assert(b->len >= 0 && b->p != NULL);
	assert(b->p >= in_p && (size_t)(b->p - in_p) + (size_t)b->len <=
	    in_len);
	for (i = 0; i < b->len; i++)	/* let ASan see every byte */
		sum += b->p[i];
	(void)sum;
}

static void
check_acl_list(const struct zk_acl_list *l)
{
	int32_t i;

	assert(l->count >= -1 && l->count <= JUTE_MAX_ACL);
	for (i = 0; i < l->count; i++) {
		check_bytes(&l->acl[i].id.scheme);
		check_bytes(&l->acl[i].id.id);
	}
}

/* After a failure, the error sticks and every get yields zero. */
static void
check_sticky(struct jute_reader *r)
{
	struct jute_bytes b;

	assert(r->err);
	assert(jute_remaining(r) == 0);
	assert(jute_get_int(r) == 0 && jute_get_long(r) == 0 &&
	    jute_get_bool(r) == 0);
	assert(jute_get_bytes(r, &b) == -1 && b.p == NULL && b.len == -1);
}

/* w must equal the input bytes the reader consumed from start. */
static void
check_reencode(struct jute_writer *w, const uint8_t *start, size_t n)
{
	assert(w->len == n);
	assert(n == 0 || memcmp(w->buf, start, n) == 0);
	jute_writer_free(w);
}

static void
watch_cb(void *arg, int kind, const struct jute_bytes *path)
{
	int *nkinds = arg;

	assert(kind >= 0 && kind < *nkinds);
	check_bytes(path);
}

/* One op of a multi request, as the frontend and sm_apply read them. */
static int
multi_op(struct jute_reader *r, int32_t type)
{
	struct zk_create_ttl_req c;
	struct zk_path_version_req pv;
	struct zk_set_data_req sd;

	switch (type) {
	case 1: case 15: case 19:
		if (jute_get_create_req(r, &c.c) == -1)
			return -1;
		check_bytes(&c.c.path);
		check_bytes(&c.c.data);
		check_acl_list(&c.c.acl);
		return 0;
	case 21:
		if (jute_get_create_ttl_req(r, &c) == -1)
			return -1;
		check_bytes(&c.c.path);
		return 0;
	case 2: case 13:
		if (jute_get_path_version_req(r, &pv) == -1)
			return -1;
		check_bytes(&pv.path);
		return 0;
	case 5:
		if (jute_get_set_data_req(r, &sd) == -1)
			return -1;
		check_bytes(&sd.path);
		check_bytes(&sd.data);
		return 0;
	default:
		return -2;	/* not a multi op: the caller refuses it */
	}
}

static int
multi(struct jute_reader *r)
{
	struct zk_multi_header h;
	int rc;

	for (;;) {
		if (jute_get_multi_header(r, &h) == -1)
			return -1;
		if (h.done)
			return 0;
		if ((rc = multi_op(r, h.type)) != 0)
			return rc;
	}
}

static int
decode(struct jute_reader *r, enum rec which)
{
	union {
		struct zk_connect_req		cr;
		struct zk_request_header	rh;
		struct zk_create_ttl_req	ct;
		struct zk_path_version_req	pv;
		struct zk_path_watch_req	pw;
		struct zk_set_data_req		sd;
		struct zk_set_acl_req		sa;
		struct jute_bytes		b;
		struct zk_auth_packet		ap;
		struct zk_set_watches		sw;
		struct zk_multi_header		mh;
		struct zk_acl_list		al;
		struct zk_stat			st;
	} u;
	struct jute_writer w;
	int rc, nkinds;

	jute_writer_init(&w);
	switch (which) {
	case R_CONNECT:
		if ((rc = jute_get_connect_req(r, &u.cr)) == 0) {
			check_bytes(&u.cr.passwd);
			/* readOnly is the last field: nothing may follow it */
			assert(u.cr.has_read_only || jute_remaining(r) == 0);
		}
		return rc;
	case R_REQUEST_HEADER:
		return jute_get_request_header(r, &u.rh);
	case R_CREATE:
		if ((rc = jute_get_create_req(r, &u.ct.c)) == 0) {
			check_bytes(&u.ct.c.path);
			check_bytes(&u.ct.c.data);
			check_acl_list(&u.ct.c.acl);
		}
		return rc;
	case R_CREATE_TTL:
		if ((rc = jute_get_create_ttl_req(r, &u.ct)) == 0) {
			check_bytes(&u.ct.c.path);
			check_bytes(&u.ct.c.data);
			check_acl_list(&u.ct.c.acl);
		}
		return rc;
	case R_PATH_VERSION:
		if ((rc = jute_get_path_version_req(r, &u.pv)) == 0)
			check_bytes(&u.pv.path);
		return rc;
	case R_PATH_WATCH:
		if ((rc = jute_get_path_watch_req(r, &u.pw)) == 0)
			check_bytes(&u.pw.path);
		return rc;
	case R_SET_DATA:
		if ((rc = jute_get_set_data_req(r, &u.sd)) == 0) {
			check_bytes(&u.sd.path);
			check_bytes(&u.sd.data);
		}
		return rc;
	case R_SET_ACL:
		if ((rc = jute_get_set_acl_req(r, &u.sa)) == 0) {
			check_bytes(&u.sa.path);
			check_acl_list(&u.sa.acl);
		}
		return rc;
	case R_PATH:
		if ((rc = jute_get_path_req(r, &u.b)) == 0) {
			check_bytes(&u.b);
			jute_put_bytes(&w, u.b.p, u.b.len);
			check_reencode(&w, r->p, r->off);
		}
		return rc;
	case R_AUTH:
		if ((rc = jute_get_auth_packet(r, &u.ap)) == 0) {
			check_bytes(&u.ap.scheme);
			check_bytes(&u.ap.auth);
		}
		return rc;
	case R_SET_WATCHES:
	case R_SET_WATCHES2:
		nkinds = which == R_SET_WATCHES2 ? 5 : 3;
		return jute_get_set_watches(r, which == R_SET_WATCHES2, &u.sw,
		    watch_cb, &nkinds);
	case R_MULTI_HEADER:
		return jute_get_multi_header(r, &u.mh);
	case R_ACL_LIST:
		if ((rc = jute_get_acl_list(r, &u.al)) == 0) {
			check_acl_list(&u.al);
			jute_put_acl_list(&w, &u.al);
			check_reencode(&w, r->p, r->off);
		}
		return rc;
	case R_STAT:
		if ((rc = jute_get_stat(r, &u.st)) == 0) {
			jute_put_stat(&w, &u.st);
			check_reencode(&w, r->p, r->off);
		}
		return rc;
	case R_MULTI:
		return multi(r);
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jute_reader r;
	int rc;

	if (size < 1)
		return 0;
	in_p = data + 1;
	in_len = size - 1;
	jute_reader_init(&r, in_p, in_len);
	rc = decode(&r, (enum rec)(data[0] % R_COUNT));
	assert(r.off <= r.len);
	if (rc == -1)
		check_sticky(&r);
	else if (rc == 0)
		assert(!r.err);
	return 0;
}
