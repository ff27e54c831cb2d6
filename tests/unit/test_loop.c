/*
 * common/loop.c: ZeroMQ sockets and descriptors are dispatched when they
 * have something to read, including a message whose fd signal a send on
 * the same socket took in (ZMQ_FD is edge-triggered), and a handler that
 * reads one message a turn gets the rest on later turns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/loop.h"
#include "common/msg.h"

#define DEADLINE_MS	5000

struct pair {
	void	*ctx;
	void	*a;	/* in the loop */
	void	*b;	/* its peer */
	int	 read;	/* messages a's handler took */
	int	 want;	/* stop the loop at this many */
	int	 timed_out;
};

static int
setup(void **state)
{
	static struct pair p;

	memset(&p, 0, sizeof(p));
	p.ctx = zmq_ctx_new();
	p.a = zmq_socket(p.ctx, ZMQ_PAIR);
	p.b = zmq_socket(p.ctx, ZMQ_PAIR);
	assert_int_equal(zmq_bind(p.a, "inproc://loop-test"), 0);
	assert_int_equal(zmq_connect(p.b, "inproc://loop-test"), 0);
	*state = &p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;
	int linger = 0;

	zmq_setsockopt(p->a, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(p->b, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(p->a);
	zmq_close(p->b);
	zmq_ctx_term(p->ctx);
	return 0;
}

static void
send_one(void *sock)
{
	assert_int_equal(msg_send_frames(sock, NULL, 0, "m", 1, NULL, 0), 0);
}

/* Take one message from a, if there is one; 0 when there is none. */
static int
take_one(struct pair *p)
{
	uint8_t ident[1];
	size_t ilen;
	zmq_msg_t hdr;

	if (msg_recv_header(p->a, 0, ident, &ilen, sizeof(ident), &hdr) < 0)
		return 0;
	zmq_msg_close(&hdr);
	p->read++;
	return 1;
}

static void
on_a_drain(struct loop *l, void *arg)
{
	struct pair *p = arg;

	while (take_one(p))
		;
	if (p->read >= p->want)
		loop_stop(l);
}

static void
on_a_one(struct loop *l, void *arg)
{
	struct pair *p = arg;

	take_one(p);
	if (p->read >= p->want)
		loop_stop(l);
}

static void
on_deadline(struct loop *l, void *arg)
{
	struct pair *p = arg;

	p->timed_out = 1;
	loop_stop(l);
}

static int
fd_of(void *sock)
{
	int fd;
	size_t sz = sizeof(fd);

	assert_int_equal(zmq_getsockopt(sock, ZMQ_FD, &fd, &sz), 0);
	return fd;
}

static void
run(struct pair *p, loop_fn *on_a)
{
	struct loop *l = loop_new();

	loop_add_sock(l, p->a, on_a, p);
	loop_add_timer(l, DEADLINE_MS, 0, on_deadline, p);
	loop_run(l);
	loop_destroy(&l);
}

static void
test_message_dispatched(void **state)
{
	struct pair *p = *state;

	p->want = 1;
	send_one(p->b);
	run(p, on_a_drain);
	assert_false(p->timed_out);
	assert_int_equal(p->read, 1);
}

/*
 * While the loop runs (a timer): b's message signals a's fd, then a send
 * on a takes the signal in (it processes a's commands), so the fd is
 * quiet while the message waits. The loop must still hand it over.
 */
static void
on_provoke(struct loop *l, void *arg)
{
	struct pair *p = arg;
	struct pollfd pfd = { fd_of(p->a), POLLIN, 0 };

	(void)l;
	send_one(p->b);
	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
	send_one(p->a);
	pfd.revents = 0;
	assert_int_equal(poll(&pfd, 1, 0), 0);	/* the case under test */
}

static void
test_signal_taken_by_send(void **state)
{
	struct pair *p = *state;
	struct loop *l = loop_new();

	p->want = 1;
	loop_add_sock(l, p->a, on_a_drain, p);
	loop_add_timer(l, 1, 0, on_provoke, p);
	loop_add_timer(l, DEADLINE_MS, 0, on_deadline, p);
	loop_run(l);
	loop_destroy(&l);
	assert_false(p->timed_out);
	assert_int_equal(p->read, 1);
}

/* A handler that reads one message a turn: the fd signalled once only. */
static void
test_handler_leaves_messages(void **state)
{
	struct pair *p = *state;

	p->want = 3;
	for (int i = 0; i < 3; i++)
		send_one(p->b);
	run(p, on_a_one);
	assert_false(p->timed_out);
	assert_int_equal(p->read, 3);
}

static int pipe_reads;

static void
on_pipe(struct loop *l, void *arg)
{
	int *fd = arg;
	char c;

	if (read(*fd, &c, 1) == 1)
		pipe_reads++;
	loop_stop(l);
}

static void
test_descriptor_dispatched(void **state)
{
	struct loop *l = loop_new();
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	loop_add_fd(l, fds[0], on_pipe, &fds[0]);
	loop_run(l);
	assert_int_equal(pipe_reads, 1);
	loop_destroy(&l);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_message_dispatched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_taken_by_send,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_handler_leaves_messages,
		    setup, teardown),
		cmocka_unit_test(test_descriptor_dispatched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
