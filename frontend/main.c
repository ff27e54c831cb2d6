/* corral-frontend: argv -> frontend_main(). */
#include "common/child.h"
#include "frontend/frontend.h"

int
main(int argc, char **argv)
{
	return frontend_main(child_new("frontend", argc, argv));
}
