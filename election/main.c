/* corral-election: argv -> election_main(). */
#include "common/child.h"
#include "election/election.h"

int
main(int argc, char **argv)
{
	return election_main(child_new("election", argc, argv));
}
