/*
 * Fuzz sm_apply/sm_read (common/sm*.c) with arbitrary opcodes and payloads
 * on a small pre-built tree: every replica runs these on client-supplied
 * records. Input: a sequence of steps
 *
 *	[u8 op selector][u8 session selector][u16 LE len][len payload bytes]
 *
 * After every step the tree's invariants are checked (hash, parent links,
 * child counts, ephemeral lists, ACL refcounts, data size); a failed write
 * (or failed multi) must leave the tree exactly as it was; and at the end
 * the whole state must survive sm_*_encode -> sm_*_load -> sm_load_finish,
 * as the store writes it and a frontend loads it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jute.h"
#include "common/path.h"
#include "common/sm.h"
#include "common/sm_int.h"
#include "frontend/frontend.h"
#include "fuzz_sm_check.h"
#include "common/acl.h"

/*
 * frontend_multiread() asks the connection's identities from
 * frontend_auth.c, which brings Cyrus SASL along: the fuzzed connection is
 * anonymous (no ids), which still runs every per-op ACL check.
 */
void
frontend_auth_ids(const struct frontend *f, struct conn *c,
    struct acl_ids *out)
{
	(void)f;
	(void)c;
	acl_ids_init(out);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define S1	0x0100000000000001ULL
#define S2	0x0100000000000002ULL
#define S3	0x0100000000000003ULL

/* Not sm opcodes: the frontend's multiRead, the leader's cleanup scan. */
#define OP_MULTIREAD	22
#define OP_CLEANUP	0x7ffffff0

/* Writes, reads and some opcodes nobody implements. */
static const int32_t opcodes[] = {
	SM_OP_CREATE, SM_OP_CREATE2, SM_OP_CREATECONTAINER, SM_OP_CREATETTL,
	SM_OP_DELETE, SM_OP_SETDATA, SM_OP_SETACL, SM_OP_CHECK, SM_OP_SYNC,
	SM_OP_MULTI, SM_OP_CREATESESSION, SM_OP_CLOSESESSION,
	SM_OP_EXISTS, SM_OP_GETDATA, SM_OP_GETACL, SM_OP_GETCHILDREN,
	SM_OP_GETCHILDREN2, SM_OP_GETEPHEMERALS, SM_OP_GETALLCHILDRENNUMBER,
	SM_OP_DELETECONTAINER, OP_MULTIREAD, OP_CLEANUP,
	0, 11, 100, 101, 105, -1, -12, 0x7fffffff
};
#define NOPCODES	(sizeof(opcodes) / sizeof(opcodes[0]))

/* Sessions, and ids whose bits collide with container/TTL owners. */
static const uint64_t sessions[] = {
	S1, S2, S3, 0, 0x8000000000000000ULL, 0xff000000000000abULL
};
#define NSESSIONS	(sizeof(sessions) / sizeof(sessions[0]))

struct fuzz {
	struct sm		*sm;
	struct sm_result	 res;
	struct jute_writer	 w;
	uint64_t		 zxid;
};

static int
is_read(int32_t op)
{
	switch (op) {
	case SM_OP_EXISTS: case SM_OP_GETDATA: case SM_OP_GETACL:
	case SM_OP_GETCHILDREN: case SM_OP_GETCHILDREN2:
	case SM_OP_GETEPHEMERALS: case SM_OP_GETALLCHILDRENNUMBER:
		return 1;
	default:
		return 0;
	}
}

/* Apply f->w as a committed command; the setup must succeed. */
static void
setup_apply(struct fuzz *f, int32_t op, uint64_t session)
{
	struct sm_cmd c = { .zxid = ++f->zxid,
	    .time = 1000 + (int64_t)f->zxid, .session = session, .cxid = 1,
	    .opcode = op, .payload = f->w.buf, .len = f->w.len };

	assert(sm_apply(f->sm, &c, &f->res) == 0);
	assert(f->res.err == SM_ZOK);
	jute_writer_reset(&f->w);
}

static void
setup_create(struct fuzz *f, int32_t op, const char *path, const char *data,
    int32_t flags, uint64_t session)
{
	jute_put_string(&f->w, path);
	jute_put_string(&f->w, data);
	jute_put_int(&f->w, 1);
	jute_put_int(&f->w, 31);
	jute_put_string(&f->w, "world");
	jute_put_string(&f->w, "anyone");
	jute_put_int(&f->w, flags);
	if (op == SM_OP_CREATETTL)
		jute_put_long(&f->w, 60000);
	setup_apply(f, op, session);
}

/* Two sessions, persistent, ephemeral, sequential, container, TTL nodes. */
static void
setup(struct fuzz *f)
{
	static const uint8_t pw[SM_PASSWD_LEN] = "0123456789abcdef";

	f->sm = sm_new();
	sm_result_init(&f->res);
	jute_writer_init(&f->w);
	f->zxid = 0x100000000ULL;
	sm_encode_create_session(&f->w, 30000, pw);
	setup_apply(f, SM_OP_CREATESESSION, S1);
	sm_encode_create_session(&f->w, 30000, pw);
	setup_apply(f, SM_OP_CREATESESSION, S2);
	setup_create(f, SM_OP_CREATE, "/a", "x", 0, S1);
	setup_create(f, SM_OP_CREATE2, "/a/b", NULL, 0, S1);
	setup_create(f, SM_OP_CREATE, "/a/b/c", "", 0, S2);
	setup_create(f, SM_OP_CREATE, "/a/s-", "seq", 2, S1);
	setup_create(f, SM_OP_CREATE, "/e1", "eph", 1, S1);
	setup_create(f, SM_OP_CREATE, "/a/e2", NULL, 3, S2);
	setup_create(f, SM_OP_CREATECONTAINER, "/ctr", NULL, 4, S1);
	setup_create(f, SM_OP_CREATE, "/ctr/k", "k", 0, S1);
	setup_create(f, SM_OP_CREATETTL, "/ttl", "t", 5, S2);
	check_sm(f->sm);
}

/* A failed multi still says ZOK; its first result header is an error. */
static int
multi_failed(const struct sm_result *res)
{
	struct jute_reader r;
	struct zk_multi_header h;

	jute_reader_init(&r, res->reply.buf, res->reply.len);
	return jute_get_multi_header(&r, &h) == 0 && h.type == SM_OP_ERROR &&
	    !h.done;
}

static void
step_write(struct fuzz *f, int32_t op, uint64_t session,
    const uint8_t *p, size_t n)
{
	struct sm_cmd c = { .zxid = ++f->zxid,
	    .time = 1000 + (int64_t)f->zxid, .session = session, .cxid = 7,
	    .opcode = op, .payload = p, .len = n };
	struct jute_writer before, after;
	size_t nodes = sm_node_count(f->sm);
	size_t i;

	jute_writer_init(&before);
	jute_writer_init(&after);
	state_encode(f->sm, &before);
	assert(sm_apply(f->sm, &c, &f->res) == 0);
	assert(sm_last_zxid(f->sm) == f->zxid);
	for (i = 0; i < f->res.nchanges; i++)
		assert(f->res.changes[i].path != NULL);
	if (f->res.err != SM_ZOK || (op == SM_OP_MULTI &&
	    multi_failed(&f->res))) {
		/* a failed write changes nothing but last_zxid */
		assert(f->res.nchanges == 0);
		assert(sm_node_count(f->sm) == nodes);
		state_encode(f->sm, &after);
		assert(after.len == before.len &&
		    memcmp(after.buf, before.buf, after.len) == 0);
	}
	jute_writer_free(&before);
	jute_writer_free(&after);
	/* a replayed zxid is refused, and changes nothing */
	c.zxid = f->zxid;
	assert(sm_apply(f->sm, &c, &f->res) == -1);
}

static void
step_read(struct fuzz *f, int32_t op, uint64_t session,
    const uint8_t *p, size_t n)
{
	sm_read(f->sm, session, op, p, n, &f->res);
	if (f->res.err != SM_ZOK)
		assert(f->res.reply.len == 0);
	if (f->res.watch != SM_WATCH_NONE)
		assert(f->res.watch_path != NULL);
}

/* multiRead as the frontend answers it, on a zeroed frontend. */
static void
step_multiread(struct fuzz *f, uint64_t session, const uint8_t *p, size_t n)
{
	struct frontend *fe = calloc(1, sizeof(*fe));
	struct conn *c = calloc(1, sizeof(*c));
	struct jute_writer out;
	int32_t err;

	assert(fe != NULL && c != NULL);
	fe->sm = f->sm;
	c->session = session;
	strcpy(c->peer, "fuzz:0");
	jute_writer_init(&out);
	err = frontend_multiread(fe, c, p, n, &out);
	assert(err == 0 || (err == SM_ZMARSHALLINGERROR && out.len == 0));
	jute_writer_free(&out);
	free(c);
	free(fe);
}

struct paths {
	char	**p;
	size_t	  n, cap;
};

static void
add_path(void *arg, const char *path)
{
	struct paths *ps = arg;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
		assert(ps->p != NULL);
	}
	ps->p[ps->n++] = strdup(path);
}

/*
 * The leader's ContainerManager: scan at now = last stamp + the payload's
 * first 4 bytes (ms), and delete each candidate with deleteContainer (20,
 * no session). A fresh candidate must be deletable.
 */
static void
step_cleanup(struct fuzz *f, const uint8_t *p, size_t n)
{
	struct paths ps = { 0 };
	uint32_t later = 0;
	size_t i;

	if (n > 0)
		memcpy(&later, p, n < 4 ? n : 4);
	sm_cleanup_candidates(f->sm, 1000 + (int64_t)f->zxid + later,
	    add_path, &ps);
	for (i = 0; i < ps.n; i++) {
		struct sm_cmd c = { .zxid = ++f->zxid,
		    .time = 1000 + (int64_t)f->zxid,
		    .opcode = SM_OP_DELETECONTAINER,
		    .payload = (const uint8_t *)ps.p[i],
		    .len = strlen(ps.p[i]) };

		assert(sm_apply(f->sm, &c, &f->res) == 0);
		/* deleting one candidate never makes another one not due */
		assert(f->res.err == SM_ZOK);
		assert(sm_tree_find(f->sm, ps.p[i], strlen(ps.p[i])) == NULL);
		free(ps.p[i]);
		check_sm(f->sm);
	}
	free(ps.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz f;
	size_t off = 0, n;
	int32_t op;
	uint64_t session;

	setup(&f);
	while (size - off >= 4) {
		op = opcodes[data[off] % NOPCODES];
		session = sessions[data[off + 1] % NSESSIONS];
		n = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;
		off += 4;
		if (n > size - off)
			n = size - off;
		/* a copy of exactly n bytes: ASan sees any over-read */
		uint8_t *p = n ? malloc(n) : NULL;

		if (n)
			memcpy(p, data + off, n);
		if (op == OP_MULTIREAD)
			step_multiread(&f, session, p, n);
		else if (op == OP_CLEANUP)
			step_cleanup(&f, p, n);
		else if (is_read(op))
			step_read(&f, op, session, p, n);
		else
			step_write(&f, op, session, p, n);
		free(p);
		off += n;
		check_sm(f.sm);
	}
	check_reload(f.sm);
	sm_result_free(&f.res);
	jute_writer_free(&f.w);
	sm_destroy(&f.sm);
	return 0;
}
