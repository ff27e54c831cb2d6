/* corral-store: argv is parsed by child_new() inside store_main(). */
#include "store/store.h"

int
main(int argc, char **argv)
{
	return store_main(argc, argv);
}
