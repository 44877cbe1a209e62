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

#include "bundle.h"
#include "encode.h"
#include "extern.h"

#define TREE_TAG	".cabundle-"
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

/* Remove tree name beside dir, if it is one of ours: files, then it. */
static void
tree_remove(const char *dir, const char *name)
{
	char		 parent[PATH_MAX], path[PATH_MAX];
	const char	*base;
	DIR		*d;
	struct dirent	*e;

	if (!split(dir, parent, sizeof(parent), &base) || !is_tree(base,
	    name) || snprintf(path, sizeof(path), "%s/%s", parent, name) >=
	    (int)sizeof(path))
		return;
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") !=
		    0 && unlinkat(dirfd(d), e->d_name, 0) == -1)
			warn("%s/%s", path, e->d_name);
	closedir(d);
	if (rmdir(path) == -1)
		warn("%s", path);
}

/*
 * Remove every tree of ours beside dir except keep (NULL: all), and
 * the temporary links a killed run left: what an interrupted install,
 * or a DIR removed or replaced by hand, would otherwise leave forever.
 */
static void
trees_sweep(const char *dir, const char *keep)
{
	char		 parent[PATH_MAX], name[NAME_MAX + 1];
	const char	*base;
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	size_t		 n;

	if (!split(dir, parent, sizeof(parent), &base) ||
	    (d = opendir(parent)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (snprintf(name, sizeof(name), "%s", e->d_name) >=
		    (int)sizeof(name))
			continue;
		n = strlen(name);
		if (n > 5 && strcmp(name + n - 5, ".link") == 0) {
			name[n - 5] = '\0';
			if (is_tree(base, name) && fstatat(dirfd(d),
			    e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				(void)unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (is_tree(base, name) && (keep == NULL ||
		    strcmp(name, keep) != 0))
			tree_remove(dir, name);
	}
	closedir(d);
}

/* der as one PEM CERTIFICATE block, 64 columns, into b. */
static int
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

/* Write a new file name in dfd (tree path for messages), fsynced. */
static int
put_file(int dfd, const char *tree, const char *name, const void *p,
    size_t len)
{
	ssize_t	 w;
	size_t	 off = 0;
	int	 fd, ok = 0;

	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		warn("%s/%s", tree, name);
		return 0;
	}
	while (off < len) {
		if ((w = write(fd, (const char *)p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s/%s", tree, name);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		warn("%s/%s: fsync", tree, name);
		goto out;
	}
	ok = 1;
 out:
	close(fd);
	return ok;
}

/*
 * Build a complete tree for body beside dir; its path goes to tree.
 * Returns 1, or 0 after a warning with nothing left behind.
 */
static int
tree_build(const char *dir, const unsigned char *body, size_t len,
    char *tree, size_t tlen)
{
	char		 parent[PATH_MAX];
	const char	*base;
	struct bundle	*b = NULL;
	struct hashed	*h = NULL;
	struct buf	 pem;
	int		 i, n, dfd = -1, made = 0, ok = 0;

	buf_init(&pem, 65536);
	if (!split(dir, parent, sizeof(parent), &base) ||
	    snprintf(tree, tlen, "%s/.%s" TREE_TAG "XXXXXX", parent, base) >=
	    (int)tlen) {
		warnx("%s: not a directory path we can use", dir);
		return 0;
	}
	if ((n = plan(body, len, &b, &h)) == -1)
		return 0;
	if (mkdtemp(tree) == NULL) {
		warn("%s", tree);
		goto out;
	}
	made = 1;
	if ((dfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", tree);
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&pem);
		if (!pem_put(&pem, h[i].c->der, h[i].c->derlen) ||
		    !put_file(dfd, tree, h[i].name, pem.data, pem.len))
			goto out;
	}
	if (!put_file(dfd, tree, TREE_BUNDLE, body, len))
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
		tree_remove(dir, strrchr(tree, '/') + 1);
	buf_free(&pem);
	free(h);
	bundle_free(b);
	return ok;
}

/*
 * Whether dir is our link to a complete tree of the bundle with this
 * sha256: cacert.pem has it, and the hashed files are exactly the ones
 * it makes, byte for byte, with nothing else.  Returns 1 or 0.
 */
int
capath_holds(const char *dir, const char *sha_hex)
{
	char		 parent[PATH_MAX], link[PATH_MAX], tree[PATH_MAX];
	char		 hex[65];
	const char	*base;
	unsigned char	 md[32];
	struct buf	 body, want, got;
	struct stat	 st;
	struct bundle	*b = NULL;
	struct hashed	*h = NULL;
	DIR		*d = NULL;
	struct dirent	*e;
	ssize_t		 ll;
	int		 i, n, entries = 0, ok = 0;

	buf_init(&body, BODY_MAX);
	buf_init(&want, 65536);
	buf_init(&got, 65536);
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
	if (strcmp(hex, sha_hex) != 0 || (n = plan(body.data, body.len, &b,
	    &h)) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(&want);
		buf_reset(&got);
		if (snprintf(tree, sizeof(tree), "%s/%s/%s", parent, link,
		    h[i].name) >= (int)sizeof(tree) ||
		    !pem_put(&want, h[i].c->der, h[i].c->derlen) ||
		    lstat(tree, &st) == -1 || !S_ISREG(st.st_mode) ||
		    !buf_readfile(&got, tree) || got.len != want.len ||
		    memcmp(got.data, want.data, got.len) != 0)
			goto out;
	}
	if (snprintf(tree, sizeof(tree), "%s/%s", parent, link) >=
	    (int)sizeof(tree) || (d = opendir(tree)) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL)
		entries += strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0;
	ok = entries == n + 1;
 out:
	if (d != NULL)
		closedir(d);
	buf_free(&body);
	buf_free(&want);
	buf_free(&got);
	free(h);
	bundle_free(b);
	return ok;
}

/* Point dir at target, atomically, through a link made beside it. */
static int
link_swap(const char *dir, const char *target, const char *tmp)
{
	(void)unlink(tmp);
	if (symlink(target, tmp) == -1) {
		warn("%s", tmp);
		return 0;
	}
	if (rename(tmp, dir) == -1) {
		warn("%s: rename", dir);
		(void)unlink(tmp);
		return 0;
	}
	return 1;
}

/*
 * Install body into the hashed directory t->path.  keep: this is the
 * first install there, so what DIR is now (a directory or a link) is
 * kept as DIR-backup.  Returns 1 with t->replaced set; 0 after a
 * warning with DIR as it was.  Refuses DIR being neither missing, a
 * directory nor a link, and a DIR-backup already there when a real
 * directory must be moved to it.
 */
int
capath_replace(struct target *t, const unsigned char *body, size_t len,
    int keep)
{
	char		 tree[PATH_MAX], tmp[PATH_MAX + 8], bak[PATH_MAX];
	char		 old[PATH_MAX];
	struct stat	 st;
	ssize_t		 ll;

	if (!tree_build(t->path, body, len, tree, sizeof(tree)))
		return 0;
	if ((t->tree = strdup(tree)) == NULL) {
		warn(NULL);
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), "%s.link", tree);
	if (snprintf(bak, sizeof(bak), "%s-backup", t->path) >=
	    (int)sizeof(bak))
		goto fail;
	if (lstat(t->path, &st) == -1) {
		if (errno != ENOENT) {
			warn("%s", t->path);
			goto fail;
		}
		if (!link_swap(t->path, strrchr(tree, '/') + 1, tmp))
			goto fail;
	} else if (S_ISLNK(st.st_mode)) {
		if ((ll = readlink(t->path, old, sizeof(old) - 1)) <= 0) {
			warn("%s", t->path);
			goto fail;
		}
		old[ll] = '\0';
		if ((t->oldlink = strdup(old)) == NULL)
			goto fail;
		if (keep && lstat(bak, &st) == -1 && errno == ENOENT) {
			if (symlink(old, bak) == -1) {
				warn("%s", bak);
				goto fail;
			}
			t->backup_made = 1;
		}
		if (keep && (t->backup = strdup(bak)) == NULL)
			goto fail;
		if (!link_swap(t->path, strrchr(tree, '/') + 1, tmp))
			goto fail;
	} else if (S_ISDIR(st.st_mode)) {
		if (lstat(bak, &st) == 0 || errno != ENOENT) {
			warnx("%s: a directory, and %s is taken: move one of "
			    "them away", t->path, bak);
			goto fail;
		}
		if ((t->backup = strdup(bak)) == NULL)
			goto fail;
		(void)unlink(tmp);
		if (symlink(strrchr(tree, '/') + 1, tmp) == -1) {
			warn("%s", tmp);
			goto fail;
		}
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, t->path,
		    RENAME_EXCHANGE) == -1) {
			warn("%s: exchange", t->path);
			(void)unlink(tmp);
			goto fail;
		}
		/* tmp is the original directory now. */
		if (rename(tmp, bak) == -1) {
			warn("%s: rename", bak);
			(void)renameat2(AT_FDCWD, tmp, AT_FDCWD, t->path,
			    RENAME_EXCHANGE);
			(void)unlink(tmp);
			goto fail;
		}
		t->backup_made = t->wasdir = 1;
	} else {
		warnx("%s: neither a directory nor a symbolic link; not "
		    "replaced", t->path);
		goto fail;
	}
	t->replaced = 1;
	if (!file_syncdir(t->path))
		return 0;	/* replaced; the caller rolls back */
	return 1;
 fail:
	if (t->backup_made && !t->wasdir)
		(void)unlink(bak);
	t->backup_made = 0;
	tree_remove(t->path, strrchr(tree, '/') + 1);
	free(t->tree);
	t->tree = NULL;
	return 0;
}

/* Undo capath_replace: DIR as it was, the new tree gone. */
void
capath_rollback(struct target *t)
{
	char	 tmp[PATH_MAX + 8];

	if (t->replaced != 1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.link", t->tree);
	if (t->wasdir) {
		if (renameat2(AT_FDCWD, t->backup, AT_FDCWD, t->path,
		    RENAME_EXCHANGE) == -1)
			warn("%s: cannot put back %s", t->path, t->backup);
		else if (unlink(t->backup) == -1)
			warn("%s", t->backup);
	} else {
		if (t->oldlink != NULL)
			(void)link_swap(t->path, t->oldlink, tmp);
		else if (unlink(t->path) == -1)
			warn("%s: cannot remove", t->path);
		if (t->backup_made && unlink(t->backup) == -1)
			warn("%s", t->backup);
	}
	t->backup_made = 0;
	tree_remove(t->path, strrchr(t->tree, '/') + 1);
	(void)file_syncdir(t->path);
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
 * beside it.  Every tree of ours beside dir is removed.  Returns 1, or 0
 * after a warning.
 */
int
capath_restore(const char *dir, const char *backup)
{
	char		 link[PATH_MAX];
	struct stat	 st;
	ssize_t		 ll;

	if ((ll = readlink(dir, link, sizeof(link) - 1)) <= 0) {
		warn("%s: not the link cabundle made", dir);
		trees_sweep(dir, NULL);
		return 0;
	}
	link[ll] = '\0';
	if (*backup == '\0') {
		if (unlink(dir) == -1) {
			warn("%s", dir);
			return 0;
		}
	} else if (lstat(backup, &st) == -1) {
		warn("%s", backup);
		return 0;
	} else if (S_ISDIR(st.st_mode)) {
		if (renameat2(AT_FDCWD, backup, AT_FDCWD, dir,
		    RENAME_EXCHANGE) == -1) {
			warn("%s: exchange with %s", dir, backup);
			return 0;
		}
		if (unlink(backup) == -1)	/* our link, now */
			warn("%s", backup);
	} else if (rename(backup, dir) == -1) {
		warn("%s: rename", backup);
		return 0;
	}
	trees_sweep(dir, NULL);
	return file_syncdir(dir);
}
