/*
 * nssdb.c - "--nssdb DIR": an NSS SQL database (cert9.db, key4.db,
 * pkcs11.txt, as "certutil -N --empty-password" makes them) holding
 * every certificate of the release as a CA trusted for TLS servers
 * (trust "C,,"), for the programs that read NSS databases (Chromium
 * and Firefox profiles, curl and tools built on NSS).
 *
 * The database is a tree beside DIR, swapped in by capath.c's machinery
 * (a symbolic link renamed over DIR, the original kept as DIR-backup,
 * rollback, commit, restore); this file only fills a new tree and
 * checks an old one.  It is built through libnss3 itself, not by
 * running certutil: no program found on a path runs as root, no output
 * is parsed, and one process does what ~150 certutil runs would.
 *
 * What NSS reads besides the tree (SECURITY.md, "NSS databases"): the
 * configuration directory is always given as "sql:TREE", so
 * NSS_DEFAULT_DB_TYPE is not consulted; NSS_SDB_USE_CACHE is forced to
 * "no", so softoken never copies the database into $TMPDIR; the debug
 * variables that make NSS or NSPR write a log file, or wrap a module,
 * where the environment says are removed before NSS starts; the root
 * certificates module (libnssckbi) is never looked for; a tree is only
 * opened when it is a fresh one of ours or the one our link names,
 * and an old one is read with its module database (pkcs11.txt, which
 * could name a library to load) left unread.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <cert.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>

#include "bundle.h"
#include "encode.h"
#include "extern.h"

#define NSS_TRUST	"C,,"	/* a CA trusted to issue TLS server certs */
#define NICK_LABEL_MAX	64

/* The files NSS makes in a tree, beside cacert.pem. */
static const char *const nss_files[] = { "cert9.db", "key4.db",
    "pkcs11.txt" };
#define NSS_NFILES	(sizeof(nss_files) / sizeof(nss_files[0]))

/* The last NSS error, for messages. */
static const char *
nss_error(void)
{
	const char	*s = PR_ErrorToName(PR_GetError());

	return s != NULL ? s : "unknown NSS error";
}

/*
 * The environment NSS and NSPR would otherwise act on: see the comment
 * at the top of this file.
 */
static int
nss_env(void)
{
	static const char *const drop[] = { "NSS_DEBUG_PKCS11_MODULE",
	    "NSS_OUTPUT_FILE", "NSPR_LOG_FILE", "NSPR_LOG_MODULES",
	    "NSPR_TRACE_LOG", "NSS_DEFAULT_DB_TYPE" };
	size_t		 i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (unsetenv(drop[i]) == -1)
			return 0;
	return setenv("NSS_SDB_USE_CACHE", "no", 1) == 0;
}

/*
 * Open the database in tree.  rw: a new database (made, with the
 * module database pkcs11.txt); else an existing one, read only, its
 * pkcs11.txt unread.  Returns the context for NSS_ShutdownContext, or
 * NULL (the caller warns).
 */
static NSSInitContext *
nss_open(const char *tree, int rw)
{
	char		 spec[PATH_MAX + 8];
	PRUint32	 flags = NSS_INIT_NOROOTINIT | NSS_INIT_OPTIMIZESPACE;

	if (!rw)
		flags |= NSS_INIT_READONLY | NSS_INIT_NOMODDB;
	if (!nss_env() || snprintf(spec, sizeof(spec), "sql:%s", tree) >=
	    (int)sizeof(spec))
		return NULL;
	return NSS_InitContext(spec, "", "", "secmod.db", NULL, flags);
}

/*
 * A stable, readable nickname: the certificate's label without what
 * NSS reads as syntax (":" separates a token name) or control bytes,
 * and the first 8 hex digits of its SHA-256, which tell apart two
 * certificates with one label.
 */
static void
nickname(const struct cert *c, char *out, size_t len)
{
	char		 label[NICK_LABEL_MAX + 1], hex[65];
	const char	*l = c->label != NULL ? c->label : "certificate";
	size_t		 i;

	snprintf(label, sizeof(label), "%s", l);
	/* Cut at a character, not inside a UTF-8 sequence. */
	if (strlen(l) > NICK_LABEL_MAX) {
		for (i = NICK_LABEL_MAX; i > 0 && ((unsigned char)l[i] &
		    0xc0) == 0x80; i--)
			continue;
		label[i] = '\0';
	}
	for (i = 0; label[i] != '\0'; i++)
		if (label[i] == ':' || (unsigned char)label[i] < 0x20 ||
		    label[i] == 0x7f)
			label[i] = '_';
	hex_encode(c->sha256, 32, hex);
	snprintf(out, len, "%s [%.8s]", label, hex);
}

/* Is the certificate i of b the first with its SHA-256? */
static int
first_of(const struct bundle *b, size_t i)
{
	size_t	 k;

	for (k = 0; k < i; k++)
		if (memcmp(b->certs[k].sha256, b->certs[i].sha256, 32) == 0)
			return 0;
	return 1;
}

/* Import c into slot with trust, as "certutil -A -t C,," does. */
static int
import_one(PK11SlotInfo *slot, CERTCertDBHandle *h, const struct cert *c,
    CERTCertTrust *trust)
{
	CERTCertificate	*nc;
	SECItem		 der;
	char		 nick[NICK_LABEL_MAX + 16];
	int		 ok = 0;

	nickname(c, nick, sizeof(nick));
	memset(&der, 0, sizeof(der));
	der.type = siBuffer;
	der.data = c->der;
	der.len = (unsigned int)c->derlen;
	if ((nc = CERT_NewTempCertificate(h, &der, NULL, PR_FALSE,
	    PR_TRUE)) == NULL) {
		warnx("%s: NSS does not take it: %s", nick, nss_error());
		return 0;
	}
	if (PK11_ImportCert(slot, nc, CK_INVALID_HANDLE, nick, PR_FALSE) !=
	    SECSuccess || CERT_ChangeCertTrust(h, nc, trust) != SECSuccess)
		warnx("%s: cannot add it: %s", nick, nss_error());
	else
		ok = 1;
	CERT_DestroyCertificate(nc);
	return ok;
}

/*
 * The files NSS made in dfd (path tree): readable by the services that
 * read the database but do not run as root, and on disk before the
 * swap.  Returns 1, or 0 after a warning.
 */
static int
files_seal(int dfd, const char *tree)
{
	size_t	 i;
	int	 fd, ok;

	for (i = 0; i < NSS_NFILES; i++) {
		if ((fd = openat(dfd, nss_files[i], O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1) {
			warn("%s/%s", tree, nss_files[i]);
			return 0;
		}
		ok = fchmod(fd, 0644) == 0 && fsync(fd) == 0;
		if (!ok)
			warn("%s/%s", tree, nss_files[i]);
		close(fd);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * The nssdb kind's fill: a new database in the empty tree dfd (path
 * tree) holding every distinct certificate of body with trust "C,,".
 * Returns 1, or 0 after a warning.
 */
static int
nss_fill(int dfd, const char *tree, const unsigned char *body, size_t len)
{
	struct bundle_error	 e;
	struct bundle		*b;
	NSSInitContext		*ctx;
	PK11SlotInfo		*slot = NULL;
	CERTCertTrust		 trust;
	size_t			 i;
	int			 ok = 0;

	if ((b = bundle_read(body, len, 0, &e)) == NULL) {
		warnx("not a certificate bundle: %s", e.msg);
		return 0;
	}
	if ((ctx = nss_open(tree, 1)) == NULL) {
		warnx("%s: NSS cannot make a database there: %s", tree,
		    nss_error());
		bundle_free(b);
		return 0;
	}
	if ((slot = PK11_GetInternalKeySlot()) == NULL ||
	    CERT_DecodeTrustString(&trust, NSS_TRUST) != SECSuccess) {
		warnx("%s: %s", tree, nss_error());
		goto out;
	}
	/* As "certutil -N --empty-password": no password on key4.db. */
	if (PK11_NeedUserInit(slot) && PK11_InitPin(slot, NULL, "") !=
	    SECSuccess) {
		warnx("%s: cannot initialize key4.db: %s", tree, nss_error());
		goto out;
	}
	for (i = 0; i < b->ncerts; i++)
		if (first_of(b, i) && !import_one(slot, CERT_GetDefaultCertDB(),
		    &b->certs[i], &trust))
			goto out;
	ok = 1;
 out:
	if (slot != NULL)
		PK11_FreeSlot(slot);
	/* Fails when a reference is left: the files may not be complete. */
	if (NSS_ShutdownContext(ctx) != SECSuccess && ok) {
		warnx("%s: NSS did not close the database: %s", tree,
		    nss_error());
		ok = 0;
	}
	bundle_free(b);
	return ok && files_seal(dfd, tree);
}

/* Only NSS's files and cacert.pem in tree, each a regular file. */
static int
files_only(const char *tree)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	size_t		 i, n = 0;
	int		 fd, ok = 1;

	if ((fd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		for (i = 0; i < NSS_NFILES; i++)
			if (strcmp(e->d_name, nss_files[i]) == 0)
				break;
		ok = (i < NSS_NFILES || strcmp(e->d_name, "cacert.pem") == 0) &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISREG(st.st_mode);
		n++;
	}
	closedir(d);
	return ok && n == NSS_NFILES + 1;
}

/*
 * The nssdb kind's check: tree holds NSS's files and nothing else, and
 * its database exactly the distinct certificates of body, each with
 * trust "C,,": one removed, added or retrusted (certutil -D, -A, -M)
 * is drift.  Returns 1 or 0.
 */
static int
nss_holds(const char *tree, const unsigned char *body, size_t len)
{
	struct bundle_error	 e;
	struct bundle		*b = NULL;
	NSSInitContext		*ctx = NULL;
	PK11SlotInfo		*slot = NULL;
	CERTCertList		*list = NULL;
	CERTCertListNode	*node;
	CERTCertTrust		 trust, want_trust;
	unsigned char		 md[32];
	size_t			 i, want = 0, got = 0;
	int			 ok = 0;

	if (!files_only(tree) || (b = bundle_read(body, len, BUNDLE_DER_ONLY,
	    &e)) == NULL || (ctx = nss_open(tree, 0)) == NULL ||
	    (slot = PK11_GetInternalKeySlot()) == NULL ||
	    (list = PK11_ListCertsInSlot(slot)) == NULL ||
	    CERT_DecodeTrustString(&want_trust, NSS_TRUST) != SECSuccess)
		goto out;
	for (i = 0; i < b->ncerts; i++)
		want += first_of(b, i);
	ok = 1;
	for (node = CERT_LIST_HEAD(list); ok && !CERT_LIST_END(node, list);
	    node = CERT_LIST_NEXT(node)) {
		got++;
		SHA256(node->cert->derCert.data, node->cert->derCert.len, md);
		for (i = 0; i < b->ncerts; i++)
			if (memcmp(b->certs[i].sha256, md, 32) == 0)
				break;
		ok = i < b->ncerts && CERT_GetCertTrust(node->cert, &trust) ==
		    SECSuccess && trust.sslFlags == want_trust.sslFlags &&
		    trust.emailFlags == want_trust.emailFlags &&
		    trust.objectSigningFlags == want_trust.objectSigningFlags;
	}
	ok = ok && got == want;
 out:
	if (list != NULL)
		CERT_DestroyCertList(list);
	if (slot != NULL)
		PK11_FreeSlot(slot);
	if (ctx != NULL)
		(void)NSS_ShutdownContext(ctx);
	bundle_free(b);
	return ok;
}

static const struct treekind nss_kind = { nss_fill, nss_holds };

/*
 * Whether dir is our link to a complete NSS database tree of the
 * bundle with this sha256 (tree_holds, nss_holds).  Returns 1 or 0.
 */
int
nssdb_holds(const char *dir, const char *sha_hex)
{
	return tree_holds(dir, sha_hex, &nss_kind);
}

/*
 * Install body as a new NSS database at t->path: tree_replace() with
 * nss_fill.  Returns 1 with t->replaced set, or 0 after a warning with
 * DIR as it was (the caller rolls back the others).
 */
int
nssdb_replace(struct target *t, const unsigned char *body, size_t len,
    int keep)
{
	return tree_replace(t, body, len, keep, &nss_kind);
}
