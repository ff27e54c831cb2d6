/*
 * The state machine's public face: construction, results, reads
 * (FinalRequestProcessor's read cases), counters and persistence records.
 * Writes are in sm_apply.c, the tree itself in sm_tree.c.
 */
#include "common/sm.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/path.h"
#include "common/sm_int.h"
#include "common/xmalloc.h"

void
sm_encode_create_session(struct jute_writer *w, int32_t timeout,
    const uint8_t passwd[SM_PASSWD_LEN])
{
	jute_put_int(w, timeout);
	jute_put_bytes(w, passwd, SM_PASSWD_LEN);
}

void
sm_result_init(struct sm_result *res)
{
	memset(res, 0, sizeof(*res));
	jute_writer_init(&res->reply);
}

void
sm_result_reset(struct sm_result *res)
{
	size_t i;

	for (i = 0; i < res->nchanges; i++)
		free(res->changes[i].path);
	res->nchanges = 0;
	res->err = 0;
	jute_writer_reset(&res->reply);
	res->session_opened = res->session_closed = 0;
	res->watch = SM_WATCH_NONE;
	free(res->watch_path);
	res->watch_path = NULL;
}

void
sm_result_free(struct sm_result *res)
{
	sm_result_reset(res);
	free(res->changes);
	jute_writer_free(&res->reply);
	sm_result_init(res);
}

/* An initial node: zero stat, empty (not null) data, as ZooKeeper's. */
static struct sm_node *
add_initial(struct sm *sm, struct sm_node *parent, const char *path,
    struct sm_acl *acl)
{
	struct sm_node *n = sm_tree_node_new(path, strlen(path));

	n->data_len = 0;
	n->acl = acl;
	sm_tree_hash_insert(sm, n);
	if (parent != NULL)
		sm_tree_link(sm, parent, n);
	return n;
}

/* world:anyone with perms, encoded as a vector<ACL>. */
static struct sm_acl *
world_acl(struct sm *sm, int32_t perms)
{
	struct zk_acl_list l = { .count = 1 };
	struct jute_writer w;
	struct sm_acl *a;

	l.acl[0].perms = perms;
	l.acl[0].id.scheme = (struct jute_bytes){ (const uint8_t *)"world", 5 };
	l.acl[0].id.id = (struct jute_bytes){ (const uint8_t *)"anyone", 6 };
	jute_writer_init(&w);
	jute_put_acl_list(&w, &l);
	a = sm_tree_acl_get(sm, w.buf, w.len);
	jute_writer_free(&w);
	return a;
}

struct sm *
sm_new(void)
{
	struct sm *sm = xcalloc(1, sizeof(*sm));
	struct sm_node *zk, *config;

	sm->nbuckets = sm->sbuckets = sm->abuckets = 16;
	sm->nodes = xcalloc(sm->nbuckets, sizeof(*sm->nodes));
	sm->sess = xcalloc(sm->sbuckets, sizeof(*sm->sess));
	sm->acls = xcalloc(sm->abuckets, sizeof(*sm->acls));
	sm->root = add_initial(sm, NULL, "/", world_acl(sm, 31));
	zk = add_initial(sm, sm->root, "/zookeeper", world_acl(sm, 31));
	add_initial(sm, zk, "/zookeeper/quota", world_acl(sm, 31));
	/* DataTree.addConfigNode: READ_ACL_UNSAFE set with version -1. */
	config = add_initial(sm, zk, "/zookeeper/config", world_acl(sm, 1));
	config->st.aversion = -1;
	return sm;
}

void
sm_set_config(struct sm *sm, const char *text, size_t len, uint64_t version,
    int64_t mtime, int reconfig_enabled)
{
	struct sm_node *n = sm_tree_find(sm, "/zookeeper/config", 17);

	sm->reconfig_enabled = reconfig_enabled;
	/* standalone: ZooKeeper leaves the node as created (version 0) */
	if (n == NULL || len == 0)
		return;
	/*
	 * Its mzxid is its version (a reconfig's zxid, or the one set here):
	 * a committed reconfig may have written a newer one than ours.
	 */
	if (n->st.mzxid != 0 && (uint64_t)n->st.mzxid >= version)
		return;
	sm_tree_set_data(sm, n, (const uint8_t *)text, (int32_t)len);
	/* QuorumPeer writes it with setData version -1 at startup */
	n->st.version = -1;
	n->st.mzxid = (int64_t)version;
	n->st.mtime = mtime;
}

void
sm_destroy(struct sm **smp)
{
	if (smp == NULL || *smp == NULL)
		return;
	sm_tree_free_all(*smp);
	free(*smp);
	*smp = NULL;
}

uint64_t
sm_last_zxid(const struct sm *sm)
{
	return sm->last_zxid;
}

const struct sm_session *
sm_session_find(const struct sm *sm, uint64_t id)
{
	struct sm_sess *s = sm_tree_sess_find(sm, id);

	return s ? &s->pub : NULL;
}

size_t
sm_session_count(const struct sm *sm)
{
	return sm->nsess;
}

size_t
sm_node_count(const struct sm *sm)
{
	return sm->nnodes;
}

uint64_t
sm_data_size(const struct sm *sm)
{
	return sm->data_size;
}

size_t
sm_ephemeral_count(const struct sm *sm)
{
	return sm->neph;
}

void
sm_foreach_node(const struct sm *sm, void (*fn)(void *, const char *),
    void *arg)
{
	size_t i;
	struct sm_node *n;

	for (i = 0; i < sm->nbuckets; i++)
		for (n = sm->nodes[i]; n != NULL; n = n->hnext)
			fn(arg, n->path);
}

void
sm_foreach_session(const struct sm *sm, void (*fn)(void *, uint64_t),
    void *arg)
{
	size_t i;
	struct sm_sess *s;

	for (i = 0; i < sm->sbuckets; i++)
		for (s = sm->sess[i]; s != NULL; s = s->hnext)
			fn(arg, s->pub.id);
}
