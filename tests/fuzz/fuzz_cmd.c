/*
 * Fuzz the command batches (common/cmd.c) that travel between processes
 * and nodes: REPL_SUBMIT, COMMIT, STORE_APPEND, STORE_LOG_ENTRY and the
 * peer REQUEST and PROPOSAL carry them, and the store logs their values.
 * Input: the batch itself. Invariants: the records tile the input; a value
 * that decodes also peeks, to the same key; decode(encode(value)) is the
 * value again; a batch rebuilt from the values (as a replica forwards
 * them) reads back the same values.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one(const uint8_t *val, size_t vlen, struct cmd_batch *again)
{
	struct cmd c, d;
	struct cmd_key k;
	const uint8_t *p, *v;
	size_t n, dlen;

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
		dlen = sizeof(d.h.auth.bytes) - d.h.auth.size;
		memset(c.h.auth.bytes + c.h.auth.size, 0, dlen);
		memset(d.h.auth.bytes + d.h.auth.size, 0, dlen);
		assert(memcmp(&c.h, &d.h, sizeof(c.h)) == 0);
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
