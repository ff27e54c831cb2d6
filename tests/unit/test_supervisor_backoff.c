/*
 * Restart throttling (supervisor/supervisor_backoff.c): delays and the
 * crash-loop window, as tables of crash times. The module is pure, so the
 * test compiles it in directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "supervisor/supervisor_backoff.c"

struct next_case {
	int	prev, want;
};

static const struct next_case next_cases[] = {
	{ 0, 100 }, { -1, 100 }, { 100, 200 }, { 200, 400 }, { 400, 800 },
	{ 800, 1600 }, { 1600, 3200 }, { 3200, 5000 }, { 5000, 5000 },
	{ 2500, 5000 }, { 2499, 4998 },
};

static void
test_next(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]);
	    i++) {
		int got = supervisor_backoff_next(next_cases[i].prev);

		if (got != next_cases[i].want)
			fail_msg("next(%d): got %d, want %d",
			    next_cases[i].prev, got, next_cases[i].want);
	}
}

/* One crash of a sequence: when, how long it had been READY, the answer. */
struct crash {
	uint64_t	at, ready_for;
	int		want;
};

struct seq_case {
	const char	*name;
	struct crash	 crashes[16];
	int		 n;
};

static const struct seq_case seq_cases[] = {
	{ "doubling to the cap", {
	    { 0, 0, 100 }, { 1000, 0, 200 }, { 2000, 0, 400 },
	    { 3000, 0, 800 }, { 4000, 0, 1600 }, { 5000, 0, 3200 },
	    { 6000, 0, 5000 }, { 7000, 0, 5000 } }, 8 },
	{ "stable run resets", {
	    { 0, 0, 100 }, { 1000, 0, 200 }, { 2000, 0, 400 },
	    { 20000, 10000, 100 }, { 21000, 9999, 200 } }, 5 },
	{ "ten crashes in a minute are tolerated", {
	    { 0, 0, 100 }, { 1, 0, 200 }, { 2, 0, 400 }, { 3, 0, 800 },
	    { 4, 0, 1600 }, { 5, 0, 3200 }, { 6, 0, 5000 }, { 7, 0, 5000 },
	    { 8, 0, 5000 }, { 9, 0, 5000 } }, 10 },
	{ "the eleventh within 60 s gives up", {
	    { 0, 0, 100 }, { 1, 0, 200 }, { 2, 0, 400 }, { 3, 0, 800 },
	    { 4, 0, 1600 }, { 5, 0, 3200 }, { 6, 0, 5000 }, { 7, 0, 5000 },
	    { 8, 0, 5000 }, { 9, 0, 5000 }, { 59999, 0, -1 } }, 11 },
	{ "the eleventh after 60 s goes on", {
	    { 0, 0, 100 }, { 1, 0, 200 }, { 2, 0, 400 }, { 3, 0, 800 },
	    { 4, 0, 1600 }, { 5, 0, 3200 }, { 6, 0, 5000 }, { 7, 0, 5000 },
	    { 8, 0, 5000 }, { 9, 0, 5000 }, { 60000, 0, 5000 },
	    { 60001, 0, 5000 }, { 70000, 0, 5000 } }, 13 },
	{ "window slides", {
	    { 0, 0, 100 }, { 10000, 0, 200 }, { 20000, 0, 400 },
	    { 30000, 0, 800 }, { 40000, 0, 1600 }, { 50000, 0, 3200 },
	    { 61000, 0, 5000 }, { 62000, 0, 5000 }, { 63000, 0, 5000 },
	    { 64000, 0, 5000 }, { 65000, 0, 5000 }, { 71000, 0, 5000 },
	    { 75000, 0, -1 } }, 13 },
	{ "stable runs still count toward the loop", {
	    { 0, 10000, 100 }, { 1, 10000, 100 }, { 2, 10000, 100 },
	    { 3, 10000, 100 }, { 4, 10000, 100 }, { 5, 10000, 100 },
	    { 6, 10000, 100 }, { 7, 10000, 100 }, { 8, 10000, 100 },
	    { 9, 10000, 100 }, { 10, 10000, -1 } }, 11 },
};

static void
test_sequences(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
		const struct seq_case *sc = &seq_cases[i];
		struct supervisor_backoff b;

		memset(&b, 0, sizeof(b));
		for (int k = 0; k < sc->n; k++) {
			const struct crash *cr = &sc->crashes[k];
			int got = supervisor_backoff_record(&b, cr->at,
			    cr->ready_for);

			if (got != cr->want)
				fail_msg("%s: crash %d at %llu: got %d, "
				    "want %d", sc->name, k + 1,
				    (unsigned long long)cr->at, got, cr->want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
