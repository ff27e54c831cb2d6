/*
 * Deterministic apply of committed writes, after ZooKeeper 3.8's
 * PrepRequestProcessor (checks, in its order) and DataTree (effects).
 *
 * Every mutation goes through an undo log: a failing write (or a failing
 * op of a multi) rolls the tree back exactly, so a multi is atomic even
 * when its ops depend on each other (create /a then /a/b, delete then
 * re-create, sequential counters). On success the log is committed, which
 * frees what the ops replaced (deleted nodes, old data).
 */
#include "common/sm_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/path.h"
#include "common/xmalloc.h"

struct op_ctx {
	struct sm		*sm;
	const struct sm_cmd	*cmd;
	struct sm_result	*res;
	struct zk_id		 ids[ACL_IDS_MAXN];	/* cmd->auth decoded */
	int			 nids;
};

/* checkACL against node n's list for the command's ids. */
static int32_t
check(const struct op_ctx *c, const struct sm_node *n, int32_t perm)
{
	return sm_acl_check(n->acl, perm, c->ids, c->nids);
}

void
sm_apply_change(struct sm_result *res, enum sm_change_kind kind,
    const char *path, size_t len)
{
	if (res->nchanges == res->changes_cap) {
		res->changes_cap = res->changes_cap ? res->changes_cap * 2 : 8;
		res->changes = xreallocarray(res->changes, res->changes_cap,
		    sizeof(*res->changes));
	}
	res->changes[res->nchanges].kind = kind;
	res->changes[res->nchanges].path = xstrndup(path, len);
	res->nchanges++;
}

/* --- undo log --- */

static struct sm_undo *
undo_push(struct sm *sm, enum sm_undo_kind kind, struct sm_node *n)
{
	struct sm_undo *u;

	if (sm->nundo == sm->undo_cap) {
		sm->undo_cap = sm->undo_cap ? sm->undo_cap * 2 : 16;
		sm->undo = xreallocarray(sm->undo, sm->undo_cap,
		    sizeof(*sm->undo));
	}
	u = &sm->undo[sm->nundo++];
	u->kind = kind;
	u->node = n;
	return u;
}

/* Remember n's stat (and with SM_U_DATA its data) before an op. */
static void
undo_save_kind(struct sm *sm, struct sm_node *n, enum sm_undo_kind kind)
{
	struct sm_undo *u = undo_push(sm, kind, n);

	u->st = n->st;
	u->data = n->data;
	u->data_len = n->data_len;
}

static void
undo_save(struct sm *sm, struct sm_node *n)
{
	undo_save_kind(sm, n, SM_U_STAT);
}

static void
attach(struct sm *sm, struct sm_node *parent, struct sm_node *n)
{
	sm_tree_hash_insert(sm, n);
	sm_tree_link(sm, parent, n);
	if (sm_tree_is_session_owner(n->st.owner))
		sm_tree_eph_add(sm, n);
}

static void
detach(struct sm *sm, struct sm_node *n)
{
	if (sm_tree_is_session_owner(n->st.owner))
		sm_tree_eph_remove(sm, n);
	sm_tree_unlink(sm, n);
	sm_tree_hash_remove(sm, n);
}

static void
undo_rollback(struct sm *sm)
{
	struct sm_undo *u;

	while (sm->nundo > 0) {
		u = &sm->undo[--sm->nundo];
		switch (u->kind) {
		case SM_U_CREATED:
			detach(sm, u->node);
			sm_tree_node_free(sm, u->node);
			break;
		case SM_U_DELETED:
			attach(sm, u->node->parent, u->node);
			break;
		case SM_U_STAT:
			u->node->st = u->st;
			break;
		case SM_U_DATA:
			free(u->node->data);
			sm->data_size += (u->data_len > 0 ? u->data_len : 0) -
			    (u->node->data_len > 0 ? u->node->data_len : 0);
			u->node->st = u->st;
			u->node->data = u->data;
			u->node->data_len = u->data_len;
			break;
		}
	}
}

static void
undo_commit(struct sm *sm)
{
	size_t i;
	struct sm_undo *u;

	for (i = 0; i < sm->nundo; i++) {
		u = &sm->undo[i];
		if (u->kind == SM_U_DELETED)
			sm_tree_node_free(sm, u->node);
		else if (u->kind == SM_U_DATA)
			free(u->data);	/* replaced by the op */
	}
	sm->nundo = 0;
}

/* --- helpers --- */

/* Node at a request path; "" is the root, as in ZooKeeper's map. */
static struct sm_node *
lookup(struct sm *sm, const char *p, size_t len)
{
	if (len == 0)
		return sm->root;
	return sm_tree_find(sm, p, len);
}

/* checkAndIncVersion: -1 matches any version. */
static int
version_ok(int32_t want, int32_t have)
{
	return want == -1 || want == have;
}

static int32_t
inc(int32_t v)
{
	return (int32_t)((uint32_t)v + 1);	/* Java int wraps */
}

static int
has_nul(const struct jute_bytes *b)
{
	return b->len > 0 && memchr(b->p, '\0', (size_t)b->len) != NULL;
}

/* Delete n (childless) and update its parent, as DataTree.deleteNode. */
static void
delete_node(struct op_ctx *c, struct sm_node *n)
{
	struct sm *sm = c->sm;
	struct sm_node *parent = n->parent;

	undo_save(sm, parent);
	/* ZooKeeper bumps only pzxid here; cversion counts creates. */
	if ((int64_t)c->cmd->zxid > parent->st.pzxid)
		parent->st.pzxid = (int64_t)c->cmd->zxid;
	detach(sm, n);
	undo_push(sm, SM_U_DELETED, n);
	sm_apply_change(c->res, SM_CH_DELETED, n->path, n->plen);
	sm_apply_change(c->res, SM_CH_CHILD, parent->path, parent->plen);
}

/* --- create --- */

struct create_args {
	struct zk_create_req	*q;
	int32_t			 type;
	int64_t			 ttl;
};

/* CreateMode.fromFlag + validateTTL; sets the ephemeralOwner. */
static int32_t
create_owner(const struct op_ctx *c, const struct create_args *a,
    int64_t *owner)
{
	int32_t flags = a->q->flags;
	int is_ttl = flags == 5 || flags == 6;

	if (flags < 0 || flags > 6)
		return SM_ZBADARGUMENTS;
	if (is_ttl ? (a->ttl <= 0 || a->ttl > SM_TTL_MAX) : a->ttl >= 0)
		return SM_ZBADARGUMENTS;
	if (a->type == SM_OP_CREATETTL) {
		if (!is_ttl)
			return SM_ZBADARGUMENTS;
		*owner = SM_OWNER_EXTENDED | a->ttl;
	} else if (a->type == SM_OP_CREATECONTAINER)
		*owner = SM_OWNER_CONTAINER;
	else
		*owner = (flags == 1 || flags == 3) ?
		    (int64_t)c->cmd->session : 0;
	return SM_ZOK;
}

/* Build the new node (stat per DataTree.createStat) and link it. */
static struct sm_node *
create_node(struct op_ctx *c, struct sm_node *parent, const char *path,
    size_t len, int64_t owner, struct sm_acl *acl)
{
	struct sm_node *n = sm_tree_node_new(path, len);
	int64_t zxid = (int64_t)c->cmd->zxid;

	n->st.czxid = n->st.mzxid = n->st.pzxid = zxid;
	n->st.ctime = n->st.mtime = c->cmd->time;
	n->st.owner = owner;
	n->acl = acl;
	undo_save(c->sm, parent);
	parent->st.cversion = inc(parent->st.cversion);
	parent->st.pzxid = zxid;
	attach(c->sm, parent, n);
	undo_push(c->sm, SM_U_CREATED, n);
	return n;
}

static int32_t
create_apply(struct op_ctx *c, const struct create_args *a,
    struct jute_writer *out)
{
	const struct jute_bytes *p = &a->q->path;
	struct sm_node *parent, *n;
	struct sm_acl *acl;
	size_t plen;
	int64_t owner = 0;
	int32_t err, flags = a->q->flags;
	char *path;

	if ((err = create_owner(c, a, &owner)) != SM_ZOK)
		return err;
	if (p->len <= 0 || memchr(p->p, '/', (size_t)p->len) == NULL ||
	    has_nul(p))
		return SM_ZBADARGUMENTS;
	for (plen = (size_t)p->len; p->p[plen - 1] != '/'; plen--)
		;
	plen--;			/* parent = path.substring(0, lastSlash) */
	if ((err = sm_acl_fixup(c->sm, &a->q->acl, c->ids, c->nids, &acl))
	    != SM_ZOK)
		return err;
	if ((parent = lookup(c->sm, (const char *)p->p, plen)) == NULL ||
	    (err = check(c, parent, ACL_CREATE)) != SM_ZOK) {
		sm_tree_acl_put(c->sm, acl);
		return parent == NULL ? SM_ZNONODE : err;
	}
	/* Sequential: the parent's cversion before this create. */
	path = xmalloc((size_t)p->len + 16);
	memcpy(path, p->p, (size_t)p->len);
	path[p->len] = '\0';
	if (flags == 2 || flags == 3 || flags == 6)
		snprintf(path + p->len, 16, "%010d", parent->st.cversion);
	if (path_validate(path, strlen(path), 0) == -1)
		err = SM_ZBADARGUMENTS;
	else if (lookup(c->sm, path, strlen(path)) != NULL)
		err = SM_ZNODEEXISTS;
	else if (sm_tree_is_session_owner(parent->st.owner))
		err = SM_ZNOCHILDRENFOREPHEMERALS;
	if (err != SM_ZOK) {
		sm_tree_acl_put(c->sm, acl);
		free(path);
		return err;
	}
	n = create_node(c, parent, path, strlen(path), owner, acl);
	sm_tree_set_data(c->sm, n, a->q->data.p, a->q->data.len);
	free(path);
	sm_apply_change(c->res, SM_CH_CREATED, n->path, n->plen);
	sm_apply_change(c->res, SM_CH_CHILD, parent->path, parent->plen);
	jute_put_string(out, n->path);
	if (a->type != SM_OP_CREATE) {
		struct zk_stat st;

		sm_tree_stat(n, &st);
		jute_put_stat(out, &st);
	}
	return SM_ZOK;
}

static int32_t
op_create(struct op_ctx *c, int32_t type, struct jute_reader *r,
    struct jute_writer *out)
{
	struct zk_create_ttl_req q;
	struct create_args a = { &q.c, type, -1 };

	if (type == SM_OP_CREATETTL) {
		if (jute_get_create_ttl_req(r, &q) == -1)
			return SM_ZMARSHALLINGERROR;
		a.ttl = q.ttl;
	} else if (jute_get_create_req(r, &q.c) == -1)
		return SM_ZMARSHALLINGERROR;
	return create_apply(c, &a, out);
}

/* --- delete, setData, check, setACL, sync --- */

/* isSpecialPath: "/", "/zookeeper", its quota and config nodes. */
static int
special_path(const struct jute_bytes *p)
{
	static const char *special[] = { "/", "/zookeeper",
	    "/zookeeper/quota", "/zookeeper/config" };
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if ((size_t)p->len == strlen(special[i]) &&
		    memcmp(p->p, special[i], (size_t)p->len) == 0)
			return 1;
	return 0;
}

static int32_t
valid_path(const struct jute_bytes *p)
{
	if (p->len < 0 || path_validate((const char *)p->p, (size_t)p->len,
	    0) == -1)
		return SM_ZBADARGUMENTS;
	return SM_ZOK;
}

static int32_t
op_delete(struct op_ctx *c, struct jute_reader *r)
{
	struct zk_path_version_req q;
	struct sm_node *n;
	size_t plen;
	int32_t err;

	if (jute_get_path_version_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if ((err = valid_path(&q.path)) != SM_ZOK)
		return err;
	if (special_path(&q.path))
		return SM_ZBADARGUMENTS;
	/* DELETE on the parent, checked before the node must exist */
	for (plen = (size_t)q.path.len; q.path.p[plen - 1] != '/'; plen--)
		;
	if ((n = lookup(c->sm, (const char *)q.path.p, plen - 1)) == NULL)
		return SM_ZNONODE;
	if ((err = check(c, n, ACL_DELETE)) != SM_ZOK)
		return err;
	if ((n = lookup(c->sm, (const char *)q.path.p, (size_t)q.path.len))
	    == NULL)
		return SM_ZNONODE;
	if (!version_ok(q.version, n->st.version))
		return SM_ZBADVERSION;
	if (n->nkids > 0)
		return SM_ZNOTEMPTY;
	delete_node(c, n);
	return SM_ZOK;
}

/* deleteContainer (the leader's cleanup): the payload is the bare path. */
static int32_t
op_delete_container(struct op_ctx *c)
{
	struct jute_bytes path = { c->cmd->payload, (int32_t)c->cmd->len };
	struct sm_node *n;
	int32_t err;

	if (c->cmd->payload == NULL || (err = valid_path(&path)) != SM_ZOK)
		return SM_ZBADARGUMENTS;
	if (special_path(&path))
		return SM_ZBADARGUMENTS;
	if ((n = lookup(c->sm, (const char *)path.p, (size_t)path.len))
	    == NULL)
		return SM_ZNONODE;
	if ((err = sm_cleanup_check(n)) != SM_ZOK)
		return err;
	delete_node(c, n);
	return SM_ZOK;
}

/* The node at a valid path, when it exists and perm is granted, in
 * ZooKeeper's order of checks (setData, check). */
static int32_t
node_for(struct op_ctx *c, const struct jute_bytes *path, int32_t perm,
    struct sm_node **np)
{
	int32_t err;

	if ((err = valid_path(path)) != SM_ZOK)
		return err;
	if ((*np = lookup(c->sm, (const char *)path->p, (size_t)path->len))
	    == NULL)
		return SM_ZNONODE;
	return check(c, *np, perm);
}

static int32_t
op_set_data(struct op_ctx *c, struct jute_reader *r, struct jute_writer *out)
{
	struct zk_set_data_req q;
	struct zk_stat st;
	struct sm_node *n;
	int32_t err;

	if (jute_get_set_data_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if ((err = node_for(c, &q.path, ACL_WRITE, &n)) != SM_ZOK)
		return err;
	if (!version_ok(q.version, n->st.version))
		return SM_ZBADVERSION;
	undo_save_kind(c->sm, n, SM_U_DATA);
	n->st.version = inc(n->st.version);
	n->st.mzxid = (int64_t)c->cmd->zxid;
	n->st.mtime = c->cmd->time;
	/* The old data stays alive in the undo entry until commit. */
	sm_tree_set_data(c->sm, n, q.data.p, q.data.len);
	sm_apply_change(c->res, SM_CH_DATA, n->path, n->plen);
	sm_tree_stat(n, &st);
	jute_put_stat(out, &st);
	return SM_ZOK;
}

/*
 * A reconfig the way the leader let it through: the frontend did
 * ZooKeeper's checks and replaced the request by the whole new member
 * list (frontend_reconfig.c), the leader the checks that need the quorum
 * (replicator_reconfig.c). The list becomes /zookeeper/config, versioned
 * by this zxid, and the answer is the node's data and stat (getData's).
 */
static int32_t
op_reconfig(struct op_ctx *c, struct jute_reader *r, struct jute_writer *out)
{
	struct zk_reconfig_req q;
	struct zk_stat st;
	struct sm_node *n;
	char *data;
	int len;

	if (jute_get_reconfig_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if (q.members.len < 0)
		return SM_ZBADARGUMENTS;	/* not from a frontend of ours */
	if ((n = lookup(c->sm, "/zookeeper/config", 17)) == NULL)
		return SM_ZNONODE;
	data = xmalloc((size_t)q.members.len + 32);
	memcpy(data, q.members.p, (size_t)q.members.len);
	len = q.members.len + snprintf(data + q.members.len, 32,
	    "version=%" PRIx64, c->cmd->zxid);
	undo_save_kind(c->sm, n, SM_U_DATA);
	/* ZooKeeper's reconfig txn is a SetDataTxn with version -1 */
	n->st.version = -1;
	n->st.mzxid = (int64_t)c->cmd->zxid;
	n->st.mtime = c->cmd->time;
	sm_tree_set_data(c->sm, n, (const uint8_t *)data, len);
	free(data);
	sm_apply_change(c->res, SM_CH_DATA, n->path, n->plen);
	sm_tree_stat(n, &st);
	jute_put_bytes(out, n->data, n->data_len);
	jute_put_stat(out, &st);
	return SM_ZOK;
}

/* ZooKeeper's ErrorTxn: the leader refused the request, the zxid is spent. */
static int32_t
op_error(struct jute_reader *r)
{
	int32_t err = jute_get_int(r);

	if (r->err || err >= 0)
		return SM_ZMARSHALLINGERROR;
	return err;
}

static int32_t
op_check(struct op_ctx *c, struct jute_reader *r)
{
	struct zk_path_version_req q;
	struct sm_node *n;
	int32_t err;

	if (jute_get_path_version_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if ((err = node_for(c, &q.path, ACL_READ, &n)) != SM_ZOK)
		return err;
	return version_ok(q.version, n->st.version) ? SM_ZOK : SM_ZBADVERSION;
}

static int32_t
op_set_acl(struct op_ctx *c, struct jute_reader *r, struct jute_writer *out)
{
	struct zk_set_acl_req q;
	struct zk_stat st;
	struct sm_node *n;
	struct sm_acl *acl;
	int32_t err;

	if (jute_get_set_acl_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if ((err = valid_path(&q.path)) != SM_ZOK)
		return err;
	if ((err = sm_acl_fixup(c->sm, &q.acl, c->ids, c->nids, &acl))
	    != SM_ZOK)
		return err;
	n = lookup(c->sm, (const char *)q.path.p, (size_t)q.path.len);
	if (n == NULL)
		err = SM_ZNONODE;
	else if ((err = check(c, n, ACL_ADMIN)) == SM_ZOK &&
	    !version_ok(q.version, n->st.aversion))
		err = SM_ZBADVERSION;
	if (err != SM_ZOK) {
		sm_tree_acl_put(c->sm, acl);
		return err;
	}
	/* setACL is never part of a multi: no undo needed for the ACL. */
	undo_save(c->sm, n);
	n->st.aversion = inc(n->st.aversion);
	sm_tree_acl_put(c->sm, n->acl);
	n->acl = acl;
	sm_apply_change(c->res, SM_CH_META, n->path, n->plen);
	sm_tree_stat(n, &st);
	jute_put_stat(out, &st);
	return SM_ZOK;
}

static int32_t
op_sync(struct jute_reader *r, struct jute_writer *out)
{
	struct jute_bytes p;

	if (jute_get_path_req(r, &p) == -1)
		return SM_ZMARSHALLINGERROR;
	jute_put_bytes(out, p.p, p.len);
	return SM_ZOK;
}

/* --- sessions --- */

static int32_t
op_create_session(struct op_ctx *c, struct jute_reader *r)
{
	struct jute_bytes pw;
	struct sm_sess *s;
	int32_t timeout = jute_get_int(r);

	if (jute_get_bytes(r, &pw) == -1 || pw.len != SM_PASSWD_LEN)
		return SM_ZMARSHALLINGERROR;
	s = sm_tree_sess_add(c->sm, c->cmd->session);
	s->pub.timeout = timeout;
	memcpy(s->pub.passwd, pw.p, SM_PASSWD_LEN);
	c->res->session_opened = c->cmd->session;
	return SM_ZOK;
}

/* killSession: delete every ephemeral of the session, then drop it. */
static int32_t
op_close_session(struct op_ctx *c)
{
	struct sm_sess *s = sm_tree_sess_find(c->sm, c->cmd->session);

	while (s->neph > 0)
		delete_node(c, s->eph[0]);
	sm_tree_sess_remove(c->sm, s);
	c->res->session_closed = c->cmd->session;
	return SM_ZOK;
}

/* --- multi --- */

/* Result type of a successful op in a MultiResponse. */
static int32_t
multi_result_type(int32_t type)
{
	if (type == SM_OP_CREATECONTAINER || type == SM_OP_CREATETTL)
		return SM_OP_CREATE2;	/* OpResult.CreateResult(path, stat) */
	return type;
}

static int32_t
run_op(struct op_ctx *c, int32_t type, struct jute_reader *r,
    struct jute_writer *out)
{
	switch (type) {
	case SM_OP_CREATE:
	case SM_OP_CREATE2:
	case SM_OP_CREATECONTAINER:
	case SM_OP_CREATETTL:
		return op_create(c, type, r, out);
	case SM_OP_DELETE:
		return op_delete(c, r);
	case SM_OP_SETDATA:
		return op_set_data(c, r, out);
	case SM_OP_CHECK:
		return op_check(c, r);
	default:
		return SM_ZMARSHALLINGERROR;	/* not a multi op */
	}
}

/* Decode an op without running it (ops after a failure). */
static int
skip_op(int32_t type, struct jute_reader *r)
{
	struct zk_create_ttl_req cq;
	struct zk_path_version_req pq;
	struct zk_set_data_req sq;

	switch (type) {
	case SM_OP_CREATE:
	case SM_OP_CREATE2:
	case SM_OP_CREATECONTAINER:
		return jute_get_create_req(r, &cq.c);
	case SM_OP_CREATETTL:
		return jute_get_create_ttl_req(r, &cq);
	case SM_OP_DELETE:
	case SM_OP_CHECK:
		return jute_get_path_version_req(r, &pq);
	case SM_OP_SETDATA:
		return jute_get_set_data_req(r, &sq);
	default:
		return -1;
	}
}

/* Reply of a failed multi: ok before the failure, then the error. */
static void
multi_error_reply(struct jute_writer *out, size_t nops, size_t failed,
    int32_t err)
{
	struct zk_multi_header h = { SM_OP_ERROR, 0, 0 };
	size_t i;

	jute_writer_reset(out);
	for (i = 0; i < nops; i++) {
		h.err = i < failed ? SM_ZOK : i == failed ? err :
		    SM_ZRUNTIMEINCONSISTENCY;
		jute_put_multi_header(out, &h);
		jute_put_int(out, h.err);
	}
	h = (struct zk_multi_header){ -1, 1, -1 };
	jute_put_multi_header(out, &h);
}

static int32_t
op_multi(struct op_ctx *c, struct jute_reader *r)
{
	struct jute_writer *out = &c->res->reply;
	struct zk_multi_header h;
	size_t nops = 0, failed = 0;
	int32_t err = SM_ZOK;

	for (;;) {
		if (jute_get_multi_header(r, &h) == -1)
			return SM_ZMARSHALLINGERROR;
		if (h.done)
			break;
		if (err != SM_ZOK) {
			if (skip_op(h.type, r) == -1)
				return SM_ZMARSHALLINGERROR;
		} else {
			struct zk_multi_header oh = { multi_result_type(h.type),
			    0, 0 };

			jute_put_multi_header(out, &oh);
			err = run_op(c, h.type, r, out);
			if (err == SM_ZMARSHALLINGERROR)
				return err;
			failed = nops;
		}
		nops++;
	}
	if (err != SM_ZOK) {
		multi_error_reply(out, nops, failed, err);
		return err;
	}
	h = (struct zk_multi_header){ -1, 1, -1 };
	jute_put_multi_header(out, &h);
	return SM_ZOK;
}

/* --- entry point --- */

static int32_t
dispatch(struct op_ctx *c, struct jute_reader *r)
{
	struct jute_writer *out = &c->res->reply;

	switch (c->cmd->opcode) {
	case SM_OP_CREATESESSION:
		return op_create_session(c, r);
	case SM_OP_CLOSESESSION:
		return op_close_session(c);
	case SM_OP_CREATE:
	case SM_OP_CREATE2:
	case SM_OP_CREATECONTAINER:
	case SM_OP_CREATETTL:
		return op_create(c, c->cmd->opcode, r, out);
	case SM_OP_DELETE:
		return op_delete(c, r);
	case SM_OP_DELETECONTAINER:
		return op_delete_container(c);
	case SM_OP_SETDATA:
		return op_set_data(c, r, out);
	case SM_OP_SETACL:
		return op_set_acl(c, r, out);
	case SM_OP_CHECK:
		return op_check(c, r);
	case SM_OP_SYNC:
		return op_sync(r, out);
	case SM_OP_MULTI:
		return op_multi(c, r);
	case SM_OP_RECONFIG:
		return op_reconfig(c, r, out);
	case SM_OP_ERROR:
		return op_error(r);
	default:
		return SM_ZUNIMPLEMENTED;
	}
}

static void
drop_changes(struct sm_result *res)
{
	size_t i;

	for (i = 0; i < res->nchanges; i++)
		free(res->changes[i].path);
	res->nchanges = 0;
}

int
sm_apply(struct sm *sm, const struct sm_cmd *cmd, struct sm_result *res)
{
	struct op_ctx c = { .sm = sm, .cmd = cmd, .res = res };
	struct jute_reader r;

	if (cmd->zxid <= sm->last_zxid)
		return -1;
	sm_result_reset(res);
	/* Every write, failing or not, consumes its zxid. */
	sm->last_zxid = cmd->zxid;
	/* the leader's own cleanup commands belong to no session */
	if (cmd->opcode != SM_OP_CREATESESSION &&
	    cmd->opcode != SM_OP_DELETECONTAINER &&
	    sm_tree_sess_find(sm, cmd->session) == NULL) {
		res->err = SM_ZSESSIONEXPIRED;
		return 0;
	}
	/* ids from our own frontends; unreadable ones grant nothing */
	if ((c.nids = acl_ids_decode(cmd->auth, cmd->auth_len, c.ids,
	    ACL_IDS_MAXN)) < 0)
		c.nids = 0;
	jute_reader_init(&r, cmd->payload, cmd->payload ? cmd->len : 0);
	res->err = dispatch(&c, &r);
	if (res->err == SM_ZOK) {
		undo_commit(sm);
		return 0;
	}
	undo_rollback(sm);
	drop_changes(res);
	res->session_opened = 0;
	/*
	 * Only a failed multi (not a malformed one) keeps its reply body,
	 * and like ZooKeeper's its header says ZOK: the per-op results
	 * carry the errors (kazoo reads them, and raises on a header error).
	 */
	if (cmd->opcode != SM_OP_MULTI || res->err == SM_ZMARSHALLINGERROR)
		jute_writer_reset(&res->reply);
	else
		res->err = SM_ZOK;
	return 0;
}
