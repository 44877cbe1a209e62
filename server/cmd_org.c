/*
 * cmd_org.c - "cabundled org add|edit|remove|list" and "cabundled exclude
 * add|remove|list": their options and what they print.  The changes and
 * the lists themselves are org.c.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "datadir.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "meta.h"
#include "org.h"
#include "output.h"
#include "timefmt.h"
#include "usage.h"

#define ORG_NAME_MAX	256
#define ORG_TEXT_MAX	1024

struct org_opts {
	struct org_change c;
	int		 actor_given;	/* refused by list */
	int		 json;
	int		 all;
};

/* An option's text: min to max bytes of UTF-8, no control characters. */
static int
text_ok(const char *what, const char *s, size_t min, size_t max)
{
	size_t	 len;

	if (s == NULL)
		return 1;
	len = strlen(s);
	if (len < min || len > max || !text_valid(s, len)) {
		warnx("%s: want %zu to %zu bytes of UTF-8 text without control "
		    "characters", what, min, max);
		return 0;
	}
	return 1;
}

/* Options shared by the org and exclude subcommands; 0: usage. */
static int
org_getopt(const struct config *cfg, int argc, char *argv[],
    struct org_opts *o)
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "owner", required_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'N' },
		{ "reason", required_argument, NULL, 'r' },
		{ "tag", required_argument, NULL, 't' },
		{ "untag", required_argument, NULL, 'u' },
		{ "intermediate", no_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct org_change *c = &o->c;
	int	 ch;

	memset(o, 0, sizeof(*o));
	c->actor = cfg->actor;
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			c->actor = optarg;
			o->actor_given = 1;
			break;
		case 'n':
			c->name = optarg;
			break;
		case 'o':
			c->owner = optarg;
			break;
		case 'N':
			c->note = optarg;
			break;
		case 'r':
			c->reason = optarg;
			break;
		case 't':
			if (c->ntags == ORG_MAX_TAGS) {
				warnx("--tag: at most %d", ORG_MAX_TAGS);
				return 0;
			}
			if (!profile_valid(optarg, strlen(optarg))) {
				warnx("--tag %s: want lower-case letters, "
				    "digits and . _ + - (64 at most)", optarg);
				return 0;
			}
			c->tags[c->ntags++] = optarg;
			break;
		case 'u':
			if (c->nuntags == ORG_MAX_TAGS) {
				warnx("--untag: at most %d", ORG_MAX_TAGS);
				return 0;
			}
			c->untags[c->nuntags++] = optarg;
			break;
		case 'i':
			c->intermediate = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'A':
			o->all = 1;
			break;
		default:
			return 0;
		}
	}
	/* An empty owner or note is how org edit clears it. */
	return text_ok("--actor", c->actor, 1, ORG_NAME_MAX) &&
	    text_ok("--name", c->name, 1, ORG_NAME_MAX) &&
	    text_ok("--owner", c->owner, 0, ORG_TEXT_MAX) &&
	    text_ok("--note", c->note, 0, ORG_TEXT_MAX) &&
	    text_ok("--reason", c->reason, 1, ORG_TEXT_MAX);
}

/* A fingerprint argument as 64 lower-case hex digits in hex; 0: usage. */
static int
fp_arg(const char *arg, char *hex)
{
	unsigned char	 fp[32];

	if (!fp_decode(arg, fp)) {
		warnx("%s: not a SHA-256 fingerprint (64 hex digits, colons "
		    "allowed)", arg);
		return 0;
	}
	hex_encode(fp, 32, hex);
	return 1;
}

/* A string member of a list row, "" when absent or null. */
static const char *
row_str(const json_t *row, const char *key)
{
	const char	*s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "";
}

static void
org_list_text(const json_t *arr)
{
	const json_t	*row;
	const char	*tags;
	char		 na[TIMEFMT_LEN];
	size_t		 i;

	json_array_foreach(arr, i, row) {
		tags = json_string_value(json_object_get(row, "tags"));
		timefmt_date(json_integer_value(json_object_get(row,
		    "not_after")), na);
		printf("%s  %-40s expires %s%s%s%s%s\n", row_str(row, "sha256"),
		    row_str(row, "name"), na,
		    json_is_true(json_object_get(row, "intermediate")) ?
		    " intermediate" : "",
		    tags != NULL ? " tags: " : "", tags != NULL ? tags : "",
		    json_is_null(json_object_get(row, "removed")) ? "" :
		    " (removed)");
	}
}

static void
exclude_list_text(const json_t *arr)
{
	const json_t	*row;
	const char	*label;
	char		 when[TIMEFMT_LEN];
	size_t		 i;

	json_array_foreach(arr, i, row) {
		label = json_string_value(json_object_get(row, "label"));
		timefmt_date(json_integer_value(json_object_get(row, "added")),
		    when);
		printf("%s  %s  since %s by %s: %s%s\n", row_str(row, "sha256"),
		    label != NULL ? label : "(not seen upstream)", when,
		    row_str(row, "added_by"), row_str(row, "reason"),
		    json_is_null(json_object_get(row, "removed")) ? "" :
		    " (lifted)");
	}
}

/* Print a list as --json or text; consumes arr.  Returns an exit code. */
static int
list_print(json_t *arr, int json, void (*text)(const json_t *))
{
	if (arr == NULL)
		return EXIT_LOCAL;
	if (json)
		return json_print(arr) ? EXIT_DONE : EXIT_LOCAL;
	text(arr);
	json_decref(arr);
	return EXIT_DONE;
}

/*
 * A tag both given and taken away, or an --untag that is no tag;
 * 0 after a warning.
 */
static int
untags_ok(const struct org_change *c)
{
	size_t	 i, j;

	for (j = 0; j < c->nuntags; j++) {
		if (!profile_valid(c->untags[j], strlen(c->untags[j]))) {
			warnx("--untag %s: want lower-case letters, digits "
			    "and . _ + - (64 at most)", c->untags[j]);
			return 0;
		}
		for (i = 0; i < c->ntags; i++)
			if (strcmp(c->tags[i], c->untags[j]) == 0) {
				warnx("--tag %s and --untag %s: which one?",
				    c->tags[i], c->untags[j]);
				return 0;
			}
	}
	return 1;
}

/* cabundled org add|edit|remove|list */
int
cmd_org(const struct config *cfg, int argc, char *argv[])
{
	struct org_opts	 o;
	struct org_change *c = &o.c;
	sqlite3		*db = NULL;
	const char	*sub;
	char		 fp[65], name[64];
	int		 rc;

	if (argc < 2)
		goto usage;
	sub = usage_subname(argv, name, sizeof(name));
	if (!org_getopt(cfg, argc - 1, argv + 1, &o))
		goto usage;
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(sub, "edit") != 0 && c->nuntags)
		goto usage;
	if (strcmp(sub, "add") == 0) {
		if (argc != 1 || o.json || o.all || c->reason)
			goto usage;
		if ((c->owner != NULL && *c->owner == '\0') ||
		    (c->note != NULL && *c->note == '\0')) {
			warnx("org add: an empty --owner or --note sets "
			    "nothing; leave it out (org edit --owner '' "
			    "clears one)");
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "edit") == 0) {
		if (argc != 1 || o.json || o.all || c->reason ||
		    c->intermediate)
			goto usage;
		if (c->name == NULL && c->owner == NULL && c->note == NULL &&
		    c->ntags == 0 && c->nuntags == 0) {
			warnx("org edit: nothing to change; give --name, "
			    "--owner, --note, --tag or --untag");
			goto usage;
		}
		if (!untags_ok(c))
			return EXIT_USAGE;
	} else if (strcmp(sub, "remove") == 0) {
		if (argc != 1 || o.json || o.all || c->name || c->owner ||
		    c->note || c->ntags || c->intermediate)
			goto usage;
	} else if (strcmp(sub, "list") == 0) {
		if (argc != 0 || c->name || c->owner || c->note || c->ntags ||
		    c->intermediate || c->reason || o.actor_given)
			goto usage;
	} else
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "add") == 0)
		rc = org_add(db, cfg, argv[0], c);
	else if (strcmp(sub, "edit") == 0)
		rc = fp_arg(argv[0], fp) ? org_edit(db, cfg, fp, c) :
		    EXIT_USAGE;
	else if (strcmp(sub, "remove") == 0)
		rc = fp_arg(argv[0], fp) ? org_remove(db, cfg, fp, c) :
		    EXIT_USAGE;
	else
		rc = list_print(org_list(db, o.all), o.json, org_list_text);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled org add [--name NAME] [--owner WHO] "
	    "[--note TEXT] [--tag TAG]...\n"
	    "                         [--intermediate] [--actor NAME] FILE\n"
	    "       cabundled org edit [--name NAME] [--owner WHO] "
	    "[--note TEXT] [--tag TAG]...\n"
	    "                          [--untag TAG]... [--actor NAME] "
	    "FINGERPRINT\n"
	    "       cabundled org remove [--reason TEXT] [--actor NAME] "
	    "FINGERPRINT\n"
	    "       cabundled org list [--all] [--json]\n");
	return EXIT_USAGE;
}

/* cabundled exclude add|remove|list */
int
cmd_exclude(const struct config *cfg, int argc, char *argv[])
{
	struct org_opts	 o;
	struct org_change *c = &o.c;
	sqlite3		*db = NULL;
	const char	*sub;
	char		 fp[65], name[64];
	int		 rc;

	if (argc < 2)
		goto usage;
	sub = usage_subname(argv, name, sizeof(name));
	if (!org_getopt(cfg, argc - 1, argv + 1, &o) ||
	    c->name || c->owner || c->note || c->ntags || c->intermediate ||
	    c->nuntags)
		goto usage;
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(sub, "add") == 0) {
		if (argc != 1 || o.json || o.all)
			goto usage;
		if (c->reason == NULL) {
			warnx("exclude add: --reason is required");
			goto usage;
		}
	} else if (strcmp(sub, "remove") == 0) {
		if (argc != 1 || o.json || o.all)
			goto usage;
	} else if (strcmp(sub, "list") != 0 || argc != 0 || c->reason ||
	    o.actor_given)
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "list") == 0)
		rc = list_print(exclude_list(db, o.all), o.json,
		    exclude_list_text);
	else if (!fp_arg(argv[0], fp))
		rc = EXIT_USAGE;
	else if (strcmp(sub, "add") == 0)
		rc = exclude_add(db, cfg, fp, c);
	else
		rc = exclude_remove(db, cfg, fp, c);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled exclude add --reason TEXT "
	    "[--actor NAME] FINGERPRINT\n"
	    "       cabundled exclude remove [--reason TEXT] [--actor NAME] "
	    "FINGERPRINT\n"
	    "       cabundled exclude list [--all] [--json]\n");
	return EXIT_USAGE;
}
