/*
 * One event loop per process, one poll(2) a turn (the size of Redis ae
 * or CZMQ zloop): ZeroMQ sockets (through their ZMQ_FDs), raw fds
 * (signalfd, listeners, the frontend's epoll fd), monotonic timers, and
 * "before sleep" work that runs once per iteration (group commit, reply
 * flushing).
 */
#ifndef CORRAL_COMMON_LOOP_H
#define CORRAL_COMMON_LOOP_H

#include <stdint.h>

struct loop;
typedef void loop_fn(struct loop *, void *arg);

struct loop	*loop_new(void);
void		 loop_destroy(struct loop **);

/* Call fn whenever sock is readable; fn must drain it (ZMQ_DONTWAIT). */
void	loop_add_sock(struct loop *, void *sock, loop_fn *fn, void *arg);
void	loop_remove_sock(struct loop *, void *sock);
/* Call fn whenever fd is readable. */
void	loop_add_fd(struct loop *, int fd, loop_fn *fn, void *arg);
void	loop_remove_fd(struct loop *, int fd);
/* Run fn after ms, then every ms if repeat. Returns an id for cancel. */
uint64_t loop_add_timer(struct loop *, int ms, int repeat, loop_fn *fn,
	    void *arg);
void	loop_cancel_timer(struct loop *, uint64_t id);
/* fn runs once per iteration, before the loop waits. */
void	loop_before_sleep(struct loop *, loop_fn *fn, void *arg);
/* Run until loop_stop(); returns 0. */
int	loop_run(struct loop *);
void	loop_stop(struct loop *);
/* Monotonic milliseconds, monotonic microseconds, wall-clock ms. */
uint64_t loop_now_ms(void);
uint64_t loop_now_us(void);
uint64_t loop_wall_ms(void);
/*
 * Count messages received (common/msg.c does, for every ZeroMQ message):
 * the process's loop coalesces wake-ups when they come fast (loop.c).
 */
void	loop_note_messages(unsigned n);
/* A send or receive on a loop socket: look at it before sleeping. */
void	loop_note_sock_used(void *sock);
/* A receive on it found nothing: its fd signals the next message. */
void	loop_note_sock_drained(void *sock);
/*
 * Report how many requests are in flight (the deepest of a window
 * counts): a deep backlog lowers the rates at which the loop coalesces.
 */
void	loop_note_backlog(unsigned n);
#define LOOP_BACKLOG	16	/* deep from here */
/* Coalesce only while the CPUs this process may use are busy (loop.c). */
void	loop_coalesce_when_busy(struct loop *);
/* Iterations so far (exported as a metric). */
uint64_t loop_iterations(const struct loop *);

#endif
