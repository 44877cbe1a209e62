/*
 * p11kit.c - write a release's bundle in p11-kit's persistence format
 * (p11-kit trust/persist.c): one [p11-kit-object-v1] per root, in
 * bundle order, a trusted certificate with its label and, for a root
 * its constraints document dates, nss-server-distrust-after as NSS has
 * it (a UTCTime string, "YYMMDDHHMMSSZ").  p11-kit's trust module reads
 * such a file from an anchors directory or "trust anchor --store", and
 * NSS and GnuTLS through it honour the date, which a PEM bundle cannot
 * carry.  Made from the signed bundle and the signed constraints
 * document alone, so the same release always gives the same bytes.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "encode.h"
#include "log.h"
#include "p11kit.h"

/*
 * A string value as p11-kit's format_string() writes one: quoted, the
 * unreserved URL characters and space as they are, any other byte as
 * %xx.  Returns 1, or 0 when out is full.
 */
static int
put_string(struct buf *out, const char *s)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~ ";
	const unsigned char *p;

	if (!buf_append(out, "\"", 1))
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (strchr(keep, *p) != NULL) {
			if (!buf_append(out, p, 1))
				return 0;
		} else if (!buf_printf(out, "%%%02X", *p))
			return 0;
	}
	return buf_append(out, "\"", 1);
}

/*
 * "2024-11-30T23:59:59Z" (the constraints document's form) as the
 * UTCTime "241130235959Z" into utc (14 bytes).  Returns 0 for anything
 * else, or a year UTCTime cannot hold (before 1950, after 2049).
 */
static int
utctime(const char *iso, char *utc)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int from[] = { 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18 };
	size_t	 i;
	int	 year;

	if (iso == NULL || strlen(iso) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? iso[i] < '0' || iso[i] > '9' :
		    iso[i] != shape[i])
			return 0;
	year = (iso[0] - '0') * 1000 + (iso[1] - '0') * 100 +
	    (iso[2] - '0') * 10 + (iso[3] - '0');
	if (year < 1950 || year > 2049)
		return 0;
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		utc[i] = iso[from[i]];
	utc[12] = 'Z';
	utc[13] = '\0';
	return 1;
}

/* The date the constraints roots give the certificate of sha; NULL: none. */
static const char *
date_of(json_t *roots, const char *sha)
{
	json_t	*r;
	size_t	 i;

	json_array_foreach(roots, i, r) {
		if (json_is_string(json_object_get(r, "sha256")) &&
		    strcmp(json_string_value(json_object_get(r, "sha256")),
		    sha) == 0)
			return json_string_value(json_object_get(r,
			    "server_distrust_after"));
	}
	return NULL;
}

/*
 * The bundle pem (len bytes) as p11-kit objects into out, with the
 * dates of constraints document cons (clen bytes; NULL: none).
 * Returns 1, or 0 after a warning: a bundle our reader refuses, a
 * constraints document that is not one, a date p11-kit cannot hold, a
 * root of the document missing from the bundle, out full.
 */
int
p11kit_render(const char *pem, size_t len, const char *cons, size_t clen,
    struct buf *out)
{
	struct bundle	*bd = NULL;
	struct bundle_error err;
	json_t		*doc = NULL, *roots = NULL;
	const char	*iso;
	char		 sha[65], utc[14];
	size_t		 i, dated = 0;
	int		 ok = 0;

	if ((bd = bundle_parse((const unsigned char *)pem, len, &err)) ==
	    NULL) {
		warnx("cacert.p11-kit: the bundle does not read: %s (line "
		    "%zu)", err.msg, err.line);
		return 0;
	}
	if (cons != NULL && ((doc = json_loadb(cons, clen,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_array(roots = json_object_get(doc, "roots")))) {
		warnx("cacert.p11-kit: the constraints document does not "
		    "read");
		goto out;
	}
	for (i = 0; i < bd->ncerts; i++) {
		hex_encode(bd->certs[i].sha256, 32, sha);
		iso = roots != NULL ? date_of(roots, sha) : NULL;
		if (iso != NULL && !utctime(iso, utc)) {
			warnx("cacert.p11-kit: %s: date %.32s is not one "
			    "p11-kit takes", sha, iso);
			goto out;
		}
		dated += iso != NULL;
		if (!buf_append(out, "[p11-kit-object-v1]\nclass: certificate\n"
		    "label: ", 46) || !put_string(out, bd->certs[i].label) ||
		    !buf_append(out, "\ntrusted: true\n", 15) ||
		    (iso != NULL && (!buf_append(out,
		    "nss-server-distrust-after: ", 27) ||
		    !put_string(out, utc) || !buf_append(out, "\n", 1))) ||
		    !cert_write_pem(&bd->certs[i], out) ||
		    !buf_append(out, "\n", 1)) {
			warnx("cacert.p11-kit: larger than %zu bytes",
			    out->max);
			goto out;
		}
	}
	if (roots != NULL && dated != json_array_size(roots)) {
		warnx("cacert.p11-kit: the constraints document names roots "
		    "the bundle does not hold");
		goto out;
	}
	ok = 1;
 out:
	json_decref(doc);
	bundle_free(bd);
	return ok;
}
