/*
 * The leader's ContainerManager: every znode.container.checkIntervalMs it
 * asks the store which container and TTL nodes are due, and submits an
 * ordinary deleteContainer command for each (at most
 * znode.container.maxPerMinute per minute). Every replica checks the
 * command again when it applies it.
 */
#include "replicator/replicator.h"

#include <string.h>
#include <sys/time.h>

#include "common/child.h"
#include "common/log.h"

#define OP_DELETE_CONTAINER	20

void
replicator_cleanup_tick(struct replicator *r)
{
	Envelope env = msg_env(MsgType_STORE_CLEANUP_REQ);
	struct timeval tv;

	if (!r->established ||
	    (r->role != ROLE_LEADING && r->role != ROLE_STANDALONE))
		return;
	gettimeofday(&tv, NULL);
	env.time = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	replicator_send_store(r, &env, NULL, 0);
}

void
replicator_cleanup_due(struct replicator *r, const uint8_t *paths,
    size_t len)
{
	const struct config *cfg = &r->c->cfg;
	long max = (long)cfg->container_max_per_minute *
	    cfg->container_check_ms / 60000;
	size_t off = 0;

	if (!r->established ||
	    (r->role != ROLE_LEADING && r->role != ROLE_STANDALONE))
		return;
	if (max < 1)
		max = 1;
	while (off < len && max-- > 0) {
		const uint8_t *end = memchr(paths + off, '\0', len - off);
		size_t n = end != NULL ? (size_t)(end - (paths + off)) :
		    len - off;
		Command h = Command_init_zero;

		h.opcode = OP_DELETE_CONTAINER;
		log_debug("cleanup: deleteContainer %.*s", (int)n,
		    (const char *)paths + off);
		replicator_propose(r, &h, paths + off, n);
		off += n + 1;
	}
}
