/*
 * Streams to frontends and the replicator: snapshots of the sm, log
 * ranges and the session table. Each stream is sent whole from one
 * dispatch, so it is consistent: the sm changes only in store_log_flush(),
 * between requests (a snapshot thread may read it at the same time; it
 * changes nothing).
 */
#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/jute.h"
#include "common/log.h"
#include "common/sm.h"

struct snap_ctx {
	struct store		*s;
	const struct msg	*req;
	struct jute_writer	 chunk;
	struct jute_writer	 rec;
	int64_t			 kind;		/* 0 nodes, 1 sessions */
	size_t			 nrecs;
	size_t			 bytes;		/* log entries streamed */
	struct cmd_batch	 entries;	/* not yet sent */
	int			 failed;	/* stop at a send error */
};

static void
put_u32le(struct jute_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	jute_put_raw(w, b, sizeof(b));
}

void
store_record_put(struct jute_writer *chunk, const struct jute_writer *rec)
{
	put_u32le(chunk, (uint32_t)rec->len);
	jute_put_raw(chunk, rec->buf, rec->len);
}

/* Send env (+ payload) to the requester; remember a failure. */
static void
reply(struct snap_ctx *c, Envelope *env, const void *p, size_t len)
{
	if (c->failed)
		return;
	if (msg_send(c->s->router, c->req->ident, c->req->ident_len, env, p,
	    len) == 0)
		return;
	log_warn("send %s to a store client", msg_type_name(env->type));
	c->failed = 1;
}

/* Send the records gathered so far as one STORE_SNAP_CHUNK. */
static void
flush_chunk(struct snap_ctx *c)
{
	Envelope env = msg_env(MsgType_STORE_SNAP_CHUNK);

	if (c->chunk.len == 0)
		return;
	env.arg = c->kind;
	reply(c, &env, c->chunk.buf, c->chunk.len);
	jute_writer_reset(&c->chunk);
}

/* sm_foreach_record visitor: frame the record into the chunk; send the
 * chunk once it is full. */
static void
add_record(void *arg, const struct jute_writer *rec)
{
	struct snap_ctx *c = arg;

	store_record_put(&c->chunk, rec);
	c->nrecs++;
	if (c->chunk.len >= STORE_SNAP_CHUNK_SIZE)
		flush_chunk(c);
}

void
store_snap_send(struct store *s, const struct msg *m)
{
	struct snap_ctx c = { .s = s, .req = m };
	Envelope env = msg_env(MsgType_STORE_SNAP_END);

	jute_writer_init(&c.chunk);
	jute_writer_init(&c.rec);
	c.kind = 0;
	sm_foreach_record(s->sm, 0, &c.rec, add_record, &c);
	flush_chunk(&c);
	c.kind = 1;
	sm_foreach_record(s->sm, 1, &c.rec, add_record, &c);
	flush_chunk(&c);
	env.zxid = s->applied;
	reply(&c, &env, NULL, 0);
	log_debug("snapshot at zxid=0x%" PRIx64 ": %zu records", s->applied,
	    c.nrecs);
	jute_writer_free(&c.chunk);
	jute_writer_free(&c.rec);
}

/* Send the log entries gathered so far as one STORE_LOG_ENTRY batch. */
static void
flush_entries(struct snap_ctx *c)
{
	Envelope env;

	if (c->entries.n == 0)
		return;
	env = msg_batch_env(MsgType_STORE_LOG_ENTRY, &c->entries);
	reply(c, &env, c->entries.buf, c->entries.len);
	cmd_batch_clear(&c->entries);
}

/*
 * store_log_foreach visitor: one more entry, a batch sent per chunk size;
 * stops on a send error or once STORE_STREAM_MAX bytes went out (the
 * requester asks again).
 */
static int
log_entry_cb(void *arg, const struct cmd_key *key, const uint8_t *val,
    size_t vlen)
{
	struct snap_ctx *c = arg;

	cmd_batch_add_value(&c->entries, val, vlen, key->zxid, key->prev_zxid);
	c->bytes += vlen + 4;
	if (c->entries.len >= STORE_SNAP_CHUNK_SIZE)
		flush_entries(c);
	return c->failed || c->bytes >= STORE_STREAM_MAX;
}

/*
 * The leader builds DIFF, TRUNC+DIFF and SNAP from the answer, frontends
 * fill gaps with it: entries after a from below log_base were trimmed or
 * replaced by a snapshot (err -1); a from above log_base that we never
 * logged is a divergent learner's entry (err -2, zxid = where it must
 * truncate to, prev_zxid = our first entry above it).
 */
void
store_snap_send_log(struct store *s, const struct msg *m)
{
	struct snap_ctx c = { .s = s, .req = m };
	Envelope env = msg_env(MsgType_STORE_LOG_END);
	uint64_t from = m->env.zxid, to = (uint64_t)m->env.arg;

	/* the open batch is not readable: a from in it must see it */
	if (from > s->durable && s->logged > s->durable)
		store_log_group_commit(s);
	if (from < s->log_base) {
		env.zxid = from;
		env.err = -1;
	} else if (from > s->log_base && !store_log_has(s, from)) {
		env.zxid = store_log_prev(s, from);
		/* the leader checks both for ZooKeeper's no-TRUNC-across-epochs */
		env.prev_zxid = store_log_next(s, from);
		env.err = -2;
	} else {
		if (to > s->durable)
			to = s->durable;
		env.zxid = from < to ? store_log_foreach(s, from, to,
		    log_entry_cb, &c) : from;
		flush_entries(&c);
		cmd_batch_free(&c.entries);
	}
	if (env.err != 0)
		log_info("log request from zxid=0x%" PRIx64 ": %s (log base "
		    "zxid=0x%" PRIx64 ", logged zxid=0x%" PRIx64 ")", from,
		    env.err == -1 ? "trimmed" : "never logged", s->log_base,
		    s->durable);
	reply(&c, &env, NULL, 0);
}

/* sm_foreach_session visitor: one packed {u64 id, i32 timeout}. */
static void
sessions_cb(void *arg, uint64_t id)
{
	struct snap_ctx *c = arg;
	const struct sm_session *ss = sm_session_find(c->s->sm, id);
	uint8_t b[8];

	if (ss == NULL)
		fatalx("session=0x%016" PRIx64 " listed but not found", id);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(id >> (8 * i));
	jute_put_raw(&c->chunk, b, sizeof(b));
	put_u32le(&c->chunk, (uint32_t)ss->timeout);
	c->nrecs++;
}

void
store_snap_send_sessions(struct store *s, const struct msg *m)
{
	struct snap_ctx c = { .s = s, .req = m };
	Envelope env = msg_env(MsgType_STORE_SESSIONS);

	store_log_flush(s);	/* the tree at everything committed */
	jute_writer_init(&c.chunk);
	sm_foreach_session(s->sm, sessions_cb, &c);
	env.zxid = s->applied;
	env.arg = (int64_t)c.nrecs;
	reply(&c, &env, c.chunk.len ? (const void *)c.chunk.buf : "",
	    c.chunk.len);
	jute_writer_free(&c.chunk);
}

static void
cleanup_cb(void *arg, const char *path)
{
	struct snap_ctx *c = arg;

	jute_put_raw(&c->chunk, path, strlen(path) + 1);
	c->nrecs++;
}

/* The leader's ContainerManager asks which nodes are due. */
void
store_snap_send_cleanup(struct store *s, const struct msg *m)
{
	struct snap_ctx c = { .s = s, .req = m };
	Envelope env = msg_env(MsgType_STORE_CLEANUP);

	store_log_flush(s);	/* the tree at everything committed */
	jute_writer_init(&c.chunk);
	sm_cleanup_candidates(s->sm, m->env.time, cleanup_cb, &c);
	env.zxid = s->applied;
	env.arg = (int64_t)c.nrecs;
	reply(&c, &env, c.chunk.len ? (const void *)c.chunk.buf : "",
	    c.chunk.len);
	jute_writer_free(&c.chunk);
}
