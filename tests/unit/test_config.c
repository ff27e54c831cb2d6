/*
 * zoo.cfg parser: golden files (config/NAME.in -> config/NAME.ok holding the
 * diagnostics, then the normalized config if it parsed), a print->parse
 * round trip, and a table of bad values. Runs with tests/ as working
 * directory. CORRAL_UPDATE_GOLDEN=1 rewrites the .ok files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

#define GOLDEN_DIR	"config"

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return buf;
}

/* Diagnostics, then the normalized config if it parsed. */
static char *
golden_output(const char *in, int *rcp)
{
	struct config c;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	*rcp = config_load(&c, in, f);
	if (*rcp == 0)
		config_print(&c, f);
	fclose(f);
	return out;
}

static int
is_input(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && strcmp(d->d_name + n - 3, ".in") == 0;
}

static void
check_golden(const char *name)
{
	char in[512], ok[512], *got, *want;
	int rc;

	snprintf(in, sizeof(in), GOLDEN_DIR "/%s", name);
	snprintf(ok, sizeof(ok), "%.*s.ok", (int)strlen(in) - 3, in);
	got = golden_output(in, &rc);
	if (getenv("CORRAL_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(ok, "w");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(ok, NULL);
	if (want == NULL)
		fail_msg("%s: missing %s", in, ok);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- got\n%s--- want\n%s", in, got, want);
	free(got);
	free(want);
}

static void
test_golden(void **state)
{
	struct dirent **names;
	int n;

	(void)state;
	n = scandir(GOLDEN_DIR, &names, is_input, alphasort);
	assert_true(n >= 8);
	for (int i = 0; i < n; i++) {
		check_golden(names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* parse(print(c)) == c for every golden input that parses. */
static void
check_round_trip(const char *name)
{
	struct config a, b;
	char in[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(in, sizeof(in), GOLDEN_DIR "/%s", name);
	if (config_load(&a, in, NULL) < 0)
		return;
	f = open_memstream(&text, &len);
	config_print(&a, f);
	fclose(f);
	if (config_parse(&b, in, text, len, stderr) < 0)
		fail_msg("%s: printed config does not parse:\n%s", in, text);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("%s: round trip differs:\n%s", in, text);
	free(text);
}

static void
test_round_trip(void **state)
{
	struct dirent **names;
	int n;

	(void)state;
	n = scandir(GOLDEN_DIR, &names, is_input, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		check_round_trip(names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

struct bad_case {
	const char	*name;
	const char	*text;
	const char	*want;		/* a line expected in the diagnostics */
};

#define DD	"dataDir=/tmp/x\n"

static const struct bad_case bad_cases[] = {
	{ "tick not a number", DD "tickTime=2s\n",
	    "t:2: tickTime: '2s' is not a number" },
	{ "tick zero", DD "tickTime=0\n",
	    "t:2: tickTime: 0 out of range (1..3600000)" },
	{ "tick empty", DD "tickTime=\n",
	    "t:2: tickTime: '' is not a number" },
	{ "initLimit negative", DD "initLimit=-1\n",
	    "t:2: initLimit: -1 out of range (1..1000000)" },
	{ "syncLimit huge", DD "syncLimit=99999999999999999999\n",
	    "t:2: syncLimit: '99999999999999999999' is not a number" },
	{ "clientPort high", DD "clientPort=65536\n",
	    "t:2: clientPort: 65536 out of range (1..65535)" },
	{ "clientPort zero", DD "clientPort=0\n",
	    "t:2: clientPort: 0 out of range (1..65535)" },
	{ "maxClientCnxns", DD "maxClientCnxns=-5\n",
	    "t:2: maxClientCnxns: -5 out of range (0..2147483647)" },
	{ "min > max", DD "minSessionTimeout=50000\nmaxSessionTimeout=4000\n",
	    "t:2: minSessionTimeout: 50000 is greater than maxSessionTimeout "
	    "4000" },
	{ "min > default max", DD "minSessionTimeout=50000\n",
	    "t:2: minSessionTimeout: 50000 is greater than maxSessionTimeout "
	    "40000" },
	{ "peerType", DD "peerType=leader\n",
	    "t:2: peerType: 'leader' is not participant or observer" },
	{ "frontends 0", DD "corral.frontends=0\n",
	    "t:2: corral.frontends: 0 out of range (1..16)" },
	{ "frontends 17", DD "corral.frontends=17\n",
	    "t:2: corral.frontends: 17 out of range (1..16)" },
	{ "bool", DD "standaloneEnabled=yes\n",
	    "t:2: standaloneEnabled: 'yes' is not a boolean (true|false)" },
	{ "metrics port", DD "metricsProvider.httpPort=70000\n",
	    "t:2: metricsProvider.httpPort: 70000 out of range (0..65535)" },
	{ "duplicate", DD "tickTime=1000\ntickTime=2000\n",
	    "t:3: tickTime: duplicate key (first at line 2)" },
	{ "duplicate dataDir", DD "dataDir=/y\n",
	    "t:2: dataDir: duplicate key (first at line 1)" },
	{ "missing dataDir", "tickTime=2000\n", "t: dataDir: required" },
	{ "empty dataDir", "dataDir=\n", "t:1: dataDir: empty value" },
	{ "server id 0", DD "server.0=a:1:2\n",
	    "t:2: server.0: bad server id (1..254)" },
	{ "server id 255 (reads as a TTL owner)", DD "server.255=a:1:2\n",
	    "t:2: server.255: bad server id (1..254)" },
	{ "server id 256", DD "server.256=a:1:2\n",
	    "t:2: server.256: bad server id (1..254)" },
	{ "server id word", DD "server.x=a:1:2\n",
	    "t:2: server.x: bad server id (1..254)" },
	{ "client address with a space (fuzz_config)",
	    DD "server.1=a:1:2; 1.2.3.4 :2181\n",
	    "t:2: server.1: bad server spec 'a:1:2; 1.2.3.4 :2181': bad client "
	    "address (want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "server dup", DD "server.1=a:1:2\nserver.1=b:1:2\n",
	    "t:3: server.1: duplicate server id (first at line 2)" },
	{ "server no election port", DD "server.1=a:2888\n",
	    "t:2: server.1: bad server spec 'a:2888': missing election port "
	    "(want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "server port 0", DD "server.1=a:0:3888\n",
	    "t:2: server.1: bad server spec 'a:0:3888': bad quorum port "
	    "(want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "server port high", DD "server.1=a:2888:65536\n",
	    "t:2: server.1: bad server spec 'a:2888:65536': bad election port "
	    "(want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "server type", DD "server.1=a:2888:3888:voter\n",
	    "t:2: server.1: bad server spec 'a:2888:3888:voter': type is not "
	    "participant or observer (want host:quorumPort:electionPort"
	    "[:participant|:observer][;[clientAddr:]clientPort])" },
	{ "server client port", DD "server.1=a:2888:3888;x\n",
	    "t:2: server.1: bad server spec 'a:2888:3888;x': bad client port "
	    "(want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "server no host", DD "server.1=:2888:3888\n",
	    "t:2: server.1: bad server spec ':2888:3888': missing host "
	    "(want host:quorumPort:electionPort[:participant|:observer]"
	    "[;[clientAddr:]clientPort])" },
	{ "group refused", DD "group.1=1:2:3\n",
	    "t:2: group.1: hierarchical quorums are not supported" },
	{ "myid missing", "dataDir=/nonexistent/corral\n"
	    "server.1=a:1:2\nserver.2=b:1:2\n",
	    "t: myid: /nonexistent/corral/myid: No such file or directory "
	    "(required with server.N lines)" },
	{ "only observers", DD "server.1=a:1:2:observer\n",
	    "t: server: no participant among the server.N lines" },
};

static void
test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct config c;
		char *out = NULL, want[1024];
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		int rc;

		rc = config_parse(&c, "t", bc->text, strlen(bc->text), f);
		fclose(f);
		snprintf(want, sizeof(want), "%s\n", bc->want);
		if (rc != -1)
			fail_msg("%s: got rc %d, want -1", bc->name, rc);
		if (strstr(out, want) == NULL)
			fail_msg("%s: got\n%swant line\n%s", bc->name, out,
			    want);
		free(out);
	}
}

/* Every error is reported, not just the first. */
static void
test_collects_all(void **state)
{
	const char *text = "tickTime=x\ninitLimit=0\nfoo=1\nclientPort=-1\n";
	const char *want = "t:1: tickTime: 'x' is not a number\n"
	    "t:2: initLimit: 0 out of range (1..1000000)\n"
	    "t:3: foo: unknown key, ignored\n"
	    "t:4: clientPort: -1 out of range (1..65535)\n"
	    "t: dataDir: required\n";
	struct config c;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(config_parse(&c, "t", text, strlen(text), f), -1);
	fclose(f);
	assert_string_equal(out, want);
	free(out);
}

struct lw_case {
	const char	*whitelist;
	const char	*word;
	int		 want;
};

static const struct lw_case lw_cases[] = {
	{ NULL, "srvr", 1 },		/* default, as ZooKeeper 3.8 */
	{ NULL, "ruok", 0 },
	{ "*", "ruok", 1 },
	{ "stat, ruok ,mntr", "ruok", 1 },
	{ "stat, ruok ,mntr", "mntr", 1 },
	{ "stat, ruok ,mntr", "srvr", 0 },
	{ "stat,ruok", "ruo", 0 },
	{ "stat,ruok", "ruokk", 0 },
	{ "ruok, *", "dump", 1 },
	{ "", "srvr", 0 },
	{ "stat,\fruok\v", "ruok", 1 },	/* any blank separates */
};

static void
test_4lw(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lw_cases) / sizeof(lw_cases[0]); i++) {
		const struct lw_case *lc = &lw_cases[i];
		char text[256];
		struct config c;
		int got;

		snprintf(text, sizeof(text), DD "%s%s\n", lc->whitelist ?
		    "4lw.commands.whitelist=" : "",
		    lc->whitelist ? lc->whitelist : "");
		assert_int_equal(config_parse(&c, "t", text, strlen(text),
		    stderr), 0);
		got = config_4lw_allowed(&c, lc->word);
		if (got != lc->want)
			fail_msg("whitelist '%s' word %s: got %d, want %d",
			    lc->whitelist, lc->word, got, lc->want);
	}
}

struct mode_case {
	const char	*text;
	int		 standalone;
	uint32_t	 self;		/* server id of config_self, 0: NULL */
};

static const struct mode_case mode_cases[] = {
	{ DD, 1, 0 },
	{ DD "server.1=a:1:2\n", 1, 0 },
	{ "dataDir=config/data/node2\nserver.1=a:1:2\nserver.2=b:1:2\n", 0,
	    2 },
	{ "dataDir=config/data/node2\nserver.1=a:1:2\n"
	    "server.2=b:1:2:observer\n", 0, 2 },
	{ "dataDir=config/data/node2\nstandaloneEnabled=false\n"
	    "server.2=b:1:2\n", 0, 2 },
};

static void
test_modes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]);
	    i++) {
		const struct mode_case *mc = &mode_cases[i];
		const struct config_server *self;
		struct config c;

		assert_int_equal(config_parse(&c, "t", mc->text,
		    strlen(mc->text), stderr), 0);
		self = config_self(&c);
		if (config_standalone(&c) != mc->standalone)
			fail_msg("case %zu: standalone got %d, want %d", i,
			    config_standalone(&c), mc->standalone);
		if ((self ? self->id : 0) != mc->self)
			fail_msg("case %zu: self got %u, want %u", i,
			    self ? self->id : 0, mc->self);
	}
}

/* Arbitrary bytes must not crash the parser (a poor man's fuzz run). */
static void
test_garbage(void **state)
{
	char buf[512];
	struct config c;

	(void)state;
	srandom(42);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)random() % sizeof(buf);
		static const char alpha[] = "=:;[] \t\r\n#!.0123456789"
		    "server.dataDirtickTime\x01\xff";

		for (size_t j = 0; j < len; j++)
			buf[j] = alpha[(size_t)random() % (sizeof(alpha) - 1)];
		(void)config_parse(&c, "g", buf, len, NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_collects_all),
		cmocka_unit_test(test_4lw),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
