/*
 * Signals arrive through a signalfd registered with the loop (STYLE.md 8):
 * handlers never run in signal context.
 */
#ifndef CORRAL_COMMON_SIGNALS_H
#define CORRAL_COMMON_SIGNALS_H

#include <stddef.h>

/* Block sigs[0..n), ignore SIGPIPE, return a non-blocking signalfd. */
int	signals_open(const int *sigs, size_t n);

#endif
