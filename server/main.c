/*
 * main.c - cabundled: global options, configuration, then one command.
 *
 * The command line is the administration interface (BRIEF.md); each
 * command lives in a file by concern and returns an exit code from
 * exitcode.h.  Only this file exits.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "extern.h"

static const struct command {
	const char	*name;
	int		(*run)(const struct config *, int, char *[]);
	const char	*synopsis;
} commands[] = {
	{ "init", cmd_init, "init [--actor NAME]" },
	{ "serve", cmd_serve, "serve [--once]" },
	{ "fetch", cmd_fetch, "fetch [--actor NAME]" },
	{ "import", cmd_import, "import [--actor NAME] FILE" },
	{ "inspect", cmd_inspect, "inspect [--json] [--vet] FILE" },
	{ "snapshots", cmd_snapshots, "snapshots [--json]" },
	{ "report", cmd_report, "report [--json] ID" },
	{ "approve", cmd_approve, "approve --reason TEXT [--actor NAME] ID" },
	{ "reject", cmd_reject, "reject --reason TEXT [--actor NAME] ID" },
	{ "org", cmd_org, "org add|remove|list ..." },
	{ "exclude", cmd_exclude, "exclude add|remove|list ..." },
	{ "profile", cmd_profile, "profile add|list ..." },
	{ "publish", cmd_publish, "publish [--resign] [--profile NAME]" },
	{ "history", cmd_history, "history [--json] PROFILE" },
	{ "diff", cmd_diff, "diff [--json] PROFILE A B" },
	{ "rebuild", cmd_rebuild, "rebuild --check" },
	{ "key", cmd_key, "key generate [--standby] | show [--json] | rotate" },
	{ "audit", cmd_audit, "audit [--json] [verify]" },
	{ "export", cmd_export,
	    "export [--profile NAME]... [--all-versions] DIR" },
};

static void __attribute__((noreturn))
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: cabundled [-d datadir] [-c config] "
	    "[-o section.key=value] command [args]\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "\tcabundled %s\n", commands[i].synopsis);
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct config		 cfg;
	const struct command	*cmd = NULL;
	const char		*datadir = NULL;
	size_t			 i;
	int			 ch, rc;

	memset(&cfg, 0, sizeof(cfg));
	config_defaults(&cfg);
	/* '+': stop at the command so its own options stay its own. */
	while ((ch = getopt(argc, argv, "+c:d:o:h")) != -1) {
		switch (ch) {
		case 'c':
			cfg.config = optarg;
			break;
		case 'd':
			datadir = optarg;
			break;
		case 'o':
			if (cfg.noverrides == CONFIG_MAX_OVERRIDES)
				errx(EXIT_USAGE, "-o: more than %d",
				    CONFIG_MAX_OVERRIDES);
			cfg.overrides[cfg.noverrides++] = optarg;
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
			cmd = &commands[i];
	if (cmd == NULL) {
		warnx("%s: unknown command", argv[0]);
		usage();
	}
	if (!config_load(&cfg)) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (datadir != NULL) {
		free(cfg.datadir);
		if ((cfg.datadir = strdup(datadir)) == NULL)
			err(EXIT_LOCAL, "strdup");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(EXIT_LOCAL, "curl_global_init failed");
	rc = cmd->run(&cfg, argc, argv);
	curl_global_cleanup();
	config_free(&cfg);
	return rc;
}
