/*
 * package.c - the client's Debian package, handed out by "cabundled
 * export --client-deb" (export.c) with the mirror's signature, so a
 * fresh host can fetch, verify with the pinned key and install the
 * client from the mirror it then trusts.
 *
 * The file is hostile until checked: opened without following a link,
 * a regular file of at most PACKAGE_MAX bytes, read once into memory;
 * every later step (the ar check, dpkg-deb, the digest, the database)
 * sees those bytes and no others.  Its control file is read by
 * dpkg-deb, Debian's own parser (Essential on every Debian host), not
 * by one of ours: the control member is compressed (gzip, xz or zstd)
 * and its reader is what dpkg -i will run on the client anyway.
 * dpkg-deb reads an in-memory copy (memfd) on its standard input, so
 * what it parses is what is signed.
 *
 * The trusted comment of its signature, canonical as meta.c's:
 *	format:cabundle-package/1 TAB file:NAME TAB created:N TAB
 *	size:N TAB sha256:HEX
 * A client reading it as a release or key list refuses it by its
 * first field (doc/SPEC.md 13).
 */
#define _GNU_SOURCE	/* memfd_create */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "audit.h"
#include "db.h"
#include "encode.h"
#include "num.h"
#include "package.h"

#define DPKG_DEB	"/usr/bin/dpkg-deb"
#define AR_MAGIC	"!<arch>\n"
#define AR_HDR		60

enum pfield { P_FORMAT, P_FILE, P_CREATED, P_SIZE, P_SHA256, P__MAX };

static const char *const pfields[P__MAX] = {
	"format", "file", "created", "size", "sha256"
};

/*
 * 1 if data starts as dpkg writes a binary package: an ar archive whose
 * first member is debian-binary holding "2.0\n" and whose second is
 * control.tar (any compression).
 */
int
package_is_deb(const unsigned char *data, size_t len)
{
	const unsigned char	*h = data + sizeof(AR_MAGIC) - 1;

	if (len < sizeof(AR_MAGIC) - 1 + 2 * AR_HDR + 4 ||
	    memcmp(data, AR_MAGIC, sizeof(AR_MAGIC) - 1) != 0)
		return 0;
	/* ar: name[16] date[12] uid[6] gid[6] mode[8] size[10] "`\n" */
	if ((memcmp(h, "debian-binary   ", 16) != 0 &&
	    memcmp(h, "debian-binary/  ", 16) != 0) ||
	    memcmp(h + 48, "4         ", 10) != 0 ||
	    memcmp(h + 58, "`\n", 2) != 0 ||
	    memcmp(h + AR_HDR, "2.0\n", 4) != 0)
		return 0;
	h += AR_HDR + 4;
	return memcmp(h, "control.tar", 11) == 0 && memcmp(h + 58, "`\n",
	    2) == 0;
}

/* 1 if s (len bytes) has only characters from set, and some. */
static int
only(const char *s, size_t len, const char *set)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

#define LOWER	"abcdefghijklmnopqrstuvwxyz0123456789"
#define VERCHARS LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-"

/* 1 if s is a name this file gives a package: NAME_VERSION_ARCH.deb. */
static int
file_ok(const char *s, size_t len)
{
	return len > 4 && len <= PACKAGE_FILE_MAX && s[0] != '.' &&
	    only(s, len, VERCHARS "_") && memcmp(s + len - 4, ".deb", 4) == 0;
}

/*
 * Run dpkg-deb --field on the len bytes of data and put its Package,
 * Version and Architecture (at most PACKAGE_FILE_MAX bytes each) in
 * out[0..2].  Returns 1, or 0 after a warning.
 */
static int
control_fields(const char *path, const unsigned char *data, size_t len,
    char out[3][PACKAGE_FILE_MAX + 1])
{
	static const char *const names[3] = {
		"Package: ", "Version: ", "Architecture: "
	};
	char		*const argv[] = { (char *)"dpkg-deb", (char *)"--field",
			    (char *)"/dev/stdin", (char *)"Package",
			    (char *)"Version", (char *)"Architecture", NULL };
	char		*const envp[] = { (char *)"PATH=/usr/bin:/bin",
			    (char *)"LC_ALL=C", NULL };
	char		 text[4096], *line, *nl;
	size_t		 have = 0, i, n;
	ssize_t		 r;
	pid_t		 pid;
	int		 mfd, pfd[2] = { -1, -1 }, st, ok = 0;

	memset(out, 0, 3 * sizeof(out[0]));
	if ((mfd = memfd_create("cabundled-deb", MFD_CLOEXEC)) == -1) {
		warn("memfd_create");
		return 0;
	}
	for (i = 0; i < len; i += (size_t)r)
		if ((r = write(mfd, data + i, len - i)) <= 0) {
			warn("memfd");
			goto out;
		}
	if (lseek(mfd, 0, SEEK_SET) == -1 || pipe2(pfd, O_CLOEXEC) == -1 ||
	    (pid = fork()) == -1) {
		warn("dpkg-deb");
		goto out;
	}
	if (pid == 0) {
		if (dup2(mfd, STDIN_FILENO) == -1 ||
		    dup2(pfd[1], STDOUT_FILENO) == -1)
			_exit(127);
		execve(DPKG_DEB, argv, envp);
		warn("%s", DPKG_DEB);
		_exit(127);
	}
	close(pfd[1]);
	pfd[1] = -1;
	while (have < sizeof(text) - 1 && ((r = read(pfd[0], text + have,
	    sizeof(text) - 1 - have)) > 0 || (r == -1 && errno == EINTR)))
		if (r > 0)
			have += (size_t)r;
	text[have] = '\0';
	close(pfd[0]);
	pfd[0] = -1;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			warn("waitpid");
			goto out;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		warnx("%s: dpkg-deb cannot read it as a Debian package; "
		    "refused", path);
		goto out;
	}
	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		for (i = 0; i < 3; i++) {
			n = strlen(names[i]);
			if (strncmp(line, names[i], n) == 0 &&
			    strlen(line + n) <= PACKAGE_FILE_MAX)
				memcpy(out[i], line + n, strlen(line + n) + 1);
		}
	}
	ok = 1;
 out:
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	close(mfd);
	return ok;
}

/*
 * Check the package's control fields and name it: Package must be
 * PACKAGE_NAME, Version in Debian's grammar, Architecture one word;
 * the name is NAME_VERSION_ARCH.deb, the version without its epoch
 * (as Debian names pool files).  Returns 1, or 0 after a warning.
 */
static int
name_package(const char *path, struct package *p,
    char f[3][PACKAGE_FILE_MAX + 1])
{
	const char	*v = f[1], *colon;

	if (strcmp(f[0], PACKAGE_NAME) != 0) {
		warnx("%s: package '%.64s', not %s (only the client is handed "
		    "out); refused", path, f[0], PACKAGE_NAME);
		return 0;
	}
	if ((colon = strchr(v, ':')) != NULL && colon > v &&
	    only(v, (size_t)(colon - v), "0123456789"))
		v = colon + 1;
	if (v[0] < '0' || v[0] > '9' || !only(v, strlen(v), VERCHARS) ||
	    !only(f[2], strlen(f[2]), LOWER "-") || strlen(f[2]) >=
	    sizeof(p->arch)) {
		warnx("%s: control file's Version '%.64s' or Architecture "
		    "'%.32s' is not Debian's grammar; refused", path, f[1],
		    f[2]);
		return 0;
	}
	if (snprintf(p->file, sizeof(p->file), "%s_%s_%s.deb", f[0], v,
	    f[2]) >= (int)sizeof(p->file)) {
		warnx("%s: version too long; refused", path);
		return 0;
	}
	memcpy(p->version, f[1], sizeof(p->version));
	memcpy(p->arch, f[2], strlen(f[2]) + 1);
	return 1;
}

/*
 * Read and check the client package at path.  Returns it (package_free
 * it), or NULL after a warning naming the rule it breaks: a symbolic
 * link, not a regular file, over PACKAGE_MAX, not a Debian binary
 * package, not PACKAGE_NAME, or a file name other than the one its
 * control file gives (NAME_VERSION_ARCH.deb).
 */
struct package *
package_load(const char *path)
{
	struct package	*p;
	struct stat	 st;
	char		 f[3][PACKAGE_FILE_MAX + 1];
	const char	*base;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, ok = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		warn("calloc");
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			warnx("%s: a symbolic link; refused (name the file "
			    "itself)", path);
		else
			warn("%s", path);
		free(p);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		warn("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file; refused", path);
		goto out;
	}
	if (st.st_size > (off_t)PACKAGE_MAX) {
		warnx("%s: %lld bytes, over the %u a client package may "
		    "have; refused", path, (long long)st.st_size,
		    PACKAGE_MAX);
		goto out;
	}
	p->len = (size_t)st.st_size;
	if ((p->data = malloc(p->len + 1)) == NULL) {
		warn("malloc");
		goto out;
	}
	/* One byte more than fstat said: a file growing meanwhile shows. */
	while (got <= p->len && ((r = read(fd, p->data + got, p->len + 1 -
	    got)) > 0 || (r == -1 && errno == EINTR)))
		if (r > 0)
			got += (size_t)r;
	if (got != p->len) {
		warnx("%s: changed while read; refused", path);
		goto out;
	}
	if (!package_is_deb(p->data, p->len)) {
		warnx("%s: not a Debian binary package (an ar archive "
		    "starting with debian-binary 2.0 and control.tar); "
		    "refused", path);
		goto out;
	}
	if (!control_fields(path, p->data, p->len, f) ||
	    !name_package(path, p, f))
		goto out;
	base = (base = strrchr(path, '/')) != NULL ? base + 1 : path;
	if (strcmp(base, p->file) != 0) {
		warnx("%s: its control file names it %s; refused (rename it "
		    "or pick the right file)", path, p->file);
		goto out;
	}
	SHA256(p->data, p->len, p->sha256);
	ok = 1;
 out:
	close(fd);
	if (!ok) {
		package_free(p);
		p = NULL;
	}
	return p;
}

/* Free p and its bytes; NULL is fine. */
void
package_free(struct package *p)
{
	if (p == NULL)
		return;
	free(p->data);
	free(p);
}

/*
 * The trusted comment of p's signature made at created into out
 * (PACKAGE_COMMENT_MAX is enough).  Returns 1, or 0 when it does not
 * fit or created is out of range.
 */
int
package_comment(const struct package *p, int64_t created, char *out,
    size_t outlen)
{
	char	 hex[65];
	int	 n;

	if (created < 1)
		return 0;
	hex_encode(p->sha256, 32, hex);
	n = snprintf(out, outlen, "format:%s\tfile:%s\tcreated:%lld\t"
	    "size:%zu\tsha256:%s", PACKAGE_FORMAT, p->file,
	    (long long)created, p->len, hex);
	return n > 0 && (size_t)n < outlen;
}

/*
 * Parse the trusted comment t (len bytes) of a package signature into
 * pm.  Only the canonical text package_comment() writes passes: five
 * fields in order, single TABs, numbers without sign or leading zero,
 * lower-case hex.  Returns 1, or 0 with why.
 */
int
package_comment_parse(const char *t, size_t len, struct package_meta *pm,
    char *why, size_t whylen)
{
	struct package	 p;
	const char	*s = t, *end = t + len, *tab, *v;
	char		 again[PACKAGE_COMMENT_MAX];
	size_t		 vlen, klen;
	int		 f;

	memset(pm, 0, sizeof(*pm));
	if (len == 0 || len >= PACKAGE_COMMENT_MAX ||
	    memchr(t, '\0', len) != NULL) {
		snprintf(why, whylen, "not a trusted comment");
		return 0;
	}
	for (f = 0; f < P__MAX; f++, s = tab + 1) {
		tab = s < end ? memchr(s, '\t', (size_t)(end - s)) : NULL;
		if (tab == NULL)
			tab = end;
		klen = strlen(pfields[f]);
		if ((size_t)(tab - s) <= klen ||
		    memcmp(s, pfields[f], klen) != 0 || s[klen] != ':' ||
		    (tab == end) != (f == P__MAX - 1)) {
			snprintf(why, whylen, "field %d must be '%s:'", f + 1,
			    pfields[f]);
			return 0;
		}
		v = s + klen + 1;
		vlen = (size_t)(tab - v);
		if ((f == P_FORMAT && (vlen != strlen(PACKAGE_FORMAT) ||
		    memcmp(v, PACKAGE_FORMAT, vlen) != 0)) ||
		    (f == P_FILE && !file_ok(v, vlen)) ||
		    (f == P_CREATED && !num_u63(v, vlen, &pm->created)) ||
		    (f == P_SIZE && !num_u63(v, vlen, &pm->size)) ||
		    (f == P_SHA256 && (vlen != 64 ||
		    !only(v, vlen, "0123456789abcdef") ||
		    !hex_decode(v, vlen, pm->sha256, 32)))) {
			snprintf(why, whylen, "%s is not in its grammar",
			    pfields[f]);
			return 0;
		}
		if (f == P_FILE)
			memcpy(pm->file, v, vlen);
	}
	/* The one text for these values, or refused. */
	memset(&p, 0, sizeof(p));
	memcpy(p.file, pm->file, sizeof(p.file));
	memcpy(p.sha256, pm->sha256, sizeof(p.sha256));
	p.len = (size_t)pm->size;
	if (!package_comment(&p, (int64_t)pm->created, again,
	    sizeof(again)) || strlen(again) != len ||
	    memcmp(again, t, len) != 0) {
		snprintf(why, whylen, "not in canonical form");
		return 0;
	}
	return 1;
}

/*
 * Record that p is handed out: its bytes in the body table (the signer
 * signs only a package the database holds) and an audit row
 * "package-export" naming it, with its sha256, in one transaction.
 * Returns 1, or 0 after a warning with nothing recorded.
 */
int
package_record(sqlite3 *db, const struct package *p, const char *actor)
{
	sqlite3_stmt	*st = NULL;
	char		 hex[65];
	int		 ok = 0;

	hex_encode(p->sha256, 32, hex);
	if (!db_begin(db) || (st = db_prepare(db, "INSERT OR IGNORE INTO "
	    "body (sha256, size, data) VALUES (?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->len);
	sqlite3_bind_blob(st, 3, p->data, (int)p->len, SQLITE_STATIC);
	if (!db_step_done(db, st) || !audit_append(db, actor,
	    "package-export", p->file, json_pack("{s:s, s:s, s:s, s:s, s:I}",
	    "file", p->file, "version", p->version, "architecture", p->arch,
	    "sha256", hex, "size", (json_int_t)p->len)) || !db_commit(db))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	if (!ok)
		db_rollback(db);
	return ok;
}
