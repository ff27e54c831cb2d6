/*
 * The election shell (election/election.c) between the replicator and the
 * network: what it does with notifications that arrive while it is not
 * looking, fed as election_net.c would feed them. election_net.c is
 * replaced by stubs that record what would be sent, so no socket is used.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "election/election.c"
#include "election/election_round.c"
#include "election/election_vote.c"

#define L	ELECTION_LOOKING

/* --- election_net.c, recorded --- */

struct election_net {
	int	unused;
};

struct sent {
	uint32_t		to;
	struct election_vote	v;
};

static struct sent sent[64];
static int nsent;

static void
record(uint32_t sid, const struct election_vote *v)
{
	if (nsent < (int)(sizeof(sent) / sizeof(sent[0])))
		sent[nsent++] = (struct sent){ sid, *v };
}

struct election_net *
election_net_new(struct election *e)
{
	(void)e;
	return NULL;
}

void
election_net_destroy(struct election_net **netp)
{
	*netp = NULL;
}

void
election_net_reconfig(struct election_net *net)
{
	(void)net;
}

void
election_net_send(struct election_net *net, uint32_t sid,
    const struct election_vote *v)
{
	(void)net;
	record(sid, v);
}

void
election_net_reply(struct election_net *net, uint32_t sid,
    const struct election_vote *v)
{
	(void)net;
	record(sid, v);
}

void
election_net_send_voters(struct election_net *net,
    const struct election_vote *v)
{
	(void)net;
	for (uint32_t sid = 1; sid <= 3; sid++)
		if (sid != v->sid)
			record(sid, v);
}

/* --- a 3-voter ensemble, we are sid 1 --- */

static struct child child;
static struct election_net net;

static void
setup(struct election *e)
{
	memset(&child, 0, sizeof(child));
	child.role = "election";
	child.loop = loop_new();
	for (int i = 0; i < 3; i++) {
		child.cfg.servers[i].id = (uint32_t)i + 1;
		child.cfg.servers[i].type = CONFIG_PARTICIPANT;
	}
	child.cfg.nservers = 3;
	child.cfg.myid = 1;
	memset(e, 0, sizeof(*e));
	e->c = &child;
	e->net = &net;
	e->round.myid = 1;
	e->notify_ms = ELECTION_NOTIFY_MIN;
	e->state = ELECTION_LOOKING;
	nsent = 0;
}

static void
teardown(void)
{
	loop_destroy(&child.loop);
}

/* The replicator: LOOKING with our last zxid and epoch. */
static void
replicator_looking(struct election *e, uint64_t zxid, uint64_t epoch)
{
	Envelope env = msg_env(MsgType_ELECTION_LOOKING);

	env.zxid = zxid;
	env.seq = epoch;
	on_looking(e, &env);
}

/* The replicator: following leader sid in epoch. */
static void
replicator_settled(struct election *e, uint32_t leader, uint64_t epoch)
{
	Envelope env = msg_env(MsgType_ELECTION_SETTLED);

	env.arg = ELECTION_FOLLOWING;
	env.origin = leader;
	env.seq = epoch;
	on_settled(e, &env);
}

/* Round 1 elected sid 3, we follow it; now it is gone. */
static void
follow_3(struct election *e)
{
	struct election_vote v3 = { 3, 0x100000005, 1, 1, L, 3 };

	replicator_looking(e, 0x100000005, 1);
	election_receive(e, &v3);
	replicator_settled(e, 3, 2);
	assert_int_equal(e->state, ELECTION_FOLLOWING);
	nsent = 0;
}

/*
 * sid 2 lost the leader a moment before our replicator did: its vote for
 * itself (better than ours: same log, higher sid) came while we still
 * followed. Our round must take it in, or we both wait for a timeout,
 * since sid 2 does not answer our worse vote.
 */
static void
test_vote_before_our_round(void **state)
{
	struct election e;
	struct election_vote v2 = { 2, 0x200000009, 2, 2, L, 2 };

	(void)state;
	setup(&e);
	follow_3(&e);
	election_receive(&e, &v2);
	/* answered with the leader we still follow, as ZooKeeper does */
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].to, 2);
	assert_int_equal(sent[0].v.leader, 3);
	assert_int_equal(sent[0].v.state, ELECTION_FOLLOWING);

	replicator_looking(&e, 0x200000009, 2);
	if (e.round.proposal.leader != 2)
		fail_msg("proposal: got sid=%u, want sid=2 (the held vote)",
		    e.round.proposal.leader);
	if (e.finalize_timer == 0)
		fail_msg("got no finalize wait, want one: 1 and 2 vote for 2");
	/* and sid 2 hears that we vote for it now */
	assert_true(nsent >= 1);
	assert_int_equal(sent[nsent - 1].v.leader, 2);
	assert_int_equal(sent[nsent - 1].v.election_epoch, 2);
	/* taken once */
	assert_int_equal(e.held[election_vote_index(&child.cfg, 2)].sid, 0);
	teardown();
}

/* A held vote older than ELECTION_HELD_MS is not counted. */
static void
test_stale_vote_not_taken(void **state)
{
	struct election e;
	struct election_vote v2 = { 2, 0x200000009, 2, 2, L, 2 };

	(void)state;
	setup(&e);
	follow_3(&e);
	election_receive(&e, &v2);
	e.held_ms[election_vote_index(&child.cfg, 2)] -= ELECTION_HELD_MS + 1;
	replicator_looking(&e, 0x200000009, 2);
	if (e.round.proposal.leader != 1)
		fail_msg("proposal: got sid=%u, want sid=1 (stale vote)",
		    e.round.proposal.leader);
	assert_int_equal(e.finalize_timer, 0);
	teardown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vote_before_our_round),
		cmocka_unit_test(test_stale_vote_not_taken),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
