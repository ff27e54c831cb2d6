/*
 * Linear probing with backward-shift deletion (no tombstones), load <= 1/2.
 */
#include "common/map.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

struct u64slot {
	uint64_t	 key;
	void		*val;	/* NULL = empty */
};

struct u64map {
	struct u64slot	*slots;
	size_t		 cap, count;
};

struct strslot {
	char		*key;	/* NULL = empty */
	uint64_t	 hash;
	void		*val;
};

struct strmap {
	struct strslot	*slots;
	size_t		 cap, count;
};

uint64_t
map_hash_bytes(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

struct u64map *
u64map_new(void)
{
	struct u64map *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void
u64map_destroy(struct u64map **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	free((*mp)->slots);
	free(*mp);
	*mp = NULL;
}

static void u64_insert(struct u64map *, uint64_t, void *);

static void
u64_grow(struct u64map *m)
{
	struct u64slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].val != NULL)
			u64_insert(m, old[i].key, old[i].val);
	free(old);
}

static void
u64_insert(struct u64map *m, uint64_t key, void *val)
{
	size_t i = mix64(key) & (m->cap - 1);

	while (m->slots[i].val != NULL) {
		if (m->slots[i].key == key) {
			m->slots[i].val = val;
			return;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->count++;
}

void
u64map_put(struct u64map *m, uint64_t key, void *val)
{
	if (val == NULL) {
		u64map_del(m, key);
		return;
	}
	if ((m->count + 1) * 2 > m->cap)
		u64_grow(m);
	u64_insert(m, key, val);
}

static size_t
u64_find(const struct u64map *m, uint64_t key)
{
	size_t i = mix64(key) & (m->cap - 1);

	while (m->slots[i].val != NULL) {
		if (m->slots[i].key == key)
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return (size_t)-1;
}

void *
u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i = u64_find(m, key);

	return i == (size_t)-1 ? NULL : m->slots[i].val;
}

void *
u64map_del(struct u64map *m, uint64_t key)
{
	size_t i = u64_find(m, key), j, mask = m->cap - 1;
	void *val;

	if (i == (size_t)-1)
		return NULL;
	val = m->slots[i].val;
	m->slots[i].val = NULL;
	m->count--;
	/* backward shift: move later members of the cluster into the hole */
	for (j = (i + 1) & mask; m->slots[j].val != NULL; j = (j + 1) & mask) {
		size_t home = mix64(m->slots[j].key) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	return val;
}

size_t
u64map_count(const struct u64map *m)
{
	return m->count;
}

void
u64map_foreach(const struct u64map *m,
    void (*fn)(void *, uint64_t, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].val != NULL)
			fn(arg, m->slots[i].key, m->slots[i].val);
}

struct strmap *
strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void
strmap_destroy(struct strmap **mp)
{
	struct strmap *m;

	if (mp == NULL || (m = *mp) == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
	*mp = NULL;
}

static void
str_place(struct strmap *m, char *key, uint64_t hash, void *val)
{
	size_t i = hash & (m->cap - 1);

	while (m->slots[i].key != NULL)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = (struct strslot){ key, hash, val };
	m->count++;
}

static void
str_grow(struct strmap *m)
{
	struct strslot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			str_place(m, old[i].key, old[i].hash, old[i].val);
	free(old);
}

static size_t
str_find(const struct strmap *m, const char *key, uint64_t hash)
{
	size_t i = hash & (m->cap - 1);

	while (m->slots[i].key != NULL) {
		if (m->slots[i].hash == hash && strcmp(m->slots[i].key, key) == 0)
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return (size_t)-1;
}

void
strmap_put(struct strmap *m, const char *key, void *val)
{
	uint64_t h = map_hash_bytes(key, strlen(key));
	size_t i = str_find(m, key, h);

	if (i != (size_t)-1) {
		m->slots[i].val = val;
		return;
	}
	if ((m->count + 1) * 2 > m->cap)
		str_grow(m);
	str_place(m, xstrdup(key), h, val);
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i = str_find(m, key, map_hash_bytes(key, strlen(key)));

	return i == (size_t)-1 ? NULL : m->slots[i].val;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	size_t i = str_find(m, key, map_hash_bytes(key, strlen(key)));
	size_t j, mask = m->cap - 1;
	void *val;

	if (i == (size_t)-1)
		return NULL;
	val = m->slots[i].val;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->count--;
	for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return val;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

void
strmap_foreach(const struct strmap *m,
    void (*fn)(void *, const char *, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			fn(arg, m->slots[i].key, m->slots[i].val);
}
