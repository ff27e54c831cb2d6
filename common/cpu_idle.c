/*
 * Idle share of the CPUs a process may use (cpu_idle.h). The quota is
 * found once, at cpu_idle_new: the tightest one over the process's cgroup
 * and its parents, in cgroup v2 (cpu.max, usage in cpu.stat) or v1
 * (cpu.cfs_quota_us over cpu.cfs_period_us, usage in cpuacct.usage). A
 * container that sees its own cgroup as "/" finds its limit at the mount
 * point itself; a path that is not there is skipped.
 */
#include "common/cpu_idle.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

struct cpu_idle {
	char		 root[PATH_MAX];
	cpu_set_t	 mask;
	int		 ncpus;		/* in mask */
	double		 quota_cpus;	/* 0: no quota */
	char		 usage_path[PATH_MAX];
	int		 usage_ns;	/* v1's cpuacct.usage; else cpu.stat */
	int		 have, have_usage;
	uint64_t	 idle, total, usage_us, at_us;
};

/* out = a b c; -1 if it does not fit */
static int
join(char *out, size_t len, const char *a, const char *b, const char *c)
{
	return (size_t)snprintf(out, len, "%s%s%s", a, b, c) < len ? 0 : -1;
}

/* root dir file, for reading */
static FILE *
open_at(const struct cpu_idle *c, const char *dir, const char *file)
{
	char full[PATH_MAX];

	if (join(full, sizeof(full), c->root, dir, file) < 0)
		return NULL;
	return fopen(full, "r");
}

static int
readable(const struct cpu_idle *c, const char *dir, const char *file)
{
	FILE *f = open_at(c, dir, file);

	if (f == NULL)
		return 0;
	fclose(f);
	return 1;
}

/* The number that starts dir file; -1 if unreadable. */
static int
read_ll(const struct cpu_idle *c, const char *dir, const char *file,
    long long *v)
{
	FILE *f = open_at(c, dir, file);
	int rc;

	if (f == NULL)
		return -1;
	rc = fscanf(f, "%lld", v) == 1 ? 0 : -1;
	fclose(f);
	return rc;
}

/* idle + iowait and all ticks, summed over the CPUs in the mask */
static int
read_stat(const struct cpu_idle *c, uint64_t *idle, uint64_t *total)
{
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = open_at(c, "/proc/stat", "")) == NULL)
		return -1;
	*idle = *total = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v[8] = { 0 };
		int cpu, n;

		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
		    &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		    &v[7]) < 5)
			continue;	/* the "cpu " total line, or not a cpu */
		if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &c->mask))
			continue;
		for (n = 0; n < 8; n++)
			*total += v[n];
		*idle += v[3] + v[4];
		found = 1;
	}
	fclose(f);
	return found ? 0 : -1;
}

/* CPUs the quota in dir allows, 0 if none or unreadable. */
static double
read_quota(const struct cpu_idle *c, const char *dir, int v1)
{
	long long quota = -1, period = 0;
	char first[32];
	FILE *f;

	if (v1) {
		if (read_ll(c, dir, "/cpu.cfs_quota_us", &quota) < 0 ||
		    read_ll(c, dir, "/cpu.cfs_period_us", &period) < 0)
			return 0;
	} else {
		if ((f = open_at(c, dir, "/cpu.max")) == NULL)
			return 0;
		if (fscanf(f, "%31s %lld", first, &period) != 2 ||
		    strcmp(first, "max") == 0)
			quota = -1;
		else
			quota = strtoll(first, NULL, 10);
		fclose(f);
	}
	return quota > 0 && period > 0 ? (double)quota / (double)period : 0;
}

/* Where the usage of cgroup cg under mount is, or -1. */
static int
find_usage(const struct cpu_idle *c, const char *mount, const char *cg,
    int v1, char *out, size_t outlen)
{
	const char *file = v1 ? "/cpuacct.usage" : "/cpu.stat";

	if (join(out, outlen, mount, cg, file) == 0 && readable(c, out, ""))
		return 0;
	/* v1's cpuacct may be mounted apart from cpu */
	if (v1 && join(out, outlen, "/sys/fs/cgroup/cpuacct", cg, file) == 0 &&
	    readable(c, out, ""))
		return 0;
	return -1;
}

/* The tightest quota from cgroup path cg up to the mount's root. */
static void
walk_up(struct cpu_idle *c, const char *mount, const char *path, int v1)
{
	char cg[PATH_MAX], dir[PATH_MAX], usage[PATH_MAX], *slash;
	double q;

	snprintf(cg, sizeof(cg), "%s", strcmp(path, "/") == 0 ? "" : path);
	for (;;) {
		if (join(dir, sizeof(dir), mount, cg, "") == 0 &&
		    (q = read_quota(c, dir, v1)) > 0 &&
		    (c->quota_cpus == 0 || q < c->quota_cpus) &&
		    find_usage(c, mount, cg, v1, usage, sizeof(usage)) == 0) {
			c->quota_cpus = q;
			c->usage_ns = v1;
			memcpy(c->usage_path, usage, sizeof(c->usage_path));
		}
		if (cg[0] == '\0' || (slash = strrchr(cg, '/')) == NULL)
			break;
		*slash = '\0';
	}
}

/* Is name one of the comma-separated controllers? */
static int
has_controller(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

static void
find_quota(struct cpu_idle *c)
{
	char line[PATH_MAX + 128], *ctl, *path;
	FILE *f;

	if ((f = open_at(c, "/proc/self/cgroup", "")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL ||
		    (path = strchr(ctl + 1, ':')) == NULL)
			continue;
		*ctl++ = '\0';
		*path++ = '\0';
		if (strcmp(line, "0") == 0 && *ctl == '\0') {
			walk_up(c, "/sys/fs/cgroup", path, 0);
		} else if (has_controller(ctl, "cpu")) {
			walk_up(c, "/sys/fs/cgroup/cpu,cpuacct", path, 1);
			walk_up(c, "/sys/fs/cgroup/cpu", path, 1);
		}
	}
	fclose(f);
}

static int
read_usage(const struct cpu_idle *c, uint64_t *usage_us)
{
	char key[32];
	unsigned long long v;
	FILE *f;
	int rc = -1;

	if ((f = open_at(c, c->usage_path, "")) == NULL)
		return -1;
	if (c->usage_ns) {
		if (fscanf(f, "%llu", &v) == 1) {
			*usage_us = v / 1000;
			rc = 0;
		}
	} else {
		while (fscanf(f, "%31s %llu", key, &v) == 2)
			if (strcmp(key, "usage_usec") == 0) {
				*usage_us = v;
				rc = 0;
				break;
			}
	}
	fclose(f);
	return rc;
}

struct cpu_idle *
cpu_idle_new(const char *root, const cpu_set_t *mask)
{
	struct cpu_idle *c = xcalloc(1, sizeof(*c));

	snprintf(c->root, sizeof(c->root), "%s", root);
	if (mask != NULL)
		c->mask = *mask;
	else if (sched_getaffinity(0, sizeof(c->mask), &c->mask) < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &c->mask);
	}
	c->ncpus = CPU_COUNT(&c->mask);
	find_quota(c);
	return c;
}

void
cpu_idle_free(struct cpu_idle **cp)
{
	free(*cp);
	*cp = NULL;
}

int
cpu_idle_sample(struct cpu_idle *c, uint64_t now_us)
{
	uint64_t idle, total, usage = 0;
	int pct = -1, have_usage;

	if (read_stat(c, &idle, &total) < 0) {
		c->have = 0;
		return -1;
	}
	have_usage = c->quota_cpus > 0 && read_usage(c, &usage) == 0;
	/* iowait may go backwards (proc(5)): skip that window */
	if (c->have && total > c->total && idle >= c->idle) {
		pct = (int)((idle - c->idle) * 100 / (total - c->total));
		if (have_usage && c->have_usage && now_us > c->at_us &&
		    usage >= c->usage_us) {
			double cap = c->quota_cpus < c->ncpus ? c->quota_cpus :
			    c->ncpus;
			double used = (double)(usage - c->usage_us) /
			    (double)(now_us - c->at_us);
			double q = 100.0 * (1.0 - used / cap) + 0.5;

			if (q < 0)
				q = 0;
			if ((int)q < pct)
				pct = (int)q;	/* rounded */
		}
	}
	c->idle = idle;
	c->total = total;
	c->usage_us = usage;
	c->have_usage = have_usage;
	c->at_us = now_us;
	c->have = 1;
	return pct;
}
