/*
 * One-time data and child watches, kept per connection and local to this
 * frontend (ZooKeeper's WatchManager). Trigger rules:
 *   created  -> data watches (NodeCreated; exists() set them on a missing node)
 *   deleted  -> data and child watches of the node (NodeDeleted, once per
 *               connection even if it held both)
 *   data     -> data watches (NodeDataChanged)
 *   children -> child watches of the parent (NodeChildrenChanged)
 */
#include "frontend/frontend.h"

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

struct watch_list {
	struct conn	**v;
	size_t		  n, cap;
};

static struct strmap *
table(struct frontend *f, int kind)
{
	return kind == SM_WATCH_CHILD ? f->child_watches : f->data_watches;
}

void
frontend_watch_add(struct frontend *f, struct conn *c, int kind,
    const char *path)
{
	struct strmap *t = table(f, kind);
	struct watch_list *l = strmap_get(t, path);
	struct watch_reg *reg;

	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		strmap_put(t, path, l);
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == c)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = c;
	reg = xcalloc(1, sizeof(*reg));
	reg->kind = kind;
	reg->path = xstrdup(path);
	reg->next = c->watches;
	c->watches = reg;
}

/* Forget c's registration of (kind, path) after it fired. */
static void
unregister(struct conn *c, int kind, const char *path)
{
	for (struct watch_reg **rp = &c->watches; *rp != NULL;
	    rp = &(*rp)->next) {
		struct watch_reg *reg = *rp;

		if (reg->kind == kind && strcmp(reg->path, path) == 0) {
			*rp = reg->next;
			free(reg->path);
			free(reg);
			return;
		}
	}
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

/* Fire and remove every watch of kind on path; skip conns in `done`. */
static void
fire(struct frontend *f, int kind, const char *path, int type,
    struct watch_list *done)
{
	struct watch_list *l = strmap_del(table(f, kind), path);

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct conn *c = l->v[i];
		int seen = 0;

		unregister(c, kind, path);
		for (size_t j = 0; done != NULL && j < done->n; j++)
			seen |= done->v[j] == c;
		if (!seen)
			notify(f, c, type, path);
	}
	free(l->v);
	free(l);
}

void
frontend_watch_trigger(struct frontend *f, const struct sm_change *ch)
{
	struct watch_list *data, done;

	switch (ch->kind) {
	case SM_CH_CREATED:
		fire(f, SM_WATCH_DATA, ch->path, EV_CREATED, NULL);
		break;
	case SM_CH_DELETED:
		/* a connection holding both watches hears NodeDeleted once */
		data = strmap_get(f->data_watches, ch->path);
		done.n = done.cap = data != NULL ? data->n : 0;
		done.v = data != NULL ? xmemdup(data->v, data->n *
		    sizeof(*data->v)) : NULL;
		fire(f, SM_WATCH_DATA, ch->path, EV_DELETED, NULL);
		fire(f, SM_WATCH_CHILD, ch->path, EV_DELETED, &done);
		free(done.v);
		break;
	case SM_CH_DATA:
		fire(f, SM_WATCH_DATA, ch->path, EV_DATA, NULL);
		break;
	case SM_CH_CHILD:
		fire(f, SM_WATCH_CHILD, ch->path, EV_CHILD, NULL);
		break;
	default:
		break;
	}
}

void
frontend_watch_conn_gone(struct frontend *f, struct conn *c)
{
	struct watch_reg *reg, *next;

	for (reg = c->watches; reg != NULL; reg = next) {
		struct strmap *t = table(f, reg->kind);
		struct watch_list *l = strmap_get(t, reg->path);

		next = reg->next;
		for (size_t i = 0; l != NULL && i < l->n; i++) {
			if (l->v[i] != c)
				continue;
			l->v[i] = l->v[--l->n];
			break;
		}
		if (l != NULL && l->n == 0) {
			strmap_del(t, reg->path);
			free(l->v);
			free(l);
		}
		free(reg->path);
		free(reg);
	}
	c->watches = NULL;
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

/* setWatches: re-register, or fire at once what the client missed. */
static void
set_one(void *arg, int kind, const struct jute_bytes *b)
{
	struct set_watches_ctx *x = arg;
	struct zk_stat st;
	char *path;
	int exists;

	if (b->len < 0)
		return;
	path = xstrndup((const char *)b->p, (size_t)b->len);
	exists = stat_of(x->f, path, &st) == 0;
	if (kind == 0) {		/* data */
		if (!exists)
			notify(x->f, x->c, EV_DELETED, path);
		else if (st.mzxid > x->rel)
			notify(x->f, x->c, EV_DATA, path);
		else
			frontend_watch_add(x->f, x->c, SM_WATCH_DATA, path);
	} else if (kind == 1) {		/* exist */
		if (exists)
			notify(x->f, x->c, EV_CREATED, path);
		else
			frontend_watch_add(x->f, x->c, SM_WATCH_DATA, path);
	} else if (kind == 2) {		/* child */
		if (!exists)
			notify(x->f, x->c, EV_DELETED, path);
		else if (st.pzxid > x->rel)
			notify(x->f, x->c, EV_CHILD, path);
		else
			frontend_watch_add(x->f, x->c, SM_WATCH_CHILD, path);
	} else
		log_debug("client=%s: persistent watch on %s not supported "
		    "yet", x->c->peer, path);
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
