/*
 * Fuzz the membership text and reconfig's arithmetic (common/membership.c):
 * the joining/leaving/newMembers strings of a reconfig come from clients,
 * the text from /zookeeper/config, UPTODATE and dataDir/membership.
 * Input: "cur\0joining\0leaving\0members" (a missing part is NULL).
 * Whatever parses must print and parse back to the same membership, and a
 * reconfig that succeeds must yield one that does.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/membership.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct membership cur, next, back;
static char text[MEMBERSHIP_TEXT_MAX], why[512];

static void
check_roundtrip(const struct membership *m)
{
	size_t n = membership_format(m, 1, text, sizeof(text));

	if (n + 1 >= sizeof(text))
		return;		/* truncated: nothing to compare */
	if (membership_parse(&back, text, n, why, sizeof(why)) != 0) {
		fprintf(stderr, "printed membership does not parse (%s):\n%s",
		    why, text);
		abort();
	}
	assert(membership_same(m, &back));
	assert(back.version == m->version);
}

/* The next NUL-terminated part of the input, or NULL past its end. */
static char *
part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *z;
	char *s;

	if (*p > end)
		return NULL;
	z = memchr(*p, 0, (size_t)(end - *p));
	if (z == NULL)
		z = end;
	s = strndup((const char *)*p, (size_t)(z - *p));
	assert(s != NULL);
	*p = z + 1;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *end = data + len;
	char *c = part(&p, end), *j = part(&p, end), *l = part(&p, end);
	char *m = part(&p, end);

	if (membership_parse(&cur, c, strlen(c), why, sizeof(why)) == 0) {
		check_roundtrip(&cur);
		if (membership_reconfig(&cur, j, l, m, len & 1, &next, why,
		    sizeof(why)) == 0) {
			assert(membership_voters(&next) >= 1);
			check_roundtrip(&next);
			(void)membership_check_ids(&next, why, sizeof(why));
		}
	}
	free(c);
	free(j);
	free(l);
	free(m);
	return 0;
}
