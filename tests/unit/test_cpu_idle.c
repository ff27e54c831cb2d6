/*
 * common/cpu_idle.c over a made-up /proc and /sys: the CPUs of the
 * affinity mask, cgroup v2 and v1 quotas, the tightest of nested ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cpu_idle.h"

#define SEC	1000000ULL

static char root[PATH_MAX];

/* Write text to root/path, creating its directories. */
static void
put(const char *path, const char *fmt, ...)
{
	char full[PATH_MAX], *p;
	va_list ap;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	assert_non_null(f = fopen(full, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/*
 * /proc/stat with two CPUs: cpu0 and cpu1 each spend `busy` and `idle`
 * ticks (idle split between idle and iowait, as the kernel may).
 */
static void
put_stat(unsigned busy0, unsigned idle0, unsigned busy1, unsigned idle1)
{
	put("/proc/stat",
	    "cpu  %u 0 0 %u 0 0 0 0 0 0\n"
	    "cpu0 %u 0 0 %u %u 0 0 0 0 0\n"
	    "cpu1 %u 0 0 %u 0 0 0 0 0 0\n"
	    "intr 1 2 3\nctxt 99\n",
	    busy0 + busy1, idle0 + idle1, busy0, idle0 - idle0 / 4,
	    idle0 / 4, busy1, idle1);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_cpu_idle.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static cpu_set_t
cpus(int a, int b)
{
	cpu_set_t m;

	CPU_ZERO(&m);
	if (a >= 0)
		CPU_SET(a, &m);
	if (b >= 0)
		CPU_SET(b, &m);
	return m;
}

static void
test_no_quota(void **state)
{
	cpu_set_t m = cpus(0, 1);
	struct cpu_idle *c;

	(void)state;
	put("/proc/self/cgroup", "0::/\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	assert_int_equal(cpu_idle_sample(c, 1 * SEC), -1);	/* first */
	put_stat(100 + 60, 100 + 40, 100 + 90, 100 + 10);
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 25);
	/* nothing counted: no answer, the gate keeps its last one */
	assert_int_equal(cpu_idle_sample(c, 3 * SEC), -1);
	cpu_idle_free(&c);
	assert_null(c);
}

static void
test_affinity(void **state)
{
	cpu_set_t m = cpus(1, -1);
	struct cpu_idle *c;

	(void)state;
	put("/proc/self/cgroup", "0::/\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	cpu_idle_sample(c, 1 * SEC);
	/* cpu0 all idle, cpu1 (ours) 90 % busy */
	put_stat(100, 100 + 100, 100 + 90, 100 + 10);
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 10);
	cpu_idle_free(&c);
}

static void
test_v2_quota(void **state)
{
	cpu_set_t m = cpus(0, 1);
	struct cpu_idle *c;

	(void)state;
	put("/proc/self/cgroup", "0::/system.slice/corral.service\n");
	put("/sys/fs/cgroup/system.slice/corral.service/cpu.max",
	    "50000 100000\n");
	put("/sys/fs/cgroup/system.slice/corral.service/cpu.stat",
	    "usage_usec 1000000\nuser_usec 1\nsystem_usec 2\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	cpu_idle_sample(c, 1 * SEC);
	/* the machine 80 % idle; our half a CPU used 0.25 s in 1 s */
	put_stat(100 + 20, 100 + 80, 100 + 20, 100 + 80);
	put("/sys/fs/cgroup/system.slice/corral.service/cpu.stat",
	    "usage_usec 1250000\nuser_usec 1\nsystem_usec 2\n");
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 50);
	/* throttled: the quota used up while the machine idles */
	put_stat(100 + 40, 100 + 160, 100 + 40, 100 + 160);
	put("/sys/fs/cgroup/system.slice/corral.service/cpu.stat",
	    "usage_usec 1750000\n");
	assert_int_equal(cpu_idle_sample(c, 3 * SEC), 0);
	cpu_idle_free(&c);
}

static void
test_v2_nested_tightest(void **state)
{
	cpu_set_t m = cpus(0, 1);
	struct cpu_idle *c;

	(void)state;
	/* the leaf is unlimited, its parent allows 1 CPU, the root 1.5 */
	put("/proc/self/cgroup", "0::/pod/ctr\n");
	put("/sys/fs/cgroup/pod/ctr/cpu.max", "max 100000\n");
	put("/sys/fs/cgroup/pod/ctr/cpu.stat", "usage_usec 0\n");
	put("/sys/fs/cgroup/pod/cpu.max", "100000 100000\n");
	put("/sys/fs/cgroup/pod/cpu.stat", "usage_usec 0\n");
	put("/sys/fs/cgroup/cpu.max", "150000 100000\n");
	put("/sys/fs/cgroup/cpu.stat", "usage_usec 0\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	cpu_idle_sample(c, 1 * SEC);
	put_stat(100 + 30, 100 + 70, 100 + 30, 100 + 70);
	put("/sys/fs/cgroup/pod/cpu.stat", "usage_usec 600000\n");
	put("/sys/fs/cgroup/cpu.stat", "usage_usec 600000\n");
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 40);
	cpu_idle_free(&c);
}

static void
test_v1_quota(void **state)
{
	cpu_set_t m = cpus(0, 1);
	struct cpu_idle *c;

	(void)state;
	put("/proc/self/cgroup", "5:memory:/x\n3:cpu,cpuacct:/docker/abc\n"
	    "0::/\n");
	put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us",
	    "100000\n");
	put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us",
	    "100000\n");
	put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage", "0\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	cpu_idle_sample(c, 1 * SEC);
	put_stat(100 + 50, 100 + 50, 100 + 50, 100 + 50);
	/* 0.9 s of one CPU in ns */
	put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage",
	    "900000000\n");
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 10);
	cpu_idle_free(&c);
}

static void
test_quota_above_the_cpus(void **state)
{
	cpu_set_t m = cpus(0, -1);
	struct cpu_idle *c;

	(void)state;
	/* 4 CPUs of quota on the one CPU we may use: the CPU binds */
	put("/proc/self/cgroup", "0::/\n");
	put("/sys/fs/cgroup/cpu.max", "400000 100000\n");
	put("/sys/fs/cgroup/cpu.stat", "usage_usec 0\n");
	put_stat(100, 100, 100, 100);
	c = cpu_idle_new(root, &m);
	cpu_idle_sample(c, 1 * SEC);
	put_stat(100 + 70, 100 + 30, 100, 100 + 100);
	put("/sys/fs/cgroup/cpu.stat", "usage_usec 700000\n");
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), 30);
	cpu_idle_free(&c);
}

static void
test_nothing_readable(void **state)
{
	cpu_set_t m = cpus(0, 1);
	struct cpu_idle *c;

	(void)state;
	c = cpu_idle_new(root, &m);	/* no /proc at all */
	assert_int_equal(cpu_idle_sample(c, 1 * SEC), -1);
	assert_int_equal(cpu_idle_sample(c, 2 * SEC), -1);
	cpu_idle_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_nested_tightest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v1_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_above_the_cpus,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_readable, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
