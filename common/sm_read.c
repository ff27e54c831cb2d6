/*
 * Reads, as FinalRequestProcessor answers them. Watches are reported, not
 * kept: the frontend registers them. exists registers a data watch even
 * on a missing node (DataTree.statNode); getData and getChildren only on
 * an existing one.
 */
#include "common/sm_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/path.h"
#include "common/xmalloc.h"

/* Who is reading: the decoded identities of sm_read_auth. */
struct reader {
	struct zk_id	ids[ACL_IDS_MAXN];
	int		nids;
};

static void
put_node_stat(struct jute_writer *w, const struct sm_node *n)
{
	struct zk_stat st;

	sm_tree_stat(n, &st);
	jute_put_stat(w, &st);
}

static void
put_children(struct jute_writer *w, const struct sm_node *n)
{
	uint32_t i;
	size_t off;

	jute_put_int(w, (int32_t)n->nkids);
	for (i = 0; i < n->nkids; i++) {
		const struct sm_node *k = n->kids[i];

		off = path_parent_len(k->path, k->plen);
		off += off > 1 ? 1 : 0;		/* skip the '/' */
		jute_put_bytes(w, k->path + off, (int32_t)(k->plen - off));
	}
}

static void
set_watch(struct sm_result *res, int kind, const struct jute_bytes *p)
{
	res->watch = kind;
	res->watch_path = xstrndup((const char *)p->p, (size_t)p->len);
}

/* Number of descendants of n (iterative: deep trees must not blow the stack). */
static int32_t
count_descendants(const struct sm_node *n)
{
	const struct sm_node **stack;
	size_t sp = 0, cap = 64;
	int64_t total = 0;
	uint32_t i;

	stack = xreallocarray(NULL, cap, sizeof(*stack));
	stack[sp++] = n;
	while (sp > 0) {
		const struct sm_node *cur = stack[--sp];

		total += cur->nkids;
		for (i = 0; i < cur->nkids; i++) {
			if (sp == cap) {
				cap *= 2;
				stack = xreallocarray(stack, cap,
				    sizeof(*stack));
			}
			stack[sp++] = cur->kids[i];
		}
	}
	free(stack);
	return (int32_t)total;
}

/* getEphemerals: prefix null, blank or "/" means all. */
static void
read_ephemerals(const struct sm *sm, uint64_t session,
    const struct jute_bytes *prefix, struct jute_writer *w)
{
	const struct sm_sess *s = sm_tree_sess_find(sm, session);
	int all = prefix->len <= 0 ||
	    (prefix->len == 1 && prefix->p[0] == '/');
	size_t cnt_off = w->len;
	int32_t count = 0;
	uint32_t i;

	jute_put_int(w, 0);
	for (i = 0; s != NULL && i < s->neph; i++) {
		const struct sm_node *n = s->eph[i];

		if (!all && (n->plen < (size_t)prefix->len ||
		    memcmp(n->path, prefix->p, (size_t)prefix->len) != 0))
			continue;
		jute_put_bytes(w, n->path, (int32_t)n->plen);
		count++;
	}
	jute_patch_int(w, cnt_off, count);
}

/* exists, getData, getChildren(2): path + watch flag. */
static int32_t
read_path_watch(const struct sm *sm, const struct reader *who, int32_t op,
    struct jute_reader *r, struct sm_result *res)
{
	struct zk_path_watch_req q;
	const struct sm_node *n;
	int32_t err;

	if (jute_get_path_watch_req(r, &q) == -1)
		return SM_ZMARSHALLINGERROR;
	if (q.path.len < 0 || path_validate((const char *)q.path.p,
	    (size_t)q.path.len, 0) == -1)
		return SM_ZBADARGUMENTS;
	n = sm_tree_find(sm, (const char *)q.path.p, (size_t)q.path.len);
	/* READ before the watch is set; exists is not checked */
	if (n != NULL && op != SM_OP_EXISTS && (err = sm_acl_check(n->acl,
	    ACL_READ, who->ids, who->nids)) != SM_ZOK)
		return err;
	if (q.watch && (n != NULL || op == SM_OP_EXISTS))
		set_watch(res, op == SM_OP_GETCHILDREN ||
		    op == SM_OP_GETCHILDREN2 ? SM_WATCH_CHILD : SM_WATCH_DATA,
		    &q.path);
	if (n == NULL)
		return SM_ZNONODE;
	if (op == SM_OP_GETDATA)
		jute_put_bytes(&res->reply, n->data, n->data_len);
	if (op == SM_OP_GETCHILDREN || op == SM_OP_GETCHILDREN2)
		put_children(&res->reply, n);
	if (op != SM_OP_GETCHILDREN)
		put_node_stat(&res->reply, n);
	return SM_ZOK;
}

/* getACL, getEphemerals, getAllChildrenNumber: a path alone. */
static int32_t
read_path(const struct sm *sm, const struct reader *who, uint64_t session,
    int32_t op, struct jute_reader *r, struct sm_result *res)
{
	struct jute_bytes p;
	const struct sm_node *n;
	int32_t err;

	if (jute_get_path_req(r, &p) == -1)
		return SM_ZMARSHALLINGERROR;
	if (op == SM_OP_GETEPHEMERALS) {
		read_ephemerals(sm, session, &p, &res->reply);
		return SM_ZOK;
	}
	if (p.len < 0 || path_validate((const char *)p.p, (size_t)p.len, 0)
	    == -1)
		return SM_ZBADARGUMENTS;
	if ((n = sm_tree_find(sm, (const char *)p.p, (size_t)p.len)) == NULL)
		return SM_ZNONODE;
	if (op == SM_OP_GETALLCHILDRENNUMBER) {
		if ((err = sm_acl_check(n->acl, ACL_READ, who->ids,
		    who->nids)) != SM_ZOK)
			return err;
		jute_put_int(&res->reply, count_descendants(n));
		return SM_ZOK;
	}
	/* getACL: READ or ADMIN; only ADMIN sees digest hashes */
	if ((err = sm_acl_check(n->acl, ACL_READ | ACL_ADMIN, who->ids,
	    who->nids)) != SM_ZOK)
		return err;
	if (sm_acl_check(n->acl, ACL_ADMIN, who->ids, who->nids) == SM_ZOK)
		jute_put_raw(&res->reply, n->acl->enc, n->acl->len);
	else
		acl_redact_digests(n->acl->enc, n->acl->len, &res->reply);
	put_node_stat(&res->reply, n);
	return SM_ZOK;
}

void
sm_read(const struct sm *sm, uint64_t session, int32_t opcode,
    const uint8_t *payload, size_t len, struct sm_result *res)
{
	sm_read_auth(sm, session, NULL, 0, opcode, payload, len, res);
}

void
sm_read_auth(const struct sm *sm, uint64_t session, const uint8_t *auth,
    size_t auth_len, int32_t opcode, const uint8_t *payload, size_t len,
    struct sm_result *res)
{
	struct jute_reader r;
	struct reader who;

	if ((who.nids = acl_ids_decode(auth, auth_len, who.ids,
	    ACL_IDS_MAXN)) < 0)
		who.nids = 0;
	sm_result_reset(res);
	jute_reader_init(&r, payload, payload ? len : 0);
	switch (opcode) {
	case SM_OP_EXISTS:
	case SM_OP_GETDATA:
	case SM_OP_GETCHILDREN:
	case SM_OP_GETCHILDREN2:
		res->err = read_path_watch(sm, &who, opcode, &r, res);
		break;
	case SM_OP_GETACL:
	case SM_OP_GETEPHEMERALS:
	case SM_OP_GETALLCHILDRENNUMBER:
		res->err = read_path(sm, &who, session, opcode, &r, res);
		break;
	default:
		res->err = SM_ZUNIMPLEMENTED;
		break;
	}
	if (res->err != SM_ZOK)
		jute_writer_reset(&res->reply);
}

const uint8_t *
sm_node_data(const struct sm *sm, const char *path, int32_t *len)
{
	const struct sm_node *n = sm_tree_find(sm, path, strlen(path));

	*len = n != NULL ? n->data_len : -1;
	return n != NULL ? n->data : NULL;
}

int32_t
sm_check_perm(const struct sm *sm, const char *path, int32_t perm,
    const uint8_t *auth, size_t auth_len)
{
	const struct sm_node *n = sm_tree_find(sm, path, strlen(path));
	struct zk_id ids[ACL_IDS_MAXN];
	int nids;

	if (n == NULL)
		return SM_ZNONODE;
	if ((nids = acl_ids_decode(auth, auth_len, ids, ACL_IDS_MAXN)) < 0)
		nids = 0;
	return sm_acl_check(n->acl, perm, ids, nids);
}
