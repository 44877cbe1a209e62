/*
 * main.c - cabundled: global options, configuration, then one command.
 *
 * The command line is the administration interface (BRIEF.md); each
 * command lives in a file by concern and returns an exit code from
 * exitcode.h.  Only this file exits.
 */
#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "exitcode.h"
#include "extern.h"
#include "signer.h"
#include "usage.h"

/*
 * The table is what "cabundled -h" and "cabundled COMMAND --help" print
 * and what cabundled(8) documents (tests/integration/test_manpages.py
 * holds them to each other).  synopsis: the one line of the command
 * list; usage: every form of the command, one per line, a line that
 * starts with a blank continuing the one before (NULL: the synopsis
 * says it all).  An option that takes a value is written with it,
 * "--option VALUE" with VALUE in capitals: wants_help() reads that.
 */
static const struct command {
	const char	*name;
	int		(*run)(const struct config *, int, char *[]);
	const char	*synopsis;
	const char	*usage;
} commands[] = {
	{ "init", cmd_init, "init [--actor NAME]", NULL },
	{ "serve", cmd_serve, "serve [--once]", NULL },
	{ "fetch", cmd_fetch, "fetch [--actor NAME]", NULL },
	{ "import", cmd_import, "import [--actor NAME] FILE", NULL },
	{ "inspect", cmd_inspect, "inspect [--json] [--vet] FILE", NULL },
	{ "snapshots", cmd_snapshots, "snapshots [--json]", NULL },
	{ "report", cmd_report, "report [--json] ID", NULL },
	{ "approve", cmd_approve, "approve [--allow-rollback] --reason TEXT "
	    "[--actor NAME] ID", NULL },
	{ "reject", cmd_reject, "reject --reason TEXT [--actor NAME] ID",
	    NULL },
	{ "org", cmd_org, "org add|edit|remove|list ...",
	    "org add [--name NAME] [--owner WHO] [--note TEXT]\n"
	    "    [--tag TAG]... [--intermediate] [--actor NAME] FILE\n"
	    "org edit [--name NAME] [--owner WHO] [--note TEXT]\n"
	    "    [--tag TAG]... [--untag TAG]... [--actor NAME] FINGERPRINT\n"
	    "org remove [--reason TEXT] [--actor NAME] FINGERPRINT\n"
	    "org list [--all] [--json]" },
	{ "exclude", cmd_exclude, "exclude add|remove|list ...",
	    "exclude add --reason TEXT [--actor NAME] FINGERPRINT\n"
	    "exclude remove [--reason TEXT] [--actor NAME] FINGERPRINT\n"
	    "exclude list [--all] [--json]" },
	{ "profile", cmd_profile, "profile add|edit|remove|list ...",
	    "profile add [--no-upstream | --base PROFILE] [--keep-excluded]\n"
	    "    [--all-org | --tag TAG...] [--description TEXT]\n"
	    "    [--distrust-after POLICY] [--actor NAME] NAME\n"
	    "profile edit|set [--description TEXT] [--upstream yes|no]\n"
	    "    [--exclusions yes|no] [--org none|all|tags] [--tag TAG]...\n"
	    "    [--distrust-after POLICY] [--actor NAME] NAME\n"
	    "profile remove --reason TEXT [--actor NAME] NAME\n"
	    "profile list [--all] [--json]" },
	{ "publish", cmd_publish,
	    "publish [--resign] [--profile NAME] [--actor NAME]", NULL },
	{ "history", cmd_history, "history [--json] PROFILE", NULL },
	{ "diff", cmd_diff, "diff [--json] PROFILE A B", NULL },
	{ "rebuild", cmd_rebuild, "rebuild --check", NULL },
	{ "key", cmd_key, "key generate|show|rotate|import-list ...",
	    "key generate [--standby] [--actor NAME]\n"
	    "key show [--json]\n"
	    "key rotate [--actor NAME]\n"
	    "key import-list [--root PUB]... [--actor NAME] FILE" },
	{ "root", cmd_root, "root init|sign ...",
	    "root init DIR\n"
	    "root sign --secret FILE... -o FILE --list FILE\n"
	    "root sign --secret FILE... -o FILE --version N\n"
	    "    [--expires-days D] [--threshold K] [--root PUB]...\n"
	    "    [--keys-json FILE] [--active PUB]... [--standby PUB]...\n"
	    "    [--retired PUB]... [--valid-days D]" },
	{ "audit", cmd_audit, "audit [--json] [verify]", NULL },
	{ "export", cmd_export,
	    "export [--profile NAME]... [--all-versions] [--repair]\n"
	    "    [--client-deb FILE]... DIR", NULL },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* Why a command needs a word, said when that word alone is missing. */
static const struct usage_hint hints[] = {
	{ "approve", "--reason", "why you accept this snapshot" },
	{ "approve", "ID", "the snapshot to accept: cabundled snapshots" },
	{ "reject", "--reason", "why you refuse this snapshot" },
	{ "reject", "ID", "the snapshot to refuse: cabundled snapshots" },
	{ "report", "ID", "the snapshot to show: cabundled snapshots" },
	{ "exclude add", "--reason", "why this root is left out" },
	{ "exclude add", "FINGERPRINT", "the SHA-256 of the root" },
	{ "exclude remove", "FINGERPRINT", "cabundled exclude list" },
	{ "org remove", "FINGERPRINT", "cabundled org list" },
	{ "org add", "FILE", "the CA certificate, PEM" },
	{ "profile set", "--distrust-after", "keep, sunset or drop" },
	{ "history", "PROFILE", "cabundled profile list" },
	{ "rebuild", "--check", "rebuild every release and compare" },
	{ "import", "FILE", "the bundle to vet and store" },
	{ "inspect", "FILE", "the bundle to read" },
	{ "export", "DIR", "where the static tree goes" },
	{ NULL, NULL, NULL }
};
#define PROG		"cabundled "

#ifndef CABUNDLE_VERSION
#error "CABUNDLE_VERSION: the Makefile's VERSION, as a string"
#endif

static const char	 global_usage[] = "usage: " PROG
    "[-h] [-v] [--version] [-c config] [-d datadir] [-o section.key=value] "
    "command [args]\n";

/* Every form of one command, as the usage message of that command. */
static void
print_usage(FILE *f, const struct command *c)
{
	const char	*p, *nl;
	int		 first = 1;

	p = c->usage != NULL ? c->usage : c->synopsis;
	for (; *p != '\0'; p = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (*p == ' ') {
			while (*p == ' ')
				p++;
			fputc('\t', f);
		} else
			fputs(first ? "usage: " PROG : "       " PROG, f);
		fprintf(f, "%.*s\n", (int)(nl - p), p);
		first = 0;
	}
}

/* The global options and the list of commands. */
static void
print_commands(FILE *f)
{
	size_t	 i;

	fputs(global_usage, f);
	fputs("commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "\t" PROG "%s\n", commands[i].synopsis);
	fputs("\"" PROG "command --help\" shows a command's options\n", f);
}

static void __attribute__((noreturn))
usage(void)
{
	print_commands(stderr);
	exit(EXIT_USAGE);
}

/* Asked for: the text on standard output, exit 0. */
static void __attribute__((noreturn))
help(const struct command *c)
{
	if (c != NULL)
		print_usage(stdout, c);
	else
		print_commands(stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_LOCAL, "stdout");
	exit(EXIT_DONE);
}

/* --version: the Makefile's VERSION on standard output, exit 0. */
static void __attribute__((noreturn))
version(void)
{
	printf(PROG "%s\n", CABUNDLE_VERSION);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_LOCAL, "stdout");
	exit(EXIT_DONE);
}

static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	warnx("%s: unknown command", name);
	return NULL;
}

/*
 * 1 when the command's arguments ask for its usage: "--help" or "-h"
 * (no command has a -h of its own) before any "--", and not the value
 * of an option, as getopt_long(3) would read them.  So "org add --help"
 * asks, and "approve --reason --help 3" does not.
 */
static int
wants_help(const struct command *c, int argc, char *argv[])
{
	int	 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
		if (usage_takes_value(c->usage != NULL ? c->usage :
		    c->synopsis, argv[i]))
			i++;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		 cfg;
	const struct command	*cmd;
	const char		*datadir = NULL;
	char			 why[512], name[64];
	int			 ch, rc, asked = 0;

	/*
	 * A file size limit (ulimit -f, RLIMIT_FSIZE) must fail a write
	 * with EFBIG, which SQLite and export turn into a rolled-back
	 * transaction and exit 4, not kill the process mid-way with
	 * SIGXFSZ and no word of why.
	 */
	signal(SIGXFSZ, SIG_IGN);
	memset(&cfg, 0, sizeof(cfg));
	config_defaults(&cfg);
	/* '+': stop at the command so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+c:d:o:hv", opts, NULL)) !=
	    -1) {
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
		case 'h':
			asked = 1;
			break;
		case 'v':
			cfg.verbose = 1;
			break;
		case 'V':
			version();
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	/* -h [command], help [command]: before the configuration. */
	if (argc > 0 && !asked && strcmp(argv[0], "help") == 0) {
		asked = 1;
		argc--;
		argv++;
	}
	if (asked) {
		if (argc == 0)
			help(NULL);
		if (argc > 1 || (cmd = command_find(argv[0])) == NULL)
			usage();
		help(cmd);
	}
	/* The signer (signer.c) is this program, started by itself. */
	if (argc == 1 && strcmp(argv[0], SIGNER_COMMAND) == 0)
		cmd = NULL;
	else if (argc < 1 || (cmd = command_find(argv[0])) == NULL)
		usage();
	if (cmd != NULL && wants_help(cmd, argc, argv))
		help(cmd);
	/* What is missing, said before the usage (usage.c). */
	if (cmd != NULL && !usage_judge(cmd->usage != NULL ? cmd->usage :
	    cmd->synopsis, hints, argc, argv, why, sizeof(why))) {
		warnx("%s", why);
		print_usage(stderr, cmd);
		return EXIT_USAGE;
	}

	/*
	 * getopt_long(3) starts its messages with argv[0]: "cabundled
	 * approve: option '--reason' requires an argument" names the
	 * program as a log reader needs it.  Nested commands add their
	 * subcommand (usage_subname).
	 */
	if (cmd != NULL) {
		snprintf(name, sizeof(name), PROG "%s", cmd->name);
		argv[0] = name;
	}

	/* Offline: no configuration, no data directory, no network. */
	if (cmd != NULL && cmd->run == cmd_root)
		return cmd_root(&cfg, argc, argv);
	if (!config_load(&cfg)) {
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (datadir != NULL) {
		free(cfg.datadir);
		if ((cfg.datadir = strdup(datadir)) == NULL)
			err(EXIT_LOCAL, "strdup");
	}
	if (cmd == NULL) {
		/*
		 * _exit: after its seccomp filter the signer may not run
		 * what atexit() would (LeakSanitizer's ptrace, for one).
		 */
		rc = signer_main(&cfg);
		_exit(rc);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(EXIT_LOCAL, "curl_global_init failed");
	rc = cmd->run(&cfg, argc, argv);
	curl_global_cleanup();
	config_free(&cfg);
	return rc;
}
