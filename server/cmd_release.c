/*
 * cmd_release.c - "publish", "history PROFILE", "diff PROFILE A B",
 * "rebuild --check" and "profile add|list": the release side of the
 * command line.  Publishing itself is release.c.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "datadir.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "meta.h"
#include "num.h"
#include "output.h"
#include "profile.h"
#include "query.h"
#include "rebuild.h"
#include "release.h"
#include "render_json.h"
#include "timefmt.h"
#include "usage.h"

#define PROFILE_MAX_TAGS	16
#define DESCRIPTION_MAX		256

struct opts {
	const char	*actor;
	int		 actor_given;	/* refused where nothing is recorded */
	const char	*only;
	const char	*description;
	const char	*tags[PROFILE_MAX_TAGS];
	size_t		 ntags;
	int		 json;
	int		 check;
	int		 no_upstream;
	int		 all_org;
	int		 keep_excluded;
	int		 resign;
	const char	*base;		/* profile add --base */
	const char	*distrust;	/* profile add|edit --distrust-after */
	int		 upstream;	/* profile edit --upstream; -1 */
	int		 exclusions;	/* profile edit --exclusions; -1 */
	const char	*org;		/* profile edit --org */
	const char	*reason;	/* profile remove --reason */
	int		 edit_only;	/* one of the four above given */
	int		 all;		/* profile list --all */
};

/* "yes" or "no" into *v; 0 after a warning naming the option. */
static int
yes_no(const char *opt, const char *arg, int *v)
{
	if (strcmp(arg, "yes") == 0)
		*v = 1;
	else if (strcmp(arg, "no") == 0)
		*v = 0;
	else {
		warnx("--%s %s: want yes or no", opt, arg);
		return 0;
	}
	return 1;
}

static int
parse_opts(const struct config *cfg, int argc, char *argv[], struct opts *o)
{
	static const struct option opts[] = {
		{ "actor", required_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "description", required_argument, NULL, 'd' },
		{ "tag", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'c' },
		{ "no-upstream", no_argument, NULL, 'n' },
		{ "all-org", no_argument, NULL, 'A' },
		{ "keep-excluded", no_argument, NULL, 'k' },
		{ "resign", no_argument, NULL, 'R' },
		{ "base", required_argument, NULL, 'b' },
		{ "distrust-after", required_argument, NULL, 'D' },
		{ "upstream", required_argument, NULL, 'U' },
		{ "exclusions", required_argument, NULL, 'E' },
		{ "org", required_argument, NULL, 'O' },
		{ "reason", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->actor = cfg->actor;
	o->upstream = o->exclusions = -1;
	optind = 0;	/* glibc: full reset, permute again */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			o->actor = optarg;
			o->actor_given = 1;
			break;
		case 'p':
			o->only = optarg;
			break;
		case 'd':
			o->description = optarg;
			break;
		case 't':
			if (o->ntags == PROFILE_MAX_TAGS) {
				warnx("--tag: at most %d", PROFILE_MAX_TAGS);
				return 0;
			}
			o->tags[o->ntags++] = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			o->check = 1;
			break;
		case 'n':
			o->no_upstream = 1;
			break;
		case 'A':
			o->all_org = 1;
			break;
		case 'k':
			o->keep_excluded = 1;
			break;
		case 'R':
			o->resign = 1;
			break;
		case 'b':
			o->base = optarg;
			break;
		case 'D':
			o->distrust = optarg;
			break;
		case 'U':
			if (!yes_no("upstream", optarg, &o->upstream))
				return 0;
			o->edit_only = 1;
			break;
		case 'E':
			if (!yes_no("exclusions", optarg, &o->exclusions))
				return 0;
			o->edit_only = 1;
			break;
		case 'O':
			if (strcmp(optarg, "none") != 0 &&
			    strcmp(optarg, "all") != 0 &&
			    strcmp(optarg, "tags") != 0) {
				warnx("--org %s: want none, all or tags",
				    optarg);
				return 0;
			}
			o->org = optarg;
			o->edit_only = 1;
			break;
		case 'r':
			o->reason = optarg;
			o->edit_only = 1;
			break;
		case 'L':
			o->all = 1;
			break;
		default:
			return 0;
		}
	}
	if (!text_valid(o->actor, strlen(o->actor))) {
		warnx("--actor: control characters or invalid UTF-8");
		return 0;
	}
	return 1;
}

static int
profile_exists(sqlite3 *db, const char *name)
{
	struct profile	 p;

	if (!profile_get(db, name, &p))
		return -1;
	if (p.name[0] == '\0') {
		warnx("%s: no such profile (cabundled profile list)", name);
		return 0;
	}
	return 1;
}

/* cabundled publish [--profile NAME] [--actor NAME] */
int
cmd_publish(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	struct profile	 p;
	sqlite3		*db;
	int		 rc = EXIT_LOCAL, n;

	if (!parse_opts(cfg, argc, argv, &o) || optind != argc || o.json ||
	    o.check || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded || o.base || o.distrust ||
	    o.edit_only || o.all) {
		fprintf(stderr, "usage: cabundled publish [--resign] "
		    "[--profile NAME] [--actor NAME]\n");
		return EXIT_USAGE;
	}
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (o.only != NULL && (n = profile_exists(db, o.only)) != 1)
		rc = n == 0 ? EXIT_USAGE : EXIT_LOCAL;
	else if (o.only != NULL && !profile_get(db, o.only, &p))
		rc = EXIT_LOCAL;
	else if (o.only != NULL && p.removed) {
		warnx("%s: removed; it is no longer published (its releases "
		    "stay served)", o.only);
		rc = EXIT_REFUSED;
	} else
		rc = publish_all(db, cfg, o.actor, o.only,
		    o.resign ? PUBLISH_FORCE : 0);
	db_close(db);
	return rc;
}

/*
 * Under a history row, the roots that release newly left out by the
 * distrust_after policy, one line each with the rule.
 */
static int
history_print_left(const struct query_release *r)
{
	json_t		*arr, *o;
	const char	*fp, *label, *rule;
	size_t		 i;

	if (r->left == NULL)
		return 1;
	if ((arr = json_loads(r->left, 0, NULL)) == NULL ||
	    !json_is_array(arr)) {
		warnx("version %" PRId64 ": malformed build_left rows",
		    r->version);
		json_decref(arr);
		return 0;
	}
	json_array_foreach(arr, i, o) {
		fp = json_string_value(json_object_get(o, "sha256"));
		label = json_string_value(json_object_get(o, "label"));
		rule = json_string_value(json_object_get(o, "rule"));
		printf("    - %s  \"%s\"  left out by distrust-after %s\n",
		    fp != NULL ? fp : "?", label != NULL ? label : "?",
		    rule != NULL ? rule : "?");
	}
	json_decref(arr);
	return 1;
}

/* One line of "cabundled history PROFILE". */
static int
history_print_row(const struct query_release *r, void *arg)
{
	char		 created[TIMEFMT_LEN], expires[TIMEFMT_LEN], pm[48];
	char		 sn[24];

	(void)arg;
	timefmt_iso(r->created, created);
	timefmt_iso(r->expires, expires);
	snprintf(pm, sizeof(pm), "+%" PRId64 "/-%" PRId64, r->added,
	    r->removed);
	if (r->has_snapshot)
		snprintf(sn, sizeof(sn), "%" PRId64, r->snapshot);
	else
		snprintf(sn, sizeof(sn), "-");
	printf("%-8" PRId64 " %-20s %6" PRId64 " %9s %8s  %-16s %-20s %s",
	    r->version, created, r->certificates, pm, sn, r->key_id, expires,
	    r->reason);
	/* Countersigned: the upstream release it carries. */
	if (r->carried != 0)
		printf(" (carries upstream version %" PRId64 ", key %s, "
		    "from %s)", r->carried, r->carried_key, r->carried_from);
	putchar('\n');
	return history_print_left(r);
}

/* cabundled history [--json] PROFILE */
int
cmd_history(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	struct buf	 b;
	sqlite3		*db;
	int		 n, rc = EXIT_LOCAL;

	if (!parse_opts(cfg, argc, argv, &o) || argc - optind != 1 ||
	    o.actor_given || o.check || o.only || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded || o.resign || o.base ||
	    o.distrust || o.edit_only || o.all) {
		fprintf(stderr, "usage: cabundled history [--json] PROFILE\n");
		return EXIT_USAGE;
	}
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	buf_init(&b, HISTORY_MAX);
	if ((n = profile_exists(db, argv[optind])) != 1) {
		rc = n == 0 ? EXIT_USAGE : EXIT_LOCAL;
		goto out;
	}
	/* What json_print() writes for render_history(), without the tree. */
	if (o.json) {
		if (render_history_dump(db, argv[optind], JSON_INDENT(2) |
		    JSON_ENSURE_ASCII, &b) && buf_append(&b, "\n", 1) &&
		    fwrite(b.data, 1, b.len, stdout) == b.len)
			rc = EXIT_DONE;
		goto out;
	}
	printf("%-8s %-20s %6s %9s %8s  %-16s %-20s %s\n", "version",
	    "created", "certs", "+/-", "snapshot", "key", "expires",
	    "reason");
	if (query_history_each(db, argv[optind], 0, INT64_MAX,
	    history_print_row, NULL))
		rc = EXIT_DONE;
 out:
	buf_free(&b);
	db_close(db);
	return rc;
}

static void
diff_print(const struct query_diff_cert *v, size_t n, char sign)
{
	char	 na[TIMEFMT_LEN];
	size_t	 i;

	for (i = 0; i < n; i++) {
		timefmt_date(v[i].not_after, na);
		printf("%c %s  \"%s\"  expires %s%s\n", sign, v[i].sha256,
		    v[i].label, na, v[i].organization ?
		    "  (organization CA)" : "");
		if (v[i].rule != NULL)
			printf("    left out by distrust-after %s\n",
			    v[i].rule);
	}
}

/* cabundled diff [--json] PROFILE A B */
int
cmd_diff(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	struct query_diff d;
	sqlite3		*db;
	const char	*profile;
	uint64_t	 va, vb;
	int		 n, found, rc = EXIT_LOCAL;

	if (!parse_opts(cfg, argc, argv, &o) || argc - optind != 3 ||
	    o.actor_given || o.check || o.only || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded || o.resign || o.base ||
	    o.distrust || o.edit_only || o.all) {
		fprintf(stderr, "usage: cabundled diff [--json] PROFILE A B\n");
		return EXIT_USAGE;
	}
	profile = argv[optind];
	if (!num_u63(argv[optind + 1], strlen(argv[optind + 1]), &va) ||
	    !num_u63(argv[optind + 2], strlen(argv[optind + 2]), &vb)) {
		warnx("versions are numbers from 1");
		return EXIT_USAGE;
	}
	memset(&d, 0, sizeof(d));
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if ((n = profile_exists(db, profile)) != 1) {
		rc = n == 0 ? EXIT_USAGE : EXIT_LOCAL;
		goto out;
	}
	if (!query_diff(db, profile, (int64_t)va, (int64_t)vb, &d, &found))
		goto out;
	if (!found) {
		rc = EXIT_REFUSED;
		goto out;
	}
	if (o.json) {
		rc = json_print(render_diff(&d)) ? EXIT_DONE : EXIT_LOCAL;
		goto out;
	}
	printf("%s %" PRIu64 " -> %" PRIu64 ":\n", profile, va, vb);
	diff_print(d.added, d.nadded, '+');
	diff_print(d.removed, d.nremoved, '-');
	printf("%zu added, %zu removed\n", d.nadded, d.nremoved);
	rc = EXIT_DONE;
 out:
	query_diff_free(&d);
	db_close(db);
	return rc;
}

/* cabundled rebuild --check */
int
cmd_rebuild(const struct config *cfg, int argc, char *argv[])
{
	struct rebuild_result res;
	struct opts	 o;
	sqlite3		*db;
	int		 rc;

	if (!parse_opts(cfg, argc, argv, &o) || optind != argc || !o.check ||
	    o.actor_given || o.json || o.only || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded || o.resign || o.base ||
	    o.distrust || o.edit_only || o.all) {
		fprintf(stderr, "usage: cabundled rebuild --check\n");
		return EXIT_USAGE;
	}
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (!rebuild_check(db, &res))
		rc = EXIT_LOCAL;
	else if (res.bad) {
		printf("rebuild: %zu of %zu releases do not match the "
		    "database\n", res.bad, res.releases);
		rc = EXIT_REFUSED;
	} else {
		printf("rebuild: %zu releases (%zu bundles) rebuilt byte for "
		    "byte, signatures and trusted comments verified\n",
		    res.releases, res.builds);
		rc = EXIT_DONE;
	}
	db_close(db);
	return rc;
}

/* profile add NAME: the row (profile.c), then its first release. */
static int
profile_create(sqlite3 *db, const struct config *cfg, const char *name,
    const struct opts *o)
{
	struct profile_new n;
	int		 rc;

	memset(&n, 0, sizeof(n));
	n.name = name;
	n.actor = o->actor;
	n.description = o->description;
	n.tags = o->tags;
	n.ntags = o->ntags;
	n.upstream = !o->no_upstream;
	n.exclusions = !o->no_upstream && !o->keep_excluded;
	n.all_org = o->all_org;
	n.base = o->base;
	n.distrust = o->distrust;
	if ((rc = profile_add(db, &n)) != EXIT_DONE)
		return rc;
	printf("profile %s added\n", name);
	return publish_all(db, cfg, o->actor, name, 0);
}

static int
profile_list(sqlite3 *db, int json, int all)
{
	struct query_profiles ps;
	const struct query_profile *p;
	char		 when[TIMEFMT_LEN];
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!query_profiles_with(db, all, &ps))
		goto out;
	if (json) {
		rc = json_print(render_profiles(&ps)) ? EXIT_DONE : EXIT_LOCAL;
		goto out;
	}
	for (i = 0; i < ps.n; i++) {
		p = &ps.v[i];
		printf("%-16s", p->name);
		if (!p->has_release)
			printf(" (no release yet)");
		else {
			timefmt_iso(p->expires, when);
			printf(" version %" PRId64 ", %" PRId64 " certificates, "
			    "expires %s", p->version, p->certificates, when);
		}
		printf("\n    %s%s%s%s%s\n",
		    p->upstream ? "upstream" : "no upstream",
		    p->exclusions ? " minus exclusions" : "",
		    strcmp(p->org, "all") == 0 ? ", all organization CAs" :
		    strcmp(p->org, "tags") == 0 ? ", organization CAs tagged: " :
		    "", p->tags != NULL ? p->tags : "",
		    p->builtin ? " (built in)" : "");
		printf("    distrust-after: %s\n", p->distrust_after);
		if (p->removed) {
			timefmt_iso(p->removed, when);
			printf("    removed %s by %s: no longer published; its "
			    "releases stay served\n", when, p->removed_by ?
			    p->removed_by : "?");
		}
	}
	rc = EXIT_DONE;
 out:
	query_profiles_free(&ps);
	return rc;
}

/* A rule value of "profile edit": yes/no, text, or tags. */
static void
value_print(const json_t *v)
{
	const json_t	*t;
	size_t		 i;

	if (json_is_boolean(v))
		printf("%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_string(v) && json_string_length(v) > 0)
		printf("%s", json_string_value(v));
	else if (json_is_string(v) || json_array_size(v) == 0)
		printf("(none)");
	else
		json_array_foreach(v, i, t)
			printf("%s%s", i ? " " : "", json_string_value(t));
}

/*
 * profile edit (or set) NAME: the row (profile.c), one line per changed
 * field, then a release of what changed.
 */
static int
profile_change(sqlite3 *db, const struct config *cfg, const char *name,
    const struct opts *o)
{
	struct profile_edit e;
	json_t		*changes, *v;
	const char	*k;
	char		 opt[32];
	size_t		 i;
	int		 rc;

	memset(&e, 0, sizeof(e));
	e.name = name;
	e.actor = o->actor;
	e.description = o->description;
	e.upstream = o->upstream;
	e.exclusions = o->exclusions;
	/* --tag alone: the organization CAs with these tags */
	e.org = o->org != NULL ? o->org : o->ntags ? "tags" : NULL;
	e.tags = o->tags;
	e.ntags = o->ntags;
	e.distrust = o->distrust;
	if ((rc = profile_edit(db, &e, &changes)) != EXIT_DONE)
		return rc;
	if (changes == NULL) {
		printf("profile %s: unchanged\n", name);
		return EXIT_DONE;
	}
	json_object_foreach(changes, k, v) {
		snprintf(opt, sizeof(opt), "%s", k);
		for (i = 0; opt[i] != '\0'; i++)
			if (opt[i] == '_')
				opt[i] = '-';
		printf("profile %s: %s ", name, opt);
		value_print(json_array_get(v, 1));
		printf(" (was ");
		value_print(json_array_get(v, 0));
		printf(")\n");
	}
	json_decref(changes);
	return publish_all(db, cfg, o->actor, name, 0);
}

/* profile remove NAME: the stamp (profile.c); nothing to publish. */
static int
profile_drop(sqlite3 *db, const char *name, const struct opts *o)
{
	int	 rc;

	if ((rc = profile_remove(db, name, o->reason, o->actor)) !=
	    EXIT_DONE)
		return rc;
	printf("profile %s removed: no longer composed, published or "
	    "renewed; its releases stay served and in its history\n", name);
	return EXIT_DONE;
}

/* What profile add and edit check alike; 0: usage. */
static int
profile_opts_ok(const struct opts *o)
{
	size_t	 i;

	/* getopt_long: optarg is never NULL for required_argument */
	/* NOLINTBEGIN(clang-analyzer-core.NonNullParamChecker) */
	for (i = 0; i < o->ntags; i++)
		if (!profile_valid(o->tags[i], strlen(o->tags[i]))) {
			warnx("--tag %s: want lower-case letters, digits and "
			    ". _ + -", o->tags[i]);
			return 0;
		}
	/* NOLINTEND(clang-analyzer-core.NonNullParamChecker) */
	if (o->description != NULL && (strlen(o->description) >
	    DESCRIPTION_MAX || !text_valid(o->description,
	    strlen(o->description)))) {
		warnx("--description: at most %d bytes of text without "
		    "control characters", DESCRIPTION_MAX);
		return 0;
	}
	return 1;
}

/*
 * cabundled profile add [--no-upstream | --base PROFILE] [--keep-excluded]
 *     [--all-org | --tag TAG...] [--description TEXT]
 *     [--distrust-after POLICY] NAME
 * cabundled profile edit|set [--description TEXT] [--upstream yes|no]
 *     [--exclusions yes|no] [--org none|all|tags] [--tag TAG]...
 *     [--distrust-after POLICY] NAME
 * cabundled profile remove --reason TEXT NAME
 * cabundled profile list [--all] [--json]
 */
int
cmd_profile(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	sqlite3		*db;
	const char	*sub;
	enum distrust	 d;
	char		 name[64];
	int		 rc, edit;

	if (argc < 2)
		goto usage;
	sub = usage_subname(argv, name, sizeof(name));
	if (!parse_opts(cfg, argc - 1, argv + 1, &o) || o.check || o.only ||
	    o.resign)
		goto usage;
	argc -= optind + 1;
	argv += optind + 1;
	if (o.distrust != NULL && !distrust_parse(o.distrust, &d)) {
		warnx("--distrust-after %s: want keep, sunset or drop",
		    o.distrust);
		return EXIT_USAGE;
	}
	if (o.all && strcmp(sub, "list") != 0)
		goto usage;
	/* "set" is "edit" by its first name */
	edit = strcmp(sub, "edit") == 0 || strcmp(sub, "set") == 0;
	if (edit) {
		if (argc != 1 || o.json || o.all_org || o.no_upstream ||
		    o.keep_excluded || o.base || o.reason)
			goto usage;
		if (o.distrust == NULL && o.description == NULL &&
		    o.upstream == -1 && o.exclusions == -1 && o.org == NULL &&
		    o.ntags == 0) {
			warnx("profile %s: nothing to change; give --description, "
			    "--upstream, --exclusions, --org, --tag or "
			    "--distrust-after", sub);
			goto usage;
		}
		if (!profile_opts_ok(&o))
			return EXIT_USAGE;
	} else if (strcmp(sub, "remove") == 0) {
		if (argc != 1 || o.json || o.ntags || o.all_org ||
		    o.no_upstream || o.keep_excluded || o.description ||
		    o.base || o.distrust || o.upstream != -1 ||
		    o.exclusions != -1 || o.org)
			goto usage;
		if (o.reason == NULL) {
			warnx("profile remove: --reason is required");
			goto usage;
		}
		if (strlen(o.reason) == 0 || strlen(o.reason) > DESCRIPTION_MAX ||
		    !text_valid(o.reason, strlen(o.reason))) {
			warnx("--reason: 1 to %d bytes of text without control "
			    "characters", DESCRIPTION_MAX);
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "add") == 0) {
		if (argc != 1 || o.json || (o.all_org && o.ntags) ||
		    o.edit_only)
			goto usage;
		if (!profile_name_ok(argv[0])) {
			warnx("%s: a profile name is lower-case letters, "
			    "digits and . _ + - (64 at most), starting with a "
			    "letter or digit, and not one of audit, keylists, "
			    "keys, profiles, pubkey, snapshots, upstream",
			    argv[0]);
			return EXIT_USAGE;
		}
		if (!profile_opts_ok(&o))
			return EXIT_USAGE;
		if (o.base != NULL && (o.no_upstream || !profile_valid(
		    o.base, strlen(o.base)) || strcmp(o.base, argv[0]) == 0)) {
			warnx("--base %s: want the name of a relayed profile, "
			    "other than the new one, without --no-upstream",
			    o.base);
			return EXIT_USAGE;
		}
		if (o.no_upstream && !o.all_org && o.ntags == 0) {
			warnx("%s: with --no-upstream a profile needs "
			    "--all-org or --tag, or it holds nothing", argv[0]);
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "list") != 0 || argc != 0 || o.ntags ||
	    o.actor_given || o.all_org || o.no_upstream || o.keep_excluded ||
	    o.description || o.base || o.distrust || o.edit_only)
		goto usage;
	if ((db = datadir_open(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "add") == 0)
		rc = profile_create(db, cfg, argv[0], &o);
	else if (edit)
		rc = profile_change(db, cfg, argv[0], &o);
	else if (strcmp(sub, "remove") == 0)
		rc = profile_drop(db, argv[0], &o);
	else
		rc = profile_list(db, o.json, o.all);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled profile add [--no-upstream | "
	    "--base PROFILE] [--keep-excluded] [--all-org | --tag TAG...]\n"
	    "                             [--description TEXT] "
	    "[--distrust-after POLICY]\n"
	    "                             [--actor NAME] NAME\n"
	    "       cabundled profile edit [--description TEXT] "
	    "[--upstream yes|no] [--exclusions yes|no]\n"
	    "                              [--org none|all|tags] "
	    "[--tag TAG]... [--distrust-after POLICY]\n"
	    "                              [--actor NAME] NAME\n"
	    "       cabundled profile set: the same as profile edit\n"
	    "       cabundled profile remove --reason TEXT [--actor NAME] "
	    "NAME\n"
	    "       cabundled profile list [--all] [--json]\n");
	return EXIT_USAGE;
}
