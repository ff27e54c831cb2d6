/* Command values and batches (see cmd.h). */
#include "common/cmd.h"

#include <stdlib.h>
#include <string.h>

#include <pb_encode.h>

#include "common/log.h"
#include "common/xmalloc.h"

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The header of a value: its bytes, or -1 if the length does not fit. */
static int
header(const uint8_t *val, size_t vlen, const uint8_t **hdr, size_t *hlen)
{
	uint32_t n;

	if (vlen < 4)
		return -1;
	n = get_u32(val);
	if (n > vlen - 4)
		return -1;
	*hdr = val + 4;
	*hlen = n;
	return 0;
}

/*
 * Decoding. Every replica decodes each command's header several times on
 * its way (peeked when logged and forwarded, decoded when applied), and
 * nanopb's table-driven pb_decode took 300-460 ns a header, about a tenth
 * of corral's CPU under writes. The header is a flat message of varints and
 * one bytes field, so it is walked here directly (encoding stays nanopb's).
 * This is the protobuf wire format as nanopb writes it, a little stricter
 * than pb_decode on encodings no encoder produces (a zero tag, a known
 * field with another wire type, a varint longer than it needs to be past
 * 64 bits): those are malformed here. fuzz_cmd checks the two agree.
 */
enum { WT_VARINT = 0, WT_64BIT = 1, WT_BYTES = 2, WT_32BIT = 5 };

static int
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*p == end)
			return -1;
		b = *(*p)++;
		if (shift == 63 && b > 1)
			return -1;	/* past 64 bits */
		r |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Step over a field we do not read; -1 if it does not fit. */
static int
skip_field(const uint8_t **p, const uint8_t *end, unsigned wt)
{
	uint64_t v;

	switch (wt) {
	case WT_VARINT:
		return get_varint(p, end, &v);
	case WT_64BIT:
		v = 8;
		break;
	case WT_32BIT:
		v = 4;
		break;
	case WT_BYTES:
		if (get_varint(p, end, &v) < 0)
			return -1;
		break;
	default:
		return -1;	/* groups: nanopb refuses them too */
	}
	if (v > (uint64_t)(end - *p))
		return -1;
	*p += v;
	return 0;
}

/*
 * Walk a header: the key fields into k, and every field into h when h is
 * not NULL (cmd_peek passes NULL). 0, or -1 if malformed.
 */
static int
walk_header(const uint8_t *p, const uint8_t *end, Command *h,
    struct cmd_key *k)
{
	while (p < end) {
		uint64_t key, v;
		unsigned wt;

		if (get_varint(&p, end, &key) < 0 || key > UINT32_MAX ||
		    (key >> 3) == 0)
			return -1;
		wt = (unsigned)(key & 7);
		if ((key >> 3) == Command_auth_tag) {
			if (wt != WT_BYTES)
				return -1;
			if (get_varint(&p, end, &v) < 0 ||
			    v > (uint64_t)(end - p))
				return -1;
			if (h != NULL) {
				if (v > sizeof(h->auth.bytes))
					return -1;
				memcpy(h->auth.bytes, p, (size_t)v);
				h->auth.size = (pb_size_t)v;
			}
			p += v;
			continue;
		}
		switch (key >> 3) {
		case Command_zxid_tag:
		case Command_prev_zxid_tag:
		case Command_session_tag:
		case Command_cxid_tag:
		case Command_opcode_tag:
		case Command_time_tag:
		case Command_seq_tag:
		case Command_origin_tag:
		case Command_arg_tag:
			break;
		default:
			if (skip_field(&p, end, wt) < 0)
				return -1;
			continue;
		}
		if (wt != WT_VARINT || get_varint(&p, end, &v) < 0)
			return -1;
		switch (key >> 3) {
		case Command_zxid_tag:
			k->zxid = v;
			break;
		case Command_prev_zxid_tag:
			k->prev_zxid = v;
			break;
		case Command_session_tag:
			k->session = v;
			break;
		case Command_opcode_tag:
			k->opcode = (int32_t)v;	/* int32: as nanopb, truncated */
			break;
		case Command_arg_tag:
			k->arg = (int64_t)v;
			break;
		case Command_cxid_tag:
			if (h != NULL)
				h->cxid = (int32_t)v;
			break;
		case Command_time_tag:
			if (h != NULL)
				h->time = (int64_t)v;
			break;
		case Command_seq_tag:
			if (h != NULL)
				h->seq = v;
			break;
		case Command_origin_tag:
			if (v > UINT32_MAX)
				return -1;	/* uint32, as nanopb */
			if (h != NULL)
				h->origin = (uint32_t)v;
			break;
		}
	}
	return 0;
}

int
cmd_decode(const uint8_t *val, size_t vlen, struct cmd *c)
{
	const uint8_t *hdr;
	size_t hlen;
	struct cmd_key k = { 0 };

	if (header(val, vlen, &hdr, &hlen) < 0)
		return -1;
	/* not all of h: auth's bytes past its size stay as they were */
	c->h.cxid = 0;
	c->h.time = 0;
	c->h.seq = 0;
	c->h.origin = 0;
	c->h.auth.size = 0;
	if (walk_header(hdr, hdr + hlen, &c->h, &k) < 0)
		return -1;
	c->h.zxid = k.zxid;
	c->h.prev_zxid = k.prev_zxid;
	c->h.session = k.session;
	c->h.opcode = k.opcode;
	c->h.arg = k.arg;
	c->payload = hdr + hlen;
	c->len = vlen - 4 - hlen;
	return 0;
}

int
cmd_peek(const uint8_t *val, size_t vlen, struct cmd_key *k)
{
	const uint8_t *hdr;
	size_t hlen;

	if (header(val, vlen, &hdr, &hlen) < 0)
		return -1;
	memset(k, 0, sizeof(*k));
	return walk_header(hdr, hdr + hlen, NULL, k);
}

/* The header into hdr; its length. */
static size_t
encode_header(const Command *h, uint8_t hdr[Command_size])
{
	pb_ostream_t os = pb_ostream_from_buffer(hdr, Command_size);

	if (!pb_encode(&os, Command_fields, h))
		fatalx("encode command: %s", PB_GET_ERROR(&os));
	return os.bytes_written;
}

uint8_t *
cmd_encode(const Command *h, const void *payload, size_t len, size_t *vlen)
{
	uint8_t hdr[Command_size], *val;
	size_t n = encode_header(h, hdr);

	*vlen = 4 + n + len;
	if (*vlen > UINT32_MAX)
		fatalx("command of %zu bytes", *vlen);
	val = xmalloc(*vlen);
	put_u32(val, (uint32_t)n);
	memcpy(val + 4, hdr, n);
	if (len > 0)
		memcpy(val + 4 + n, payload, len);
	return val;
}

static void
reserve(struct cmd_batch *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 4096;
	while (b->cap < b->len + more)
		b->cap *= 2;
	b->buf = xrealloc(b->buf, b->cap);
}

static void
bounds(struct cmd_batch *b, uint64_t zxid, uint64_t prev_zxid)
{
	if (b->n++ == 0)
		b->first_prev = prev_zxid;
	b->last_zxid = zxid;
}

void
cmd_batch_add(struct cmd_batch *b, const Command *h, const void *payload,
    size_t len)
{
	uint8_t hdr[Command_size];
	size_t n = encode_header(h, hdr), vlen = 4 + n + len;

	if (vlen > UINT32_MAX)
		fatalx("command of %zu bytes", vlen);
	reserve(b, 4 + vlen);
	put_u32(b->buf + b->len, (uint32_t)vlen);
	put_u32(b->buf + b->len + 4, (uint32_t)n);
	memcpy(b->buf + b->len + 8, hdr, n);
	if (len > 0)
		memcpy(b->buf + b->len + 8 + n, payload, len);
	b->len += 4 + vlen;
	bounds(b, h->zxid, h->prev_zxid);
}

void
cmd_batch_add_value(struct cmd_batch *b, const uint8_t *val, size_t vlen,
    uint64_t zxid, uint64_t prev_zxid)
{
	if (vlen > UINT32_MAX)
		fatalx("command of %zu bytes", vlen);
	reserve(b, 4 + vlen);
	put_u32(b->buf + b->len, (uint32_t)vlen);
	memcpy(b->buf + b->len + 4, val, vlen);
	b->len += 4 + vlen;
	bounds(b, zxid, prev_zxid);
}

void
cmd_batch_clear(struct cmd_batch *b)
{
	b->len = 0;
	b->n = 0;
	b->first_prev = b->last_zxid = 0;
}

void
cmd_batch_free(struct cmd_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

int
cmd_batch_next(const uint8_t **p, const uint8_t *end, const uint8_t **val,
    size_t *vlen)
{
	size_t left = (size_t)(end - *p);
	uint32_t n;

	if (left == 0)
		return 0;
	if (left < 4)
		return -1;
	n = get_u32(*p);
	if (n > left - 4)
		return -1;
	*val = *p + 4;
	*vlen = n;
	*p += 4 + n;
	return 1;
}
