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
#include "release.h"
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

/* One release in a profile's history; the text is valid until fn returns. */
struct history_row {
	int64_t		 version, created, expires, certificates;
	int64_t		 added, removed, snapshot, build, size;
	int		 has_snapshot, has_size;
	const char	*key_id, *reason, *sha256;	/* sha256 NULL: null */
};

/*
 * Call fn with each release of a profile from version "from" to "to",
 * oldest first; a re-signing shows +0/-0 (the first release called
 * shows its build's, as if nothing came before it).  One row at a time,
 * so a long history never sits in memory.  Returns 1, or 0 after a
 * warning or when fn returns 0.
 */
static int
history_each(sqlite3 *db, const char *profile, int64_t from, int64_t to,
    int (*fn)(const struct history_row *, void *), void *arg)
{
	sqlite3_stmt	*st;
	struct history_row r;
	int64_t		 prevbuild = 0;
	int		 step;

	if ((st = db_prepare(db, "SELECT r.version, r.created, r.expires, "
	    "r.keyid, r.reason, r.build, b.ncerts, b.added, b.removed, "
	    "b.snapshot, b.body_sha256, y.size FROM release r LEFT JOIN build "
	    "b ON b.id = r.build LEFT JOIN body y ON y.sha256 = b.body_sha256 "
	    "WHERE r.profile = ? AND r.version BETWEEN ? AND ? ORDER BY "
	    "r.version")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.version = sqlite3_column_int64(st, 0);
		r.created = sqlite3_column_int64(st, 1);
		r.expires = sqlite3_column_int64(st, 2);
		r.key_id = (const char *)sqlite3_column_text(st, 3);
		r.reason = (const char *)sqlite3_column_text(st, 4);
		r.build = sqlite3_column_int64(st, 5);
		r.certificates = sqlite3_column_int64(st, 6);
		if (r.build != prevbuild) {
			r.added = sqlite3_column_int64(st, 7);
			r.removed = sqlite3_column_int64(st, 8);
		}
		prevbuild = r.build;
		if ((r.has_snapshot = sqlite3_column_type(st, 9) !=
		    SQLITE_NULL))
			r.snapshot = sqlite3_column_int64(st, 9);
		r.sha256 = (const char *)sqlite3_column_text(st, 10);
		if ((r.has_size = sqlite3_column_type(st, 11) != SQLITE_NULL))
			r.size = sqlite3_column_int64(st, 11);
		if (r.key_id == NULL || r.reason == NULL) {
			warnx("%s version %" PRId64 ": malformed release row",
			    profile, r.version);
			break;
		}
		if (!fn(&r, arg))
			break;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		warnx("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return step == SQLITE_DONE;
}

/*
 * A history row as a JSON object (version, created, expires,
 * certificates, added, removed, snapshot, key_id, build, reason,
 * sha256, size): the one definition of the row.  Returns a new
 * reference, or NULL after a warning.
 */
static json_t *
history_row_json(const struct history_row *r)
{
	json_t	*o;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s, s:I, s:s, "
	    "s:s?, s:o}",
	    "version", (json_int_t)r->version,
	    "created", (json_int_t)r->created,
	    "expires", (json_int_t)r->expires,
	    "certificates", (json_int_t)r->certificates,
	    "added", (json_int_t)r->added, "removed", (json_int_t)r->removed,
	    "snapshot", r->has_snapshot ? json_integer(r->snapshot) :
	    json_null(),
	    "key_id", r->key_id, "build", (json_int_t)r->build,
	    "reason", r->reason, "sha256", r->sha256,
	    "size", r->has_size ? json_integer(r->size) : json_null());
	if (o == NULL)
		warnx("%s version %" PRId64 ": release row is not UTF-8 text "
		    "(or out of memory)", "history", r->version);
	return o;
}

static int
history_append(const struct history_row *r, void *arr)
{
	return json_array_append_new(arr, history_row_json(r)) == 0;
}

/*
 * A profile's releases, oldest first, as a JSON array of objects
 * (history_row_json).  Returns a new reference, or NULL after a warning.
 */
json_t *
history_json(sqlite3 *db, const char *profile)
{
	json_t	*arr;

	if ((arr = json_array()) == NULL)
		return NULL;
	if (!history_each(db, profile, 0, INT64_MAX, history_append, arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static int
history_keep(const struct history_row *r, void *last)
{
	json_decref(*(json_t **)last);
	return (*(json_t **)last = history_row_json(r)) != NULL;
}

/*
 * Release v of a profile as its history_json() row, and in *prev the
 * version before it (0: none), from those two rows alone.  Returns a new
 * reference, or NULL: *found 0 when there is no such release, else
 * after a warning.
 */
json_t *
history_release(sqlite3 *db, const char *profile, int64_t v, int64_t *prev,
    int *found)
{
	sqlite3_stmt	*st;
	json_t		*row = NULL;

	*found = 1;
	if ((st = db_prepare(db, "SELECT coalesce(max(version), 0) FROM "
	    "release WHERE profile = ? AND version < ?")) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	*prev = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) :
	    -1;
	sqlite3_finalize(st);
	if (*prev < 0) {
		warnx("%s", sqlite3_errmsg(db));
		return NULL;
	}
	/* The row before v sets v's +/- as in the whole history. */
	if (!history_each(db, profile, *prev ? *prev : v, v, history_keep,
	    &row)) {
		json_decref(row);
		return NULL;
	}
	if (row == NULL || json_integer_value(json_object_get(row,
	    "version")) != v) {
		json_decref(row);
		*found = 0;
		return NULL;
	}
	return row;
}

struct history_text {
	struct buf	*out;
	size_t		 flags;
	size_t		 n;
};

/*
 * Append one row as json_dumps() of the whole array would write it:
 * the row dumped by jansson on its own, one level deeper when
 * indenting (a JSON text holds no raw newline but between tokens).
 */
static int
history_dump_row(const struct history_row *r, void *arg)
{
	struct history_text *h = arg;
	json_t		*o;
	char		*t = NULL, *p, *nl;
	size_t		 indent = h->flags & JSON_MAX_INDENT;
	static const char spaces[JSON_MAX_INDENT + 1] =
	    "                               ";
	int		 ok = 0;

	errno = 0;
	if ((o = history_row_json(r)) == NULL ||
	    (t = json_dumps(o, h->flags)) == NULL)
		goto out;
	if (!buf_append(h->out, h->n++ == 0 ? "[" : ",", 1))
		goto out;
	if (indent > 0) {
		if (!buf_append(h->out, "\n", 1) ||
		    !buf_append(h->out, spaces, indent))
			goto out;
	} else if (h->n > 1 && !(h->flags & JSON_COMPACT) &&
	    !buf_append(h->out, " ", 1))
		goto out;
	for (p = t; (nl = strchr(p, '\n')) != NULL && indent > 0; p = nl + 1)
		if (!buf_append(h->out, p, (size_t)(nl + 1 - p)) ||
		    !buf_append(h->out, spaces, indent))
			goto out;
	ok = buf_append(h->out, p, strlen(p));
 out:
	if (!ok && (errno == EFBIG || errno == ENOMEM))
		warnx("history: %s", strerror(errno));
	free(t);
	json_decref(o);
	return ok;
}

/*
 * The bytes json_dumps(history_json(db, profile), flags) makes,
 * appended to out a row at a time.  Returns 1, or 0 after a warning.
 */
int
history_dump(sqlite3 *db, const char *profile, size_t flags,
    struct buf *out)
{
	struct history_text h;

	h.out = out;
	h.flags = flags;
	h.n = 0;
	if (!history_each(db, profile, 0, INT64_MAX, history_dump_row, &h))
		return 0;
	if (h.n == 0)
		return buf_append(out, "[]", 2);
	return ((flags & JSON_MAX_INDENT) == 0 || buf_append(out, "\n", 1)) &&
	    buf_append(out, "]", 1);
}

static json_int_t
jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* One line of "cabundled history PROFILE". */
static int
history_print_row(const struct history_row *r, void *arg)
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
	/* What json_print() writes for history_json(), without the tree. */
	if (o.json) {
		if (history_dump(db, argv[optind], JSON_INDENT(2) |
		    JSON_ENSURE_ASCII, &b) && buf_append(&b, "\n", 1) &&
		    fwrite(b.data, 1, b.len, stdout) == b.len)
			rc = EXIT_DONE;
		goto out;
	}
	printf("%-8s %-20s %6s %9s %8s  %-16s %-20s %s\n", "version",
	    "created", "certs", "+/-", "snapshot", "key", "expires",
	    "reason");
	if (history_each(db, argv[optind], 0, INT64_MAX, history_print_row,
	    NULL))
		rc = EXIT_DONE;
 out:
	buf_free(&b);
	db_close(db);
	return rc;
}

static int
version_build(sqlite3 *db, const char *profile, int64_t version,
    int64_t *build)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, "SELECT build FROM release WHERE profile = ? "
	    "AND version = ?")) == NULL)
		return EXIT_LOCAL;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*build = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		warnx("%s: no version %" PRId64, profile, version);
		return EXIT_REFUSED;
	}
	return rc == SQLITE_ROW ? EXIT_DONE : EXIT_LOCAL;
}

static int
has_fp(const struct comp *c, const char *fp)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].fp, fp) == 0)
			return 1;
	return 0;
}

/* The certificates of a that b lacks, as JSON rows. */
static json_t *
diff_side(sqlite3 *db, const struct comp *a, const struct comp *b)
{
	sqlite3_stmt	*st;
	json_t		*arr, *row;
	int64_t		 t;
	size_t		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	if ((st = db_prepare(db, "SELECT not_after FROM certificate WHERE "
	    "sha256 = ?")) == NULL)
		goto fail;
	for (i = 0; i < a->n; i++) {
		if (has_fp(b, a->v[i].fp))
			continue;
		sqlite3_bind_text(st, 1, a->v[i].fp, 64, SQLITE_STATIC);
		t = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		row = json_pack("{s:s, s:s, s:I, s:b}", "sha256", a->v[i].fp,
		    "label", a->v[i].label, "not_after", (json_int_t)t,
		    "organization", a->v[i].org_ca != 0);
		if (row == NULL || json_array_append_new(arr, row) == -1)
			goto fail;
	}
	sqlite3_finalize(st);
	return arr;
 fail:
	sqlite3_finalize(st);
	json_decref(arr);
	return NULL;
}

/*
 * Certificates added and removed from version va to vb of a profile:
 * {profile, from, to, added: [...], removed: [...]}, each row sha256,
 * label, not_after, organization.  Returns a new reference with *rc
 * EXIT_DONE, or NULL with *rc EXIT_REFUSED (no such version) or
 * EXIT_LOCAL, after a warning.
 */
json_t *
diff_json(sqlite3 *db, const char *profile, int64_t va, int64_t vb, int *rc)
{
	struct comp	 ca, cb;
	json_t		*added = NULL, *removed = NULL, *o = NULL;
	int64_t		 ba, bb;

	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	if ((*rc = version_build(db, profile, va, &ba)) != EXIT_DONE ||
	    (*rc = version_build(db, profile, vb, &bb)) != EXIT_DONE)
		return NULL;
	*rc = EXIT_LOCAL;
	if (!comp_build(db, ba, &ca) || !comp_build(db, bb, &cb))
		goto out;
	if ((added = diff_side(db, &cb, &ca)) == NULL ||
	    (removed = diff_side(db, &ca, &cb)) == NULL)
		goto out;
	if ((o = json_pack("{s:s, s:I, s:I, s:O, s:O}", "profile", profile,
	    "from", (json_int_t)va, "to", (json_int_t)vb, "added", added,
	    "removed", removed)) != NULL)
		*rc = EXIT_DONE;
 out:
	json_decref(added);
	json_decref(removed);
	comp_free(&ca);
	comp_free(&cb);
	return o;
}

static void
diff_print(const json_t *arr, char sign)
{
	json_t	*row;
	char	 na[TIMEFMT_LEN];
	size_t	 i;

	json_array_foreach(arr, i, row) {
		timefmt_date(jint(row, "not_after"), na);
		printf("%c %s  \"%s\"  expires %s%s\n", sign,
		    json_string_value(json_object_get(row, "sha256")),
		    json_string_value(json_object_get(row, "label")), na,
		    json_is_true(json_object_get(row, "organization")) ?
		    "  (organization CA)" : "");
	}
}

/* cabundled diff [--json] PROFILE A B */
int
cmd_diff(const struct config *cfg, int argc, char *argv[])
{
	struct opts	 o;
	sqlite3		*db;
	json_t		*d = NULL;
	const char	*profile;
	uint64_t	 va, vb;
	int		 n, rc = EXIT_LOCAL;

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
	if ((db = db_open_datadir(cfg)) == NULL)
		return EXIT_LOCAL;
	if ((n = profile_exists(db, profile)) != 1) {
		rc = n == 0 ? EXIT_USAGE : EXIT_LOCAL;
		goto out;
	}
	if ((d = diff_json(db, profile, (int64_t)va, (int64_t)vb, &rc)) ==
	    NULL)
		goto out;
	if (o.json) {
		rc = json_print(d) ? EXIT_DONE : EXIT_LOCAL;
		d = NULL;
		goto out;
	}
	printf("%s %" PRIu64 " -> %" PRIu64 ":\n", profile, va, vb);
	diff_print(json_object_get(d, "added"), '+');
	diff_print(json_object_get(d, "removed"), '-');
	printf("%zu added, %zu removed\n",
	    json_array_size(json_object_get(d, "added")),
	    json_array_size(json_object_get(d, "removed")));
	rc = EXIT_DONE;
 out:
	json_decref(d);
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

/*
 * Every profile with its rule and latest release, as a JSON array
 * (name, description, upstream, exclusions, org, builtin, tags,
 * version, expires, certificates, sha256).  Returns a new reference,
 * or NULL after a warning.
 */
json_t *
profiles_json(sqlite3 *db)
{
	sqlite3_stmt	*st;
	json_t		*arr, *row;
	int		 step;

	if ((arr = json_array()) == NULL)
		return NULL;
	if ((st = db_prepare(db, "SELECT p.name, p.description, p.upstream, "
	    "p.exclusions, p.org, p.builtin, (SELECT group_concat(tag, ' ') "
	    "FROM (SELECT tag FROM profile_tag WHERE profile = p.name ORDER "
	    "BY tag)), r.version, r.expires, b.ncerts, b.body_sha256 FROM "
	    "profile p LEFT JOIN release r ON r.profile = p.name AND "
	    "r.version = (SELECT max(version) FROM release WHERE profile = "
	    "p.name) LEFT JOIN build b ON b.id = r.build ORDER BY p.name"))
	    == NULL)
		goto fail;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_pack("{s:s, s:s, s:b, s:b, s:s, s:b, s:s?, s:o, "
		    "s:o, s:o, s:s?}",
		    "name", sqlite3_column_text(st, 0),
		    "description", sqlite3_column_text(st, 1),
		    "upstream", sqlite3_column_int(st, 2),
		    "exclusions", sqlite3_column_int(st, 3),
		    "org", sqlite3_column_text(st, 4),
		    "builtin", sqlite3_column_int(st, 5),
		    "tags", sqlite3_column_text(st, 6),
		    "version", sqlite3_column_type(st, 7) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 7)),
		    "expires", sqlite3_column_type(st, 8) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 8)),
		    "certificates", sqlite3_column_type(st, 9) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 9)),
		    "sha256", sqlite3_column_text(st, 10));
		if (row == NULL || json_array_append_new(arr, row) == -1)
			goto fail;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return arr;
 fail:
	sqlite3_finalize(st);
	json_decref(arr);
	return NULL;
}

static int
profile_list(sqlite3 *db, int json)
{
	json_t		*arr, *row, *tags;
	const char	*org;
	char		 when[TIMEFMT_LEN];
	size_t		 i;

	if ((arr = profiles_json(db)) == NULL)
		return EXIT_LOCAL;
	if (json)
		return json_print(arr) ? EXIT_DONE : EXIT_LOCAL;
	json_array_foreach(arr, i, row) {
		printf("%-16s", json_string_value(json_object_get(row, "name")));
		if (json_is_null(json_object_get(row, "version")))
			printf(" (no release yet)");
		else {
			timefmt_iso(jint(row, "expires"), when);
			printf(" version %" JSON_INTEGER_FORMAT ", %"
			    JSON_INTEGER_FORMAT " certificates, expires %s",
			    jint(row, "version"), jint(row, "certificates"),
			    when);
		}
		org = json_string_value(json_object_get(row, "org"));
		tags = json_object_get(row, "tags");
		printf("\n    %s%s%s%s%s\n",
		    json_is_true(json_object_get(row, "upstream")) ?
		    "upstream" : "no upstream",
		    json_is_true(json_object_get(row, "exclusions")) ?
		    " minus exclusions" : "",
		    strcmp(org, "all") == 0 ? ", all organization CAs" :
		    strcmp(org, "tags") == 0 ? ", organization CAs tagged: " :
		    "", json_is_string(tags) ? json_string_value(tags) : "",
		    json_is_true(json_object_get(row, "builtin")) ?
		    " (built in)" : "");
	}
	json_decref(arr);
	return EXIT_DONE;
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
