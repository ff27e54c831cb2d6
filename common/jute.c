/*
 * The jute codec (see jute.h). Readers are bounds-checked with a sticky
 * error: after the first failure every get returns zero values, so a record
 * decoder can read all fields and check r->err once at the end.
 */
#include "common/jute.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

void
jute_reader_init(struct jute_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

size_t
jute_remaining(const struct jute_reader *r)
{
	return r->err ? 0 : r->len - r->off;
}

/* Reserve n bytes of input; NULL (and sticky err) if they are not there. */
static const uint8_t *
take(struct jute_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

int32_t
jute_get_int(struct jute_reader *r)
{
	const uint8_t *p = take(r, 4);

	if (p == NULL)
		return 0;
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

int64_t
jute_get_long(struct jute_reader *r)
{
	const uint8_t *p = take(r, 8);
	uint64_t v = 0;
	int i;

	if (p == NULL)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

int
jute_get_bool(struct jute_reader *r)
{
	const uint8_t *p = take(r, 1);

	return p != NULL && *p != 0;
}

int
jute_get_bytes(struct jute_reader *r, struct jute_bytes *b)
{
	int32_t len = jute_get_int(r);

	b->p = NULL;
	b->len = -1;
	if (r->err)
		return -1;
	if (len == -1)
		return 0;
	/* Check the length against the input before trusting it. */
	if (len < 0 || (size_t)len > r->len - r->off) {
		r->err = 1;
		return -1;
	}
	b->p = r->p + r->off;
	b->len = len;
	r->off += (size_t)len;
	return 0;
}

void
jute_writer_init(struct jute_writer *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
}

void
jute_writer_reset(struct jute_writer *w)
{
	w->len = 0;
}

void
jute_writer_free(struct jute_writer *w)
{
	free(w->buf);
	jute_writer_init(w);
}

/* Make room for n more bytes and return where they go. */
static uint8_t *
grow(struct jute_writer *w, size_t n)
{
	uint8_t *p;

	if (w->cap - w->len < n) {
		size_t cap = w->cap ? w->cap : 64;

		while (cap - w->len < n)
			cap *= 2;
		w->buf = xrealloc(w->buf, cap);
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

uint8_t *
jute_enc_int(uint8_t *p, int32_t v)
{
	uint32_t u = (uint32_t)v;

	p[0] = (uint8_t)(u >> 24);
	p[1] = (uint8_t)(u >> 16);
	p[2] = (uint8_t)(u >> 8);
	p[3] = (uint8_t)u;
	return p + 4;
}

uint8_t *
jute_enc_long(uint8_t *p, int64_t v)
{
	p = jute_enc_int(p, (int32_t)(uint32_t)((uint64_t)v >> 32));
	return jute_enc_int(p, (int32_t)(uint32_t)v);
}

uint8_t *
jute_enc_bytes(uint8_t *p, const void *b, int32_t len)
{
	p = jute_enc_int(p, len < 0 ? -1 : len);
	if (len <= 0)
		return p;
	memcpy(p, b, (size_t)len);
	return p + len;
}

void
jute_put_int(struct jute_writer *w, int32_t v)
{
	jute_enc_int(grow(w, 4), v);
}

void
jute_put_long(struct jute_writer *w, int64_t v)
{
	jute_enc_long(grow(w, 8), v);
}

void
jute_put_bool(struct jute_writer *w, int v)
{
	*grow(w, 1) = v ? 1 : 0;
}

void
jute_put_bytes(struct jute_writer *w, const void *p, int32_t len)
{
	jute_enc_bytes(grow(w, 4 + (len > 0 ? (size_t)len : 0)), p, len);
}

void
jute_put_string(struct jute_writer *w, const char *s)
{
	if (s == NULL) {
		jute_put_int(w, -1);
		return;
	}
	jute_put_bytes(w, s, (int32_t)strlen(s));
}

uint8_t *
jute_put_space(struct jute_writer *w, size_t n)
{
	return grow(w, n);
}

void
jute_put_raw(struct jute_writer *w, const void *p, size_t n)
{
	uint8_t *dst = grow(w, n);

	if (n)
		memcpy(dst, p, n);
}

void
jute_patch_int(struct jute_writer *w, size_t off, int32_t v)
{
	if (off + 4 <= w->len)
		jute_enc_int(w->buf + off, v);
}

/* --- records --- */

void
jute_put_stat(struct jute_writer *w, const struct zk_stat *s)
{
	jute_put_long(w, s->czxid);
	jute_put_long(w, s->mzxid);
	jute_put_long(w, s->ctime);
	jute_put_long(w, s->mtime);
	jute_put_int(w, s->version);
	jute_put_int(w, s->cversion);
	jute_put_int(w, s->aversion);
	jute_put_long(w, s->ephemeral_owner);
	jute_put_int(w, s->data_length);
	jute_put_int(w, s->num_children);
	jute_put_long(w, s->pzxid);
}

int
jute_get_stat(struct jute_reader *r, struct zk_stat *s)
{
	s->czxid = jute_get_long(r);
	s->mzxid = jute_get_long(r);
	s->ctime = jute_get_long(r);
	s->mtime = jute_get_long(r);
	s->version = jute_get_int(r);
	s->cversion = jute_get_int(r);
	s->aversion = jute_get_int(r);
	s->ephemeral_owner = jute_get_long(r);
	s->data_length = jute_get_int(r);
	s->num_children = jute_get_int(r);
	s->pzxid = jute_get_long(r);
	return r->err ? -1 : 0;
}

void
jute_put_acl_list(struct jute_writer *w, const struct zk_acl_list *l)
{
	int32_t i;

	jute_put_int(w, l->count);
	for (i = 0; i < l->count; i++) {
		const struct zk_acl *a = &l->acl[i];

		jute_put_int(w, a->perms);
		jute_put_bytes(w, a->id.scheme.p, a->id.scheme.len);
		jute_put_bytes(w, a->id.id.p, a->id.id.len);
	}
}

int
jute_get_acl_list(struct jute_reader *r, struct zk_acl_list *l)
{
	int32_t i;

	l->count = jute_get_int(r);
	if (r->err)
		return -1;
	/* -1 is a null vector; more than our cap is refused, not truncated. */
	if (l->count < -1 || l->count > JUTE_MAX_ACL) {
		r->err = 1;
		l->count = 0;
		return -1;
	}
	for (i = 0; i < l->count; i++) {
		struct zk_acl *a = &l->acl[i];

		a->perms = jute_get_int(r);
		jute_get_bytes(r, &a->id.scheme);
		jute_get_bytes(r, &a->id.id);
	}
	return r->err ? -1 : 0;
}

int
jute_get_connect_req(struct jute_reader *r, struct zk_connect_req *c)
{
	c->protocol_version = jute_get_int(r);
	c->last_zxid_seen = jute_get_long(r);
	c->timeout = jute_get_int(r);
	c->session_id = jute_get_long(r);
	jute_get_bytes(r, &c->passwd);
	c->has_read_only = 0;
	c->read_only = 0;
	/* Old clients stop after passwd; newer ones append readOnly. */
	if (!r->err && jute_remaining(r) >= 1) {
		c->has_read_only = 1;
		c->read_only = jute_get_bool(r);
	}
	return r->err ? -1 : 0;
}

void
jute_put_connect_resp(struct jute_writer *w, const struct zk_connect_resp *c)
{
	jute_put_int(w, c->protocol_version);
	jute_put_int(w, c->timeout);
	jute_put_long(w, c->session_id);
	jute_put_bytes(w, c->passwd, c->passwd ? c->passwd_len : -1);
	if (c->has_read_only)
		jute_put_bool(w, c->read_only);
}

int
jute_get_request_header(struct jute_reader *r, struct zk_request_header *h)
{
	h->xid = jute_get_int(r);
	h->type = jute_get_int(r);
	return r->err ? -1 : 0;
}

void
jute_put_reply_header(struct jute_writer *w, const struct zk_reply_header *h)
{
	jute_put_int(w, h->xid);
	jute_put_long(w, h->zxid);
	jute_put_int(w, h->err);
}

void
jute_put_watcher_event(struct jute_writer *w, int32_t type, int32_t state,
    const char *path)
{
	jute_put_int(w, type);
	jute_put_int(w, state);
	jute_put_string(w, path);
}

int
jute_get_create_req(struct jute_reader *r, struct zk_create_req *c)
{
	jute_get_bytes(r, &c->path);
	jute_get_bytes(r, &c->data);
	jute_get_acl_list(r, &c->acl);
	c->flags = jute_get_int(r);
	return r->err ? -1 : 0;
}

int
jute_get_create_ttl_req(struct jute_reader *r, struct zk_create_ttl_req *c)
{
	jute_get_create_req(r, &c->c);
	c->ttl = jute_get_long(r);
	return r->err ? -1 : 0;
}

int
jute_get_path_version_req(struct jute_reader *r, struct zk_path_version_req *q)
{
	jute_get_bytes(r, &q->path);
	q->version = jute_get_int(r);
	return r->err ? -1 : 0;
}

int
jute_get_path_watch_req(struct jute_reader *r, struct zk_path_watch_req *q)
{
	jute_get_bytes(r, &q->path);
	q->watch = jute_get_bool(r);
	return r->err ? -1 : 0;
}

int
jute_get_set_data_req(struct jute_reader *r, struct zk_set_data_req *q)
{
	jute_get_bytes(r, &q->path);
	jute_get_bytes(r, &q->data);
	q->version = jute_get_int(r);
	return r->err ? -1 : 0;
}

int
jute_get_reconfig_req(struct jute_reader *r, struct zk_reconfig_req *q)
{
	jute_get_bytes(r, &q->joining);
	jute_get_bytes(r, &q->leaving);
	jute_get_bytes(r, &q->members);
	q->cur_config_id = jute_get_long(r);
	return r->err ? -1 : 0;
}

void
jute_put_reconfig_req(struct jute_writer *w, const struct zk_reconfig_req *q)
{
	jute_put_bytes(w, q->joining.p, q->joining.len);
	jute_put_bytes(w, q->leaving.p, q->leaving.len);
	jute_put_bytes(w, q->members.p, q->members.len);
	jute_put_long(w, q->cur_config_id);
}

int
jute_get_set_acl_req(struct jute_reader *r, struct zk_set_acl_req *q)
{
	jute_get_bytes(r, &q->path);
	jute_get_acl_list(r, &q->acl);
	q->version = jute_get_int(r);
	return r->err ? -1 : 0;
}

int
jute_get_path_req(struct jute_reader *r, struct jute_bytes *path)
{
	jute_get_bytes(r, path);
	return r->err ? -1 : 0;
}

int
jute_get_auth_packet(struct jute_reader *r, struct zk_auth_packet *a)
{
	a->type = jute_get_int(r);
	jute_get_bytes(r, &a->scheme);
	jute_get_bytes(r, &a->auth);
	return r->err ? -1 : 0;
}

/* Walk one vector<ustring>, handing each element to cb. */
static int
get_path_vector(struct jute_reader *r, int kind, jute_path_cb *cb, void *arg)
{
	int32_t i, n = jute_get_int(r);
	struct jute_bytes b;

	if (r->err)
		return -1;
	if (n < -1) {
		r->err = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (jute_get_bytes(r, &b) == -1)
			return -1;
		if (cb != NULL)
			cb(arg, kind, &b);
	}
	return 0;
}

int
jute_get_set_watches(struct jute_reader *r, int v2, struct zk_set_watches *s,
    jute_path_cb *cb, void *arg)
{
	int kind, nkinds = v2 ? 5 : 3;

	s->v2 = v2;
	s->relative_zxid = jute_get_long(r);
	for (kind = 0; kind < nkinds; kind++)
		if (get_path_vector(r, kind, cb, arg) == -1)
			return -1;
	return r->err ? -1 : 0;
}

int
jute_get_multi_header(struct jute_reader *r, struct zk_multi_header *h)
{
	h->type = jute_get_int(r);
	h->done = jute_get_bool(r);
	h->err = jute_get_int(r);
	return r->err ? -1 : 0;
}

void
jute_put_multi_header(struct jute_writer *w, const struct zk_multi_header *h)
{
	jute_put_int(w, h->type);
	jute_put_bool(w, h->done);
	jute_put_int(w, h->err);
}
