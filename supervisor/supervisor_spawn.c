/*
 * fork + exec of a child while our ZeroMQ context and its I/O threads
 * exist. After fork only the calling thread survives, and another thread
 * may have held the malloc or zmq locks: so between fork and exec the
 * child calls only async-signal-safe functions. argv, envp and every
 * struct it needs are built before the fork.
 */
#include "supervisor/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Signals the supervisor blocks or ignores; a child starts clean. */
static const int reset_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE
};

/* Async-signal-safe message to stderr. */
static void
write_str(const char *s)
{
	ssize_t rc = write(STDERR_FILENO, s, strlen(s));

	(void)rc;
}

/* The child side: never returns. */
static void
exec_child(pid_t parent, int maxfd, const struct sigaction *dfl,
    const sigset_t *none, const char *path, char *const argv[],
    char *const envp[])
{
	/* die with the supervisor, even if it died before this line */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	for (size_t i = 0; i < sizeof(reset_signals) / sizeof(int); i++)
		sigaction(reset_signals[i], dfl, NULL);
	sigprocmask(SIG_SETMASK, none, NULL);
	/* the ROUTER's ipc socket, the lock files, the signalfd: not theirs */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < maxfd; fd++)
			close(fd);
	execve(path, argv, envp);
	write_str("corral: exec ");
	write_str(path);
	write_str(" failed\n");
	_exit(127);
}

pid_t
supervisor_spawn(const char *path, char *const argv[], char *const envp[])
{
	struct sigaction dfl;
	struct rlimit rl;
	sigset_t none;
	pid_t parent = getpid(), pid;
	int maxfd = 1024;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&none);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
		maxfd = (int)rl.rlim_cur;
	if ((pid = fork()) != 0)
		return pid;
	exec_child(parent, maxfd, &dfl, &none, path, argv, envp);
	return -1;	/* not reached */
}
