/* Command values and batches (see cmd.h). */
#include "common/cmd.h"

#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
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

int
cmd_decode(const uint8_t *val, size_t vlen, struct cmd *c)
{
	const uint8_t *hdr;
	size_t hlen;
	pb_istream_t is;

	if (header(val, vlen, &hdr, &hlen) < 0)
		return -1;
	memset(&c->h, 0, sizeof(c->h));
	is = pb_istream_from_buffer(hdr, hlen);
	if (!pb_decode_ex(&is, Command_fields, &c->h, PB_DECODE_NOINIT))
		return -1;
	c->payload = hdr + hlen;
	c->len = vlen - 4 - hlen;
	return 0;
}

static int
key_tag(uint32_t tag)
{
	return tag == Command_zxid_tag || tag == Command_prev_zxid_tag ||
	    tag == Command_session_tag || tag == Command_opcode_tag ||
	    tag == Command_arg_tag;
}

int
cmd_peek(const uint8_t *val, size_t vlen, struct cmd_key *k)
{
	const uint8_t *hdr;
	size_t hlen;
	pb_istream_t is;
	pb_wire_type_t wt;
	uint32_t tag;
	uint64_t v;
	bool eof;

	if (header(val, vlen, &hdr, &hlen) < 0)
		return -1;
	memset(k, 0, sizeof(*k));
	is = pb_istream_from_buffer(hdr, hlen);
	while (pb_decode_tag(&is, &wt, &tag, &eof)) {
		/* skipped as pb_decode skips them (a varint of any length) */
		if (wt != PB_WT_VARINT || !key_tag(tag)) {
			if (!pb_skip_field(&is, wt))
				return -1;
			continue;
		}
		if (!pb_decode_varint(&is, &v))
			return -1;
		switch (tag) {
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
			k->opcode = (int32_t)v;
			break;
		case Command_arg_tag:
			k->arg = (int64_t)v;
			break;
		default:
			break;
		}
	}
	return eof ? 0 : -1;
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
