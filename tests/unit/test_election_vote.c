/*
 * FastLeaderElection rules (election/election_vote.c) and one round
 * (election/election_round.c), as tables: totalOrderPredicate, Vote.equals,
 * termPredicate over participants, checkLeader, the notification codec on
 * malformed input (cf. FLEMalformedNotificationMessageTest), and rounds
 * fed notification by notification. Both modules are pure, so the test
 * compiles them in directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "election/election_vote.c"
#include "election/election_round.c"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define L		ELECTION_LOOKING
#define F		ELECTION_FOLLOWING
#define LD		ELECTION_LEADING
#define O		ELECTION_OBSERVING

/* servers 1..voters are participants, the next ones observers */
static struct config
ensemble(int voters, int observers, uint32_t myid)
{
	struct config c;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < voters + observers; i++) {
		c.servers[i].id = (uint32_t)i + 1;
		c.servers[i].type = i < voters ? CONFIG_PARTICIPANT :
		    CONFIG_OBSERVER;
	}
	c.nservers = voters + observers;
	c.myid = myid;
	return c;
}

/* vote(sid, state, leader, zxid, round, peerEpoch) */
static struct election_vote
vote(uint32_t sid, enum election_state st, uint32_t leader, uint64_t zxid,
    uint64_t round, uint64_t epoch)
{
	struct election_vote v = { leader, zxid, round, epoch, st, sid };

	return v;
}

/* --- totalOrderPredicate --- */

struct better_case {
	const char	*name;
	uint32_t	 nl;
	uint64_t	 nz, ne;
	uint32_t	 cl;
	uint64_t	 cz, ce;
	int		 want;
};

static const struct better_case better_cases[] = {
	{ "higher peerEpoch wins over higher zxid", 1, 5, 3, 3, 9, 2, 1 },
	{ "lower peerEpoch loses", 3, 9, 2, 1, 5, 3, 0 },
	{ "same epoch, higher zxid wins", 1, 0x200000005, 2, 3,
	    0x200000004, 2, 1 },
	{ "same epoch, lower zxid loses", 3, 4, 2, 1, 5, 2, 0 },
	{ "same epoch and zxid, higher sid wins", 3, 5, 2, 2, 5, 2, 1 },
	{ "same epoch and zxid, lower sid loses", 1, 5, 2, 2, 5, 2, 0 },
	{ "identical vote is not better", 2, 5, 2, 2, 5, 2, 0 },
	{ "vote for an observer never wins", 4, 99, 99, 1, 0, 0, 0 },
	{ "vote for an unknown sid never wins", 9, 99, 99, 1, 0, 0, 0 },
	{ "anything beats no proposal (observer's)", 1, 0, 0, 0, 0, 0, 1 },
	{ "empty logs: sid decides", 3, 0, 0, 2, 0, 0, 1 },
};

static void
test_better(void **state)
{
	struct config cfg = ensemble(3, 1, 1);

	(void)state;
	for (size_t i = 0; i < NELEM(better_cases); i++) {
		const struct better_case *t = &better_cases[i];
		struct election_vote nv = vote(1, L, t->nl, t->nz, 1, t->ne);
		struct election_vote cv = vote(1, L, t->cl, t->cz, 1, t->ce);
		int got = election_vote_better(&nv, &cv, &cfg);

		if (got != t->want)
			fail_msg("%s: got %d, want %d", t->name, got, t->want);
	}
}

/* --- Vote.equals --- */

struct equal_case {
	const char		*name;
	struct election_vote	 a, b;
	int			 want;
};

static const struct equal_case equal_cases[] = {
	{ "same LOOKING votes", { 2, 7, 3, 1, L, 1 }, { 2, 7, 3, 1, L, 3 }, 1 },
	{ "LOOKING, other round", { 2, 7, 3, 1, L, 1 }, { 2, 7, 4, 1, L, 1 },
	    0 },
	{ "LOOKING, other zxid", { 2, 7, 3, 1, L, 1 }, { 2, 8, 3, 1, L, 1 },
	    0 },
	{ "LOOKING vs FOLLOWING compares all", { 2, 7, 3, 1, L, 1 },
	    { 2, 7, 4, 1, F, 1 }, 0 },
	{ "out of election: zxid and round ignored", { 2, 7, 3, 1, F, 1 },
	    { 2, 9, 5, 1, LD, 2 }, 1 },
	{ "out of election: epoch counts", { 2, 7, 3, 1, F, 1 },
	    { 2, 7, 3, 2, LD, 2 }, 0 },
	{ "out of election: leader counts", { 2, 7, 3, 1, F, 1 },
	    { 3, 7, 3, 1, F, 1 }, 0 },
};

static void
test_equal(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(equal_cases); i++) {
		const struct equal_case *t = &equal_cases[i];
		int got = election_vote_equal(&t->a, &t->b);

		if (got != t->want)
			fail_msg("%s: got %d, want %d", t->name, got, t->want);
	}
}

/* --- termPredicate --- */

struct quorum_case {
	const char		*name;
	int			 voters, observers;
	struct election_vote	 votes[8];
	int			 n;
	int			 want;
};

/* target: leader 3, zxid 5, round 1, epoch 1, LOOKING */
static const struct quorum_case quorum_cases[] = {
	{ "3 voters, 2 agree", 3, 0, { { 3, 5, 1, 1, L, 1 },
	    { 3, 5, 1, 1, L, 3 } }, 2, 1 },
	{ "3 voters, 1 agrees", 3, 0, { { 3, 5, 1, 1, L, 1 },
	    { 2, 5, 1, 1, L, 2 } }, 2, 0 },
	{ "3 voters, same sid twice counts once", 3, 0, { { 3, 5, 1, 1, L, 1 },
	    { 3, 5, 1, 1, L, 1 } }, 2, 0 },
	{ "5 voters, 2 agree", 5, 0, { { 3, 5, 1, 1, L, 1 },
	    { 3, 5, 1, 1, L, 2 } }, 2, 0 },
	{ "5 voters, 3 agree", 5, 0, { { 3, 5, 1, 1, L, 1 },
	    { 3, 5, 1, 1, L, 2 }, { 3, 5, 1, 1, L, 4 } }, 3, 1 },
	{ "4 voters, 2 agree is no majority", 4, 0, { { 3, 5, 1, 1, L, 1 },
	    { 3, 5, 1, 1, L, 3 } }, 2, 0 },
	{ "3 voters + 2 observers, observers never count", 3, 2,
	    { { 3, 5, 1, 1, L, 3 }, { 3, 5, 1, 1, L, 4 },
	    { 3, 5, 1, 1, L, 5 } }, 3, 0 },
	{ "3 voters + 2 observers, 2 voters suffice", 3, 2,
	    { { 3, 5, 1, 1, L, 3 }, { 3, 5, 1, 1, L, 2 } }, 2, 1 },
	{ "empty slots (sid 0) ignored", 3, 0, { { 3, 5, 1, 1, L, 0 },
	    { 3, 5, 1, 1, L, 0 }, { 3, 5, 1, 1, L, 1 } }, 3, 0 },
	{ "other round does not count", 3, 0, { { 3, 5, 2, 1, L, 1 },
	    { 3, 5, 1, 1, L, 3 } }, 2, 0 },
};

static void
test_quorum(void **state)
{
	struct election_vote target = vote(0, L, 3, 5, 1, 1);

	(void)state;
	for (size_t i = 0; i < NELEM(quorum_cases); i++) {
		const struct quorum_case *t = &quorum_cases[i];
		struct config cfg = ensemble(t->voters, t->observers, 1);
		int got = election_quorum_reached(t->votes, t->n, &target,
		    &cfg);

		if (got != t->want)
			fail_msg("%s: got %d, want %d", t->name, got, t->want);
	}
}

/* --- checkLeader --- */

struct check_case {
	const char		*name;
	struct election_vote	 votes[4];
	int			 n;
	uint32_t		 leader;
	uint64_t		 round, clock;
	int			 want;
};

static const struct check_case check_cases[] = {
	{ "leader said LEADING", { { 3, 5, 1, 1, LD, 3 },
	    { 3, 5, 1, 1, F, 2 } }, 2, 3, 1, 1, 1 },
	{ "leader only FOLLOWING itself", { { 3, 5, 1, 1, F, 3 },
	    { 3, 5, 1, 1, F, 2 } }, 2, 3, 1, 1, 0 },
	{ "leader never heard from (it may be dead)", { { 3, 5, 1, 1, F, 2 },
	    { 3, 5, 1, 1, F, 1 } }, 2, 3, 1, 1, 0 },
	{ "we are the leader, our round", { { 1, 5, 4, 1, F, 2 } }, 1,
	    1, 4, 4, 1 },
	{ "we are the leader, another round", { { 1, 5, 3, 1, F, 2 } }, 1,
	    1, 3, 4, 0 },
};

static void
test_check_leader(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(check_cases); i++) {
		const struct check_case *t = &check_cases[i];
		int got = election_vote_check_leader(t->votes, t->n, t->leader,
		    t->round, 1, t->clock);

		if (got != t->want)
			fail_msg("%s: got %d, want %d", t->name, got, t->want);
	}
}

/* --- the codec --- */

static void
test_codec_roundtrip(void **state)
{
	struct config cfg = ensemble(3, 1, 1);
	struct election_vote in = vote(2, F, 3, 0x500000007, 9, 5), out;
	uint8_t buf[ELECTION_NOTIFICATION_MAX];
	const char *why = NULL;
	size_t n;

	(void)state;
	n = election_vote_encode(&in, buf, sizeof(buf));
	if (n == 0)
		fail_msg("encode: got 0 bytes, want some");
	if (election_vote_decode(buf, n, &cfg, &out, &why) != 0)
		fail_msg("decode: got error %s, want 0", why);
	if (memcmp(&in, &out, sizeof(in)) != 0)
		fail_msg("round trip: got leader=%u sid=%u state=%d, want "
		    "leader=%u sid=%u state=%d", out.leader, out.sid,
		    out.state, in.leader, in.sid, in.state);
}

struct malformed_case {
	const char	*name;
	uint8_t		 bytes[80];
	size_t		 len;
	const char	*want;		/* NULL: decodes */
};

static const struct malformed_case malformed_cases[] = {
	{ "empty frame", { 0 }, 0, "empty" },
	{ "ZooKeeper's 40-byte binary notification",
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	    40, "does not decode" },
	{ "truncated varint", { 0x08, 0x80 }, 2, "does not decode" },
	{ "wrong wire type for leader", { 0x0a, 0x01, 0x03 }, 3,
	    "does not decode" },
	{ "length past the end", { 0x2a, 0x10, 0x01 }, 3, "does not decode" },
	{ "text", "GET / HTTP/1.0\r\n\r\n", 18, "does not decode" },
	{ "too long", { 0 }, ELECTION_NOTIFICATION_MAX + 1, "too long" },
	{ "no fields: sid 0", { 0x08, 0x00 }, 2,
	    "sender is not a server id (1..254)" },
	{ "unknown state 4", { 0x28, 0x04, 0x30, 0x02 }, 4, "unknown state" },
	{ "unknown state 2^32-1", { 0x28, 0xff, 0xff, 0xff, 0xff, 0x0f,
	    0x30, 0x02 }, 8, "unknown state" },
	{ "sender 255", { 0x30, 0xff, 0x01 }, 3,
	    "sender is not a server id (1..254)" },
	{ "leader 255", { 0x08, 0xff, 0x01, 0x30, 0x02 }, 5,
	    "leader is not a server id (1..254)" },
	/* a server joining by reconfig is heard (and answered) */
	{ "valid: sender not in the config", { 0x30, 0x09 }, 2, NULL },
	{ "valid: leader not in the config", { 0x08, 0x09, 0x30, 0x02 }, 4,
	    NULL },
	{ "valid: sid 2 LOOKING for 3", { 0x08, 0x03, 0x30, 0x02 }, 4, NULL },
	{ "valid: unknown field skipped", { 0x38, 0x01, 0x30, 0x02 }, 4,
	    NULL },
};

static void
test_codec_malformed(void **state)
{
	struct config cfg = ensemble(3, 1, 1);

	(void)state;
	for (size_t i = 0; i < NELEM(malformed_cases); i++) {
		const struct malformed_case *t = &malformed_cases[i];
		uint8_t buf[ELECTION_NOTIFICATION_MAX + 8];
		struct election_vote v;
		const char *why = NULL;
		int rc;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, t->bytes, t->len < sizeof(t->bytes) ?
		    t->len : sizeof(t->bytes));
		rc = election_vote_decode(buf, t->len, &cfg, &v, &why);
		if (t->want == NULL && rc != 0)
			fail_msg("%s: got error '%s', want success", t->name,
			    why);
		if (t->want != NULL && (rc == 0 || strcmp(why, t->want) != 0))
			fail_msg("%s: got rc %d '%s', want '%s'", t->name, rc,
			    rc == 0 ? "" : why, t->want);
	}
}

/* --- rounds, notification by notification --- */

struct step {
	struct election_vote	n;
	int			want_steps;
	uint32_t		want_leader;	/* proposal, or the decision */
	enum election_state	want_state;	/* when DECIDED */
};

struct round_case {
	const char	*name;
	int		 voters, observers;
	uint32_t	 myid;
	uint64_t	 zxid, epoch;	/* our log */
	uint64_t	 clock;		/* logical clock before start */
	int		 want_start;
	struct step	 steps[8];
	int		 nsteps;
};

#define N	ELECTION_STEP_NOTIFY
#define Q	ELECTION_STEP_QUORUM
#define D	ELECTION_STEP_DECIDED

static const struct round_case round_cases[] = {
	{ "3 voters: the best log wins, not the highest sid", 3, 0, 1,
	    0x100000009, 1, 0, N, {
	    { { 2, 0x100000003, 1, 1, L, 2 }, 0, 1, 0 },
	    { { 3, 0x100000005, 1, 1, L, 3 }, 0, 1, 0 },
	    { { 1, 0x100000009, 1, 1, L, 2 }, Q, 1, 0 } }, 3 },
	{ "3 voters: adopt a better vote, quorum with it", 3, 0, 1, 5, 1, 0,
	    N, {
	    { { 3, 5, 1, 1, L, 3 }, N | Q, 3, 0 } }, 1 },
	{ "peerEpoch beats zxid", 3, 0, 3, 0x100000050, 1, 0, N, {
	    { { 1, 0x200000001, 1, 2, L, 1 }, N | Q, 1, 0 } }, 1 },
	{ "older round ignored", 3, 0, 1, 5, 1, 4, N, {
	    { { 3, 9, 2, 1, L, 3 }, 0, 1, 0 } }, 1 },
	{ "newer round resets, keeps our better vote", 3, 0, 3, 9, 1, 0, N, {
	    { { 2, 5, 1, 1, L, 2 }, 0, 3, 0 },
	    { { 2, 5, 7, 1, L, 1 }, N, 3, 0 },
	    /* sid 2 still votes for itself: no quorum yet */
	    { { 2, 5, 7, 1, L, 2 }, 0, 3, 0 },
	    { { 3, 9, 7, 1, L, 2 }, Q, 3, 0 } }, 4 },
	{ "newer round resets, adopts their better vote", 3, 0, 1, 5, 1, 0,
	    N, {
	    { { 3, 9, 6, 1, L, 3 }, N | Q, 3, 0 } }, 1 },
	{ "vote for an observer ignored", 3, 1, 1, 5, 1, 0, N, {
	    { { 4, 99, 1, 9, L, 2 }, 0, 1, 0 } }, 1 },
	{ "observer's notification ignored", 3, 1, 1, 5, 1, 0, N, {
	    { { 1, 5, 1, 1, L, 4 }, 0, 1, 0 } }, 1 },
	{ "late joiner: followers and the leader agree", 3, 0, 1, 5, 1, 0, N, {
	    { { 3, 9, 4, 2, F, 2 }, 0, 1, 0 },
	    { { 3, 9, 4, 2, LD, 3 }, D, 3, F } }, 2 },
	{ "late joiner: a quorum of followers but no LEADING", 5, 0, 1, 5, 1,
	    0, N, {
	    { { 3, 9, 4, 2, F, 2 }, 0, 1, 0 },
	    { { 3, 9, 4, 2, F, 4 }, 0, 1, 0 },
	    { { 3, 9, 4, 2, F, 5 }, 0, 1, 0 },
	    { { 3, 9, 4, 2, LD, 3 }, D, 3, F } }, 4 },
	{ "late joiner: followers joined in other rounds", 3, 0, 1, 5, 1, 0,
	    N, {
	    { { 3, 9, 6, 2, F, 2 }, 0, 1, 0 },
	    { { 3, 7, 4, 2, LD, 3 }, D, 3, F } }, 2 },
	{ "late joiner: followers of another epoch disagree", 3, 0, 1, 5, 1,
	    0, N, {
	    { { 3, 9, 6, 1, F, 2 }, 0, 1, 0 },
	    { { 3, 9, 4, 2, LD, 3 }, 0, 1, 0 } }, 2 },
	{ "everyone else follows us: we lead (our round)", 3, 0, 1, 5, 1, 0,
	    N, {
	    { { 1, 5, 1, 1, F, 2 }, D, 1, LD } }, 1 },
	{ "observer adopts the voters' vote and observes", 3, 1, 4, 0, 0, 0,
	    N, {
	    { { 3, 9, 1, 1, L, 3 }, N, 3, 0 },
	    { { 3, 9, 1, 1, L, 2 }, Q, 3, 0 } }, 2 },
	{ "observer learns a sitting leader", 3, 1, 4, 0, 0, 0, N, {
	    { { 2, 9, 3, 1, F, 1 }, 0, 0, 0 },
	    { { 2, 9, 3, 1, LD, 2 }, D, 2, O } }, 2 },
	{ "one voter and an observer: we decide alone", 1, 1, 1, 5, 1, 0,
	    N | Q, { { { 0 }, 0, 0, 0 } }, 0 },
};

static void
run_round(const struct round_case *t)
{
	struct config cfg = ensemble(t->voters, t->observers, t->myid);
	struct election_round r;
	int got;

	memset(&r, 0, sizeof(r));
	r.myid = t->myid;
	r.logicalclock = t->clock;
	got = election_round_start(&r, &cfg, t->zxid, t->epoch);
	if (got != t->want_start)
		fail_msg("%s: start: got steps %d, want %d", t->name, got,
		    t->want_start);
	for (int i = 0; i < t->nsteps; i++) {
		const struct step *s = &t->steps[i];
		struct election_vote out;

		memset(&out, 0, sizeof(out));
		got = election_round_receive(&r, &cfg, &s->n, &out);
		if (got != s->want_steps)
			fail_msg("%s: step %d: got steps %d, want %d",
			    t->name, i, got, s->want_steps);
		if (got & ELECTION_STEP_DECIDED) {
			if (out.leader != s->want_leader ||
			    out.state != s->want_state)
				fail_msg("%s: step %d: got leader %u %s, want "
				    "%u %s", t->name, i, out.leader,
				    election_state_name(out.state),
				    s->want_leader,
				    election_state_name(s->want_state));
		} else if (r.proposal.leader != s->want_leader)
			fail_msg("%s: step %d: got proposal %u, want %u",
			    t->name, i, r.proposal.leader, s->want_leader);
	}
}

static void
test_rounds(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(round_cases); i++)
		run_round(&round_cases[i]);
}

static void
test_finalize_interrupt(void **state)
{
	struct config cfg = ensemble(3, 0, 1);
	struct election_round r;
	struct election_vote out, worse = vote(2, L, 1, 1, 1, 1),
	    better = vote(2, L, 2, 9, 1, 1), observer = vote(4, L, 2, 9, 1, 1);

	(void)state;
	memset(&r, 0, sizeof(r));
	r.myid = 1;
	election_round_start(&r, &cfg, 5, 1);
	if (election_round_interrupts(&r, &cfg, &worse))
		fail_msg("worse vote: got interrupt, want none");
	if (!election_round_interrupts(&r, &cfg, &better))
		fail_msg("better vote: got none, want interrupt");
	if (election_round_interrupts(&r, &cfg, &observer))
		fail_msg("non-voter: got interrupt, want none");
	election_round_decide(&r, &out);
	if (out.leader != 1 || out.state != ELECTION_LEADING ||
	    out.election_epoch != 1)
		fail_msg("decide: got %u %s round %llu, want 1 LEADING round 1",
		    out.leader, election_state_name(out.state),
		    (unsigned long long)out.election_epoch);
}

/* election_state_name() lives in election.c, which the test leaves out. */
const char *
election_state_name(enum election_state s)
{
	static const char *names[] = { "LOOKING", "FOLLOWING", "LEADING",
	    "OBSERVING", "STANDALONE" };

	return (unsigned)s < NELEM(names) ? names[s] : "unknown";
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_better),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_check_leader),
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_malformed),
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_finalize_interrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
