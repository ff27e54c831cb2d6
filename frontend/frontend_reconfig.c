/*
 * reconfig (opcode 16), the checks that need no quorum, in ZooKeeper
 * 3.8's order (PrepRequestProcessor.pRequest2TxnReconfig): reconfigEnabled,
 * quorum mode, the config version asked for, the request's syntax and the
 * new voter count, then WRITE on /zookeeper/config (READ-only for world:
 * by default only super passes). What passes travels to the leader as
 * the whole new member list with the version it was computed from; the
 * leader checks that this is still the last one and that a quorum of the
 * new voters is connected (replicator_reconfig.c).
 */
#include "frontend/frontend.h"

#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/child.h"
#include "common/log.h"
#include "common/membership.h"
#include "common/xmalloc.h"

#define ZUNIMPLEMENTED		(-6)
#define ZMARSHALLINGERROR	(-5)
#define ZBADARGUMENTS		(-8)
#define ZBADVERSION		(-103)
#define ZRECONFIGDISABLED	(-123)

/* A jute string as a C string (NULL for null); caller frees. */
static char *
cstr(const struct jute_bytes *b)
{
	return b->len < 0 ? NULL : xstrndup((const char *)b->p,
	    (size_t)b->len);
}

/* The membership this frontend's tree holds in /zookeeper/config. */
static int
current(const struct frontend *f, struct membership *m)
{
	char why[256];
	int32_t len;
	const uint8_t *d = sm_node_data(f->sm, "/zookeeper/config", &len);

	if (d == NULL || len <= 0)
		return -1;
	return membership_parse(m, (const char *)d, (size_t)len, why,
	    sizeof(why));
}

int32_t
frontend_reconfig_prepare(struct frontend *f, struct conn *c, struct req *r)
{
	const struct config *cfg = &f->c->cfg;
	struct membership *cur, *next;
	struct zk_reconfig_req q;
	struct jute_reader rd;
	struct jute_writer w;
	char *joining, *leaving, *members, why[512];
	char *text = NULL;
	int32_t err = 0;

	if (!cfg->reconfig_enabled)
		return ZRECONFIGDISABLED;
	if (config_standalone(cfg))
		return ZUNIMPLEMENTED;
	jute_reader_init(&rd, r->payload, r->len);
	if (jute_get_reconfig_req(&rd, &q) < 0)
		return ZMARSHALLINGERROR;
	cur = xmalloc(sizeof(*cur));
	next = xmalloc(sizeof(*next));
	if (current(f, cur) < 0)
		membership_from_config(cur, cfg);
	joining = cstr(&q.joining);
	leaving = cstr(&q.leaving);
	members = cstr(&q.members);
	if (q.cur_config_id != -1 && (uint64_t)q.cur_config_id != cur->version)
		err = ZBADVERSION;
	else if (membership_reconfig(cur, joining, leaving, members,
	    cfg->standalone_enabled, next, why, sizeof(why)) < 0) {
		log_info("client=%s: reconfig refused: %s", c->peer, why);
		err = ZBADARGUMENTS;
	} else if ((err = sm_check_perm(f->sm, "/zookeeper/config",
	    ACL_WRITE, r->auth, r->auth_len)) == 0 &&
	    membership_check_ids(next, why, sizeof(why)) < 0) {
		log_info("client=%s: reconfig refused: %s", c->peer, why);
		err = ZBADARGUMENTS;
	}
	if (err == 0) {
		text = xmalloc(MEMBERSHIP_TEXT_MAX);
		q.members.len = (int32_t)membership_format(next, 0, text,
		    MEMBERSHIP_TEXT_MAX);
		q.members.p = (const uint8_t *)text;
		q.joining.len = q.leaving.len = -1;
		q.cur_config_id = (int64_t)cur->version;
		jute_writer_init(&w);
		jute_put_reconfig_req(&w, &q);
		free(r->payload);
		r->payload = w.buf;	/* the writer's buffer, now the req's */
		r->len = w.len;
		log_info("client=%s: reconfig from version %llx submitted",
		    c->peer, (unsigned long long)cur->version);
	}
	free(text);
	free(joining);
	free(leaving);
	free(members);
	free(cur);
	free(next);
	return err;
}
