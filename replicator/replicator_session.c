/*
 * The leader's session tracker, after ZooKeeper's ExpiryQueue: a session
 * expires at the next tick boundary after now + timeout; touches move it
 * to a later bucket. Buckets hold ids lazily: a bucket entry counts only if
 * the session's current expiry still equals the bucket, so a touch costs
 * O(1) and one expiry pass costs the size of one bucket.
 */
#include "replicator/replicator.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/map.h"
#include "common/xmalloc.h"

struct tracked_session {
	uint64_t	id;
	int32_t		timeout;
	uint64_t	expire_at;
	int		closing;	/* closeSession proposed */
};

struct bucket {
	uint64_t	*ids;
	size_t		 n, cap;
};

uint64_t
replicator_session_bucket(uint64_t now, uint64_t timeout, uint64_t tick)
{
	return (now + timeout) / tick * tick + tick;
}

void
replicator_session_init(struct replicator *r)
{
	r->sessions = u64map_new();
	r->buckets = u64map_new();
	r->next_expiry = 0;
}

static void
free_bucket(void *arg, uint64_t key, void *val)
{
	struct bucket *b = val;

	(void)arg;
	(void)key;
	free(b->ids);
	free(b);
}

static void
free_session(void *arg, uint64_t key, void *val)
{
	(void)arg;
	(void)key;
	free(val);
}

/* Only a leader tracks sessions: forget them when we stop leading. */
void
replicator_session_reset(struct replicator *r)
{
	u64map_foreach(r->buckets, free_bucket, NULL);
	u64map_foreach(r->sessions, free_session, NULL);
	u64map_destroy(&r->buckets);
	u64map_destroy(&r->sessions);
	replicator_session_init(r);
}

static void
schedule(struct replicator *r, struct tracked_session *s, uint64_t now)
{
	uint64_t at = replicator_session_bucket(now, (uint64_t)s->timeout,
	    r->tick_ms);
	struct bucket *b;

	if (at == s->expire_at)
		return;
	s->expire_at = at;
	if ((b = u64map_get(r->buckets, at)) == NULL) {
		b = xcalloc(1, sizeof(*b));
		u64map_put(r->buckets, at, b);
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->ids = xreallocarray(b->ids, b->cap, sizeof(*b->ids));
	}
	b->ids[b->n++] = s->id;
	if (r->next_expiry == 0 || at < r->next_expiry)
		r->next_expiry = at;
}

void
replicator_session_opened(struct replicator *r, uint64_t id, int32_t timeout)
{
	struct tracked_session *s = u64map_get(r->sessions, id);

	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->id = id;
		u64map_put(r->sessions, id, s);
	}
	s->timeout = timeout > 0 ? timeout : 1;
	s->closing = 0;
	schedule(r, s, loop_now_ms());
}

void
replicator_session_closed(struct replicator *r, uint64_t id)
{
	free(u64map_del(r->sessions, id));
}

void
replicator_session_touch(struct replicator *r, const uint8_t *ids,
    size_t len)
{
	uint64_t now = loop_now_ms();

	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t id;
		struct tracked_session *s;

		memcpy(&id, ids + off, 8);
		if ((s = u64map_get(r->sessions, id)) != NULL && !s->closing)
			schedule(r, s, now);
	}
}

/* STORE_SESSIONS record: u64 id, i32 timeout (little-endian). */
void
replicator_session_load(struct replicator *r, const uint8_t *rec,
    size_t len)
{
	for (size_t off = 0; off + 12 <= len; off += 12) {
		uint64_t id;
		int32_t timeout;

		memcpy(&id, rec + off, 8);
		memcpy(&timeout, rec + off + 8, 4);
		/* a new leader gives every session a full timeout */
		replicator_session_opened(r, id, timeout);
	}
	log_info("tracking %zu sessions", u64map_count(r->sessions));
}

static void
expire_bucket(struct replicator *r, uint64_t at)
{
	struct bucket *b = u64map_del(r->buckets, at);

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct tracked_session *s = u64map_get(r->sessions, b->ids[i]);
		Command h = Command_init_zero;

		if (s == NULL || s->expire_at != at || s->closing)
			continue;
		log_info("session=0x%016" PRIx64 " expired (timeout %d ms)",
		    s->id, s->timeout);
		s->closing = 1;
		h.session = s->id;
		h.opcode = -11;	/* closeSession */
		replicator_propose(r, &h, NULL, 0);
	}
	free(b->ids);
	free(b);
}

void
replicator_session_expire(struct replicator *r, uint64_t now)
{
	if (r->next_expiry == 0)
		return;
	while (r->next_expiry <= now) {
		expire_bucket(r, r->next_expiry);
		r->next_expiry += r->tick_ms;
		if (u64map_count(r->buckets) == 0) {
			r->next_expiry = 0;
			return;
		}
	}
}
