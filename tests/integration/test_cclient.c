/*
 * test_cclient: the Apache ZooKeeper C client (libzookeeper_mt) against a
 * server.  Usage: test_cclient HOST:PORT BASEPATH
 *
 * Connects, then create/create2/get/set/exists/get_children/delete/multi
 * with watchers, checking every return code, Stat field and watch event
 * against ZooKeeper's behaviour.  Prints "FAIL: ..." and exits 1 on the
 * first mismatch, exits 0 when everything matched.  Run by
 * test_cclient.py.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef THREADED
#define THREADED	/* the synchronous API of libzookeeper_mt */
#endif
#include <zookeeper/zookeeper.h>

#define MAX_EVENTS 64
#define WAIT_MS 10000

struct event {
	int	type;
	char	path[256];
};

/* watch events, appended by the client's completion thread */
static struct {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		connected;
	int		nevents;
	struct event	events[MAX_EVENTS];
} w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, {{0, ""}} };

static const char *base;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	exit(1);
}

#define CHECK_RC(call, want) do {					\
	int rc_ = (call);						\
	if (rc_ != (want))						\
		fail("%s:%d: %s = %d (%s), want %d (%s)", __FILE__,	\
		    __LINE__, #call, rc_, zerror(rc_), (want),		\
		    zerror(want));					\
} while (0)

#define CHECK(cond) do {						\
	if (!(cond))							\
		fail("%s:%d: %s", __FILE__, __LINE__, #cond);		\
} while (0)

static void
watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	(void)zh;
	(void)ctx;
	pthread_mutex_lock(&w.mu);
	if (type == ZOO_SESSION_EVENT) {
		w.connected = state == ZOO_CONNECTED_STATE;
	} else if (w.nevents < MAX_EVENTS) {
		w.events[w.nevents].type = type;
		snprintf(w.events[w.nevents].path,
		    sizeof(w.events[w.nevents].path), "%s", path ? path : "");
		w.nevents++;
	}
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void
wait_connected(void)
{
	struct timespec ts;

	deadline_after(&ts, WAIT_MS);
	pthread_mutex_lock(&w.mu);
	while (!w.connected)
		if (pthread_cond_timedwait(&w.cv, &w.mu, &ts) == ETIMEDOUT)
			fail("not connected after %d ms", WAIT_MS);
	pthread_mutex_unlock(&w.mu);
}

/* wait for the n-th watch event (1-based) and check it */
static void
expect_event(int n, int type, const char *path)
{
	struct timespec ts;
	struct event ev;

	deadline_after(&ts, WAIT_MS);
	pthread_mutex_lock(&w.mu);
	while (w.nevents < n)
		if (pthread_cond_timedwait(&w.cv, &w.mu, &ts) == ETIMEDOUT) {
			pthread_mutex_unlock(&w.mu);
			fail("watch event %d (type %d on %s) not delivered", n,
			    type, path);
		}
	ev = w.events[n - 1];
	pthread_mutex_unlock(&w.mu);
	if (ev.type != type || strcmp(ev.path, path) != 0)
		fail("event %d: type %d path %s, want type %d path %s", n,
		    ev.type, ev.path, type, path);
}

static int
nevents(void)
{
	int n;

	pthread_mutex_lock(&w.mu);
	n = w.nevents;
	pthread_mutex_unlock(&w.mu);
	return n;
}

static const char *
p(const char *suffix)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 512, "%s%s", base, suffix);
	return b;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* field by field: struct Stat has padding */
static int
stat_eq(const struct Stat *a, const struct Stat *b)
{
	return a->czxid == b->czxid && a->mzxid == b->mzxid &&
	    a->ctime == b->ctime && a->mtime == b->mtime &&
	    a->version == b->version && a->cversion == b->cversion &&
	    a->aversion == b->aversion &&
	    a->ephemeralOwner == b->ephemeralOwner &&
	    a->dataLength == b->dataLength &&
	    a->numChildren == b->numChildren && a->pzxid == b->pzxid;
}

static void
test_data_ops(zhandle_t *zh)
{
	struct Stat st, st2;
	char buf[64], path[512];
	int len;

	CHECK_RC(zoo_create(zh, base, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
	    path, sizeof(path)), ZOK);
	CHECK(strcmp(path, base) == 0);
	CHECK_RC(zoo_create2(zh, p("/n"), "hello", 5, &ZOO_OPEN_ACL_UNSAFE,
	    0, path, sizeof(path), &st), ZOK);
	CHECK(st.version == 0 && st.dataLength == 5 && st.numChildren == 0);
	CHECK(st.czxid == st.mzxid && st.pzxid == st.czxid);
	CHECK(st.ephemeralOwner == 0);
	CHECK_RC(zoo_create(zh, p("/n"), "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
	    NULL, 0), ZNODEEXISTS);
	CHECK_RC(zoo_create(zh, p("/no/such"), "x", 1, &ZOO_OPEN_ACL_UNSAFE,
	    0, NULL, 0), ZNONODE);

	len = sizeof(buf);
	CHECK_RC(zoo_get(zh, p("/n"), 0, buf, &len, &st2), ZOK);
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(stat_eq(&st, &st2));

	/* data watch via exists: fires once, on the first set */
	CHECK_RC(zoo_exists(zh, p("/n"), 1, &st2), ZOK);
	CHECK_RC(zoo_set(zh, p("/n"), "world!", 6, 0), ZOK);
	expect_event(1, ZOO_CHANGED_EVENT, p("/n"));
	CHECK_RC(zoo_set2(zh, p("/n"), "again", 5, 1, &st2), ZOK);
	CHECK(st2.version == 2 && st2.dataLength == 5);
	CHECK(st2.czxid == st.czxid && st2.mzxid > st.mzxid);
	CHECK_RC(zoo_set(zh, p("/n"), "bad", 3, 1), ZBADVERSION);
	CHECK_RC(zoo_set(zh, p("/missing"), "x", 1, -1), ZNONODE);
	len = sizeof(buf);
	CHECK_RC(zoo_get(zh, p("/n"), 0, buf, &len, &st2), ZOK);
	CHECK(len == 5 && memcmp(buf, "again", 5) == 0);
	/* an empty node has length 0 (not -1) in the C client */
	CHECK_RC(zoo_create(zh, p("/empty"), NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
	    0, NULL, 0), ZOK);
	len = sizeof(buf);
	CHECK_RC(zoo_get(zh, p("/empty"), 0, buf, &len, &st2), ZOK);
	CHECK(st2.dataLength == 0);
	CHECK_RC(zoo_delete(zh, p("/empty"), 0), ZOK);

	/* exists watch on a missing node fires NodeCreated */
	CHECK_RC(zoo_exists(zh, p("/later"), 1, &st2), ZNONODE);
	CHECK_RC(zoo_create(zh, p("/later"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
	    NULL, 0), ZOK);
	expect_event(2, ZOO_CREATED_EVENT, p("/later"));
	CHECK(nevents() == 2);
}

static void
test_children_and_modes(zhandle_t *zh)
{
	struct String_vector kids;
	struct Stat st;
	char path[512];
	const clientid_t *cid;
	int i;

	/*
	 * base had n, empty (deleted) and later created under it: the next
	 * suffix is the count of creates, 3 (deletes do not count)
	 */
	CHECK_RC(zoo_create(zh, p("/s-"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
	    ZOO_SEQUENCE, path, sizeof(path)), ZOK);
	CHECK(strcmp(path, p("/s-0000000003")) == 0);
	CHECK_RC(zoo_create(zh, p("/e"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
	    ZOO_EPHEMERAL, path, sizeof(path)), ZOK);
	CHECK_RC(zoo_exists(zh, p("/e"), 0, &st), ZOK);
	cid = zoo_client_id(zh);
	CHECK(st.ephemeralOwner == cid->client_id && st.ephemeralOwner != 0);
	CHECK_RC(zoo_create(zh, p("/e/kid"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
	    NULL, 0), ZNOCHILDRENFOREPHEMERALS);
	CHECK_RC(zoo_create(zh, p("/es-"), "", 0, &ZOO_OPEN_ACL_UNSAFE,
	    ZOO_EPHEMERAL | ZOO_SEQUENCE, path, sizeof(path)), ZOK);
	CHECK(strcmp(path, p("/es-0000000005")) == 0);

	/* child watch: fires on a child create, not on a data change */
	memset(&kids, 0, sizeof(kids));
	CHECK_RC(zoo_wget_children(zh, base, watcher, NULL, &kids), ZOK);
	CHECK(kids.count == 5);
	qsort(kids.data, (size_t)kids.count, sizeof(char *), cmp_str);
	CHECK(strcmp(kids.data[0], "e") == 0);
	CHECK(strcmp(kids.data[1], "es-0000000005") == 0);
	CHECK(strcmp(kids.data[2], "later") == 0);
	CHECK(strcmp(kids.data[3], "n") == 0);
	CHECK(strcmp(kids.data[4], "s-0000000003") == 0);
	deallocate_String_vector(&kids);
	CHECK_RC(zoo_set(zh, base, "parent data", 11, -1), ZOK);
	CHECK_RC(zoo_create(zh, p("/c"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
	    NULL, 0), ZOK);
	expect_event(3, ZOO_CHILD_EVENT, base);

	memset(&kids, 0, sizeof(kids));
	CHECK_RC(zoo_get_children2(zh, base, 0, &kids, &st), ZOK);
	CHECK(kids.count == 6 && st.numChildren == 6);
	/* cversion counts creates and deletes: 7 creates, 1 delete */
	CHECK(st.cversion == 8 && st.version == 1);
	deallocate_String_vector(&kids);
	for (i = 0; i < 2; i++)
		CHECK_RC(zoo_get_children(zh, p("/missing"), 0, &kids),
		    ZNONODE);
}

static void
test_multi(zhandle_t *zh)
{
	zoo_op_t ops[4];
	zoo_op_result_t res[4];
	struct Stat st;
	char path[512];

	CHECK_RC(zoo_exists(zh, p("/n"), 0, &st), ZOK);
	CHECK(st.version == 2);
	zoo_create_op_init(&ops[0], p("/m"), "m", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
	    path, sizeof(path));
	zoo_set_op_init(&ops[1], p("/n"), "multi", 5, 2, &st);
	zoo_check_op_init(&ops[2], p("/n"), 3);
	zoo_delete_op_init(&ops[3], p("/m"), 0);
	CHECK_RC(zoo_multi(zh, 4, ops, res), ZOK);
	CHECK(res[0].err == ZOK && res[1].err == ZOK);
	CHECK(res[2].err == ZOK && res[3].err == ZOK);
	CHECK(strcmp(path, p("/m")) == 0);
	CHECK(st.version == 3);
	CHECK_RC(zoo_exists(zh, p("/m"), 0, NULL), ZNONODE);

	/* a failing check: nothing applied, per-op results */
	zoo_create_op_init(&ops[0], p("/m2"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0,
	    NULL, 0);
	zoo_check_op_init(&ops[1], p("/n"), 99);
	zoo_set_op_init(&ops[2], p("/n"), "no", 2, -1, NULL);
	CHECK_RC(zoo_multi(zh, 3, ops, res), ZBADVERSION);
	CHECK(res[0].err == ZOK);
	CHECK(res[1].err == ZBADVERSION);
	CHECK(res[2].err == ZRUNTIMEINCONSISTENCY);
	CHECK_RC(zoo_exists(zh, p("/m2"), 0, NULL), ZNONODE);
	CHECK_RC(zoo_exists(zh, p("/n"), 0, &st), ZOK);
	CHECK(st.version == 3);
}

static void
test_delete(zhandle_t *zh)
{
	int n0;

	CHECK_RC(zoo_delete(zh, base, -1), ZNOTEMPTY);
	CHECK_RC(zoo_delete(zh, p("/n"), 1), ZBADVERSION);
	CHECK_RC(zoo_delete(zh, p("/nope"), -1), ZNONODE);
	/* data watch and parent child watch on a delete */
	n0 = nevents();
	CHECK_RC(zoo_exists(zh, p("/n"), 1, NULL), ZOK);
	CHECK_RC(zoo_get_children(zh, base, 1, NULL), ZOK);
	CHECK_RC(zoo_delete(zh, p("/n"), 3), ZOK);
	CHECK_RC(zoo_exists(zh, p("/n"), 0, NULL), ZNONODE);
	/* both arrive, data watch first in ZooKeeper; accept either order */
	expect_event(n0 + 2, nevents() > n0 + 1 &&
	    w.events[n0 + 1].type == ZOO_DELETED_EVENT ? ZOO_DELETED_EVENT :
	    ZOO_CHILD_EVENT, nevents() > n0 + 1 &&
	    w.events[n0 + 1].type == ZOO_DELETED_EVENT ? p("/n") : base);
	if (w.events[n0].type == ZOO_DELETED_EVENT) {
		CHECK(strcmp(w.events[n0].path, p("/n")) == 0);
		CHECK(w.events[n0 + 1].type == ZOO_CHILD_EVENT);
		CHECK(strcmp(w.events[n0 + 1].path, base) == 0);
	} else {
		CHECK(w.events[n0].type == ZOO_CHILD_EVENT);
		CHECK(strcmp(w.events[n0].path, base) == 0);
		CHECK(w.events[n0 + 1].type == ZOO_DELETED_EVENT);
		CHECK(strcmp(w.events[n0 + 1].path, p("/n")) == 0);
	}
}

int
main(int argc, char **argv)
{
	zhandle_t *zh;

	if (argc != 3) {
		fprintf(stderr, "usage: %s HOST:PORT BASEPATH\n", argv[0]);
		return 2;
	}
	base = argv[2];
	zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
	zh = zookeeper_init(argv[1], watcher, 10000, NULL, NULL, 0);
	if (zh == NULL)
		fail("zookeeper_init: %s", strerror(errno));
	wait_connected();
	test_data_ops(zh);
	test_children_and_modes(zh);
	test_multi(zh);
	test_delete(zh);
	CHECK_RC(zookeeper_close(zh), ZOK);
	printf("OK\n");
	return 0;
}
