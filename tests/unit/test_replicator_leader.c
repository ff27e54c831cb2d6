/*
 * The replicator taking the lead (replicator/replicator.c and
 * replicator_leader.c) with a learner whose FOLLOWERINFO came while we were
 * still looking: its election decided a moment before ours. The quorum
 * port, the learner and the store are inproc ZeroMQ sockets; the shell is
 * compiled in, the role's other modules are linked (tests/CMakeLists.txt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/xmalloc.h"
#include "replicator/replicator.c"

#define EPOCH		1
#define ZXID		0x100000005ULL

struct fixture {
	struct child		c;
	struct replicator	r;
	void			*learner;	/* sid 1's DEALER */
	void			*store;		/* our store's end */
};

/* 3 voters, we are sid 3 and look, as after the leader's death. */
static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	int zero = 0;

	for (int i = 0; i < 3; i++) {
		f->c.cfg.servers[i].id = (uint32_t)i + 1;
		f->c.cfg.servers[i].type = CONFIG_PARTICIPANT;
	}
	f->c.cfg.nservers = 3;
	f->c.cfg.myid = 3;
	f->c.cfg.tick_time = 2000;
	f->c.zctx = zmq_ctx_new();
	f->c.loop = loop_new();
	f->r.c = &f->c;
	f->r.myid = 3;
	f->r.tick_ms = 2000;
	f->r.role = ROLE_LOOKING;
	f->r.store_known = 1;
	f->r.accepted_epoch = f->r.current_epoch = EPOCH;
	f->r.store_logged = f->r.last_committed = ZXID;

	f->r.quorum = zmq_socket(f->c.zctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(f->r.quorum, "inproc://quorum"), 0);
	f->learner = zmq_socket(f->c.zctx, ZMQ_DEALER);
	zmq_setsockopt(f->learner, ZMQ_ROUTING_ID, "1", 1);
	assert_int_equal(zmq_connect(f->learner, "inproc://quorum"), 0);
	f->store = zmq_socket(f->c.zctx, ZMQ_PULL);
	assert_int_equal(zmq_bind(f->store, "inproc://store"), 0);
	f->r.store = zmq_socket(f->c.zctx, ZMQ_PUSH);
	assert_int_equal(zmq_connect(f->r.store, "inproc://store"), 0);
	zmq_setsockopt(f->r.quorum, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->learner, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->store, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->r.store, ZMQ_LINGER, &zero, sizeof(zero));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	replicator_leader_stop(&f->r);
	free(f->r.learners);
	zmq_close(f->r.quorum);
	zmq_close(f->learner);
	zmq_close(f->store);
	zmq_close(f->r.store);
	loop_destroy(&f->c.loop);
	zmq_ctx_term(f->c.zctx);
	free(f);
	return 0;
}

/* 1 once s has a message, 0 after 10 s without one. */
static int
readable(void *s)
{
	zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };

	return zmq_poll(&it, 1, 10000) == 1;
}

/* sid 1 says hello; the replicator reads its quorum port. */
static void
hello(struct fixture *f)
{
	PeerHeader h = PeerHeader_init_zero;

	h.type = PeerType_FOLLOWERINFO;
	h.sid = 1;
	h.protocol = PEER_PROTOCOL_VERSION;
	h.epoch = EPOCH;
	h.zxid = ZXID;
	assert_int_equal(replicator_peer_send(f->learner, NULL, 0, &h, NULL,
	    0), 0);
	assert_true(readable(f->r.quorum));
	dispatch_quorum(f->c.loop, &f->r);
	/* nobody leads yet: nothing is answered */
	assert_int_equal(f->r.nlearners, 0);
}

/* Our election's decision: we lead. */
static void
elected(struct fixture *f)
{
	Envelope env = msg_env(MsgType_ELECTION_RESULT);

	env.arg = STATE_LEADING;
	env.origin = 3;
	election_result(&f->r, &env);
	assert_int_equal(f->r.role, ROLE_LEADING);
}

static void
test_hello_while_looking_answered(void **state)
{
	struct fixture *f = *state;
	Envelope env = msg_env(MsgType_STORE_STATE);
	struct peer_msg m;

	hello(f);
	elected(f);
	if (f->r.nlearners != 1 || f->r.learners[0]->sid != 1)
		fail_msg("got %zu learners, want sid 1's (its hello came "
		    "while we looked)", f->r.nlearners);
	/* with it we are a quorum: epoch 2 goes to the store */
	assert_int_equal(f->r.new_epoch, EPOCH + 1);
	assert_true(f->r.epoch_pending);

	/* the store made it durable: LEADERINFO goes out to sid 1 */
	env.zxid = ZXID;
	env.prev_zxid = ZXID;
	env.accepted_epoch = EPOCH + 1;
	env.current_epoch = EPOCH;
	store_state(&f->r, &env);
	assert_true(readable(f->learner));
	assert_int_equal(replicator_peer_recv(f->learner, 0, &m), 0);
	assert_int_equal(m.h.type, PeerType_LEADERINFO);
	assert_int_equal(m.h.epoch, EPOCH + 1);
	replicator_peer_close(&m);
}

/* A hello older than a tick is not counted: its learner gave up on us. */
static void
test_stale_hello_dropped(void **state)
{
	struct fixture *f = *state;

	hello(f);
	for (int i = 0; i < CONFIG_MAX_SERVERS; i++)
		if (f->r.held[i].sid == 1)
			f->r.held[i].at_ms -= f->r.tick_ms + 1;
	elected(f);
	assert_int_equal(f->r.nlearners, 0);
	assert_int_equal(f->r.new_epoch, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_hello_while_looking_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_hello_dropped,
		    setup, teardown),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
