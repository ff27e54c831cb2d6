/*
 * Membership text and reconfig arithmetic (common/membership.c), checked
 * against what ZooKeeper 3.8 answers for the same requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/membership.h"

#define THREE \
	"server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n" \
	"server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182\n" \
	"server.3=127.0.0.1:2890:3890:participant;0.0.0.0:2183\n" \
	"version=100000000"

static struct membership cur, next;
static char why[512], text[MEMBERSHIP_TEXT_MAX];

static void
load_three(void)
{
	assert_int_equal(membership_parse(&cur, THREE, strlen(THREE), why,
	    sizeof(why)), 0);
}

/* What we print is what ZooKeeper's QuorumMaj.toString prints. */
static void
test_round_trip(void **state)
{
	(void)state;
	load_three();
	assert_int_equal(cur.nservers, 3);
	assert_int_equal(cur.version, 0x100000000ULL);
	assert_int_equal(membership_voters(&cur), 3);
	membership_format(&cur, 1, text, sizeof(text));
	assert_string_equal(text, THREE);
	membership_format(&cur, 0, text, sizeof(text));
	assert_int_equal(strncmp(text, THREE, strlen(text)), 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
}

static void
test_incremental(void **state)
{
	const char *obs = "server.100=0.0.0.0:4001:4002:observer;0.0.0.0:4003";

	(void)state;
	load_three();
	assert_int_equal(membership_reconfig(&cur, obs, NULL, NULL, 1, &next,
	    why, sizeof(why)), 0);
	assert_int_equal(next.nservers, 4);
	assert_int_equal(membership_voters(&next), 3);
	assert_int_equal(membership_role(&next, 100), 0);
	membership_format(&next, 0, text, sizeof(text));
	assert_non_null(strstr(text, obs));	/* kazoo's assertion */
	/* remove it again, and a voter; a role change replaces the line */
	cur = next;
	assert_int_equal(membership_reconfig(&cur, NULL, "100,3", NULL, 1,
	    &next, why, sizeof(why)), 0);
	assert_int_equal(next.nservers, 2);
	assert_int_equal(membership_role(&next, 3), -1);
	assert_int_equal(membership_reconfig(&cur,
	    "server.3=127.0.0.1:2890:3890:observer;2183", NULL, NULL, 1, &next,
	    why, sizeof(why)), 0);
	assert_int_equal(membership_role(&next, 3), 0);
	assert_int_equal(membership_voters(&next), 2);
	/* leaving an id that is not there: ZooKeeper ignores it */
	assert_int_equal(membership_reconfig(&cur, NULL, "42", NULL, 1, &next,
	    why, sizeof(why)), 0);
	assert_true(membership_same(&cur, &next));
}

static void
test_new_members(void **state)
{
	(void)state;
	load_three();
	assert_int_equal(membership_reconfig(&cur, NULL, NULL,
	    "server.1=127.0.0.1:2888:3888:participant;2181,"
	    "server.2=127.0.0.1:2889:3889;2182", 1, &next, why, sizeof(why)),
	    0);
	assert_int_equal(next.nservers, 2);
	assert_int_equal(membership_voters(&next), 2);
}

/* Every one of these is BadArguments in ZooKeeper 3.8. */
static void
test_bad(void **state)
{
	static const struct {
		const char *joining, *leaving, *members;
	} t[] = {
		{ "some thing", NULL, NULL },		/* kazoo test_bad_input */
		{ "server.5=a=b", NULL, NULL },
		{ "server.x=127.0.0.1:1:2;3", NULL, NULL },
		{ "server.5=127.0.0.1:4001:4002", NULL, NULL },	/* no client port */
		{ "server.5=127.0.0.1:2888:4002;4003", NULL, NULL },	/* dup addr */
		{ "server.5=127.0.0.1:0:4002;4003", NULL, NULL },
		{ NULL, "x", NULL },
		{ NULL, "1,2", NULL },			/* 1 voter left */
		{ NULL, NULL, "server.1=127.0.0.1:1:2;3" },	/* 1 voter */
		{ NULL, NULL, "garbage" },
		/* fuzz_membership: a newline would forge a line of its own */
		{ "server.5=a\nserver.6=b:1:2:participant;3", NULL, NULL },
		{ "server.5=a b:1:2;3", NULL, NULL },
		{ NULL, NULL, "server.1=127.0.0.1:1:2;3,server.2=127.0.0.1:1:5;6" },
	};

	(void)state;
	load_three();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (membership_reconfig(&cur, t[i].joining, t[i].leaving,
		    t[i].members, 1, &next, why, sizeof(why)) != -1)
			fail_msg("case %zu accepted", i);
	/* standaloneEnabled=false: one voter is enough */
	assert_int_equal(membership_reconfig(&cur, NULL, "1,2", NULL, 0,
	    &next, why, sizeof(why)), 0);
}

/* Syntax first, corral's id limit after ZooKeeper's checks. */
static void
test_ids(void **state)
{
	(void)state;
	load_three();
	assert_int_equal(membership_reconfig(&cur,
	    "server.999=0.0.0.0:1234:2345:observer;3456", NULL, NULL, 1, &next,
	    why, sizeof(why)), 0);
	assert_int_equal(membership_check_ids(&next, why, sizeof(why)), -1);
	assert_int_equal(membership_check_ids(&cur, why, sizeof(why)), 0);
}

static void
test_save_load(void **state)
{
	char dir[] = "/tmp/test_membership.XXXXXX", path[64];
	struct membership back;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(membership_load(&back, dir, why, sizeof(why)), 1);
	load_three();
	assert_int_equal(membership_save(&cur, dir), 0);
	assert_int_equal(membership_load(&back, dir, why, sizeof(why)), 0);
	assert_true(membership_same(&cur, &back));
	assert_int_equal(back.version, cur.version);
	snprintf(path, sizeof(path), "%s/%s", dir, MEMBERSHIP_FILE);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_new_members),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_save_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
