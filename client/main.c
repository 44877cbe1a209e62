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

/*
 * What "cabundle -h" and "cabundle COMMAND --help" print and what
 * cabundle(1) documents (tests/integration/test_manpages.py holds them
 * to each other).  synopsis: the one line of the command list; usage:
 * every form, one per line, a line that starts with a blank continuing
 * the one before (NULL: the synopsis says it all).  An option that
 * takes a value is written with it, "--option VALUE" with VALUE in
 * capitals: wants_help() reads that.
 */
static const struct command {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*synopsis;
	const char	*usage;
} cmds[] = {
	{ "install", cmd_install, "install --from URL --key KEY "
	    "--profile NAME [targets] [--json]",
	    "install --from URL (--key KEY [--key KEY]... |\n"
	    "    --root ROOTKEY [--root ROOTKEY]...) --profile NAME\n"
	    "    [--python PATH]... [--pip] [--output FILE]... "
	    "[--capath DIR]... [--nssdb DIR]... [--system]\n"
	    "    [--java FILE]... [--java-password PASS]\n"
	    "    [--force] [--state FILE] [--config FILE] [--cacert FILE]\n"
	    "    [--timeout SEC] [--json] [--quiet]\n"
	    "    [--then COMMAND]... [--then-timeout SEC] [--metrics FILE]" },
	{ "status", cmd_status,
	    "status [--state FILE] [--config FILE] [--json]", NULL },
	{ "restore", cmd_restore,
	    "restore [--force] [--state FILE] [--config FILE] [FILE...]",
	    NULL },
	{ "verify", cmd_verify, "verify --key KEY [--profile NAME] "
	    "[--at UNIXTIME | --ignore-expiry] FILE [SIG]",
	    "verify --key KEY [--key KEY]... [--profile NAME]\n"
	    "    [--at UNIXTIME | --ignore-expiry] [--quiet] FILE [SIG]\n"
	    "    (-k KEY, -p NAME and -q are short for --key, --profile and "
	    "--quiet)" },
	{ "doctor", cmd_doctor, "doctor [--config FILE] [--python PATH]... "
	    "[--bundle FILE] [--state FILE] [--json] [HOST[:PORT]]", NULL },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))
#define PROG	"cabundle "

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

/* The list of commands. */
static void
print_commands(FILE *f)
{
	size_t	 i;

	fputs("usage: " PROG "[-h | --version] command [args]\ncommands:\n",
	    f);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "\t" PROG "%s\n", cmds[i].synopsis);
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

static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(name, cmds[i].name) == 0)
			return &cmds[i];
	warnx("%s: unknown command", name);
	return NULL;
}

/* 1 when the forms of c write opt with a value after it. */
static int
takes_value(const struct command *c, const char *opt)
{
	const char	*text, *p;
	size_t		 len = strlen(opt);

	if (opt[0] != '-' || len < 2 || strchr(opt, '=') != NULL)
		return 0;
	text = c->usage != NULL ? c->usage : c->synopsis;
	for (p = text; (p = strstr(p, opt)) != NULL; p += len)
		if ((p == text || strchr(" [|(\n", p[-1]) != NULL) &&
		    p[len] == ' ' && p[len + 1] >= 'A' && p[len + 1] <= 'Z')
			return 1;
	return 0;
}

/*
 * 1 when the command's arguments ask for its usage: "--help" or "-h"
 * (no command has a -h of its own) before any "--", and not the value
 * of an option, as getopt_long(3) would read them.  So "install
 * --help" asks, and "verify --key --help FILE" does not.
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
		if (takes_value(c, argv[i]))
			i++;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct command	*c;
	char			 name[64];
	int			 rc;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "--version") == 0) {
		if (argc > 2) {
			warnx("--version takes no arguments");
			usage();
		}
		/* The Makefile's VERSION, the one place it is written. */
		printf("cabundle %s\n", CABUNDLE_VERSION);
		if (fflush(stdout) == EOF || ferror(stdout))
			err(EXIT_LOCAL, "stdout");
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc == 2)
			help(NULL);
		if (argc > 3 || (c = command_find(argv[2])) == NULL)
			usage();
		help(c);
	}
	if ((c = command_find(argv[1])) == NULL)
		usage();
	if (wants_help(c, argc - 1, argv + 1))
		help(c);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EXIT_LOCAL, "cannot start libcurl");
	/*
	 * getopt_long(3) starts its messages with argv[0]: "cabundle
	 * install: unrecognized option '--frob'", the program named as a
	 * log reader needs it.
	 */
	snprintf(name, sizeof(name), PROG "%s", c->name);
	argv[1] = name;
	rc = c->fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}
