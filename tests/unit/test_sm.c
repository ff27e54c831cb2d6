/* The state machine: writes, errors, sessions, multi, reads, persistence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jute.h"
#include "common/sm.h"

#define SESS	0x0100000000000001ULL
#define SESS2	0x0100000000000002ULL

enum { ZOK = 0, ZRUNTIMEINCONSISTENCY = -2, ZMARSHALLINGERROR = -5,
	ZUNIMPLEMENTED = -6, ZBADARGUMENTS = -8, ZNONODE = -101,
	ZBADVERSION = -103, ZNOCHILDRENFOREPHEMERALS = -108,
	ZNODEEXISTS = -110, ZNOTEMPTY = -111, ZSESSIONEXPIRED = -112,
	ZINVALIDACL = -114 };

struct fix {
	struct sm		*sm;
	struct sm_result	 res;
	struct jute_writer	 w;
	uint64_t		 zxid;
};

static void
want_int(const char *what, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, (long long)got,
		    (long long)want);
}

static void
want_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

static void
put_open_acl(struct jute_writer *w, int32_t perms)
{
	jute_put_int(w, 1);
	jute_put_int(w, perms);
	jute_put_string(w, "world");
	jute_put_string(w, "anyone");
}

/* Apply w as opcode for session; returns the reply header err. */
static int32_t
apply(struct fix *f, int32_t op, uint64_t session)
{
	struct sm_cmd c = { ++f->zxid, 1000 + (int64_t)f->zxid, session, 1,
	    op, f->w.buf, f->w.len, NULL, 0 };

	if (sm_apply(f->sm, &c, &f->res) != 0)
		fail_msg("sm_apply: got -1, want 0");
	want_int("last zxid", (int64_t)sm_last_zxid(f->sm), (int64_t)f->zxid);
	jute_writer_reset(&f->w);
	return f->res.err;
}

static void
enc_create(struct jute_writer *w, const char *path, const char *data,
    int32_t flags)
{
	jute_put_string(w, path);
	jute_put_bytes(w, data, data ? (int32_t)strlen(data) : -1);
	put_open_acl(w, 31);
	jute_put_int(w, flags);
}

static int32_t
create(struct fix *f, const char *path, const char *data, int32_t flags)
{
	enc_create(&f->w, path, data, flags);
	return apply(f, 1, SESS);
}

static int32_t
delete(struct fix *f, const char *path, int32_t version)
{
	jute_put_string(&f->w, path);
	jute_put_int(&f->w, version);
	return apply(f, 2, SESS);
}

static void
open_session(struct fix *f, uint64_t id)
{
	static const uint8_t pw[SM_PASSWD_LEN] = "0123456789abcdef";

	sm_encode_create_session(&f->w, 30000, pw);
	want_int("createSession", apply(f, -10, id), ZOK);
	want_int("session_opened", (int64_t)f->res.session_opened,
	    (int64_t)id);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->sm = sm_new();
	sm_result_init(&f->res);
	jute_writer_init(&f->w);
	open_session(f, SESS);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	sm_destroy(&f->sm);
	assert_null(f->sm);
	sm_result_free(&f->res);
	jute_writer_free(&f->w);
	free(f);
	return 0;
}

/* Read with a path-and-watch payload. */
static int32_t
read_pw(struct fix *f, int32_t op, const char *path, int watch)
{
	jute_writer_reset(&f->w);
	jute_put_string(&f->w, path);
	if (op == 3 || op == 4 || op == 8 || op == 12)
		jute_put_bool(&f->w, watch);
	sm_read(f->sm, SESS, op, f->w.buf, f->w.len, &f->res);
	jute_writer_reset(&f->w);
	return f->res.err;
}

static struct zk_stat
stat_of(struct fix *f, const char *path)
{
	struct jute_reader r;
	struct zk_stat st;

	memset(&st, 0, sizeof(st));
	if (read_pw(f, 3, path, 0) != ZOK)
		fail_msg("exists %s: got %d, want 0", path, f->res.err);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_stat(&r, &st);
	return st;
}

/* Children of path, sorted and joined with ','. */
static void
children_of(struct fix *f, const char *path, char *out, size_t outlen)
{
	struct jute_reader r;
	struct jute_bytes b;
	char names[64][64];
	int32_t n, i, j;

	out[0] = '\0';
	if (read_pw(f, 8, path, 0) != ZOK)
		fail_msg("getChildren %s: got %d, want 0", path, f->res.err);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	n = jute_get_int(&r);
	assert_true(n >= 0 && n <= 64);
	for (i = 0; i < n; i++) {
		jute_get_bytes(&r, &b);
		snprintf(names[i], sizeof(names[i]), "%.*s", b.len,
		    (const char *)b.p);
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[64];

			memcpy(t, names[j], 64);
			memcpy(names[j], names[j - 1], 64);
			memcpy(names[j - 1], t, 64);
		}
	for (i = 0; i < n; i++) {
		if (i)
			strncat(out, ",", outlen - strlen(out) - 1);
		strncat(out, names[i], outlen - strlen(out) - 1);
	}
}

static void
want_changes(struct fix *f, const char *want)
{
	char got[512] = "";
	size_t i;

	for (i = 0; i < f->res.nchanges; i++) {
		char one[128];

		snprintf(one, sizeof(one), "%s%d:%s", i ? " " : "",
		    f->res.changes[i].kind, f->res.changes[i].path);
		strncat(got, one, sizeof(got) - strlen(got) - 1);
	}
	want_str("changes", got, want);
}

static void
test_initial_tree(void **state)
{
	struct fix *f = *state;
	struct zk_stat st;
	char kids[256];
	struct jute_reader r;
	struct zk_acl_list acl;

	want_int("node count", (int64_t)sm_node_count(f->sm), 4);
	st = stat_of(f, "/zookeeper");
	want_int("czxid", st.czxid, 0);
	want_int("numChildren", st.num_children, 2);
	children_of(f, "/", kids, sizeof(kids));
	want_str("root children", kids, "zookeeper");
	children_of(f, "/zookeeper", kids, sizeof(kids));
	want_str("zookeeper children", kids, "config,quota");
	want_int("getACL", read_pw(f, 6, "/zookeeper/config", 0), ZOK);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_acl_list(&r, &acl);
	jute_get_stat(&r, &st);
	want_int("config acl count", acl.count, 1);
	want_int("config perms", acl.acl[0].perms, 1);
	want_int("config aversion", st.aversion, -1);
}

static void
test_create_stats(void **state)
{
	struct fix *f = *state;
	struct zk_stat st, root;
	struct jute_reader r;
	struct jute_bytes p;

	want_int("create", create(f, "/a", "xyz", 0), ZOK);
	want_changes(f, "1:/a 4:/");
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_bytes(&r, &p);
	want_int("reply path len", p.len, 2);
	want_int("reply remaining", (int64_t)jute_remaining(&r), 0);
	st = stat_of(f, "/a");
	want_int("czxid", st.czxid, (int64_t)f->zxid);
	want_int("mzxid", st.mzxid, (int64_t)f->zxid);
	want_int("pzxid", st.pzxid, (int64_t)f->zxid);
	want_int("ctime", st.ctime, 1000 + (int64_t)f->zxid);
	want_int("mtime", st.mtime, st.ctime);
	want_int("dataLength", st.data_length, 3);
	want_int("version", st.version, 0);
	want_int("owner", st.ephemeral_owner, 0);
	root = stat_of(f, "/");
	/* reported cversion = creates * 2 - children (DataNode.copyStat) */
	want_int("root cversion", root.cversion, 0);
	want_int("root pzxid", root.pzxid, (int64_t)f->zxid);
	want_int("root numChildren", root.num_children, 2);

	/* create2 and createContainer reply with a stat. */
	enc_create(&f->w, "/c", NULL, 4);
	want_int("createContainer", apply(f, 19, SESS), ZOK);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_bytes(&r, &p);
	jute_get_stat(&r, &st);
	/* clients see 0 (DataNode.getClientEphemeralOwner); the type stays */
	want_int("container owner", st.ephemeral_owner, 0);
	want_int("container reply", (int64_t)jute_remaining(&r), 0);

	enc_create(&f->w, "/t", "", 5);
	jute_put_long(&f->w, 5000);
	want_int("createTTL", apply(f, 21, SESS), ZOK);
	st = stat_of(f, "/t");
	want_int("ttl owner", st.ephemeral_owner, 0);

	enc_create(&f->w, "/e", "", 1);
	want_int("create2 ephemeral", apply(f, 15, SESS), ZOK);
	st = stat_of(f, "/e");
	want_int("ephemeral owner", st.ephemeral_owner, (int64_t)SESS);
	want_int("ephemeral count", (int64_t)sm_ephemeral_count(f->sm), 1);
}

static void
test_create_errors(void **state)
{
	static const struct {
		const char	*path;
		int32_t		 flags;
		int		 acl;	/* 0 open, 1 empty, 2 null, 3 bad */
		uint64_t	 session;
		int32_t		 want;
	} t[] = {
		{ "/a", 0, 0, SESS, ZNODEEXISTS },
		{ "/", 0, 0, SESS, ZNODEEXISTS },
		{ "/x/y", 0, 0, SESS, ZNONODE },
		{ "bad", 0, 0, SESS, ZBADARGUMENTS },
		{ "/a/", 0, 0, SESS, ZBADARGUMENTS },
		{ "/a/./b", 0, 0, SESS, ZNONODE },	/* parent checked first */
		{ "/a/.", 0, 0, SESS, ZBADARGUMENTS },
		{ "/n", 7, 0, SESS, ZBADARGUMENTS },
		{ "/n", 5, 0, SESS, ZBADARGUMENTS },	/* TTL mode, no ttl */
		{ "/n", 0, 1, SESS, ZINVALIDACL },
		{ "/n", 0, 2, SESS, ZINVALIDACL },
		{ "/n", 0, 3, SESS, ZINVALIDACL },
		{ "/e/child", 0, 0, SESS, ZNOCHILDRENFOREPHEMERALS },
		{ "/n", 1, 0, SESS2, ZSESSIONEXPIRED },
	};
	struct fix *f = *state;
	size_t i, nodes;
	int32_t got;

	create(f, "/a", NULL, 0);
	create(f, "/e", NULL, 1);
	nodes = sm_node_count(f->sm);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		jute_put_string(&f->w, t[i].path);
		jute_put_bytes(&f->w, NULL, -1);
		if (t[i].acl == 0)
			put_open_acl(&f->w, 31);
		else if (t[i].acl == 3) {
			jute_put_int(&f->w, 1);
			jute_put_int(&f->w, 31);
			jute_put_string(&f->w, "world");
			jute_put_string(&f->w, "someone");
		} else
			jute_put_int(&f->w, t[i].acl == 1 ? 0 : -1);
		jute_put_int(&f->w, t[i].flags);
		got = apply(f, 1, t[i].session);
		if (got != t[i].want)
			fail_msg("create %s flags %d: got %d, want %d",
			    t[i].path, t[i].flags, got, t[i].want);
		want_int("nchanges", (int64_t)f->res.nchanges, 0);
		want_int("reply len", (int64_t)f->res.reply.len, 0);
		want_int("node count", (int64_t)sm_node_count(f->sm),
		    (int64_t)nodes);
	}
	/* Malformed payload and unknown opcode. */
	jute_put_string(&f->w, "/trunc");
	want_int("truncated", apply(f, 1, SESS), ZMARSHALLINGERROR);
	want_int("unknown op", apply(f, 99, SESS), ZUNIMPLEMENTED);
}

static const char *
reply_path(struct fix *f)
{
	static char buf[256];
	struct jute_reader r;
	struct jute_bytes p;

	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_bytes(&r, &p);
	snprintf(buf, sizeof(buf), "%.*s", p.len, (const char *)p.p);
	return buf;
}

static void
test_sequential(void **state)
{
	struct fix *f = *state;
	struct jute_writer rec;

	create(f, "/s", NULL, 0);
	want_int("seq0", create(f, "/s/n-", NULL, 2), ZOK);
	want_str("seq0 name", reply_path(f), "/s/n-0000000000");
	want_int("seq1", create(f, "/s/n-", NULL, 3), ZOK);
	want_str("seq1 name", reply_path(f), "/s/n-0000000001");
	want_int("delete", delete(f, "/s/n-0000000001", -1), ZOK);
	/* ZooKeeper's cversion counts creates only: no reuse after delete. */
	want_int("seq2", create(f, "/s/", NULL, 2), ZOK);
	want_str("seq2 name", reply_path(f), "/s/0000000002");
	want_int("cversion", stat_of(f, "/s").cversion, 4);

	/* A negative cversion prints as Java's %010d does. */
	jute_writer_init(&rec);
	jute_put_string(&rec, "/neg");
	jute_put_bytes(&rec, NULL, -1);
	put_open_acl(&rec, 31);
	jute_put_long(&rec, 1);
	jute_put_long(&rec, 1);
	jute_put_long(&rec, 0);
	jute_put_long(&rec, 0);
	jute_put_int(&rec, 0);
	jute_put_int(&rec, -5);
	jute_put_int(&rec, 0);
	jute_put_long(&rec, 0);
	jute_put_long(&rec, 1);
	want_int("load", sm_node_load(f->sm, rec.buf, rec.len), 0);
	want_int("finish", sm_load_finish(f->sm, f->zxid), 0);
	want_int("seq neg", create(f, "/neg/x", NULL, 2), ZOK);
	want_str("neg name", reply_path(f), "/neg/x-000000005");
	jute_writer_free(&rec);
}

static void
test_delete_set_data(void **state)
{
	struct fix *f = *state;
	struct zk_stat st;
	struct jute_reader r;

	create(f, "/d", "1", 0);
	create(f, "/d/k", NULL, 0);
	want_int("not empty", delete(f, "/d", -1), ZNOTEMPTY);
	want_int("bad version", delete(f, "/d/k", 3), ZBADVERSION);
	want_int("no node", delete(f, "/d/zz", -1), ZNONODE);
	want_int("root", delete(f, "/", -1), ZBADARGUMENTS);
	want_int("zookeeper", delete(f, "/zookeeper", -1), ZBADARGUMENTS);
	want_int("quota", delete(f, "/zookeeper/quota", -1), ZBADARGUMENTS);
	want_int("bad path", delete(f, "/d/", -1), ZBADARGUMENTS);
	want_int("delete", delete(f, "/d/k", 0), ZOK);
	want_changes(f, "2:/d/k 4:/d");
	want_int("empty reply", (int64_t)f->res.reply.len, 0);
	st = stat_of(f, "/d");
	want_int("parent numChildren", st.num_children, 0);
	want_int("parent pzxid", st.pzxid, (int64_t)f->zxid);
	want_int("parent cversion", st.cversion, 2);

	jute_put_string(&f->w, "/d");
	jute_put_bytes(&f->w, "hello", 5);
	jute_put_int(&f->w, 0);
	want_int("setData", apply(f, 5, SESS), ZOK);
	want_changes(f, "3:/d");
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	jute_get_stat(&r, &st);
	want_int("reply version", st.version, 1);
	want_int("reply mzxid", st.mzxid, (int64_t)f->zxid);
	want_int("reply dataLength", st.data_length, 5);
	jute_put_string(&f->w, "/d");
	jute_put_bytes(&f->w, "x", 1);
	jute_put_int(&f->w, 0);
	want_int("setData bad version", apply(f, 5, SESS), ZBADVERSION);
	jute_put_string(&f->w, "/nope");
	jute_put_bytes(&f->w, "x", 1);
	jute_put_int(&f->w, -1);
	want_int("setData no node", apply(f, 5, SESS), ZNONODE);

	/* setACL: aversion check and bump; META change. */
	jute_put_string(&f->w, "/d");
	put_open_acl(&f->w, 31);	/* keeps ADMIN for the next setACL */
	jute_put_int(&f->w, 0);
	want_int("setACL", apply(f, 7, SESS), ZOK);
	want_changes(f, "100:/d");
	want_int("aversion", stat_of(f, "/d").aversion, 1);
	jute_put_string(&f->w, "/d");
	put_open_acl(&f->w, 1);
	jute_put_int(&f->w, 0);
	want_int("setACL bad version", apply(f, 7, SESS), ZBADVERSION);

	/* check and sync. */
	jute_put_string(&f->w, "/d");
	jute_put_int(&f->w, 1);
	want_int("check", apply(f, 13, SESS), ZOK);
	jute_put_string(&f->w, "/d");
	jute_put_int(&f->w, 0);
	want_int("check bad", apply(f, 13, SESS), ZBADVERSION);
	jute_put_string(&f->w, "/d");
	want_int("sync", apply(f, 9, SESS), ZOK);
	want_str("sync reply", reply_path(f), "/d");
}

static void
test_close_session(void **state)
{
	struct fix *f = *state;

	open_session(f, SESS2);
	create(f, "/p", NULL, 0);
	enc_create(&f->w, "/p/e1", NULL, 1);
	want_int("e1", apply(f, 1, SESS2), ZOK);
	enc_create(&f->w, "/e2", NULL, 1);
	want_int("e2", apply(f, 1, SESS2), ZOK);
	want_int("ephemerals", (int64_t)sm_ephemeral_count(f->sm), 2);

	/* getEphemerals by prefix, for the owning session. */
	jute_put_string(&f->w, "/p");
	sm_read(f->sm, SESS2, 103, f->w.buf, f->w.len, &f->res);
	jute_writer_reset(&f->w);
	want_int("getEphemerals", f->res.err, ZOK);
	want_int("getEphemerals len", (int64_t)f->res.reply.len, 4 + 4 + 5);

	want_int("close", apply(f, -11, SESS2), ZOK);
	want_changes(f, "2:/p/e1 4:/p 2:/e2 4:/");
	want_int("session_closed", (int64_t)f->res.session_closed,
	    (int64_t)SESS2);
	assert_null(sm_session_find(f->sm, SESS2));
	want_int("ephemerals", (int64_t)sm_ephemeral_count(f->sm), 0);
	want_int("p pzxid", stat_of(f, "/p").pzxid, (int64_t)f->zxid);
	want_int("closed session write", create(f, "/z", NULL, 0), ZOK);
	enc_create(&f->w, "/z2", NULL, 0);
	want_int("expired", apply(f, 1, SESS2), ZSESSIONEXPIRED);
}

static void
put_mh(struct jute_writer *w, int32_t type, int done, int32_t err)
{
	struct zk_multi_header h = { type, done, err };

	jute_put_multi_header(w, &h);
}

static void
want_bytes_eq(const char *what, const struct jute_writer *got,
    const struct jute_writer *want)
{
	if (got->len != want->len ||
	    memcmp(got->buf, want->buf, want->len) != 0)
		fail_msg("%s: got %zu bytes, want %zu (or bytes differ)",
		    what, got->len, want->len);
}

static void
test_multi_success(void **state)
{
	struct fix *f = *state;
	struct jute_writer want;
	struct zk_stat st;
	uint64_t z;

	put_mh(&f->w, 1, 0, -1);
	enc_create(&f->w, "/m", "d", 0);
	put_mh(&f->w, 15, 0, -1);
	enc_create(&f->w, "/m/c-", NULL, 2);
	put_mh(&f->w, 5, 0, -1);
	jute_put_string(&f->w, "/m");
	jute_put_bytes(&f->w, "dd", 2);
	jute_put_int(&f->w, 0);
	put_mh(&f->w, 13, 0, -1);
	jute_put_string(&f->w, "/m/c-0000000000");
	jute_put_int(&f->w, 0);
	put_mh(&f->w, 2, 0, -1);
	jute_put_string(&f->w, "/m/c-0000000000");
	jute_put_int(&f->w, -1);
	put_mh(&f->w, 1, 0, -1);
	enc_create(&f->w, "/m/c-0000000000", NULL, 0);
	put_mh(&f->w, -1, 1, -1);
	want_int("multi", apply(f, 14, SESS), ZOK);
	z = f->zxid;
	want_changes(f, "1:/m 4:/ 1:/m/c-0000000000 4:/m 3:/m "
	    "2:/m/c-0000000000 4:/m 1:/m/c-0000000000 4:/m");

	jute_writer_init(&want);
	put_mh(&want, 1, 0, 0);
	jute_put_string(&want, "/m");
	put_mh(&want, 15, 0, 0);
	jute_put_string(&want, "/m/c-0000000000");
	st = (struct zk_stat){ (int64_t)z, (int64_t)z, 1000 + (int64_t)z,
	    1000 + (int64_t)z, 0, 0, 0, 0, 0, 0, (int64_t)z };
	jute_put_stat(&want, &st);
	put_mh(&want, 5, 0, 0);
	st = (struct zk_stat){ (int64_t)z, (int64_t)z, 1000 + (int64_t)z,
	    1000 + (int64_t)z, 1, 1, 0, 0, 2, 1, (int64_t)z };
	jute_put_stat(&want, &st);
	put_mh(&want, 13, 0, 0);
	put_mh(&want, 2, 0, 0);
	put_mh(&want, 1, 0, 0);
	jute_put_string(&want, "/m/c-0000000000");
	put_mh(&want, -1, 1, -1);
	want_bytes_eq("multi reply", &f->res.reply, &want);
	want_int("final cversion", stat_of(f, "/m").cversion, 3);
	jute_writer_free(&want);
}

static void
test_multi_failure(void **state)
{
	struct fix *f = *state;
	struct jute_writer want;
	size_t nodes = sm_node_count(f->sm);
	int i;

	create(f, "/keep", "v", 0);
	nodes = sm_node_count(f->sm);
	put_mh(&f->w, 1, 0, -1);
	enc_create(&f->w, "/f", NULL, 0);
	put_mh(&f->w, 1, 0, -1);
	enc_create(&f->w, "/f/c", NULL, 0);
	put_mh(&f->w, 5, 0, -1);
	jute_put_string(&f->w, "/keep");
	jute_put_bytes(&f->w, "changed", 7);
	jute_put_int(&f->w, -1);
	put_mh(&f->w, 2, 0, -1);
	jute_put_string(&f->w, "/keep");
	jute_put_int(&f->w, -1);
	put_mh(&f->w, 2, 0, -1);
	jute_put_string(&f->w, "/missing");
	jute_put_int(&f->w, -1);
	put_mh(&f->w, 13, 0, -1);
	jute_put_string(&f->w, "/keep");
	jute_put_int(&f->w, 0);
	put_mh(&f->w, -1, 1, -1);
	/* the header says ZOK: the errors are in the per-op results */
	want_int("multi", apply(f, 14, SESS), ZOK);
	want_changes(f, "");

	jute_writer_init(&want);
	for (i = 0; i < 6; i++) {
		int32_t e = i < 4 ? ZOK : i == 4 ? ZNONODE :
		    ZRUNTIMEINCONSISTENCY;

		put_mh(&want, -1, 0, e);
		jute_put_int(&want, e);
	}
	put_mh(&want, -1, 1, -1);
	want_bytes_eq("multi error reply", &f->res.reply, &want);
	jute_writer_free(&want);

	want_int("node count", (int64_t)sm_node_count(f->sm), (int64_t)nodes);
	want_int("/f gone", read_pw(f, 3, "/f", 0), ZNONODE);
	want_int("/keep version", stat_of(f, "/keep").version, 0);
	want_int("/keep data", stat_of(f, "/keep").data_length, 1);
	want_int("root cversion", stat_of(f, "/").cversion, 0);
	want_int("getData", read_pw(f, 4, "/keep", 0), ZOK);
	want_int("data len", (int64_t)f->res.reply.len, 4 + 1 + 68);
	if (f->res.reply.buf[4] != 'v')
		fail_msg("data: got %c, want v", f->res.reply.buf[4]);
	/* A malformed multi changes nothing and has no body. */
	put_mh(&f->w, 1, 0, -1);
	enc_create(&f->w, "/f", NULL, 0);
	put_mh(&f->w, 99, 0, -1);
	want_int("malformed multi", apply(f, 14, SESS), ZMARSHALLINGERROR);
	want_int("malformed reply", (int64_t)f->res.reply.len, 0);
	want_int("/f still gone", read_pw(f, 3, "/f", 0), ZNONODE);
}

static void
test_reads_and_watches(void **state)
{
	static const struct {
		int32_t		 op;
		const char	*path;
		int		 watch;
		int32_t		 want_err;
		int		 want_watch;
	} t[] = {
		{ 3, "/w", 1, ZOK, SM_WATCH_DATA },
		{ 3, "/none", 1, ZNONODE, SM_WATCH_DATA },
		{ 3, "/w", 0, ZOK, SM_WATCH_NONE },
		{ 4, "/w", 1, ZOK, SM_WATCH_DATA },
		{ 4, "/none", 1, ZNONODE, SM_WATCH_NONE },
		{ 8, "/w", 1, ZOK, SM_WATCH_CHILD },
		{ 12, "/w", 1, ZOK, SM_WATCH_CHILD },
		{ 8, "/none", 1, ZNONODE, SM_WATCH_NONE },
		{ 4, "bad", 1, ZBADARGUMENTS, SM_WATCH_NONE },
		{ 6, "/none", 0, ZNONODE, SM_WATCH_NONE },
		{ 104, "/w", 0, ZOK, SM_WATCH_NONE },
		{ 104, "/none", 0, ZNONODE, SM_WATCH_NONE },
		{ 77, "/w", 0, ZUNIMPLEMENTED, SM_WATCH_NONE },
	};
	struct fix *f = *state;
	struct jute_reader r;
	size_t i;

	create(f, "/w", NULL, 0);
	create(f, "/w/a", NULL, 0);
	create(f, "/w/a/b", NULL, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int32_t got = read_pw(f, t[i].op, t[i].path, t[i].watch);

		if (got != t[i].want_err || f->res.watch != t[i].want_watch)
			fail_msg("op %d %s: got err %d watch %d, want %d %d",
			    t[i].op, t[i].path, got, f->res.watch,
			    t[i].want_err, t[i].want_watch);
		if (t[i].want_watch)
			want_str("watch path", f->res.watch_path, t[i].path);
	}
	read_pw(f, 104, "/w", 0);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	want_int("all children", jute_get_int(&r), 2);
	read_pw(f, 104, "/", 0);
	jute_reader_init(&r, f->res.reply.buf, f->res.reply.len);
	want_int("all children of /", jute_get_int(&r), 6);
	read_pw(f, 12, "/w", 0);
	want_int("getChildren2 len", (int64_t)f->res.reply.len, 4 + 4 + 1 + 68);
}

struct collect {
	struct sm		*sm;
	struct jute_writer	*w;
	size_t			 n;
	size_t			 off[64];
};

static void
collect_node(void *arg, const char *path)
{
	struct collect *c = arg;

	c->off[c->n++] = c->w->len;
	assert_int_equal(sm_node_encode(c->sm, path, c->w), 0);
}

static void
collect_session(void *arg, uint64_t id)
{
	struct collect *c = arg;

	c->off[c->n++] = c->w->len;
	assert_int_equal(sm_session_encode(c->sm, id, c->w), 0);
}

/* sm_foreach_record visitor: the record is one collected, not seen yet. */
struct match {
	const struct collect	*c;
	int			 seen[64];
	size_t			 n;
};

static void
match_record(void *arg, const struct jute_writer *rec)
{
	struct match *m = arg;
	const struct collect *c = m->c;

	for (size_t i = 0; i < c->n; i++)
		if (!m->seen[i] && c->off[i + 1] - c->off[i] == rec->len &&
		    memcmp(c->w->buf + c->off[i], rec->buf, rec->len) == 0) {
			m->seen[i] = 1;
			m->n++;
			return;
		}
	fail_msg("a record sm_foreach_node did not give, or gave fewer times");
}

/* sm_foreach_record visitor: append the record to the writer in arg. */
static void
cat_record(void *arg, const struct jute_writer *rec)
{
	jute_put_raw(arg, rec->buf, rec->len);
}

static void
test_persist_round_trip(void **state)
{
	struct fix *f = *state;
	struct jute_writer nodes, sess, a, b;
	struct collect cn, cs;
	struct match m = { &cn, { 0 }, 0 };
	struct sm *copy;
	size_t i;
	const char *check[] = { "/", "/zookeeper", "/zookeeper/config",
	    "/p", "/p/q", "/p/e", "/p/s0000000002", "/x" };

	open_session(f, SESS2);
	create(f, "/p", "pdata", 0);
	create(f, "/p/q", NULL, 0);
	enc_create(&f->w, "/p/e", "eph", 1);
	apply(f, 1, SESS2);
	create(f, "/p/s", "", 2);
	create(f, "/x", "1", 0);
	jute_put_string(&f->w, "/x");
	put_open_acl(&f->w, 3);
	jute_put_int(&f->w, -1);
	apply(f, 7, SESS);

	jute_writer_init(&nodes);
	jute_writer_init(&sess);
	cn = (struct collect){ f->sm, &nodes, 0, { 0 } };
	cs = (struct collect){ f->sm, &sess, 0, { 0 } };
	sm_foreach_node(f->sm, collect_node, &cn);
	sm_foreach_session(f->sm, collect_session, &cs);
	want_int("nodes", (int64_t)cn.n, (int64_t)sm_node_count(f->sm));
	cn.off[cn.n] = nodes.len;
	cs.off[cs.n] = sess.len;
	/* the walk without a lookup per node: the same records (the nodes in
	 * address order, the sessions in the same order) */
	jute_writer_init(&a);
	jute_writer_init(&b);
	sm_foreach_record(f->sm, 0, &b, match_record, &m);
	want_int("node records", (int64_t)m.n, (int64_t)cn.n);
	sm_foreach_record(f->sm, 1, &b, cat_record, &a);
	want_bytes_eq("session records", &a, &sess);
	jute_writer_free(&a);
	jute_writer_free(&b);

	copy = sm_new();
	for (i = cn.n; i-- > 0;)	/* reverse: children before parents */
		want_int("node load", sm_node_load(copy, nodes.buf +
		    cn.off[i], cn.off[i + 1] - cn.off[i]), 0);
	for (i = 0; i < cs.n; i++)
		want_int("session load", sm_session_load(copy, sess.buf +
		    cs.off[i], cs.off[i + 1] - cs.off[i]), 0);
	want_int("finish", sm_load_finish(copy, f->zxid), 0);
	want_int("node count", (int64_t)sm_node_count(copy),
	    (int64_t)sm_node_count(f->sm));
	want_int("sessions", (int64_t)sm_session_count(copy), 2);
	want_int("ephemerals", (int64_t)sm_ephemeral_count(copy), 1);
	want_int("data size", (int64_t)sm_data_size(copy),
	    (int64_t)sm_data_size(f->sm));
	want_int("zxid", (int64_t)sm_last_zxid(copy), (int64_t)f->zxid);
	jute_writer_init(&a);
	jute_writer_init(&b);
	for (i = 0; i < sizeof(check) / sizeof(check[0]); i++) {
		struct sm *orig = f->sm;
		struct zk_stat s1, s2;
		char k1[256], k2[256];

		jute_writer_reset(&a);
		jute_writer_reset(&b);
		sm_node_encode(orig, check[i], &a);
		sm_node_encode(copy, check[i], &b);
		want_bytes_eq(check[i], &b, &a);
		s1 = stat_of(f, check[i]);
		children_of(f, check[i], k1, sizeof(k1));
		f->sm = copy;
		s2 = stat_of(f, check[i]);
		children_of(f, check[i], k2, sizeof(k2));
		f->sm = orig;
		want_int("numChildren", s2.num_children, s1.num_children);
		want_str("children", k2, k1);
	}
	assert_non_null(sm_session_find(copy, SESS2));
	want_int("timeout", sm_session_find(copy, SESS2)->timeout, 30000);
	jute_writer_free(&a);
	jute_writer_free(&b);
	jute_writer_free(&nodes);
	jute_writer_free(&sess);
	sm_destroy(&copy);
}

static void
test_malformed_records(void **state)
{
	struct fix *f = *state;
	struct jute_writer w;
	struct sm *copy;
	uint8_t buf[128];
	unsigned seed = 7;
	size_t n, i;

	(void)f;
	create(f, "/r", "data", 0);
	jute_writer_init(&w);
	sm_node_encode(f->sm, "/r", &w);
	copy = sm_new();
	for (n = 0; n < w.len; n++) {
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, w.buf, n);
		if (sm_node_load(copy, p, n) != -1)
			fail_msg("node prefix %zu: got 0, want -1", n);
		free(p);
	}
	jute_writer_reset(&w);
	sm_session_encode(f->sm, SESS, &w);
	for (n = 0; n < w.len; n++)
		if (sm_session_load(copy, w.buf, n) != -1)
			fail_msg("session prefix %zu: got 0, want -1", n);
	for (i = 0; i < 5000; i++) {
		n = rand_r(&seed) % sizeof(buf);
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (n > 4)
			buf[0] = buf[1] = buf[2] = 0;
		(void)sm_node_load(copy, buf, n);
		(void)sm_session_load(copy, buf, n);
	}
	sm_destroy(&copy);

	/* A node whose parent never arrives. */
	copy = sm_new();
	jute_writer_reset(&w);
	create(f, "/r/k", NULL, 0);
	sm_node_encode(f->sm, "/r/k", &w);
	want_int("orphan load", sm_node_load(copy, w.buf, w.len), 0);
	want_int("orphan finish", sm_load_finish(copy, 1), -1);
	sm_destroy(&copy);
	jute_writer_free(&w);
}

/* Many siblings: create and delete stay O(1) per child. */
static void
test_many_children(void **state)
{
	struct fix *f = *state;
	char path[64];
	int i, n = 100000;

	create(f, "/big", NULL, 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/big/%d", i);
		if (create(f, path, NULL, 0) != ZOK)
			fail_msg("create %s: got %d, want 0", path, f->res.err);
	}
	want_int("numChildren", stat_of(f, "/big").num_children, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/big/%d", i);
		if (delete(f, path, -1) != ZOK)
			fail_msg("delete %s: got %d, want 0", path, f->res.err);
	}
	want_int("numChildren after", stat_of(f, "/big").num_children, 0);
	want_int("delete big", delete(f, "/big", -1), ZOK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_set_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_and_watches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_children, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
