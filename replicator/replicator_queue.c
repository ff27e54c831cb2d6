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
replicator_queue_push(struct replicator *r, const Envelope *env,
    const void *payload, size_t len, int has_payload)
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
	p->env = *env;
	p->len = len;
	p->has_payload = has_payload;
	p->payload = has_payload ? xmemdup(payload, len) : NULL;
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

	free(p->payload);
	p->payload = NULL;
	r->qhead = (r->qhead + 1) % r->qcap;
	r->qlen--;
}

void
replicator_queue_trim(struct replicator *r)
{
	struct proposal *p;

	while ((p = replicator_queue_at(r, 0)) != NULL &&
	    p->env.zxid <= r->last_committed && p->env.zxid <= r->store_logged)
		pop(r);
}

void
replicator_queue_clear(struct replicator *r)
{
	while (r->qlen > 0)
		pop(r);
}
