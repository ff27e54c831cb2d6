/*
 * ZooKeeper's PathUtils.validatePath, on UTF-8 bytes. Java checks UTF-16
 * code units, so every code point above U+FFFF (a surrogate pair in Java)
 * is invalid, and invalid UTF-8 (U+FFFD once Java decodes it) is too.
 * '/' and '.' are ASCII, so the segment checks work on bytes.
 */
#include "common/path.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

/* Decode one UTF-8 code point at p; returns its length, 0 if invalid. */
static size_t
utf8_decode(const uint8_t *p, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else
		return 0;	/* 4-byte forms are above U+FFFF: invalid anyway */
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (n == 3 && c < 0x800)
		return 0;	/* overlong */
	*cp = c;
	return n;
}

static int
bad_char(uint32_t c)
{
	return (c >= 0x01 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff);
}

/* A "." or ".." segment ends at i (the last dot). */
static int
dot_segment(const uint8_t *p, size_t len, size_t i, size_t ndots)
{
	return p[i - ndots] == '/' && (i + 1 == len || p[i + 1] == '/');
}

static int
validate(const uint8_t *p, size_t len)
{
	size_t i, n;
	uint32_t c, lastc = '/';

	if (len == 0 || p[0] != '/')
		return -1;
	if (len == 1)
		return 0;
	if (p[len - 1] == '/')
		return -1;
	for (i = 1; i < len; lastc = c, i += n) {
		if ((n = utf8_decode(p + i, len - i, &c)) == 0)
			return -1;
		if (c == 0 || (c == '/' && lastc == '/'))
			return -1;
		if (c == '.' && lastc == '.') {
			if (dot_segment(p, len, i, 2))
				return -1;
		} else if (c == '.') {
			if (dot_segment(p, len, i, 1))
				return -1;
		} else if (bad_char(c))
			return -1;
	}
	return 0;
}

int
path_validate(const char *p, size_t len, int sequential)
{
	uint8_t *tmp;
	int rc;

	if (p == NULL)
		return -1;
	if (!sequential)
		return validate((const uint8_t *)p, len);
	/* ZooKeeper validates the sequential prefix as path + "1". */
	tmp = xmalloc(len + 1);
	memcpy(tmp, p, len);
	tmp[len] = '1';
	rc = validate(tmp, len + 1);
	free(tmp);
	return rc;
}

size_t
path_parent_len(const char *p, size_t len)
{
	size_t i = len;

	while (i > 0 && p[i - 1] != '/')
		i--;
	/* i is one past the last '/'; the root's children have parent "/". */
	return i <= 1 ? 1 : i - 1;
}
