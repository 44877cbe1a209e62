/*
 * org.c - what the organization adds and takes away: its own CAs
 * (linted on the way in) and the upstream roots it distrusts
 * (exclusions).  Each change is one transaction with its audit row; the
 * profiles it touches are published right after.  The commands ("org"
 * and "exclude") are cmd_org.c.
 */
#define _GNU_SOURCE	/* memmem */

#include <err.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "audit.h"
#include "buf.h"
#include "bundle.h"
#include "db.h"
#include "encode.h"
#include "exitcode.h"
#include "org.h"
#include "release.h"
#include "store.h"
#include "timefmt.h"

#define ORG_FILE_MAX	(1u << 20)	/* one CA file; chains are small */

/* A DER private key (PKCS#8 or traditional), which PEM checks miss. */
static int
der_private_key(const struct buf *b)
{
	const unsigned char	*p = b->data;
	EVP_PKEY		*k;

	if (b->len > LONG_MAX || (k = d2i_AutoPrivateKey(NULL, &p,
	    (long)b->len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	EVP_PKEY_free(k);
	return 1;
}

/*
 * Read the certificates of an org CA file: PEM (one or more blocks) or
 * one DER certificate.  Refuses a private key, an empty file and
 * anything the strict reader refuses, naming the file.  Returns the
 * bundle or NULL after a warning.
 */
static struct bundle *
org_read(const char *path)
{
	struct buf		 b;
	struct bundle		*bd = NULL;
	struct bundle_error	 perr;
	char			 why[256];

	buf_init(&b, ORG_FILE_MAX);
	if (!buf_readfile(&b, path))
		goto out;
	if (b.len > 0 && (memmem(b.data, b.len, "PRIVATE KEY-----", 16) ||
	    der_private_key(&b))) {
		warnx("%s: holds a private key; refused. Give the mirror "
		    "the CA certificate only, and keep the key where it is",
		    path);
		goto out;
	}
	bd = bundle_parse(b.data, b.len, &perr);
	if (bd == NULL && perr.code == BUNDLE_DER) {
		if ((bd = calloc(1, sizeof(*bd))) == NULL ||
		    (bd->certs = calloc(1, sizeof(*bd->certs))) == NULL) {
			warnx("out of memory");
			goto fail;
		}
		if (!cert_init(&bd->certs[0], b.data, b.len, NULL, why,
		    sizeof(why))) {
			warnx("%s: not a DER certificate: %s", path, why);
			goto fail;
		}
		bd->ncerts = 1;
		goto out;
	}
	if (bd == NULL) {
		if (perr.code == BUNDLE_EMPTY || perr.code == BUNDLE_NO_CERTS)
			warnx("%s: no certificate in the file", path);
		else
			warnx("%s:%zu: %s", path, perr.line, perr.msg);
	}
	goto out;
 fail:
	bundle_free(bd);
	bd = NULL;
 out:
	buf_free(&b);
	return bd;
}

/* SHA-1 or MD5 (or unknown) in the certificate's own signature. */
static const char *
weak_signature(const struct cert *c)
{
	int	 md, pk;

	if (!OBJ_find_sigid_algs(X509_get_signature_nid(c->x509), &md, &pk))
		return "an unknown signature algorithm";
	if (md == NID_sha1 || md == NID_md5 || md == NID_md2 ||
	    md == NID_md4)
		return OBJ_nid2ln(X509_get_signature_nid(c->x509));
	return NULL;
}

/*
 * Lint one certificate for "org add".  Returns 1 when it may be added
 * (warnings printed), 0 when refused (the rule named).
 */
static int
org_lint(const struct config *cfg, const char *path, size_t i,
    const struct cert *c, const struct org_change *o, int64_t now)
{
	const struct vet_policy *pol = &cfg->vet;
	const char	*ws;
	char		 fp[65], when[TIMEFMT_LEN], what[1400];
	int		 ok = 0;

	hex_encode(c->sha256, 32, fp);
	snprintf(what, sizeof(what), "%s: certificate %zu \"%s\" (sha256 %s)",
	    path, i + 1, c->label, fp);
	if (!c->ca && c->version == 1 && c->self_signed)
		warnx("%s: refused: an X.509 v1 certificate cannot say it is "
		    "a CA (no basicConstraints)", what);
	else if (!c->ca)
		warnx("%s: refused: a leaf (end-entity) certificate, not a "
		    "CA (no basicConstraints CA:TRUE); add the CA that issued "
		    "it: %s", what, c->issuer);
	else if (!c->self_signed && !o->intermediate)
		warnx("%s: refused: an intermediate CA (issued by %s), not a "
		    "self-signed root; add it with --intermediate if servers "
		    "fail to send it", what, c->issuer);
	else if (c->not_after <= now) {
		timefmt_iso(c->not_after, when);
		warnx("%s: refused: expired on %s", what, when);
	} else if ((strcmp(c->key_type, "RSA") == 0 &&
	    c->key_bits < pol->min_rsa_bits) ||
	    (strcmp(c->key_type, "EC") == 0 &&
	    c->key_bits < pol->min_ec_bits) ||
	    (strcmp(c->key_type, "RSA") != 0 && strcmp(c->key_type, "EC") != 0 &&
	    strcmp(c->key_type, "Ed25519") != 0 &&
	    strcmp(c->key_type, "Ed448") != 0))
		warnx("%s: refused: weak key %s (minimum RSA %d bits, EC %d "
		    "bits; [vet] min_rsa_bits, min_ec_bits)", what,
		    c->key_desc, pol->min_rsa_bits, pol->min_ec_bits);
	else if (!c->self_signed && (ws = weak_signature(c)) != NULL)
		warnx("%s: refused: signed with %s; clients reject SHA-1 and "
		    "MD5 signatures in a chain", what, ws);
	else
		ok = 1;
	if (!ok)
		return 0;
	if (c->not_before > now) {
		timefmt_iso(c->not_before, when);
		warnx("%s: warning: not valid before %s", what, when);
	}
	if (c->not_after - now < cfg->org_expiry_warning) {
		timefmt_iso(c->not_after, when);
		warnx("%s: warning: expires on %s, in %" PRId64 " days", what,
		    when, (c->not_after - now) / 86400);
	}
	return 1;
}

static int
org_current(sqlite3 *db, const char *fp, int64_t *id)
{
	sqlite3_stmt	*st;
	int		 rc;

	*id = 0;
	if ((st = db_prepare(db, "SELECT id FROM org_ca WHERE cert = ? AND "
	    "removed IS NULL")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static int
org_insert(sqlite3 *db, const struct cert *c, const char *fp,
    const struct org_change *o, int64_t now)
{
	sqlite3_stmt	*st = NULL;
	json_t		*tags = NULL;
	const char	*name = o->name != NULL ? o->name : c->label;
	int64_t		 id;
	size_t		 i;
	int		 ok = 0;

	if (!store_cert(db, c, now))
		return 0;
	if ((st = db_prepare(db, "INSERT INTO org_ca (cert, name, owner, "
	    "note, intermediate, added, added_by) VALUES (?, ?, ?, ?, ?, ?, "
	    "?)")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, fp, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->note, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, !c->self_signed);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, o->actor, -1, SQLITE_STATIC);
	if (!db_step_done(db, st))
		goto out;
	id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "INSERT OR IGNORE INTO org_ca_tag (org_ca, "
	    "tag) VALUES (?, ?)")) == NULL || (tags = json_array()) == NULL)
		goto out;
	for (i = 0; i < o->ntags; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, o->tags[i], -1, SQLITE_STATIC);
		if (!db_step_done(db, st) ||
		    json_array_append_new(tags, json_string(o->tags[i])) == -1)
			goto out;
	}
	if (!audit_append(db, o->actor, "org-add", fp, json_pack("{s:s, s:s, "
	    "s:s, s:s, s:I, s:b, s:s?, s:s?, s:O}", "sha256", fp,
	    "name", name, "subject", c->subject, "issuer", c->issuer,
	    "not_after", (json_int_t)c->not_after,
	    "intermediate", !c->self_signed, "owner", o->owner,
	    "note", o->note, "tags", tags)))
		goto out;
	printf("added organization CA \"%s\" (sha256 %s)\n", name, fp);
	ok = 1;
 out:
	json_decref(tags);
	sqlite3_finalize(st);
	return ok;
}

/*
 * org add FILE: lint every certificate of the file at path, then add
 * all or none (one transaction), then publish.  Refuses a private key,
 * a leaf, an expired or weak CA, an intermediate unless asked for.
 * Returns an exit code.
 */
int
org_add(sqlite3 *db, const struct config *cfg, const char *path,
    const struct org_change *o)
{
	struct bundle	*b;
	char		 fp[65];
	int64_t		 now = (int64_t)time(NULL), id;
	size_t		 i, added = 0;
	int		 rc = EXIT_REFUSED;

	if ((b = org_read(path)) == NULL)
		return EXIT_REFUSED;
	if (o->name != NULL && b->ncerts != 1) {
		warnx("%s: --name needs a file with exactly one certificate "
		    "(this one has %zu)", path, b->ncerts);
		rc = EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < b->ncerts; i++)
		if (!org_lint(cfg, path, i, &b->certs[i], o, now))
			goto out;
	rc = EXIT_LOCAL;
	if (!db_begin(db))
		goto out;
	for (i = 0; i < b->ncerts; i++) {
		hex_encode(b->certs[i].sha256, 32, fp);
		if (!org_current(db, fp, &id))
			goto out;
		if (id != 0) {
			printf("\"%s\" (sha256 %s) is already an organization "
			    "CA\n", b->certs[i].label, fp);
			continue;
		}
		if (!org_insert(db, &b->certs[i], fp, o, now))
			goto out;
		added++;
	}
	if (!db_commit(db))
		goto out;
	rc = added ? publish_all(db, cfg, o->actor, NULL, 0) : EXIT_DONE;
 out:
	db_rollback(db);
	bundle_free(b);
	return rc;
}

/*
 * Stamp "removed" on the current row of table (org_ca or exclusion)
 * for the fingerprint.  Returns 1 and *n rows changed, 0 on error.
 */
static int
mark_removed(sqlite3 *db, const char *table, const char *fp,
    const char *actor, int *n)
{
	sqlite3_stmt	*st;
	char		 sql[160];
	int		 ok;

	snprintf(sql, sizeof(sql), "UPDATE %s SET removed = ?, removed_by = "
	    "? WHERE cert = ? AND removed IS NULL", table);
	if ((st = db_prepare(db, sql)) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, fp, -1, SQLITE_STATIC);
	ok = db_step_done(db, st);
	*n = sqlite3_changes(db);
	sqlite3_finalize(st);
	return ok;
}

/* org remove FP / exclude remove FP */
static int
remove_fp(sqlite3 *db, const struct config *cfg, const char *table,
    const char *fp, const struct org_change *o)
{
	const char	*action = strcmp(table, "org_ca") == 0 ?
	    "org-remove" : "exclude-remove";
	int		 n, rc = EXIT_LOCAL;

	if (!db_begin(db) || !mark_removed(db, table, fp, o->actor, &n))
		goto out;
	if (n == 0) {
		warnx("%s: no current %s with this fingerprint", fp,
		    strcmp(table, "org_ca") == 0 ? "organization CA" :
		    "exclusion");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (!audit_append(db, o->actor, action, fp, json_pack("{s:s, s:s?}",
	    "sha256", fp, "reason", o->reason)) || !db_commit(db))
		goto out;
	printf("%s: %s\n", fp, strcmp(table, "org_ca") == 0 ?
	    "organization CA removed" : "exclusion lifted");
	rc = publish_all(db, cfg, o->actor, NULL, 0);
 out:
	db_rollback(db);
	return rc;
}

/*
 * Stamp the current organization CA with the fingerprint fp (64 hex
 * digits) removed, log it, publish.  Returns an exit code: 1 when there
 * is no such CA.
 */
int
org_remove(sqlite3 *db, const struct config *cfg, const char *fp,
    const struct org_change *o)
{
	return remove_fp(db, cfg, "org_ca", fp, o);
}

/*
 * Lift the current exclusion of fp (64 hex digits), log it, publish.
 * Returns an exit code: 1 when fp is not excluded.
 */
int
exclude_remove(sqlite3 *db, const struct config *cfg, const char *fp,
    const struct org_change *o)
{
	return remove_fp(db, cfg, "exclusion", fp, o);
}

/*
 * The organization CAs (all: the removed ones too), by name, as a JSON
 * array the caller frees (json_decref).  Returns NULL after a warning.
 */
json_t *
org_list(sqlite3 *db, int all)
{
	sqlite3_stmt	*st;
	json_t		*arr, *row;
	int		 step, ok = 0;

	if ((arr = json_array()) == NULL)
		return NULL;
	if ((st = db_prepare(db, "SELECT o.id, o.cert, o.name, k.subject, "
	    "k.issuer, k.not_after, o.intermediate, o.owner, o.note, "
	    "o.added, o.added_by, o.removed, o.removed_by, (SELECT "
	    "group_concat(tag, ' ') FROM (SELECT tag FROM org_ca_tag WHERE "
	    "org_ca = o.id ORDER BY tag)) FROM org_ca o JOIN certificate k ON "
	    "k.sha256 = o.cert WHERE ?1 OR o.removed IS NULL ORDER BY o.name, "
	    "o.cert, o.id")) == NULL)
		goto out;
	sqlite3_bind_int(st, 1, all);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:b, s:s?, "
		    "s:s?, s:I, s:s, s:o, s:s?, s:s?}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "sha256", sqlite3_column_text(st, 1),
		    "name", sqlite3_column_text(st, 2),
		    "subject", sqlite3_column_text(st, 3),
		    "issuer", sqlite3_column_text(st, 4),
		    "not_after", (json_int_t)sqlite3_column_int64(st, 5),
		    "intermediate", sqlite3_column_int(st, 6),
		    "owner", sqlite3_column_text(st, 7),
		    "note", sqlite3_column_text(st, 8),
		    "added", (json_int_t)sqlite3_column_int64(st, 9),
		    "added_by", sqlite3_column_text(st, 10),
		    "removed", sqlite3_column_type(st, 11) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 11)),
		    "removed_by", sqlite3_column_text(st, 12),
		    "tags", sqlite3_column_text(st, 13));
		if (row == NULL || json_array_append_new(arr, row) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	if (!ok) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}

/* The label of fp in the served upstream set, or NULL when absent. */
static char *
upstream_label(sqlite3 *db, const char *fp)
{
	sqlite3_stmt	*st;
	char		*label = NULL;

	if ((st = db_prepare(db, "SELECT label FROM snapshot_cert WHERE "
	    "snapshot = (SELECT max(id) FROM snapshot WHERE status = "
	    "'accepted' AND relay IS NULL) AND cert = ?")) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		label = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return label;
}

/*
 * Exclude the root with fingerprint fp (64 hex digits) for o->reason,
 * log it, publish; one that is not upstream (yet) is excluded too,
 * with a warning.  Returns an exit code, 0 when already excluded.
 */
int
exclude_add(sqlite3 *db, const struct config *cfg, const char *fp,
    const struct org_change *o)
{
	sqlite3_stmt	*st = NULL;
	char		*label = NULL;
	int		 rc = EXIT_LOCAL, step;

	if (!db_begin(db))
		return EXIT_LOCAL;
	if ((st = db_prepare(db, "SELECT 1 FROM exclusion WHERE cert = ? AND "
	    "removed IS NULL")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		printf("%s: already excluded\n", fp);
		rc = EXIT_DONE;
		goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((label = upstream_label(db, fp)) == NULL)
		warnx("%s: not in the accepted upstream bundle; excluded "
		    "anyway, it will be left out if it ever appears", fp);
	if ((st = db_prepare(db, "INSERT INTO exclusion (cert, reason, added, "
	    "added_by) VALUES (?, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 4, o->actor, -1, SQLITE_STATIC);
	if (!db_step_done(db, st) ||
	    !audit_append(db, o->actor, "exclude-add", fp, json_pack(
	    "{s:s, s:s?, s:s}", "sha256", fp, "label", label,
	    "reason", o->reason)) || !db_commit(db))
		goto out;
	printf("excluded %s%s%s%s from the profiles that apply exclusions\n",
	    label != NULL ? "\"" : "", label != NULL ? label : "",
	    label != NULL ? "\" " : "", fp);
	rc = publish_all(db, cfg, o->actor, NULL, 0);
 out:
	free(label);
	sqlite3_finalize(st);
	db_rollback(db);
	return rc;
}

/*
 * The exclusions (all: the lifted ones too), oldest first, each with
 * its latest upstream label, as a JSON array the caller frees
 * (json_decref).  Returns NULL after a warning.
 */
json_t *
exclude_list(sqlite3 *db, int all)
{
	sqlite3_stmt	*st;
	json_t		*arr, *row;
	int		 step, ok = 0;

	if ((arr = json_array()) == NULL)
		return NULL;
	if ((st = db_prepare(db, "SELECT e.cert, e.reason, e.added, "
	    "e.added_by, e.removed, e.removed_by, (SELECT label FROM "
	    "snapshot_cert WHERE cert = e.cert ORDER BY snapshot DESC LIMIT 1) "
	    "FROM exclusion e WHERE ?1 OR e.removed IS NULL ORDER BY e.id"))
	    == NULL)
		goto out;
	sqlite3_bind_int(st, 1, all);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_pack("{s:s, s:s?, s:s, s:I, s:s, s:o, s:s?}",
		    "sha256", sqlite3_column_text(st, 0),
		    "label", sqlite3_column_text(st, 6),
		    "reason", sqlite3_column_text(st, 1),
		    "added", (json_int_t)sqlite3_column_int64(st, 2),
		    "added_by", sqlite3_column_text(st, 3),
		    "removed", sqlite3_column_type(st, 4) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 4)),
		    "removed_by", sqlite3_column_text(st, 5));
		if (row == NULL || json_array_append_new(arr, row) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto out;
	}
	ok = 1;
 out:
	sqlite3_finalize(st);
	if (!ok) {
		json_decref(arr);
		arr = NULL;
	}
	return arr;
}
