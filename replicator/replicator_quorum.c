/*
 * Pure ZAB decisions, with no sockets, store or clock: which sync a
 * learner gets, what a quorum has made durable, the next zxid.
 */
#include "replicator/replicator.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "common/zxid.h"

enum sync_mode
replicator_sync_choose(uint64_t peer_last, uint64_t our_last,
    uint64_t log_base)
{
	if (peer_last == our_last)
		return SYNC_DIFF;	/* an empty one */
	if (peer_last > our_last)
		return SYNC_TRUNC;
	if (peer_last < log_base)
		return SYNC_SNAP;
	return SYNC_DIFF;
}

/*
 * A learner holding entries we never logged is truncated to our last entry
 * below them, unless our next entry after its last is from another epoch:
 * then ZooKeeper (LearnerHandler.queueCommittedProposals, "Cannot send
 * TRUNC ... different epoch") sends a snapshot, and so do we.
 */
int
replicator_sync_trunc_ok(uint64_t our_next, uint64_t peer_last)
{
	return zxid_epoch(our_next) == zxid_epoch(peer_last);
}

static int
desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

/*
 * Acks are cumulative ("durable up to"), so the zxid durable on a quorum
 * is the quorum-th largest ack: nvoters/2 + 1 of them are at least that.
 */
uint64_t
replicator_quorum_commit(const uint64_t *acked, size_t n, size_t nvoters)
{
	size_t need = nvoters / 2 + 1;
	uint64_t *v, z;

	if (n < need)
		return 0;
	v = xmemdup(acked, n * sizeof(*acked));
	qsort(v, n, sizeof(*v), desc);
	z = v[need - 1];
	free(v);
	return z;
}

uint64_t
replicator_next_zxid(uint64_t last, uint32_t epoch)
{
	if (zxid_epoch(last) < epoch)
		return zxid_make(epoch, 1);
	return zxid_next(last);
}
