/*
 * signer.c - the one process that holds the secret key.
 *
 * Whatever publishes (a CLI command, a round of serve's schedules)
 * starts a signer with signer_start(): a fork that re-executes this
 * program as "cabundled ... signer", so the signer begins with a clean
 * image (no SQLite handle, no parsed upstream bytes) and only the
 * socket on SIGNER_FD.  The signer opens the database read-only and the
 * active secret key, signs once to load what OpenSSL loads, then gives
 * up what it can (sandbox.c: [serve] user when root, no dumps, no new
 * privileges, a seccomp filter without sockets, exec or new files) and
 * says hello with its key id and public key.
 *
 * It signs nothing it is sent: a request is a cabundle/1 trusted
 * comment alone (or a cabundle-constraints/1 one for the constraints
 * document of the bundle it signed just before, doc/SPEC.md 12), in
 * the canonical form meta_format() writes, and the signer reads the
 * body from the database itself.  It refuses a
 * profile this mirror relays, a version that is not the newest
 * release's plus one, a body no build of that profile holds, a size or
 * digest that differs from the stored body, a created time more than
 * SIGNER_SKEW from its own clock and a validity longer than [release]
 * sign_validity.  So a publisher can only get a signature for what it
 * committed as a build before asking (release.c commits builds first),
 * and only once per version.
 *
 * The one other thing it signs is the client's Debian package for
 * "export --client-deb" (package.c, doc/SPEC.md 13): a
 * cabundle-package/1 comment, for bytes the database holds as a body
 * with a "package-export" audit row naming that file and digest, that
 * look like a Debian package, created now.
 */
#define _GNU_SOURCE	/* program_invocation_short_name */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"
#include "keys.h"
#include "log.h"
#include "privmsg.h"
#include "package.h"
#include "sandbox.h"
#include "sign.h"
#include "signer.h"

/* The profile's newest release: version (0: none) and reason. */
static int
newest(sqlite3 *db, const char *profile, int64_t *version, int *relay)
{
	sqlite3_stmt	*st;
	int		 rc;

	*version = 0;
	*relay = 0;
	if ((st = db_prepare(db, "SELECT version, reason = 'relay' FROM "
	    "release WHERE profile = ? ORDER BY version DESC LIMIT 1")) ==
	    NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		*relay = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Whether keyid is still the active key. */
static int
still_active(sqlite3 *db, const char *keyid)
{
	sqlite3_stmt	*st;
	int		 ok = 0;

	if ((st = db_prepare(db, "SELECT 1 FROM signing_key WHERE role = "
	    "'active' AND keyid = ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, keyid, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

/*
 * Whether profile's body hex may be signed as far as relaying goes:
 * *ok 1 for a profile this mirror composes itself, and for a
 * countersigned one only when hex is the body of a carried upstream
 * release that stands accepted; 0 otherwise.  Countersigned: its
 * newest release carries one (whatever the configuration says now),
 * or mode = countersign and [mirror] names it or it has carried
 * releases.  Returns 1, or 0 on a database error.
 */
static int
countersignable(sqlite3 *db, const struct config *cfg, const char *profile,
    const char *hex, int *ok)
{
	sqlite3_stmt	*st;
	int		 step;

	*ok = 1;
	if ((st = db_prepare(db, "SELECT EXISTS (SELECT 1 FROM carry WHERE "
	    "profile = ?1), EXISTS (SELECT 1 FROM carry c JOIN snapshot s ON "
	    "s.id = c.snapshot WHERE c.profile = ?1 AND c.sha256 = ?2 AND "
	    "s.status = 'accepted'), EXISTS (SELECT 1 FROM release_carry "
	    "WHERE profile = ?1 AND version = (SELECT max(version) FROM "
	    "release WHERE profile = ?1))")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, 64, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    (sqlite3_column_int(st, 2) || (cfg->mirror.url != NULL &&
	    cfg->mirror.countersign && (config_relays(cfg, profile) ||
	    sqlite3_column_int(st, 0)))))
		*ok = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	return step == SQLITE_ROW;
}

/*
 * The stored document a request names, in *data and *n (valid until st
 * is finalized): for a bundle, a build of the profile whose body it is
 * and that is no build's constraints document; for a constraints
 * document, the constraints of a build of the profile whose body is
 * bundle, the bundle this signer just signed.  Returns the statement
 * (finalize it), or NULL with why.
 */
static sqlite3_stmt *
request_body(sqlite3 *db, const char *profile, const char *hex,
    const char *bundle, const void **data, size_t *n, char *why,
    size_t whylen)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, bundle == NULL ? "SELECT y.data FROM build b "
	    "JOIN body y ON y.sha256 = b.body_sha256 WHERE b.profile = ?1 AND "
	    "b.body_sha256 = ?2 AND NOT EXISTS (SELECT 1 FROM build WHERE "
	    "constraints = ?2) LIMIT 1" : "SELECT y.data FROM build b JOIN "
	    "body y ON y.sha256 = b.constraints WHERE b.profile = ?1 AND "
	    "b.constraints = ?2 AND b.body_sha256 = ?3 AND NOT EXISTS (SELECT "
	    "1 FROM build WHERE body_sha256 = ?2) LIMIT 1")) == NULL) {
		snprintf(why, whylen, "database error");
		return NULL;
	}
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hex, 64, SQLITE_STATIC);
	if (bundle != NULL)
		sqlite3_bind_text(st, 3, bundle, 64, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, whylen, bundle == NULL ? "%s: no build holds "
		    "sha256 %s" : "%s: sha256 %s is not the constraints "
		    "document of the bundle just signed", profile, hex);
		sqlite3_finalize(st);
		return NULL;
	}
	*data = sqlite3_column_blob(st, 0);
	*n = (size_t)sqlite3_column_bytes(st, 0);
	return st;
}

/*
 * Check one request against the database and sign it: type PM_SIGN
 * for a bundle (remembered in *done), PM_SIGN_CONSTRAINTS for the
 * constraints document of the bundle in *done, with its profile,
 * version, created and expires.  Returns 1 with the .minisig text in
 * sig, or 0 with why.
 */
static int
sign_request(sqlite3 *db, const struct config *cfg, const struct seckey *sk,
    const char *keyid, int type, const char *req, size_t len,
    struct meta *done, struct buf *sig, char *why, size_t whylen)
{
	sqlite3_stmt	*st = NULL;
	struct meta	 m;
	unsigned char	 d[32];
	char		 hex[65], bundle[65];
	const void	*data = NULL;
	int64_t		 last, now = (int64_t)time(NULL);
	size_t		 n = 0;
	int		 relay, carried, cons = type == PM_SIGN_CONSTRAINTS,
			 ok = 0;

	if (!privmsg_parse_sign_as(cons ? META_FORMAT_CONSTRAINTS :
	    META_FORMAT, req, len, &m, why, whylen))
		return 0;
	if (cons && (done->version == 0 ||
	    strcmp(m.profile, done->profile) != 0 ||
	    m.version != done->version || m.created != done->created ||
	    m.expires != done->expires)) {
		snprintf(why, whylen, "%s: a constraints document is signed "
		    "only with the release it goes with, just after it",
		    m.profile);
		return 0;
	}
	if ((int64_t)m.created < now - SIGNER_SKEW ||
	    (int64_t)m.created > now + SIGNER_SKEW) {
		snprintf(why, whylen, "created is not now");
		return 0;
	}
	if (m.expires <= m.created ||
	    m.expires - m.created > (uint64_t)cfg->sign_validity) {
		snprintf(why, whylen, "expires is not within [release] "
		    "sign_validity");
		return 0;
	}
	if (config_relays(cfg, m.profile) && !cfg->mirror.countersign) {
		snprintf(why, whylen, "%s is relayed, never signed here",
		    m.profile);
		return 0;
	}
	if (!db_exec(db, "BEGIN")) {
		snprintf(why, whylen, "database error");
		return 0;
	}
	if (!still_active(db, keyid)) {
		snprintf(why, whylen, "key %s is no longer the active key",
		    keyid);
		goto out;
	}
	if (!newest(db, m.profile, &last, &relay)) {
		snprintf(why, whylen, "database error");
		goto out;
	}
	hex_encode(m.sha256, 32, hex);
	hex_encode(done->sha256, 32, bundle);
	if (relay) {
		snprintf(why, whylen, "%s is relayed, never signed here",
		    m.profile);
		goto out;
	}
	/*
	 * Countersigned ([mirror] mode = countersign): only a body an
	 * upstream release carried here, verified and accepted (for a
	 * constraints document, its bundle).
	 */
	if (!countersignable(db, cfg, m.profile, cons ? bundle : hex,
	    &carried)) {
		snprintf(why, whylen, "database error");
		goto out;
	}
	if (carried == 0) {
		snprintf(why, whylen, "%s is countersigned: sha256 %s is no "
		    "accepted upstream release of it", m.profile,
		    cons ? bundle : hex);
		goto out;
	}
	if (m.version != (uint64_t)last + 1) {
		snprintf(why, whylen, "%s: version %llu is not the next "
		    "(%lld)", m.profile, (unsigned long long)m.version,
		    (long long)last + 1);
		goto out;
	}
	if ((st = request_body(db, m.profile, hex, cons ? bundle : NULL,
	    &data, &n, why, whylen)) == NULL)
		goto out;
	if (n != m.size || data == NULL ||
	    !EVP_Digest(data, n, d, NULL, EVP_sha256(), NULL) ||
	    memcmp(d, m.sha256, 32) != 0) {
		snprintf(why, whylen, "%s: the stored body is not size %llu "
		    "with sha256 %s", m.profile, (unsigned long long)m.size,
		    hex);
		goto out;
	}
	if (!sig_sign(sk, data, n, req, 0, sig)) {
		snprintf(why, whylen, "signing failed");
		goto out;
	}
	/* One constraints document per bundle signed. */
	if (cons)
		memset(done, 0, sizeof(*done));
	else
		*done = m;
	ok = 1;
 out:
	sqlite3_finalize(st);
	db_exec(db, "COMMIT");
	return ok;
}

/*
 * Check a package request against the database and sign it: the body
 * the comment names must be held, audited as exported under that file
 * name, of that size and digest, and a Debian package.  Returns 1 with
 * the .minisig text in sig, or 0 with why.
 */
static int
sign_package(sqlite3 *db, const struct seckey *sk, const char *req,
    size_t len, struct buf *sig, char *why, size_t whylen)
{
	sqlite3_stmt		*st = NULL;
	struct package_meta	 pm;
	unsigned char		 d[32];
	char			 hex[65];
	const void		*data;
	int64_t			 now = (int64_t)time(NULL);
	size_t			 n;
	int			 ok = 0;

	if (!package_comment_parse(req, len, &pm, why, whylen))
		return 0;
	if ((int64_t)pm.created < now - SIGNER_SKEW ||
	    (int64_t)pm.created > now + SIGNER_SKEW) {
		snprintf(why, whylen, "created is not now");
		return 0;
	}
	hex_encode(pm.sha256, 32, hex);
	if (!db_exec(db, "BEGIN")) {
		snprintf(why, whylen, "database error");
		return 0;
	}
	if ((st = db_prepare(db, "SELECT data FROM body WHERE sha256 = ?1 "
	    "AND EXISTS (SELECT 1 FROM audit WHERE action = 'package-export' "
	    "AND object = ?2 AND json_extract(details, '$.sha256') = ?1)")) ==
	    NULL) {
		snprintf(why, whylen, "database error");
		goto out;
	}
	sqlite3_bind_text(st, 1, hex, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pm.file, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, whylen, "%.80s: no package exported with "
		    "sha256 %.16s...", pm.file, hex);
		goto out;
	}
	data = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (data == NULL || n != pm.size || !package_is_deb(data, n) ||
	    !EVP_Digest(data, n, d, NULL, EVP_sha256(), NULL) ||
	    memcmp(d, pm.sha256, 32) != 0) {
		snprintf(why, whylen, "%.80s: the stored bytes are not a "
		    "Debian package of size %llu with sha256 %.16s...",
		    pm.file, (unsigned long long)pm.size, hex);
		goto out;
	}
	if (!sig_sign(sk, data, n, req, 0, sig)) {
		snprintf(why, whylen, "signing failed");
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	db_exec(db, "COMMIT");
	return ok;
}

/*
 * "cabundled signer", started by signer_start() only: the signer's
 * life.  Returns the exit status: 0 when the publisher hung up, 4 when
 * it could not start or was sent something that is not a request.
 */
int
signer_main(const struct config *cfg)
{
	struct seckey	*sk = NULL;
	struct stat	 sb;
	struct buf	 sig;
	sqlite3		*db = NULL;
	char		*path = NULL, req[PRIVMSG_MAX], why[256];
	char		 keyid[17], hello[17 + PUBKEY_STR_LEN + 1];
	struct meta	 done;
	size_t		 len;
	int64_t		 last;
	int		 type, relay, r, rc = EXIT_LOCAL;

	/* Its warnings, among serve's, say who wrote them. */
	program_invocation_short_name = (char *)"cabundled signer";
	memset(&done, 0, sizeof(done));
	buf_init(&sig, SIG_FILE_MAX);
	if (fstat(SIGNER_FD, &sb) == -1 || !S_ISSOCK(sb.st_mode)) {
		warnx("only cabundled starts this");
		return EXIT_USAGE;
	}
	/*
	 * A terminal's ^C or a unit's stop reaches the whole group: the
	 * signer ends when its publisher hangs up (or dies), not before.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	/* Read through the database once: its files stay open. */
	if ((path = config_path(cfg, DB_FILE)) == NULL ||
	    (db = db_open_readonly(path)) == NULL ||
	    !newest(db, "", &last, &relay) ||
	    (sk = keys_load_active(db, cfg, keyid)) == NULL)
		goto out;
	/* Sign once, so OpenSSL loads what it loads before the filter. */
	if (!sig_sign(sk, (const unsigned char *)"", 0, "warm-up", 0, &sig))
		goto out;
	if (!sandbox_user(cfg->serve_user, 0) || !sandbox_signer())
		goto out;
	snprintf(hello, sizeof(hello), "%s ", keyid);
	pubkey_string(&sk->pub, hello + 17);
	if (!privmsg_send(SIGNER_FD, PM_HELLO, hello, strlen(hello)))
		goto out;
	while ((r = privmsg_recv(SIGNER_FD, &type, req, sizeof(req), &len)) ==
	    1) {
		if (type != PM_SIGN && type != PM_SIGN_CONSTRAINTS &&
		    type != PM_SIGN_PACKAGE) {
			warnx("unexpected message");
			goto out;
		}
		sig.len = 0;
		if (type == PM_SIGN_PACKAGE ? sign_package(db, sk, req, len,
		    &sig, why, sizeof(why)) : sign_request(db, cfg, sk, keyid,
		    type, req, len, &done, &sig, why, sizeof(why)))
			r = privmsg_send(SIGNER_FD, PM_SIG, sig.data, sig.len);
		else
			r = privmsg_send(SIGNER_FD, PM_ERROR, why,
			    strlen(why));
		if (!r)
			goto out;
		/* A rotated key: end, so that a new signer loads the new. */
		if (!still_active(db, keyid)) {
			rc = EXIT_DONE;
			goto out;
		}
	}
	if (r == 0)
		rc = EXIT_DONE;
 out:
	buf_free(&sig);
	seckey_free(sk);
	db_close(db);
	free(path);
	return rc;
}

/*
 * Start a signer and read its hello.  Returns the handle (signer_stop
 * it) or NULL after a warning: no active key, a key file with a loose
 * mode, a signer that could not give up its privileges.
 */
struct signer *
signer_start(const struct config *cfg)
{
	struct signer	*sg;
	char		*argv[8 + 2 * CONFIG_MAX_OVERRIDES];
	char		 hello[PRIVMSG_MAX];
	size_t		 i, n = 0, len;
	int		 sv[2], type;

	if ((sg = calloc(1, sizeof(*sg))) == NULL) {
		warn("calloc");
		return NULL;
	}
	sg->fd = -1;
	argv[n++] = (char *)"cabundled";
	if (cfg->config != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)cfg->config;
	}
	for (i = 0; i < cfg->noverrides; i++) {
		argv[n++] = (char *)"-o";
		argv[n++] = (char *)cfg->overrides[i];
	}
	argv[n++] = (char *)"-d";
	argv[n++] = cfg->datadir;
	argv[n++] = (char *)SIGNER_COMMAND;
	argv[n] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		warn("socketpair");
		free(sg);
		return NULL;
	}
	if ((sg->pid = fork()) == -1) {
		warn("fork");
		close(sv[0]);
		close(sv[1]);
		free(sg);
		return NULL;
	}
	if (sg->pid == 0) {
		/* Dies with whoever started it, even by SIGKILL (Linux). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    dup2(sv[1], SIGNER_FD) == -1 ||
		    fcntl(SIGNER_FD, F_SETFD, 0) == -1)
			_exit(EXIT_LOCAL);
		execv("/proc/self/exe", argv);
		warn("signer: exec /proc/self/exe");
		_exit(EXIT_LOCAL);
	}
	close(sv[1]);
	sg->fd = sv[0];
	if (privmsg_recv(sg->fd, &type, hello, sizeof(hello), &len) != 1 ||
	    type != PM_HELLO || len != 17 + PUBKEY_STR_LEN ||
	    hello[16] != ' ' ||
	    !pubkey_from_string(hello + 17, PUBKEY_STR_LEN, &sg->pub)) {
		warnx("the signer did not start; nothing can be signed");
		signer_stop(sg);
		return NULL;
	}
	memcpy(sg->keyid, hello, 16);
	sg->keyid[16] = '\0';
	return sg;
}

/*
 * Send the signer request t (of type) about what (for warnings) and
 * append its .minisig to sig.  Returns 1, or 0 after a warning with
 * the signer's reason.
 */
static int
ask(struct signer *sg, int type, const char *t, const char *what,
    struct buf *sig)
{
	struct minisig	 ms;
	char		 resp[PRIVMSG_MAX], why[256];
	size_t		 len;

	if (!privmsg_send(sg->fd, type, t, strlen(t)) ||
	    privmsg_recv(sg->fd, &type, resp, sizeof(resp), &len) != 1) {
		warnx("%s: the signer is gone", what);
		return 0;
	}
	if (type == PM_ERROR) {
		warnx("the signer refused: %s", resp);
		return 0;
	}
	/* The answer to this request, not to one a killed round sent. */
	if (type != PM_SIG || sig_parse(resp, len, &ms, why, sizeof(why)) !=
	    SIG_OK || strcmp(ms.comment, t) != 0 ||
	    !buf_append(sig, resp, len)) {
		warnx("%s: unexpected answer from the signer", what);
		return 0;
	}
	return 1;
}

/*
 * Ask the signer to sign m (its trusted comment) into sig.  Returns 1,
 * or 0 after a warning with the signer's reason.
 */
int
signer_sign(struct signer *sg, const struct meta *m, struct buf *sig)
{
	return signer_sign_as(sg, META_FORMAT, m, sig);
}

/*
 * signer_sign() of another document with m in its trusted comment:
 * META_FORMAT_CONSTRAINTS, the constraints document of the bundle the
 * signer signed last (same profile, version, created and expires).
 */
int
signer_sign_as(struct signer *sg, const char *format, const struct meta *m,
    struct buf *sig)
{
	char		 t[256];

	if (!meta_format_as(format, m, t, sizeof(t))) {
		warnx("%s: cannot ask the signer", m->profile);
		return 0;
	}
	return ask(sg, strcmp(format, META_FORMAT) == 0 ? PM_SIGN :
	    PM_SIGN_CONSTRAINTS, t, m->profile, sig);
}

/*
 * Ask the signer to sign the package p, recorded first with
 * package_record(), as of created.  Returns 1 with the .minisig text
 * appended to sig, or 0 after a warning with the signer's reason.
 */
int
signer_sign_package(struct signer *sg, const struct package *p,
    int64_t created, struct buf *sig)
{
	char		 t[PACKAGE_COMMENT_MAX];

	if (!package_comment(p, created, t, sizeof(t))) {
		warnx("%s: cannot ask the signer", p->file);
		return 0;
	}
	return ask(sg, PM_SIGN_PACKAGE, t, p->file, sig);
}

/*
 * Hang up and wait for the signer.  Returns 1 when it ended as it
 * should, 0 after a warning saying how it ended.  Frees sg.
 */
int
signer_stop(struct signer *sg)
{
	int	 st = 0, ok = 0;

	if (sg == NULL)
		return 1;
	if (sg->fd != -1)
		close(sg->fd);
	/* pid -1: already reaped by signer_alive(), which said how. */
	if (sg->pid != -1 && waitpid(sg->pid, &st, 0) == -1)
		warn("signer: waitpid");
	else if (WIFSIGNALED(st))
		warnx("signer: killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		warnx("signer: exit status %d", WEXITSTATUS(st));
	else
		ok = 1;
	free(sg);
	return ok;
}

/*
 * 1 while the signer runs; 0 once it has ended, reaped and said how
 * (a signer ends on its own when its key stops being the active one).
 * sg stays to be signer_stop()ped.
 */
int
signer_alive(struct signer *sg)
{
	pid_t	 r;
	int	 st;

	if (sg->pid == -1)
		return 0;
	if ((r = waitpid(sg->pid, &st, WNOHANG)) == 0)
		return 1;
	if (r == sg->pid && WIFSIGNALED(st))
		warnx("signer process killed by signal %d", WTERMSIG(st));
	else if (r == sg->pid && WEXITSTATUS(st) != 0)
		warnx("signer process exited %d", WEXITSTATUS(st));
	sg->pid = -1;
	return 0;
}
