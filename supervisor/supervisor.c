/*
 * supervisor_main(): load the config, take the runtime dir, bind the
 * ROUTER every child reports to, start the children in order and keep
 * them alive. Signals arrive through a signalfd, so the mask is set before
 * the ZeroMQ context exists: its I/O threads inherit it and never take a
 * signal meant for us. Children are forked while that context exists;
 * supervisor_spawn.c explains why that is safe.
 */
#include "supervisor/supervisor.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <zmq.h>

#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/msg.h"
#include "common/signals.h"

/* Block the signals we read from a signalfd; returns the fd. */
static int
setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

	return signals_open(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

/* Children live next to us (build/bin, /usr/bin) unless CORRAL_BINDIR. */
static void
find_bindir(struct supervisor *sv)
{
	const char *env = getenv("CORRAL_BINDIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(sv->bindir, sizeof(sv->bindir), "%s", env);
		return;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	snprintf(sv->bindir, sizeof(sv->bindir), "%s", dirname(exe));
}

/* Parse the config again and say whether it is valid; apply nothing yet. */
static void
reload(struct supervisor *sv)
{
	struct config *next = calloc(1, sizeof(*next));
	char *errs = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&errs, &len);
	int rc;

	if (next == NULL || f == NULL)
		fatal("reload");
	rc = config_load(next, sv->opts.config_file, f);
	fclose(f);
	for (line = strtok_r(errs, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", line);
	if (rc == 0)
		log_info("SIGHUP: %s is valid (changes are not applied yet)",
		    sv->opts.config_file);
	else
		log_warnx("SIGHUP: %s is invalid, keeping the running config",
		    sv->opts.config_file);
	free(errs);
	free(next);
}

/* SIGCHLD reaps, SIGTERM/SIGINT stop, SIGHUP re-reads the config. */
static void
on_signal(struct loop *l, void *arg)
{
	struct supervisor *sv = arg;
	struct signalfd_siginfo si;

	(void)l;
	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			supervisor_child_reap(sv);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u", si.ssi_signo);
			supervisor_stop_begin(sv, 0);
			break;
		case SIGHUP:
			reload(sv);
			break;
		}
	}
	/* SIGCHLDs coalesce: reap anyway */
	supervisor_child_reap(sv);
}

/* A READY from the live incarnation of a slot. */
static void
child_ready(struct supervisor_child *c, const Envelope *env)
{
	if (strcmp(env->text, c->role->name) != 0 ||
	    env->origin != (uint32_t)c->instance)
		fatalx("READY from generation %" PRIu64 " says %s/%u, "
		    "want %s/%d", env->generation, env->text, env->origin,
		    c->role->name, c->instance);
	if (c->state != SUPERVISOR_CHILD_STARTING)
		return;
	c->state = SUPERVISOR_CHILD_READY;
	c->ready_ms = c->heartbeat_ms = loop_now_ms();
	log_info("%s pid %d ready after %" PRIu64 " ms", c->name,
	    (int)c->pid, c->ready_ms - c->started_ms);
}

/* READY and heartbeats from the children (ROUTER). */
static void
dispatch_children(struct loop *l, void *arg)
{
	struct supervisor *sv = arg;
	struct supervisor_child *c;
	struct msg m;

	(void)l;
	while (msg_recv(sv->router, 1, &m) == 0) {
		/* a message from an earlier incarnation finds no slot */
		c = supervisor_child_find(sv, m.env.generation);
		switch (m.env.type) {
		case MsgType_SUPERVISOR_READY:
			if (c != NULL)
				child_ready(c, &m.env);
			break;
		case MsgType_SUPERVISOR_HEARTBEAT:
			if (c == NULL)
				break;
			c->heartbeat_ms = loop_now_ms();
			snprintf(c->status, sizeof(c->status), "%s",
			    m.env.text);
			break;
		default:
			fatalx("unexpected %s", msg_type_name(m.env.type));
		}
		if (c == NULL)
			log_debug("ignored %s of generation %" PRIu64,
			    msg_type_name(m.env.type), m.env.generation);
		msg_close(&m);
	}
}

/* Every second: kill children that went silent. */
static void
check_children(struct loop *l, void *arg)
{
	(void)l;
	supervisor_child_check(arg, loop_now_ms());
}

/* Tell systemd about any state change of this iteration. */
static void
before_sleep(struct loop *l, void *arg)
{
	(void)l;
	supervisor_notify_update(arg);
}

/* ZeroMQ leaves the ipc socket file behind; a clean exit removes it. */
static void
remove_socket(const struct supervisor *sv)
{
	char addr[256];

	if (endpoint_address(EP_SUPERVISOR, sv->rundir, addr,
	    sizeof(addr)) == 0 && unlink(addr + strlen("ipc://")) < 0 &&
	    errno != ENOENT)
		log_warn("unlink %s", addr);
}

/* --check-config: the normalized config on stdout, or the errors. */
static int
check_config(const char *file)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	int rc;

	if (cfg == NULL)
		fatal("calloc");
	rc = config_load(cfg, file, stderr);
	if (rc == 0)
		config_print(cfg, stdout);
	free(cfg);
	return rc == 0 ? 0 : 2;
}

int
supervisor_main(const struct supervisor_opts *opts)
{
	static struct supervisor sv;

	prctl(PR_SET_NAME, "corral");
	log_init(opts->debug);
	log_procinit("corral");
	if (opts->check_only)
		return check_config(opts->config_file);
	sv.opts = *opts;
	sv.lockfd[0] = sv.lockfd[1] = -1;
	if (config_load(&sv.cfg, opts->config_file, stderr) < 0)
		return 2;
	sv.sigfd = setup_signals();
	find_bindir(&sv);
	supervisor_child_plan(&sv);
	supervisor_rundir_setup(&sv);

	sv.zctx = zmq_ctx_new();
	sv.router = endpoint_bind(sv.zctx, EP_SUPERVISOR, sv.rundir);
	sv.loop = loop_new();
	loop_add_fd(sv.loop, sv.sigfd, on_signal, &sv);
	loop_add_sock(sv.loop, sv.router, dispatch_children, &sv);
	loop_add_timer(sv.loop, 1000, 1, check_children, &sv);
	loop_before_sleep(sv.loop, before_sleep, &sv);
	supervisor_notify_watchdog_init(&sv);
	log_info("corral %s starting %zu children, config %s", CORRAL_VERSION,
	    sv.nchildren, opts->config_file);
	for (size_t i = 0; i < sv.nchildren; i++)
		supervisor_child_start(&sv.children[i]);

	loop_run(sv.loop);

	endpoint_close(&sv.router);
	remove_socket(&sv);
	loop_destroy(&sv.loop);
	zmq_ctx_term(sv.zctx);
	free(sv.children);
	log_info("exit %d", sv.exit_code);
	return sv.exit_code;
}
