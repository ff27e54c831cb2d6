/*
 * ACLs in the state machine: the lists of writes go through ZooKeeper's
 * PrepRequestProcessor.fixupACL (common/acl.c) with the command's ids and
 * land in the refcounted cache; checks run ZooKeeperServer.checkACL on a
 * node's cached list. The ids come with each command, so every replica
 * decides the same.
 */
#include "common/sm_int.h"

#include "common/acl.h"

/*
 * Check, deduplicate and expand a request's ACL list for the requester's
 * ids; on success *out is a referenced cache entry. Returns SM_ZOK or
 * SM_ZINVALIDACL.
 */
int
sm_acl_fixup(struct sm *sm, const struct zk_acl_list *l,
    const struct zk_id *ids, int nids, struct sm_acl **out)
{
	struct jute_writer w;

	jute_writer_init(&w);
	if (acl_fixup(l, ids, nids, &w) != 0) {
		jute_writer_free(&w);
		return SM_ZINVALIDACL;
	}
	*out = sm_tree_acl_get(sm, w.buf, w.len);
	jute_writer_free(&w);
	return SM_ZOK;
}

/* SM_ZOK if ids hold perm on a node with ACL a, else SM_ZNOAUTH. */
int
sm_acl_check(const struct sm_acl *a, int32_t perm, const struct zk_id *ids,
    int nids)
{
	return acl_check(a->enc, a->len, perm, ids, nids) ? SM_ZOK :
	    SM_ZNOAUTH;
}
