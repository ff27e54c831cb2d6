/*
 * Restart throttling as pure functions (Postfix master's throttle): the
 * shell passes the clock in, so tables of crash times test it. A child
 * that keeps crashing waits 100 ms, 200 ms, ... up to 5 s before each
 * restart; one that served for SUPERVISOR_STABLE_MS starts over at 100 ms.
 * More than SUPERVISOR_CRASH_LIMIT crashes within the window means
 * restarting cannot help: the supervisor exits and systemd decides.
 */
#include "supervisor/supervisor.h"

/* Next restart delay after prev_ms; 0 means there was none. */
int
supervisor_backoff_next(int prev_ms)
{
	if (prev_ms <= 0)
		return SUPERVISOR_BACKOFF_MIN_MS;
	if (prev_ms >= SUPERVISOR_BACKOFF_MAX_MS / 2)
		return SUPERVISOR_BACKOFF_MAX_MS;
	return prev_ms * 2;
}

/* Remember one crash; the delay before restarting, -1 for a crash loop. */
int
supervisor_backoff_record(struct supervisor_backoff *b, uint64_t now_ms,
    uint64_t ready_for_ms)
{
	const int ring = SUPERVISOR_CRASH_LIMIT + 1;
	uint64_t oldest;

	b->at[b->next] = now_ms;
	b->next = (b->next + 1) % ring;
	if (b->ncrashes < ring)
		b->ncrashes++;
	/* full ring: at[next] is the oldest of the last LIMIT + 1 crashes */
	oldest = b->at[b->next];
	if (b->ncrashes == ring && now_ms - oldest < SUPERVISOR_CRASH_WINDOW_MS)
		return -1;
	if (ready_for_ms >= SUPERVISOR_STABLE_MS)
		b->delay_ms = 0;
	b->delay_ms = supervisor_backoff_next(b->delay_ms);
	return b->delay_ms;
}
