/*
 * Small open-addressing hash maps: uint64 -> pointer (pending requests,
 * connections, sessions) and string -> pointer (watched paths). Keys of
 * the string map are copied and owned by the map. Values are borrowed.
 */
#ifndef CORRAL_COMMON_MAP_H
#define CORRAL_COMMON_MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map;
struct strmap;

struct u64map	*u64map_new(void);
void		 u64map_destroy(struct u64map **);
/* Insert or replace. */
void		 u64map_put(struct u64map *, uint64_t key, void *val);
void		*u64map_get(const struct u64map *, uint64_t key);
/* Remove and return the value, NULL if absent. */
void		*u64map_del(struct u64map *, uint64_t key);
size_t		 u64map_count(const struct u64map *);
/* Visit every entry; fn must not modify the map. */
void		 u64map_foreach(const struct u64map *,
		    void (*fn)(void *arg, uint64_t key, void *val), void *arg);

struct strmap	*strmap_new(void);
void		 strmap_destroy(struct strmap **);
void		 strmap_put(struct strmap *, const char *key, void *val);
void		*strmap_get(const struct strmap *, const char *key);
void		*strmap_del(struct strmap *, const char *key);
size_t		 strmap_count(const struct strmap *);
void		 strmap_foreach(const struct strmap *,
		    void (*fn)(void *arg, const char *key, void *val), void *arg);

uint64_t	 map_hash_bytes(const void *, size_t);

#endif
