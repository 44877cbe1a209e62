/*
 * export.c - the HTTP contract's tree as static files for
 * "cabundled export DIR" (cmd_export.c) (BRIEF.md "HTTP contract (v1)"), for nginx, an object store, a
 * CDN or a USB stick carried across an air gap.
 *
 *	DIR/v1/pubkey
 *	DIR/v1/keys, v1/keys.minisig (the newest key list, doc/SPEC.md 11)
 *	DIR/v1/keylists/VERSION/keys, keys.minisig, KEYID.minisig
 *	DIR/v1/profiles, v1/upstream, v1/audit (all of it, next null)
 *	DIR/v1/PROFILE/VERSION/cacert.pem, .../cacert.pem.minisig
 *	DIR/v1/PROFILE/diff/PREV/VERSION, v1/PROFILE/history
 *	DIR/v1/PROFILE/cacert.pem, v1/PROFILE/cacert.pem.minisig
 *	DIR/v1/PROFILE[/VERSION]/cacert.p11-kit, and constraints.json with
 *	constraints.json.minisig for a release with dated roots (SPEC 12)
 *	DIR/v1/snapshots/index.json (/v1/snapshots), v1/snapshots/ID
 *	DIR/index.html, DIR/PAGE/index.html: the pages (pages.c)
 *	DIR/client/cabundle_VERSION_ARCH.deb and .deb.minisig, with
 *	DIR/client/cabundle_ARCH.deb and .deb.minisig (the newest handed
 *	out): the client package, --client-deb (package.c, SPEC 13)
 *
 * The bytes are the ones "serve" sends, from the same in-memory site
 * (site.c).  Incremental: a versioned file already there is left alone
 * (its mtime, hence a static server's ETag, stays), a moving document
 * is rewritten only when it changed.  Each file is written beside its
 * place, synced and renamed over it, and in an order that keeps every
 * reader consistent: versioned bodies and signatures first, then the
 * documents that list them, the latest signature of each profile last.
 * A body already written under another version is hard-linked, so
 * re-signings cost no space.
 *
 * A versioned file found already there is trusted only when it is one
 * we could have written and still holds what was signed: a regular
 * file (not a link) owned by the exporting user, not writable by group
 * or others, whose SHA-256 is the digest its signature carries (a
 * signature file: the exact bytes).  Anything else stops the export
 * (exit 1) before a byte is written, or with --repair is replaced
 * atomically; nothing is ever hard-linked to it.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "atomic.h"
#include "buf.h"
#include "db.h"
#include "exitcode.h"
#include "config.h"
#include "export.h"
#include "meta.h"
#include "p11kit.h"
#include "package.h"
#include "pages.h"
#include "query.h"
#include "render_json.h"
#include "sig.h"
#include "signer.h"
#include "site.h"

struct export {
	const char	*dir;
	struct buf	 path;		/* scratch */
	size_t		 written;
	size_t		 linked;
	size_t		 kept;
	struct doc	**bodies;	/* written or found this run ... */
	char		**bodypath;	/* ... and where */
	size_t		 nbodies;
	size_t		 repaired;
	int		 dry;		/* only look for conflicts */
	int		 repair;	/* --repair: replace a bad file */
	const struct export_client *client;
	struct doc	 debs[PACKAGE_MAX_FILES];	/* client->pkg's */
};

/* What an existing versioned file is found to be (fixed_check). */
enum fixed_state {
	FIXED_ERROR = -1,	/* could not look (warned) */
	FIXED_MISSING,
	FIXED_GOOD,
	FIXED_BAD		/* why says how */
};

/*
 * The directory of path (a file in the tree), made if missing (0755)
 * and opened.  Returns the descriptor, or -1 after a warning.
 */
static int
dir_open(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');

	if (slash == NULL || snprintf(dir, sizeof(dir), "%.*s",
	    (int)(slash - path), path) >= (int)sizeof(dir)) {
		warnx("%s: path too long", path);
		return -1;
	}
	return atomic_mkdirs(AT_FDCWD, dir, 0755);
}

/*
 * Put data at path atomically (common/atomic.c), mode 0644.  Returns
 * 1, or 0 after a warning with nothing at path changed.
 */
static int
put_file(const char *path, const void *data, size_t len)
{
	int	 dfd, ok;

	if ((dfd = dir_open(path)) == -1)
		return 0;
	ok = atomic_write_at(dfd, strrchr(path, '/') + 1, path, data, len,
	    0644);
	close(dfd);
	return ok;
}

/*
 * Hard-link from to path, under a temporary name renamed over it.
 * Returns 1, or 0 (then the caller copies).
 */
static int
put_link(const char *from, const char *path)
{
	char		 tmp[NAME_MAX + 1];
	const char	*name = strrchr(path, '/') + 1;
	int		 dfd, ok = 0;

	if ((dfd = dir_open(path)) == -1)
		return 0;
	if (atomic_tmpname(name, tmp, sizeof(tmp)) &&
	    linkat(AT_FDCWD, from, dfd, tmp, 0) == 0)
		ok = atomic_commit_at(dfd, tmp, name, path);
	close(dfd);
	return ok;
}

/*
 * Whether path holds exactly d: 1 yes, 0 no (missing or different),
 * -1 after a warning.  A regular file only; the size decides first.
 */
static int
same_file(const char *path, const struct doc *d)
{
	struct buf	 b;
	struct stat	 st;
	int		 same;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		warn("%s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size != d->len)
		return 0;
	buf_init(&b, d->len);
	if (!buf_readfile(&b, path)) {
		buf_free(&b);
		return -1;
	}
	same = b.len == d->len && (d->len == 0 ||
	    memcmp(b.data, d->data, d->len) == 0);
	buf_free(&b);
	return same;
}

/*
 * Read the versioned file at path into b when it is one this export
 * could have written: opened without following a link, and judged by
 * what the descriptor shows (a regular file of the exporting user, not
 * writable by group or others, of lo to hi bytes), so what is read is
 * what was judged.  FIXED_BAD with why set names the first rule it
 * breaks; FIXED_GOOD says only that b holds it.
 */
static enum fixed_state
fixed_read(const char *path, size_t lo, size_t hi, struct buf *b, char *why,
    size_t whylen)
{
	struct stat	 st;
	unsigned char	 chunk[8192];
	enum fixed_state rc = FIXED_ERROR;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return FIXED_MISSING;
		if (errno != ELOOP) {
			warn("%s", path);
			return FIXED_ERROR;
		}
		snprintf(why, whylen, "a symbolic link");
		return FIXED_BAD;
	}
	if (fstat(fd, &st) == -1) {
		warn("%s", path);
		goto out;
	}
	rc = FIXED_BAD;
	if (!S_ISREG(st.st_mode))
		snprintf(why, whylen, "not a regular file");
	else if (st.st_uid != geteuid())
		snprintf(why, whylen, "owned by uid %u, not by the exporting "
		    "user (uid %u)", (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, whylen, "writable by group or others (mode "
		    "%04o)", (unsigned)(st.st_mode & 07777));
	else if ((size_t)st.st_size < lo || (size_t)st.st_size > hi)
		snprintf(why, whylen, "%lld bytes, %zu signed",
		    (long long)st.st_size, lo);
	else
		rc = FIXED_GOOD;
	if (rc != FIXED_GOOD)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || !buf_append(b, chunk, (size_t)n)) {
			warn("%s", path);
			rc = FIXED_ERROR;
			goto out;
		}
	}
	if (b->len != (size_t)st.st_size) {
		snprintf(why, whylen, "changed while read");
		rc = FIXED_BAD;
	}
 out:
	close(fd);
	return rc;
}

/*
 * Judge the versioned file at path against d: with sha (a body) its
 * SHA-256 must be sha, else (a signature) its bytes must be d's.  As
 * fixed_read(), FIXED_BAD with why set names the first rule it breaks.
 */
static enum fixed_state
fixed_check(const char *path, const struct doc *d, const unsigned char *sha,
    char *why, size_t whylen)
{
	struct buf	 b;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	enum fixed_state rc;

	buf_init(&b, d->len + 1);
	if ((rc = fixed_read(path, d->len, d->len, &b, why, whylen)) !=
	    FIXED_GOOD)
		goto out;
	if (sha != NULL) {
		SHA256(b.data, b.len, md);
		if (memcmp(md, sha, sizeof(md)) != 0) {
			snprintf(why, whylen, "its SHA-256 is not the signed "
			    "digest (damaged or replaced)");
			rc = FIXED_BAD;
		}
	} else if (d->len != 0 && memcmp(b.data, d->data, d->len) != 0) {
		snprintf(why, whylen, "other bytes than the signature");
		rc = FIXED_BAD;
	}
 out:
	buf_free(&b);
	return rc;
}

/*
 * The SHA-256 that r's signature vouches for, in sha.  Returns 1; 0
 * after a warning when the signature cannot be read, or the body held
 * in memory is not the one it signed (then nothing is exported).
 */
static int
signed_digest(const char *profile, const struct site_release *r,
    unsigned char *sha)
{
	struct minisig	 ms;
	struct meta	 m;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 why[256];

	if (sig_parse(r->sig.data, r->sig.len, &ms, why, sizeof(why)) !=
	    SIG_OK || !meta_parse(ms.comment, ms.commentlen, &m, why,
	    sizeof(why))) {
		warnx("%s version %" PRId64 ": signature: %s", profile,
		    r->version, why);
		return 0;
	}
	SHA256((const unsigned char *)r->body->data, r->body->len, md);
	if (memcmp(md, m.sha256, sizeof(md)) != 0) {
		warnx("%s version %" PRId64 ": the body is not the one "
		    "signed; nothing exported", profile, r->version);
		return 0;
	}
	memcpy(sha, m.sha256, sizeof(md));
	return 1;
}

/*
 * The SHA-256 that r's constraints signature vouches for, in sha, as
 * signed_digest() does for the bundle.  Returns 1, or 0 after a
 * warning.
 */
static int
constraints_digest(const char *profile, const struct site_release *r,
    unsigned char *sha)
{
	struct minisig	 ms;
	struct meta	 m;
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 why[256];

	if (sig_parse(r->csig.data, r->csig.len, &ms, why, sizeof(why)) !=
	    SIG_OK || !meta_parse_as(META_FORMAT_CONSTRAINTS, ms.comment,
	    ms.commentlen, &m, why, sizeof(why))) {
		warnx("%s version %" PRId64 ": constraints signature: %s",
		    profile, r->version, why);
		return 0;
	}
	SHA256((const unsigned char *)r->cbody->data, r->cbody->len, md);
	if (memcmp(md, m.sha256, sizeof(md)) != 0) {
		warnx("%s version %" PRId64 ": the constraints document is "
		    "not the one signed; nothing exported", profile,
		    r->version);
		return 0;
	}
	memcpy(sha, m.sha256, sizeof(md));
	return 1;
}

/* r's cacert.p11-kit into d (free d->data).  Returns 1, or 0 warned. */
static int
p11kit_doc(const struct site_release *r, struct doc *d)
{
	struct buf	 b;
	int		 ok;

	memset(d, 0, sizeof(*d));
	buf_init(&b, 16u << 20);
	ok = p11kit_render(r->body->data, r->body->len, r->cbody != NULL ?
	    r->cbody->data : NULL, r->cbody != NULL ? r->cbody->len : 0, &b) &&
	    doc_set(d, b.data, b.len);
	buf_free(&b);
	return ok;
}

static const char *
ex_path(struct export *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * DIR/ followed by fmt, in ex->path; NULL after a warning.  Every
 * directory between DIR and the file must be a real directory (or not
 * there yet): a symbolic link planted in the tree would have the
 * export write wherever it points.
 */
static const char *
ex_path(struct export *ex, const char *fmt, ...)
{
	va_list		 ap;
	struct stat	 st;
	char		 rel[PATH_MAX], *s;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	buf_reset(&ex->path);
	if (n < 0 || (size_t)n >= sizeof(rel) ||
	    !buf_printf(&ex->path, "%s/%s", ex->dir, rel)) {
		warnx("%s: path too long", ex->dir);
		return NULL;
	}
	s = (char *)ex->path.data + ex->path.len - (size_t)n;
	for (; (s = strchr(s, '/')) != NULL; *s++ = '/') {
		*s = '\0';
		if (lstat((char *)ex->path.data, &st) == 0 &&
		    !S_ISDIR(st.st_mode)) {
			warnx("%s: not a directory (a symbolic link?) inside "
			    "the export tree; refused", (char *)ex->path.data);
			return NULL;
		}
	}
	return (const char *)ex->path.data;
}

/*
 * A document that moves (latest, lists): written only when it changed.
 * Static servers make validators of size and mtime in whole seconds
 * (nginx: ETag "mtime-size"), and a new latest signature has the old
 * one's size: its mtime must differ too, or clients polling within the
 * second get a 304 for the old one.
 */
static int
put_moving(struct export *ex, const char *path, const struct doc *d)
{
	struct timespec	 ts[2];
	struct stat	 old, now;
	int		 same, had;

	if (path == NULL || (same = same_file(path, d)) == -1)
		return 0;
	if (same) {
		ex->kept++;
		return 1;
	}
	had = lstat(path, &old) == 0;
	if (!put_file(path, d->data, d->len))
		return 0;
	if (had && stat(path, &now) == 0 &&
	    now.st_mtim.tv_sec <= old.st_mtim.tv_sec) {
		ts[0].tv_sec = ts[1].tv_sec = old.st_mtim.tv_sec + 1;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (utimensat(AT_FDCWD, path, ts, 0) == -1) {
			warn("%s", path);
			return 0;
		}
	}
	ex->written++;
	return 1;
}

/*
 * A versioned file, immutable: written once.  One already there that
 * fixed_check() does not find good means DIR holds another mirror's
 * tree, a damaged one or a planted file: nothing is overwritten
 * (*conflict set), unless --repair asks to replace it.  sha: the
 * signed digest of a body, NULL for a signature.  A body is
 * hard-linked to an earlier copy of the same body when there is one,
 * and only ever to a copy written or checked by this run.
 */
static int
put_fixed(struct export *ex, const char *path, struct doc *d,
    const unsigned char *sha, int *conflict)
{
	void			*p;
	char			 why[128];
	size_t			 i;
	enum fixed_state	 state;
	int			 body = sha != NULL;

	if (path == NULL || (state = fixed_check(path, d, sha, why,
	    sizeof(why))) == FIXED_ERROR)
		return 0;
	if (state == FIXED_BAD && !ex->repair) {
		warnx("%s exists with other content (%s): %s holds another "
		    "mirror's export, a damaged one or a planted file; "
		    "nothing written (--repair replaces it)", path, why,
		    ex->dir);
		*conflict = 1;
		return 0;
	}
	if (ex->dry)
		return 1;
	if (state == FIXED_GOOD)
		ex->kept++;
	else {
		/*
		 * Missing, or bad with --repair: a link to a good copy or
		 * new bytes, renamed over it either way, so a bad inode
		 * loses this name and nothing new points at it.
		 */
		for (i = 0; body && i < ex->nbodies; i++)
			if (ex->bodies[i] == d)
				break;
		if (body && i < ex->nbodies &&
		    put_link(ex->bodypath[i], path))
			ex->linked++;
		else if (put_file(path, d->data, d->len))
			ex->written++;
		else
			return 0;
		if (state == FIXED_BAD) {
			warnx("%s: %s; replaced (--repair)", path, why);
			ex->repaired++;
		}
	}
	if (!body)
		return 1;
	for (i = 0; i < ex->nbodies; i++)
		if (ex->bodies[i] == d)
			return 1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	p = reallocarray(ex->bodies, ex->nbodies + 1, sizeof(*ex->bodies));
	if (p == NULL)
		goto nomem;
	ex->bodies = p;
	if ((p = reallocarray(ex->bodypath, ex->nbodies + 1,
	    sizeof(*ex->bodypath))) == NULL)
		goto nomem;
	ex->bodypath = p;
	if ((ex->bodypath[ex->nbodies] = strdup(path)) == NULL)
		goto nomem;
	ex->bodies[ex->nbodies++] = d;
	return 1;
 nomem:
	warnx("out of memory");
	return 0;
}

/* doc_json() on a cleared d, so a failure leaves nothing to free. */
static int
json_doc(struct doc *d, json_t *o)
{
	memset(d, 0, sizeof(*d));
	return doc_json(d, o);
}

/* /v1/profiles narrowed to the exported profiles. */
static json_t *
profiles_only(const struct doc *all, struct site_profile **sel, size_t n)
{
	json_t		*in, *out, *row;
	size_t		 i, j;
	const char	*name;

	if ((in = json_loadb(all->data, all->len, 0, NULL)) == NULL ||
	    (out = json_array()) == NULL) {
		json_decref(in);
		return NULL;
	}
	json_array_foreach(in, i, row) {
		name = json_string_value(json_object_get(row, "name"));
		for (j = 0; name != NULL && j < n; j++)
			if (strcmp(sel[j]->name, name) == 0 &&
			    json_array_append(out, row) == -1) {
				json_decref(out);
				out = NULL;
				goto out;
			}
	}
 out:
	json_decref(in);
	return out;
}

/*
 * A release's constraints document and signature when it has them, and
 * its cacert.p11-kit (compared byte for byte, as a signature is).
 */
static int
export_constraints(struct export *ex, struct site_profile *p,
    struct site_release *r, int *conflict)
{
	struct doc	 d;
	unsigned char	 sha[SHA256_DIGEST_LENGTH];
	int		 ok;

	if (r->cbody != NULL && (!constraints_digest(p->name, r, sha) ||
	    !put_fixed(ex, ex_path(ex, "v1/%s/%" PRId64 "/constraints.json",
	    p->name, r->version), r->cbody, sha, conflict) ||
	    !put_fixed(ex, ex_path(ex, "v1/%s/%" PRId64
	    "/constraints.json.minisig", p->name, r->version), &r->csig, NULL,
	    conflict)))
		return 0;
	if (!p11kit_doc(r, &d)) {
		free(d.data);
		return 0;
	}
	ok = put_fixed(ex, ex_path(ex, "v1/%s/%" PRId64 "/" P11KIT_FILE,
	    p->name, r->version), &d, NULL, conflict);
	free(d.data);
	return ok;
}

/*
 * The latest of a profile beside cacert.pem (sig 0) or its signature
 * (sig 1): cacert.p11-kit and constraints.json, or its signature; a
 * latest constraints file an older export wrote is removed when the
 * newest release has none.
 */
static int
export_latest_constraints(struct export *ex, struct site_profile *p, int sig)
{
	struct site_release *r = &p->rel[p->nrel - 1];
	struct doc	 d;
	const char	*path;
	int		 ok;

	if (!sig) {
		if (!p11kit_doc(r, &d)) {
			free(d.data);
			return 0;
		}
		ok = put_moving(ex, ex_path(ex, "v1/%s/" P11KIT_FILE, p->name),
		    &d);
		free(d.data);
		if (!ok)
			return 0;
	}
	if ((path = ex_path(ex, sig ? "v1/%s/constraints.json.minisig" :
	    "v1/%s/constraints.json", p->name)) == NULL)
		return 0;
	if (r->cbody != NULL)
		return put_moving(ex, path, sig ? &r->csig : r->cbody);
	if (unlink(path) == -1 && errno != ENOENT) {
		warn("%s", path);
		return 0;
	}
	return 1;
}

/* The versioned files and diffs of one profile. */
static int
export_versions(struct export *ex, sqlite3 *db, struct site_profile *p,
    int all, int *conflict)
{
	struct site_release	*r;
	struct query_diff	 diff;
	struct doc		 d;
	const char		*path;
	unsigned char		 sha[SHA256_DIGEST_LENGTH];
	size_t			 i;
	int			 found, same;

	for (i = all ? 0 : p->nrel - 1; i < p->nrel; i++) {
		r = &p->rel[i];
		if (!signed_digest(p->name, r, sha) ||
		    !put_fixed(ex, ex_path(ex, "v1/%s/%" PRId64
		    "/cacert.pem", p->name, r->version), r->body, sha,
		    conflict) ||
		    !put_fixed(ex, ex_path(ex, "v1/%s/%" PRId64
		    "/cacert.pem.minisig", p->name, r->version), &r->sig, NULL,
		    conflict) || !export_constraints(ex, p, r, conflict))
			return 0;
		if (i == 0 || ex->dry)
			continue;
		/* A diff is immutable: made only when it is missing. */
		if ((path = ex_path(ex, "v1/%s/diff/%" PRId64 "/%" PRId64,
		    p->name, p->rel[i - 1].version, r->version)) == NULL)
			return 0;
		if (access(path, F_OK) == 0) {
			ex->kept++;
			continue;
		}
		if (!query_diff(db, p->name, p->rel[i - 1].version,
		    r->version, &diff, &found) || !found ||
		    !json_doc(&d, render_diff(&diff))) {
			query_diff_free(&diff);
			return 0;
		}
		query_diff_free(&diff);
		same = put_file(path, d.data, d.len);
		free(d.data);
		if (!same)
			return 0;
		ex->written++;
	}
	return 1;
}

/*
 * /v1/snapshots as v1/snapshots/index.json (a file cannot also be the
 * directory of v1/snapshots/ID) and each snapshot's report.
 */
static int
export_snapshots(struct export *ex, struct site *s)
{
	struct doc	 d;
	size_t		 i;
	int		 found, ok = 1;

	if (!put_moving(ex, ex_path(ex, "v1/snapshots/index.json"),
	    &s->snapshotsjson))
		return 0;
	for (i = 0; ok && i < s->snaps.n; i++) {
		ok = json_doc(&d, site_snapshot_json(s, s->snaps.v[i].id,
		    &found)) && put_moving(ex, ex_path(ex, "v1/snapshots/%"
		    PRId64, s->snaps.v[i].id), &d);
		free(d.data);
	}
	return ok;
}

/* Every page (pages.c), each written only when it changed. */
static int
export_pages(struct export *ex, struct site *s, struct site_profile **sel,
    size_t n)
{
	struct pages	 pg;
	struct buf	 path, body;
	struct doc	 d;
	int		 rc;

	buf_init(&path, 256);
	buf_init(&body, 256u << 20);
	pages_init(&pg, s, sel, n);
	while ((rc = pages_next(&pg, &path, &body)) == 1) {
		memset(&d, 0, sizeof(d));
		d.data = (char *)body.data;
		d.len = body.len;
		if (!put_moving(ex, ex_path(ex, "%s", (char *)path.data),
		    &d)) {
			rc = -1;
			break;
		}
	}
	buf_free(&path);
	buf_free(&body);
	return rc == 0;
}

/*
 * Every key list version and its signatures, immutable as releases
 * are (put_fixed compares a signature's exact bytes).
 */
static int
export_keylists(struct export *ex, struct site *s, int *conflict)
{
	struct site_keylist	*k;
	size_t			 i, j;

	for (i = 0; i < s->nkeylists; i++) {
		k = &s->keylists[i];
		if (!put_fixed(ex, ex_path(ex, "v1/keylists/%" PRId64 "/keys",
		    k->version), &k->body, NULL, conflict))
			return 0;
		for (j = 0; j < k->nsigs; j++)
			if (!put_fixed(ex, ex_path(ex, "v1/keylists/%" PRId64
			    "/%s.minisig", k->version, k->sigids[j]),
			    &k->sigs[j], NULL, conflict))
				return 0;
		if (k->nsigs > 0 && !put_fixed(ex, ex_path(ex,
		    "v1/keylists/%" PRId64 "/keys.minisig", k->version),
		    &k->sigs[0], NULL, conflict))
			return 0;
	}
	return 1;
}

/*
 * Whether the signature at path, read into sig, is one to keep for p:
 * a file this export could have written, a cabundle-package/1
 * signature of exactly p (file name, size, digest) by the active key.
 * Returns 1 yes, 0 no (a new one is made), -1 after a warning.
 */
static int
package_sig_kept(const char *path, const struct site *s,
    const struct package *p, struct buf *sig)
{
	struct package_meta	 pm;
	struct minisig		 ms;
	struct pubkey		 pk;
	char			 why[256];
	enum fixed_state	 st;

	buf_reset(sig);
	if ((st = fixed_read(path, 1, SIG_FILE_MAX, sig, why, sizeof(why))) ==
	    FIXED_ERROR)
		return -1;
	if (st != FIXED_GOOD)
		return 0;
	return pubkey_parse(s->pubkey.data, s->pubkey.len, &pk, why,
	    sizeof(why)) && sig_parse((const char *)sig->data, sig->len, &ms,
	    why, sizeof(why)) == SIG_OK && package_comment_parse(ms.comment,
	    ms.commentlen, &pm, why, sizeof(why)) &&
	    strcmp(pm.file, p->file) == 0 && pm.size == p->len &&
	    memcmp(pm.sha256, p->sha256, sizeof(pm.sha256)) == 0 &&
	    sig_verify_comment(&ms, &pk) == SIG_OK &&
	    sig_verify_data(&ms, &pk, p->data, p->len) == SIG_OK;
}

/*
 * The client packages (--client-deb) into DIR/client/: each versioned
 * NAME_VERSION_ARCH.deb, immutable as a release body, and its .minisig
 * by the active key; then cabundle_ARCH.deb and its .minisig, moving
 * pointers to the newest handed out.  A signature already there that
 * the active key made over these bytes is kept; otherwise the package
 * is recorded and audited (package_record) and the signer signs it.
 */
static int
export_packages(struct export *ex, sqlite3 *db, const struct site *s,
    int *conflict)
{
	const struct export_client *cl = ex->client;
	const struct package *p;
	struct signer	*sg = NULL;
	struct buf	 sig;
	struct doc	 sd;
	const char	*path;
	size_t		 i;
	int		 kept, ok = 0;

	if (cl == NULL)
		return 1;
	buf_init(&sig, SIG_FILE_MAX);
	for (i = 0; i < cl->n; i++) {
		if ((p = cl->pkg[i]) == NULL)
			goto out;
		if (!put_fixed(ex, ex_path(ex, "client/%s", p->file),
		    &ex->debs[i], p->sha256, conflict))
			goto out;
		if (ex->dry)
			continue;
		if ((path = ex_path(ex, "client/%s.minisig", p->file)) ==
		    NULL || (kept = package_sig_kept(path, s, p, &sig)) == -1)
			goto out;
		if (kept)
			ex->kept++;
		else {
			buf_reset(&sig);
			if ((sg == NULL && (sg = signer_start(cl->cfg)) ==
			    NULL) || !package_record(db, p, cl->cfg->actor) ||
			    !signer_sign_package(sg, p, (int64_t)time(NULL),
			    &sig) || !put_file(path, sig.data, sig.len))
				goto out;
			ex->written++;
		}
		memset(&sd, 0, sizeof(sd));
		sd.data = (char *)sig.data;
		sd.len = sig.len;
		if (!put_moving(ex, ex_path(ex, "client/%s_%s.deb",
		    PACKAGE_NAME, p->arch), &ex->debs[i]) ||
		    !put_moving(ex, ex_path(ex, "client/%s_%s.deb.minisig",
		    PACKAGE_NAME, p->arch), &sd))
			goto out;
	}
	ok = 1;
 out:
	if (!signer_stop(sg))
		ok = 0;
	buf_free(&sig);
	return ok;
}

/* export_tree() once its state is set up. */
static int
export_write(struct export *ex, sqlite3 *db, struct site *s,
    struct site_profile **sel, size_t n, int some, int all)
{
	struct query_snapshots ss;
	struct query_audits au;
	struct doc	 d;
	size_t		 i;
	int		 conflict = 0, ok = 0;

	memset(&d, 0, sizeof(d));
	memset(&ss, 0, sizeof(ss));
	memset(&au, 0, sizeof(au));
	/* Another tree in DIR stops the export before it writes a byte. */
	ex->dry = 1;
	for (i = 0; i < n; i++)
		if (!export_versions(ex, db, sel[i], all, &conflict))
			goto out;
	if (!export_keylists(ex, s, &conflict) ||
	    !export_packages(ex, db, s, &conflict))
		goto out;
	ex->dry = 0;
	if (!put_moving(ex, ex_path(ex, "v1/pubkey"), &s->pubkey))
		goto out;
	/* The versions, then the newest list and its signature. */
	if (!export_keylists(ex, s, &conflict) || (s->nkeylists > 0 &&
	    (!put_moving(ex, ex_path(ex, "v1/keys"),
	    &s->keylists[s->nkeylists - 1].body) ||
	    (s->keylists[s->nkeylists - 1].nsigs > 0 &&
	    !put_moving(ex, ex_path(ex, "v1/keys.minisig"),
	    &s->keylists[s->nkeylists - 1].sigs[0])))))
		goto out;
	for (i = 0; i < n; i++)
		if (!export_versions(ex, db, sel[i], all, &conflict))
			goto out;
	for (i = 0; i < n; i++)
		if (!put_moving(ex, ex_path(ex, "v1/%s/history", sel[i]->name),
		    &sel[i]->history))
			goto out;
	/*
	 * All profiles: the list serve sends, profiles without a release
	 * too; some: only those.  json_doc() clears d, so each document
	 * is freed once.
	 */
	if (!some) {
		if (!put_moving(ex, ex_path(ex, "v1/profiles"), &s->profiles))
			goto out;
	} else if (!json_doc(&d, profiles_only(&s->profiles, sel, n)) ||
	    !put_moving(ex, ex_path(ex, "v1/profiles"), &d))
		goto out;
	free(d.data);
	d.data = NULL;
	if (!query_snapshots(db, 1, &ss) ||
	    !json_doc(&d, render_snapshots(&ss)) ||
	    !put_moving(ex, ex_path(ex, "v1/upstream"), &d))
		goto out;
	free(d.data);
	d.data = NULL;	/* query_audit() may fail before json_doc() */
	/* Before the log is read: a package signed now is audited there. */
	if (!export_packages(ex, db, s, &conflict))
		goto out;
	/*
	 * The whole log, next null: a static server ignores ?after=, so a
	 * paging reader must get everything at once and stop.
	 */
	if (!query_audit(db, 0, INT64_MAX, &au) ||
	    !json_doc(&d, json_pack("{s:o, s:n}", "rows", render_audit(&au),
	    "next")))
		goto out;
	if (!put_moving(ex, ex_path(ex, "v1/audit"), &d) ||
	    !export_snapshots(ex, s) || !export_pages(ex, s, sel, n))
		goto out;
	/*
	 * The latest pointers last: bodies, then the signatures (a
	 * stale constraints signature goes before its document).
	 */
	for (i = 0; i < n; i++)
		if (!put_moving(ex, ex_path(ex, "v1/%s/cacert.pem",
		    sel[i]->name), sel[i]->rel[sel[i]->nrel - 1].body) ||
		    (sel[i]->rel[sel[i]->nrel - 1].cbody == NULL &&
		    !export_latest_constraints(ex, sel[i], 1)) ||
		    !export_latest_constraints(ex, sel[i], 0))
			goto out;
	for (i = 0; i < n; i++)
		if (!put_moving(ex, ex_path(ex, "v1/%s/cacert.pem.minisig",
		    sel[i]->name), &sel[i]->rel[sel[i]->nrel - 1].sig) ||
		    (sel[i]->rel[sel[i]->nrel - 1].cbody != NULL &&
		    !export_latest_constraints(ex, sel[i], 1)))
			goto out;
	ok = 1;
 out:
	query_snapshots_free(&ss);
	query_audit_free(&au);
	free(d.data);
	if (ok)
		return EXIT_DONE;
	return conflict ? EXIT_REFUSED : EXIT_LOCAL;
}

/*
 * Write the tree of the n profiles sel of site s into dir (some: they
 * were named on the command line; all: every version, else the latest;
 * repair: replace a bad versioned file; what an earlier export wrote
 * stays), and the client packages of cl (NULL: none), counting the
 * files in *res.  Returns an exit code: 0 done, 1 dir holds another
 * tree, 4 local error (warned).
 */
int
export_tree(sqlite3 *db, struct site *s, const char *dir,
    struct site_profile **sel, size_t n, int some, int all, int repair,
    const struct export_client *cl, struct export_result *res)
{
	struct export	 ex;
	size_t		 i;
	int		 rc;

	memset(&ex, 0, sizeof(ex));
	memset(res, 0, sizeof(*res));
	buf_init(&ex.path, PATH_MAX);
	ex.dir = dir;
	ex.repair = repair;
	ex.client = cl;
	for (i = 0; cl != NULL && i < cl->n && i < PACKAGE_MAX_FILES; i++) {
		ex.debs[i].data = (char *)cl->pkg[i]->data;
		ex.debs[i].len = cl->pkg[i]->len;
	}
	rc = export_write(&ex, db, s, sel, n, some, all);
	res->written = ex.written;
	res->linked = ex.linked;
	res->kept = ex.kept;
	res->repaired = ex.repaired;
	for (i = 0; i < ex.nbodies; i++)
		free(ex.bodypath[i]);
	free(ex.bodypath);
	free(ex.bodies);
	buf_free(&ex.path);
	return rc;
}
