/*
 * The IPC topology table. HWM 0 (unlimited) on the DEALER/ROUTER pairs:
 * every message there must arrive and its volume is bounded by the
 * clients we admit. The commit PUB keeps a bound, because PUB drops past
 * it: subscribers detect the gap by prev_zxid and refill from the store.
 */
#include "common/endpoints.h"

#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "common/log.h"

struct endpoint {
	const char	*name;
	int		 bind_type;
	int		 connect_type;
	int		 hwm;
	const char	*binder;
	const char	*connectors;
};

static const struct endpoint table[EP_COUNT] = {
	[EP_SUPERVISOR] = { "supervisor", ZMQ_ROUTER, ZMQ_DEALER, 0,
	    "corral", "every child" },
	[EP_REPLICATOR] = { "replicator", ZMQ_ROUTER, ZMQ_DEALER, 0,
	    "corral-replicator", "corral-frontend" },
	[EP_COMMITS] = { "commits", ZMQ_PUB, ZMQ_SUB, 1000000,
	    "corral-replicator", "corral-frontend" },
	[EP_STORE] = { "store", ZMQ_ROUTER, ZMQ_DEALER, 0,
	    "corral-store", "corral-replicator, corral-frontend" },
	[EP_ELECTION] = { "election", ZMQ_ROUTER, ZMQ_DEALER, 0,
	    "corral-election", "corral-replicator" },
};

const char *
endpoint_name(enum endpoint_id id)
{
	return table[id].name;
}

int
endpoint_address(enum endpoint_id id, const char *rundir, char *buf,
    size_t len)
{
	int n = snprintf(buf, len, "ipc://%s/%s", rundir, table[id].name);

	/* ipc:// paths longer than 107 bytes fail to bind (sun_path) */
	if (n < 0 || (size_t)n >= len || n - 6 > 107)
		return -1;
	return 0;
}

static void *
make_socket(void *zctx, enum endpoint_id id, int type)
{
	void *s = zmq_socket(zctx, type);
	int zero = 0, hwm = table[id].hwm;

	if (s == NULL)
		fatal("zmq_socket %s", table[id].name);
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	if (type == ZMQ_SUB)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	if (type == ZMQ_DEALER || type == ZMQ_SUB) {
		int ivl = 10, max = 200;

		/* a restarted child rebinds within tens of ms */
		zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
		zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &max, sizeof(max));
	}
	return s;
}

void *
endpoint_bind(void *zctx, enum endpoint_id id, const char *rundir)
{
	char addr[256];
	void *s;

	if (endpoint_address(id, rundir, addr, sizeof(addr)) < 0)
		fatalx("endpoint %s: runtime dir path too long: %s",
		    table[id].name, rundir);
	s = make_socket(zctx, id, table[id].bind_type);
	if (zmq_bind(s, addr) < 0)
		fatal("bind %s", addr);
	return s;
}

void *
endpoint_connect(void *zctx, enum endpoint_id id, const char *rundir)
{
	char addr[256];
	void *s;

	if (endpoint_address(id, rundir, addr, sizeof(addr)) < 0)
		fatalx("endpoint %s: runtime dir path too long: %s",
		    table[id].name, rundir);
	s = make_socket(zctx, id, table[id].connect_type);
	if (zmq_connect(s, addr) < 0)
		fatal("connect %s", addr);
	return s;
}

void
endpoint_close(void **sockp)
{
	int zero = 0;

	if (sockp == NULL || *sockp == NULL)
		return;
	zmq_setsockopt(*sockp, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(*sockp);
	*sockp = NULL;
}
