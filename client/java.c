/*
 * java.c - "--java FILE": a PKCS#12 truststore (p12.c) for Java's
 * javax.net.ssl.trustStore, replaced as a file target is (file.c: the
 * -backup of the original once, rollback puts the old bytes back).
 *
 * A store is never rewritten for nothing, but its bytes differ on
 * every build (salts): it "holds the release" when its trusted
 * certificates are the release's, compared by SHA-256 after its MAC
 * verifies with the password.  An existing file that is not a PKCS#12
 * store, or not one this password opens, is refused, never replaced:
 * the programs that read it with their password would fail to load
 * the new one.  The state records the release's certificate SHA-256s
 * ("certs") and the store's own ("store_sha256") for status and
 * restore.
 */
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "encode.h"
#include "exitcode.h"
#include "extern.h"

#define JAVA_STORE_MAX	(8u << 20)
#define JAVA_PASS_MAX	128

struct javastore {
	const char	*pass;		/* borrowed from the options */
	struct p12set	 had;		/* the store's, if any */
	struct p12set	 rel;		/* the release's */
	struct buf	 built;		/* the new store */
	char		 sha[65];	/* the store file's, after */
};

/*
 * The password, checked: 1 to 128 bytes with no control character
 * (Java takes it as a string; OpenSSL as UTF-8).  Returns 1, or 0
 * after a warning.
 */
int
java_password_ok(const char *pass)
{
	const char	*p;

	if (*pass == '\0' || strlen(pass) > JAVA_PASS_MAX) {
		warnx("--java-password: want 1 to %d bytes", JAVA_PASS_MAX);
		return 0;
	}
	for (p = pass; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			warnx("--java-password: a control character");
			return 0;
		}
	return 1;
}

/*
 * A Java truststore target at path, opened with pass (borrowed: it
 * must outlive t).  Returns EXIT_DONE with t filled (target_free), or
 * EXIT_LOCAL after a warning: a relative path, a directory, a bad
 * password.
 */
int
target_java(const char *path, const char *pass, struct target *t)
{
	struct stat	 st;

	memset(t, 0, sizeof(*t));
	if (*path != '/') {
		warnx("--java %s: give an absolute path", path);
		return EXIT_LOCAL;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		warnx("--java %s: not a regular file", path);
		return EXIT_LOCAL;
	}
	if (!java_password_ok(pass))
		return EXIT_LOCAL;
	if ((t->path = strdup(path)) == NULL ||
	    (t->java = calloc(1, sizeof(*t->java))) == NULL) {
		warn(NULL);
		free(t->path);
		t->path = NULL;
		return EXIT_LOCAL;
	}
	t->java->pass = pass;
	buf_init(&t->java->built, JAVA_STORE_MAX);
	t->kind = "java";
	return EXIT_DONE;
}

/*
 * After the file target's own checks have read t->old: an existing
 * store must open with the password.  Returns 1, or 0 after a warning
 * (not PKCS#12, or another password): nothing is then replaced.
 */
int
java_check(struct target *t)
{
	if (!t->exists)
		return 1;
	if (!p12_read(t->path, t->old.data, t->old.len, t->java->pass,
	    &t->java->had)) {
		warnx("%s: not a truststore this password opens; not "
		    "replaced (give its password with --java-password, or "
		    "move it away)", t->path);
		return 0;
	}
	return 1;
}

/*
 * The bytes to write for the verified release body: the new store in
 * *data and *len (borrowed from t), or t->replaced set to -1 when the
 * store already trusts exactly the release's certificates.  Returns 1,
 * or 0 after a warning.
 */
int
java_build(struct target *t, const unsigned char *body, size_t len,
    const void **data, size_t *n)
{
	struct javastore	*j = t->java;
	size_t			 missing, extra;

	p12set_free(&j->rel);
	if (!p12_build(body, len, j->pass, &j->built, &j->rel))
		return 0;
	if (t->exists && p12set_same(&j->had, &j->rel, &missing, &extra)) {
		file_sha256(t->old.data, t->old.len, j->sha);
		t->replaced = -1;	/* holds it: not rewritten */
		return 1;
	}
	file_sha256(j->built.data, j->built.len, j->sha);
	*data = j->built.data;
	*n = j->built.len;
	return 1;
}

/*
 * Add to the state record rec what status and restore need: the
 * release's certificate SHA-256s and the store file's.  Returns 1, or
 * 0 when out of memory.
 */
int
java_record(const struct target *t, json_t *rec)
{
	json_t	*a;
	char	 hex[65];
	size_t	 i;

	if ((a = json_array()) == NULL)
		return 0;
	for (i = 0; i < t->java->rel.n; i++) {
		hex_encode(t->java->rel.sha[i], 32, hex);
		if (json_array_append_new(a, json_string(hex)) == -1) {
			json_decref(a);
			return 0;
		}
	}
	return json_object_set_new(rec, "certs", a) == 0 &&
	    json_object_set_new(rec, "store_sha256",
	    json_string(t->java->sha)) == 0;
}

/* The record's "certs" as a sorted set; 1, or 0 when malformed. */
static int
record_set(const json_t *rec, struct p12set *s)
{
	const json_t	*a = json_object_get(rec, "certs"), *v;
	unsigned char	 md[32];
	size_t		 i;

	memset(s, 0, sizeof(*s));
	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !hex_decode(json_string_value(v),
		    strlen(json_string_value(v)), md, sizeof(md)) ||
		    !p12set_add(s, md)) {
			p12set_free(s);
			return 0;
		}
	}
	p12set_sort(s);
	return 1;
}

/*
 * Whether the store at path still trusts what the state record rec
 * says was installed: its bytes are the ones written, or it opens with
 * pass and trusts the same certificates.  Returns 1, or 0 with why
 * (len bytes) saying how it differs.
 */
int
java_holds(const char *path, const json_t *rec, const char *pass,
    char *why, size_t len)
{
	struct p12set	 want, have;
	struct buf	 b;
	struct stat	 st;
	const char	*sha = json_string_value(json_object_get(rec,
			    "store_sha256"));
	char		 hex[65];
	size_t		 missing, extra;
	int		 ok = 0;

	memset(&have, 0, sizeof(have));
	snprintf(why, len, "the store is missing or unreadable");
	if (file_lstat(path, &st) != 1 || !S_ISREG(st.st_mode) ||
	    !file_read(path, JAVA_STORE_MAX, &b, &st))
		return 0;
	file_sha256(b.data, b.len, hex);
	if (sha != NULL && strcmp(hex, sha) == 0) {
		buf_free(&b);
		return 1;
	}
	if (!record_set(rec, &want)) {
		snprintf(why, len, "the state has no certificate list for it");
		goto out;
	}
	if (!p12_read(path, b.data, b.len, pass, &have)) {
		snprintf(why, len, "the store does not open with the "
		    "password (java-password in the configuration file)");
		goto out;
	}
	ok = p12set_same(&have, &want, &missing, &extra);
	snprintf(why, len, "the store trusts %zu certificates: %zu of the "
	    "release's %zu missing, %zu extra%s", have.n, missing, want.n,
	    extra, have.foreign ? ", and entries Java does not trust" : "");
 out:
	p12set_free(&want);
	p12set_free(&have);
	buf_free(&b);
	return ok;
}

/* Free what a Java target holds; NULL is fine. */
void
java_free(struct javastore *j)
{
	if (j == NULL)
		return;
	p12set_free(&j->had);
	p12set_free(&j->rel);
	buf_free(&j->built);
	free(j);
}
