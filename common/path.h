/*
 * ZooKeeper's path rules (PathUtils.validatePath): absolute, no empty,
 * "." or ".." segment, no trailing '/', no NUL, none of the characters
 * U+0001-U+001F, U+007F-U+009F, U+D800-U+F8FF, U+FFF0-U+FFFF (and no
 * invalid UTF-8). A sequential create validates path + "1", so "/a/" is a
 * good prefix for a sequential child of /a.
 */
#ifndef CORRAL_COMMON_PATH_H
#define CORRAL_COMMON_PATH_H

#include <stddef.h>

/* 0 if valid, -1 if not. p need not be NUL-terminated. */
int	path_validate(const char *p, size_t len, int sequential);
/* Length of the parent prefix of a valid path ("/a/b" -> 2, "/a" -> 1). */
size_t	path_parent_len(const char *p, size_t len);

#endif
