/*
 * Dynamic membership, as ZooKeeper 3.5+ runs it (Leader.propose with a
 * QuorumVerifier, tryToCommit, processReconfig):
 *   stamp     the leader refuses a reconfig while another is in flight
 *             (ReconfigInProgress), one computed from an older membership
 *             than ours (BadVersion), or one whose new voters are not
 *             mostly connected and synced (NewConfigNoQuorum): it then
 *             proposes ZooKeeper's ErrorTxn instead, the zxid is spent;
 *   commit    from the reconfig's zxid on, a commit needs a quorum of the
 *             old voters and one of the new;
 *   activate  when it commits, every replica switches to the new
 *             membership: quorums, its durable copy (dataDir/membership),
 *             the election's peers. A server whose role changed rejoins
 *             (looking); one outside the membership learns without a vote.
 * Learners that sync past the reconfig by snapshot learn the membership
 * from UPTODATE, which carries the leader's.
 */
#include "replicator/replicator.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/jute.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/membership.h"
#include "common/xmalloc.h"
#include "common/zxid.h"

#define nitems(a)		(sizeof(a) / sizeof((a)[0]))
#define OP_RECONFIG		16
#define OP_ERROR		(-1)
#define ZNEWCONFIGNOQUORUM	(-13)
#define ZRECONFIGINPROGRESS	(-14)
#define ZBADVERSION		(-103)

int
replicator_is_voter(const struct replicator *r, uint32_t sid)
{
	const struct config *cfg = &r->c->cfg;

	return config_server_role(cfg->servers, cfg->nservers, sid);
}

size_t
replicator_nvoters(const struct replicator *r)
{
	const struct config *cfg = &r->c->cfg;

	return (size_t)config_server_voters(cfg->servers, cfg->nservers);
}

/* The member list a reconfig command carries (frontend_reconfig.c). */
static int
command_members(const void *payload, size_t len, struct membership *m,
    uint64_t *base)
{
	struct zk_reconfig_req q;
	struct jute_reader rd;
	char why[256];

	jute_reader_init(&rd, payload, len);
	if (jute_get_reconfig_req(&rd, &q) < 0 || q.members.len < 0)
		return -1;
	*base = (uint64_t)q.cur_config_id;
	if (membership_parse(m, (const char *)q.members.p,
	    (size_t)q.members.len, why, sizeof(why)) < 0) {
		log_warnx("reconfig command does not parse: %s", why);
		return -1;
	}
	return 0;
}

/* A learner synced with us that votes in membership m. */
static int
synced_voter(const struct learner *l, const struct membership *m)
{
	return l->state >= LEARNER_SYNCED && !l->observer &&
	    membership_role(m, l->sid) == 1;
}

/* isQuorumSynced: most new voters are us or learners synced with us. */
static int
quorum_synced(const struct replicator *r, const struct membership *next)
{
	int voters = membership_voters(next);
	int synced = membership_role(next, r->myid) == 1;

	for (size_t i = 0; i < r->nlearners; i++)
		synced += synced_voter(r->learners[i], next);
	return 2 * synced > voters;
}

const void *
replicator_reconfig_stamp(struct replicator *r, Command *h,
    const void *payload, size_t *len, uint8_t errbuf[4])
{
	struct membership *next = xmalloc(sizeof(*next));
	int32_t err = 0;
	uint64_t base;

	if (r->reconfig_pending != NULL)
		err = ZRECONFIGINPROGRESS;
	else if (command_members(payload, *len, next, &base) < 0)
		err = ZNEWCONFIGNOQUORUM;	/* not ours: refuse it */
	else if (base != r->c->cfg.membership_version)
		err = ZBADVERSION;
	else if (!quorum_synced(r, next))
		err = ZNEWCONFIGNOQUORUM;
	if (err == 0) {
		r->reconfig_pending = next;
		return payload;
	}
	free(next);
	log_info("reconfig from session 0x%" PRIx64 " refused: %d",
	    h->session, err);
	h->opcode = OP_ERROR;
	errbuf[0] = (uint8_t)((uint32_t)err >> 24);
	errbuf[1] = (uint8_t)((uint32_t)err >> 16);
	errbuf[2] = (uint8_t)((uint32_t)err >> 8);
	errbuf[3] = (uint8_t)(uint32_t)err;
	*len = 4;
	return errbuf;
}

void
replicator_reconfig_proposed(struct replicator *r, const Command *h)
{
	if (r->reconfig_pending != NULL && r->reconfig_zxid == 0) {
		r->reconfig_zxid = h->zxid;
		r->reconfig_prev = h->prev_zxid;
	}
}

/* acked[] of the voters of m: us (durable in our store) and learners. */
static uint64_t
quorum_of(const struct replicator *r, const struct membership *m)
{
	uint64_t acked[1 + CONFIG_MAX_SERVERS];
	size_t n = 0;

	if (membership_role(m, r->myid) == 1)
		acked[n++] = r->store_logged;
	for (size_t i = 0; i < r->nlearners && n < nitems(acked); i++) {
		const struct learner *l = r->learners[i];

		if (synced_voter(l, m))
			acked[n++] = l->acked;
	}
	return replicator_quorum_commit(acked, n,
	    (size_t)membership_voters(m));
}

uint64_t
replicator_reconfig_limit(const struct replicator *r, uint64_t c)
{
	uint64_t cn;

	if (r->reconfig_pending == NULL || r->reconfig_zxid == 0 ||
	    c < r->reconfig_zxid)
		return c;
	cn = quorum_of(r, r->reconfig_pending);
	if (cn >= r->reconfig_zxid)
		return cn < c ? cn : c;
	return r->reconfig_prev;
}

static void
tell_election(struct replicator *r, const struct membership *m)
{
	Envelope env = msg_env(MsgType_ELECTION_CONFIG);
	char *text = xmalloc(MEMBERSHIP_TEXT_MAX);
	size_t len = membership_format(m, 1, text, MEMBERSHIP_TEXT_MAX);

	env.zxid = m->version;
	msg_send(r->election, NULL, 0, &env, text, len);
	free(text);
}

static void
rejoin(struct loop *l, void *arg)
{
	struct replicator *r = arg;

	(void)l;
	if (r->reconfig_rejoin == NULL)
		return;
	replicator_go_looking(r, r->reconfig_rejoin);
	r->reconfig_rejoin = NULL;
}

/*
 * Switch to membership m (its version set). A server outside it goes on
 * learning as a non-voter, as in ZooKeeper (a joiner before its reconfig,
 * a removed server after); it keeps its own membership on disk, so a
 * restart finds it where it was.
 */
static void
install(struct replicator *r, const struct membership *m)
{
	struct config *cfg = &r->c->cfg;
	int now;

	if (m->version <= cfg->membership_version)
		return;
	now = membership_role(m, r->myid);
	membership_to_config(m, cfg);
	if (now >= 0 && membership_save(m, cfg->data_dir) < 0)
		log_warn("%s/%s: the new membership is not durable here",
		    cfg->data_dir, MEMBERSHIP_FILE);
	tell_election(r, m);
	log_info("membership version %" PRIx64 " active: %d servers, %zu "
	    "voters, we are %s", m->version, m->nservers,
	    replicator_nvoters(r), now == 1 ? "a participant" : now == 0 ?
	    "an observer" : "not a member (learning without a vote)");
	if (r->role == ROLE_LEADING) {
		for (size_t i = 0; i < r->nlearners; i++) {
			struct learner *l = r->learners[i];

			l->voter = !l->observer &&
			    replicator_is_voter(r, l->sid) == 1;
		}
	}
	/* after the commit at hand is out: the caller still walks state */
	if (r->role == ROLE_LEADING && now != 1)
		r->reconfig_rejoin = "no longer a voter: another leads";
	else if (r->role == ROLE_FOLLOWING && now >= 0 &&
	    now == r->observing)	/* a participant observing, or back */
		r->reconfig_rejoin = now == 1 ? "now a participant" :
		    "now an observer";
	if (r->reconfig_rejoin != NULL)
		loop_add_timer(r->c->loop, 0, 0, rejoin, r);
}

/*
 * Leader.lead (ZOOKEEPER-1783): with reconfig enabled, a membership still
 * at version 0 (zoo.cfg's) takes the new epoch's first zxid as its
 * version when a leader establishes it; learners take it from UPTODATE.
 */
void
replicator_reconfig_establish(struct replicator *r)
{
	struct membership *m;

	if (!r->c->cfg.reconfig_enabled || r->c->cfg.membership_version != 0)
		return;
	m = xmalloc(sizeof(*m));
	membership_from_config(m, &r->c->cfg);
	m->version = zxid_make((uint32_t)r->new_epoch, 0);
	install(r, m);
	free(m);
}

void
replicator_reconfig_committed(struct replicator *r, const struct proposal *p)
{
	struct membership *m;
	struct cmd c;
	uint64_t base;

	if (p->key.opcode != OP_RECONFIG || cmd_decode(p->val, p->vlen, &c) < 0)
		return;
	m = xmalloc(sizeof(*m));
	if (command_members(c.payload, c.len, m, &base) == 0) {
		m->version = p->key.zxid;
		install(r, m);
	}
	free(m);
	replicator_reconfig_abort(r);
}

void
replicator_reconfig_abort(struct replicator *r)
{
	free(r->reconfig_pending);
	r->reconfig_pending = NULL;
	r->reconfig_zxid = 0;
	r->reconfig_prev = 0;
}

size_t
replicator_reconfig_text(const struct replicator *r, char *buf, size_t len)
{
	struct membership *m = xmalloc(sizeof(*m));
	size_t n;

	membership_from_config(m, &r->c->cfg);
	n = membership_format(m, 1, buf, len);
	free(m);
	return n;
}

void
replicator_reconfig_learned(struct replicator *r, const uint8_t *text,
    size_t len)
{
	struct membership *m;
	char why[256];

	if (len == 0)
		return;
	m = xmalloc(sizeof(*m));
	if (membership_parse(m, (const char *)text, len, why, sizeof(why)) < 0)
		log_warnx("the leader's membership does not parse: %s", why);
	else if (m->version > r->c->cfg.membership_version)
		install(r, m);
	free(m);
}
