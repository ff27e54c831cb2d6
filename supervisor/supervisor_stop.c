/*
 * Graceful stop, in reverse start order: frontends first (no new client
 * work), the store last (it must see everything the others flushed). Each
 * role gets SIGTERM and SUPERVISOR_STOP_TIMEOUT_MS to exit, then SIGKILL.
 * Reaping goes on meanwhile; the loop ends once every child is gone.
 */
#include "supervisor/supervisor.h"

#include <signal.h>

#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "common/loop.h"

/* 1 if a child of this start order still runs. */
static int
alive_at(const struct supervisor *sv, int order)
{
	for (size_t i = 0; i < sv->nchildren; i++)
		if (sv->children[i].pid != 0 &&
		    sv->children[i].role->order == order)
			return 1;
	return 0;
}

/* Send sig to every live child of one start order. */
static void
signal_order(struct supervisor *sv, int order, int sig)
{
	for (size_t i = 0; i < sv->nchildren; i++) {
		struct supervisor_child *c = &sv->children[i];

		if (c->pid == 0 || c->role->order != order)
			continue;
		if (sig == SIGKILL)
			log_warnx("%s pid %d did not stop in %d ms, killing",
			    c->name, (int)c->pid, SUPERVISOR_STOP_TIMEOUT_MS);
		c->state = SUPERVISOR_CHILD_STOPPING;
		if (kill(c->pid, sig) < 0)
			log_warn("kill %s pid %d", c->name, (int)c->pid);
	}
}

/* Every 100 ms while stopping: SIGKILL past the deadline, move on. */
static void
tick(struct loop *l, void *arg)
{
	struct supervisor *sv = arg;

	(void)l;
	if (!sv->stop_killed && loop_now_ms() >= sv->stop_deadline &&
	    alive_at(sv, sv->stop_order)) {
		sv->stop_killed = 1;
		signal_order(sv, sv->stop_order, SIGKILL);
	}
	supervisor_stop_advance(sv);
}

void
supervisor_stop_advance(struct supervisor *sv)
{
	if (!sv->stopping || sv->stop_order < 0 ||
	    alive_at(sv, sv->stop_order))
		return;
	while (--sv->stop_order >= 0)
		if (alive_at(sv, sv->stop_order))
			break;
	if (sv->stop_order < 0) {
		log_info("all children stopped");
		loop_stop(sv->loop);
		return;
	}
	sv->stop_deadline = loop_now_ms() + SUPERVISOR_STOP_TIMEOUT_MS;
	sv->stop_killed = 0;
	signal_order(sv, sv->stop_order, SIGTERM);
}

void
supervisor_stop_begin(struct supervisor *sv, int code)
{
	if (code > sv->exit_code)
		sv->exit_code = code;
	if (sv->stopping)
		return;
	sv->stopping = 1;
	log_info("stopping children");
	sd_notify(0, "STOPPING=1");
	for (size_t i = 0; i < sv->nchildren; i++) {
		struct supervisor_child *c = &sv->children[i];

		if (c->restart_timer != 0)
			loop_cancel_timer(sv->loop, c->restart_timer);
		c->restart_timer = 0;
	}
	/* one past the last order: advance() steps down to a live one */
	sv->stop_order = 0;
	for (size_t i = 0; i < sv->nchildren; i++)
		if (sv->children[i].role->order >= sv->stop_order)
			sv->stop_order = sv->children[i].role->order + 1;
	loop_add_timer(sv->loop, 100, 1, tick, sv);
	supervisor_stop_advance(sv);
}
