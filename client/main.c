/*
 * main.c - cabundle, the client: one verb per run.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "extern.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: cabundle verify --key KEY [--key KEY] "
	    "[--profile NAME]\n"
	    "\t[--at UNIXTIME | --ignore-expiry] [--quiet] FILE [SIG]\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	warnx("%s: unknown command", argv[1]);
	usage();
}
