/*
 * Fuzz the persistence record decoders (common/sm_persist.c): a store
 * reading its tree back, a learner installing a leader's snapshot chunk,
 * a frontend loading the store's snapshot. Input: a sequence of
 *
 *	[u8 kind: even node, odd session][u32 LE len][len record bytes]
 *
 * then sm_load_finish(). A record that does not load must change nothing;
 * a tree that loads must pass the invariant checks, survive a reload, and
 * stay consistent when every session is closed (deleting its ephemerals).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jute.h"
#include "common/sm.h"
#include "fuzz_sm_check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LOAD_ZXID	0x500000000ULL

static void
load_one(struct sm *sm, int kind, const uint8_t *rec, size_t n)
{
	struct jute_writer before, after;
	int rc;

	jute_writer_init(&before);
	jute_writer_init(&after);
	state_encode(sm, &before);
	rc = kind ? sm_session_load(sm, rec, n) : sm_node_load(sm, rec, n);
	assert(rc == 0 || rc == -1);
	if (rc == -1) {
		state_encode(sm, &after);
		assert(after.len == before.len &&
		    memcmp(after.buf, before.buf, after.len) == 0);
	}
	jute_writer_free(&before);
	jute_writer_free(&after);
}

struct closer {
	struct sm		*sm;
	struct sm_result	 res;
	uint64_t		 zxid;
	uint64_t		*ids;
	size_t			 n, cap;
};

static void
collect(void *arg, uint64_t id)
{
	struct closer *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->ids = realloc(c->ids, c->cap * sizeof(*c->ids));
		assert(c->ids != NULL);
	}
	c->ids[c->n++] = id;
}

/* Close every session as the leader would on expiry; then nothing owns. */
static void
close_all(struct sm *sm)
{
	struct closer c = { .sm = sm, .zxid = LOAD_ZXID };
	size_t i;

	sm_result_init(&c.res);
	sm_foreach_session(sm, collect, &c);
	for (i = 0; i < c.n; i++) {
		struct sm_cmd cmd = { .zxid = ++c.zxid, .time = 1,
		    .session = c.ids[i], .opcode = -11 };

		assert(sm_apply(sm, &cmd, &c.res) == 0);
		assert(c.res.err == 0);
		check_sm(sm);
	}
	assert(sm_session_count(sm) == 0);
	free(c.ids);
	sm_result_free(&c.res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm *sm = sm_new();
	size_t off = 0, n;
	int kind;

	while (size - off >= 5) {
		kind = data[off] & 1;
		n = (size_t)data[off + 1] | (size_t)data[off + 2] << 8 |
		    (size_t)data[off + 3] << 16 | (size_t)data[off + 4] << 24;
		off += 5;
		if (n > size - off)
			n = size - off;
		/* an exact-size copy: ASan sees any over-read */
		uint8_t *rec = malloc(n ? n : 1);

		memcpy(rec, data + off, n);
		load_one(sm, kind, rec, n);
		free(rec);
		off += n;
	}
	if (sm_load_finish(sm, LOAD_ZXID) == 0) {
		assert(sm_last_zxid(sm) == LOAD_ZXID);
		check_sm(sm);
		check_reload(sm);
		close_all(sm);
	}
	sm_destroy(&sm);
	return 0;
}
