/* corral-election main loop: answers ELECTION_QUERY with the decision. */
#include "election/election.h"

#include <string.h>

#include "common/child.h"
#include "common/endpoints.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/msg.h"

const char *
election_state_name(enum election_state s)
{
	switch (s) {
	case ELECTION_LOOKING:
		return "LOOKING";
	case ELECTION_FOLLOWING:
		return "FOLLOWING";
	case ELECTION_LEADING:
		return "LEADING";
	case ELECTION_OBSERVING:
		return "OBSERVING";
	case ELECTION_STANDALONE:
		return "STANDALONE";
	}
	return "unknown";
}

static void
answer(struct election *e, const struct msg *q)
{
	Envelope env = msg_env(MsgType_ELECTION_RESULT);

	env.arg = e->state;
	env.origin = e->leader;
	msg_send(e->router, q->ident, q->ident_len, &env, NULL, 0);
}

static void
dispatch_router(struct loop *l, void *arg)
{
	struct election *e = arg;
	struct msg m;

	(void)l;
	while (msg_recv(e->router, 1, &m) == 0) {
		switch (m.env.type) {
		case MsgType_ELECTION_QUERY:
			answer(e, &m);
			break;
		default:
			log_warnx("unexpected %s", msg_type_name(m.env.type));
			break;
		}
		msg_close(&m);
	}
}

int
election_main(struct child *c)
{
	struct election e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	if (!config_standalone(&c->cfg))
		log_warnx("ensemble configured: this build serves standalone "
		    "only (FastLeaderElection comes with the ensemble)");
	e.state = ELECTION_STANDALONE;
	e.leader = c->cfg.myid;
	e.router = endpoint_bind(c->zctx, EP_ELECTION, c->rundir);
	loop_add_sock(c->loop, e.router, dispatch_router, &e);
	child_status(c, "%s", election_state_name(e.state));
	child_ready(c);

	loop_run(c->loop);

	endpoint_close(&e.router);
	child_destroy(&c);
	return 0;
}
