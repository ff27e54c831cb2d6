/*
 * Room on the disk before RocksDB opens. Opening replays the WAL into new
 * table files and starts a new WAL and MANIFEST; on a full disk RocksDB
 * 7.8 aborts on an assertion there (WritableFileWriter), and the
 * supervisor, seeing a crash loop, would give up on the whole node. So a
 * store restarted after a failed write (store_db.c poisons it) waits here
 * until the disk has room, saying so once, and still stops on SIGTERM.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/log.h"

/* Beyond the WAL's own size: new WAL, MANIFEST, OPTIONS, info LOG. */
#define STORE_OPEN_MARGIN	(32ULL * 1024 * 1024)
#define STORE_ROOM_POLL_MS	1000

/* Bytes of the WAL files (*.log) in the store's directory. */
static uint64_t
wal_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;	/* a new store */
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (n < 5 || strcmp(e->d_name + n - 4, ".log") != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) == 0)
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

/*
 * Free bytes for an unprivileged writer, counting the snapshot table a
 * failed run left unfinished (store_db_open deletes it); UINT64_MAX when
 * unknown.
 */
static uint64_t
free_bytes(const char *dir, const char *path)
{
	char table[1100];
	struct statvfs v;
	struct stat st;
	uint64_t n;

	if (statvfs(dir, &v) < 0)
		return UINT64_MAX;	/* let RocksDB report the real error */
	n = (uint64_t)v.f_bavail * v.f_frsize;
	snprintf(table, sizeof(table), "%s" STORE_SNAP_TABLE, path);
	if (stat(table, &st) == 0)
		n += (uint64_t)st.st_size;
	return n;
}

/* A SIGTERM or SIGINT waiting on the child's signalfd? */
static int
asked_to_stop(int sigfd, int ms)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	while (read(sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %u, stopping", si.ssi_signo);
			return 1;
		}
	return 0;
}

int
store_room_wait(const char *dir, int sigfd)
{
	char path[1024];
	int said = 0;

	snprintf(path, sizeof(path), "%s/" STORE_DB_DIR, dir);
	for (;;) {
		uint64_t need = wal_bytes(path) + STORE_OPEN_MARGIN;
		uint64_t have = free_bytes(dir, path);

		if (have >= need) {
			if (said)
				log_info("%s has room again (%" PRIu64 " MB "
				    "free), opening the store", dir,
				    have >> 20);
			return 0;
		}
		if (!said)
			log_warnx("%s has %" PRIu64 " MB free; opening the "
			    "store needs %" PRIu64 " MB (its WAL and a "
			    "margin): waiting for disk space, no writes are "
			    "logged here meanwhile", dir, have >> 20,
			    (need + (1 << 20) - 1) >> 20);
		said = 1;
		if (asked_to_stop(sigfd, STORE_ROOM_POLL_MS))
			return -1;
	}
}
