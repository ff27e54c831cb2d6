/*
 * Proposals in zxid order. One leaves the head only once it is both
 * committed and durable in our own store: until then a restarted store may
 * need it resent, and a learner synced meanwhile needs it as the tail of
 * its DIFF.
 */
#include "replicator/replicator.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

void
replicator_queue_push(struct replicator *r, const struct cmd_key *key,
    uint8_t *val, size_t vlen)
{
	struct proposal *p;

	if (r->qlen == r->qcap) {
		size_t ncap = r->qcap ? r->qcap * 2 : 256;
		struct proposal *nq = xcalloc(ncap, sizeof(*nq));

		for (size_t i = 0; i < r->qlen; i++)
			nq[i] = r->q[(r->qhead + i) % r->qcap];
		free(r->q);
		r->q = nq;
		r->qcap = ncap;
		r->qhead = 0;
	}
	p = &r->q[(r->qhead + r->qlen) % r->qcap];
	p->key = *key;
	p->val = val;
	p->vlen = vlen;
	r->qlen++;
}

struct proposal *
replicator_queue_at(struct replicator *r, size_t i)
{
	if (i >= r->qlen)
		return NULL;
	return &r->q[(r->qhead + i) % r->qcap];
}

static void
pop(struct replicator *r)
{
	struct proposal *p = &r->q[r->qhead];

	free(p->val);
	p->val = NULL;
	r->qhead = (r->qhead + 1) % r->qcap;
	r->qlen--;
}

void
replicator_queue_trim(struct replicator *r)
{
	struct proposal *p;

	while ((p = replicator_queue_at(r, 0)) != NULL &&
	    p->key.zxid <= r->last_committed && p->key.zxid <= r->store_logged)
		pop(r);
}

void
replicator_queue_clear(struct replicator *r)
{
	while (r->qlen > 0)
		pop(r);
}
