/* Table tests for the pure ZAB decisions (replicator/replicator_quorum.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "replicator/replicator_quorum.c"

static void
test_sync_choose(void **state)
{
	static const struct {
		const char	*name;
		uint64_t	 peer, ours, base;
		enum sync_mode	 want;
	} t[] = {
		{ "same zxid: empty diff", 0x100000005, 0x100000005, 0, SYNC_DIFF },
		{ "behind, inside the log", 0x100000002, 0x100000009, 0x100000001, SYNC_DIFF },
		{ "behind, at the log base", 0x100000001, 0x100000009, 0x100000001, SYNC_DIFF },
		{ "behind the log: snap", 0x100000000, 0x100000009, 0x100000001, SYNC_SNAP },
		{ "ahead: trunc", 0x10000000a, 0x100000009, 0, SYNC_TRUNC },
		{ "newer epoch ahead: trunc", 0x200000001, 0x100000009, 0, SYNC_TRUNC },
		{ "empty peer, full log", 0, 0x100000009, 0, SYNC_DIFF },
		{ "empty peer, trimmed log", 0, 0x100000009, 0x100000003, SYNC_SNAP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum sync_mode got = replicator_sync_choose(t[i].peer,
		    t[i].ours, t[i].base);

		if (got != t[i].want)
			fail_msg("%s: got %d, want %d", t[i].name, got,
			    t[i].want);
	}
}

static void
test_trunc_ok(void **state)
{
	(void)state;
	/* the peer's 0x100000009 diverged; our next entry is 0x10000000a */
	assert_true(replicator_sync_trunc_ok(0x10000000a, 0x100000009));
	/* ZooKeeper: "Cannot send TRUNC ... different epoch": SNAP instead */
	assert_false(replicator_sync_trunc_ok(0x200000001, 0x100000009));
}

static void
test_quorum_commit(void **state)
{
	static const struct {
		const char	*name;
		uint64_t	 acked[5];
		size_t		 n, voters;
		uint64_t	 want;
	} t[] = {
		{ "3 voters, all", { 5, 7, 9 }, 3, 3, 7 },
		{ "3 voters, two present", { 9, 4 }, 2, 3, 4 },
		{ "3 voters, one present", { 9 }, 1, 3, 0 },
		{ "5 voters", { 1, 2, 3, 4, 5 }, 5, 5, 3 },
		{ "5 voters, three present", { 8, 2, 6 }, 3, 5, 2 },
		{ "alone", { 4 }, 1, 1, 4 },
		{ "2 voters need both", { 4, 6 }, 2, 2, 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t got = replicator_quorum_commit(t[i].acked, t[i].n,
		    t[i].voters);

		if (got != t[i].want)
			fail_msg("%s: got %llu, want %llu", t[i].name,
			    (unsigned long long)got,
			    (unsigned long long)t[i].want);
	}
}

static void
test_next_zxid(void **state)
{
	(void)state;
	assert_true(replicator_next_zxid(0x100000005, 1) == 0x100000006);
	assert_true(replicator_next_zxid(0x100000005, 2) == 0x200000001);
	assert_true(replicator_next_zxid(0, 1) == 0x100000001);
	/* the counter never overflows: a new epoch instead */
	assert_true(replicator_next_zxid(0x1ffffffff, 1) == 0x200000001);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_choose),
		cmocka_unit_test(test_trunc_ok),
		cmocka_unit_test(test_quorum_commit),
		cmocka_unit_test(test_next_zxid),
	};

	return cmocka_run_group_tests_name("replicator_quorum", tests, NULL,
	    NULL);
}
