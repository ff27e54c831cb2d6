/*
 * Which container and TTL nodes are due for deletion, as ZooKeeper's
 * ContainerManager decides: an empty container that has had a child, a
 * childless TTL node not modified for longer than its TTL. The leader asks
 * the store for the list and submits ordinary deleteContainer commands,
 * which sm_apply checks again: the list may be stale by then.
 */
#include "common/sm.h"

#include <string.h>

#include "common/sm_int.h"

#define TTL_MASK	0x00ffffffffffffffULL

struct scan {
	const struct sm	*sm;
	int64_t		 now;
	void		(*cb)(void *, const char *);
	void		*arg;
};

static int
due(const struct sm_node *n, int64_t now)
{
	int64_t owner = n->st.owner;

	if (n->nkids > 0)
		return 0;
	if (owner == SM_OWNER_CONTAINER)
		return n->st.cversion > 0;
	if ((owner & SM_OWNER_EXTENDED) == SM_OWNER_EXTENDED) {
		int64_t ttl = (int64_t)((uint64_t)owner & TTL_MASK);

		return ttl > 0 && now - n->st.mtime > ttl;
	}
	return 0;
}

static void
visit(void *arg, const char *path)
{
	struct scan *s = arg;
	const struct sm_node *n = sm_tree_find(s->sm, path, strlen(path));

	if (n != NULL && due(n, s->now))
		s->cb(s->arg, path);
}

void
sm_cleanup_candidates(const struct sm *sm, int64_t now_ms,
    void (*cb)(void *, const char *), void *arg)
{
	struct scan s = { sm, now_ms, cb, arg };

	sm_foreach_node(sm, visit, &s);
}

/* deleteContainer's apply-time check; 0 or a ZooKeeper error. */
int32_t
sm_cleanup_check(const struct sm_node *n)
{
	if (n->nkids > 0)
		return SM_ZNOTEMPTY;
	/* PrepRequestProcessor: a normal node is refused with BadVersion */
	if (n->st.owner != SM_OWNER_CONTAINER &&
	    (n->st.owner & SM_OWNER_EXTENDED) != SM_OWNER_EXTENDED)
		return SM_ZBADVERSION;
	return SM_ZOK;
}
