/*
 * test-certdata.c - Mozilla's certdata.txt as NSS released it: the four
 * real files parse with their README's counts and dates, and every
 * hand-broken variant (tests/fixtures/certdata/mkbroken.py) is refused
 * with its code, line and object.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certdata.h"
#include "encode.h"
#include "testutil.h"

static const struct {
	const char	*file;
	size_t		 certobjs;	/* README: certificates */
	size_t		 server;	/* server-auth delegators */
	size_t		 dated;		/* distrust-after dates */
	size_t		 server_dated;	/* delegators with a date */
	size_t		 trust_only;	/* distrusts alone */
} real[] = {
	{ "certdata/certdata-2019-11-26.txt", 152, 138, 0, 0, 7 },
	{ "certdata/certdata-2024-11-15.txt", 175, 149, 9, 9, 0 },
	/* Entrust.net Premium 2048 keeps its date, lost its delegation. */
	{ "certdata/certdata-2025-07-09.txt", 181, 146, 10, 9, 0 },
	/*
	 * Three of the five dated certificates lost their delegation, and
	 * Izenpe.com's date sits on its trust object.
	 */
	{ "certdata/certdata-2026-04-09.txt", 167, 121, 5, 3, 0 },
};

static struct certdata *
load(const char *file)
{
	struct certdata_error	 e;
	struct certdata		*cd;
	struct buf		 in;

	fixture_read(file, &in);
	assert_true(certdata_sniff(in.data, in.len));
	cd = certdata_parse(in.data, in.len, &e);
	if (cd == NULL)
		fail_msg("%s: %s", file, e.msg);
	assert_int_equal(e.code, CERTDATA_OK);
	buf_free(&in);
	return cd;
}

static const struct cd_cert *
by_label(const struct certdata *cd, const char *label)
{
	size_t	 i;

	for (i = 0; i < cd->n; i++)
		if (cd->v[i].der != NULL && strcmp(cd->v[i].label, label) == 0)
			return &cd->v[i];
	fail_msg("no certificate \"%s\"", label);
	return NULL;
}

/* Unix seconds of a UTC date, by the C library, not by certdata.c. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static void
test_counts(void **state)
{
	struct certdata	*cd;
	size_t		 i, j, server, dated, alone;

	(void)state;
	for (i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		cd = load(real[i].file);
		assert_int_equal(cd->ncertobjs, real[i].certobjs);
		assert_int_equal(cd->nserver, real[i].server);
		assert_int_equal(cd->ncertobjs_dated, real[i].dated);
		assert_int_equal(cd->nserver_dated, real[i].server_dated);
		assert_int_equal(cd->n, real[i].certobjs + real[i].trust_only);
		server = dated = alone = 0;
		for (j = 0; j < cd->n; j++) {
			const struct cd_cert	*c = &cd->v[j];

			assert_non_null(c->label);
			assert_true(c->line > 0 && c->object > 0);
			if (j > 0)
				assert_true(c->object > cd->v[j - 1].object);
			if (c->der == NULL) {
				/* Kept only when it trusts nothing. */
				assert_int_not_equal(c->server,
				    CD_TRUST_DELEGATOR);
				assert_int_not_equal(c->email,
				    CD_TRUST_DELEGATOR);
				alone++;
				continue;
			}
			if (c->server == CD_TRUST_DELEGATOR) {
				server++;
				dated += c->server_after != 0;
			}
		}
		assert_int_equal(server, cd->nserver);
		assert_int_equal(dated, cd->nserver_dated);
		assert_int_equal(alone, real[i].trust_only);
		certdata_free(cd);
	}
}

/* README: Entrust and AffirmTrust to 2024-11-30, GLOBALTRUST 2020 06-30. */
static void
test_dates_2024(void **state)
{
	static const char *const entrust[] = {
		"Entrust.net Premium 2048 Secure Server CA",
		"Entrust Root Certification Authority",
		"Entrust Root Certification Authority - G2",
		"Entrust Root Certification Authority - EC1",
		"AffirmTrust Commercial", "AffirmTrust Networking",
		"AffirmTrust Premium", "AffirmTrust Premium ECC",
	};
	struct certdata		*cd = load(real[1].file);
	const struct cd_cert	*c;
	size_t			 i;

	(void)state;
	assert_int_equal(utc(2024, 11, 30, 23, 59, 59), 1733011199);
	for (i = 0; i < sizeof(entrust) / sizeof(entrust[0]); i++) {
		c = by_label(cd, entrust[i]);
		assert_int_equal(c->server_after,
		    utc(2024, 11, 30, 23, 59, 59));
		assert_int_equal(c->server, CD_TRUST_DELEGATOR);
	}
	c = by_label(cd, "GLOBALTRUST 2020");
	assert_int_equal(c->server_after, utc(2024, 6, 30, 0, 0, 0));
	/* An undated root, with its SHA-256 as the file's comment has it. */
	c = by_label(cd, "GlobalSign Root CA");
	assert_int_equal(c->server_after, 0);
	assert_int_equal(c->email_after, 0);
	assert_int_equal(c->email, CD_TRUST_DELEGATOR);
	assert_int_equal(c->code, CD_TRUST_MUST_VERIFY);
	{
		char	 fp[65];

		hex_encode(c->sha256, 32, fp);
		assert_string_equal(fp, "ebd41040e4bb3ec742c9e381d31ef2a4"
		    "1a48b6685c96e7cef3c1df6cd4331c99");
	}
	certdata_free(cd);
}

/* 2026: Izenpe's date is on its trust object; UTF-8 labels read. */
static void
test_2026(void **state)
{
	struct certdata		*cd = load(real[3].file);
	const struct cd_cert	*c;

	(void)state;
	c = by_label(cd, "Izenpe.com");
	assert_int_equal(c->server_after, utc(2026, 4, 15, 23, 59, 59));
	assert_int_equal(c->server, CD_TRUST_DELEGATOR);
	c = by_label(cd, "NetLock Arany (Class Gold) "
	    "F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny");
	assert_int_equal(c->server_after, 0);
	c = by_label(cd, "Entrust Root Certification Authority - G2");
	assert_int_equal(c->server, CD_TRUST_MUST_VERIFY);
	assert_int_equal(c->server_after, utc(2024, 11, 30, 23, 59, 59));
	certdata_free(cd);
}

/* 2019: the explicit distrusts come out without certificate. */
static void
test_trust_only(void **state)
{
	struct certdata		*cd = load(real[0].file);
	const struct cd_cert	*c = &cd->v[0];
	size_t			 i;

	(void)state;
	for (i = 0; i < cd->n; i++)
		if (cd->v[i].der == NULL)
			break;
	c = &cd->v[i];
	assert_string_equal(c->label, "Distrust: O=Egypt Trust, "
	    "OU=VeriSign Trust Network (cert 1/3)");
	assert_int_equal(c->server, CD_TRUST_NOT_TRUSTED);
	assert_int_equal(c->derlen, 0);
	assert_int_equal(c->object, 12);
	assert_int_equal(c->line, 852);
	certdata_free(cd);
}

static const struct {
	const char		*file;
	enum certdata_err	 code;
	size_t			 line, object;
	const char		*says;		/* in the message */
} broken[] = {
	{ "octal-short.txt", CERTDATA_BAD_OCTAL, 113, 2, NULL },
	{ "no-end.txt", CERTDATA_NO_END, 366, 5, NULL },
	{ "end-deleted.txt", CERTDATA_BAD_OCTAL, 97, 2, NULL },
	{ "orphan-trust.txt", CERTDATA_ORPHAN_TRUST, 216, 4, NULL },
	{ "no-trust.txt", CERTDATA_NO_TRUST, 218, 4, NULL },
	{ "label-latin1.txt", CERTDATA_BAD_UTF8, 88, 2, NULL },
	{ "sha1-mismatch.txt", CERTDATA_HASH_MISMATCH, 185, 3, NULL },
	{ "trust-twice.txt", CERTDATA_TRUST_TWICE, 216, 4, NULL },
	{ "date-nov31.txt", CERTDATA_BAD_DATE, 327, 4, NULL },
	{ "value-not-cert.txt", CERTDATA_BAD_DER, 110, 2, NULL },
	{ "value-trailing.txt", CERTDATA_BAD_DER, 110, 2,
	    "followed by more bytes" },
	{ "value-ber.txt", CERTDATA_BAD_DER, 110, 2, "not DER" },
	{ "serial-mismatch.txt", CERTDATA_MISMATCH, 107, 2, NULL },
	{ "label-twice.txt", CERTDATA_DUPLICATE, 89, 2, NULL },
	{ "no-begindata.txt", CERTDATA_NO_BEGINDATA, 67, 0, NULL },
	{ "class-private-key.txt", CERTDATA_BAD_VALUE, 84, 2, NULL },
	{ "trust-unknown.txt", CERTDATA_BAD_VALUE, 203, 3, NULL },
	{ "no-final-newline.txt", CERTDATA_SYNTAX, 372, 5, NULL },
};

static void
test_broken(void **state)
{
	struct certdata_error	 e;
	struct buf		 in;
	char			 rel[128], where[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		snprintf(rel, sizeof(rel), "certdata/broken/%s",
		    broken[i].file);
		fixture_read(rel, &in);
		if (certdata_parse(in.data, in.len, &e) != NULL)
			fail_msg("%s parsed", broken[i].file);
		if (e.code != broken[i].code || e.line != broken[i].line ||
		    e.object != broken[i].object)
			fail_msg("%s: %s line %zu object %zu (%s)",
			    broken[i].file, certdata_errname(e.code), e.line,
			    e.object, e.msg);
		/* The message names where, for the user. */
		if (e.object > 0)
			snprintf(where, sizeof(where), "object %zu (line %zu)",
			    e.object, e.line);
		else
			snprintf(where, sizeof(where), "line %zu", e.line);
		assert_non_null(strstr(e.msg, where));
		if (broken[i].says != NULL &&
		    strstr(e.msg, broken[i].says) == NULL)
			fail_msg("%s: %s", broken[i].file, e.msg);
		assert_string_not_equal(certdata_errname(e.code), "unknown");
		buf_free(&in);
	}
}

/* Parse small.txt with one change; returns the error code. */
static enum certdata_err
small_with(const char *from, const char *to, struct certdata_error *e)
{
	struct certdata	*cd;
	struct buf	 in;

	fixture_read("certdata/small.txt", &in);
	if (from != NULL)
		text_replace(&in, from, to);
	cd = certdata_parse(in.data, in.len, e);
	buf_free(&in);
	if (cd != NULL) {
		assert_int_equal(e->code, CERTDATA_OK);
		certdata_free(cd);
	}
	return e->code;
}

/* Entrust's date line, "241130235959Z" in octal. */
#define DATE_LINE "\\062\\064\\061\\061\\063\\060\\062\\063\\065\\071" \
	"\\065\\071\\132"

static void
test_dates(void **state)
{
	static const struct {
		const char		*octal;
		enum certdata_err	 code;
	} dates[] = {
		/* 2049-12-31 23:59:59: YY 49 is 20YY. */
		{ "\\064\\071\\061\\062\\063\\061\\062\\063\\065\\071\\065"
		    "\\071\\132", CERTDATA_OK },
		/* 2024-02-29 exists, 2023-02-29 does not. */
		{ "\\062\\064\\060\\062\\062\\071\\060\\060\\060\\060\\060"
		    "\\060\\132", CERTDATA_OK },
		{ "\\062\\063\\060\\062\\062\\071\\060\\060\\060\\060\\060"
		    "\\060\\132", CERTDATA_BAD_DATE },
		/* YY 50 is 1950: before 1970, no date NSS could mean. */
		{ "\\065\\060\\060\\061\\060\\061\\060\\060\\060\\060\\060"
		    "\\060\\132", CERTDATA_BAD_DATE },
		/* 24:00:00, minute 60, no Z, a GeneralizedTime's length. */
		{ "\\062\\064\\061\\061\\063\\060\\062\\064\\060\\060\\060"
		    "\\060\\132", CERTDATA_BAD_DATE },
		{ "\\062\\064\\061\\061\\063\\060\\062\\063\\066\\060\\060"
		    "\\060\\132", CERTDATA_BAD_DATE },
		{ "\\062\\064\\061\\061\\063\\060\\062\\063\\065\\071\\065"
		    "\\071\\060", CERTDATA_BAD_DATE },
		{ "\\062\\060\\062\\064\\061\\061\\063\\060\\062\\063\\065"
		    "\\071\\065\\071\\132", CERTDATA_BAD_DATE },
		/* A space where a digit belongs. */
		{ "\\062\\064\\061\\061\\063\\060\\062\\063\\065\\071\\065"
		    "\\040\\132", CERTDATA_BAD_DATE },
	};
	struct certdata_error	 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (small_with(DATE_LINE, dates[i].octal, &e) !=
		    dates[i].code)
			fail_msg("date %zu: %s", i, e.msg);
	assert_int_equal(small_with("CKA_NSS_SERVER_DISTRUST_AFTER "
	    "MULTILINE_OCTAL\n" DATE_LINE "\nEND",
	    "CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_TRUE", &e),
	    CERTDATA_BAD_DATE);
	assert_int_equal(e.line, 327);
}

#define LABEL "UTF8 \"GlobalSign Root CA\""
/* Only Entrust's trust object has its label before a hash. */
#define ENTRUST_TRUST "\"Entrust.net Premium 2048 Secure Server CA\"\n" \
	"CKA_CERT_SHA1_HASH"
#define ENTRUST_TRUST_DATED(d) "\"Entrust.net Premium 2048 Secure Server " \
	"CA\"\nCKA_NSS_SERVER_DISTRUST_AFTER MULTILINE_OCTAL\n" d "\nEND\n" \
	"CKA_CERT_SHA1_HASH"

/* The grammar's other refusals, each one edit of small.txt. */
static void
test_grammar(void **state)
{
	static const struct {
		const char		*from, *to;
		enum certdata_err	 code;
	} edits[] = {
		{ NULL, NULL, CERTDATA_OK },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN CK_BBOOL yes",
		    CERTDATA_SYNTAX },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN CK_BBOOL CK_MAYBE",
		    CERTDATA_BAD_VALUE },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN CK_BOOL CK_TRUE",
		    CERTDATA_SYNTAX },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN  CK_BBOOL CK_TRUE",
		    CERTDATA_SYNTAX },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN CK_BBOOL CK_TRUE\t",
		    CERTDATA_BINARY },
		{ "CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_TOKEN CK_BBOOL CK_TRUE\r",
		    CERTDATA_OK },
		{ "\nCKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509",
		    "\nCKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_WTLS",
		    CERTDATA_BAD_VALUE },
		{ LABEL, "UTF8 \"Global\\\"Sign\"", CERTDATA_BAD_VALUE },
		{ LABEL, "UTF8 \"Global\\Sign\"", CERTDATA_BAD_VALUE },
		{ LABEL, "UTF8 GlobalSign", CERTDATA_SYNTAX },
		{ LABEL, "UTF8 \"GlobalSign", CERTDATA_SYNTAX },
		{ LABEL, "UTF8 \"Global\xc2\x85Sign\"", CERTDATA_BAD_UTF8 },
		{ LABEL, "UTF8 \"Glo\xc0\xafSign\"", CERTDATA_BAD_UTF8 },
		{ LABEL, "UTF8 \"\"", CERTDATA_OK },
		{ "CKA_ID UTF8 \"0\"",
		    "CKA_ID UTF8 \"0\"\nCKA_NSS_NEW CK_BBOOL "
		    "CK_TRUE", CERTDATA_OK },
		{ "CKA_ID UTF8 \"0\"", "CKA_ID CK_OBJECT_CLASS CKO_DATA",
		    CERTDATA_BAD_VALUE },
		{ "CKA_ID UTF8 \"0\"", "CKA_TRUST_SERVER_AUTH CK_TRUST "
		    "CKT_NSS_TRUSTED_DELEGATOR", CERTDATA_BAD_VALUE },
		{ "CKA_ID UTF8 \"0\"", "cka_id UTF8 \"0\"", CERTDATA_SYNTAX },
		{ "CKA_SUBJECT MULTILINE_OCTAL",
		    "CKA_SUBJECT MULTILINE_OCTAL x",
		    CERTDATA_SYNTAX },
		{ "CKA_SUBJECT MULTILINE_OCTAL\n",
		    "CKA_SUBJECT MULTILINE_OCTAL\n\\400", CERTDATA_BAD_OCTAL },
		{ "CKA_SUBJECT MULTILINE_OCTAL\n",
		    "CKA_SUBJECT MULTILINE_OCTAL\n\\08", CERTDATA_BAD_OCTAL },
		{ "CKA_SUBJECT MULTILINE_OCTAL\n",
		    "CKA_SUBJECT MULTILINE_OCTAL\n# a comment\n",
		    CERTDATA_BAD_OCTAL },
		{ "CKA_SUBJECT MULTILINE_OCTAL\n",
		    "CKA_SUBJECT MULTILINE_OCTAL\n\\060 ", CERTDATA_BAD_OCTAL },
		{ "CKA_SUBJECT MULTILINE_OCTAL\n",
		    "CKA_SUBJECT MULTILINE_OCTAL\n\\060\n", CERTDATA_MISMATCH },
		{ "CKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509\n", "",
		    CERTDATA_MISSING },
		{ "BEGINDATA\n", "BEGINDATA\nBEGINDATA\n", CERTDATA_SYNTAX },
		{ "BEGINDATA\n", "BEGINDATA\nCKA_LABEL UTF8 \"x\"\n",
		    CERTDATA_SYNTAX },
		{ "# certdata.txt", "# certdata\xff.txt", CERTDATA_BAD_UTF8 },
		{ "CKA_SERIAL_NUMBER MULTILINE_OCTAL\n\\002\\013\\004\\000\\000"
		    "\\000\\000\\001\\025\\113\\132\\303\\224\n",
		    "CKA_SERIAL_NUMBER MULTILINE_OCTAL\n", CERTDATA_BAD_VALUE },
		{ "CKA_CERT_MD5_HASH MULTILINE_OCTAL\n\\076",
		    "CKA_CERT_MD5_HASH MULTILINE_OCTAL\n\\077",
		    CERTDATA_HASH_MISMATCH },
		/* A date on Entrust's trust object too: it must agree. */
		{ ENTRUST_TRUST, ENTRUST_TRUST_DATED(DATE_LINE), CERTDATA_OK },
		{ ENTRUST_TRUST, ENTRUST_TRUST_DATED("\\062\\064\\061\\061"
		    "\\063\\060\\062\\063\\065\\071\\065\\070\\132"),
		    CERTDATA_MISMATCH },
	};
	struct certdata_error	 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		if (small_with(edits[i].from, edits[i].to, &e) !=
		    edits[i].code)
			fail_msg("edit %zu: %s (%s)", i,
			    certdata_errname(e.code), e.msg);
}

/* NSS writes the certificate first; the other order reads the same. */
static void
test_trust_first(void **state)
{
	struct certdata_error	 e;
	struct certdata		*a, *b;
	struct buf		 in;
	size_t			 i;

	(void)state;
	a = load("certdata/small.txt");
	fixture_read("certdata/trust-first.txt", &in);
	b = certdata_parse(in.data, in.len, &e);
	if (b == NULL)
		fail_msg("%s", e.msg);
	buf_free(&in);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_memory_equal(a->v[i].sha256, b->v[i].sha256, 32);
		assert_int_equal(a->v[i].server, b->v[i].server);
		assert_int_equal(a->v[i].server_after, b->v[i].server_after);
	}
	assert_int_equal(b->v[0].object, 3);
	certdata_free(a);
	certdata_free(b);
}

/* The caps: bytes, objects, line length; and empty input. */
static void
test_caps(void **state)
{
	static const char rootlist[] =
	    "CKA_CLASS CK_OBJECT_CLASS CKO_NSS_BUILTIN_ROOT_LIST\n";
	struct certdata_error	 e;
	struct buf		 b;
	size_t			 i;

	(void)state;
	assert_null(certdata_parse((const unsigned char *)"", 0, &e));
	assert_int_equal(e.code, CERTDATA_EMPTY);
	assert_null(certdata_parse((const unsigned char *)"BEGINDATA\n", 10,
	    &e));
	assert_int_equal(e.code, CERTDATA_EMPTY);
	assert_int_equal(e.line, 1);

	buf_init(&b, 1u << 20);
	assert_true(buf_printf(&b, "BEGINDATA\n"));
	for (i = 0; i < CERTDATA_MAX_OBJECTS; i++)
		assert_true(buf_printf(&b, "%s", rootlist));
	/* At the cap: refused only for holding no certificate. */
	assert_null(certdata_parse(b.data, b.len, &e));
	assert_int_equal(e.code, CERTDATA_EMPTY);
	assert_true(buf_printf(&b, "%s", rootlist));
	assert_null(certdata_parse(b.data, b.len, &e));
	assert_int_equal(e.code, CERTDATA_TOO_MANY);
	assert_int_equal(e.object, CERTDATA_MAX_OBJECTS + 1);
	assert_int_equal(e.line, CERTDATA_MAX_OBJECTS + 2);
	buf_free(&b);

	/* 64 attributes besides CKA_CLASS in one object, not 65. */
	buf_init(&b, 1u << 20);
	assert_true(buf_printf(&b, "BEGINDATA\n%s", rootlist));
	for (i = 0; i < 64; i++)
		assert_true(buf_printf(&b, "CKA_X%zu CK_BBOOL CK_TRUE\n", i));
	assert_null(certdata_parse(b.data, b.len, &e));
	assert_int_equal(e.code, CERTDATA_EMPTY);
	assert_true(buf_printf(&b, "CKA_X64 CK_BBOOL CK_TRUE\n"));
	assert_null(certdata_parse(b.data, b.len, &e));
	assert_int_equal(e.code, CERTDATA_TOO_MANY);
	assert_int_equal(e.line, 67);
	buf_free(&b);

	buf_init(&b, 1u << 20);
	assert_true(buf_printf(&b, "#%0*d\nBEGINDATA\n", CERTDATA_MAX_LINE,
	    0));
	assert_null(certdata_parse(b.data, b.len, &e));
	assert_int_equal(e.code, CERTDATA_LINE_TOO_LONG);
	assert_int_equal(e.line, 1);
	buf_free(&b);

	assert_null(certdata_parse((const unsigned char *)"BEGINDATA\n\0\n",
	    12, &e));
	assert_int_equal(e.code, CERTDATA_BINARY);
	assert_int_equal(e.line, 2);
	{
		unsigned char	*big = calloc(1, CERTDATA_MAX_BYTES + 1);

		assert_non_null(big);
		assert_null(certdata_parse(big, CERTDATA_MAX_BYTES + 1, &e));
		assert_int_equal(e.code, CERTDATA_TOO_LARGE);
		free(big);
	}
}

/* Sniffing tells certdata.txt from a PEM bundle without parsing. */
static void
test_sniff(void **state)
{
	struct buf	 b;

	(void)state;
	fixture_read("upstream/cacert-2025.07.14.pem", &b);
	assert_false(certdata_sniff(b.data, b.len));
	buf_free(&b);
	fixture_read("certdata/broken/no-begindata.txt", &b);
	assert_false(certdata_sniff(b.data, b.len));
	buf_free(&b);
	fixture_read("certdata/small.txt", &b);
	assert_true(certdata_sniff(b.data, b.len));
	/* BEGINDATA seen, but the first CKA_CLASS line cut off. */
	assert_false(certdata_sniff(b.data, 3000));
	buf_free(&b);
	assert_false(certdata_sniff((const unsigned char *)"", 0));
	assert_true(certdata_sniff((const unsigned char *)
	    "BEGINDATA\r\nCKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\r\n", 54));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_dates_2024),
		cmocka_unit_test(test_2026),
		cmocka_unit_test(test_trust_only),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_trust_first),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
