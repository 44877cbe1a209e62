/*
 * system.c - "--system": the machine's own store, the Debian way.
 *
 * The release's certificates go to /usr/local/share/ca-certificates/
 * cabundle/ as cabundle_<sha256 prefix>.crt, one each (with the whole
 * release as cacert.pem, which update-ca-certificates does not read);
 * every certificate /etc/ca-certificates.conf selects is deselected
 * ("!mozilla/NAME.crt"); debconf's ca-certificates/trust_new_crts is
 * set to "no", so that an upgrade of the package adds nothing; then
 * /usr/sbin/update-ca-certificates rebuilds /etc/ssl/certs, its
 * ca-certificates.crt and, through its hooks, the Java store.  The
 * install is checked: ca-certificates.crt must then hold exactly the
 * release's certificates.
 *
 * The directory is built outside the tree update-ca-certificates
 * searches (as /usr/local/share/.ca-certificates.cabundle-XXXXXX) and
 * exchanged into place with one renameat2(2).  A certificate file
 * under /usr/local/share/ca-certificates that cabundle did not put
 * there, or a symbolic link there (find -L follows it), refuses the
 * install: the store would hold more than the release.  The original
 * ca-certificates.conf is kept as ca-certificates.conf-backup and the
 * debconf value in the state, for restore.
 */
#define _GNU_SOURCE		/* renameat2 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include "atomic.h"
#include "bundle.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"

#define SYS_LOCAL	"/usr/local/share/ca-certificates"
#define SYS_OURS	"cabundle"
#define SYS_SHARE	"/usr/local/share"
#define SYS_STAGE	".ca-certificates" ATOMIC_TAG "XXXXXX"
#define SYS_CONF	"/etc/ca-certificates.conf"
#define SYS_CONF_BAK	SYS_CONF "-backup"
#define SYS_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#define SYS_JAVA	"/etc/ssl/certs/java/cacerts"
#define SYS_UPDATE	"/usr/sbin/update-ca-certificates"
#define SYS_DEBCONF	"/usr/bin/debconf-communicate"
#define SYS_QUESTION	"ca-certificates/trust_new_crts"
#define SYS_RELEASE	"cacert.pem"
#define SYS_PREFIX	"cabundle_"
#define SYS_HEXLEN	16
#define SYS_CONF_MAX	(1u << 20)
#define SYS_OUT_MAX	4096
#define SYS_DEPTH	8

/* What a rollback needs: each step this run took. */
struct system {
	char		 trust_new[8];	/* debconf as found */
	char		 seen[8];
	char		 stage[NAME_MAX + 1];	/* in SYS_SHARE */
	int		 moved;		/* our new tree is in place */
	int		 exchanged;	/* ... and the old one at stage */
	int		 conf_written;
	int		 debconf_set;
	int		 bak_made;	/* SYS_CONF_BAK, by this run */
	struct fileid	 bid;
	/*
	 * The Java store's bytes: its hook rebuilds it with new entry
	 * dates, so a rollback puts the bytes back.
	 */
	struct buf	 java;
	struct stat	 jst;
	int		 java_kept;
};

/* debconf's frontend: none to ask with (no TERM), none to try. */
static char *const sys_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
	"DEBIAN_FRONTEND=noninteractive", NULL
};

/*
 * Run prog (an absolute path that passes the ownership rule) with
 * argv in a clean environment, in on its standard input (NULL:
 * /dev/null), its standard output into out (NULL: /dev/null).
 * Returns 1 when it exited 0; 0 after a warning.
 */
static int
sys_spawn(const char *prog, char *const argv[], const char *in,
    struct buf *out)
{
	char	 why[256];

	if (!safepath_trusted(prog, "run it as root"))
		return 0;
	if (!child_run(prog, argv, sys_env, in, in != NULL ? strlen(in) : 0,
	    out, why, sizeof(why))) {
		warnx("%s: %s", prog, why);
		return 0;
	}
	return 1;
}

/* Rebuild /etc/ssl/certs and its hooks' stores.  Returns 1 or 0. */
static int
sys_update(void)
{
	char *const	 argv[] = { SYS_UPDATE, NULL };

	return sys_spawn(SYS_UPDATE, argv, NULL, NULL);
}

/*
 * Ask debconf (cmds: protocol lines); every answer must be "0 ...".
 * The value of the first GET and FGET go to val and seen (may be
 * NULL).  Returns 1, or 0 after a warning.
 */
static int
sys_debconf(const char *cmds, char *val, size_t vlen, char *seen,
    size_t slen)
{
	char *const	 argv[] = { SYS_DEBCONF, NULL };
	struct buf	 out;
	char		*s, *line, *save = NULL;
	int		 i, ok = 0;

	buf_init(&out, SYS_OUT_MAX);
	if (!sys_spawn(SYS_DEBCONF, argv, cmds, &out) ||
	    !buf_append(&out, "", 1))
		goto out;
	s = (char *)out.data;
	for (i = 0; (line = strtok_r(s, "\n", &save)) != NULL; i++) {
		s = NULL;
		if (strncmp(line, "0 ", 2) != 0 && strcmp(line, "0") != 0) {
			warnx("%s: %s", SYS_DEBCONF, line);
			goto out;
		}
		if (i == 0 && val != NULL)
			snprintf(val, vlen, "%s", line + 2);
		if (i == 1 && seen != NULL)
			snprintf(seen, slen, "%s", line + 2);
	}
	ok = 1;
 out:
	buf_free(&out);
	return ok;
}

/* Set trust_new_crts to val, its seen flag to seen. */
static int
sys_debconf_set(const char *val, const char *seen)
{
	char	 cmds[256];

	snprintf(cmds, sizeof(cmds), "SET " SYS_QUESTION " %s\nFSET "
	    SYS_QUESTION " seen %s\n", val, seen);
	return sys_debconf(cmds, NULL, 0, NULL, 0);
}

/* 1 when name is one of our certificate files. */
static int
sys_ours_name(const char *name)
{
	size_t	 n = sizeof(SYS_PREFIX) - 1;

	return strncmp(name, SYS_PREFIX, n) == 0 && strlen(name) == n +
	    SYS_HEXLEN + 4 && strspn(name + n, "0123456789abcdef") ==
	    SYS_HEXLEN && strcmp(name + n + SYS_HEXLEN, ".crt") == 0;
}

/* 1 when name ends in ".crt", which update-ca-certificates takes. */
static int
sys_crt(const char *name)
{
	size_t	 n = strlen(name);

	return n >= 4 && strcmp(name + n - 4, ".crt") == 0;
}

/*
 * dir (dfd) under SYS_LOCAL, depth levels down: no symbolic link, no
 * .crt file; our directory is skipped at the top.  Returns 1, or 0
 * after a warning naming the entry.
 */
static int
sys_walk(int dfd, const char *dir, int depth)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 fd, ok = 1;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		warn("%s", dir);
		if (fd != -1)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") ==
		    0 || (depth == 0 && strcmp(e->d_name, SYS_OURS) == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			warn("%s", path);
			ok = 0;
		} else if (S_ISLNK(st.st_mode)) {
			warnx("%s: a symbolic link, which update-ca-certificates "
			    "would follow; the store would not hold exactly the "
			    "release: refusing (SECURITY.md: local attackers)",
			    path);
			ok = 0;
		} else if (S_ISREG(st.st_mode) && sys_crt(e->d_name)) {
			warnx("%s: a certificate cabundle did not put there; "
			    "the store would not hold exactly the release: "
			    "refusing; move it away or have it added to the "
			    "release", path);
			ok = 0;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth == SYS_DEPTH) {
				warnx("%s: too deep", path);
				ok = 0;
			} else if ((fd = openat(dfd, e->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
				warn("%s", path);
				ok = 0;
			} else {
				ok = sys_walk(fd, path, depth + 1);
				close(fd);
			}
		}
	}
	closedir(d);
	return ok;
}

/*
 * Our directory, name in lfd (SYS_LOCAL), missing or a real directory
 * of ours holding only regular files named as we name them.  Returns
 * 1, or 0 after a warning.
 */
static int
sys_ours_ok(int lfd, const char *name, const char *path)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 fd, ok = 1;

	if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 1;
		warn("%s", path);
		return 0;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		warnx("%s: not a directory cabundle made; refusing "
		    "(SECURITY.md: local attackers)", path);
		return 0;
	}
	if (!safepath_rule(&st, path))
		return 0;
	if ((fd = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		warn("%s", path);
		if (fd != -1)
			close(fd);
		return 0;
	}
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    st.st_uid != geteuid() || (!sys_ours_name(e->d_name) &&
		    strcmp(e->d_name, SYS_RELEASE) != 0)) {
			warnx("%s/%s: not a file cabundle made; refusing "
			    "(SECURITY.md: local attackers)", path, e->d_name);
			ok = 0;
		}
	}
	closedir(d);
	return ok;
}

/*
 * SYS_SHARE (into *sfd) and SYS_LOCAL in it (into *lfd, made when
 * mk and missing), both by the ownership rule.  Returns 1, or 0 after
 * a warning.
 */
static int
sys_dirs(int mk, int *sfd, int *lfd)
{
	char		 name[NAME_MAX + 1];
	struct stat	 st;

	*lfd = -1;
	if ((*sfd = safepath_open_parent(SYS_LOCAL, mk ? SP_MKDIR : 0, name,
	    sizeof(name))) == -1) {
		if (errno == ENOENT)
			warnx("%s: missing", SYS_SHARE);
		return 0;
	}
	if (mk && mkdirat(*sfd, name, 0755) == -1 && errno != EEXIST) {
		warn("%s", SYS_LOCAL);
		goto fail;
	}
	if ((*lfd = openat(*sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT || mk)
			warn("%s", SYS_LOCAL);
		goto fail;
	}
	if (fstat(*lfd, &st) == -1 || !safepath_rule(&st, SYS_LOCAL))
		goto fail;
	return 1;
 fail:
	if (*lfd != -1)
		close(*lfd);
	close(*sfd);
	*sfd = *lfd = -1;
	return 0;
}

static int
sys_cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* The sorted sha256s of the certificates of a PEM bundle. */
static int
sys_set(const unsigned char *p, size_t len, unsigned char **set,
    size_t *n)
{
	struct bundle_error	 e;
	struct bundle		*b;
	size_t			 i, k;

	*set = NULL;
	*n = 0;
	if ((b = bundle_read(p, len, BUNDLE_DER_ONLY, &e)) == NULL)
		return 0;
	if ((*set = calloc(b->ncerts, 32)) == NULL) {
		bundle_free(b);
		return 0;
	}
	for (i = 0; i < b->ncerts; i++) {
		for (k = 0; k < *n; k++)
			if (memcmp(*set + 32 * k, b->certs[i].sha256, 32) == 0)
				break;
		if (k == *n)
			memcpy(*set + 32 * (*n)++, b->certs[i].sha256, 32);
	}
	bundle_free(b);
	qsort(*set, *n, 32, sys_cmp32);
	return 1;
}

/*
 * Whether ca-certificates.crt holds exactly the certificates of the
 * release with this sha256, whose copy is our cacert.pem.  Returns 1
 * or 0.
 */
static int
sys_bundle_holds(const char *sha_hex)
{
	struct buf	 rel, cur;
	struct stat	 st;
	unsigned char	*a = NULL, *b = NULL;
	char		 hex[65];
	size_t		 na, nb;
	int		 ok = 0;

	safepath_quiet(1);
	if (!file_read(SYS_LOCAL "/" SYS_OURS "/" SYS_RELEASE, BODY_MAX, &rel,
	    &st)) {
		safepath_quiet(0);
		return 0;
	}
	if (!file_read(SYS_BUNDLE, BUNDLE_MAX_BYTES, &cur, &st)) {
		safepath_quiet(0);
		buf_free(&rel);
		return 0;
	}
	safepath_quiet(0);
	file_sha256(rel.data, rel.len, hex);
	ok = strcmp(hex, sha_hex) == 0 && sys_set(rel.data, rel.len, &a,
	    &na) && sys_set(cur.data, cur.len, &b, &nb) && na == nb &&
	    memcmp(a, b, 32 * na) == 0;
	free(a);
	free(b);
	buf_free(&rel);
	buf_free(&cur);
	return ok;
}

/*
 * conf with every selected line ("mozilla/NAME.crt") deselected
 * ("!mozilla/NAME.crt") into out; comments, blank and "!" lines as
 * they are.  Returns how many lines it deselected, or -1 (memory).
 */
static int
sys_deselect(const struct buf *conf, struct buf *out)
{
	const char	*p = (const char *)conf->data;
	const char	*end = p + conf->len, *nl;
	int		 n = 0;

	for (; p < end; p = nl) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		else
			nl++;
		if (*p != '#' && *p != '!' && *p != '\n') {
			if (!buf_append(out, "!", 1))
				return -1;
			n++;
		}
		if (!buf_append(out, p, (size_t)(nl - p)))
			return -1;
	}
	return n;
}

/*
 * The system store as a target.  Returns EXIT_DONE with t filled, or
 * EXIT_LOCAL after a warning: not a Debian system with the
 * ca-certificates package (no update-ca-certificates or debconf).
 */
int
target_system(struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (access(SYS_UPDATE, X_OK) == -1 || access(SYS_DEBCONF, X_OK) ==
	    -1 || access(SYS_CONF, F_OK) == -1) {
		warnx("--system: %s, %s or %s missing: the Debian "
		    "ca-certificates package is needed", SYS_UPDATE,
		    SYS_DEBCONF, SYS_CONF);
		return EXIT_LOCAL;
	}
	if ((t->path = strdup(SYS_BUNDLE)) == NULL ||
	    (t->sys = calloc(1, sizeof(*t->sys))) == NULL) {
		warn(NULL);
		return EXIT_LOCAL;
	}
	t->kind = "system";
	t->exists = 1;		/* its record's backup is null */
	return EXIT_DONE;
}

/*
 * Before an install: the programs pass the ownership rule, nothing
 * under SYS_LOCAL but our files would add a certificate, our
 * directory holds only our files; the conf goes to t->old, debconf's
 * value to t->sys.  *current: the store holds the release with this
 * sha256 already, conf and debconf included.  Returns 1, or 0 after a
 * warning naming what is refused.
 */
int
system_check(struct target *t, const char *sha_hex, int *current)
{
	struct buf	 des;
	int		 sfd, lfd, ok = 0;

	*current = 0;
	if (!safepath_trusted(SYS_UPDATE, "run it as root") ||
	    !safepath_trusted(SYS_DEBCONF, "run it as root"))
		return 0;
	if (!sys_dirs(0, &sfd, &lfd)) {
		if (sfd == -1 && errno != ENOENT)
			return 0;
	} else {
		ok = sys_walk(lfd, SYS_LOCAL, 0) && sys_ours_ok(lfd, SYS_OURS,
		    SYS_LOCAL "/" SYS_OURS);
		close(lfd);
		close(sfd);
		if (!ok)
			return 0;
	}
	if (!file_read(SYS_CONF, SYS_CONF_MAX, &t->old, &t->st))
		return 0;
	if (t->st.st_nlink > 1) {
		warnx("%s: %lu hard links, refusing to replace a file that "
		    "other names share (SECURITY.md: local attackers)",
		    SYS_CONF, (unsigned long)t->st.st_nlink);
		return 0;
	}
	switch (file_lstat(SYS_JAVA, &t->sys->jst)) {
	case -1:
		return 0;
	case 1:
		if (!file_read(SYS_JAVA, BUNDLE_MAX_BYTES, &t->sys->java,
		    &t->sys->jst))
			return 0;
		t->sys->java_kept = 1;
	}
	if (!sys_debconf("GET " SYS_QUESTION "\nFGET " SYS_QUESTION
	    " seen\n", t->sys->trust_new, sizeof(t->sys->trust_new),
	    t->sys->seen, sizeof(t->sys->seen)))
		return 0;
	buf_init(&des, SYS_CONF_MAX * 2);
	*current = sys_deselect(&t->old, &des) == 0 &&
	    strcmp(t->sys->trust_new, "no") == 0 &&
	    sys_bundle_holds(sha_hex);
	buf_free(&des);
	return 1;
}

/*
 * A complete tree for body in sfd (SYS_SHARE), named into stage: one
 * file per distinct certificate, and the release.  Returns 1, or 0
 * after a warning with nothing left behind.
 */
static int
sys_build(int sfd, const unsigned char *body, size_t len, char *stage,
    size_t slen)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct buf		 pem;
	char			 hex[65], name[64];
	size_t			 i;
	int			 dfd = -1, tries, made = 0, ok = 0;

	if ((b = bundle_read(body, len, BUNDLE_DER_ONLY, &e)) == NULL) {
		warnx("not a certificate bundle: %s", e.msg);
		return 0;
	}
	buf_init(&pem, 65536);
	snprintf(stage, slen, "%s", SYS_STAGE);
	for (tries = 0; tries < 100; tries++) {
		if (!atomic_suffix(stage + strlen(stage) - 6, 6))
			goto out;
		if ((made = mkdirat(sfd, stage, 0700) == 0) || errno != EEXIST)
			break;
	}
	if (!made || (dfd = openat(sfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		warn("%s/%s", SYS_SHARE, stage);
		stage[0] = '\0';
		goto out;
	}
	for (i = 0; i < b->ncerts; i++) {
		hex_encode(b->certs[i].sha256, 32, hex);
		snprintf(name, sizeof(name), SYS_PREFIX "%.*s.crt", SYS_HEXLEN,
		    hex);
		buf_reset(&pem);
		if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;	/* a duplicate; 64 bits tell apart */
		if (!pem_put(&pem, b->certs[i].der, b->certs[i].derlen) ||
		    !tree_put(dfd, stage, name, pem.data, pem.len))
			goto out;
	}
	if (!tree_put(dfd, stage, SYS_RELEASE, body, len) || fchmod(dfd, 0755) ==
	    -1 || fsync(dfd) == -1)
		goto out;
	ok = 1;
 out:
	if (dfd != -1)
		close(dfd);
	if (!ok && made && stage[0] != '\0')
		tree_rmdir(sfd, SYS_SHARE, stage);
	buf_free(&pem);
	bundle_free(b);
	return ok;
}

/*
 * Install body into the system store.  keep: the first install, so
 * the conf as it is now is kept as SYS_CONF_BAK (one found there is
 * refused) and the debconf value goes to the state.  Returns 1 with
 * t->replaced set once update-ca-certificates made a bundle of exactly
 * the release; 0 after a warning, with what was done left for
 * system_rollback().
 */
int
system_replace(struct target *t, const unsigned char *body, size_t len,
    int keep)
{
	struct system	*s = t->sys;
	struct buf	 conf;
	char		 hex[65];
	int		 sfd = -1, lfd = -1, ok = 0;

	buf_init(&conf, SYS_CONF_MAX * 2);
	if (keep) {
		if (!file_backup(SYS_CONF, SYS_CONF_BAK, t->old.data,
		    t->old.len, &t->st, &s->bid))
			goto out;
		s->bak_made = 1;
	}
	if (!sys_dirs(1, &sfd, &lfd) || !sys_build(sfd, body, len, s->stage,
	    sizeof(s->stage)))
		goto out;
	if (renameat2(sfd, s->stage, lfd, SYS_OURS, RENAME_EXCHANGE) == 0)
		s->moved = s->exchanged = 1;
	else if (errno == ENOENT && renameat2(sfd, s->stage, lfd, SYS_OURS,
	    RENAME_NOREPLACE) == 0)
		s->moved = 1;
	else {
		warn("%s/%s", SYS_LOCAL, SYS_OURS);
		tree_rmdir(sfd, SYS_SHARE, s->stage);
		goto out;
	}
	if (fsync(lfd) == -1 || fsync(sfd) == -1) {
		warn("%s", SYS_LOCAL);
		goto out;
	}
	if (sys_deselect(&t->old, &conf) == -1)
		goto out;
	if (conf.len != t->old.len || memcmp(conf.data, t->old.data,
	    conf.len) != 0) {
		s->conf_written = 1;
		if (!file_replace(SYS_CONF, conf.data, conf.len, 0644, &t->st))
			goto out;
	}
	s->debconf_set = 1;
	if (!sys_debconf_set("no", "true") || !sys_update())
		goto out;
	file_sha256(body, len, hex);
	if (!sys_bundle_holds(hex)) {
		warnx("%s: update-ca-certificates made a bundle that is not "
		    "exactly the release's certificates", SYS_BUNDLE);
		goto out;
	}
	t->replaced = 1;
	ok = 1;
 out:
	if (lfd != -1)
		close(lfd);
	if (sfd != -1)
		close(sfd);
	buf_free(&conf);
	return ok;
}

/*
 * Undo what system_replace did, whatever step it reached: our
 * directory, the conf and debconf as they were, then the store rebuilt
 * from them.
 */
void
system_rollback(struct target *t)
{
	struct system	*s = t->sys;
	int		 sfd, lfd, again = 0;

	if (s == NULL)
		return;
	if (s->moved && sys_dirs(0, &sfd, &lfd)) {
		if (s->exchanged ? renameat2(sfd, s->stage, lfd, SYS_OURS,
		    RENAME_EXCHANGE) == -1 : renameat2(lfd, SYS_OURS, sfd,
		    s->stage, RENAME_NOREPLACE) == -1)
			warn("%s/%s: cannot put back", SYS_LOCAL, SYS_OURS);
		else {
			tree_rmdir(sfd, SYS_SHARE, s->stage);
			s->moved = s->exchanged = 0;
		}
		(void)fsync(lfd);
		close(lfd);
		close(sfd);
		again = 1;
	}
	if (s->conf_written) {
		if (file_replace(SYS_CONF, t->old.data, t->old.len, 0644,
		    &t->st))
			s->conf_written = 0;
		again = 1;
	}
	if (s->debconf_set && sys_debconf_set(s->trust_new, s->seen))
		s->debconf_set = 0;
	if (again && sys_update() && s->java_kept)
		(void)file_replace(SYS_JAVA, s->java.data, s->java.len, 0644,
		    &s->jst);
	if (s->bak_made && file_unlink(SYS_CONF_BAK))
		s->bak_made = 0;
	t->replaced = 0;
}

/* After the state is saved: the tree our directory replaced goes. */
void
system_commit(struct target *t)
{
	int	 sfd, lfd;

	if (t->sys == NULL || !t->sys->exchanged || !sys_dirs(0, &sfd, &lfd))
		return;
	tree_rmdir(sfd, SYS_SHARE, t->sys->stage);
	close(lfd);
	close(sfd);
}

/*
 * What restore needs, added to rec, the state's record of t: the
 * conf's original kept by this run (or old's, an earlier record) and
 * the debconf value found.  Returns 1, or 0 (memory).
 */
int
system_record(const struct target *t, json_t *rec, const json_t *old)
{
	const char	*k[] = { "conf_backup_id", "trust_new",
			    "trust_new_seen" };
	size_t		 i;

	if (old != NULL) {
		for (i = 0; i < 3; i++)
			if (json_object_get(old, k[i]) != NULL &&
			    json_object_set(rec, k[i], json_object_get(old,
			    k[i])) == -1)
				return 0;
		return 1;
	}
	return (!t->sys->bak_made || json_object_set_new(rec, k[0],
	    fileid_json(&t->sys->bid)) == 0) &&
	    json_object_set_new(rec, k[1], json_string(t->sys->trust_new)) ==
	    0 && json_object_set_new(rec, k[2], json_string(t->sys->seen)) ==
	    0;
}

/*
 * Whether the system store holds the release with this sha256:
 * ca-certificates.crt has exactly its certificates.  For status.
 */
int
system_holds(const char *sha_hex)
{
	return sys_bundle_holds(sha_hex);
}

/*
 * cabundle restore of the system store (rec: the state's record): our
 * directory goes, the original ca-certificates.conf (only when it is
 * the copy recorded) and the debconf value come back, and
 * update-ca-certificates rebuilds the store.  Returns 1, or 0 after a
 * warning.
 */
int
system_restore(const json_t *rec)
{
	const json_t	*id = json_object_get(rec, "conf_backup_id");
	const char	*tn = json_string_value(json_object_get(rec,
			    "trust_new"));
	const char	*seen = json_string_value(json_object_get(rec,
			    "trust_new_seen"));
	struct buf	 orig;
	struct stat	 st, cur;
	char		 hex[65];
	int		 sfd, lfd, ok = 0;

	buf_init(&orig, SYS_CONF_MAX);
	if (tn == NULL || seen == NULL || (strcmp(tn, "yes") != 0 &&
	    strcmp(tn, "no") != 0 && strcmp(tn, "ask") != 0) ||
	    (strcmp(seen, "true") != 0 && strcmp(seen, "false") != 0)) {
		warnx("%s: the state does not say what debconf's %s was; not "
		    "restored", SYS_BUNDLE, SYS_QUESTION);
		return 0;
	}
	if (id != NULL) {
		if (!file_read(SYS_CONF_BAK, SYS_CONF_MAX, &orig, &st))
			return 0;
		file_sha256(orig.data, orig.len, hex);
		if (!fileid_match(id, &st, hex)) {
			warnx("%s: not the original cabundle kept (not the "
			    "device, inode, size and sha256 recorded); not "
			    "restored (SECURITY.md: local attackers)",
			    SYS_CONF_BAK);
			goto out;
		}
	}
	if (sys_dirs(0, &sfd, &lfd)) {
		ok = sys_ours_ok(lfd, SYS_OURS, SYS_LOCAL "/" SYS_OURS);
		if (ok)
			tree_rmdir(lfd, SYS_LOCAL, SYS_OURS);
		close(lfd);
		close(sfd);
		if (!ok)
			goto out;
		ok = 0;
	}
	if (id != NULL) {
		if (file_lstat(SYS_CONF, &cur) != 1 || !S_ISREG(cur.st_mode))
			cur = st;
		if (!file_replace(SYS_CONF, orig.data, orig.len, 0644, &cur))
			goto out;
		(void)file_unlink(SYS_CONF_BAK);
	}
	if (!sys_debconf_set(tn, seen) || !sys_update())
		goto out;
	printf("%s: restored (%s, debconf %s=%s, update-ca-certificates)\n",
	    SYS_BUNDLE, id != NULL ? SYS_CONF : "our certificates removed",
	    SYS_QUESTION, tn);
	ok = 1;
 out:
	buf_free(&orig);
	return ok;
}

/* Free what system_check() kept. */
void
system_free(struct system *s)
{
	if (s != NULL && s->java_kept)
		buf_free(&s->java);
	free(s);
}
