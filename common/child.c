/* The child side of the supervisor contract (see child.h). */
#include "common/child.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
#include "common/xmalloc.h"

static void
usage(const char *role)
{
	fprintf(stderr, "usage: corral-%s --config FILE [-d]\n", role);
	exit(2);
}

static void
send_to_supervisor(struct child *c, MsgType type)
{
	Envelope env = msg_env(type);

	env.generation = c->generation;
	env.origin = (uint32_t)c->instance;
	snprintf(env.text, sizeof(env.text), "%s", type ==
	    MsgType_SUPERVISOR_READY ? c->role : c->status);
	if (msg_send(c->sup, NULL, 0, &env, NULL, 0) < 0 && errno != EAGAIN)
		log_warn("send %s to supervisor", msg_type_name(type));
}

static void
heartbeat(struct loop *l, void *arg)
{
	struct child *c = arg;

	(void)l;
	/* orphaned: the supervisor is gone even if PDEATHSIG was missed */
	if (getppid() != c->ppid)
		fatalx("lost connection to parent");
	send_to_supervisor(c, MsgType_SUPERVISOR_HEARTBEAT);
}

static void
on_signal(struct loop *l, void *arg)
{
	struct child *c = arg;
	struct signalfd_siginfo si;

	while (read(c->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("signal %u, stopping", si.ssi_signo);
			loop_stop(l);
		}
	}
}

static void
on_supervisor(struct loop *l, void *arg)
{
	struct child *c = arg;
	struct msg m;

	while (msg_recv(c->sup, 0, &m) == 0) {
		if (m.env.type == MsgType_SUPERVISOR_STOP)
			loop_stop(l);
		msg_close(&m);
	}
}

static int
setup_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	return signals_open(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

static void
parse_env(struct child *c)
{
	const char *s;

	if ((s = getenv("CORRAL_RUNDIR")) == NULL || *s == '\0')
		fatalx("CORRAL_RUNDIR not set: corral-%s is started by corral",
		    c->role);
	snprintf(c->rundir, sizeof(c->rundir), "%s", s);
	if ((s = getenv("CORRAL_GENERATION")) != NULL)
		c->generation = strtoull(s, NULL, 10);
	c->instance = 1;
	if ((s = getenv("CORRAL_INSTANCE")) != NULL)
		c->instance = atoi(s);
}

struct child *
child_new(const char *role, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	struct child *c = xcalloc(1, sizeof(*c));
	const char *file = NULL;
	char name[16];
	int ch, debug = 0;

	c->role = role;
	while ((ch = getopt_long(argc, argv, "c:d", opts, NULL)) != -1) {
		if (ch == 'c')
			file = optarg;
		else if (ch == 'd')
			debug = 1;
		else
			usage(role);
	}
	if (file == NULL)
		usage(role);
	snprintf(name, sizeof(name), "corral-%s", role);
	prctl(PR_SET_NAME, name);
	c->ppid = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != c->ppid)	/* died before PDEATHSIG was armed */
		exit(1);
	log_init(debug || getenv("CORRAL_DEBUG") != NULL);
	log_procinit(role);
	if (config_load(&c->cfg, file, stderr) < 0)
		exit(2);
	parse_env(c);
	c->sigfd = setup_signals();
	c->zctx = zmq_ctx_new();
	/*
	 * Every zmq_send that finds ZeroMQ's I/O thread asleep wakes it, and
	 * on two busy CPUs the woken thread used to preempt the sender in
	 * the middle of its turn: a traced unloaded write saw a follower's
	 * replicator wait ~800 us to queue the append it was about to send.
	 * SCHED_BATCH (still a fair share, only no wake-up preemption) lets
	 * the turn finish, and the I/O thread then sends all of it.
	 */
	if (zmq_ctx_set(c->zctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH) < 0)
		log_warn("ZeroMQ I/O threads: SCHED_BATCH");
	c->loop = loop_new();
	c->sup = endpoint_connect(c->zctx, EP_SUPERVISOR, c->rundir);
	loop_add_fd(c->loop, c->sigfd, on_signal, c);
	loop_add_sock(c->loop, c->sup, on_supervisor, c);
	loop_add_timer(c->loop, 1000, 1, heartbeat, c);
	snprintf(c->status, sizeof(c->status), "starting");
	return c;
}

void
child_ready(struct child *c)
{
	send_to_supervisor(c, MsgType_SUPERVISOR_READY);
	log_info("ready (generation %" PRIu64 ")", c->generation);
}

void
child_status(struct child *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->status, sizeof(c->status), fmt, ap);
	va_end(ap);
}

void
child_destroy(struct child **cp)
{
	struct child *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	endpoint_close(&c->sup);
	loop_destroy(&c->loop);
	zmq_ctx_term(c->zctx);
	close(c->sigfd);
	free(c);
	*cp = NULL;
}
