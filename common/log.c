/* Logging to stderr with sd-daemon priority prefixes (see log.h). */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int	 debug_enabled;
static void	 emit(int, const char *, ...) __attribute__((format(printf, 2, 3)));
static const char *role = "corral";

void
log_init(int debug)
{
	debug_enabled = debug;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		role = name;
}

void
log_setverbose(int verbose)
{
	debug_enabled = verbose;
}

int
log_getverbose(void)
{
	return debug_enabled;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char msg[2048];
	struct timespec ts;
	struct tm tm;

	if (pri == LOG_DEBUG && !debug_enabled)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "<%d>%02d:%02d:%02d.%03ld %s: %s\n", pri, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, role, msg);
	errno = saved_errno;
}

/* Like vlog, with ": strerror(errno)" appended. */
static void
emit(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	char buf[1536];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	emit(pri, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
