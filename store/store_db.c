/*
 * RocksDB handles and the one error path. Storage integrity rule
 * (STYLE.md 5): the first failed write or read poisons the store; it never
 * ACKs again and exits, so the supervisor restarts it from what is durable.
 * Never fork after store_db_open (the LOCK is held by this process).
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "common/log.h"
#include "common/xmalloc.h"

/* rocksdb::InfoLogLevel (include/rocksdb/env.h): the C API has no names */
#define STORE_ROCKSDB_LOG_FATAL	4

static const char *const cf_names[STORE_CF_COUNT] = {
	[STORE_CF_DEFAULT] = "default",
	[STORE_CF_LOG] = "log",
	[STORE_CF_TREE] = "tree",
	[STORE_CF_SESSIONS] = "sessions",
	[STORE_CF_SNAP] = "snap",
};

void
store_db_be64_put(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

uint64_t
store_db_be64_get(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

int
store_db_check(struct store_db *db, char *err, int on_error,
    const char *what)
{
	if (err == NULL)
		return 0;
	log_warnx("%s %s: %s", what, db->path, err);
	rocksdb_free(err);
	if (on_error == STORE_DB_WARN)
		return -1;
	db->poisoned = 1;
	fatalx("store poisoned by a failed %s on %s", what, db->path);
}

/* Options: WAL on (at most STORE_WAL_MAX), 2 background threads, 64 MB
 * LRU block cache. */
static void
set_options(struct store_db *db)
{
	db->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(db->opts, 1);
	rocksdb_options_set_create_missing_column_families(db->opts, 1);
	rocksdb_options_increase_parallelism(db->opts, 2);
	db->cache = rocksdb_cache_create_lru(64 * 1024 * 1024);
	db->topts = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(db->topts, db->cache);
	rocksdb_options_set_block_based_table_factory(db->opts, db->topts);
	/*
	 * The default family (meta) takes a few small writes per apply and
	 * seldom fills a memtable, and RocksDB keeps every WAL file a
	 * memtable still needs: by default up to 4 x all write buffers
	 * (2.5 GB here), all of it read again at every start. Past this,
	 * such memtables are flushed so the oldest WAL files can go.
	 */
	rocksdb_options_set_max_total_wal_size(db->opts, STORE_WAL_MAX);
	/*
	 * RocksDB's own info LOG lives on the same disk. When the disk is
	 * full a write to it fails, and the next message (the error
	 * handler's report of that very failure) aborts the store on an
	 * assertion in 7.8 (WritableFileWriter after a previous error). So
	 * it gets the open's header and fatal messages only: the errors
	 * that matter reach us from each call and go to our log. And every
	 * open starts a new LOG file: keep a few, not 1000.
	 */
	rocksdb_options_set_info_log_level(db->opts, STORE_ROCKSDB_LOG_FATAL);
	rocksdb_options_set_keep_log_file_num(db->opts, 10);
	db->wsync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(db->wsync, 1);
	db->wnosync = rocksdb_writeoptions_create();
	db->ropts = rocksdb_readoptions_create();
	/* snapshots are written whole and replaced whole: compressing them
	 * costs more CPU than the disk it saves (ZooKeeper does not either) */
	db->snap_opts = rocksdb_options_create_copy(db->opts);
	rocksdb_options_set_compression(db->snap_opts, rocksdb_no_compression);
}

struct store_db *
store_db_open(const char *dir)
{
	struct store_db *db = xcalloc(1, sizeof(*db));
	const rocksdb_options_t *cfopts[STORE_CF_COUNT];
	char *err = NULL;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		goto fail;
	}
	if ((size_t)snprintf(db->path, sizeof(db->path),
	    "%s/" STORE_DB_DIR, dir) >= sizeof(db->path)) {
		log_warnx("store path too long: %s/" STORE_DB_DIR, dir);
		goto fail;
	}
	if ((size_t)snprintf(db->snap_table, sizeof(db->snap_table),
	    "%s" STORE_SNAP_TABLE, db->path) >= sizeof(db->snap_table)) {
		log_warnx("store path too long: %s" STORE_SNAP_TABLE,
		    db->path);
		goto fail;
	}
	/* a snapshot table the last run did not finish */
	if (unlink(db->snap_table) < 0 && errno != ENOENT)
		log_warn("unlink %s", db->snap_table);
	set_options(db);
	for (int i = 0; i < STORE_CF_COUNT; i++)
		cfopts[i] = i == STORE_CF_SNAP ? db->snap_opts : db->opts;
	db->db = rocksdb_open_column_families(db->opts, db->path,
	    STORE_CF_COUNT, cf_names, cfopts, db->cf, &err);
	if (store_db_check(db, err, STORE_DB_WARN, "open") < 0)
		goto fail;
	log_info("opened %s", db->path);
	return db;
fail:
	store_db_destroy(&db);
	return NULL;
}

void
store_db_destroy(struct store_db **dbp)
{
	struct store_db *db;

	if (dbp == NULL || (db = *dbp) == NULL)
		return;
	for (int i = 0; i < STORE_CF_COUNT; i++)
		if (db->cf[i] != NULL)
			rocksdb_column_family_handle_destroy(db->cf[i]);
	if (db->db != NULL)
		rocksdb_close(db->db);
	if (db->ropts != NULL)
		rocksdb_readoptions_destroy(db->ropts);
	if (db->wnosync != NULL)
		rocksdb_writeoptions_destroy(db->wnosync);
	if (db->snap_opts != NULL)
		rocksdb_options_destroy(db->snap_opts);
	if (db->wsync != NULL)
		rocksdb_writeoptions_destroy(db->wsync);
	if (db->opts != NULL)
		rocksdb_options_destroy(db->opts);
	if (db->topts != NULL)
		rocksdb_block_based_options_destroy(db->topts);
	if (db->cache != NULL)
		rocksdb_cache_destroy(db->cache);
	free(db);
	*dbp = NULL;
}

void
store_db_write(struct store_db *db, rocksdb_writebatch_t *b, int sync)
{
	char *err = NULL;

	if (db->poisoned)
		fatalx("write to a poisoned store");
	rocksdb_write(db->db, sync ? db->wsync : db->wnosync, b, &err);
	store_db_check(db, err, STORE_DB_POISON, "write");
}

uint64_t
store_db_get_u64(struct store_db *db, const char *key)
{
	char *err = NULL, *val;
	size_t len;
	uint64_t v;

	val = rocksdb_get_cf(db->db, db->ropts, db->cf[STORE_CF_DEFAULT], key,
	    strlen(key), &len, &err);
	store_db_check(db, err, STORE_DB_POISON, "read meta");
	if (val == NULL)
		return 0;
	if (len != 8) {
		db->poisoned = 1;
		fatalx("corrupt meta %s: %zu bytes, want 8", key, len);
	}
	v = store_db_be64_get((const uint8_t *)val);
	rocksdb_free(val);
	return v;
}

rocksdb_iterator_t *
store_db_iter(struct store_db *db, enum store_cf cf)
{
	return rocksdb_create_iterator_cf(db->db, db->ropts, db->cf[cf]);
}

void
store_db_iter_check(struct store_db *db, rocksdb_iterator_t *it,
    const char *what)
{
	char *err = NULL;

	rocksdb_iter_get_error(it, &err);
	store_db_check(db, err, STORE_DB_POISON, what);
}

/*
 * Keys have no upper bound we could name, so the range ends at the last
 * key present, which is deleted on its own.
 */
void
store_db_clear_cf(struct store_db *db, rocksdb_writebatch_t *b,
    enum store_cf cf)
{
	rocksdb_iterator_t *it = store_db_iter(db, cf);
	const char *k;
	char *last = NULL;
	size_t klen = 0;

	rocksdb_iter_seek_to_last(it);
	if (rocksdb_iter_valid(it)) {
		k = rocksdb_iter_key(it, &klen);
		last = xmalloc(klen + 1);
		memcpy(last, k, klen);
	}
	store_db_iter_check(db, it, "read for clear");
	rocksdb_iter_destroy(it);
	if (last == NULL)
		return;
	rocksdb_writebatch_delete_range_cf(b, db->cf[cf], "", 0, last, klen);
	rocksdb_writebatch_delete_cf(b, db->cf[cf], last, klen);
	free(last);
}
