/* path_validate against the cases of ZooKeeper's PathUtilsTest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/path.h"

struct path_case {
	const char	*name;
	const char	*path;
	size_t		 len;		/* 0: strlen(path) */
	int		 seq;
	int		 want;
};

static const struct path_case cases[] = {
	{ "root", "/", 0, 0, 0 },
	{ "valid spaces", "/this is / a valid/path", 0, 0, 0 },
	{ "simple", "/a/b/c", 0, 0, 0 },
	{ "empty", "", 0, 0, -1 },
	{ "relative", "not/valid", 0, 0, -1 },
	{ "trailing slash", "/test/", 0, 0, -1 },
	{ "double slash", "//", 0, 0, -1 },
	{ "double slash inner", "/test//a", 0, 0, -1 },
	{ "nul", "/test\0x", 7, 0, -1 },
	{ "single period", "/.", 0, 0, -1 },
	{ "double period", "/..", 0, 0, -1 },
	{ "period segment", "/abc/./def", 0, 0, -1 },
	{ "dotdot segment", "/abc/../def", 0, 0, -1 },
	{ "trailing dot segment", "/test/.", 0, 0, -1 },
	{ "trailing dotdot segment", "/test/..", 0, 0, -1 },
	{ "starts with period", "/.test", 0, 0, 0 },
	{ "starts with two periods", "/..test", 0, 0, 0 },
	{ "three periods", "/...", 0, 0, 0 },
	{ "period at end", "/test.", 0, 0, 0 },
	{ "two periods at end", "/test..", 0, 0, 0 },
	{ "U+0001", "/a\x01", 0, 0, -1 },
	{ "U+001F", "/a\x1f", 0, 0, -1 },
	{ "U+007F", "/a\x7f", 0, 0, -1 },
	{ "U+0080", "/a\xc2\x80", 0, 0, -1 },
	{ "U+009F", "/a\xc2\x9f", 0, 0, -1 },
	{ "U+00A0", "/a\xc2\xa0", 0, 0, 0 },
	{ "U+00E9", "/caf\xc3\xa9", 0, 0, 0 },
	{ "U+D7FF", "/\xed\x9f\xbf", 0, 0, 0 },
	{ "U+D800", "/\xed\xa0\x80", 0, 0, -1 },
	{ "U+E000", "/\xee\x80\x80", 0, 0, -1 },
	{ "U+F8FF", "/\xef\xa3\xbf", 0, 0, -1 },
	{ "U+F900", "/\xef\xa4\x80", 0, 0, 0 },
	{ "U+FFEF", "/\xef\xbf\xaf", 0, 0, 0 },
	{ "U+FFF0", "/\xef\xbf\xb0", 0, 0, -1 },
	{ "U+FFFF", "/\xef\xbf\xbf", 0, 0, -1 },
	{ "U+1F600 (surrogates in Java)", "/\xf0\x9f\x98\x80", 0, 0, -1 },
	{ "bad continuation", "/\xc3\x28", 0, 0, -1 },
	{ "lone continuation", "/\x80", 0, 0, -1 },
	{ "truncated sequence", "/\xe2\x82", 0, 0, -1 },
	{ "overlong slash", "/\xc0\xaf", 0, 0, -1 },
	{ "overlong 3-byte", "/\xe0\x80\xaf", 0, 0, -1 },
	{ "seq prefix trailing slash", "/a/", 0, 1, 0 },
	{ "seq prefix plain", "/a/b-", 0, 1, 0 },
	{ "seq root child", "/", 0, 1, 0 },
	{ "seq double slash", "/a//", 0, 1, -1 },
	{ "seq dot", "/a/.", 0, 1, 0 },
	{ "seq empty", "", 0, 1, -1 },
};

static void
test_validate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->path);
		int got = path_validate(c->path, len, c->seq);

		if (got != c->want)
			fail_msg("%s: got %d, want %d", c->name, got, c->want);
	}
}

static void
test_parent_len(void **state)
{
	static const struct {
		const char	*path;
		size_t		 want;
	} t[] = {
		{ "/a/b", 2 }, { "/a", 1 }, { "/", 1 }, { "/abc/def/g", 8 },
	};
	size_t i, got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = path_parent_len(t[i].path, strlen(t[i].path));
		if (got != t[i].want)
			fail_msg("%s: got %zu, want %zu", t[i].path, got,
			    t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_parent_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
