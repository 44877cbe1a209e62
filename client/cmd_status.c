/*
 * cmd_status.c - "cabundle status" (what each target holds, and whether
 * it still does) and "cabundle restore" (the originals back).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "opts.h"
#include "timefmt.h"
#include "url.h"


/*
 * The options of status (json: --json allowed) and restore.  *config:
 * the --config given (borrowed from argv) or NULL; *named: whether the
 * state file was named (--state or the file's state) rather than the
 * default.  Returns 1, or 0 after a usage message.
 */
static int
state_args(struct copts *o, int argc, char *argv[], const char *usage,
    int json, const char **config, int *named)
{
	static const struct option lopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	int		 ch;

	*config = opts_config(argc, argv, lopts, 'c');
	if (!opts_load(o, *config))
		return 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!opts_cli(o, "state", optarg))
				return 0;
			break;
		case 'c':
			break;
		case 'j':
			if (json) {
				o->json = 1;
				break;
			}
			goto bad;
		case 'F':
			if (!json) {	/* restore's */
				o->force = 1;
				break;
			}
			/* FALLTHROUGH */
		bad:
		default:
			fprintf(stderr, "usage: cabundle %s\n", usage);
			return 0;
		}
	}
	*named = o->state != NULL;
	return opts_state(o);
}

/*
 * The dated roots (doc/SPEC.md 12) of what target t holds: the state's
 * record for its profile when it is for t's version and bundle.
 * Returns a new array (empty when none is known); NULL: no memory.
 */
static json_t *
dated_roots(const json_t *st, const json_t *t)
{
	const json_t	*c, *r;
	json_t		*a;
	size_t		 i;

	if ((a = json_array()) == NULL)
		return NULL;
	c = state_constraints(st, json_string_value(json_object_get(t,
	    "profile")));
	if (c == NULL || !json_equal(json_object_get(c, "version"),
	    json_object_get(t, "version")) || !json_equal(json_object_get(c,
	    "bundle_sha256"), json_object_get(t, "sha256")))
		return a;
	json_array_foreach(json_object_get(c, "roots"), i, r)
		if (json_array_append_new(a, constraints_root_show(r)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The text lines of status for each dated root of path. */
static void
dated_print(const char *path, const json_t *dated)
{
	const json_t	*r;
	char		 until[TIMEFMT_LEN + 20];
	size_t		 i;

	json_array_foreach(dated, i, r) {
		until[0] = '\0';
		if (json_is_string(json_object_get(r, "served_until")))
			snprintf(until, sizeof(until), "; served until %.10s",
			    json_string_value(json_object_get(r,
			    "served_until")));
		printf("%s: dated root %s (sha256 %.16s...): Mozilla "
		    "distrusts its TLS certificates issued after %.10s%s\n",
		    path, json_string_value(json_object_get(r, "label")),
		    json_string_value(json_object_get(r, "sha256")),
		    json_string_value(json_object_get(r,
		    "server_distrust_after")), until);
	}
}

/*
 * cabundle status [--state FILE] [--json]: per target, the installed
 * profile, version, expiry and sha256, and whether the file still holds
 * it, and the roots of that release that have a distrust-after date
 * (doc/SPEC.md 12).  Exit 0 when every target holds a fresh bundle (or
 * there are none); 1 when one was replaced behind our back or has
 * expired; 4 when the state cannot be read.
 */
int
cmd_status(int argc, char *argv[])
{
	struct copts	 o;
	json_t		*st = NULL, *out = NULL, *t, *dated;
	struct buf	 fix;
	const char	*path, *sha, *kind, *config;
	char		 when[TIMEFMT_LEN], src[4096], jwhy[256];
	int64_t		 now = (int64_t)time(NULL), exp;
	size_t		 i;
	int		 rc = EXIT_LOCAL, h, stale, bad = 0, named;

	memset(&o, 0, sizeof(o));
	buf_init(&fix, 16384);
	if (!state_args(&o, argc, argv, "status [--state FILE] "
	    "[--config FILE] [--json]", 1, &config, &named)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if ((st = state_load(o.state)) == NULL || (out = json_array()) ==
	    NULL)
		goto out;
	json_array_foreach(json_object_get(st, "targets"), i, t) {
		path = json_string_value(json_object_get(t, "path"));
		sha = json_string_value(json_object_get(t, "sha256"));
		exp = json_integer_value(json_object_get(t, "expires"));
		kind = json_string_value(json_object_get(t, "kind"));
		h = target_holds(t, o.java_password, jwhy, sizeof(jwhy));
		stale = exp <= now;
		bad |= !h || stale;
		timefmt_iso(exp, when);
		/* A state written before redaction may hold a password. */
		url_redact(json_is_string(json_object_get(t, "source")) ?
		    json_string_value(json_object_get(t, "source")) : "URL",
		    src, sizeof(src));
		if ((dated = dated_roots(st, t)) == NULL)
			goto out;
		/* The command that puts it back, whole, or none at all. */
		buf_reset(&fix);
		if ((!h || stale) && !advice_reinstall(&fix, t, &o, config,
		    named ? o.state : NULL))
			buf_reset(&fix);
		json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, "
		    "s:O, s:O, s:o, s:b, s:b, s:o, s:s?}", "path",
		    json_object_get(t,
		    "path"), "kind", json_object_get(t, "kind"), "profile",
		    json_object_get(t, "profile"), "version",
		    json_object_get(t, "version"), "expires",
		    json_object_get(t, "expires"), "sha256",
		    json_object_get(t, "sha256"), "source",
		    json_is_string(json_object_get(t, "source")) ?
		    json_string(src) : json_null(), "holds", h, "stale",
		    stale, "distrust", json_incref(dated), "reinstall",
		    fix.len > 0 ? (const char *)fix.data : NULL));
		if (o.json) {
			json_decref(dated);
			continue;
		}
		printf("%s: %s version %" JSON_INTEGER_FORMAT ", sha256 %s, "
		    "expires %s%s\n", path, json_string_value(
		    json_object_get(t, "profile")), json_integer_value(
		    json_object_get(t, "version")), sha, when,
		    stale ? " (STALE: expired; install a newer release)" :
		    "");
		dated_print(path, dated);
		json_decref(dated);
		if (!h)
			printf("%s: CHANGED: %s\n", path,
			    strcmp(kind, "java") == 0 ? jwhy :
			    strcmp(kind, "capath") == 0 ? "the directory no "
			    "longer holds it (a hashed file added, removed or "
			    "edited, or the link replaced)" :
			    strcmp(kind, "nssdb") == 0 ? "the database no longer "
			    "holds it (a certificate added, removed or its trust "
			    "changed, a file added or removed, or the link "
			    "replaced)" : "the file no "
			    "longer holds it (\"pip install -U certifi\" "
			    "replaces cacert.pem)");
		if (fix.len > 0)
			printf("%s: to %s, run: %s\n", path, h ? "install a "
			    "newer release" : "put it back",
			    (const char *)fix.data);
		else if (!h || stale)
			printf("%s: to put it back, run cabundle install "
			    "--from %s --key KEY --profile %s with this "
			    "target's option (this state does not record "
			    "the key, or the source's password)\n", path, src,
			    json_string_value(json_object_get(t, "profile")));
	}
	if (o.json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (json_array_size(out) == 0)
		printf("nothing installed (state %s)\n", o.state);
	rc = bad ? EXIT_REFUSED : EXIT_DONE;
 out:
	buf_free(&fix);
	json_decref(out);
	json_decref(st);
	opts_free(&o);
	return rc;
}

/*
 * Whether target t still holds what cabundle installed there: a file's
 * bytes (a Java store's: the store written), a directory's tree.  A
 * target that is gone holds nothing to lose.  Returns 1 when it does
 * or is gone; 0 when something else is there now (pip upgraded
 * certifi, a person edited the file), *why saying what.
 */
static int
still_ours(const char *path, const json_t *t, const char **why)
{
	struct buf	 cur;
	struct stat	 st;
	const char	*kind = json_string_value(json_object_get(t, "kind"));
	const char	*want = "sha256";
	char		 hex[65];
	int		 rc;

	*why = "its bytes are not the ones cabundle installed";
	if (strcmp(kind, "capath") == 0 || strcmp(kind, "nssdb") == 0) {
		if (file_lstat(path, &st) == 0)
			return 1;
		*why = "the directory no longer holds what cabundle installed";
		return json_is_string(json_object_get(t, "sha256")) &&
		    (strcmp(kind, "nssdb") == 0 ? nssdb_holds(path,
		    json_string_value(json_object_get(t, "sha256"))) :
		    capath_holds(path, json_string_value(json_object_get(t,
		    "sha256"))));
	}
	if (strcmp(kind, "java") == 0)
		want = "store_sha256";	/* the store, not the bundle */
	if ((rc = file_lstat(path, &st)) <= 0)
		return rc == 0;
	if (!S_ISREG(st.st_mode)) {
		*why = "it is no longer a regular file";
		return 0;
	}
	if (!file_read(path, TARGET_OLD_MAX, &cur, &st))
		hex[0] = '\0';
	else {
		file_sha256(cur.data, cur.len, hex);
		buf_free(&cur);
	}
	return json_is_string(json_object_get(t, want)) && strcmp(hex,
	    json_string_value(json_object_get(t, want))) == 0;
}

/*
 * Put back the original of one target (its "-backup" copy, or nothing
 * when there was no file before).  The copy is used only when it is
 * the file recorded when it was made (device, inode, size, sha256).
 * A target changed since the install is left alone unless force: the
 * original is older than that change.  Returns EXIT_DONE; EXIT_REFUSED
 * after a warning saying so; EXIT_LOCAL after a warning.
 */
static int
restore_one(const json_t *t, int force)
{
	const char	*path = json_string_value(json_object_get(t, "path"));
	const char	*kind = json_string_value(json_object_get(t, "kind"));
	const json_t	*b = json_object_get(t, "backup");
	const json_t	*id = json_object_get(t, "backup_id");
	const char	*why;
	struct buf	 orig;
	struct stat	 st, cur;
	char		 hex[65];
	int		 rc = EXIT_LOCAL;

	if (strcmp(kind, "system") == 0)
		return system_restore(t) ? EXIT_DONE : EXIT_LOCAL;
	if (!json_is_string(b)) {
		warnx("%s: no original was kept; nothing to restore", path);
		return EXIT_LOCAL;
	}
	/*
	 * No original: putting it back is removing the file, which is
	 * done only to the bytes we installed, never forced (a state that
	 * names someone else's file must not make us delete it).
	 */
	if (*json_string_value(b) == '\0' && strcmp(kind, "capath") != 0 &&
	    strcmp(kind, "nssdb") != 0 && !still_ours(path, t, &why)) {
		warnx("%s: not the bundle cabundle installed there any more "
		    "(%s); left in place, even with --force: there was no "
		    "file before, and this one is not ours to delete", path,
		    why);
		return EXIT_REFUSED;
	}
	if (!force && !still_ours(path, t, &why)) {
		warnx("%s: changed since cabundle installed it (%s); not "
		    "restored, since the original would overwrite that "
		    "change: \"cabundle restore --force %s\" puts the "
		    "original back anyway", path, why, path);
		return EXIT_REFUSED;
	}
	if (strcmp(kind, "capath") == 0 || strcmp(kind, "nssdb") == 0) {
		if (!capath_restore(path, json_string_value(b), id))
			return EXIT_LOCAL;
		printf("%s: %s\n", path, *json_string_value(b) == '\0' ?
		    "removed (there was nothing before)" : "restored");
		return EXIT_DONE;
	}
	if (*json_string_value(b) == '\0') {
		if (file_lstat(path, &st) == 1 && (!file_unlink(path) ||
		    !file_syncdir(path)))
			return EXIT_LOCAL;
		printf("%s: removed (there was no file before)\n", path);
		return EXIT_DONE;
	}
	if (!file_read(json_string_value(b), TARGET_OLD_MAX, &orig, &st))
		return EXIT_LOCAL;
	file_sha256(orig.data, orig.len, hex);
	if (!fileid_match(id, &st, hex)) {
		warnx("%s: not the original cabundle kept (not the device, "
		    "inode, size and sha256 recorded); not restored "
		    "(SECURITY.md: local attackers)", json_string_value(b));
		goto out;
	}
	/* The original's bytes, with the mode and owner the file has now. */
	if (file_lstat(path, &cur) != 1 || !S_ISREG(cur.st_mode))
		cur = st;
	if (!file_replace(path, orig.data, orig.len, 0644, &cur))
		goto out;
	(void)file_unlink(json_string_value(b));
	printf("%s: restored from %s\n", path, json_string_value(b));
	rc = EXIT_DONE;
 out:
	buf_free(&orig);
	return rc;
}

/*
 * cabundle restore [--force] [--state FILE] [FILE...]: the originals
 * back in every target (or the ones named), which the state then
 * forgets; the rollback floors stay.  A target changed since the
 * install is left as it is unless --force.  Exit 0; 1 when a named file
 * is no target or a target changed (the others still happen); 4 when a
 * restore fails.
 */
int
cmd_restore(int argc, char *argv[])
{
	struct copts	 o;
	json_t		*st = NULL, *t, *a;
	const char	*config;
	size_t		 i;
	int		 rc = EXIT_LOCAL, j, named, one = EXIT_DONE;
	int		 worst = EXIT_DONE;
	int		 lockfd = -1, state_named;

	memset(&o, 0, sizeof(o));
	if (!state_args(&o, argc, argv, "restore [--force] [--state FILE] "
	    "[--config FILE] [FILE...]", 0, &config, &state_named)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* The install's lock: a restore racing it would lose its floor. */
	if ((lockfd = state_lock(o.state)) == -1 ||
	    (st = state_load(o.state)) == NULL)
		goto out;
	for (j = optind; j < argc; j++)
		if (state_target(st, argv[j]) == NULL) {
			warnx("%s: not a target in %s", argv[j], o.state);
			rc = EXIT_REFUSED;
			goto out;
		}
	a = json_object_get(st, "targets");
	for (i = 0; i < json_array_size(a); ) {
		t = json_array_get(a, i);
		named = optind == argc;
		for (j = optind; j < argc; j++)
			if (strcmp(argv[j], json_string_value(
			    json_object_get(t, "path"))) == 0)
				named = 1;
		if (!named || (one = restore_one(t, o.force)) != EXIT_DONE) {
			/* A local failure outranks a refusal. */
			if (named && one > worst)
				worst = one;
			i++;
			continue;
		}
		json_array_remove(a, i);
	}
	if (!state_save(st, o.state))
		worst = EXIT_LOCAL;
	rc = worst;
 out:
	if (lockfd != -1)
		close(lockfd);
	json_decref(st);
	opts_free(&o);
	return rc;
}
