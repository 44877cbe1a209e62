/*
 * main.c - cabundled: global options, then one command.
 *
 * The command line is the administration interface (BRIEF.md); each
 * command lives in its own file and returns an exit code from
 * exitcode.h.  Only this file exits.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "extern.h"

static const struct command {
	const char	*name;
	int		(*run)(const struct config *, int, char *[]);
	const char	*synopsis;
} commands[] = {
	{ "inspect", cmd_inspect, "inspect FILE [--json]" },
};

static void __attribute__((noreturn))
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: cabundled [-d datadir] [-c config] command "
	    "[args]\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "\tcabundled %s\n", commands[i].synopsis);
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct config	 cfg = { .datadir = "/var/lib/cabundle" };
	size_t		 i;
	int		 ch;

	/* '+': stop at the command so its own options stay its own. */
	while ((ch = getopt(argc, argv, "+c:d:h")) != -1) {
		switch (ch) {
		case 'c':
			cfg.config = optarg;
			break;
		case 'd':
			cfg.datadir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(&cfg, argc, argv);
	warnx("%s: unknown command", argv[0]);
	usage();
}
