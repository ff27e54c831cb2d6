/*
 * The children's GLIBC_TUNABLES (supervisor/supervisor_tunables.c): huge
 * pages for malloc unless the operator said otherwise. The module is
 * pure, so the test compiles it in directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "supervisor/supervisor_tunables.c"

struct tunables_case {
	const char	*current;	/* the operator's value, or NULL */
	const char	*want;		/* NULL: keep the operator's */
};

static const struct tunables_case cases[] = {
	{ NULL, "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" },
	{ "", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1" },
	{ "glibc.malloc.arena_max=2",
	  "GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1" },
	{ "glibc.malloc.hugetlb=0", NULL },
	{ "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", NULL },
};

static void
test_tunables(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tunables_case *tc = &cases[i];
		char *got = supervisor_tunables(tc->current);

		if (tc->want == NULL && got != NULL)
			fail_msg("%s: got %s, want it kept", tc->current, got);
		if (tc->want != NULL && (got == NULL ||
		    strcmp(got, tc->want) != 0))
			fail_msg("%s: got %s, want %s", tc->current ?
			    tc->current : "(unset)", got ? got : "(kept)",
			    tc->want);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
