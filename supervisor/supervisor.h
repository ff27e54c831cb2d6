/*
 * The supervisor (corral): parses the config, prepares the runtime dir,
 * keeps one process per role alive with restart throttling (Postfix
 * master), and reports to systemd. Private to supervisor/.
 */
#ifndef CORRAL_SUPERVISOR_SUPERVISOR_H
#define CORRAL_SUPERVISOR_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

#define SUPERVISOR_BACKOFF_MIN_MS	100
#define SUPERVISOR_BACKOFF_MAX_MS	5000
#define SUPERVISOR_STABLE_MS		10000	/* READY this long: reset */
#define SUPERVISOR_CRASH_LIMIT		10	/* more than this many ... */
#define SUPERVISOR_CRASH_WINDOW_MS	60000	/* ... within this: give up */
#define SUPERVISOR_HEARTBEAT_TIMEOUT_MS	10000
#define SUPERVISOR_STOP_TIMEOUT_MS	5000

struct loop;

struct supervisor_opts {
	const char	*config_file;
	int		 debug;
	int		 check_only;	/* --check-config */
};

/* One row of the compiled-in process table (Postfix master.cf). */
struct supervisor_role {
	const char	*name;		/* executable is corral-<name> */
	int		 order;		/* start ascending, stop descending */
	int		 per_frontend;	/* instances = corral.frontends */
};

/* Restart throttling state of one child slot. */
struct supervisor_backoff {
	int		 delay_ms;	/* last delay, 0: no recent crash */
	int		 ncrashes;	/* in at[], at most LIMIT + 1 */
	uint64_t	 at[SUPERVISOR_CRASH_LIMIT + 1];	/* ring, ms */
	int		 next;
};

enum supervisor_child_state {
	SUPERVISOR_CHILD_DOWN,		/* not running, maybe restart pending */
	SUPERVISOR_CHILD_STARTING,	/* forked, no READY yet */
	SUPERVISOR_CHILD_READY,
	SUPERVISOR_CHILD_KILLED,	/* SIGKILLed for missing heartbeats */
	SUPERVISOR_CHILD_STOPPING	/* sent SIGTERM on shutdown */
};

struct supervisor;

/* One child slot: a role instance, across its incarnations. */
struct supervisor_child {
	struct supervisor	*sv;
	const struct supervisor_role *role;
	int			 instance;	/* 1-based */
	char			 name[48];	/* "corral-store", ".../2" */
	char			 path[1024];
	pid_t			 pid;		/* 0 when not running */
	uint64_t		 generation;	/* of the live incarnation */
	enum supervisor_child_state state;
	uint64_t		 started_ms, ready_ms, heartbeat_ms;
	uint64_t		 restart_timer;	/* 0: none pending */
	char			 status[256];	/* last heartbeat text */
	struct supervisor_backoff backoff;
};

struct supervisor {
	struct supervisor_opts	 opts;
	struct config		 cfg;
	char			 rundir[512];
	char			 bindir[1024];
	int			 lockfd[2];	/* rundir and dataDir locks */
	int			 sigfd;
	void			*zctx;
	void			*router;	/* EP_SUPERVISOR */
	struct loop		*loop;
	struct supervisor_child	*children;	/* in start order */
	size_t			 nchildren;
	uint64_t		 generation;	/* last one handed out */
	int			 notified_ready;
	char			 last_status[256];
	int			 stopping;
	int			 exit_code;
	int			 stop_order;	/* role order being stopped */
	uint64_t		 stop_deadline;
	int			 stop_killed;
};

/* supervisor.c */
int	supervisor_main(const struct supervisor_opts *);

/*
 * supervisor_tunables.c: the children's GLIBC_TUNABLES ("NAME=value",
 * malloc'd) given the operator's value or NULL; NULL to keep it as it is.
 */
char	*supervisor_tunables(const char *current);

/* supervisor_backoff.c: pure restart throttling */
/* Next delay after prev_ms (0 = first crash): 100 ms doubling to 5 s. */
int	supervisor_backoff_next(int prev_ms);
/*
 * Record a crash at now_ms; ready_for_ms is how long the incarnation had
 * been READY (0 if never). Returns the restart delay in ms, or -1 when
 * more than SUPERVISOR_CRASH_LIMIT crashes fell within the window.
 */
int	supervisor_backoff_record(struct supervisor_backoff *, uint64_t now_ms,
	    uint64_t ready_for_ms);

/* supervisor_child.c */
/* Build the child slots for this config from the process table. */
void	supervisor_child_plan(struct supervisor *);
/* Fork and exec the slot's next incarnation. */
void	supervisor_child_start(struct supervisor_child *);
/* Reap every exited child; schedule restarts or advance the stop. */
void	supervisor_child_reap(struct supervisor *);
/* SIGKILL READY children whose heartbeats stopped; runs every second. */
void	supervisor_child_check(struct supervisor *, uint64_t now_ms);
/* The live slot that generation belongs to, or NULL (a late message). */
struct supervisor_child *supervisor_child_find(struct supervisor *,
	    uint64_t generation);

/* supervisor_spawn.c: fork + exec with only async-signal-safe calls */
/* Returns the pid, or -1 with errno if fork failed. */
pid_t	supervisor_spawn(const char *path, char *const argv[],
	    char *const envp[]);

/* supervisor_rundir.c */
/*
 * Choose, create (0700) and lock the runtime dir and dataDir, and remove
 * stale sockets. Exits 1 if another corral holds either lock.
 */
void	supervisor_rundir_setup(struct supervisor *);

/* supervisor_notify.c */
/*
 * One-line summary like "serving: store up, frontend x2 up" into buf;
 * served: every child has been READY once (a missing one is "degraded").
 */
void	supervisor_notify_summary(const struct supervisor_child *, size_t n,
	    int stopping, int served, char *buf, size_t len);
/* Send READY=1 / STATUS= to systemd when they changed. */
void	supervisor_notify_update(struct supervisor *);
/* Start the WATCHDOG=1 timer if systemd asked for one. */
void	supervisor_notify_watchdog_init(struct supervisor *);

/* supervisor_stop.c */
/* Stop children in reverse start order, then leave the loop with code. */
void	supervisor_stop_begin(struct supervisor *, int code);
/* Move on once the role being stopped has exited; called after reaping. */
void	supervisor_stop_advance(struct supervisor *);

#endif
