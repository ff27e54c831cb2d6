/* common/jaas.c: the user_NAME options of one JAAS section. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/jaas.h"

static void
collect(void *arg, const char *user, const char *pw)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s=%s;", user, pw);
}

static void
test_users(void **state)
{
	static const struct {
		const char	*name, *text, *want;
		int		 n;
	} t[] = {
		{ "zookeeper docs", "Server {\n org.apache.zookeeper.server."
		    "auth.DigestLoginModule required\n user_super=\"adminsecret\""
		    "\n user_bob=\"bobsecret\";\n};\n", "super=adminsecret;"
		    "bob=bobsecret;", 2 },
		{ "other sections", "Client { m required username=\"x\" "
		    "password=\"y\"; };\n// c\nServer { m required /* c */ "
		    "user_a=b; };", "a=b;", 1 },
		{ "quoted", "Server { m required user_q=\"a;b}\\\"c\"; };",
		    "q=a;b}\"c;", 1 },
		{ "no users", "Server { m required; };", "", 0 },
		{ "missing", "Client { m required; };", "", -1 },
		{ "unterminated", "Server { m required user_a=\"b; };", "", -1 },
		{ "no brace", "Server m required;", "", -1 },
	};
	char got[256];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got[0] = '\0';
		n = jaas_users(t[i].text, strlen(t[i].text), "Server", collect,
		    got);
		if (n != t[i].n || (n >= 0 && strcmp(got, t[i].want) != 0))
			fail_msg("%s: got %d '%s', want %d '%s'", t[i].name, n,
			    got, t[i].n, t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
