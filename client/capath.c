/*
 * capath.c - "--capath DIR": an OpenSSL hashed directory laid out as
 * "openssl rehash" lays it out (<subject-hash>.N, one PEM certificate
 * each, duplicates skipped), replaced as a whole.
 *
 * DIR is a symbolic link to a sibling tree ".NAME.cabundle-XXXXXX",
 * built completely (every file fsynced) before one rename(2) swaps the
 * link: OpenSSL, which opens the files one by one as it needs them,
 * sees the old set or the new set, never a mix.  The tree also holds
 * the whole bundle as cacert.pem, against which status checks the
 * recorded sha256.  A real directory found at DIR on the first install
 * is swapped out with renameat2(RENAME_EXCHANGE) and kept as
 * DIR-backup; a symbolic link found there is kept as DIR-backup too.
 *
 * Everything happens in DIR's parent, opened by safepath_open_parent()
 * (the ownership rule), with the *at() calls: a tree is removed only
 * when it is a real directory of ours with our name pattern, and only
 * the regular files in it; an entry named like a tree that we did not
 * make is refused before anything is done (SECURITY.md, "Local
 * attackers").
 *
 * The tree machinery (build, swap, rollback, commit, restore) does not
 * care what a tree holds besides cacert.pem: a struct treekind fills a
 * new tree and checks an old one, the hashed files here, an NSS
 * database for --nssdb (nssdb.c).
 */
#define _GNU_SOURCE		/* renameat2, RENAME_EXCHANGE */
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

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "atomic.h"
#include "bundle.h"
#include "encode.h"
#include "extern.h"

#define TREE_TAG	ATOMIC_TAG
#define TREE_BUNDLE	"cacert.pem"

/* One file of the tree: its name and the certificate it holds. */
struct hashed {
	char			 name[24];
	const struct cert	*c;
};

/* dir's parent and last component; refuses "/", "." and "..". */
static int
split(const char *dir, char *parent, size_t plen, const char **base)
{
	const char	*s = strrchr(dir, '/');

	if (s == NULL || s[1] == '\0' || strcmp(s + 1, ".") == 0 ||
	    strcmp(s + 1, "..") == 0 || (size_t)(s - dir) + 2 > plen)
		return 0;
	if (s == dir)
		snprintf(parent, plen, "/");
	else {
		memcpy(parent, dir, (size_t)(s - dir));
		parent[s - dir] = '\0';
	}
	*base = s + 1;
	return 1;
}

/* Is name a tree this code makes for base: ".base.cabundle-XXXXXX"? */
static int
is_tree(const char *base, const char *name)
{
	size_t	 n = strlen(base);

	return name[0] == '.' && strncmp(name + 1, base, n) == 0 &&
	    strncmp(name + 1 + n, TREE_TAG, sizeof(TREE_TAG) - 1) == 0 &&
	    strlen(name + 1 + n + sizeof(TREE_TAG) - 1) == 6 &&
	    strchr(name, '/') == NULL;
}

/* The parent of dir, opened by the rule, and dir's name in it. */
static int
parent_open(const char *dir, const char **base)
{
	char	 name[NAME_MAX + 1];
	int	 pfd;

	if ((pfd = safepath_open_parent(dir, 0, name, sizeof(name))) == -1 &&
	    errno == ENOENT)
		warn("%s", dir);
	*base = strrchr(dir, '/') + 1;
	return pfd;
}

/*
 * 1 when name in pfd is what this code makes: a real directory (a
 * temporary link if link) owned by us.
 */
static int
ours(int pfd, const char *name, int link, struct stat *st)
{
	return fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st->st_uid == geteuid() && (link ? S_ISLNK(st->st_mode) :
	    S_ISDIR(st->st_mode));
}

/*
 * Remove the directory name in pfd (dir names pfd's place, for
 * messages) if it is ours: a directory this user owns, still the one
 * looked at when opened; its regular files, then it.  Anything else is
 * left alone, with a warning.  capath's trees and system.c's stage.
 */
void
tree_rmdir(int pfd, const char *dir, const char *name)
{
	struct stat	 st, dst;
	DIR		*d;
	struct dirent	*e;
	int		 fd;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT)
		return;		/* gone already */
	if (!ours(pfd, name, 0, &st)) {
		warnx("%s: %s beside it is not a directory cabundle made; left "
		    "alone (SECURITY.md: local attackers)", dir, name);
		return;
	}
	if ((fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(fd, &dst) == -1 ||
	    dst.st_dev != st.st_dev || dst.st_ino != st.st_ino ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		warnx("%s: %s changed while we looked; left alone", dir, name);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode))
			warnx("%s/%s: not a file cabundle made; left alone",
			    name, e->d_name);
		else if (unlinkat(dirfd(d), e->d_name, 0) == -1)
			warn("%s/%s", name, e->d_name);
	}
	closedir(d);
	if (unlinkat(pfd, name, AT_REMOVEDIR) == -1)
		warn("%s beside %s", name, dir);
}

/* Remove tree name in pfd (dir's parent) if it is one of ours. */
static void
tree_remove_at(int pfd, const char *dir, const char *name)
{
	if (is_tree(strrchr(dir, '/') + 1, name))
		tree_rmdir(pfd, dir, name);
}

/* tree_remove_at() with the parent opened here. */
static void
tree_remove(const char *dir, const char *name)
{
	const char	*base;
	int		 pfd;

	if ((pfd = parent_open(dir, &base)) == -1)
		return;
	tree_remove_at(pfd, dir, name);
	close(pfd);
}

/*
 * Remove every tree of ours beside dir except keep (NULL: all), and
 * the temporary links a killed run left: what an interrupted install,
 * or a DIR removed or replaced by hand, would otherwise leave forever.
 */
static void
trees_sweep(const char *dir, const char *keep)
{
	char		 name[NAME_MAX + 1];
	const char	*base;
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	size_t		 n;
	int		 pfd, fd;

	if ((pfd = parent_open(dir, &base)) == -1)
		return;
	if ((fd = dup(pfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		close(pfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (snprintf(name, sizeof(name), "%s", e->d_name) >=
		    (int)sizeof(name))
			continue;
		n = strlen(name);
		if (n > 5 && strcmp(name + n - 5, ".link") == 0) {
			name[n - 5] = '\0';
			if (is_tree(base, name) && ours(pfd, e->d_name, 1,
			    &st))
				(void)unlinkat(pfd, e->d_name, 0);
			continue;
		}
		if (is_tree(base, name) && (keep == NULL ||
		    strcmp(name, keep) != 0))
			tree_remove_at(pfd, dir, name);
	}
	closedir(d);
	close(pfd);
}

/*
 * Before an install into t->path: DIR is missing, a directory or a
 * link, and every name beside it that looks like one of our trees (or
 * their temporary links) is ours; an entry planted under such a name
 * would otherwise be swept as ours.  Returns 1, or 0 after a warning
 * naming the entry.
 */
int
capath_check(struct target *t)
{
	char		 name[NAME_MAX + 1];
	const char	*base;
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	size_t		 n;
	int		 pfd, fd, link, ok = 0;

	if ((pfd = parent_open(t->path, &base)) == -1)
		return 0;
	if (fstatat(pfd, base, &t->st, AT_SYMLINK_NOFOLLOW) == 0) {
		t->exists = 1;
		if (!S_ISDIR(t->st.st_mode) && !S_ISLNK(t->st.st_mode)) {
			warnx("%s: neither a directory nor a symbolic link; "
			    "not replaced", t->path);
			goto out;
		}
	}
	if ((fd = dup(pfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		warn("%s", t->path);
		if (fd != -1)
			close(fd);
		goto out;
	}
	ok = 1;
	while (ok && (e = readdir(d)) != NULL) {
		if (snprintf(name, sizeof(name), "%s", e->d_name) >=
		    (int)sizeof(name))
			continue;
		n = strlen(name);
		if ((link = n > 5 && strcmp(name + n - 5, ".link") == 0))
			name[n - 5] = '\0';
		memset(&st, 0, sizeof(st));
		if (is_tree(base, name) && !ours(pfd, e->d_name, link, &st)) {
			warnx("%s: %s beside it is named like a cabundle tree "
			    "but cabundle did not make it (uid %u); refusing "
			    "(SECURITY.md: local attackers)", t->path,
			    e->d_name, (unsigned)st.st_uid);
			ok = 0;
		}
	}
	closedir(d);
 out:
	close(pfd);
	return ok;
}

/*
 * der as one PEM CERTIFICATE block, 64 columns, appended to b (also
 * system.c's files).  Returns 1, or 0 when b's cap is reached.
 */
int
pem_put(struct buf *b, const unsigned char *der, size_t len)
{
	unsigned char	 line[65];
	size_t		 i, n;

	if (!buf_append(b, "-----BEGIN CERTIFICATE-----\n", 28))
		return 0;
	for (i = 0; i < len; i += n) {
		n = len - i < 48 ? len - i : 48;
		EVP_EncodeBlock(line, der + i, (int)n);
		if (!buf_append(b, line, strlen((char *)line)) ||
		    !buf_append(b, "\n", 1))
			return 0;
	}
	return buf_append(b, "-----END CERTIFICATE-----\n", 26);
}

/*
 * The files for body: "<hash>.N" per distinct certificate, N counting
 * up among equal hashes in bundle order.  Returns the count with *bp
 * and *hp to free, or -1 after a warning.
 */
static int
plan(const unsigned char *body, size_t len, struct bundle **bp,
    struct hashed **hp)
{
	struct bundle_error	 e;
	struct bundle		*b;
	struct hashed		*h;
	unsigned long		*hash;
	char			 why[256];
	size_t			 i, k, n = 0, same;

	*hp = NULL;
	if ((*bp = b = bundle_read(body, len, BUNDLE_DER_ONLY, &e)) ==
	    NULL) {
		warnx("not a certificate bundle: %s", e.msg);
		return -1;
	}
	h = calloc(b->ncerts, sizeof(*h));
	hash = calloc(b->ncerts, sizeof(*hash));
	if (h == NULL || hash == NULL) {
		warn(NULL);
		goto fail;
	}
	for (i = 0; i < b->ncerts; i++) {
		for (k = 0; k < n; k++)
			if (memcmp(h[k].c->sha256, b->certs[i].sha256, 32) == 0)
				break;
		if (k < n)
			continue;	/* rehash skips duplicates too */
		if (!cert_shape(b->certs[i].der, b->certs[i].derlen, &hash[n],
		    why, sizeof(why))) {
			warnx("certificate %zu: %s", i + 1, why);
			goto fail;
		}
		for (k = same = 0; k < n; k++)
			same += hash[k] == hash[n];
		snprintf(h[n].name, sizeof(h[n].name), "%08lx.%zu", hash[n],
		    same);
		h[n++].c = &b->certs[i];
	}
	free(hash);
	*hp = h;
	return (int)n;
 fail:
	free(hash);
	free(h);
	bundle_free(b);
	*bp = NULL;
	return -1;
}

/*
 * Write the new file name in dfd, len bytes from p, and fsync it;
 * tree is dfd's path, for messages.  Refuses a name already there, a
 * link included (O_EXCL).  Returns 1, or 0 after a warning (a file
 * half written is left for the caller, who removes the whole tree).
 */
int
tree_put(int dfd, const char *tree, const char *name, const void *p,
    size_t len)
{
	char	 path[PATH_MAX];
	int	 fd, ok;

	snprintf(path, sizeof(path), "%s/%s", tree, name);
	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		warn("%s", path);
		return 0;
	}
	ok = atomic_fill(fd, path, p, len);
	close(fd);
	return ok;
}

/* mkdtemp(3) in pfd: tree ends in XXXXXX; its last component is made. */
static int
tree_mkdir(int pfd, char *tree)
{
	char	*name = strrchr(tree, '/') + 1;
	int	 tries;

	for (tries = 0; tries < 100; tries++) {
		if (!atomic_suffix(tree + strlen(tree) - 6, 6))
			return 0;
		if (mkdirat(pfd, name, 0700) == 0)
			return 1;
		if (errno != EEXIST)
			return 0;
	}
	return 0;
}

/*
 * The hashed files of body into the new tree dfd (path tree): the
 * capath kind's fill.  Returns 1, or 0 after a warning.
 */
static int
hashed_fill(int dfd, const char *tree, const unsigned char *body,
    size_t len)
{
	struct bundle	*b = NULL;
	struct hashed	*h = NULL;
	struct buf	 pem;
	int		 i, n, ok = 0;

	buf_init(&pem, 65536);
	if ((n = plan(body, len, &b, &h)) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(&pem);
		if (!pem_put(&pem, h[i].c->der, h[i].c->derlen) ||
		    !tree_put(dfd, tree, h[i].name, pem.data, pem.len))
			goto out;
	}
	ok = 1;
 out:
	buf_free(&pem);
	free(h);
	bundle_free(b);
	return ok;
}

/*
 * Build a complete tree for body beside dir, its contents made by
 * kind->fill, then cacert.pem; its path goes to tree.  Returns 1, or
 * 0 after a warning with nothing left behind.
 */
static int
tree_build(const char *dir, const unsigned char *body, size_t len,
    const struct treekind *kind, char *tree, size_t tlen)
{
	char		 parent[PATH_MAX];
	const char	*base;
	int		 pfd = -1, dfd = -1, made = 0, ok = 0;

	if (!split(dir, parent, sizeof(parent), &base) ||
	    snprintf(tree, tlen, "%s/.%s" TREE_TAG "XXXXXX", parent, base) >=
	    (int)tlen) {
		warnx("%s: not a directory path we can use", dir);
		return 0;
	}
	if ((pfd = parent_open(dir, &base)) == -1)
		goto out;
	if (!tree_mkdir(pfd, tree)) {
		warn("%s", tree);
		goto out;
	}
	made = 1;
	if ((dfd = openat(pfd, strrchr(tree, '/') + 1, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		warn("%s", tree);
		goto out;
	}
	if (!kind->fill(dfd, tree, body, len) ||
	    !tree_put(dfd, tree, TREE_BUNDLE, body, len))
		goto out;
	if (fchmod(dfd, 0755) == -1 || fsync(dfd) == -1) {
		warn("%s", tree);
		goto out;
	}
	ok = 1;
 out:
	if (dfd != -1)
		close(dfd);
	if (!ok && made)
		tree_remove_at(pfd, dir, strrchr(tree, '/') + 1);
	if (pfd != -1)
		close(pfd);
	return ok;
}

/*
 * The capath kind's check of tree (a path) against body: the hashed
 * files are exactly the ones it makes, byte for byte, with nothing
 * else beside cacert.pem.  Returns 1 or 0.
 */
static int
hashed_holds(const char *tree, const unsigned char *body, size_t len)
{
	char		 path[PATH_MAX];
	struct buf	 want, got;
	struct stat	 st;
	struct bundle	*b = NULL;
	struct hashed	*h = NULL;
	DIR		*d = NULL;
	struct dirent	*e;
	int		 i, n, entries = 0, ok = 0;

	buf_init(&want, 65536);
	buf_init(&got, 65536);
	if ((n = plan(body, len, &b, &h)) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(&want);
		buf_reset(&got);
		if (snprintf(path, sizeof(path), "%s/%s", tree, h[i].name) >=
		    (int)sizeof(path) ||
		    !pem_put(&want, h[i].c->der, h[i].c->derlen) ||
		    lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
		    !buf_readfile(&got, path) || got.len != want.len ||
		    memcmp(got.data, want.data, got.len) != 0)
			goto out;
	}
	if ((d = opendir(tree)) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL)
		entries += strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0;
	ok = entries == n + 1;
 out:
	if (d != NULL)
		closedir(d);
	buf_free(&want);
	buf_free(&got);
	free(h);
	bundle_free(b);
	return ok;
}

/*
 * Whether dir is our link to a complete tree of the bundle with this
 * sha256: cacert.pem has it, and kind->holds finds the rest made from
 * it.  Returns 1 or 0.
 */
int
tree_holds(const char *dir, const char *sha_hex, const struct treekind *kind)
{
	char		 parent[PATH_MAX], link[PATH_MAX], tree[PATH_MAX];
	char		 hex[65];
	const char	*base;
	unsigned char	 md[32];
	struct buf	 body;
	struct stat	 st;
	ssize_t		 ll;
	int		 ok = 0;

	buf_init(&body, BODY_MAX);
	if (!split(dir, parent, sizeof(parent), &base) ||
	    (ll = readlink(dir, link, sizeof(link) - 1)) <= 0)
		goto out;
	link[ll] = '\0';
	if (!is_tree(base, link) || snprintf(tree, sizeof(tree), "%s/%s/"
	    TREE_BUNDLE, parent, link) >= (int)sizeof(tree) ||
	    lstat(tree, &st) == -1 || !S_ISREG(st.st_mode) ||
	    !buf_readfile(&body, tree))
		goto out;
	SHA256(body.data, body.len, md);
	hex_encode(md, 32, hex);
	if (strcmp(hex, sha_hex) != 0)
		goto out;
	*strrchr(tree, '/') = '\0';
	ok = kind->holds(tree, body.data, body.len);
 out:
	buf_free(&body);
	return ok;
}

static const struct treekind hashed_kind = { hashed_fill, hashed_holds };

/* Whether dir is our link to a complete hashed tree of sha_hex. */
int
capath_holds(const char *dir, const char *sha_hex)
{
	return tree_holds(dir, sha_hex, &hashed_kind);
}

/* Point base in pfd at target, atomically, through link tmp beside it. */
static int
link_swap(int pfd, const char *dir, const char *target, const char *tmp)
{
	const char	*base = strrchr(dir, '/') + 1;

	(void)unlinkat(pfd, tmp, 0);
	if (symlinkat(target, pfd, tmp) == -1) {
		warn("%s: %s", dir, tmp);
		return 0;
	}
	if (renameat(pfd, tmp, pfd, base) == -1) {
		warn("%s: rename", dir);
		(void)unlinkat(pfd, tmp, 0);
		return 0;
	}
	return 1;
}

/* The identity of name in pfd (a directory or link) into id. */
static int
dir_id(int pfd, const char *name, struct fileid *id)
{
	struct stat	 st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->sha256[0] = '\0';
	return 1;
}

/* DIR is a link: keep it as bak (first install), then swap it. */
static int
replace_link(struct target *t, int pfd, int keep, const char *bak,
    const char *tree, const char *tmp)
{
	char	 old[PATH_MAX];
	ssize_t	 ll;

	if ((ll = readlinkat(pfd, strrchr(t->path, '/') + 1, old,
	    sizeof(old) - 1)) <= 0) {
		warn("%s", t->path);
		return 0;
	}
	old[ll] = '\0';
	if ((t->oldlink = strdup(old)) == NULL)
		return 0;
	if (keep) {
		if ((t->backup = strdup(bak)) == NULL)
			return 0;
		/* Never a name found there: symlinkat does not replace. */
		if (symlinkat(old, pfd, strrchr(bak, '/') + 1) == -1) {
			if (errno == EEXIST)
				warnx("%s: already there, and cabundle did not "
				    "make it as the original of %s: refusing to "
				    "adopt it; move it away", bak, t->path);
			else
				warn("%s", bak);
			return 0;
		}
		t->backup_made = 1;
		(void)dir_id(pfd, strrchr(bak, '/') + 1, &t->bid);
	}
	return link_swap(pfd, t->path, tree, tmp);
}

/* DIR is a directory: exchange it with our link, then move it to bak. */
static int
replace_dir(struct target *t, int pfd, const char *bak, const char *tree,
    const char *tmp)
{
	const char	*base = strrchr(t->path, '/') + 1;
	const char	*bname = strrchr(bak, '/') + 1;
	struct stat	 st;

	if (fstatat(pfd, bname, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT) {
		warnx("%s: a directory, and %s is taken: move one of them "
		    "away", t->path, bak);
		return 0;
	}
	if ((t->backup = strdup(bak)) == NULL)
		return 0;
	(void)unlinkat(pfd, tmp, 0);
	if (symlinkat(tree, pfd, tmp) == -1) {
		warn("%s: %s", t->path, tmp);
		return 0;
	}
	if (renameat2(pfd, tmp, pfd, base, RENAME_EXCHANGE) == -1) {
		warn("%s: exchange", t->path);
		(void)unlinkat(pfd, tmp, 0);
		return 0;
	}
	/* tmp is the original directory now. */
	if (renameat2(pfd, tmp, pfd, bname, RENAME_NOREPLACE) == -1) {
		warn("%s: rename", bak);
		(void)renameat2(pfd, tmp, pfd, base, RENAME_EXCHANGE);
		(void)unlinkat(pfd, tmp, 0);
		return 0;
	}
	t->backup_made = t->wasdir = 1;
	(void)dir_id(pfd, bname, &t->bid);
	return 1;
}

/*
 * Install body into the tree directory t->path, its contents made by
 * kind (the hashed files of --capath, nssdb.c's database).  keep: this
 * is the first install there, so what DIR is now (a directory or a
 * link) is
 * kept as DIR-backup, made by us: a DIR-backup already there is
 * refused.  Returns 1 with t->replaced set; 0 after a warning with DIR
 * as it was.  Refuses DIR being neither missing, a directory nor a
 * link.
 */
int
tree_replace(struct target *t, const unsigned char *body, size_t len,
    int keep, const struct treekind *kind)
{
	char		 tree[PATH_MAX], tmp[NAME_MAX + 1], bak[PATH_MAX];
	const char	*base, *tname;
	struct stat	 st;
	int		 pfd = -1, ok = 0;

	if (!tree_build(t->path, body, len, kind, tree, sizeof(tree)))
		return 0;
	tname = strrchr(tree, '/') + 1;
	if ((t->tree = strdup(tree)) == NULL) {
		warn(NULL);
		goto fail;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.link", tname) >= (int)sizeof(tmp) ||
	    snprintf(bak, sizeof(bak), "%s-backup", t->path) >=
	    (int)sizeof(bak) || (pfd = parent_open(t->path, &base)) == -1)
		goto fail;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			warn("%s", t->path);
			goto fail;
		}
		ok = link_swap(pfd, t->path, tname, tmp);
	} else if (S_ISLNK(st.st_mode))
		ok = replace_link(t, pfd, keep, bak, tname, tmp);
	else if (S_ISDIR(st.st_mode))
		ok = replace_dir(t, pfd, bak, tname, tmp);
	else
		warnx("%s: neither a directory nor a symbolic link; not "
		    "replaced", t->path);
	if (!ok)
		goto fail;
	t->replaced = 1;
	ok = fsync(pfd) == 0;	/* else replaced; the caller rolls back */
	if (!ok)
		warn("%s: fsync of its directory", t->path);
	close(pfd);
	return ok;
 fail:
	if (t->backup_made && !t->wasdir && pfd != -1)
		(void)unlinkat(pfd, strrchr(bak, '/') + 1, 0);
	t->backup_made = 0;
	if (pfd != -1)
		close(pfd);
	tree_remove(t->path, tname);
	free(t->tree);
	t->tree = NULL;
	return 0;
}

/* tree_replace() with the hashed files of --capath. */
int
capath_replace(struct target *t, const unsigned char *body, size_t len,
    int keep)
{
	return tree_replace(t, body, len, keep, &hashed_kind);
}

/* Undo capath_replace: DIR as it was, the new tree gone. */
void
capath_rollback(struct target *t)
{
	char		 tmp[NAME_MAX + 1];
	const char	*base;
	int		 pfd;

	if (t->replaced != 1)
		return;
	if ((pfd = parent_open(t->path, &base)) == -1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.link", strrchr(t->tree, '/') + 1);
	if (t->wasdir) {
		if (renameat2(pfd, strrchr(t->backup, '/') + 1, pfd, base,
		    RENAME_EXCHANGE) == -1)
			warn("%s: cannot put back %s", t->path, t->backup);
		else if (unlinkat(pfd, strrchr(t->backup, '/') + 1, 0) == -1)
			warn("%s", t->backup);
	} else {
		if (t->oldlink != NULL)
			(void)link_swap(pfd, t->path, t->oldlink, tmp);
		else if (unlinkat(pfd, base, 0) == -1)
			warn("%s: cannot remove", t->path);
		if (t->backup_made && unlinkat(pfd, strrchr(t->backup, '/') +
		    1, 0) == -1)
			warn("%s", t->backup);
	}
	t->backup_made = 0;
	tree_remove_at(pfd, t->path, strrchr(t->tree, '/') + 1);
	(void)fsync(pfd);
	close(pfd);
	t->replaced = 0;
}

/*
 * After the state is saved: every other tree of ours beside DIR goes,
 * the one it pointed to before included.
 */
void
capath_commit(struct target *t)
{
	if (t->replaced == 1)
		trees_sweep(t->path, strrchr(t->tree, '/') + 1);
}

/*
 * cabundle restore of a hashed directory.  backup: "" when there was
 * nothing at dir before (the link goes), else the original kept
 * beside it, put back only when it is the one recorded as id (its
 * device and inode).  dir must be our link to one of our trees.  Every
 * tree of ours beside dir is removed.  Returns 1, or 0 after a warning.
 */
int
capath_restore(const char *dir, const char *backup, const json_t *id)
{
	char		 link[PATH_MAX];
	const char	*base, *bname = strrchr(backup, '/');
	struct stat	 st;
	ssize_t		 ll;
	int		 pfd, ok = 0;

	if ((pfd = parent_open(dir, &base)) == -1)
		return 0;
	if ((ll = readlinkat(pfd, base, link, sizeof(link) - 1)) <= 0 ||
	    (link[ll] = '\0', !is_tree(base, link))) {
		warnx("%s: not the link cabundle made; left alone", dir);
		close(pfd);
		trees_sweep(dir, NULL);
		return 0;
	}
	if (*backup == '\0') {
		if (unlinkat(pfd, base, 0) == -1) {
			warn("%s", dir);
			goto out;
		}
	} else if (fstatat(pfd, ++bname, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", backup);
		goto out;
	} else if (!fileid_match(id, &st, NULL)) {
		warnx("%s: not the original cabundle kept (its device and "
		    "inode are not the ones recorded); not restored "
		    "(SECURITY.md: local attackers)", backup);
		goto out;
	} else if (S_ISDIR(st.st_mode)) {
		if (renameat2(pfd, bname, pfd, base, RENAME_EXCHANGE) == -1) {
			warn("%s: exchange with %s", dir, backup);
			goto out;
		}
		if (unlinkat(pfd, bname, 0) == -1)	/* our link, now */
			warn("%s", backup);
	} else if (renameat(pfd, bname, pfd, base) == -1) {
		warn("%s: rename", backup);
		goto out;
	}
	ok = fsync(pfd) == 0;
 out:
	close(pfd);
	if (ok)
		trees_sweep(dir, NULL);
	return ok;
}
