/*
 * Watches, kept per connection and local to this frontend, as ZooKeeper
 * 3.8's WatchManager keeps them: two tables (data, child), each mapping a
 * path to its watchers, one mode per (table, path, connection): standard
 * (one-time), persistent, or persistent-recursive. Registering again sets
 * the mode, so a getData watch on a persistently watched path makes the
 * data side one-time again, exactly as WatcherModeManager does.
 *
 * Trigger rules (DataTree + WatchManager.triggerWatch):
 *   created  -> data table on the node          (NodeCreated)
 *   deleted  -> data table, then child table on the node, a connection
 *               hearing NodeDeleted once (the second call is suppressed
 *               for what the first one notified)
 *   data     -> data table on the node          (NodeDataChanged)
 *   children -> child table on the parent       (NodeChildrenChanged)
 * A lookup walks the node and, only while some recursive watch exists,
 * each of its parents (PathParentIterator): a recursive watch on a parent
 * fires for every event but NodeChildrenChanged; a standard or persistent
 * one fires only on its own path. Standard watches go once fired. One
 * trigger notifies a connection at most once.
 *
 * addWatch (106) puts a persistent or recursive watch in both tables, as
 * ZooKeeper 3.8.0 does; the 4lw wchs/wchc/wchp report the data table only
 * (DataTree.dumpWatches), mntr's zk_watch_count both.
 */
#include "frontend/frontend.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/map.h"
#include "common/xmalloc.h"

#define EV_CREATED	1
#define EV_DELETED	2
#define EV_DATA		3
#define EV_CHILD	4
#define STATE_SYNC_CONNECTED	3
#define XID_WATCH	(-1)

/* ZooKeeper error codes answered here */
#define ZMARSHALLINGERROR	(-5)
#define ZNOWATCHER		(-121)

/* RemoveWatchesRequest / CheckWatchesRequest type (Watcher.WatcherType) */
#define WATCHER_CHILDREN	1
#define WATCHER_DATA		2
#define WATCHER_ANY		3

#define OP_CHECKWATCHES		17

struct watch_entry {
	struct conn	 *conn;
	int		  mode;		/* FRONTEND_WATCH_* */
	struct watch_reg *reg;		/* the connection's record */
};

struct watch_list {
	struct watch_entry *v;
	size_t		    n, cap;
};

static struct strmap *
table(struct frontend *f, int kind)
{
	return kind == SM_WATCH_CHILD ? f->child_watches : f->data_watches;
}

static void
reg_unlink(struct conn *c, struct watch_reg *reg)
{
	if (reg->prev != NULL)
		reg->prev->next = reg->next;
	else
		c->watches = reg->next;
	if (reg->next != NULL)
		reg->next->prev = reg->prev;
	free(reg->path);
	free(reg);
}

/* Remove entry i of l (order is not kept: ZooKeeper's sets have none). */
static void
entry_remove(struct frontend *f, struct watch_list *l, size_t i)
{
	struct watch_entry *e = &l->v[i];

	if (e->mode == FRONTEND_WATCH_RECURSIVE)
		f->watch_recursive--;
	reg_unlink(e->conn, e->reg);
	l->v[i] = l->v[--l->n];
}

static void
list_drop_if_empty(struct frontend *f, int kind, const char *path,
    struct watch_list *l)
{
	if (l->n > 0)
		return;
	strmap_del(table(f, kind), path);
	free(l->v);
	free(l);
}

/* Register (or re-mode) c's watch of kind on path. */
static void
add(struct frontend *f, struct conn *c, int kind, const char *path, int mode)
{
	struct strmap *t = table(f, kind);
	struct watch_list *l = strmap_get(t, path);
	struct watch_reg *reg;

	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		strmap_put(t, path, l);
	}
	if (kind == SM_WATCH_DATA)
		c->data_watcher = 1;
	if (mode == FRONTEND_WATCH_RECURSIVE)
		f->watch_recursive++;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].conn != c)
			continue;
		if (l->v[i].mode == FRONTEND_WATCH_RECURSIVE)
			f->watch_recursive--;
		l->v[i].mode = mode;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	reg = xcalloc(1, sizeof(*reg));
	reg->kind = kind;
	reg->path = xstrdup(path);
	reg->next = c->watches;
	if (reg->next != NULL)
		reg->next->prev = reg;
	c->watches = reg;
	l->v[l->n++] = (struct watch_entry){ c, mode, reg };
}

void
frontend_watch_add(struct frontend *f, struct conn *c, int kind,
    const char *path)
{
	add(f, c, kind, path, FRONTEND_WATCH_STANDARD);
}

static void
notify(struct frontend *f, struct conn *c, int type, const char *path)
{
	struct jute_writer w;

	jute_writer_init(&w);
	jute_put_watcher_event(&w, type, STATE_SYNC_CONNECTED, path);
	frontend_conn_reply(f, c, XID_WATCH, -1, 0, &w);
	jute_writer_free(&w);
}

struct trigger {
	int		 type;
	const char	*path;		/* the changed node */
	uint64_t	 gen;		/* this trigger's mark */
	uint64_t	 suppress;	/* a previous trigger's mark, or 0 */
};

/* Once per connection and trigger; not to those `suppress` notified. */
static void
deliver(struct frontend *f, struct conn *c, const struct trigger *tr)
{
	if (c->watch_mark == tr->gen ||
	    (tr->suppress != 0 && c->watch_mark == tr->suppress))
		return;
	c->watch_mark = tr->gen;
	notify(f, c, tr->type, tr->path);
}

/* The watchers registered on `at`, which is tr->path itself or a parent. */
static void
fire_list(struct frontend *f, int kind, const char *at, int leaf,
    const struct trigger *tr)
{
	struct watch_list *l = strmap_get(table(f, kind), at);

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct watch_entry *e = &l->v[i];

		if (e->mode == FRONTEND_WATCH_RECURSIVE) {
			if (tr->type != EV_CHILD)
				deliver(f, e->conn, tr);
		} else if (leaf) {
			deliver(f, e->conn, tr);
			if (e->mode == FRONTEND_WATCH_STANDARD)
				entry_remove(f, l, i--);
		}
	}
	list_drop_if_empty(f, kind, at, l);
}

/* One WatchManager.triggerWatch; returns its mark for suppression. */
static uint64_t
trigger(struct frontend *f, int kind, const char *path, int type,
    uint64_t suppress)
{
	struct trigger tr = { type, path, ++f->watch_gen, suppress };
	char *at;
	char *slash;

	fire_list(f, kind, path, 1, &tr);
	if (f->watch_recursive == 0 || strcmp(path, "/") == 0)
		return tr.gen;
	at = xstrdup(path);
	for (;;) {
		slash = strrchr(at, '/');
		if (slash == at) {
			fire_list(f, kind, "/", 0, &tr);
			break;
		}
		*slash = '\0';
		fire_list(f, kind, at, 0, &tr);
	}
	free(at);
	return tr.gen;
}

void
frontend_watch_trigger(struct frontend *f, const struct sm_change *ch)
{
	uint64_t mark;

	switch (ch->kind) {
	case SM_CH_CREATED:
		trigger(f, SM_WATCH_DATA, ch->path, EV_CREATED, 0);
		break;
	case SM_CH_DELETED:
		mark = trigger(f, SM_WATCH_DATA, ch->path, EV_DELETED, 0);
		trigger(f, SM_WATCH_CHILD, ch->path, EV_DELETED, mark);
		break;
	case SM_CH_DATA:
		trigger(f, SM_WATCH_DATA, ch->path, EV_DATA, 0);
		break;
	case SM_CH_CHILD:
		trigger(f, SM_WATCH_CHILD, ch->path, EV_CHILD, 0);
		break;
	default:
		break;
	}
}

/* Remove c's watch of kind on path, whatever its mode; 1 if it had one. */
static int
remove_one(struct frontend *f, struct conn *c, int kind, const char *path)
{
	struct watch_list *l = strmap_get(table(f, kind), path);

	for (size_t i = 0; l != NULL && i < l->n; i++) {
		if (l->v[i].conn != c)
			continue;
		entry_remove(f, l, i);
		list_drop_if_empty(f, kind, path, l);
		return 1;
	}
	return 0;
}

void
frontend_watch_conn_gone(struct frontend *f, struct conn *c)
{
	while (c->watches != NULL) {
		/* removing frees the registration, path included */
		char *path = xstrdup(c->watches->path);

		if (!remove_one(f, c, c->watches->kind, path))
			fatalx("client=%s: watch on %s not in its table",
			    c->peer, path);
		free(path);
	}
	c->data_watcher = 0;
}

/* Decode {path, int}: AddWatchRequest, Check/RemoveWatchesRequest. */
static char *
get_path_int(const uint8_t *p, size_t n, int32_t *v)
{
	struct jute_reader rd;
	struct jute_bytes b;

	jute_reader_init(&rd, p, n);
	if (jute_get_bytes(&rd, &b) < 0 || b.len < 0)
		return NULL;
	*v = jute_get_int(&rd);
	if (rd.err)
		return NULL;
	return xstrndup((const char *)b.p, (size_t)b.len);
}

int32_t
frontend_watch_add_request(struct frontend *f, struct conn *c,
    const uint8_t *p, size_t n)
{
	int32_t mode;
	char *path = get_path_int(p, n, &mode);

	/* WatcherMode.fromZooDef throws on others: a marshalling error */
	if (path == NULL || (mode != 0 && mode != 1)) {
		log_debug("client=%s: malformed addWatch", c->peer);
		free(path);
		return ZMARSHALLINGERROR;
	}
	mode = mode == 0 ? FRONTEND_WATCH_PERSISTENT : FRONTEND_WATCH_RECURSIVE;
	add(f, c, SM_WATCH_DATA, path, mode);
	add(f, c, SM_WATCH_CHILD, path, mode);
	free(path);
	return 0;
}

/*
 * checkWatches (17) asks WatchManager.containsWatcher, which in ZooKeeper
 * 3.8 is true when the path has any watcher in the table, the asking
 * connection's or not; removeWatches (18) removes only the connection's own.
 */
int32_t
frontend_watch_remove_request(struct frontend *f, struct conn *c,
    int32_t op, const uint8_t *p, size_t n)
{
	int32_t type;
	char *path = get_path_int(p, n, &type);
	int data, child, found = 0;

	if (path == NULL || type < WATCHER_CHILDREN || type > WATCHER_ANY) {
		free(path);
		return ZMARSHALLINGERROR;
	}
	data = type == WATCHER_DATA || type == WATCHER_ANY;
	child = type == WATCHER_CHILDREN || type == WATCHER_ANY;
	if (op == OP_CHECKWATCHES) {
		found = (child && strmap_get(f->child_watches, path) != NULL) ||
		    (data && strmap_get(f->data_watches, path) != NULL);
	} else {
		found |= child && remove_one(f, c, SM_WATCH_CHILD, path);
		found |= data && remove_one(f, c, SM_WATCH_DATA, path);
	}
	free(path);
	return found ? 0 : ZNOWATCHER;
}

/* The node's stat through the read path; 0 if it exists. */
static int
stat_of(struct frontend *f, const char *path, struct zk_stat *st)
{
	struct jute_writer req;
	struct sm_result res;
	struct jute_reader rd;
	int rc = -1;

	jute_writer_init(&req);
	jute_put_string(&req, path);
	jute_put_bool(&req, 0);
	sm_result_init(&res);
	sm_read(f->sm, 0, 3 /* exists */, req.buf, req.len, &res);
	if (res.err == 0) {
		jute_reader_init(&rd, res.reply.buf, res.reply.len);
		rc = jute_get_stat(&rd, st);
	}
	sm_result_free(&res);
	jute_writer_free(&req);
	return rc;
}

struct set_watches_ctx {
	struct frontend	*f;
	struct conn	*c;
	int64_t		 rel;
};

/* A data, exist or child watch: re-register, or fire what was missed. */
static void
set_standard(struct set_watches_ctx *x, int kind, const char *path)
{
	struct zk_stat st;
	int exists = stat_of(x->f, path, &st) == 0;

	if (kind == 0) {		/* data */
		if (!exists)
			notify(x->f, x->c, EV_DELETED, path);
		else if (st.mzxid > x->rel)
			notify(x->f, x->c, EV_DATA, path);
		else
			add(x->f, x->c, SM_WATCH_DATA, path,
			    FRONTEND_WATCH_STANDARD);
	} else if (kind == 1) {		/* exist */
		if (exists)
			notify(x->f, x->c, EV_CREATED, path);
		else
			add(x->f, x->c, SM_WATCH_DATA, path,
			    FRONTEND_WATCH_STANDARD);
	} else {			/* child */
		if (!exists)
			notify(x->f, x->c, EV_DELETED, path);
		else if (st.pzxid > x->rel)
			notify(x->f, x->c, EV_CHILD, path);
		else
			add(x->f, x->c, SM_WATCH_CHILD, path,
			    FRONTEND_WATCH_STANDARD);
	}
}

/* setWatches(2) callback; persistent kinds are re-added, never fired. */
static void
set_one(void *arg, int kind, const struct jute_bytes *b)
{
	struct set_watches_ctx *x = arg;
	char *path;
	int mode;

	if (b->len < 0)
		return;
	path = xstrndup((const char *)b->p, (size_t)b->len);
	if (kind <= 2)
		set_standard(x, kind, path);
	else {
		mode = kind == 3 ? FRONTEND_WATCH_PERSISTENT :
		    FRONTEND_WATCH_RECURSIVE;
		add(x->f, x->c, SM_WATCH_CHILD, path, mode);
		add(x->f, x->c, SM_WATCH_DATA, path, mode);
	}
	free(path);
}

void
frontend_watch_set(struct frontend *f, struct conn *c, const uint8_t *p,
    size_t n, int v2)
{
	struct jute_reader rd;
	struct zk_set_watches sw;
	struct set_watches_ctx x = { f, c, 0 };

	jute_reader_init(&rd, p, n);
	/* peek relativeZxid first: the callbacks compare against it */
	x.rel = jute_get_long(&rd);
	jute_reader_init(&rd, p, n);
	if (jute_get_set_watches(&rd, v2, &sw, set_one, &x) < 0)
		log_warnx("client=%s: malformed setWatches", c->peer);
}

static void
count_list(void *arg, const char *key, void *val)
{
	size_t *n = arg;
	const struct watch_list *l = val;

	(void)key;
	*n += l->n;
}

size_t
frontend_watch_count(const struct frontend *f)
{
	size_t n = 0;

	strmap_foreach(f->data_watches, count_list, &n);
	strmap_foreach(f->child_watches, count_list, &n);
	return n;
}

static void
count_data_watcher(void *arg, uint64_t key, void *val)
{
	size_t *n = arg;
	const struct conn *c = val;

	(void)key;
	*n += c->data_watcher;
}

/* wchs: WatchManager.toString of the data table. */
void
frontend_watch_summary(const struct frontend *f, FILE *out)
{
	size_t conns = 0, total = 0;

	/* a connection stays counted once it has watched, until it closes */
	u64map_foreach(f->conns, count_data_watcher, &conns);
	strmap_foreach(f->data_watches, count_list, &total);
	fprintf(out, "%zu connections watching %zu paths\nTotal watches:%zu",
	    conns, strmap_count(f->data_watches), total);
}

static void
dump_path(void *arg, const char *key, void *val)
{
	FILE *out = arg;
	const struct watch_list *l = val;

	fprintf(out, "%s\n", key);
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "\t0x%" PRIx64 "\n", l->v[i].conn->session);
}

static void
dump_conn(void *arg, uint64_t key, void *val)
{
	FILE *out = arg;
	const struct conn *c = val;

	(void)key;
	if (!c->data_watcher)
		return;
	fprintf(out, "0x%" PRIx64 "\n", c->session);
	for (const struct watch_reg *r = c->watches; r != NULL; r = r->next)
		if (r->kind == SM_WATCH_DATA)
			fprintf(out, "\t%s\n", r->path);
}

/* wchp (by_path) and wchc: WatchManager.dumpWatches of the data table. */
void
frontend_watch_dump(const struct frontend *f, int by_path, FILE *out)
{
	if (by_path)
		strmap_foreach(f->data_watches, dump_path, out);
	else
		u64map_foreach(f->conns, dump_conn, out);
}
