/*
 * The actor contract every child process keeps with the supervisor
 * (STYLE.md 12): it is started as `corral-<role> --config FILE` with
 * CORRAL_RUNDIR, CORRAL_GENERATION and CORRAL_INSTANCE in its environment;
 * it dies with its parent (PR_SET_PDEATHSIG), sends SUPERVISOR_READY once
 * it serves, a heartbeat with a status line every second, and leaves its
 * loop on SIGTERM/SIGINT or SUPERVISOR_STOP.
 */
#ifndef CORRAL_COMMON_CHILD_H
#define CORRAL_COMMON_CHILD_H

#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

struct loop;

struct child {
	const char	*role;		/* "store", "frontend", ... */
	char		 rundir[512];
	uint64_t	 generation;
	int		 instance;	/* CORRAL_INSTANCE, 1-based */
	struct config	 cfg;
	void		*zctx;
	void		*sup;		/* DEALER to the supervisor */
	struct loop	*loop;
	int		 sigfd;
	pid_t		 ppid;		/* the supervisor */
	char		 status[240];
};

/*
 * Parse argv and environment, name the process corral-<role>, set up
 * logging, load the config (exit 2 if invalid), create the zmq context and
 * the loop, connect to the supervisor and handle signals. Never returns
 * NULL: failure here is fatal.
 */
struct child	*child_new(const char *role, int argc, char **argv);
/* Tell the supervisor we serve. */
void		 child_ready(struct child *);
/* The status line sent with each heartbeat. */
void		 child_status(struct child *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Close the supervisor link, the loop and the context (sockets first!). */
void		 child_destroy(struct child **);

#endif
