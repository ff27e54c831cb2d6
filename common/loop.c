/*
 * zmq_poll event loop. Handlers may add or remove items while running:
 * removal only marks the slot dead, and dead slots are compacted between
 * iterations, so the poll array never changes under a dispatch.
 */
#include "common/loop.h"

#include <errno.h>
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
	zmq_pollitem_t	*items;
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
	free(l->items);
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
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
		l->handlers = xreallocarray(l->handlers, l->cap,
		    sizeof(*l->handlers));
	}
	memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
	l->items[l->n].socket = sock;
	l->items[l->n].fd = fd;
	l->items[l->n].events = ZMQ_POLLIN;
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
		if (l->items[i].socket == sock)
			l->handlers[i].dead = 1;
}

void
loop_remove_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].socket == NULL && l->items[i].fd == fd)
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

	for (size_t i = 0; i < l->n; i++) {
		if (l->handlers[i].dead)
			continue;
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

int
loop_run(struct loop *l)
{
	while (!l->stop) {
		size_t n;
		long timeout;
		int rc;

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
		rc = zmq_poll(l->items, (int)n, timeout);
		l->iterations++;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ETERM)
				break;
			fatal("zmq_poll");
		}
		for (size_t i = 0; i < n && rc > 0 && !l->stop; i++) {
			if (!(l->items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
				continue;
			if (!l->handlers[i].dead)
				l->handlers[i].fn(l, l->handlers[i].arg);
		}
		run_timers(l);
		coalesce_update(l);
	}
	return 0;
}
