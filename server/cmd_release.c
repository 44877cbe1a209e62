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
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"
#include "buf.h"
#include "bundle.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "log.h"
#include "meta.h"
#include "num.h"
#include "output.h"
#include "query.h"
#include "release.h"
#include "render_json.h"
#include "sig.h"
#include "timefmt.h"

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
};

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
		{ NULL, 0, NULL, 0 },
	};
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->actor = cfg->actor;
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
	sqlite3		*db;
	int		 rc = EXIT_LOCAL, n;

	if (!parse_opts(cfg, argc, argv, &o) || optind != argc || o.json ||
	    o.check || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded) {
		fprintf(stderr, "usage: cabundled publish [--resign] "
		    "[--profile NAME] [--actor NAME]\n");
		return EXIT_USAGE;
	}
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	if (o.only != NULL && (n = profile_exists(db, o.only)) != 1)
		rc = n == 0 ? EXIT_USAGE : EXIT_LOCAL;
	else
		rc = publish_all(db, cfg, o.actor, o.only,
		    o.resign ? PUBLISH_FORCE : 0);
	db_close(db);
	return rc;
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
	printf("%-8" PRId64 " %-20s %6" PRId64 " %9s %8s  %-16s %-20s %s\n",
	    r->version, created, r->certificates, pm, sn, r->key_id, expires,
	    r->reason);
	return 1;
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
	    o.all_org || o.keep_excluded || o.resign) {
		fprintf(stderr, "usage: cabundled history [--json] PROFILE\n");
		return EXIT_USAGE;
	}
	if ((db = db_open_datadir(cfg)) == NULL)
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
	    o.all_org || o.keep_excluded || o.resign) {
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
	if ((db = db_open_datadir(cfg)) == NULL)
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

/* Every public key that ever signed, by key id. */
struct keyring {
	struct pubkey	*k;
	char		(*id)[17];
	size_t		 n;
};

static int
keyring_load(sqlite3 *db, struct keyring *kr)
{
	sqlite3_stmt	*st;
	const char	*s;
	void		*p;
	int		 step, ok = 0;

	memset(kr, 0, sizeof(*kr));
	if ((st = db_prepare(db, "SELECT keyid, public_key FROM "
	    "signing_key")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = reallocarray(kr->k, kr->n + 1, sizeof(*kr->k))) ==
		    NULL)
			goto out;
		kr->k = p;
		if ((p = reallocarray(kr->id, kr->n + 1, sizeof(*kr->id))) ==
		    NULL)
			goto out;
		kr->id = p;
		s = (const char *)sqlite3_column_text(st, 1);
		snprintf(kr->id[kr->n], 17, "%s", sqlite3_column_text(st, 0));
		if (s == NULL || !pubkey_from_string(s, strlen(s),
		    &kr->k[kr->n])) {
			warnx("signing key %s: malformed public key",
			    kr->id[kr->n]);
			goto out;
		}
		kr->n++;
	}
	ok = step == SQLITE_DONE;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Check one release against the rebuilt body: its signature under the
 * recorded key, and its trusted comment equal to the one its row makes.
 */
static int
check_release(sqlite3_stmt *r, const struct keyring *kr,
    const struct buf *body, const unsigned char *digest)
{
	struct minisig	 ms;
	struct meta	 m;
	const char	*profile = (const char *)sqlite3_column_text(r, 0);
	const char	*keyid = (const char *)sqlite3_column_text(r, 4);
	const char	*sig = (const char *)sqlite3_column_text(r, 5);
	const char	*upstream = (const char *)sqlite3_column_text(r, 6);
	const struct pubkey *k = NULL;
	struct pubkey	 up;
	char		 t[256], why[256];
	int64_t		 version = sqlite3_column_int64(r, 1);
	size_t		 i;

	/* A relayed release answers to the upstream key it came with. */
	if (upstream != NULL) {
		if (!pubkey_from_string(upstream, strlen(upstream), &up)) {
			warnx("%s version %" PRId64 ": malformed upstream "
			    "key", profile, version);
			return 0;
		}
		k = &up;
	}
	for (i = 0; k == NULL && i < kr->n; i++)
		if (strcmp(kr->id[i], keyid) == 0)
			k = &kr->k[i];
	if (k == NULL) {
		warnx("%s version %" PRId64 ": signed by unknown key %s",
		    profile, version, keyid);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.profile, sizeof(m.profile), "%s", profile);
	m.version = (uint64_t)version;
	m.created = (uint64_t)sqlite3_column_int64(r, 2);
	m.expires = (uint64_t)sqlite3_column_int64(r, 3);
	m.size = body->len;
	memcpy(m.sha256, digest, 32);
	if (!meta_format(&m, t, sizeof(t))) {
		warnx("%s version %" PRId64 ": row breaks SPEC section 7",
		    profile, version);
		return 0;
	}
	if (sig == NULL || sig_parse(sig, strlen(sig), &ms, why,
	    sizeof(why)) != SIG_OK) {
		warnx("%s version %" PRId64 ": stored signature unreadable",
		    profile, version);
		return 0;
	}
	if (ms.commentlen != strlen(t) || memcmp(ms.comment, t,
	    ms.commentlen) != 0) {
		warnx("%s version %" PRId64 ": trusted comment \"%s\" is not "
		    "\"%s\"", profile, version, ms.comment, t);
		return 0;
	}
	if (memcmp(ms.keyid, k->keyid, KEYID_LEN) != 0 ||
	    sig_verify_comment(&ms, k) != SIG_OK ||
	    sig_verify_data(&ms, k, body->data, body->len) != SIG_OK) {
		warnx("%s version %" PRId64 ": signature does not verify "
		    "with key %s", profile, version, keyid);
		return 0;
	}
	return 1;
}

/*
 * Rebuild every build from its recorded certificates and labels and
 * compare with the stored body byte for byte, then check every
 * release's signature and trusted comment against it.
 */
static int
rebuild_check(sqlite3 *db)
{
	sqlite3_stmt	*bs = NULL, *rs = NULL;
	struct keyring	 kr;
	struct comp	 c;
	struct buf	 body;
	unsigned char	 d[32];
	char		 hex[65];
	const char	*want, *stored, *profile;
	size_t		 nstored, off, nbuild = 0, nrel = 0, bad = 0;
	int64_t		 build;
	int		 step, good, rc = EXIT_LOCAL;

	memset(&c, 0, sizeof(c));
	buf_init(&body, BUNDLE_MAX_BYTES);
	if (!keyring_load(db, &kr))
		goto out;
	if ((bs = db_prepare(db, "SELECT b.id, b.profile, b.body_sha256, "
	    "y.data, y.sha256 IS NULL, EXISTS (SELECT 1 FROM release WHERE "
	    "build = b.id AND reason = 'relay') FROM build b LEFT JOIN body y "
	    "ON y.sha256 = b.body_sha256 ORDER BY b.id")) == NULL ||
	    (rs = db_prepare(db, "SELECT profile, version, created, expires, "
	    "keyid, signature, upstream_key FROM release WHERE build = ? "
	    "ORDER BY version")) == NULL)
		goto out;
	while ((step = sqlite3_step(bs)) == SQLITE_ROW) {
		build = sqlite3_column_int64(bs, 0);
		profile = (const char *)sqlite3_column_text(bs, 1);
		want = (const char *)sqlite3_column_text(bs, 2);
		stored = sqlite3_column_blob(bs, 3);
		nstored = (size_t)sqlite3_column_bytes(bs, 3);
		nbuild++;
		buf_reset(&body);
		comp_free(&c);
		/*
		 * A relayed body is the upstream's bytes, rendered by
		 * another mirror: its digest is what must hold.
		 */
		if (sqlite3_column_int(bs, 5)) {
			if (!buf_append(&body, stored, nstored))
				goto out;
		} else if (!comp_build(db, build, &c) ||
		    !comp_render(db, &c, &body))
			goto out;
		good = 1;
		if (!EVP_Digest(body.data, body.len, d, NULL, EVP_sha256(),
		    NULL)) {
			cryptowarnx("SHA-256");
			goto out;
		}
		hex_encode(d, 32, hex);
		if (strcmp(hex, want) != 0) {
			warnx("%s build %" PRId64 ": rebuilt body has sha256 "
			    "%s, the build records %s", profile, build, hex,
			    want);
			good = 0;
		}
		if (sqlite3_column_int(bs, 4)) {
			warnx("%s build %" PRId64 ": stored body %s is missing",
			    profile, build, want);
			good = 0;
		} else if (nstored != body.len || (body.len > 0 &&
		    memcmp(stored, body.data, body.len) != 0)) {
			for (off = 0; off < nstored && off < body.len &&
			    ((const unsigned char *)stored)[off] ==
			    body.data[off]; off++)
				;
			warnx("%s build %" PRId64 ": stored body (%zu bytes) "
			    "differs from the rebuild (%zu bytes) at byte %zu",
			    profile, build, nstored, body.len, off);
			good = 0;
		}
		sqlite3_bind_int64(rs, 1, build);
		while ((step = sqlite3_step(rs)) == SQLITE_ROW) {
			nrel++;
			if (!good || !check_release(rs, &kr, &body, d))
				bad++;
		}
		sqlite3_reset(rs);
		if (step != SQLITE_DONE)
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	/* A release whose build is gone was never visited above. */
	sqlite3_finalize(rs);
	if ((rs = db_prepare(db, "SELECT r.profile, r.version, r.build FROM "
	    "release r LEFT JOIN build b ON b.id = r.build WHERE b.id IS "
	    "NULL ORDER BY r.profile, r.version")) == NULL)
		goto out;
	while ((step = sqlite3_step(rs)) == SQLITE_ROW) {
		warnx("%s version %" PRId64 ": build %" PRId64 " is missing",
		    sqlite3_column_text(rs, 0),
		    (int64_t)sqlite3_column_int64(rs, 1),
		    (int64_t)sqlite3_column_int64(rs, 2));
		nrel++;
		bad++;
	}
	if (step != SQLITE_DONE)
		goto out;
	if (bad) {
		printf("rebuild: %zu of %zu releases do not match the "
		    "database\n", bad, nrel);
		rc = EXIT_REFUSED;
	} else {
		printf("rebuild: %zu releases (%zu bundles) rebuilt byte for "
		    "byte, signatures and trusted comments verified\n", nrel,
		    nbuild);
		rc = EXIT_DONE;
	}
 out:
	comp_free(&c);
	buf_free(&body);
	sqlite3_finalize(bs);
	sqlite3_finalize(rs);
	free(kr.k);
	free(kr.id);
	return rc;
}

/* cabundled rebuild --check */
int
cmd_rebuild(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	sqlite3		*db;
	int		 rc;

	if (!parse_opts(cfg, argc, argv, &o) || optind != argc || !o.check ||
	    o.actor_given || o.json || o.only || o.description || o.ntags || o.no_upstream ||
	    o.all_org || o.keep_excluded || o.resign) {
		fprintf(stderr, "usage: cabundled rebuild --check\n");
		return EXIT_USAGE;
	}
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	rc = rebuild_check(db);
	db_close(db);
	return rc;
}

static int
profile_add(sqlite3 *db, const struct config *cfg, const char *name,
    const struct opts *o)
{
	sqlite3_stmt	*st = NULL;
	struct profile	 p;
	json_t		*tags = NULL;
	const char	*org = o->all_org ? "all" : o->ntags ? "tags" : "none";
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!db_begin(db) || !profile_get(db, name, &p))
		goto out;
	if (p.name[0] != '\0') {
		warnx("%s: profile exists already", name);
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((st = db_prepare(db, "INSERT INTO profile (name, upstream, "
	    "exclusions, org, description, builtin, created) VALUES "
	    "(?, ?, ?, ?, ?, 0, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, !o->no_upstream);
	sqlite3_bind_int(st, 3, !o->no_upstream && !o->keep_excluded);
	sqlite3_bind_text(st, 4, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->description != NULL ? o->description :
	    "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	if (!db_step_done(db, st))
		goto out;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "INSERT OR IGNORE INTO profile_tag (profile, "
	    "tag) VALUES (?, ?)")) == NULL || (tags = json_array()) == NULL)
		goto out;
	for (i = 0; i < o->ntags; i++) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, o->tags[i], -1, SQLITE_STATIC);
		if (!db_step_done(db, st) ||
		    json_array_append_new(tags, json_string(o->tags[i])) == -1)
			goto out;
	}
	if (!audit_append(db, o->actor, "profile-add", name, json_pack(
	    "{s:s, s:b, s:b, s:s, s:O, s:s?}", "profile", name,
	    "upstream", !o->no_upstream, "exclusions", !o->no_upstream &&
	    !o->keep_excluded, "org", org, "tags", tags,
	    "description", o->description)) || !db_commit(db))
		goto out;
	printf("profile %s added\n", name);
	rc = publish_all(db, cfg, o->actor, name, 0);
 out:
	json_decref(tags);
	sqlite3_finalize(st);
	db_rollback(db);
	return rc;
}

static int
profile_list(sqlite3 *db, int json)
{
	struct query_profiles ps;
	const struct query_profile *p;
	char		 when[TIMEFMT_LEN];
	size_t		 i;
	int		 rc = EXIT_LOCAL;

	if (!query_profiles(db, &ps))
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
	}
	rc = EXIT_DONE;
 out:
	query_profiles_free(&ps);
	return rc;
}

/*
 * cabundled profile add [--no-upstream] [--keep-excluded]
 *     [--all-org | --tag TAG...] [--description TEXT] NAME
 * cabundled profile list [--json]
 */
int
cmd_profile(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	sqlite3		*db;
	const char	*sub;
	size_t		 i;
	int		 rc;

	if (argc < 2 || !parse_opts(cfg, argc - 1, argv + 1, &o) ||
	    o.check || o.only || o.resign)
		goto usage;
	sub = argv[1];
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(sub, "add") == 0) {
		if (argc != 1 || o.json || (o.all_org && o.ntags))
			goto usage;
		if (!profile_valid(argv[0], strlen(argv[0]))) {
			warnx("%s: a profile name is lower-case letters, "
			    "digits and . _ + - (64 at most), starting with a "
			    "letter or digit", argv[0]);
			return EXIT_USAGE;
		}
		/* getopt_long: optarg is never NULL for required_argument */
		/* NOLINTBEGIN(clang-analyzer-core.NonNullParamChecker) */
		for (i = 0; i < o.ntags; i++)
			if (!profile_valid(o.tags[i], strlen(o.tags[i]))) {
				warnx("--tag %s: want lower-case letters, "
				    "digits and . _ + -", o.tags[i]);
				return EXIT_USAGE;
			}
		/* NOLINTEND(clang-analyzer-core.NonNullParamChecker) */
		if (o.no_upstream && !o.all_org && o.ntags == 0) {
			warnx("%s: with --no-upstream a profile needs "
			    "--all-org or --tag, or it holds nothing", argv[0]);
			return EXIT_USAGE;
		}
		if (o.description != NULL && (strlen(o.description) >
		    DESCRIPTION_MAX || !text_valid(o.description,
		    strlen(o.description)))) {
			warnx("--description: at most %d bytes of text "
			    "without control characters", DESCRIPTION_MAX);
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "list") != 0 || argc != 0 || o.ntags ||
	    o.actor_given || o.all_org || o.no_upstream || o.keep_excluded || o.description)
		goto usage;
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	if (strcmp(sub, "add") == 0)
		rc = profile_add(db, cfg, argv[0], &o);
	else
		rc = profile_list(db, o.json);
	db_close(db);
	return rc;
 usage:
	fprintf(stderr, "usage: cabundled profile add [--no-upstream] "
	    "[--keep-excluded] [--all-org | --tag TAG...]\n"
	    "                             [--description TEXT] [--actor NAME] "
	    "NAME\n"
	    "       cabundled profile list [--json]\n");
	return EXIT_USAGE;
}
