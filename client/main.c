/*
 * main.c - cabundle, the client: one verb per run.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "extern.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*usage;
} cmds[] = {
	{ "install", cmd_install, "install --from URL --key KEY "
	    "--profile NAME [targets] [--json]" },
	{ "status", cmd_status, "status [--state FILE] [--json]" },
	{ "restore", cmd_restore, "restore [--state FILE] [FILE...]" },
	{ "verify", cmd_verify, "verify --key KEY [--profile NAME] "
	    "[--at UNIXTIME | --ignore-expiry] FILE [SIG]" },
	{ "doctor", cmd_doctor, "doctor [--python PATH]... [--bundle FILE] "
	    "[--json] [HOST[:PORT]]" },
};

static void __attribute__((noreturn))
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "\tcabundle %s\n", cmds[i].usage);
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	size_t	 i;
	int	 rc;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
				errx(EXIT_LOCAL, "cannot start libcurl");
			rc = cmds[i].fn(argc - 1, argv + 1);
			curl_global_cleanup();
			return rc;
		}
	warnx("%s: unknown command", argv[1]);
	usage();
}
