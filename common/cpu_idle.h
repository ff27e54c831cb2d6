/*
 * How idle the CPUs this process may use are: the CPUs of its affinity
 * mask (a cpuset, taskset, systemd's CPUAffinity=), from /proc/stat, and
 * under a cgroup CPU quota (systemd's CPUQuota=, a container's CPU limit)
 * the share of the quota its cgroup left unused; the lower of the two.
 * The whole machine's /proc/stat alone would call a throttled container
 * idle. The event loop's idle gate reads it (loop.c).
 */
#ifndef CORRAL_COMMON_CPU_IDLE_H
#define CORRAL_COMMON_CPU_IDLE_H

#include <sched.h>
#include <stdint.h>

struct cpu_idle;

/*
 * root prefixes /proc and /sys ("" on a real system; tests pass a
 * directory of their own); mask NULL means this process's affinity.
 */
struct cpu_idle	*cpu_idle_new(const char *root, const cpu_set_t *mask);
void		 cpu_idle_free(struct cpu_idle **);
/*
 * Percent idle (0-100) between the previous call and this one, now_us
 * on a monotonic clock; -1 on the first call or when nothing was readable.
 */
int		 cpu_idle_sample(struct cpu_idle *, uint64_t now_us);

#endif
