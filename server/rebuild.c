/*
 * rebuild.c - "rebuild --check": every stored body made again from its
 * recorded certificates and labels and compared byte for byte, every
 * release's signature and trusted comment checked against it.  The
 * command is cmd_release.c's cmd_rebuild.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "bundle.h"
#include "db.h"
#include "encode.h"
#include "log.h"
#include "meta.h"
#include "rebuild.h"
#include "release.h"
#include "sig.h"

/* Every public key that ever signed, by key id. */
struct keyring {
	struct pubkey	*k;
	char		(*id)[17];
	size_t		 n;
};

static int
keyring_load(sqlite3 *db, struct keyring *kr)
{
	sqlite3_stmt	*st;
	const char	*s;
	void		*p;
	int		 step, ok = 0;

	memset(kr, 0, sizeof(*kr));
	if ((st = db_prepare(db, "SELECT keyid, public_key FROM "
	    "signing_key")) == NULL)
		return 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = reallocarray(kr->k, kr->n + 1, sizeof(*kr->k))) ==
		    NULL)
			goto out;
		kr->k = p;
		if ((p = reallocarray(kr->id, kr->n + 1, sizeof(*kr->id))) ==
		    NULL)
			goto out;
		kr->id = p;
		s = (const char *)sqlite3_column_text(st, 1);
		snprintf(kr->id[kr->n], 17, "%s", sqlite3_column_text(st, 0));
		if (s == NULL || !pubkey_from_string(s, strlen(s),
		    &kr->k[kr->n])) {
			warnx("signing key %s: malformed public key",
			    kr->id[kr->n]);
			goto out;
		}
		kr->n++;
	}
	ok = step == SQLITE_DONE;
 out:
	sqlite3_finalize(st);
	return ok;
}

/*
 * Check one release against the rebuilt body: its signature under the
 * recorded key, and its trusted comment equal to the one its row makes.
 */
static int
check_release(sqlite3_stmt *r, const struct keyring *kr,
    const struct buf *body, const unsigned char *digest)
{
	struct minisig	 ms;
	struct meta	 m;
	const char	*profile = (const char *)sqlite3_column_text(r, 0);
	const char	*keyid = (const char *)sqlite3_column_text(r, 4);
	const char	*sig = (const char *)sqlite3_column_text(r, 5);
	const char	*upstream = (const char *)sqlite3_column_text(r, 6);
	const struct pubkey *k = NULL;
	struct pubkey	 up;
	char		 t[256], why[256];
	int64_t		 version = sqlite3_column_int64(r, 1);
	size_t		 i;

	/* A relayed release answers to the upstream key it came with. */
	if (upstream != NULL) {
		if (!pubkey_from_string(upstream, strlen(upstream), &up)) {
			warnx("%s version %" PRId64 ": malformed upstream "
			    "key", profile, version);
			return 0;
		}
		k = &up;
	}
	for (i = 0; k == NULL && i < kr->n; i++)
		if (strcmp(kr->id[i], keyid) == 0)
			k = &kr->k[i];
	if (k == NULL) {
		warnx("%s version %" PRId64 ": signed by unknown key %s",
		    profile, version, keyid);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.profile, sizeof(m.profile), "%s", profile);
	m.version = (uint64_t)version;
	m.created = (uint64_t)sqlite3_column_int64(r, 2);
	m.expires = (uint64_t)sqlite3_column_int64(r, 3);
	m.size = body->len;
	memcpy(m.sha256, digest, 32);
	if (!meta_format(&m, t, sizeof(t))) {
		warnx("%s version %" PRId64 ": row breaks SPEC section 7",
		    profile, version);
		return 0;
	}
	if (sig == NULL || sig_parse(sig, strlen(sig), &ms, why,
	    sizeof(why)) != SIG_OK) {
		warnx("%s version %" PRId64 ": stored signature unreadable",
		    profile, version);
		return 0;
	}
	if (ms.commentlen != strlen(t) || memcmp(ms.comment, t,
	    ms.commentlen) != 0) {
		warnx("%s version %" PRId64 ": trusted comment \"%s\" is not "
		    "\"%s\"", profile, version, ms.comment, t);
		return 0;
	}
	if (memcmp(ms.keyid, k->keyid, KEYID_LEN) != 0 ||
	    sig_verify_comment(&ms, k) != SIG_OK ||
	    sig_verify_data(&ms, k, body->data, body->len) != SIG_OK) {
		warnx("%s version %" PRId64 ": signature does not verify "
		    "with key %s", profile, version, keyid);
		return 0;
	}
	return 1;
}

/*
 * Rebuild every build from its recorded certificates and labels and
 * compare with the stored body byte for byte, then check every
 * release's signature and trusted comment against it, warning about
 * each release that does not match.  Fills *res (the counts).
 * Returns 1, or 0 when the check could not be made (warned).
 */
int
rebuild_check(sqlite3 *db, struct rebuild_result *res)
{
	sqlite3_stmt	*bs = NULL, *rs = NULL;
	struct keyring	 kr;
	struct comp	 c;
	struct buf	 body;
	unsigned char	 d[32];
	char		 hex[65];
	const char	*want, *stored, *profile;
	size_t		 nstored, off, nbuild = 0, nrel = 0, bad = 0;
	int64_t		 build;
	int		 step, good, ok = 0;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	buf_init(&body, BUNDLE_MAX_BYTES);
	if (!keyring_load(db, &kr))
		goto out;
	if ((bs = db_prepare(db, "SELECT b.id, b.profile, b.body_sha256, "
	    "y.data, y.sha256 IS NULL, EXISTS (SELECT 1 FROM release WHERE "
	    "build = b.id AND reason = 'relay') FROM build b LEFT JOIN body y "
	    "ON y.sha256 = b.body_sha256 ORDER BY b.id")) == NULL ||
	    (rs = db_prepare(db, "SELECT profile, version, created, expires, "
	    "keyid, signature, upstream_key FROM release WHERE build = ? "
	    "ORDER BY version")) == NULL)
		goto out;
	while ((step = sqlite3_step(bs)) == SQLITE_ROW) {
		build = sqlite3_column_int64(bs, 0);
		profile = (const char *)sqlite3_column_text(bs, 1);
		want = (const char *)sqlite3_column_text(bs, 2);
		stored = sqlite3_column_blob(bs, 3);
		nstored = (size_t)sqlite3_column_bytes(bs, 3);
		nbuild++;
		buf_reset(&body);
		comp_free(&c);
		/*
		 * A relayed body is the upstream's bytes, rendered by
		 * another mirror: its digest is what must hold.
		 */
		if (sqlite3_column_int(bs, 5)) {
			if (!buf_append(&body, stored, nstored))
				goto out;
		} else if (!comp_build(db, build, &c) ||
		    !comp_render(db, &c, &body))
			goto out;
		good = 1;
		if (!EVP_Digest(body.data, body.len, d, NULL, EVP_sha256(),
		    NULL)) {
			cryptowarnx("SHA-256");
			goto out;
		}
		hex_encode(d, 32, hex);
		if (strcmp(hex, want) != 0) {
			warnx("%s build %" PRId64 ": rebuilt body has sha256 "
			    "%s, the build records %s", profile, build, hex,
			    want);
			good = 0;
		}
		if (sqlite3_column_int(bs, 4)) {
			warnx("%s build %" PRId64 ": stored body %s is missing",
			    profile, build, want);
			good = 0;
		} else if (nstored != body.len || (body.len > 0 &&
		    memcmp(stored, body.data, body.len) != 0)) {
			for (off = 0; off < nstored && off < body.len &&
			    ((const unsigned char *)stored)[off] ==
			    body.data[off]; off++)
				;
			warnx("%s build %" PRId64 ": stored body (%zu bytes) "
			    "differs from the rebuild (%zu bytes) at byte %zu",
			    profile, build, nstored, body.len, off);
			good = 0;
		}
		sqlite3_bind_int64(rs, 1, build);
		while ((step = sqlite3_step(rs)) == SQLITE_ROW) {
			nrel++;
			if (!good || !check_release(rs, &kr, &body, d))
				bad++;
		}
		sqlite3_reset(rs);
		if (step != SQLITE_DONE)
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	/* A release whose build is gone was never visited above. */
	sqlite3_finalize(rs);
	if ((rs = db_prepare(db, "SELECT r.profile, r.version, r.build FROM "
	    "release r LEFT JOIN build b ON b.id = r.build WHERE b.id IS "
	    "NULL ORDER BY r.profile, r.version")) == NULL)
		goto out;
	while ((step = sqlite3_step(rs)) == SQLITE_ROW) {
		warnx("%s version %" PRId64 ": build %" PRId64 " is missing",
		    sqlite3_column_text(rs, 0),
		    (int64_t)sqlite3_column_int64(rs, 1),
		    (int64_t)sqlite3_column_int64(rs, 2));
		nrel++;
		bad++;
	}
	if (step != SQLITE_DONE)
		goto out;
	res->builds = nbuild;
	res->releases = nrel;
	res->bad = bad;
	ok = 1;
 out:
	comp_free(&c);
	buf_free(&body);
	sqlite3_finalize(bs);
	sqlite3_finalize(rs);
	free(kr.k);
	free(kr.id);
	return ok;
}
