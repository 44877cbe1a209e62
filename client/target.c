/*
 * target.c - where bundles go: certifi of a Python interpreter (asked
 * for certifi.where()), pip's vendored certifi, any PEM file, or an
 * OpenSSL hashed directory.
 *
 * An interpreter is asked with a fixed program (python.c) and a cap on
 * what it may print; its answer is NUL-separated fields.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "extern.h"

#define PY_OUT_MAX	65536

/*
 * certifi.where() and the package's own directory, both resolved, as
 * NUL-terminated fields: "ok", where, package; or "error", message.
 * No json module: importing it costs more than the rest (6 ms here).
 */
static const char py_certifi[] = PY_NOCWD
    "import os\n"
    "try:\n"
    "    c = __import__(sys.argv[1], fromlist=['where'])\n"
    "    r = ['ok', os.path.realpath(c.where()),\n"
    "        os.path.realpath(os.path.dirname(c.__file__))]\n"
    "except Exception as e:\n"
    "    r = ['error', '%s: %s' % (type(e).__name__, e)]\n"
    "sys.stdout.buffer.write(b''.join(os.fsencode(x) + b'\\0' "
    "for x in r))\n";

/*
 * Split out into at most max NUL-terminated fields.  Returns how many,
 * or -1 when the bytes do not end with a NUL or hold more fields.
 */
static int
fields_split(const struct buf *out, const char **f, int max)
{
	const char	*p = (const char *)out->data, *end = p + out->len;
	const char	*z;
	int		 n = 0;

	while (p < end) {
		if (n == max || (z = memchr(p, '\0', (size_t)(end - p))) ==
		    NULL)
			return -1;
		f[n++] = p;
		p = z + 1;
	}
	return n;
}

#define RUN_AS_ROOT	"run it as root"

/* python as execvp(3) finds it, into out.  Returns 1, or 0. */
static int
python_find(const char *python, char *out, size_t len)
{
	const char	*path = getenv("PATH"), *p, *e;

	if (strchr(python, '/') != NULL)
		return snprintf(out, len, "%s", python) < (int)len;
	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = e) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		if (e > p && snprintf(out, len, "%.*s/%s", (int)(e - p), p,
		    python) < (int)len && access(out, X_OK) == 0)
			return 1;
		if (*e == ':')
			e++;
	}
	return 0;
}

/* Each file matching pat passes the rule.  Returns 1, or 0 (warned). */
static int
glob_trusted(const char *pat)
{
	glob_t		 g;
	size_t		 i;
	int		 ok = 1;

	if (glob(pat, 0, NULL, &g) != 0)
		return 1;
	for (i = 0; ok && i < g.gl_pathc; i++)
		ok = safepath_trusted(g.gl_pathv[i], RUN_AS_ROOT);
	globfree(&g);
	return ok;
}

/*
 * What an interpreter of prefix runs before our program, checked as
 * the interpreter is: a venv's pyvenv.cfg (its "home" chooses the
 * standard library), every site-packages and dist-packages directory
 * (anyone who can write one can add a .pth file, which runs at
 * start-up), the .pth files in them and the modules our probe imports
 * (certifi, pip's vendored certifi).  Returns 1, or 0 (warned).
 */
static int
prefix_ok(const char *prefix)
{
	static const char *const sites[][2] = {
		{ "python3*", "site-packages" }, { "python3*", "dist-packages" },
		{ "python3", "dist-packages" },
	};
	/* What start-up and our probe's import run, in a site directory. */
	static const char *const runs[] = {
		"*.pth", "certifi/*.py", "pip/__init__.py",
		"pip/_vendor/__init__.py", "pip/_vendor/certifi/*.py",
	};
	char		 pat[PATH_MAX], name[NAME_MAX + 1];
	glob_t		 g;
	size_t		 i, j, k;
	int		 fd, ok = 1;

	snprintf(pat, sizeof(pat), "%s/pyvenv.cfg", prefix);
	if (!glob_trusted(pat))
		return 0;
	for (i = 0; ok && i < sizeof(sites) / sizeof(sites[0]); i++) {
		snprintf(pat, sizeof(pat), "%s/lib/%s/%s", prefix, sites[i][0],
		    sites[i][1]);
		if (glob(pat, GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		for (j = 0; ok && j < g.gl_pathc; j++) {
			/* The walk checks every directory down to it. */
			snprintf(pat, sizeof(pat), "%s/x", g.gl_pathv[j]);
			if ((fd = safepath_open_parent(pat, 0, name,
			    sizeof(name))) == -1)
				ok = 0;
			else
				close(fd);
			for (k = 0; ok && k < sizeof(runs) / sizeof(runs[0]);
			    k++) {
				snprintf(pat, sizeof(pat), "%s/%s",
				    g.gl_pathv[j], runs[k]);
				ok = glob_trusted(pat);
			}
		}
		globfree(&g);
	}
	return ok;
}

/*
 * The prefixes of an interpreter found at path (a venv's bin/python)
 * and of the file it resolves to (the base interpreter), with
 * /usr/local beside /usr, as Debian's Python reads both.
 */
static int
site_ok(const char *found, const char *real)
{
	const char	*paths[2] = { found, real };
	char		 prefix[PATH_MAX];
	char		*slash;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if (snprintf(prefix, sizeof(prefix), "%s", paths[i]) >=
		    (int)sizeof(prefix))
			return 0;
		/* prefix/bin/python */
		if ((slash = strrchr(prefix, '/')) == NULL)
			continue;
		*slash = '\0';
		if ((slash = strrchr(prefix, '/')) == NULL)
			continue;
		*slash = '\0';
		if (*prefix == '\0')
			continue;
		if (!prefix_ok(prefix))
			return 0;
		if (strcmp(prefix, "/usr") == 0 && !prefix_ok("/usr/local"))
			return 0;
	}
	return 1;
}

/*
 * As root, the interpreter is run only when nobody else could have
 * changed it: the directories on the way to it (to the link, and to
 * what the link resolves to) and the file pass the ownership rule, as
 * do its site directories and what they run at start-up (site_ok).
 * Returns 1, or 0 after a warning naming what fails.
 */
static int
python_ok(const char *python)
{
	char		 found[PATH_MAX], real[PATH_MAX], name[NAME_MAX + 1];
	struct stat	 st;
	int		 fd;

	if (geteuid() != 0)
		return 1;
	if (!python_find(python, found, sizeof(found))) {
		safepath_warnx("%s: not found in PATH", python);
		return 0;
	}
	if ((fd = safepath_open_parent(found, 0, name, sizeof(name))) == -1)
		return 0;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		safepath_warn("%s", found);
		close(fd);
		return 0;
	}
	close(fd);
	/* A link's own mode means nothing: only who made it. */
	if (S_ISLNK(st.st_mode)) {
		st.st_mode = S_IFLNK | 0755;
		if (!safepath_rule_for(&st, found, RUN_AS_ROOT))
			return 0;
	}
	if (realpath(found, real) == NULL) {
		safepath_warn("%s", found);
		return 0;
	}
	return safepath_trusted(real, RUN_AS_ROOT) && site_ok(found, real);
}

/* The package certifi came from, checked as the interpreter was. */
static int
package_ok(const char *pkg)
{
	char	 init[PATH_MAX];

	if (geteuid() != 0)
		return 1;
	snprintf(init, sizeof(init), "%s/__init__.py", pkg);
	return safepath_trusted(init, RUN_AS_ROOT);
}

/*
 * The certifi bundle of interpreter python (pip: pip's vendored copy).
 * Returns EXIT_DONE with t filled (target_free it); EXIT_LOCAL after a
 * warning: the interpreter does not run, has no certifi, or (without
 * force) a certifi whose where() lies outside its own package, as
 * Debian's patched certifi does (it returns the system store, which
 * update-ca-certificates owns).  As root, an interpreter, venv or
 * certifi package another user owns or can write is refused before it
 * runs (SECURITY.md, "Local attackers").
 */
int
target_certifi(const char *python, int pip, int force, struct target *t)
{
	struct buf	 out;
	const char	*f[3], *where, *pkg, *mod = pip ? "pip._vendor.certifi" :
	    "certifi";
	char		 why[256];
	size_t		 plen;
	int		 n, rc = EXIT_LOCAL;

	memset(t, 0, sizeof(*t));
	buf_init(&out, PY_OUT_MAX);
	if (!python_ok(python))
		goto out;
	if (!python_run(python, py_certifi, mod, &out, why, sizeof(why))) {
		warnx("%s: %s", python, why);
		goto out;
	}
	n = fields_split(&out, f, 3);
	if (n == 2 && strcmp(f[0], "error") == 0) {
		warnx("%s: cannot import %s: %s", python, mod, f[1]);
		goto out;
	}
	if (n != 3 || strcmp(f[0], "ok") != 0 || *f[1] != '/') {
		warnx("%s: unexpected answer to %s.where()", python, mod);
		goto out;
	}
	where = f[1];
	pkg = f[2];
	if (!package_ok(pkg))
		goto out;
	plen = strlen(pkg);
	if (!force && pip && (strncmp(where, pkg, plen) != 0 ||
	    where[plen] != '/')) {
		/*
		 * Debian's python3-pip vendors the same patch: its
		 * core.py returns /etc/ssl/certs/ca-certificates.crt.
		 * Refused, not skipped: a requested target left without
		 * the release is never a success (issue 18).
		 */
		warnx("%s: --pip: pip's vendored certifi (%s) is patched to "
		    "use the system store %s (Debian's python3-pip does "
		    "this), which update-ca-certificates owns; nothing "
		    "installed: drop --pip (pip = no) for this interpreter "
		    "and use --system to make Debian's store hold the "
		    "release, or --force to replace %s anyway", python, pkg,
		    where, where);
		goto out;
	}
	if (!force && (strncmp(where, pkg, plen) != 0 || where[plen] != '/')) {
		warnx("%s: %s.where() is %s, outside its package %s: this "
		    "certifi is patched to use the system store (Debian's "
		    "python3-certifi does this), which update-ca-certificates "
		    "owns; install into it with --output %s, or use --force "
		    "to replace it anyway", python, mod, where, pkg, where);
		goto out;
	}
	if ((t->path = strdup(where)) == NULL ||
	    (t->python = strdup(python)) == NULL) {
		warn(NULL);
		target_free(t);
		goto out;
	}
	t->kind = pip ? "pip" : "certifi";
	rc = EXIT_DONE;
 out:
	buf_free(&out);
	return rc;
}

/*
 * Whether this user may use a target of kind ("file", "java", "capath",
 * "nssdb" or "python") at path under the ownership rule (SECURITY.md,
 * "Local attackers"): the directories on the way pass it and, for a file,
 * what is there is missing or a regular file no other name shares;
 * for an interpreter, it may be run.  What install checks, for doctor
 * to explain.  Returns 1, or 0 after a warning (safepath_why()).
 */
int
target_place_ok(const char *kind, const char *path)
{
	struct stat	 st;

	if (strcmp(kind, "python") == 0)
		return python_ok(path);
	if (*path != '/') {
		safepath_warnx("%s: not an absolute path", path);
		return 0;
	}
	switch (file_lstat(path, &st)) {
	case -1:
		return 0;
	case 0:
		return 1;
	}
	if (strcmp(kind, "capath") == 0 || strcmp(kind, "nssdb") == 0)
		return 1;
	if (S_ISLNK(st.st_mode)) {
		safepath_warnx("%s: a symbolic link, refusing to write through "
		    "it (SECURITY.md: local attackers)", path);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		safepath_warnx("%s: not a regular file", path);
		return 0;
	}
	if (st.st_nlink > 1) {
		safepath_warnx("%s: %lu hard links, refusing to replace a file "
		    "that other names share (SECURITY.md: local attackers)",
		    path, (unsigned long)st.st_nlink);
		return 0;
	}
	return 1;
}

/*
 * A PEM file target.  Returns EXIT_DONE with t filled, or EXIT_LOCAL
 * after a warning: a relative path (the state must name it the same
 * way from anywhere), or a directory.
 */
int
target_file(const char *path, struct target *t)
{
	struct stat	 st;

	memset(t, 0, sizeof(*t));
	if (*path != '/') {
		warnx("--output %s: give an absolute path", path);
		return EXIT_LOCAL;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		warnx("--output %s: not a regular file", path);
		return EXIT_LOCAL;
	}
	if ((t->path = strdup(path)) == NULL) {
		warn(NULL);
		return EXIT_LOCAL;
	}
	t->kind = "file";
	return EXIT_DONE;
}

/*
 * A tree target of kind ("capath": an OpenSSL hashed directory,
 * "nssdb": an NSS database; capath.c), named by the option --kind.
 * Returns EXIT_DONE with t filled, or EXIT_LOCAL after a warning: a
 * relative path, or one ending in "/", "." or "..".
 */
int
target_tree(const char *path, const char *kind, struct target *t)
{
	const char	*s = strrchr(path, '/');

	memset(t, 0, sizeof(*t));
	if (*path != '/' || s[1] == '\0' || strcmp(s + 1, ".") == 0 ||
	    strcmp(s + 1, "..") == 0) {
		warnx("--%s %s: give an absolute path, without a trailing "
		    "slash", kind, path);
		return EXIT_LOCAL;
	}
	if ((t->path = strdup(path)) == NULL) {
		warn(NULL);
		return EXIT_LOCAL;
	}
	t->kind = strcmp(kind, "nssdb") == 0 ? "nssdb" : "capath";
	return EXIT_DONE;
}

/* An OpenSSL hashed directory target: target_tree() of "capath". */
int
target_capath(const char *path, struct target *t)
{
	return target_tree(path, "capath", t);
}

/* Free what a target holds. */
void
target_free(struct target *t)
{
	free(t->tree);
	free(t->oldlink);
	system_free(t->sys);
	free(t->path);
	free(t->python);
	free(t->backup);
	java_free(t->java);
	buf_free(&t->old);
	memset(t, 0, sizeof(*t));
}

/*
 * What a certifi file or an interpreter is, as the state records it
 * to recognise it unchanged: device, inode, size and modification
 * time.  Returns the object (json_decref it), or NULL on no memory.
 */
json_t *
target_stat_json(const struct stat *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "dev",
	    (json_int_t)st->st_dev, "ino", (json_int_t)st->st_ino, "size",
	    (json_int_t)st->st_size, "mtime", (json_int_t)st->st_mtim.tv_sec,
	    "mtime_ns", (json_int_t)st->st_mtim.tv_nsec);
}

static int
stat_same(const json_t *j, const struct stat *st)
{
	return json_is_object(j) &&
	    json_integer_value(json_object_get(j, "dev")) ==
	    (json_int_t)st->st_dev &&
	    json_integer_value(json_object_get(j, "ino")) ==
	    (json_int_t)st->st_ino &&
	    json_integer_value(json_object_get(j, "size")) ==
	    (json_int_t)st->st_size &&
	    json_integer_value(json_object_get(j, "mtime")) ==
	    (json_int_t)st->st_mtim.tv_sec &&
	    json_integer_value(json_object_get(j, "mtime_ns")) ==
	    (json_int_t)st->st_mtim.tv_nsec;
}

/*
 * The file python resolves to, stat(2)ed: what target_certifi_cached
 * compares, so that a different interpreter behind the same name (an
 * upgrade, a venv rebuilt) is asked again.  Returns 1, or 0.
 */
int
target_python_stat(const char *python, struct stat *st)
{
	char	 found[PATH_MAX], real[PATH_MAX];

	return python_find(python, found, sizeof(found)) &&
	    realpath(found, real) != NULL && stat(real, st) == 0;
}

/*
 * The certifi (pip: pip's) target of python as the state recorded it,
 * when nothing it depends on has moved since: a record of this kind
 * names this interpreter, the interpreter is the same file, and the
 * file at the record's path is the one written then (device, inode,
 * size, modification time; targets_read then hashes its bytes).  The
 * interpreter is not run.  Returns 1 with t filled (t->cached set;
 * target_free it), or 0: ask the interpreter (target_certifi).
 */
int
target_certifi_cached(const json_t *state, const char *python, int pip,
    struct target *t)
{
	const json_t	*r;
	const char	*kind = pip ? "pip" : "certifi", *s;
	struct stat	 st;
	size_t		 i;

	memset(t, 0, sizeof(*t));
	json_array_foreach(json_object_get(state, "targets"), i, r) {
		s = json_string_value(json_object_get(r, "python"));
		if (s == NULL || strcmp(s, python) != 0 || strcmp(kind,
		    json_string_value(json_object_get(r, "kind"))) != 0)
			continue;
		if (!target_python_stat(python, &st) ||
		    !stat_same(json_object_get(r, "python_id"), &st))
			return 0;
		s = json_string_value(json_object_get(r, "path"));
		if (file_lstat(s, &st) != 1 || !S_ISREG(st.st_mode) ||
		    !stat_same(json_object_get(r, "file_id"), &st))
			return 0;
		if ((t->path = strdup(s)) == NULL ||
		    (t->python = strdup(python)) == NULL) {
			target_free(t);
			return 0;
		}
		t->kind = kind;
		t->cached = 1;
		return 1;
	}
	return 0;
}

/*
 * Whether the target a state record names still holds the release the
 * record says was installed there, judged by its kind: a file's bytes
 * (read without following a link: a link there is nothing of ours), a
 * tree's or database's contents, a Java store's trusted certificates
 * (opened with pass, NULL for Java's default), the system store's
 * certificates.  Returns 1, or 0 with why (may be NULL) saying how a
 * Java store differs.  What status and --metrics both report.
 */
int
target_holds(const json_t *rec, const char *pass, char *why, size_t len)
{
	const char	*kind = json_string_value(json_object_get(rec, "kind"));
	const char	*path = json_string_value(json_object_get(rec, "path"));
	const char	*sha = json_string_value(json_object_get(rec, "sha256"));
	struct buf	 cur;
	struct stat	 st;
	char		 hex[65], jwhy[256];

	if (why != NULL && len > 0)
		*why = '\0';
	if (strcmp(kind, "capath") == 0)
		return capath_holds(path, sha);
	if (strcmp(kind, "nssdb") == 0)
		return nssdb_holds(path, sha);
	if (strcmp(kind, "system") == 0)
		return system_holds(sha);
	if (strcmp(kind, "java") == 0)
		return java_holds(path, rec, pass != NULL ? pass :
		    JAVA_PASSWORD, why != NULL ? why : jwhy, why != NULL ?
		    len : sizeof(jwhy));
	if (file_lstat(path, &st) != 1 || !S_ISREG(st.st_mode) ||
	    !file_read(path, TARGET_OLD_MAX, &cur, &st))
		return 0;
	file_sha256(cur.data, cur.len, hex);
	buf_free(&cur);
	return strcmp(hex, sha) == 0;
}
