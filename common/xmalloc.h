/*
 * Allocation that either succeeds or does not return (Postfix mymalloc):
 * on out-of-memory it calls fatal(), and the supervisor restarts us.
 */
#ifndef CORRAL_COMMON_XMALLOC_H
#define CORRAL_COMMON_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* Grow an array to hold at least n elements of size sz (doubling). */
void	*xreallocarray(void *, size_t n, size_t sz);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);

#endif
