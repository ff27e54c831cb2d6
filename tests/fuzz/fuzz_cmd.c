/*
 * Fuzz the command batches (common/cmd.c) that travel between processes
 * and nodes: REPL_SUBMIT, COMMIT, STORE_APPEND, STORE_LOG_ENTRY and the
 * peer REQUEST and PROPOSAL carry them, and the store logs their values.
 * Input: the batch itself. Invariants: the records tile the input; a value
 * that decodes also peeks, to the same key; decode(encode(value)) is the
 * value again; a batch rebuilt from the values (as a replica forwards
 * them) reads back the same values. And cmd.c's own header decoder agrees
 * with nanopb's pb_decode: whatever it accepts, pb_decode accepts as the
 * same command; whatever pb_decode accepts, encoded again (canonically)
 * cmd.c accepts as that command.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pb_decode.h>

#include "common/cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same_header(const Command *a, const Command *b)
{
	return a->zxid == b->zxid && a->prev_zxid == b->prev_zxid &&
	    a->session == b->session && a->cxid == b->cxid &&
	    a->opcode == b->opcode && a->time == b->time &&
	    a->seq == b->seq && a->origin == b->origin && a->arg == b->arg &&
	    a->auth.size == b->auth.size &&
	    memcmp(a->auth.bytes, b->auth.bytes, a->auth.size) == 0;
}

/* The reference: the header decoded by nanopb, or -1. */
static int
nanopb_decode(const uint8_t *val, size_t vlen, Command *h)
{
	uint32_t n;
	pb_istream_t is;

	if (vlen < 4)
		return -1;
	n = (uint32_t)val[0] | (uint32_t)val[1] << 8 |
	    (uint32_t)val[2] << 16 | (uint32_t)val[3] << 24;
	if (n > vlen - 4)
		return -1;
	memset(h, 0, sizeof(*h));
	is = pb_istream_from_buffer(val + 4, n);
	return pb_decode(&is, Command_fields, h) ? 0 : -1;
}

static void
against_nanopb(const uint8_t *val, size_t vlen)
{
	static struct cmd c;
	static Command ref;
	int ours = cmd_decode(val, vlen, &c);

	if (nanopb_decode(val, vlen, &ref) < 0) {
		assert(ours < 0);
		return;
	}
	if (ours == 0) {
		assert(same_header(&c.h, &ref));
	} else {
		/* a form only pb_decode takes: encoded canonically, ours does */
		struct cmd_batch b = { 0 };
		const uint8_t *p, *v;
		size_t n;

		cmd_batch_add(&b, &ref, NULL, 0);
		p = b.buf;
		assert(cmd_batch_next(&p, b.buf + b.len, &v, &n) == 1);
		assert(cmd_decode(v, n, &c) == 0 && same_header(&c.h, &ref));
		cmd_batch_free(&b);
	}
}

static void
one(const uint8_t *val, size_t vlen, struct cmd_batch *again)
{
	struct cmd c, d;
	struct cmd_key k;
	const uint8_t *p, *v;
	size_t n;

	against_nanopb(val, vlen);
	if (cmd_decode(val, vlen, &c) < 0) {
		cmd_batch_add_value(again, val, vlen, 0, 0);
		return;
	}
	assert(c.payload >= val && c.payload + c.len == val + vlen);
	assert(c.h.auth.size <= sizeof(c.h.auth.bytes));
	assert(cmd_peek(val, vlen, &k) == 0);
	assert(k.zxid == c.h.zxid && k.prev_zxid == c.h.prev_zxid);
	assert(k.session == c.h.session && k.opcode == c.h.opcode);
	assert(k.arg == c.h.arg);
	cmd_batch_add_value(again, val, vlen, k.zxid, k.prev_zxid);

	/* re-encoded, it decodes to the same command */
	{
		struct cmd_batch b = { 0 };

		cmd_batch_add(&b, &c.h, c.payload, c.len);
		p = b.buf;
		assert(cmd_batch_next(&p, b.buf + b.len, &v, &n) == 1);
		assert(p == b.buf + b.len);
		assert(cmd_decode(v, n, &d) == 0);
		assert(same_header(&c.h, &d.h));
		assert(d.len == c.len && memcmp(d.payload, c.payload, c.len) ==
		    0);
		cmd_batch_free(&b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd_batch again = { 0 };
	const uint8_t *p = data, *val, *q, *v2;
	size_t vlen, n, nrec = 0;
	int rc;

	while ((rc = cmd_batch_next(&p, data + size, &val, &vlen)) == 1) {
		assert(val == p - vlen && val >= data + 4);
		one(val, vlen, &again);
		nrec++;
	}
	assert(rc == 0 ? p == data + size : p < data + size);
	/* the forwarded batch holds the same values, in order */
	assert(again.n == nrec);
	q = again.buf;
	p = data;
	for (size_t i = 0; i < nrec; i++) {
		assert(cmd_batch_next(&p, data + size, &val, &vlen) == 1);
		assert(cmd_batch_next(&q, again.buf + again.len, &v2, &n) ==
		    1);
		assert(n == vlen && memcmp(v2, val, n) == 0);
	}
	if (rc == 0)
		assert(again.len == size);
	cmd_batch_free(&again);
	return 0;
}
