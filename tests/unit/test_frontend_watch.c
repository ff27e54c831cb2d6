/*
 * Table tests for the watch rules (frontend/frontend_watch.c): each case
 * is a script of registrations, removals and tree changes, and the events
 * every connection hears, in order. The expected events are ZooKeeper
 * 3.8.0's (checked against it by tests/integration/test_watches2.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "frontend/frontend_watch.c"

#define NCONNS	3

static char events[4096];	/* "conn:type:path;" per notification */

/* The stub for frontend_conn.c: record the WatcherEvent. */
void
frontend_conn_reply(struct frontend *f, struct conn *c, int32_t xid,
    int64_t zxid, int32_t err, const struct jute_writer *body)
{
	struct jute_reader rd;
	struct jute_bytes path;
	int32_t type;
	size_t n = strlen(events);

	(void)f;
	(void)zxid;
	assert_int_equal(xid, XID_WATCH);
	assert_int_equal(err, 0);
	jute_reader_init(&rd, body->buf, body->len);
	type = jute_get_int(&rd);
	assert_int_equal(jute_get_int(&rd), STATE_SYNC_CONNECTED);
	assert_int_equal(jute_get_bytes(&rd, &path), 0);
	snprintf(events + n, sizeof(events) - n, "%llu:%d:%.*s;",
	    (unsigned long long)c->id, type, (int)path.len, path.p);
}

/*
 * Steps: 'd'/'h' one-time data/child watch, 'p'/'r' addWatch persistent/
 * recursive, 'x'/'k' removeWatches/checkWatches (arg: type, want: err),
 * 'c' a change (arg: SM_CH_*), 'g' the connection goes.
 */
struct step {
	char		 op;
	int		 conn;
	int		 arg;
	const char	*path;
	int32_t		 want;
};

struct watch_case {
	const char	*name;
	struct step	 steps[12];
	const char	*want;
};

static const struct watch_case cases[] = {
	{ "one-time data watch fires once", {
		{ 'd', 0, 0, "/a", 0 }, { 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/a", 0 } }, "0:3:/a;" },
	{ "one-time child watch: children and delete", {
		{ 'h', 0, 0, "/a", 0 }, { 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 }, { 'h', 0, 0, "/a", 0 },
		{ 'c', 0, SM_CH_DELETED, "/a", 0 } }, "0:4:/a;0:2:/a;" },
	{ "persistent fires every time, survives delete", {
		{ 'p', 0, 0, "/a", 0 }, { 'c', 0, SM_CH_CREATED, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 },
		{ 'c', 0, SM_CH_DELETED, "/a", 0 },
		{ 'c', 0, SM_CH_CREATED, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/a/b", 0 } },
	    "0:1:/a;0:3:/a;0:4:/a;0:2:/a;0:1:/a;" },
	{ "recursive: subtree, no child events, not a sibling", {
		{ 'r', 0, 0, "/a", 0 }, { 'c', 0, SM_CH_CREATED, "/a/b", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/ab", 0 },
		{ 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_DELETED, "/a/b/c", 0 } },
	    "0:1:/a/b;0:3:/a;0:2:/a/b/c;" },
	{ "recursive on the root", {
		{ 'r', 1, 0, "/", 0 }, { 'c', 0, SM_CH_CREATED, "/x", 0 },
		{ 'c', 0, SM_CH_CHILD, "/", 0 } }, "1:1:/x;" },
	{ "delete: NodeDeleted once per connection", {
		{ 'd', 0, 0, "/a", 0 }, { 'h', 0, 0, "/a", 0 },
		{ 'h', 1, 0, "/a", 0 }, { 'r', 2, 0, "/", 0 },
		{ 'c', 0, SM_CH_DELETED, "/a", 0 } },
	    "0:2:/a;2:2:/a;1:2:/a;" },
	{ "one-time and recursive on one path: one event, one left", {
		{ 'r', 0, 0, "/a", 0 }, { 'd', 0, 0, "/a/b", 0 },
		{ 'c', 0, SM_CH_DATA, "/a/b", 0 },
		{ 'c', 0, SM_CH_DATA, "/a/b", 0 } }, "0:3:/a/b;0:3:/a/b;" },
	{ "a one-time watch makes the data side of a persistent one-time", {
		{ 'p', 0, 0, "/a", 0 }, { 'd', 0, 0, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 } }, "0:3:/a;0:4:/a;" },
	{ "removeWatches: per side, then none", {
		{ 'p', 0, 0, "/a", 0 }, { 'x', 0, WATCHER_DATA, "/a", 0 },
		{ 'x', 0, WATCHER_DATA, "/a", ZNOWATCHER },
		{ 'c', 0, SM_CH_DATA, "/a", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 },
		{ 'x', 0, WATCHER_ANY, "/a", 0 },
		{ 'x', 0, WATCHER_ANY, "/a", ZNOWATCHER },
		{ 'x', 0, 4, "/a", ZMARSHALLINGERROR },
		{ 'c', 0, SM_CH_CHILD, "/a", 0 } }, "0:4:/a;" },
	{ "removeWatches removes only the caller's", {
		{ 'd', 1, 0, "/a", 0 },
		{ 'x', 0, WATCHER_ANY, "/a", ZNOWATCHER },
		{ 'c', 0, SM_CH_DATA, "/a", 0 } }, "1:3:/a;" },
	{ "checkWatches: any watcher on the exact path (3.8)", {
		{ 'd', 1, 0, "/a", 0 }, { 'k', 0, WATCHER_DATA, "/a", 0 },
		{ 'k', 0, WATCHER_ANY, "/a", 0 },
		{ 'k', 0, WATCHER_CHILDREN, "/a", ZNOWATCHER },
		{ 'r', 1, 0, "/b", 0 },
		{ 'k', 1, WATCHER_DATA, "/b/c", ZNOWATCHER },
		{ 'c', 0, SM_CH_DATA, "/a", 0 } }, "1:3:/a;" },
	{ "a closed connection hears nothing", {
		{ 'r', 0, 0, "/a", 0 }, { 'h', 0, 0, "/a/b", 0 },
		{ 'p', 0, 0, "/c", 0 }, { 'g', 0, 0, NULL, 0 },
		{ 'c', 0, SM_CH_CREATED, "/a/b", 0 },
		{ 'c', 0, SM_CH_CHILD, "/a/b", 0 },
		{ 'c', 0, SM_CH_DATA, "/c", 0 } }, "" },
};

static void
request(struct frontend *f, struct conn *c, const struct step *s,
    const char *name)
{
	struct jute_writer w;
	int32_t got;

	jute_writer_init(&w);
	jute_put_string(&w, s->path);
	jute_put_int(&w, s->op == 'p' ? 0 : s->op == 'r' ? 1 : s->arg);
	if (s->op == 'p' || s->op == 'r')
		got = frontend_watch_add_request(f, c, w.buf, w.len);
	else
		got = frontend_watch_remove_request(f, c, s->op == 'k' ?
		    OP_CHECKWATCHES : 18, w.buf, w.len);
	jute_writer_free(&w);
	if (got != s->want)
		fail_msg("%s: %c %s: got %d, want %d", name, s->op, s->path,
		    got, s->want);
}

static void
run_step(struct frontend *f, struct conn *conns, const struct step *s,
    const char *name)
{
	struct sm_change ch;
	struct conn *c = &conns[s->conn];

	switch (s->op) {
	case 'd':
		frontend_watch_add(f, c, SM_WATCH_DATA, s->path);
		break;
	case 'h':
		frontend_watch_add(f, c, SM_WATCH_CHILD, s->path);
		break;
	case 'c':
		ch.kind = s->arg;
		ch.path = (char *)(uintptr_t)s->path;
		frontend_watch_trigger(f, &ch);
		break;
	case 'g':
		frontend_watch_conn_gone(f, c);
		break;
	default:
		request(f, c, s, name);
		break;
	}
}

static void
test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct watch_case *wc = &cases[i];
		struct conn conns[NCONNS];
		struct frontend f;

		memset(&f, 0, sizeof(f));
		memset(conns, 0, sizeof(conns));
		f.data_watches = strmap_new();
		f.child_watches = strmap_new();
		for (int k = 0; k < NCONNS; k++)
			conns[k].id = (uint64_t)k;
		events[0] = '\0';
		for (size_t j = 0; j < 12 && wc->steps[j].op != 0; j++)
			run_step(&f, conns, &wc->steps[j], wc->name);
		if (strcmp(events, wc->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", wc->name,
			    events, wc->want);
		for (int k = 0; k < NCONNS; k++)
			frontend_watch_conn_gone(&f, &conns[k]);
		if (frontend_watch_count(&f) != 0 || f.watch_recursive != 0)
			fail_msg("%s: %zu watches, %zu recursive left",
			    wc->name, frontend_watch_count(&f),
			    f.watch_recursive);
		strmap_destroy(&f.data_watches);
		strmap_destroy(&f.child_watches);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
