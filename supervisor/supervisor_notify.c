/*
 * systemd notification. READY=1 goes out once, when every child has
 * reported READY for the first time; STATUS= follows the children as they
 * come and go; WATCHDOG=1 is sent only while no READY child has gone
 * silent, so a supervisor that lost track of its children gets restarted
 * by systemd. Without NOTIFY_SOCKET, sd_notify does nothing.
 */
#include "supervisor/supervisor.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/log.h"
#include "common/loop.h"

/* How a slot state reads in STATUS=. */
static const char *
state_word(enum supervisor_child_state s)
{
	switch (s) {
	case SUPERVISOR_CHILD_READY:
		return "up";
	case SUPERVISOR_CHILD_STARTING:
		return "starting";
	case SUPERVISOR_CHILD_STOPPING:
		return "stopping";
	case SUPERVISOR_CHILD_KILLED:
	case SUPERVISOR_CHILD_DOWN:
		break;
	}
	return "down";
}

/* "frontend x4 up", or "frontend 3/4 up" while some are not. */
static size_t
role_summary(const struct supervisor_child *c, size_t n, char *buf,
    size_t len)
{
	size_t k = 0, up = 0;

	while (k < n && c[k].role == c[0].role) {
		up += c[k].state == SUPERVISOR_CHILD_READY;
		k++;
	}
	if (k == 1)
		snprintf(buf, len, "%s %s", c->role->name,
		    state_word(c->state));
	else if (up == k)
		snprintf(buf, len, "%s x%zu up", c->role->name, k);
	else
		snprintf(buf, len, "%s %zu/%zu up", c->role->name, up, k);
	return k;
}

void
supervisor_notify_summary(const struct supervisor_child *c, size_t n,
    int stopping, int served, char *buf, size_t len)
{
	size_t off, up = 0;

	for (size_t i = 0; i < n; i++)
		up += c[i].state == SUPERVISOR_CHILD_READY;
	off = (size_t)snprintf(buf, len, "%s:", stopping ? "stopping" :
	    up == n ? "serving" : served ? "degraded" : "starting");
	for (size_t i = 0, first = 1; i < n && off < len; first = 0) {
		char part[96];

		i += role_summary(&c[i], n - i, part, sizeof(part));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    first ? " " : ", ", part);
	}
}

void
supervisor_notify_update(struct supervisor *sv)
{
	char status[sizeof(sv->last_status)];
	int all_ready = 1;

	for (size_t i = 0; i < sv->nchildren; i++)
		all_ready &= sv->children[i].state == SUPERVISOR_CHILD_READY;
	supervisor_notify_summary(sv->children, sv->nchildren, sv->stopping,
	    sv->notified_ready, status, sizeof(status));
	if (all_ready && !sv->notified_ready && !sv->stopping) {
		sv->notified_ready = 1;
		log_info("all children ready");
		sd_notifyf(0, "READY=1\nMAINPID=%d\nSTATUS=%s", (int)getpid(),
		    status);
	} else if (strcmp(status, sv->last_status) != 0)
		sd_notifyf(0, "STATUS=%s", status);
	else
		return;
	log_debug("status: %s", status);
	memcpy(sv->last_status, status, sizeof(status));
}

/* WATCHDOG=1, unless a READY child has gone silent. */
static void
watchdog(struct loop *l, void *arg)
{
	struct supervisor *sv = arg;
	uint64_t now = loop_now_ms();

	(void)l;
	for (size_t i = 0; i < sv->nchildren; i++) {
		const struct supervisor_child *c = &sv->children[i];

		if (c->state == SUPERVISOR_CHILD_READY &&
		    now - c->heartbeat_ms >= SUPERVISOR_HEARTBEAT_TIMEOUT_MS)
			return;
	}
	sd_notify(0, "WATCHDOG=1");
}

void
supervisor_notify_watchdog_init(struct supervisor *sv)
{
	uint64_t usec = 0;
	int ms;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	ms = (int)(usec / 2000);
	if (ms < 1)
		ms = 1;
	log_info("systemd watchdog every %d ms", ms);
	loop_add_timer(sv->loop, ms, 1, watchdog, sv);
}
