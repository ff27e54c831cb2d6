/*
 * The process table (Postfix master.cf, compiled in) and the life of each
 * child slot: start, reap, restart with backoff, kill on silence. Each
 * incarnation gets a fresh generation number; messages carrying an older
 * one come from a dead incarnation and are ignored by the caller of
 * supervisor_child_find().
 */
#include "supervisor/supervisor.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/loop.h"
#include "common/xmalloc.h"

extern char **environ;

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Start order: the store first, as everyone talks to it; frontends last.
 * An observer runs the same family (its replicator learns without a vote):
 * a reconfig can turn a participant into an observer and back, live.
 */
static const struct supervisor_role roles[] = {
	/* name		order	per_fe */
	{ "store",	0,	0 },
	{ "election",	1,	0 },
	{ "replicator",	2,	0 },
	{ "frontend",	3,	1 },
};

/* Variables that belong to us alone, or that we set per incarnation. */
static const char *const private_env[] = {
	"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=",
	"LISTEN_PID=", "LISTEN_FDNAMES=", "CORRAL_GENERATION=",
	"CORRAL_INSTANCE=", "CORRAL_RUNDIR="
};

static char *envvar(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Append one child slot; its executable must exist now, not at exec. */
static void
add_slot(struct supervisor *sv, const struct supervisor_role *r, int inst,
    int count)
{
	struct supervisor_child *c;

	sv->children = xreallocarray(sv->children, sv->nchildren + 1,
	    sizeof(*sv->children));
	c = &sv->children[sv->nchildren++];
	memset(c, 0, sizeof(*c));
	c->sv = sv;
	c->role = r;
	c->instance = inst;
	if (count > 1)
		snprintf(c->name, sizeof(c->name), "corral-%s/%d", r->name,
		    inst);
	else
		snprintf(c->name, sizeof(c->name), "corral-%s", r->name);
	if (snprintf(c->path, sizeof(c->path), "%s/corral-%s", sv->bindir,
	    r->name) >= (int)sizeof(c->path))
		fatalx("%s: path too long", sv->bindir);
	if (access(c->path, X_OK) < 0)
		fatal("%s", c->path);
}

void
supervisor_child_plan(struct supervisor *sv)
{
	for (int order = 0; order <= 3; order++)
		for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
			const struct supervisor_role *r = &roles[i];
			int n = r->per_frontend ? sv->cfg.frontends : 1;

			if (r->order != order)
				continue;
			for (int inst = 1; inst <= n; inst++)
				add_slot(sv, r, inst, n);
		}
}

/* A "NAME=value" string for an environment vector. */
static char *
envvar(const char *fmt, ...)
{
	char buf[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstrdup(buf);
}

/*
 * environ without our private variables, plus this incarnation's and
 * the malloc tunables (supervisor_tunables.c).
 */
static char **
child_env(const struct supervisor_child *c)
{
	size_t n = 0, k = 0;
	char **env, *tunables = supervisor_tunables(getenv("GLIBC_TUNABLES"));

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 5, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		int skip = 0;

		for (size_t j = 0; j < nitems(private_env); j++)
			if (strncmp(environ[i], private_env[j],
			    strlen(private_env[j])) == 0)
				skip = 1;
		if (tunables != NULL &&
		    strncmp(environ[i], "GLIBC_TUNABLES=", 15) == 0)
			skip = 1;	/* replaced by its extended copy */
		if (!skip)
			env[k++] = xstrdup(environ[i]);
	}
	if (tunables != NULL)
		env[k++] = tunables;
	env[k++] = envvar("CORRAL_RUNDIR=%s", c->sv->rundir);
	env[k++] = envvar("CORRAL_GENERATION=%" PRIu64, c->generation);
	env[k++] = envvar("CORRAL_INSTANCE=%d", c->instance);
	return env;
}

/* Free a NULL-terminated vector of strings. */
static void
free_vec(char **v)
{
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
supervisor_child_start(struct supervisor_child *c)
{
	struct supervisor *sv = c->sv;
	char *argv[5] = { NULL }, **env;
	int argc = 0;

	c->restart_timer = 0;
	c->generation = ++sv->generation;
	argv[argc++] = xstrdup(c->path);
	argv[argc++] = xstrdup("--config");
	argv[argc++] = xstrdup(sv->opts.config_file);
	if (sv->opts.debug)
		argv[argc++] = xstrdup("-d");
	env = child_env(c);
	c->pid = supervisor_spawn(c->path, argv, env);
	free_vec(env);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	if (c->pid < 0)
		fatal("fork %s", c->name);
	c->state = SUPERVISOR_CHILD_STARTING;
	c->started_ms = loop_now_ms();
	c->ready_ms = c->heartbeat_ms = 0;
	c->status[0] = '\0';
	log_info("%s pid %d started (generation %" PRIu64 ")", c->name,
	    (int)c->pid, c->generation);
}

/* Backoff timer: start the next incarnation unless we are stopping. */
static void
restart(struct loop *l, void *arg)
{
	struct supervisor_child *c = arg;

	(void)l;
	c->restart_timer = 0;
	if (!c->sv->stopping && c->pid == 0)
		supervisor_child_start(c);
}

/* The slot running pid, NULL for a pid we do not know. */
static struct supervisor_child *
by_pid(struct supervisor *sv, pid_t pid)
{
	for (size_t i = 0; i < sv->nchildren; i++)
		if (sv->children[i].pid == pid)
			return &sv->children[i];
	return NULL;
}

/* Log how a child ended; a clean exit while stopping is not news. */
static void
log_exit(const struct supervisor_child *c, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s pid %d killed by signal %d", c->name, (int)pid,
		    WTERMSIG(status));
	else if (c->sv->stopping && WEXITSTATUS(status) == 0)
		log_info("%s pid %d exit status 0", c->name, (int)pid);
	else
		log_warnx("%s pid %d exit status %d", c->name, (int)pid,
		    WEXITSTATUS(status));
}

/* An unexpected exit: restart after the backoff delay, or give up. */
static void
crashed(struct supervisor_child *c, uint64_t now)
{
	uint64_t up = c->ready_ms ? now - c->ready_ms : 0;
	int delay = supervisor_backoff_record(&c->backoff, now, up);

	if (delay < 0) {
		log_warnx("%s crashed more than %d times in %d s, giving up",
		    c->name, SUPERVISOR_CRASH_LIMIT,
		    SUPERVISOR_CRASH_WINDOW_MS / 1000);
		supervisor_stop_begin(c->sv, 1);
		return;
	}
	log_info("%s restarting in %d ms", c->name, delay);
	c->restart_timer = loop_add_timer(c->sv->loop, delay, 0, restart, c);
}

void
supervisor_child_reap(struct supervisor *sv)
{
	struct supervisor_child *c;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = by_pid(sv, pid)) == NULL) {
			log_debug("reaped unknown pid %d", (int)pid);
			continue;
		}
		log_exit(c, pid, status);
		c->pid = 0;
		c->state = SUPERVISOR_CHILD_DOWN;
		if (!sv->stopping)
			crashed(c, loop_now_ms());
	}
	if (pid < 0 && errno != ECHILD)
		log_warn("waitpid");
	if (sv->stopping)
		supervisor_stop_advance(sv);
}

void
supervisor_child_check(struct supervisor *sv, uint64_t now)
{
	for (size_t i = 0; i < sv->nchildren; i++) {
		struct supervisor_child *c = &sv->children[i];

		if (c->state != SUPERVISOR_CHILD_READY || c->pid == 0 ||
		    now - c->heartbeat_ms < SUPERVISOR_HEARTBEAT_TIMEOUT_MS)
			continue;
		log_warnx("%s pid %d: no heartbeat for %" PRIu64 " ms, killing",
		    c->name, (int)c->pid, now - c->heartbeat_ms);
		c->state = SUPERVISOR_CHILD_KILLED;
		if (kill(c->pid, SIGKILL) < 0)
			log_warn("kill %s pid %d", c->name, (int)c->pid);
	}
}

struct supervisor_child *
supervisor_child_find(struct supervisor *sv, uint64_t generation)
{
	for (size_t i = 0; i < sv->nchildren; i++) {
		struct supervisor_child *c = &sv->children[i];

		if (c->pid != 0 && c->generation == generation)
			return c;
	}
	return NULL;
}
