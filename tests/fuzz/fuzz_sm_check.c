/* Invariant checks on a state machine (see fuzz_sm_check.h). */
#include "fuzz_sm_check.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/path.h"
#include "common/sm_int.h"
#include "common/xmalloc.h"

static size_t
acl_users(const struct sm *sm, const struct sm_acl *a)
{
	const struct sm_node *n;
	size_t i, users = 0;

	for (i = 0; i < sm->nbuckets; i++)
		for (n = sm->nodes[i]; n != NULL; n = n->hnext)
			users += n->acl == a;
	return users;
}

/* Each cached ACL is held once per node using it, and only then. */
static void
check_acls(const struct sm *sm)
{
	const struct sm_acl *a;
	size_t i, nacls = 0;

	for (i = 0; i < sm->abuckets; i++)
		for (a = sm->acls[i]; a != NULL; a = a->next) {
			assert((a->hash & (sm->abuckets - 1)) == i);
			assert(a->refs > 0 && a->refs == acl_users(sm, a));
			nacls++;
		}
	assert(nacls == sm->nacls);
}

static void
check_node(const struct sm *sm, const struct sm_node *n, size_t bucket)
{
	const struct sm_node *p;
	size_t plen;

	assert((n->hash & (sm->nbuckets - 1)) == bucket);
	assert(strlen(n->path) == n->plen);
	assert(sm_tree_find(sm, n->path, n->plen) == n);
	assert(n->acl != NULL);
	assert(n->data_len >= -1);
	assert((n->data_len > 0) == (n->data != NULL));
	assert(n->nkids <= n->kcap_or_eidx ||
	    sm_tree_is_session_owner(n->st.owner));
	if (n == sm->root) {
		assert(n->parent == NULL);
		return;
	}
	assert(path_validate(n->path, n->plen, 0) == 0);
	plen = path_parent_len(n->path, n->plen);
	p = sm_tree_find(sm, n->path, plen);
	assert(p != NULL && n->parent == p);
	assert(!sm_tree_is_session_owner(p->st.owner));
	assert(n->pidx < p->nkids && p->kids[n->pidx] == n);
	/* ephemerals never have children */
	assert(!sm_tree_is_session_owner(n->st.owner) || n->nkids == 0);
}

/* Each session lists exactly the nodes it owns, each at its index. */
static void
check_sessions(const struct sm *sm)
{
	const struct sm_sess *s;
	const struct sm_node *n;
	size_t i, j, nsess = 0, neph = 0, owned;

	for (i = 0; i < sm->sbuckets; i++)
		for (s = sm->sess[i]; s != NULL; s = s->hnext) {
			assert(sm_tree_sess_find(sm, s->pub.id) == s);
			assert(s->neph <= s->ecap);
			for (j = 0; j < s->neph; j++) {
				n = s->eph[j];
				assert((uint64_t)n->st.owner == s->pub.id);
				assert(n->kcap_or_eidx == j);
				assert(sm_tree_find(sm, n->path, n->plen) == n);
			}
			owned = 0;
			for (j = 0; j < sm->nbuckets; j++)
				for (n = sm->nodes[j]; n != NULL; n = n->hnext)
					owned += sm_tree_is_session_owner(
					    n->st.owner) &&
					    (uint64_t)n->st.owner == s->pub.id;
			assert(owned == s->neph);
			neph += s->neph;
			nsess++;
		}
	assert(nsess == sm->nsess && nsess == sm_session_count(sm));
	assert(neph == sm->neph && neph == sm_ephemeral_count(sm));
}

void
check_sm(const struct sm *sm)
{
	const struct sm_node *n;
	size_t i, nodes = 0, kids = 0;
	uint64_t data = 0;

	assert(sm->nundo == 0);
	assert(sm->root != NULL && strcmp(sm->root->path, "/") == 0);
	for (i = 0; i < sm->nbuckets; i++)
		for (n = sm->nodes[i]; n != NULL; n = n->hnext) {
			check_node(sm, n, i);
			nodes++;
			kids += n->nkids;
			data += n->plen + (n->data_len > 0 ? n->data_len : 0);
		}
	assert(nodes == sm->nnodes && nodes == sm_node_count(sm));
	assert(kids == nodes - 1);	/* every node but "/" is linked */
	assert(data == sm_data_size(sm));
	check_sessions(sm);
	check_acls(sm);
}

struct collect {
	char		**paths;
	uint64_t	 *ids;
	size_t		  n, cap;
};

static void
collect_path(void *arg, const char *path)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->paths = xreallocarray(c->paths, c->cap, sizeof(*c->paths));
	}
	c->paths[c->n++] = xstrdup(path);
}

static void
collect_id(void *arg, uint64_t id)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->ids = xreallocarray(c->ids, c->cap, sizeof(*c->ids));
	}
	c->ids[c->n++] = id;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Node records sorted by path, each followed by its child count. */
static void
encode_nodes(const struct sm *sm, struct jute_writer *w)
{
	struct collect c = { 0 };
	const struct sm_node *n;
	size_t i;

	sm_foreach_node(sm, collect_path, &c);
	qsort(c.paths, c.n, sizeof(*c.paths), cmp_path);
	for (i = 0; i < c.n; i++) {
		assert(sm_node_encode(sm, c.paths[i], w) == 0);
		n = sm_tree_find(sm, c.paths[i], strlen(c.paths[i]));
		jute_put_int(w, (int32_t)n->nkids);
		free(c.paths[i]);
	}
	free(c.paths);
}

static void
encode_sessions(const struct sm *sm, struct jute_writer *w)
{
	struct collect c = { 0 };
	size_t i;

	sm_foreach_session(sm, collect_id, &c);
	if (c.n > 0)	/* qsort(NULL, 0) is undefined */
		qsort(c.ids, c.n, sizeof(*c.ids), cmp_id);
	for (i = 0; i < c.n; i++)
		assert(sm_session_encode(sm, c.ids[i], w) == 0);
	free(c.ids);
}

void
state_encode(const struct sm *sm, struct jute_writer *w)
{
	encode_nodes(sm, w);
	encode_sessions(sm, w);
	jute_put_long(w, (int64_t)sm_data_size(sm));
	jute_put_long(w, (int64_t)sm_ephemeral_count(sm));
}

struct reload {
	const struct sm	*from;
	struct sm	*to;
};

static void
reload_node(void *arg, const char *path)
{
	struct reload *r = arg;
	struct jute_writer w;

	jute_writer_init(&w);
	assert(sm_node_encode(r->from, path, &w) == 0);
	assert(sm_node_load(r->to, w.buf, w.len) == 0);
	jute_writer_free(&w);
}

static void
reload_session(void *arg, uint64_t id)
{
	struct reload *r = arg;
	struct jute_writer w;

	jute_writer_init(&w);
	assert(sm_session_encode(r->from, id, &w) == 0);
	assert(sm_session_load(r->to, w.buf, w.len) == 0);
	jute_writer_free(&w);
}

void
check_reload(const struct sm *sm)
{
	struct reload r = { sm, sm_new() };
	struct jute_writer a, b;

	sm_foreach_session(sm, reload_session, &r);
	sm_foreach_node(sm, reload_node, &r);
	assert(sm_load_finish(r.to, sm_last_zxid(sm)) == 0);
	check_sm(r.to);
	jute_writer_init(&a);
	jute_writer_init(&b);
	state_encode(sm, &a);
	state_encode(r.to, &b);
	assert(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	jute_writer_free(&a);
	jute_writer_free(&b);
	sm_destroy(&r.to);
}
