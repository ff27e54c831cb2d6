/*
 * The event loop: one poll(2) over the ZeroMQ sockets' ZMQ_FDs and the
 * plain descriptors. Handlers may add or remove items while running:
 * removal only marks the slot dead, and dead slots are compacted between
 * iterations, so the arrays never change under a dispatch.
 *
 * Why not zmq_poll: each call makes 2 + 2n system calls for n sockets (a
 * first pass with timeout 0, then ZMQ_EVENTS per socket, each a getpid
 * and a poll of its signal fd, on each pass), ~25 per replicator turn;
 * unloaded, a write crosses ~10 turns. Here a socket's ZMQ_EVENTS is
 * read only when its fd signals, or when this thread used the socket
 * since the last look (loop_note_sock_used): ZMQ_FD is edge-triggered, a
 * send or a receive may take in the signal of a message that then waits
 * unread.
 */
#include "common/loop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "common/cpu_idle.h"
#include "common/log.h"
#include "common/xmalloc.h"

struct handler {
	loop_fn		*fn;
	void		*arg;
	int		 dead;
};

/* A poll item: a ZeroMQ socket (sock, and its ZMQ_FD) or a descriptor. */
struct item {
	void		*sock;
	int		 fd;
	int		 check;		/* read ZMQ_EVENTS before sleeping */
	int		 ready;		/* dispatch this turn */
};

struct timer {
	uint64_t	 id;
	uint64_t	 due;
	int		 ms;
	int		 repeat;
	int		 dead;
	loop_fn		*fn;
	void		*arg;
};

struct loop {
	struct item	*items;
	struct pollfd	*pfds;
	size_t		*socks;		/* indexes of the socket items */
	size_t		 nsocks;
	struct handler	*handlers;
	size_t		 n, cap;
	struct timer	*timers;
	size_t		 ntimers, timers_cap;
	uint64_t	 next_timer_id;
	struct handler	*before;
	size_t		 nbefore;
	int		 stop;
	uint64_t	 iterations;
	/* coalescing under load (see coalesce_update) */
	long		 rate, delay_us;
	uint64_t	 window_start_us, window_messages;
	long		 sleep_us;	/* before each poll, 0 = none */
	/* coalesce only while the CPUs it may use are busy */
	int		 when_busy;
	struct cpu_idle	*cpu;
	uint64_t	 cpu_sampled_us;
	int		 cpu_idle_pct;
};

uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Coalescing (see coalesce_update): a loop that receives LOOP_RATE
 * messages a second or more, over LOOP_WINDOW_US, sleeps LOOP_DELAY_US / 4
 * before each poll, LOOP_DELAY_US from 1.6 x LOOP_RATE. Measured on the
 * 2-core 3-node pseudo-cluster (4 ms is best at 512 creates in flight,
 * 1 ms at 16); CORRAL_LOOP_RATE / CORRAL_LOOP_DELAY_US override them for
 * experiments, CORRAL_LOOP_DELAY_US=0 turns coalescing off.
 */
#define LOOP_RATE	5000
#define LOOP_DELAY_US	4000
#define LOOP_WINDOW_US	20000
/*
 * With at least LOOP_BACKLOG requests in flight (loop_note_backlog) the
 * rates are LOOP_BACKLOG_DIVISOR times lower: a deep backlog means many
 * independent clients, whose requests a wait gathers into one turn, not
 * a few clients in lockstep, whom any wait only slows down.
 */
#define LOOP_BACKLOG_DIVISOR	5
/*
 * A loop that coalesces only when busy (loop_coalesce_when_busy) does not
 * sleep while the CPUs it may use were LOOP_CPU_IDLE_PCT idle or more over
 * the last LOOP_CPU_WINDOW_US: a wait then buys nothing but latency.
 */
#define LOOP_CPU_IDLE_PCT	20
#define LOOP_CPU_WINDOW_US	200000

/* One loop per process: the messages its handlers received. */
static uint64_t messages;
/* The loop that runs, for loop_note_sock_used. */
static __thread struct loop *running;
/* The deepest backlog reported in the current window. */
static unsigned backlog;

void
loop_note_messages(unsigned n)
{
	messages += n;
}

void
loop_note_backlog(unsigned n)
{
	if (n > backlog)
		backlog = n;
}

static void
mark(void *sock, int check)
{
	struct loop *l = running;

	if (l == NULL || sock == NULL)
		return;
	for (size_t k = 0; k < l->nsocks; k++)
		if (l->items[l->socks[k]].sock == sock)
			l->items[l->socks[k]].check = check;
}

/*
 * This thread sent or received on sock: the operation may have taken in
 * its fd's signal of a message it left unread, so look at its ZMQ_EVENTS
 * before the loop sleeps.
 */
void
loop_note_sock_used(void *sock)
{
	mark(sock, 1);
}

/*
 * A receive on sock returned EAGAIN: it took in the fd's signal and found
 * no message, so the fd will signal the next one (until a send on it).
 */
void
loop_note_sock_drained(void *sock)
{
	mark(sock, 0);
}

uint64_t
loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
loop_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->next_timer_id = 1;
	l->rate = env_long("CORRAL_LOOP_RATE", LOOP_RATE);
	l->delay_us = env_long("CORRAL_LOOP_DELAY_US", LOOP_DELAY_US);
	return l;
}

void
loop_destroy(struct loop **lp)
{
	struct loop *l;

	if (lp == NULL || (l = *lp) == NULL)
		return;
	if (running == l)
		running = NULL;
	free(l->items);
	free(l->pfds);
	free(l->socks);
	free(l->handlers);
	free(l->timers);
	free(l->before);
	cpu_idle_free(&l->cpu);
	free(l);
	*lp = NULL;
}

static void
add_item(struct loop *l, void *sock, int fd, loop_fn *fn, void *arg)
{
	size_t sz = sizeof(fd);

	if (sock != NULL && zmq_getsockopt(sock, ZMQ_FD, &fd, &sz) < 0)
		fatal("zmq_getsockopt ZMQ_FD");
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
		l->pfds = xreallocarray(l->pfds, l->cap, sizeof(*l->pfds));
		l->socks = xreallocarray(l->socks, l->cap, sizeof(*l->socks));
		l->handlers = xreallocarray(l->handlers, l->cap,
		    sizeof(*l->handlers));
	}
	/* a new socket may hold messages already: look before sleeping */
	l->items[l->n] = (struct item){ sock, fd, sock != NULL, 0 };
	if (sock != NULL)
		l->socks[l->nsocks++] = l->n;
	l->handlers[l->n] = (struct handler){ fn, arg, 0 };
	l->n++;
}

void
loop_add_sock(struct loop *l, void *sock, loop_fn *fn, void *arg)
{
	add_item(l, sock, -1, fn, arg);
}

void
loop_add_fd(struct loop *l, int fd, loop_fn *fn, void *arg)
{
	add_item(l, NULL, fd, fn, arg);
}

void
loop_remove_sock(struct loop *l, void *sock)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].sock == sock)
			l->handlers[i].dead = 1;
}

void
loop_remove_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].sock == NULL && l->items[i].fd == fd)
			l->handlers[i].dead = 1;
}

uint64_t
loop_add_timer(struct loop *l, int ms, int repeat, loop_fn *fn, void *arg)
{
	struct timer *t;

	if (l->ntimers == l->timers_cap) {
		l->timers_cap = l->timers_cap ? l->timers_cap * 2 : 8;
		l->timers = xreallocarray(l->timers, l->timers_cap,
		    sizeof(*l->timers));
	}
	t = &l->timers[l->ntimers++];
	*t = (struct timer){ l->next_timer_id++, loop_now_ms() + (uint64_t)ms,
	    ms, repeat, 0, fn, arg };
	return t->id;
}

void
loop_cancel_timer(struct loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].id == id)
			l->timers[i].dead = 1;
}

void
loop_before_sleep(struct loop *l, loop_fn *fn, void *arg)
{
	l->before = xreallocarray(l->before, l->nbefore + 1,
	    sizeof(*l->before));
	l->before[l->nbefore++] = (struct handler){ fn, arg, 0 };
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

uint64_t
loop_iterations(const struct loop *l)
{
	return l->iterations;
}

/* Drop dead poll items and timers; runs between iterations only. */
static void
compact(struct loop *l)
{
	size_t j = 0;

	l->nsocks = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->handlers[i].dead)
			continue;
		if (l->items[i].sock != NULL)
			l->socks[l->nsocks++] = j;
		l->items[j] = l->items[i];
		l->handlers[j++] = l->handlers[i];
	}
	l->n = j;
	j = 0;
	for (size_t i = 0; i < l->ntimers; i++)
		if (!l->timers[i].dead)
			l->timers[j++] = l->timers[i];
	l->ntimers = j;
}

/* Milliseconds until the next timer, -1 if none. */
static long
next_timeout(struct loop *l, uint64_t now)
{
	long best = -1;

	for (size_t i = 0; i < l->ntimers; i++) {
		struct timer *t = &l->timers[i];
		long d = t->due > now ? (long)(t->due - now) : 0;

		if (!t->dead && (best < 0 || d < best))
			best = d;
	}
	return best;
}

static void
run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	size_t n = l->ntimers;	/* timers added by handlers wait a turn */

	for (size_t i = 0; i < n && !l->stop; i++) {
		struct timer *t = &l->timers[i];

		if (t->dead || t->due > now)
			continue;
		if (t->repeat)
			t->due = now + (uint64_t)t->ms;
		else
			t->dead = 1;
		t->fn(l, t->arg);	/* may realloc l->timers */
	}
}

void
loop_coalesce_when_busy(struct loop *l)
{
	l->when_busy = 1;
	l->cpu_idle_pct = 100;
	if (l->cpu == NULL)
		l->cpu = cpu_idle_new("", NULL);
}

/*
 * The idle share of the CPUs this process may use over the last
 * LOOP_CPU_WINDOW_US (cpu_idle.c). /proc/stat counts in 10 ms ticks, so a
 * shorter window would read mostly noise.
 */
static void
sample_cpu(struct loop *l, uint64_t now)
{
	int pct;

	if (now - l->cpu_sampled_us < LOOP_CPU_WINDOW_US)
		return;
	l->cpu_sampled_us = now;
	if ((pct = cpu_idle_sample(l->cpu, now)) >= 0)
		l->cpu_idle_pct = pct;
}

/*
 * Coalescing under load. Over each LOOP_WINDOW_US, a loop that received
 * at least rate messages a second is taking them in many small turns, each
 * a wake-up of this thread and of ZeroMQ's I/O threads: for the next
 * window it sleeps before each poll (delay_us / 4, or delay_us from
 * 1.6 x rate: a long sleep costs a moderately loaded pipeline latency
 * it cannot win back), so what arrives meanwhile is
 * read in one turn (fewer wake-ups and system calls per message, larger
 * group commits). Below that rate it never sleeps, so unloaded and lightly
 * loaded latency are unchanged. A deep backlog (loop_note_backlog) divides
 * the rates: in a 90/10 read/write mix of 32 x 16 clients the replicator
 * sees ~2,000 messages/s, too few to sleep, and its unbatched turns cost
 * more CPU than the reads (mixed 8.2k -> 16.7k ops/s, 3 nodes).
 */
static void
coalesce_update(struct loop *l)
{
	uint64_t t = loop_now_us(), span = t - l->window_start_us, rate;

	if (l->delay_us <= 0 || span < LOOP_WINDOW_US)
		return;
	rate = (messages - l->window_messages) * 1000000 / span;
	if (backlog >= LOOP_BACKLOG)
		rate *= LOOP_BACKLOG_DIVISOR;
	backlog = 0;
	if (l->when_busy)
		sample_cpu(l, t);
	if (l->when_busy && l->cpu_idle_pct >= LOOP_CPU_IDLE_PCT)
		l->sleep_us = 0;
	else if (rate * 10 >= (uint64_t)l->rate * 16)
		l->sleep_us = l->delay_us;
	else if (rate >= (uint64_t)l->rate)
		l->sleep_us = l->delay_us / 4;
	else
		l->sleep_us = 0;
	l->window_start_us = t;
	l->window_messages = messages;
}

/*
 * A socket's ZMQ_EVENTS: 1 when a message waits, 0 if not, -1 once the
 * context is terminated. Reading it takes in what its fd signalled.
 */
static int
sock_readable(void *sock)
{
	int events;
	size_t sz = sizeof(events);

	if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) < 0) {
		if (errno == ETERM)
			return -1;
		fatal("zmq_getsockopt ZMQ_EVENTS");
	}
	return (events & ZMQ_POLLIN) != 0;
}

/* The sockets used since the last look: how many have a message. */
static int
look_at_used(struct loop *l)
{
	int ready = 0, rc;

	for (size_t k = 0; k < l->nsocks; k++) {
		struct item *it = &l->items[l->socks[k]];

		if (!it->check)
			continue;
		it->check = 0;
		if ((rc = sock_readable(it->sock)) < 0)
			return -1;
		if (rc == 1 && !it->ready) {
			it->ready = 1;
			ready++;
		}
	}
	return ready;
}

/*
 * One poll(2) over the first n items. A plain descriptor is ready on any
 * event but POLLOUT and POLLPRI (as zmq_poll's POLLIN and POLLERR), a
 * socket when its fd signalled and ZMQ_EVENTS then says a message waits.
 */
static int
wait_items(struct loop *l, size_t n, long timeout)
{
	int rc;

	for (size_t i = 0; i < n; i++)
		l->pfds[i] = (struct pollfd){ l->items[i].fd, POLLIN, 0 };
	if (poll(l->pfds, (nfds_t)n, timeout > INT_MAX ? INT_MAX :
	    (int)timeout) < 0) {
		if (errno == EINTR)
			return 0;
		fatal("poll");
	}
	for (size_t i = 0; i < n; i++) {
		struct item *it = &l->items[i];
		short re = l->pfds[i].revents;

		if (re == 0 || it->ready)
			continue;
		if (it->sock == NULL)
			it->ready = (re & ~(POLLOUT | POLLPRI)) != 0;
		else if ((rc = sock_readable(it->sock)) < 0)
			return -1;
		else
			it->ready = rc;
	}
	return 0;
}

static void
dispatch(struct loop *l, size_t n)
{
	for (size_t i = 0; i < n && !l->stop; i++) {
		if (!l->items[i].ready)
			continue;
		l->items[i].ready = 0;
		/* a handler may leave messages for its next turn */
		if (l->items[i].sock != NULL)
			l->items[i].check = 1;
		if (!l->handlers[i].dead)
			l->handlers[i].fn(l, l->handlers[i].arg);
	}
}

int
loop_run(struct loop *l)
{
	running = l;
	while (!l->stop) {
		size_t n;
		long timeout;
		int ready;

		compact(l);
		for (size_t i = 0; i < l->nbefore; i++)
			l->before[i].fn(l, l->before[i].arg);
		compact(l);
		if (l->stop)
			break;
		timeout = next_timeout(l, loop_now_ms());
		n = l->n;
		if (l->sleep_us > 0) {
			struct timespec ts = { 0, l->sleep_us * 1000 };

			nanosleep(&ts, NULL);
		}
		if ((ready = look_at_used(l)) < 0 ||
		    wait_items(l, n, ready > 0 ? 0 : timeout) < 0)
			break;	/* the context is terminated */
		l->iterations++;
		dispatch(l, n);
		run_timers(l);
		coalesce_update(l);
	}
	running = NULL;
	return 0;
}
