/* zxid = epoch << 32 | counter; the counter restarts at 1 in each epoch. */
#ifndef CORRAL_COMMON_ZXID_H
#define CORRAL_COMMON_ZXID_H

#include <stdint.h>

static inline uint64_t
zxid_make(uint32_t epoch, uint32_t counter)
{
	return (uint64_t)epoch << 32 | counter;
}

static inline uint32_t
zxid_epoch(uint64_t zxid)
{
	return (uint32_t)(zxid >> 32);
}

static inline uint32_t
zxid_counter(uint64_t zxid)
{
	return (uint32_t)zxid;
}

/* The zxid after z; rolls into a new epoch instead of overflowing. */
static inline uint64_t
zxid_next(uint64_t z)
{
	if (zxid_counter(z) == UINT32_MAX)
		return zxid_make(zxid_epoch(z) + 1, 1);
	return z + 1;
}

#endif
