/*
 * The systemd STATUS= line (supervisor_notify_summary), from tables of
 * child states. The module is compiled in directly: sd_notify comes from
 * libsystemd, which the common library already links.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "supervisor/supervisor_notify.c"

static const struct supervisor_role store = { "store", 0, 0 };
static const struct supervisor_role election = { "election", 1, 0 };
static const struct supervisor_role frontend = { "frontend", 3, 1 };

#define R	SUPERVISOR_CHILD_READY
#define S	SUPERVISOR_CHILD_STARTING
#define D	SUPERVISOR_CHILD_DOWN

struct sum_case {
	enum supervisor_child_state st[4];	/* store, election, fe, fe */
	size_t		 n;
	int		 stopping;
	int		 served;
	const char	*want;
};

static const struct sum_case sum_cases[] = {
	{ { R, R, R, R }, 4, 0, 1,
	    "serving: store up, election up, frontend x2 up" },
	{ { R, R, R }, 3, 0, 1,
	    "serving: store up, election up, frontend up" },
	{ { S, S, S, S }, 4, 0, 0,
	    "starting: store starting, election starting, frontend 0/2 up" },
	{ { R, D, R, S }, 4, 0, 0,
	    "starting: store up, election down, frontend 1/2 up" },
	{ { R, D, R, R }, 4, 0, 1,
	    "degraded: store up, election down, frontend x2 up" },
	{ { R, R, R, R }, 4, 1, 1,
	    "stopping: store up, election up, frontend x2 up" },
};

static void
test_summary(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sum_cases) / sizeof(sum_cases[0]); i++) {
		const struct sum_case *sc = &sum_cases[i];
		const struct supervisor_role *roles[4] = { &store, &election,
		    &frontend, &frontend };
		struct supervisor_child c[4];
		char buf[256];

		memset(c, 0, sizeof(c));
		for (size_t k = 0; k < sc->n; k++) {
			c[k].role = roles[k];
			c[k].state = sc->st[k];
		}
		supervisor_notify_summary(c, sc->n, sc->stopping, sc->served,
		    buf, sizeof(buf));
		if (strcmp(buf, sc->want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, buf,
			    sc->want);
	}
}

/* A tiny buffer truncates, never overflows. */
static void
test_summary_short(void **state)
{
	struct supervisor_child c[2];
	char buf[12];

	(void)state;
	memset(c, 0, sizeof(c));
	c[0].role = &store;
	c[1].role = &election;
	supervisor_notify_summary(c, 2, 0, 0, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
