/* corral: argv -> struct supervisor_opts -> supervisor_main(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "supervisor/supervisor.h"

/* Print usage and exit 2, like a bad config. */
static void
usage(void)
{
	fprintf(stderr, "usage: corral --config FILE [-d]\n"
	    "       corral --check-config FILE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct supervisor_opts opts = { 0 };
	int ch;

	while ((ch = getopt_long(argc, argv, "c:C:dV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_file = optarg;
			break;
		case 'C':
			opts.config_file = optarg;
			opts.check_only = 1;
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'V':
			printf("corral %s\n", CORRAL_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (opts.config_file == NULL || optind != argc)
		usage();
	return supervisor_main(&opts);
}
