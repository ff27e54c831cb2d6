/*
 * The whole IPC topology of one node, in one table (endpoints.c). Code
 * never writes an endpoint string inline: it binds or connects by id.
 */
#ifndef CORRAL_COMMON_ENDPOINTS_H
#define CORRAL_COMMON_ENDPOINTS_H

#include <stddef.h>

enum endpoint_id {
	EP_SUPERVISOR,	/* ROUTER @supervisor <- every child (DEALER) */
	EP_REPLICATOR,	/* ROUTER @replicator <- frontends: submit, touch */
	EP_COMMITS,	/* PUB @replicator -> frontends (SUB): commit stream */
	EP_STORE,	/* ROUTER @store <- replicator, frontends */
	EP_ELECTION,	/* ROUTER @election <- replicator */
	EP_COUNT
};

/* The ipc:// address of an endpoint under rundir; buf of at least 128. */
int	 endpoint_address(enum endpoint_id, const char *rundir, char *buf,
	    size_t len);
const char *endpoint_name(enum endpoint_id);
/* Create the socket and bind it (binding role); fatal on failure. */
void	*endpoint_bind(void *zctx, enum endpoint_id, const char *rundir);
/* Create the connecting-side socket and connect it; fatal on failure. */
void	*endpoint_connect(void *zctx, enum endpoint_id, const char *rundir);
/* Close with linger 0 and NULL the pointer. */
void	 endpoint_close(void **sockp);

#endif
