/*
 * The znode tree and session table of the state machine: hash maps, child
 * arrays with O(1) swap-remove, the refcounted ACL cache (ZooKeeper's
 * ReferenceCountedACLCache) and per-session ephemeral lists.
 */
#include "common/sm_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

/* EphemeralType.get() == NORMAL: the owner is a session id. */
int
sm_tree_is_session_owner(int64_t owner)
{
	if (owner == 0 || owner == SM_OWNER_CONTAINER)
		return 0;
	return (owner & SM_OWNER_EXTENDED) != SM_OWNER_EXTENDED;
}

/* FNV-1a. */
uint32_t
sm_tree_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

struct sm_node *
sm_tree_find(const struct sm *sm, const char *p, size_t len)
{
	uint32_t h = sm_tree_hash(p, len);
	struct sm_node *n;

	for (n = sm->nodes[h & (sm->nbuckets - 1)]; n != NULL; n = n->hnext)
		if (n->hash == h && n->plen == len &&
		    memcmp(n->path, p, len) == 0)
			return n;
	return NULL;
}

struct sm_node *
sm_tree_node_new(const char *p, size_t len)
{
	struct sm_node *n = xcalloc(1, sizeof(*n) + len + 1);

	memcpy(n->path, p, len);
	n->path[len] = '\0';
	n->plen = (uint32_t)len;
	n->hash = sm_tree_hash(p, len);
	n->data_len = -1;
	return n;
}

/* Free an unlinked node (not in the hash, parent or session list). */
void
sm_tree_node_free(struct sm *sm, struct sm_node *n)
{
	if (n->acl != NULL)
		sm_tree_acl_put(sm, n->acl);
	if (!sm_tree_is_session_owner(n->st.owner))
		free(n->kids);
	free(n->data);
	free(n);
}

static void
node_rehash(struct sm *sm)
{
	size_t i, nb = sm->nbuckets * 2;
	struct sm_node **t = xcalloc(nb, sizeof(*t)), *n, *next;

	for (i = 0; i < sm->nbuckets; i++)
		for (n = sm->nodes[i]; n != NULL; n = next) {
			next = n->hnext;
			n->hnext = t[n->hash & (nb - 1)];
			t[n->hash & (nb - 1)] = n;
		}
	free(sm->nodes);
	sm->nodes = t;
	sm->nbuckets = nb;
}

void
sm_tree_hash_insert(struct sm *sm, struct sm_node *n)
{
	struct sm_node **b;

	if (sm->nnodes >= sm->nbuckets)
		node_rehash(sm);
	b = &sm->nodes[n->hash & (sm->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	sm->nnodes++;
	sm->data_size += n->plen + (n->data_len > 0 ? n->data_len : 0);
}

void
sm_tree_hash_remove(struct sm *sm, struct sm_node *n)
{
	struct sm_node **pp = &sm->nodes[n->hash & (sm->nbuckets - 1)];

	while (*pp != n) {
		assert(*pp != NULL);
		pp = &(*pp)->hnext;
	}
	*pp = n->hnext;
	n->hnext = NULL;
	sm->nnodes--;
	sm->data_size -= n->plen + (n->data_len > 0 ? n->data_len : 0);
}

/* Append child to parent's children (numChildren follows nkids). */
void
sm_tree_link(struct sm *sm, struct sm_node *parent, struct sm_node *child)
{
	(void)sm;
	assert(!sm_tree_is_session_owner(parent->st.owner));
	if (parent->nkids == parent->kcap_or_eidx) {
		uint32_t cap = parent->kcap_or_eidx ? parent->kcap_or_eidx * 2 : 4;

		parent->kids = xreallocarray(parent->kids, cap,
		    sizeof(*parent->kids));
		parent->kcap_or_eidx = cap;
	}
	child->parent = parent;
	child->pidx = parent->nkids;
	parent->kids[parent->nkids++] = child;
}

/* Swap-remove child from its parent: O(1) however many siblings. */
void
sm_tree_unlink(struct sm *sm, struct sm_node *child)
{
	struct sm_node *parent = child->parent, *last;

	(void)sm;
	assert(parent != NULL && parent->kids[child->pidx] == child);
	last = parent->kids[--parent->nkids];
	parent->kids[child->pidx] = last;
	last->pidx = child->pidx;
	/* child->parent stays set: a multi rollback relinks it there. */
	/* Give memory back when a big directory empties. */
	if (parent->nkids == 0 && parent->kcap_or_eidx > 64) {
		free(parent->kids);
		parent->kids = NULL;
		parent->kcap_or_eidx = 0;
	}
}

/* Replace the data pointer, keeping the data size accounting right. */
void
sm_tree_set_data(struct sm *sm, struct sm_node *n, const uint8_t *p,
    int32_t len)
{
	sm->data_size -= n->data_len > 0 ? n->data_len : 0;
	n->data = len > 0 ? xmemdup(p, (size_t)len) : NULL;
	n->data_len = len;
	sm->data_size += len > 0 ? len : 0;
}

void
sm_tree_stat(const struct sm_node *n, struct zk_stat *s)
{
	s->czxid = n->st.czxid;
	s->mzxid = n->st.mzxid;
	s->ctime = n->st.ctime;
	s->mtime = n->st.mtime;
	s->version = n->st.version;
	/*
	 * Internally cversion counts creates (the sequential suffix uses it);
	 * clients see the count of child changes, as ZooKeeper's
	 * DataNode.copyStat: every create has a delete except for the
	 * children still present.
	 */
	s->cversion = (int32_t)((uint32_t)n->st.cversion * 2u -
	    (uint32_t)n->nkids);
	s->aversion = n->st.aversion;
	/* DataNode.getClientEphemeralOwner: containers and TTLs show 0 */
	s->ephemeral_owner = sm_tree_is_session_owner(n->st.owner) ?
	    n->st.owner : 0;
	s->data_length = n->data_len > 0 ? n->data_len : 0;
	s->num_children = (int32_t)n->nkids;
	s->pzxid = n->st.pzxid;
}

/* --- ACL cache --- */

static void
acl_rehash(struct sm *sm)
{
	size_t i, nb = sm->abuckets * 2;
	struct sm_acl **t = xcalloc(nb, sizeof(*t)), *a, *next;

	for (i = 0; i < sm->abuckets; i++)
		for (a = sm->acls[i]; a != NULL; a = next) {
			next = a->next;
			a->next = t[a->hash & (nb - 1)];
			t[a->hash & (nb - 1)] = a;
		}
	free(sm->acls);
	sm->acls = t;
	sm->abuckets = nb;
}

/* A referenced ACL equal to the encoded list enc (shared if seen before). */
struct sm_acl *
sm_tree_acl_get(struct sm *sm, const uint8_t *enc, size_t len)
{
	uint32_t h = sm_tree_hash((const char *)enc, len);
	struct sm_acl *a, **b;

	for (a = sm->acls[h & (sm->abuckets - 1)]; a != NULL; a = a->next)
		if (a->hash == h && a->len == len &&
		    memcmp(a->enc, enc, len) == 0) {
			a->refs++;
			return a;
		}
	if (sm->nacls >= sm->abuckets)
		acl_rehash(sm);
	a = xmalloc(sizeof(*a) + len);
	memcpy(a->enc, enc, len);
	a->len = (uint32_t)len;
	a->hash = h;
	a->refs = 1;
	b = &sm->acls[h & (sm->abuckets - 1)];
	a->next = *b;
	*b = a;
	sm->nacls++;
	return a;
}

void
sm_tree_acl_put(struct sm *sm, struct sm_acl *a)
{
	struct sm_acl **pp;

	if (--a->refs > 0)
		return;
	for (pp = &sm->acls[a->hash & (sm->abuckets - 1)]; *pp != a;
	    pp = &(*pp)->next)
		assert(*pp != NULL);
	*pp = a->next;
	sm->nacls--;
	free(a);
}

/* --- sessions --- */

static uint32_t
sess_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id;
}

struct sm_sess *
sm_tree_sess_find(const struct sm *sm, uint64_t id)
{
	struct sm_sess *s;

	for (s = sm->sess[sess_hash(id) & (sm->sbuckets - 1)]; s != NULL;
	    s = s->hnext)
		if (s->pub.id == id)
			return s;
	return NULL;
}

static void
sess_rehash(struct sm *sm)
{
	size_t i, nb = sm->sbuckets * 2;
	struct sm_sess **t = xcalloc(nb, sizeof(*t)), *s, *next;

	for (i = 0; i < sm->sbuckets; i++)
		for (s = sm->sess[i]; s != NULL; s = next) {
			next = s->hnext;
			s->hnext = t[sess_hash(s->pub.id) & (nb - 1)];
			t[sess_hash(s->pub.id) & (nb - 1)] = s;
		}
	free(sm->sess);
	sm->sess = t;
	sm->sbuckets = nb;
}

/* Find or add the session id. */
struct sm_sess *
sm_tree_sess_add(struct sm *sm, uint64_t id)
{
	struct sm_sess *s = sm_tree_sess_find(sm, id), **b;

	if (s != NULL)
		return s;
	if (sm->nsess >= sm->sbuckets)
		sess_rehash(sm);
	s = xcalloc(1, sizeof(*s));
	s->pub.id = id;
	b = &sm->sess[sess_hash(id) & (sm->sbuckets - 1)];
	s->hnext = *b;
	*b = s;
	sm->nsess++;
	return s;
}

/* Remove and free a session whose ephemerals are already gone. */
void
sm_tree_sess_remove(struct sm *sm, struct sm_sess *s)
{
	struct sm_sess **pp = &sm->sess[sess_hash(s->pub.id) &
	    (sm->sbuckets - 1)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	sm->nsess--;
	free(s->eph);
	free(s);
}

/* Track an ephemeral node in its owner's list (the owner must exist). */
void
sm_tree_eph_add(struct sm *sm, struct sm_node *n)
{
	struct sm_sess *s = sm_tree_sess_find(sm, (uint64_t)n->st.owner);

	if (s == NULL)
		return;
	if (s->neph == s->ecap) {
		s->ecap = s->ecap ? s->ecap * 2 : 4;
		s->eph = xreallocarray(s->eph, s->ecap, sizeof(*s->eph));
	}
	n->kcap_or_eidx = s->neph;
	s->eph[s->neph++] = n;
	sm->neph++;
}

void
sm_tree_eph_remove(struct sm *sm, struct sm_node *n)
{
	struct sm_sess *s = sm_tree_sess_find(sm, (uint64_t)n->st.owner);
	struct sm_node *last;

	if (s == NULL || n->kcap_or_eidx >= s->neph ||
	    s->eph[n->kcap_or_eidx] != n)
		return;
	last = s->eph[--s->neph];
	s->eph[n->kcap_or_eidx] = last;
	last->kcap_or_eidx = n->kcap_or_eidx;
	sm->neph--;
}

void
sm_tree_free_all(struct sm *sm)
{
	size_t i;
	struct sm_node *n, *nn;
	struct sm_sess *s, *sn;

	for (i = 0; i < sm->nbuckets; i++)
		for (n = sm->nodes[i]; n != NULL; n = nn) {
			nn = n->hnext;
			sm_tree_node_free(sm, n);
		}
	for (i = 0; i < sm->sbuckets; i++)
		for (s = sm->sess[i]; s != NULL; s = sn) {
			sn = s->hnext;
			free(s->eph);
			free(s);
		}
	free(sm->nodes);
	free(sm->sess);
	free(sm->acls);
	free(sm->undo);
}
