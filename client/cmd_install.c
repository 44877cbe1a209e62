/*
 * cmd_install.c - "cabundle install": SPEC 8 steps 1-12, in order,
 * before any target is touched; then every target replaced as one
 * transaction (one fails, the others are put back), then the state.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
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
#include "keylist.h"
#include "opts.h"
#include "timefmt.h"
#include "url.h"


struct run {
	struct copts	 o;
	struct pubkey	 keys[MAX_KEYS];
	struct pubkey	 roots[MAX_KEYS];
	struct pubkey	 listed[KEYLIST_KEYS_MAX];	/* --root: may sign */
	size_t		 nlisted;
	struct keylist	 kl;
	struct target	 t[6 * MAX_TARGETS + 1];	/* each kind; one system */
	size_t		 nt;
	json_t		*out;		/* --json */
	char		 why[1024];
	char		 from[PATH_MAX];	/* --from as shown: no password */
};

/* url as it may be printed: its password, if any, replaced. */
static const char *
url_shown(const char *url, char *buf, size_t len)
{
	url_redact(url, buf, len);
	return buf;
}

/*
 * The usage, on stderr.  Returns EXIT_USAGE for the caller to return:
 * exiting here would leave cmd_install's allocations to the leak
 * checker.
 */
static int
install_usage(void)
{
	fprintf(stderr, "usage: cabundle install --from URL (--key KEY "
	    "[--key KEY]... | --root ROOTKEY [--root ROOTKEY]...)\n"
	    "\t--profile NAME"
	    "\t[--python PATH]... [--pip] [--output FILE]... "
	    "[--capath DIR]... [--nssdb DIR]... [--java FILE]... [--system]\n"
	    "\t[--java-password PASS] [--force]\n"
	    "\t[--state FILE] [--config FILE] [--cacert FILE] "
	    "[--timeout SEC] [--json] [--quiet]\n"
	    "\t[--then COMMAND]... [--then-timeout SEC] [--metrics FILE]\n");
	return EXIT_USAGE;
}

/* KEY: an "RW..." string or a minisign .pub file. */
static int
key_load(const char *s, struct pubkey *k)
{
	if (strlen(s) == PUBKEY_STR_LEN && strncmp(s, "RW", 2) == 0)
		return pubkey_from_string(s, strlen(s), k);
	return pubkey_load(s, k);
}

static int
add_target(struct run *r, struct target *t)
{
	size_t	 i;

	for (i = 0; i < r->nt; i++)
		if (strcmp(r->t[i].path, t->path) == 0) {
			target_free(t);	/* the same file twice */
			return 1;
		}
	r->t[r->nt++] = *t;
	return 1;
}

/*
 * The targets asked for.  A certifi target the state recorded, with
 * nothing moved since, comes from the state without running the
 * interpreter (target_certifi_cached): a repeat install that finds
 * the release there costs a signature's fetch, nothing more.
 */
static int
targets_resolve(struct run *r, const json_t *st)
{
	struct target	 t;
	const char	*py[MAX_TARGETS];
	size_t		 npy, i;
	int		 rc;

	npy = r->o.npy;
	for (i = 0; i < npy; i++)
		py[i] = r->o.pythons[i];
	if (npy == 0) {
		py[0] = "python3";
		npy = 1;
	}
	if (r->o.system) {
		if ((rc = target_system(&t)) != EXIT_DONE)
			return rc;
		add_target(r, &t);
	}
	for (i = 0; i < r->o.nout; i++) {
		if ((rc = target_file(r->o.outputs[i], &t)) != EXIT_DONE)
			return rc;
		add_target(r, &t);
	}
	for (i = 0; i < r->o.ncap; i++) {
		if ((rc = target_capath(r->o.capaths[i], &t)) != EXIT_DONE)
			return rc;
		add_target(r, &t);
	}
	for (i = 0; i < r->o.nnss; i++) {
		if ((rc = target_tree(r->o.nssdbs[i], "nssdb", &t)) !=
		    EXIT_DONE)
			return rc;
		add_target(r, &t);
	}
	for (i = 0; i < r->o.njava; i++) {
		if ((rc = target_java(r->o.javas[i], r->o.java_password ?
		    r->o.java_password : JAVA_PASSWORD, &t)) != EXIT_DONE)
			return rc;
		add_target(r, &t);
	}
	/* certifi: the interpreters named, or python3 if nothing else. */
	if (r->o.npy > 0 || (r->o.nout == 0 && r->o.ncap == 0 &&
	    r->o.nnss == 0 && r->o.njava == 0 && !r->o.pip && !r->o.system))
		for (i = 0; i < npy; i++) {
			if (!target_certifi_cached(st, py[i], 0, &t) &&
			    (rc = target_certifi(py[i], 0, r->o.force, &t)) !=
			    EXIT_DONE)
				return rc;
			add_target(r, &t);
		}
	if (r->o.pip)
		for (i = 0; i < npy; i++) {
			if (!target_certifi_cached(st, py[i], 1, &t) &&
			    (rc = target_certifi(py[i], 1, r->o.force, &t)) !=
			    EXIT_DONE)
				return rc;
			add_target(r, &t);
		}
	return EXIT_DONE;
}

/*
 * t->path as found (t->st): missing, or a regular file of one link
 * whose bytes go to t->old.  A link there is refused, not followed
 * (SECURITY.md, "Local attackers"), and so is a file other names
 * share.  Returns 1, or 0 after a warning naming it.
 */
static int
target_read(struct target *t)
{
	switch (file_lstat(t->path, &t->st)) {
	case -1:
		return 0;
	case 0:
		t->exists = 0;
		return 1;
	}
	if (S_ISLNK(t->st.st_mode)) {
		warnx("%s: a symbolic link, refusing to write through it; give "
		    "the file it points to (SECURITY.md: local attackers)",
		    t->path);
		return 0;
	}
	if (!S_ISREG(t->st.st_mode)) {
		warnx("%s: not a regular file; not replaced", t->path);
		return 0;
	}
	if (!file_read(t->path, TARGET_OLD_MAX, &t->old, &t->st))
		return 0;
	if (t->st.st_nlink > 1) {
		warnx("%s: %lu hard links, refusing to replace a file that "
		    "other names share (SECURITY.md: local attackers)",
		    t->path, (unsigned long)t->st.st_nlink);
		return 0;
	}
	t->exists = 1;
	return 1;
}

/*
 * The certifi targets taken from the state: the ones that hold the
 * release are done (replaced -1, their bytes read); any other asks its
 * interpreter after all, as a first install does, since where() may
 * name another file now; one that now names a file another target
 * already has is dropped.  Returns 1, or 0 with r->why set.
 */
static int
targets_confirm(struct run *r, const char *sha_hex)
{
	struct target	 n, *t;
	char		 hex[65];
	size_t		 i, j;

	for (i = 0; i < r->nt; i++) {
		t = &r->t[i];
		if (!t->cached)
			continue;
		if (!target_read(t))
			goto bad;
		if (t->exists) {
			file_sha256(t->old.data, t->old.len, hex);
			if (strcmp(hex, sha_hex) == 0) {
				t->replaced = -1;
				continue;
			}
		}
		if (target_certifi(t->python, strcmp(t->kind, "pip") == 0,
		    r->o.force, &n) != EXIT_DONE)
			goto bad;
		target_free(t);
		*t = n;
		for (j = 0; j < r->nt; j++)
			if (j != i && strcmp(r->t[j].path, t->path) == 0)
				break;
		if (j < r->nt) {
			target_free(t);
			memmove(t, t + 1, (r->nt - i - 1) * sizeof(*t));
			r->nt--;
			i--;
		}
	}
	return 1;
 bad:
	snprintf(r->why, sizeof(r->why), "%.900s: cannot be used as a "
	    "target; nothing installed", t->path);
	return 0;
}

/*
 * Read what each target holds now: the bytes a failure puts back.
 * Returns 1, or 0 with r->why naming the first target that cannot be
 * used (not a regular file, unreadable, over TARGET_OLD_MAX): the
 * install then stops before any target is touched.
 */
static int
targets_read(struct run *r, const char *sha_hex, size_t *need)
{
	char		 hex[65];
	struct target	*t;
	size_t		 i;
	int		 cur;

	*need = 0;
	if (!targets_confirm(r, sha_hex))
		return 0;
	for (i = 0; i < r->nt; i++) {
		t = &r->t[i];
		if (t->cached)
			continue;	/* holds it: targets_confirm */
		if (strcmp(t->kind, "system") == 0) {
			if (!system_check(t, sha_hex, &cur))
				goto bad;
			t->replaced = cur ? -1 : 0;
			*need += !cur;
			continue;
		}
		if (strcmp(t->kind, "capath") == 0 ||
		    strcmp(t->kind, "nssdb") == 0) {
			if (!capath_check(t))
				goto bad;
			if (strcmp(t->kind, "nssdb") == 0 ?
			    nssdb_holds(t->path, sha_hex) :
			    capath_holds(t->path, sha_hex))
				t->replaced = -1;
			else
				(*need)++;
			continue;
		}
		if (!target_read(t))
			goto bad;
		if (strcmp(t->kind, "java") == 0) {
			if (!java_check(t))	/* compared by java_build */
				goto bad;
			(*need)++;
			continue;
		}
		if (!t->exists) {
			(*need)++;
			continue;
		}
		file_sha256(t->old.data, t->old.len, hex);
		if (strcmp(hex, sha_hex) != 0)
			(*need)++;
		else
			t->replaced = -1;	/* holds it already */
	}
	return 1;
 bad:
	snprintf(r->why, sizeof(r->why), "%.900s: cannot be used as a "
	    "target; nothing installed", t->path);
	return 0;
}

/* 1 when every target now holds the release (replaced or already). */
static int
targets_done(const struct run *r)
{
	size_t	 i;

	for (i = 0; i < r->nt; i++)
		if (r->t[i].replaced == 0) {
			warnx("%s: not installed", r->t[i].path);
			return 0;
		}
	return 1;
}

/* Put back every target this run replaced; remove backups it made. */
static void
targets_rollback(struct run *r)
{
	struct target	*t;
	size_t		 i;

	for (i = 0; i < r->nt; i++) {
		t = &r->t[i];
		if (strcmp(t->kind, "capath") == 0 ||
		    strcmp(t->kind, "nssdb") == 0) {
			capath_rollback(t);
			continue;
		}
		if (strcmp(t->kind, "system") == 0) {
			system_rollback(t);
			continue;
		}
		if (t->replaced == 1) {
			if (t->exists)
				file_replace(t->path, t->old.data, t->old.len,
				    0644, &t->st);
			else
				(void)file_unlink(t->path);
			t->replaced = 0;
		}
		if (t->backup_made)
			(void)file_unlink(t->backup);
	}
}

static int
targets_replace(struct run *r, const json_t *st, const unsigned char *body,
    size_t len)
{
	struct target	*t;
	char		 backup[PATH_MAX];
	const void	*data;
	size_t		 i, n;

	for (i = 0; i < r->nt; i++) {
		t = &r->t[i];
		data = body;
		n = len;
		if (strcmp(t->kind, "java") == 0 &&
		    !java_build(t, body, len, &data, &n))
			return 0;
		if (t->replaced == -1)
			continue;
		if (strcmp(t->kind, "capath") == 0) {
			if (!capath_replace(t, body, len,
			    state_target(st, t->path) == NULL))
				return 0;
			continue;
		}
		if (strcmp(t->kind, "nssdb") == 0) {
			if (!nssdb_replace(t, body, len,
			    state_target(st, t->path) == NULL))
				return 0;
			continue;
		}
		if (strcmp(t->kind, "system") == 0) {
			if (!system_replace(t, body, len,
			    state_target(st, t->path) == NULL))
				return 0;
			continue;
		}
		/*
		 * The original, once: never overwritten later, and never a
		 * file found at the backup's name (file_backup).
		 */
		if (t->exists && state_target(st, t->path) == NULL) {
			if (snprintf(backup, sizeof(backup), "%s-backup",
			    t->path) >= (int)sizeof(backup)) {
				warnx("%s: path too long", t->path);
				return 0;
			}
			if ((t->backup = strdup(backup)) == NULL)
				return 0;
			if (!file_backup(t->path, backup, t->old.data,
			    t->old.len, &t->st, &t->bid))
				return 0;
			t->backup_made = 1;
		}
		if (!file_replace(t->path, data, n, 0644,
		    t->exists ? &t->st : NULL))
			return 0;
		t->replaced = 1;
	}
	return 1;
}

/*
 * A certifi target's record names its interpreter and what it and the
 * file were (target_certifi_cached: the next run need not ask it).
 * Without them the record is still good; the next run asks.  Returns 1,
 * or 0 on no memory.
 */
static int
record_python(json_t *j, const struct target *t)
{
	struct stat	 st;

	if (json_object_set_new(j, "python", json_string(t->python)) == -1)
		return 0;
	if (target_python_stat(t->python, &st) && json_object_set_new(j,
	    "python_id", target_stat_json(&st)) == -1)
		return 0;
	if (file_lstat(t->path, &st) == 1 && S_ISREG(st.st_mode) &&
	    json_object_set_new(j, "file_id", target_stat_json(&st)) == -1)
		return 0;
	return 1;
}

/*
 * The state's record of t holding rel.  backup: the original's copy;
 * "" when there was no file before (restore removes it); null when
 * there is no copy.  A record from an earlier install keeps its value.
 */
static json_t *
target_record(const struct target *t, const struct release *rel,
    const char *source, const json_t *old)
{
	char	 hex[65], id[17];
	json_t	*j, *b, *bid = NULL;

	hex_encode(rel->meta.sha256, 32, hex);
	keyid_format(rel->key->keyid, id);
	if (old != NULL) {
		b = json_incref(json_object_get(old, "backup"));
		bid = json_incref(json_object_get(old, "backup_id"));
	} else if (t->backup != NULL) {
		b = json_string(t->backup);
		if (t->backup_made)
			bid = fileid_json(&t->bid);
	} else
		b = t->exists ? json_null() : json_string("");
	if (b == NULL)
		b = json_null();
	j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:s, "
	    "s:o}", "path", t->path, "kind", t->kind, "profile",
	    rel->meta.profile, "version", (json_int_t)rel->meta.version,
	    "sha256", hex, "key_id", id, "created",
	    (json_int_t)rel->meta.created, "expires",
	    (json_int_t)rel->meta.expires, "installed",
	    (json_int_t)time(NULL), "source", source, "backup", b);
	if (j != NULL && bid != NULL && json_object_set_new(j, "backup_id",
	    bid) == -1) {
		json_decref(j);
		return NULL;
	}
	if (j == NULL)
		json_decref(bid);
	if (j != NULL && t->python != NULL && !record_python(j, t)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * What "status" needs to print the complete command that puts t back
 * (advice_reinstall): the keys (or root keys) this run trusted, as RW
 * strings, since a .pub file named may move; the --cacert file; --force
 * for a certifi outside its package.  Returns 1, or 0 on no memory.
 */
static int
record_trust(const struct run *r, const struct target *t, json_t *j)
{
	const struct pubkey *k = r->o.nroots > 0 ? r->roots : r->keys;
	size_t		 i, n = r->o.nroots > 0 ? r->o.nroots : r->o.nkeys;
	char		 rw[PUBKEY_STR_LEN + 1], path[PATH_MAX];
	json_t		*a;

	if ((a = json_array()) == NULL || json_object_set_new(j, "trust",
	    json_pack("{s:o}", r->o.nroots > 0 ? "roots" : "keys", a)) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		pubkey_string(&k[i], rw);
		if (json_array_append_new(a, json_string(rw)) == -1)
			return 0;
	}
	if (r->o.cafile != NULL && realpath(r->o.cafile, path) != NULL &&
	    json_object_set_new(j, "cacert", json_string(path)) == -1)
		return 0;
	if (r->o.force && t->python != NULL &&
	    json_object_set_new(j, "force", json_true()) == -1)
		return 0;
	return 1;
}

/* Step 12: say so when what is installed has expired meanwhile. */
static void
report_stale(const json_t *st, const char *profile, int64_t now)
{
	const json_t	*t;
	char		 when[TIMEFMT_LEN];
	size_t		 i;

	json_array_foreach(json_object_get(st, "targets"), i, t) {
		if (strcmp(json_string_value(json_object_get(t, "profile")),
		    profile) != 0 || json_integer_value(json_object_get(t,
		    "expires")) > now)
			continue;
		timefmt_iso(json_integer_value(json_object_get(t, "expires")),
		    when);
		warnx("%s: stale: %s version %" JSON_INTEGER_FORMAT
		    " expired at %s and no newer release could be installed",
		    json_string_value(json_object_get(t, "path")), profile,
		    json_integer_value(json_object_get(t, "version")), when);
	}
}

/*
 * Say what to do about a release signed by a key that is not trusted:
 * a pinned key set (--key) misses a rotation; a key list (--root) does
 * not name the key, or not for now.
 */
static void
hint_unknown_key(struct run *r)
{
	size_t	 n = strlen(r->why);

	if (strncmp(r->why, "signed by key id ", 17) != 0)
		return;
	if (r->o.nroots == 0)
		snprintf(r->why + n, sizeof(r->why) - n, "; if the mirror "
		    "rotated its signing key, its key list at %.200s/v1/keys "
		    "names the new one: follow it with --root ROOTKEY instead "
		    "of --key, or add the new key with --key", r->from);
	else
		snprintf(r->why + n, sizeof(r->why) - n, "; the key list "
		    "(version %llu, %.200s/v1/keys) does not name it as a "
		    "key that may sign now: the mirror's operator must have "
		    "the root key holders sign a list naming it",
		    (unsigned long long)r->kl.version, r->from);
}

/*
 * --root: the release's key must have been listed when it signed, not
 * only now (doc/SPEC.md 11.4).  Returns 1, or 0 with r->why set.
 */
static int
window_ok(struct run *r, const struct release *rel)
{
	if (r->o.nroots == 0)
		return 1;
	return keylist_signed_within(&r->kl, rel->key->keyid,
	    rel->meta.created, r->why, sizeof(r->why));
}

/*
 * doc/SPEC.md 12: the dated roots of rel (verified, every target holds
 * it) into st, unless st has them for this version and bundle already
 * (a repeat run asks nothing more).  Never refuses the install: the
 * dates are advice (SECURITY.md), so a document that cannot be had or
 * is refused is a warning, and what st knew of the profile is
 * forgotten.  Returns 1, *dirty set when st changed; 0 on no memory.
 */
static int
constraints_update(struct run *r, json_t *st, const struct policy *pol,
    const struct release *rel, const char *hex, int *dirty)
{
	const json_t	*c = state_constraints(st, rel->meta.profile);
	json_t		*roots;
	char		 cwhy[1200];
	const char	*status = "ignored";

	if (c != NULL && (uint64_t)json_integer_value(json_object_get(c,
	    "version")) == rel->meta.version && strcmp(json_string_value(
	    json_object_get(c, "bundle_sha256")), hex) == 0) {
		json_object_set_new(r->out, "constraints", json_pack(
		    "{s:s, s:I}", "status", "known", "roots", (json_int_t)
		    json_array_size(json_object_get(c, "roots"))));
		return 1;
	}
	switch (constraints_fetch(&r->o.get, r->o.from, pol, rel, &roots,
	    cwhy, sizeof(cwhy))) {
	case CONSTRAINTS_NONE:
		status = "none";
		roots = json_array();
		break;
	case CONSTRAINTS_OK:
		status = "verified";
		break;
	default:
		warnx("%s/v1/%s/%llu/constraints.json: ignored: %s; installed "
		    "without distrust-after dates", r->from, rel->meta.profile,
		    (unsigned long long)rel->meta.version, cwhy);
		json_object_set_new(r->out, "constraints", json_pack(
		    "{s:s, s:s}", "status", status, "why", cwhy));
		*dirty |= c != NULL;
		return state_set_constraints(st, rel->meta.profile,
		    rel->meta.version, hex, NULL);
	}
	if (roots == NULL)
		return 0;
	json_object_set_new(r->out, "constraints", json_pack("{s:s, s:I}",
	    "status", status, "roots", (json_int_t)json_array_size(roots)));
	*dirty = 1;
	return state_set_constraints(st, rel->meta.profile, rel->meta.version,
	    hex, roots);
}

/*
 * A usage error names what is missing ("install: --key KEY (or --root
 * ROOTKEY) is required ..."), and where it may come from: the command
 * line, or config (the configuration file read, if any).
 */
static void
say_missing(const struct copts *o, const char *config)
{
	const char	*miss[3];
	char		 list[128] = "";
	size_t		 n = 0, i;

	if (o->from == NULL)
		miss[n++] = "--from URL";
	if (o->nkeys + o->nroots == 0)
		miss[n++] = "--key KEY (or --root ROOTKEY)";
	if (o->profile == NULL)
		miss[n++] = "--profile NAME";
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
		    miss[i]);
	if (config == NULL && access(CLIENT_CONFIG, F_OK) == 0)
		config = CLIENT_CONFIG;
	warnx("install: %s %s required, on the command line or in %s", list,
	    n > 1 ? "are" : "is", config != NULL ? config :
	    "a configuration file (--config FILE, or " CLIENT_CONFIG ")");
}

static int
parse_args(struct run *r, int argc, char *argv[])
{
	static const struct option lopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "root", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "python", required_argument, NULL, 'y' },
		{ "pip", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "capath", required_argument, NULL, 'D' },
		{ "java", required_argument, NULL, 'J' },
		{ "java-password", required_argument, NULL, 'w' },
		{ "system", no_argument, NULL, 'S' },
		{ "nssdb", required_argument, NULL, 'N' },
		{ "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "then", required_argument, NULL, 'T' },
		{ "then-timeout", required_argument, NULL, 'W' },
		{ "metrics", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*name, *path;
	char		*file;
	int		 ch, i;

	/* The file first: the command line then overrides it. */
	if (!opts_load(&r->o, opts_config(argc, argv, lopts, 'c')))
		return EXIT_USAGE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		name = NULL;
		switch (ch) {
		case 'f': name = "from"; break;
		case 'k': name = "key"; break;
		case 'r': name = "root"; break;
		case 'p': name = "profile"; break;
		case 'y': name = "python"; break;
		case 'o': name = "output"; break;
		case 'D': name = "capath"; break;
		case 'J': name = "java"; break;
		case 'w': name = "java-password"; break;
		case 'N': name = "nssdb"; break;
		case 's': name = "state"; break;
		case 'C': name = "cacert"; break;
		case 't': name = "timeout"; break;
		case 'T': name = "then"; break;
		case 'W': name = "then-timeout"; break;
		case 'M': name = "metrics"; break;
		case 'c': break;
		case 'P': r->o.pip = 1; break;
		case 'S': r->o.system = 1; break;
		case 'F': r->o.force = 1; break;
		case 'j': r->o.json = 1; break;
		case 'q': r->o.quiet = 1; break;
		default: return install_usage();
		}
		if (name != NULL && !opts_cli(&r->o, name, optarg))
			return EXIT_USAGE;
	}
	if (optind != argc) {
		warnx("install: %s: unexpected argument (a target is given "
		    "with --output FILE, --python PATH and the like)",
		    argv[optind]);
		return install_usage();
	}
	if (r->o.from == NULL || r->o.profile == NULL ||
	    r->o.nkeys + r->o.nroots == 0) {
		say_missing(&r->o, opts_config(argc, argv, lopts, 'c'));
		return install_usage();
	}
	if (r->o.nkeys > 0 && r->o.nroots > 0) {
		warnx("--key and --root exclude each other: pin the signing "
		    "keys, or follow the key list their root keys sign");
		return EXIT_USAGE;
	}
	url_redact(r->o.from, r->from, sizeof(r->from));
	/* Profile names go into URLs: the server's grammar, nothing else. */
	if (!profile_valid(r->o.profile, strlen(r->o.profile))) {
		warnx("--profile %s: not a profile name", r->o.profile);
		return EXIT_USAGE;
	}
	/* The server's spellings of a local source, one reading (url.c). */
	switch (url_source(r->o.from, &path)) {
	case URL_BAD:
		warnx("--from %s: want https://, http://, file:///PATH, "
		    "file:/PATH or /PATH", r->from);
		return EXIT_USAGE;
	case URL_FILE:
		if ((file = malloc(strlen(path) + 8)) == NULL)
			return EXIT_LOCAL;
		snprintf(file, strlen(path) + 8, "file://%s", path);
		free(r->o.from);
		r->o.from = file;	/* what libcurl reads */
		break;
	default:
		break;
	}
	while (strlen(r->o.from) > 8 && r->o.from[strlen(r->o.from) - 1] ==
	    '/')
		r->o.from[strlen(r->o.from) - 1] = '\0';
	for (i = 0; i < (int)r->o.nkeys; i++)
		if (!key_load(r->o.keys[i], &r->keys[i])) {
			warnx("--key %s: not a minisign public key (a .pub "
			    "file or its RW... line)", r->o.keys[i]);
			return EXIT_USAGE;
		}
	for (i = 0; i < (int)r->o.nroots; i++)
		if (!key_load(r->o.roots[i], &r->roots[i])) {
			warnx("--root %s: not a minisign public key (a .pub "
			    "file or its RW... line)", r->o.roots[i]);
			return EXIT_USAGE;
		}
	r->o.get.cafile = r->o.cafile;
	if (!hooks_check(r->o.thens, r->o.nthen))
		return EXIT_USAGE;
	return opts_state(&r->o) ? EXIT_DONE : EXIT_USAGE;
}

/*
 * --then: what this run installed, told to each command (hook.c).
 * Returns EXIT_DONE, or EXIT_HOOK when one failed: the release stays.
 */
static int
then_run(struct run *r, const struct release *rel, const char *hex)
{
	struct hookrun	 hr;
	const char	*changed[4 * MAX_TARGETS];
	json_t		*report = json_array();
	size_t		 i;
	int		 ok;

	memset(&hr, 0, sizeof(hr));
	for (i = 0; i < r->nt; i++)
		if (r->t[i].replaced == 1)
			changed[hr.ntargets++] = r->t[i].path;
	hr.cmds = r->o.thens;
	hr.ncmds = r->o.nthen;
	hr.timeout = r->o.then_timeout;
	hr.profile = r->o.profile;
	hr.version = rel->meta.version;
	hr.sha256 = hex;
	hr.targets = changed;
	hr.quiet = r->o.quiet;
	ok = hooks_run(&hr, report);
	json_object_set_new(r->out, "hooks", report);
	return ok ? EXIT_DONE : EXIT_HOOK;
}

static void
say(struct run *r, const char *result, int rc)
{
	char	 shown[sizeof(r->why)];

	if (r->o.json) {
		json_object_set_new(r->out, "result", json_string(result));
		json_object_set_new(r->out, "exit", json_integer(rc));
		if (r->why[0] != '\0') {
			url_redact(r->why, shown, sizeof(shown));
			json_object_set_new(r->out, "error",
			    json_string(shown));
		}
		json_dumpf(r->out, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER);
		putchar('\n');
	}
}

/*
 * cabundle install.  With --root, the key list walk (keywalk.c) comes
 * first and its keys replace --key's.  Exit 0: installed, or already current (nothing
 * rewritten); 1: refused (verification or policy), every target and
 * the state as they were; 2: usage; 3: source unreachable; 4: a local
 * error, such as a target that cannot be used or written (a link, a
 * directory, unreadable, too large): every target put back as it was.
 * Any requested target left without the release is exit 4, never 0.
 * 6: installed, but a --then command failed (the release stays).
 * --metrics is written after every run that got past its options.
 */
int
cmd_install(int argc, char *argv[])
{
	struct run	*r;
	struct policy	 pol;
	struct release	 rel;
	struct buf	 sig, body;
	json_t		*st = NULL, *old, *tj;
	char		 url[PATH_MAX], shown[PATH_MAX], hex[65];
	char		 floor_sha[65], id[17];
	char		 when[TIMEFMT_LEN];
	uint64_t	 floor;
	size_t		 i, need;
	int64_t		 now = (int64_t)time(NULL);
	int		 rc, lockfd = -1, dirty, kl_changed = 0, parsed = 0;
	int		 absent;
	enum floor_verdict fv;
	const char	*result = "error";

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return EXIT_LOCAL;
	buf_init(&sig, SIG_FILE_MAX);
	buf_init(&body, BODY_MAX);
	r->out = json_object();
	signal(SIGXFSZ, SIG_IGN);	/* a file size limit is EFBIG */
	if ((rc = parse_args(r, argc, argv)) != EXIT_DONE)
		goto out;
	parsed = 1;
	rc = EXIT_LOCAL;
	if ((lockfd = state_lock(r->o.state)) == -1 ||
	    (st = state_load(r->o.state)) == NULL)
		goto out;
	if ((rc = targets_resolve(r, st)) != EXIT_DONE)
		goto out;

	/* --root: the key list first; only its keys may sign. */
	if (r->o.nroots > 0) {
		if ((rc = keywalk(&r->o.get, r->o.from, r->from, r->roots,
		    r->o.nroots, st, now, &r->kl, &kl_changed, r->why,
		    sizeof(r->why))) != EXIT_DONE) {
			warnx("%s: %s", rc == EXIT_UNREACHABLE ?
			    "unreachable" : "refused", r->why);
			result = rc == EXIT_UNREACHABLE ? "unreachable" :
			    rc == EXIT_REFUSED ? "refused" : "error";
			report_stale(st, r->o.profile, now);
			goto out;
		}
		r->nlisted = (size_t)keylist_signing_keys(&r->kl, now,
		    r->listed, KEYLIST_KEYS_MAX);
		json_object_set_new(r->out, "keylist_version",
		    json_integer((json_int_t)r->kl.version));
	}

	/* Steps 1-6: the signature, fetched and judged. */
	snprintf(url, sizeof(url), "%s/v1/%s/cacert.pem.minisig", r->o.from,
	    r->o.profile);
	if ((rc = get_url(&r->o.get, url, &sig, SIG_FILE_MAX, r->why,
	    sizeof(r->why))) != EXIT_DONE) {
		/*
		 * No signature: most often no such profile there, which
		 * the mirror's list of profiles can tell.
		 */
		absent = r->o.get.absent;
		if (rc == EXIT_REFUSED && absent && !advice_profiles(
		    &r->o.get, r->o.from, r->o.profile,
		    r->why, sizeof(r->why)))
			snprintf(r->why + strlen(r->why), sizeof(r->why) -
			    strlen(r->why), "; the mirror has no signature "
			    "for profile '%s': no such profile there, or no "
			    "release of it yet (there is no unsigned install)",
			    r->o.profile);
		else if (rc == EXIT_REFUSED && !absent && !r->o.get.tls)
			snprintf(r->why + strlen(r->why), sizeof(r->why) -
			    strlen(r->why), " (missing or bad signature: "
			    "there is no unsigned install)");
		warnx("%s: %s", rc == EXIT_REFUSED ? "refused" :
		    rc == EXIT_UNREACHABLE ? "unreachable" : "error", r->why);
		result = rc == EXIT_REFUSED ? "refused" :
		    rc == EXIT_UNREACHABLE ? "unreachable" : "error";
		report_stale(st, r->o.profile, now);
		goto out;
	}
	memset(&pol, 0, sizeof(pol));
	pol.keys = r->keys;
	pol.nkeys = r->o.nkeys;
	if (r->o.nroots > 0) {
		pol.keys = r->listed;
		pol.nkeys = r->nlisted;
	}
	pol.profile = r->o.profile;
	pol.now = now;
	pol.check_time = 1;
	if (!verify_sig((const char *)sig.data, sig.len, &pol, &rel, r->why,
	    sizeof(r->why)) || !window_ok(r, &rel)) {
		hint_unknown_key(r);
		rc = EXIT_REFUSED;
		result = "refused";
		warnx("refused: %s: %s", url_shown(url, shown,
		    sizeof(shown)), r->why);
		report_stale(st, r->o.profile, now);
		goto out;
	}
	hex_encode(rel.meta.sha256, 32, hex);
	keyid_format(rel.key->keyid, id);
	json_object_set_new(r->out, "profile", json_string(r->o.profile));
	json_object_set_new(r->out, "version",
	    json_integer((json_int_t)rel.meta.version));
	json_object_set_new(r->out, "sha256", json_string(hex));
	json_object_set_new(r->out, "key_id", json_string(id));
	json_object_set_new(r->out, "expires",
	    json_integer((json_int_t)rel.meta.expires));

	/* Step 7: never backwards, never two bodies for one version. */
	if (!state_floor(st, r->o.profile, pol.keys, pol.nkeys, &floor,
	    floor_sha))
		floor = 0;	/* none: floor_sha is not read */
	if ((fv = verify_floor(&rel, floor, floor_sha, r->from, "installed",
	    r->why, sizeof(r->why))) == FLOOR_REFUSED)
		goto refused;

	/*
	 * Which targets do not hold it yet.  From here on a failure is
	 * local (exit 4): the download's status must not stand for it.
	 */
	rc = EXIT_LOCAL;
	if (!targets_read(r, hex, &need)) {
		warnx("%s", r->why);
		goto out;
	}
	if (need > 0) {
		/* Steps 8-10: the body, by its verified version. */
		if (rel.meta.size > BODY_MAX) {
			snprintf(r->why, sizeof(r->why), "signed size %llu is "
			    "above the %u-byte limit; not downloaded",
			    (unsigned long long)rel.meta.size, BODY_MAX);
			goto refused;
		}
		snprintf(url, sizeof(url), "%s/v1/%s/%llu/cacert.pem",
		    r->o.from, r->o.profile,
		    (unsigned long long)rel.meta.version);
		if ((rc = get_url(&r->o.get, url, &body,
		    (size_t)rel.meta.size, r->why, sizeof(r->why))) !=
		    EXIT_DONE) {
			warnx("%s: %s", rc == EXIT_REFUSED ? "refused" :
			    rc == EXIT_UNREACHABLE ? "unreachable" : "error",
			    r->why);
			result = rc == EXIT_REFUSED ? "refused" :
			    rc == EXIT_UNREACHABLE ? "unreachable" : "error";
			goto out;
		}
		if (!verify_body(&rel, body.data, body.len, r->why,
		    sizeof(r->why))) {
			warnx("%s: refused", url_shown(url, shown,
			    sizeof(shown)));
			goto refused;
		}
	}

	/* Step 11: every target, then the state; or nothing at all. */
	rc = EXIT_LOCAL;
	if (need > 0 && !targets_replace(r, st, body.data, body.len)) {
		targets_rollback(r);
		snprintf(r->why, sizeof(r->why), "install failed; every "
		    "target is as it was");
		warnx("%s", r->why);
		goto out;
	}
	if (!targets_done(r)) {
		targets_rollback(r);
		snprintf(r->why, sizeof(r->why), "a target was not "
		    "installed; every target is as it was");
		warnx("%s", r->why);
		goto out;
	}
	/* Up to date and already recorded: the state is not rewritten. */
	dirty = fv != FLOOR_CURRENT || kl_changed;
	if (!constraints_update(r, st, &pol, &rel, hex, &dirty))
		goto fail;
	for (i = 0; i < r->nt; i++) {
		old = state_target(st, r->t[i].path);
		/* An interpreter asked: recorded, so the next run need not. */
		if (old != NULL && r->t[i].replaced == -1 &&
		    (r->t[i].python == NULL || r->t[i].cached) &&
		    strcmp(json_string_value(json_object_get(old, "sha256")),
		    hex) == 0 && (uint64_t)json_integer_value(
		    json_object_get(old, "version")) == rel.meta.version &&
		    strcmp(json_string_value(json_object_get(old, "key_id")),
		    id) == 0)
			continue;
		dirty = 1;
		tj = target_record(&r->t[i], &rel, r->from, old);
		if (tj != NULL && !record_trust(r, &r->t[i], tj)) {
			json_decref(tj);
			goto fail;
		}
		if (tj != NULL && r->t[i].java != NULL &&
		    !java_record(&r->t[i], tj)) {
			json_decref(tj);
			tj = NULL;
		}
		if (tj != NULL && strcmp(r->t[i].kind, "system") == 0 &&
		    !system_record(&r->t[i], tj, old)) {
			json_decref(tj);
			goto fail;
		}
		if (tj == NULL || !state_put_target(st, tj))
			goto fail;
	}
	/* --metrics: every target holds it, a success to remember. */
	if (r->o.metrics != NULL) {
		dirty = 1;
		if (!state_set_last_success(st, r->o.profile, now))
			goto fail;
	}
	if (dirty && (!state_set_floor(st, r->o.profile, id,
	    rel.meta.version, hex) || !state_save(st, r->o.state)))
		goto fail;
	for (i = 0; i < r->nt; i++)
		if (strcmp(r->t[i].kind, "capath") == 0 ||
		    strcmp(r->t[i].kind, "nssdb") == 0)
			capath_commit(&r->t[i]);
		else if (strcmp(r->t[i].kind, "system") == 0)
			system_commit(&r->t[i]);
	timefmt_iso(rel.meta.expires, when);
	tj = json_array();
	for (i = 0; i < r->nt; i++) {
		json_array_append_new(tj, json_pack("{s:s, s:s, s:s}",
		    "path", r->t[i].path, "kind", r->t[i].kind, "action",
		    r->t[i].replaced == 1 ? "replaced" : "current"));
		if (!r->o.quiet && !r->o.json)
			printf("%s: %s %s version %llu (sha256 %.16s..., "
			    "expires %s)\n", r->t[i].path,
			    r->t[i].replaced == 1 ? "installed" :
			    "already holds", r->o.profile,
			    (unsigned long long)rel.meta.version, hex, when);
	}
	json_object_set_new(r->out, "targets", tj);
	result = "current";	/* a Java store may hold it already */
	for (i = 0; i < r->nt; i++)
		if (r->t[i].replaced == 1)
			result = "installed";
	rc = EXIT_DONE;
	/* Only after a change: a store found holding it is none. */
	if (strcmp(result, "installed") == 0 && r->o.nthen > 0) {
		close(lockfd);	/* a command may run cabundle itself */
		lockfd = -1;
		rc = then_run(r, &rel, hex);
	}
	goto out;
 fail:
	targets_rollback(r);
	if (r->o.metrics != NULL) {	/* what the file holds, not st */
		json_decref(st);
		st = state_load(r->o.state);
	}
	snprintf(r->why, sizeof(r->why), "%.900s: cannot record the "
	    "install; every target is as it was", r->o.state);
	warnx("%s", r->why);
	rc = EXIT_LOCAL;
	goto out;
 refused:
	warnx("refused: %s", r->why);
	result = "refused";
	rc = EXIT_REFUSED;
 out:
	if (parsed && r->o.metrics != NULL)
		(void)metrics_write(r->o.metrics, r->o.profile, st, rc,
		    r->o.java_password);
	say(r, result, rc);
	if (lockfd != -1)
		close(lockfd);
	json_decref(st);
	json_decref(r->out);
	for (i = 0; i < r->nt; i++)
		target_free(&r->t[i]);
	buf_free(&sig);
	buf_free(&body);
	opts_free(&r->o);
	free(r);
	return rc;
}
