/* corral-replicator: argv -> replicator_main(). */
#include "common/child.h"
#include "replicator/replicator.h"

int
main(int argc, char **argv)
{
	return replicator_main(child_new("replicator", argc, argv));
}
