/*
 * Fuzz the zoo.cfg parser (common/config.c) on arbitrary text. It runs in
 * tests/ so the dataDir of the golden configs (config/data/node*) has a
 * myid to read. A config that parses must print and parse back to the
 * same config (config.h: parse(print(c)) == c).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (chdir(CORRAL_TESTS_DIR) == -1)
		abort();
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

static char *
print(const struct config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert(f != NULL);
	config_print(c, f);
	fclose(f);
	return text;
}

/*
 * parse(print(c)) must succeed and print the same text (compared as text:
 * char arrays may differ after their NUL).
 */
static void
check_roundtrip(const struct config *c)
{
	struct config *again = calloc(1, sizeof(*again));
	size_t len, len2;
	char *text = print(c, &len), *text2;

	assert(again != NULL);
	if (config_parse(again, c->path, text, len, devnull) != 0) {
		fprintf(stderr, "printed config does not parse:\n%s", text);
		abort();
	}
	text2 = print(again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0) {
		fprintf(stderr, "printed config parses differently:\n%s\n"
		    "---- printed again:\n%s", text, text2);
		abort();
	}
	free(text);
	free(text2);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = calloc(1, sizeof(*c));
	char *text = malloc(size ? size : 1);	/* exact size, no NUL */

	assert(c != NULL && text != NULL);
	memcpy(text, data, size);
	if (config_parse(c, "fuzz.cfg", text, size, devnull) == 0) {
		config_standalone(c);
		config_self(c);
		config_4lw_allowed(c, "ruok");
		config_4lw_allowed(c, "srvr");
		check_roundtrip(c);
	}
	free(text);
	free(c);
	return 0;
}
