/*
 * The runtime dir holds the ipc:// sockets of one node. ZeroMQ lets a
 * second bind silently steal an ipc endpoint, so before touching any
 * socket file we take flocks: one in the runtime dir (two nodes sharing
 * it would steal each other's endpoints) and one in dataDir (two nodes
 * sharing it would share one RocksDB). Only then are stale sockets of a
 * dead predecessor removed.
 *
 * Choice: $RUNTIME_DIRECTORY (systemd), else <dataDir>/run, else, when
 * that path is too long for sun_path, /tmp/corral-<uid>-<hash of dataDir>.
 */
#include "supervisor/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/endpoints.h"
#include "common/log.h"

/* 1 if every endpoint's ipc path under dir fits in sun_path. */
static int
fits(const char *dir)
{
	char addr[256];

	for (int id = 0; id < EP_COUNT; id++)
		if (endpoint_address((enum endpoint_id)id, dir, addr,
		    sizeof(addr)) < 0)
			return 0;
	return 1;
}

/* mkdir -p, each missing component with mode. */
static int
mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* A /tmp dir must be ours and a real dir: others can create it first. */
static void
check_private(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		fatal("%s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		fatalx("%s: not a directory owned by uid %u", dir,
		    (unsigned)getuid());
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0)
		fatal("chmod %s", dir);
}

/* Pick and create the runtime dir (see the top of this file). */
static void
choose(struct supervisor *sv, const char *datadir)
{
	const char *env = getenv("RUNTIME_DIRECTORY");
	char buf[sizeof(sv->rundir)];

	if (env != NULL && *env != '\0') {
		/* several RuntimeDirectory= entries are ':' separated */
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(env, ":"), env);
		if (!fits(buf))
			fatalx("RUNTIME_DIRECTORY %s: too long for ipc sockets",
			    buf);
	} else {
		if (snprintf(buf, sizeof(buf), "%s/run", datadir) >=
		    (int)sizeof(buf) || !fits(buf))
			snprintf(buf, sizeof(buf), "/tmp/corral-%u-%016llx",
			    (unsigned)getuid(),
			    (unsigned long long)fnv1a(datadir));
	}
	memcpy(sv->rundir, buf, sizeof(sv->rundir));
	if (mkdirs(sv->rundir, 0700) < 0)
		fatal("mkdir %s", sv->rundir);
	if (strncmp(sv->rundir, "/tmp/", 5) == 0)
		check_private(sv->rundir);
}

/* Hold an flock on dir/corral.lock for our lifetime; exit 1 if taken. */
static int
lock(const char *dir, const char *what)
{
	char path[PATH_MAX], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/corral.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		fatal("open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			fatal("flock %s", path);
		n = (int)read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		log_warnx("another corral (pid %.*s) is running on this %s: "
		    "%s is locked", (int)strcspn(pid, "\n"), pid, what, path);
		exit(1);
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("write %s", path);
	return fd;
}

/* Remove socket files a dead predecessor left; we hold the locks. */
static void
remove_stale(const char *dir)
{
	char path[PATH_MAX];

	for (int id = 0; id < EP_COUNT; id++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
		    endpoint_name((enum endpoint_id)id));
		if (unlink(path) == 0)
			log_debug("removed stale socket %s", path);
		else if (errno != ENOENT)
			log_warn("unlink %s", path);
	}
}

void
supervisor_rundir_setup(struct supervisor *sv)
{
	char datadir[PATH_MAX];

	/* ZooKeeper creates a missing dataDir too */
	if (mkdirs(sv->cfg.data_dir, 0750) < 0)
		fatal("mkdir %s", sv->cfg.data_dir);
	if (realpath(sv->cfg.data_dir, datadir) == NULL)
		fatal("%s", sv->cfg.data_dir);
	sv->lockfd[1] = lock(datadir, "dataDir");
	choose(sv, datadir);
	sv->lockfd[0] = lock(sv->rundir, "runtime directory");
	remove_stale(sv->rundir);
	if (setenv("CORRAL_RUNDIR", sv->rundir, 1) < 0)
		fatal("setenv");
	log_info("runtime directory %s", sv->rundir);
}
