/*
 * corral-election: decides this node's state (LOOKING, FOLLOWING, LEADING,
 * OBSERVING). A standalone node is decided at once; FastLeaderElection
 * over electionPort comes with the ensemble.
 */
#ifndef CORRAL_ELECTION_ELECTION_H
#define CORRAL_ELECTION_ELECTION_H

#include <stdint.h>

enum election_state {
	ELECTION_LOOKING = 0,
	ELECTION_FOLLOWING = 1,
	ELECTION_LEADING = 2,
	ELECTION_OBSERVING = 3,
	ELECTION_STANDALONE = 4
};

struct child;

struct election {
	struct child		*c;
	void			*router;	/* the replicator asks here */
	enum election_state	 state;
	uint32_t		 leader;
};

const char	*election_state_name(enum election_state);
int		 election_main(struct child *);

#endif
