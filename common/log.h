/*
 * Logging, after OpenBSD bgpd's log.c: every line goes to stderr with an
 * sd-daemon "<N>" priority prefix (journald keeps the severity) and starts
 * with the process role. fatal() appends strerror(errno) and exits 1;
 * fatalx() does not append errno. vlog keeps errno intact.
 */
#ifndef CORRAL_COMMON_LOG_H
#define CORRAL_COMMON_LOG_H

#include <stdarg.h>

/* Set up logging; debug != 0 enables log_debug output. */
void	log_init(int debug);
/* Name of this process, printed at the start of every line. */
void	log_procinit(const char *role);
void	log_setverbose(int verbose);
int	log_getverbose(void);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int pri, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

#endif
