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
#include "query.h"
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
 * The organization CA row id as a new JSON object: name, owner and note
 * (null when unset), tags (sorted).  Returns NULL after a warning.
 */
static json_t *
org_state(sqlite3 *db, int64_t id)
{
	sqlite3_stmt	*st;
	json_t		*o = NULL, *tags;
	int		 step;

	if ((st = db_prepare(db, "SELECT name, owner, note FROM org_ca WHERE "
	    "id = ?")) == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW || (o = json_pack("{s:s, s:s?, "
	    "s:s?, s:[]}", "name", sqlite3_column_text(st, 0),
	    "owner", sqlite3_column_text(st, 1),
	    "note", sqlite3_column_text(st, 2), "tags")) == NULL) {
		warnx("organization CA %" PRId64 ": %s", id,
		    sqlite3_errmsg(db));
		goto fail;
	}
	/* json_pack's "s?" leaves a NULL out; keep the key, as null */
	if ((json_object_get(o, "owner") == NULL && json_object_set_new(o,
	    "owner", json_null()) == -1) || (json_object_get(o, "note") ==
	    NULL && json_object_set_new(o, "note", json_null()) == -1))
		goto fail;
	sqlite3_finalize(st);
	if ((st = db_prepare(db, "SELECT tag FROM org_ca_tag WHERE org_ca = ? "
	    "ORDER BY tag")) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	tags = json_object_get(o, "tags");
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(tags, json_string((const char *)
		    sqlite3_column_text(st, 0))) == -1)
			goto fail;
	if (step != SQLITE_DONE) {
		warnx("%s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return o;
 fail:
	sqlite3_finalize(st);
	json_decref(o);
	return NULL;
}

/* Whether the JSON array of strings a holds s. */
static int
tags_have(const json_t *a, const char *s)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* s as one shell word: bare when plain, else in single quotes. */
static int
shell_word(struct buf *b, const char *s)
{
	const char	*p;

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-/:@,=") == strlen(s))
		return buf_printf(b, "%s", s);
	if (!buf_append(b, "'", 1))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!(*p == '\'' ? buf_append(b, "'\\''", 4) :
		    buf_append(b, p, 1)))
			return 0;
	return buf_append(b, "'", 1);
}

/* " --opt VALUE" into b when the CA's field differs from want. */
static int
edit_arg(struct buf *b, const json_t *cur, const char *field,
    const char *want, int *n)
{
	const char	*have = json_string_value(json_object_get(cur, field));

	if (want == NULL || (have != NULL && strcmp(have, want) == 0))
		return 1;
	(*n)++;
	return buf_printf(b, " --%s ", field) && shell_word(b, want);
}

/*
 * org add of a CA that is current already (row id): when o asks for a
 * name, owner, note or tag it does not have, say so with the "org
 * edit" command that would make it so.  Returns 1 the same, 0 other
 * (said), -1 after a warning.
 */
static int
org_same(sqlite3 *db, const struct config *cfg, int64_t id,
    const char *label, const char *fp, const struct org_change *o)
{
	struct buf	 cmd, msg;
	json_t		*cur;
	const json_t	*v;
	size_t		 i;
	int		 n = 0, ok = -1;

	buf_init(&cmd, 1u << 16);
	buf_init(&msg, 1u << 16);
	if ((cur = org_state(db, id)) == NULL)
		return -1;
	if (!buf_printf(&cmd, "cabundled -d ") ||
	    !shell_word(&cmd, cfg->datadir) ||
	    !buf_printf(&cmd, " org edit") ||
	    !edit_arg(&cmd, cur, "name", o->name, &n) ||
	    !edit_arg(&cmd, cur, "owner", o->owner, &n) ||
	    !edit_arg(&cmd, cur, "note", o->note, &n))
		goto out;
	for (i = 0; i < o->ntags; i++) {
		if (tags_have(json_object_get(cur, "tags"), o->tags[i]))
			continue;
		n++;
		if (!buf_printf(&cmd, " --tag %s", o->tags[i]))
			goto out;
	}
	if (!buf_printf(&cmd, " %s", fp))
		goto out;
	if (n == 0) {
		printf("\"%s\" (sha256 %s) is already an organization CA, as "
		    "asked; nothing changed\n", label, fp);
		ok = 1;
		goto out;
	}
	if (!buf_printf(&msg, "\"%s\" (sha256 %s) is already an "
	    "organization CA, named \"%s\", owner %s, tags", label, fp,
	    json_string_value(json_object_get(cur, "name")),
	    json_is_string(json_object_get(cur, "owner")) ?
	    json_string_value(json_object_get(cur, "owner")) : "(none)"))
		goto out;
	json_array_foreach(json_object_get(cur, "tags"), i, v)
		if (!buf_printf(&msg, " %s", json_string_value(v)))
			goto out;
	if (json_array_size(json_object_get(cur, "tags")) == 0 &&
	    !buf_printf(&msg, " (none)"))
		goto out;
	warnx("%s; nothing changed. To change it:\n    %s",
	    (const char *)msg.data, (const char *)cmd.data);
	ok = 0;
 out:
	json_decref(cur);
	buf_free(&cmd);
	buf_free(&msg);
	return ok;
}

/*
 * org add FILE: lint every certificate of the file at path, then add
 * all or none (one transaction), then publish.  Refuses a private key,
 * a leaf, an expired or weak CA, an intermediate unless asked for, and
 * a file with a CA that is current already with another name, owner or
 * note than asked or without a tag asked for (exit 1, naming the "org
 * edit" command that changes it).  Returns an exit code.
 */
int
org_add(sqlite3 *db, const struct config *cfg, const char *path,
    const struct org_change *o)
{
	struct bundle	*b;
	char		 fp[65];
	int64_t		 now = (int64_t)time(NULL), id;
	size_t		 i, added = 0, other = 0;
	int		 rc = EXIT_REFUSED, same;

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
		if (id == 0)
			continue;
		if ((same = org_same(db, cfg, id, b->certs[i].label, fp,
		    o)) == -1)
			goto out;
		other += !same;
	}
	/* All or nothing: one already there otherwise stops the file. */
	if (other) {
		rc = EXIT_REFUSED;
		goto out;
	}
	for (i = 0; i < b->ncerts; i++) {
		hex_encode(b->certs[i].sha256, 32, fp);
		if (!org_current(db, fp, &id))
			goto out;
		if (id != 0)
			continue;
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

/* s as a state's owner or note: "" clears it (null). */
static json_t *
org_text(const char *s)
{
	return *s == '\0' ? json_null() : json_string(s);
}

/* c's changes applied to the CA's state cur (a copy). */
static json_t *
org_apply(const json_t *cur, const struct org_change *c)
{
	json_t		*n, *tags, *keep;
	const json_t	*v;
	size_t		 i, j;

	if ((n = json_deep_copy(cur)) == NULL || (keep = json_array()) ==
	    NULL) {
		json_decref(n);
		return NULL;
	}
	if ((c->name != NULL && json_object_set_new(n, "name",
	    json_string(c->name)) == -1) || (c->owner != NULL &&
	    json_object_set_new(n, "owner", org_text(c->owner)) == -1) ||
	    (c->note != NULL && json_object_set_new(n, "note",
	    org_text(c->note)) == -1))
		goto fail;
	tags = json_object_get(n, "tags");
	for (i = 0; i < c->ntags; i++)
		if (!tags_have(tags, c->tags[i]) &&
		    json_array_append_new(tags, json_string(c->tags[i])) == -1)
			goto fail;
	json_array_foreach(tags, i, v) {
		for (j = 0; j < c->nuntags; j++)
			if (strcmp(json_string_value(v), c->untags[j]) == 0)
				break;
		if (j == c->nuntags && json_array_append(keep, (json_t *)v)
		    == -1)
			goto fail;
	}
	/* sorted, as org_state() reads them */
	for (i = 1; i < json_array_size(keep); i++)
		for (j = i; j > 0 && strcmp(json_string_value(
		    json_array_get(keep, j - 1)), json_string_value(
		    json_array_get(keep, j))) > 0; j--) {
			v = json_incref(json_array_get(keep, j - 1));
			if (json_array_remove(keep, j - 1) == -1 ||
			    json_array_insert_new(keep, j, (json_t *)v) == -1)
				goto fail;
		}
	if (json_object_set_new(n, "tags", keep) == -1) {
		json_decref(n);
		return NULL;
	}
	return n;
 fail:
	json_decref(keep);
	json_decref(n);
	return NULL;
}

/* Write state n into organization CA row id and its tags. */
static int
org_store(sqlite3 *db, int64_t id, const json_t *n)
{
	sqlite3_stmt	*st;
	char		 key[24];
	int		 ok = 0;

	if ((st = db_prepare(db, "UPDATE org_ca SET name = ?, owner = ?, "
	    "note = ? WHERE id = ?")) == NULL)
		return 0;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(n,
	    "name")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(n,
	    "owner")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(n,
	    "note")), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	snprintf(key, sizeof(key), "%" PRId64, id);
	if (!db_step_done(db, st) || !query_tags_set(db, "org_ca_tag",
	    "org_ca", key, json_object_get(n, "tags")))
		goto out;
	ok = 1;
 out:
	sqlite3_finalize(st);
	return ok;
}

/* One line per changed field of an org edit, to standard output. */
static void
org_say(const char *fp, const json_t *before, const json_t *after)
{
	static const char *const fields[] = { "name", "owner", "note" };
	const json_t	*v;
	const char	*b, *a;
	size_t		 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		b = json_string_value(json_object_get(before, fields[i]));
		a = json_string_value(json_object_get(after, fields[i]));
		if (a != NULL && (b == NULL || strcmp(a, b) != 0))
			printf("%s: %s \"%s\" (was %s%s%s)\n", fp, fields[i],
			    a, b ? "\"" : "", b ? b : "unset", b ? "\"" : "");
		else if (a == NULL && b != NULL)
			printf("%s: %s unset (was \"%s\")\n", fp, fields[i],
			    b);
	}
	if (json_equal(json_object_get(before, "tags"),
	    json_object_get(after, "tags")))
		return;
	printf("%s: tags", fp);
	json_array_foreach(json_object_get(after, "tags"), i, v)
		printf(" %s", json_string_value(v));
	if (json_array_size(json_object_get(after, "tags")) == 0)
		printf(" (none)");
	printf(" (was");
	json_array_foreach(json_object_get(before, "tags"), i, v)
		printf(" %s", json_string_value(v));
	if (json_array_size(json_object_get(before, "tags")) == 0)
		printf(" none");
	printf(")\n");
}

/*
 * org edit FP: change the name, owner, note or tags of the current
 * organization CA with fingerprint fp (64 hex digits) as c says (an
 * empty owner or note clears it), with an audit row "org-edit"
 * holding them before and after, in one transaction; then publish
 * what changes (tags choose the profiles, the name is the label in the
 * bundles).  Refuses a fingerprint that is no current organization CA
 * (exit 1).  Returns an exit code: 0
 * (also when nothing changes; then no audit row).
 */
int
org_edit(sqlite3 *db, const struct config *cfg, const char *fp,
    const struct org_change *c)
{
	json_t		*before = NULL, *after = NULL;
	int64_t		 id;
	int		 rc = EXIT_LOCAL;

	if (!db_begin(db) || !org_current(db, fp, &id))
		goto out;
	if (id == 0) {
		warnx("%s: no current organization CA with this fingerprint "
		    "(cabundled org list)", fp);
		rc = EXIT_REFUSED;
		goto out;
	}
	if ((before = org_state(db, id)) == NULL ||
	    (after = org_apply(before, c)) == NULL)
		goto out;
	if (json_equal(before, after)) {
		printf("%s: unchanged\n", fp);
		rc = EXIT_DONE;
		goto out;
	}
	if (!org_store(db, id, after) ||
	    !audit_append(db, c->actor, "org-edit", fp, json_pack("{s:s, "
	    "s:O, s:O}", "sha256", fp, "before", before, "after", after)) ||
	    !db_commit(db))
		goto out;
	org_say(fp, before, after);
	rc = publish_all(db, cfg, c->actor, NULL, 0);
 out:
	json_decref(before);
	json_decref(after);
	db_rollback(db);
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
