/*
 * certdata.c - the strict certdata.txt reader.
 *
 * certdata.txt is NSS's source for its builtin root module: a comment
 * header, one BEGINDATA line, then objects, each starting at its
 * "CKA_CLASS CK_OBJECT_CLASS X" line and made of "CKA_NAME TYPE VALUE"
 * lines; binary values are MULTILINE_OCTAL (lines of \ooo escapes
 * closed by END).  Every certificate object must have exactly one trust
 * object naming it by issuer and serial; a trust object that names no
 * certificate in the file is kept only when it trusts nothing (NSS
 * distrusts mis-issued intermediates that way).  Anything else is
 * refused with its line, its object and the reason: a truncated or
 * edited file must never read as a root store with a few roots fewer.
 * This file reads lines into objects; certdata_obj.c checks and pairs
 * them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certdata.h"
#include "certdata_int.h"
#include "encode.h"

#define SNIFF_BYTES	(16u << 10)	/* NSS: BEGINDATA at ~3 KiB */

static const char *const errnames[CERTDATA__MAX] = {
	[CERTDATA_OK] = "ok",
	[CERTDATA_EMPTY] = "empty",
	[CERTDATA_TOO_LARGE] = "too-large",
	[CERTDATA_TOO_MANY] = "too-many-objects",
	[CERTDATA_BINARY] = "binary",
	[CERTDATA_BAD_UTF8] = "bad-utf8",
	[CERTDATA_LINE_TOO_LONG] = "line-too-long",
	[CERTDATA_NO_BEGINDATA] = "no-begindata",
	[CERTDATA_SYNTAX] = "syntax",
	[CERTDATA_BAD_OCTAL] = "bad-octal",
	[CERTDATA_NO_END] = "no-end",
	[CERTDATA_DUPLICATE] = "duplicate-attribute",
	[CERTDATA_MISSING] = "missing-attribute",
	[CERTDATA_BAD_VALUE] = "bad-value",
	[CERTDATA_BAD_DER] = "bad-certificate",
	[CERTDATA_MISMATCH] = "mismatch",
	[CERTDATA_BAD_DATE] = "bad-date",
	[CERTDATA_ORPHAN_TRUST] = "orphan-trust",
	[CERTDATA_HASH_MISMATCH] = "hash-mismatch",
	[CERTDATA_TRUST_TWICE] = "trust-twice",
	[CERTDATA_NO_TRUST] = "no-trust",
	[CERTDATA_NOMEM] = "out-of-memory",
};

static const char *const trustnames[] = {
	[CD_TRUST_NONE] = "none",
	[CD_TRUST_DELEGATOR] = "trusted-delegator",
	[CD_TRUST_MUST_VERIFY] = "must-verify",
	[CD_TRUST_NOT_TRUSTED] = "not-trusted",
	[CD_TRUST_TRUSTED] = "trusted",
};

enum type {
	T_CLASS, T_BBOOL, T_UTF8, T_CERTTYPE, T_TRUST, T_OCTAL, T__MAX
};

static const char *const typenames[T__MAX] = {
	[T_CLASS] = "CK_OBJECT_CLASS",
	[T_BBOOL] = "CK_BBOOL",
	[T_UTF8] = "UTF8",
	[T_CERTTYPE] = "CK_CERTIFICATE_TYPE",
	[T_TRUST] = "CK_TRUST",
	[T_OCTAL] = "MULTILINE_OCTAL",
};

#define F_CERT	(1 << CLS_CERT)
#define F_TRUST	(1 << CLS_TRUST)
#define F_ANY	(F_CERT | F_TRUST | (1 << CLS_ROOTLIST))

static const struct {
	const char	*name;
	unsigned int	 types;		/* 1 << enum type */
	unsigned int	 classes;	/* where it may appear */
} atts[A__MAX] = {
	[A_CLASS] = { "CKA_CLASS", 1 << T_CLASS, F_ANY },
	[A_LABEL] = { "CKA_LABEL", 1 << T_UTF8, F_ANY },
	[A_CERTTYPE] = { "CKA_CERTIFICATE_TYPE", 1 << T_CERTTYPE, F_CERT },
	[A_VALUE] = { "CKA_VALUE", 1 << T_OCTAL, F_CERT },
	[A_SUBJECT] = { "CKA_SUBJECT", 1 << T_OCTAL, F_CERT },
	[A_ISSUER] = { "CKA_ISSUER", 1 << T_OCTAL, F_CERT | F_TRUST },
	[A_SERIAL] = { "CKA_SERIAL_NUMBER", 1 << T_OCTAL, F_CERT | F_TRUST },
	[A_SHA1] = { "CKA_CERT_SHA1_HASH", 1 << T_OCTAL, F_TRUST },
	[A_MD5] = { "CKA_CERT_MD5_HASH", 1 << T_OCTAL, F_TRUST },
	/* Since 2026 NSS writes some on the trust object (Izenpe.com). */
	[A_SERVER_AFTER] = { "CKA_NSS_SERVER_DISTRUST_AFTER",
	    1 << T_OCTAL | 1 << T_BBOOL, F_CERT | F_TRUST },
	[A_EMAIL_AFTER] = { "CKA_NSS_EMAIL_DISTRUST_AFTER",
	    1 << T_OCTAL | 1 << T_BBOOL, F_CERT | F_TRUST },
	[A_TRUST_SERVER] = { "CKA_TRUST_SERVER_AUTH", 1 << T_TRUST, F_TRUST },
	[A_TRUST_EMAIL] = { "CKA_TRUST_EMAIL_PROTECTION", 1 << T_TRUST,
	    F_TRUST },
	[A_TRUST_CODE] = { "CKA_TRUST_CODE_SIGNING", 1 << T_TRUST, F_TRUST },
};

/* The name of a kept attribute, for messages. */
const char *
certdata_attname(enum att a)
{
	return a < A__MAX ? atts[a].name : "CKA_?";
}

/* Short stable name of an error code, for JSON and tests. */
const char *
certdata_errname(enum certdata_err e)
{
	if (e >= CERTDATA__MAX || errnames[e] == NULL)
		return "unknown";
	return errnames[e];
}

/* Short stable name of a trust value: "trusted-delegator", ... */
const char *
certdata_trustname(enum cd_trust t)
{
	if ((size_t)t >= sizeof(trustnames) / sizeof(trustnames[0]))
		return "unknown";
	return trustnames[t];
}

/* Record the first refusal; always returns 0. */
int
certdata_fail(struct reader *r, enum certdata_err code, size_t object,
    size_t line, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[400];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->err->code = code;
	r->err->object = object;
	r->err->line = line;
	if (object > 0)
		snprintf(r->err->msg, sizeof(r->err->msg),
		    "object %zu (line %zu): %s", object, line, why);
	else if (line > 0)
		snprintf(r->err->msg, sizeof(r->err->msg), "line %zu: %s",
		    line, why);
	else
		snprintf(r->err->msg, sizeof(r->err->msg), "%s", why);
	return 0;
}

static struct obj *
cur(struct reader *r)
{
	return r->nobjs > 0 ? &r->objs[r->nobjs - 1] : NULL;
}

static size_t
curnum(struct reader *r)
{
	return r->nobjs;
}

static void
obj_clear(struct obj *o)
{
	size_t	 i;

	free(o->label);
	for (i = 0; i < A__MAX; i++)
		free(o->v[i].p);
}

static void
names_clear(struct reader *r)
{
	size_t	 i;

	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	r->nnames = 0;
}

/*
 * Unix seconds of a 13-byte UTCTime "YYMMDDHHMMSSZ", every field range
 * checked; RFC 5280 4.1.2.5.1: YY 50-99 is 19YY, 00-49 is 20YY.
 * Returns 1, or 0 when it is not one.
 */
static int
utctime(const unsigned char *s, size_t len, int64_t *out)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int	 f[6], i, y, m, d, leap;
	int64_t	 days, yy;

	if (len != 13 || s[12] != 'Z')
		return 0;
	for (i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	for (i = 0; i < 6; i++)
		f[i] = (s[2 * i] - '0') * 10 + (s[2 * i + 1] - '0');
	y = f[0] < 50 ? 2000 + f[0] : 1900 + f[0];
	m = f[1];
	d = f[2];
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !leap) ||
	    f[3] > 23 || f[4] > 59 || f[5] > 59)
		return 0;
	/* Days from 1970-01-01 to y-m-d (Howard Hinnant's civil days). */
	yy = m <= 2 ? y - 1 : y;
	days = 365 * yy + yy / 4 - yy / 100 + yy / 400 +
	    (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1 - 719468;
	*out = days * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	return 1;
}

static int
name_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

/* A token of [A-Z0-9_], starting with prefix. */
static int
token_ok(const char *s, size_t len, const char *prefix)
{
	size_t	 i, pl = strlen(prefix);

	if (len <= pl || memcmp(s, prefix, pl) != 0)
		return 0;
	for (i = pl; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* Close the open MULTILINE_OCTAL value: keep or check it. */
static int
oct_close(struct reader *r)
{
	struct obj	*o = cur(r);
	int64_t		 t;

	r->inoct = 0;
	if (r->octatt == A_OTHER)
		return 1;
	if (r->octatt == A_SERVER_AFTER || r->octatt == A_EMAIL_AFTER) {
		if (!utctime(r->octbuf, r->octlen, &t) || t <= 0)
			return certdata_fail(r, CERTDATA_BAD_DATE, curnum(r),
			    r->octline, "%s is not a UTCTime "
			    "YYMMDDHHMMSSZ after 1970", r->octname);
		if (r->octatt == A_SERVER_AFTER)
			o->server_after = t;
		else
			o->email_after = t;
		return 1;
	}
	if (r->octlen == 0)
		return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
		    r->octline, "%s is empty", r->octname);
	if ((o->v[r->octatt].p = malloc(r->octlen)) == NULL)
		return certdata_fail(r, CERTDATA_NOMEM, curnum(r), r->lineno,
		    "out of memory");
	memcpy(o->v[r->octatt].p, r->octbuf, r->octlen);
	o->v[r->octatt].len = r->octlen;
	o->v[r->octatt].line = r->octline;
	return 1;
}

/* One line inside MULTILINE_OCTAL: \ooo escapes only, or END. */
static int
oct_line(struct reader *r, const char *s, size_t len)
{
	size_t	 i;
	int	 v;

	if (name_is(s, len, "END"))
		return oct_close(r);
	if (len == 0 || len % 4 != 0)
		goto bad;
	for (i = 0; i < len; i += 4) {
		if (s[i] != '\\' || s[i + 1] < '0' || s[i + 1] > '3' ||
		    s[i + 2] < '0' || s[i + 2] > '7' ||
		    s[i + 3] < '0' || s[i + 3] > '7')
			goto bad;
		v = (s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
		    (s[i + 3] - '0');
		if (r->octlen == CERTDATA_MAX_VALUE)
			return certdata_fail(r, CERTDATA_TOO_LARGE, curnum(r),
			    r->lineno, "%s (line %zu) over %u bytes",
			    r->octname, r->octline, CERTDATA_MAX_VALUE);
		r->octbuf[r->octlen++] = (unsigned char)v;
	}
	return 1;
 bad:
	{
		char	 ex[48];

		text_excerpt(s, len, ex, sizeof(ex));
		return certdata_fail(r, CERTDATA_BAD_OCTAL, curnum(r),
		    r->lineno, "%s (line %zu): \"%s\" is neither \\ooo escapes "
		    "(000-377) nor END", r->octname, r->octline, ex);
	}
}

/* Start an object at its CKA_CLASS line. */
static int
obj_begin(struct reader *r, const char *val, size_t vlen)
{
	struct obj	*o;
	enum cls	 c;
	char		 ex[48];

	if (r->nobjs == CERTDATA_MAX_OBJECTS)
		return certdata_fail(r, CERTDATA_TOO_MANY, r->nobjs + 1,
		    r->lineno, "more than %d objects", CERTDATA_MAX_OBJECTS);
	if (name_is(val, vlen, "CKO_CERTIFICATE"))
		c = CLS_CERT;
	else if (name_is(val, vlen, "CKO_NSS_TRUST"))
		c = CLS_TRUST;
	else if (name_is(val, vlen, "CKO_NSS_BUILTIN_ROOT_LIST"))
		c = CLS_ROOTLIST;
	else {
		/*
		 * NSS's builtins hold only these three classes; another one
		 * (a key, a CKO_NETSCAPE_* spelling from before 2013) means
		 * a file this reader cannot vouch for.
		 */
		text_excerpt(val, vlen, ex, sizeof(ex));
		return certdata_fail(r, CERTDATA_BAD_VALUE, r->nobjs + 1,
		    r->lineno, "unknown object class \"%s\"", ex);
	}
	if (r->nobjs == r->objcap) {
		size_t		 ncap = r->objcap ? r->objcap * 2 : 64;
		struct obj	*n;

		if ((n = reallocarray(r->objs, ncap, sizeof(*n))) == NULL)
			return certdata_fail(r, CERTDATA_NOMEM, r->nobjs + 1,
			    r->lineno, "out of memory");
		r->objs = n;
		r->objcap = ncap;
	}
	o = &r->objs[r->nobjs++];
	memset(o, 0, sizeof(*o));
	o->cls = c;
	o->num = r->nobjs;
	o->line = r->lineno;
	o->seen = 1 << A_CLASS;
	names_clear(r);
	return 1;
}

static int
trust_value(const char *s, size_t len, enum cd_trust *t)
{
	if (name_is(s, len, "CKT_NSS_TRUSTED_DELEGATOR"))
		*t = CD_TRUST_DELEGATOR;
	else if (name_is(s, len, "CKT_NSS_MUST_VERIFY_TRUST"))
		*t = CD_TRUST_MUST_VERIFY;
	else if (name_is(s, len, "CKT_NSS_NOT_TRUSTED"))
		*t = CD_TRUST_NOT_TRUSTED;
	else if (name_is(s, len, "CKT_NSS_TRUSTED"))
		*t = CD_TRUST_TRUSTED;
	else
		return 0;
	return 1;
}

/* The value of a UTF8 attribute: "text", no quote or backslash inside. */
static int
utf8_value(struct reader *r, const char *name, const char *s, size_t len,
    char **out)
{
	size_t	 i;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    "%s UTF8 value is not in double quotes", name);
	s++;
	len -= 2;
	/*
	 * NSS's certdata.txt tools pass the text between the quotes
	 * through as is; no label in any release has a quote or a
	 * backslash, so one here is an edit, not an escape.
	 */
	for (i = 0; i < len; i++)
		if (s[i] == '"' || s[i] == '\\')
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s has a quote or backslash inside",
			    name);
	if (!text_valid(s, len))
		return certdata_fail(r, CERTDATA_BAD_UTF8, curnum(r), r->lineno,
		    "%s is not UTF-8 text without control characters",
		    name);
	if (out == NULL)
		return 1;
	if ((*out = malloc(len + 1)) == NULL)
		return certdata_fail(r, CERTDATA_NOMEM, curnum(r), r->lineno,
		    "out of memory");
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return 1;
}

/* An attribute line "CKA_NAME TYPE[ VALUE]" inside an object. */
static int
attr_line(struct reader *r, const char *s, size_t len)
{
	const char	*sp, *ty, *val = NULL;
	size_t		 nlen, tlen, vlen = 0, i;
	enum att	 a;
	enum type	 t;
	struct obj	*o;
	char		 name[64], ex[48];

	text_excerpt(s, len, ex, sizeof(ex));
	if ((sp = memchr(s, ' ', len)) == NULL)
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    "\"%s\" is no attribute line", ex);
	nlen = (size_t)(sp - s);
	ty = sp + 1;
	if ((sp = memchr(ty, ' ', len - nlen - 1)) != NULL) {
		tlen = (size_t)(sp - ty);
		val = sp + 1;
		vlen = len - nlen - tlen - 2;
	} else
		tlen = len - nlen - 1;
	if (nlen >= sizeof(name) || !token_ok(s, nlen, "CKA_"))
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    "\"%s\" is no attribute line", ex);
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	for (t = 0; t < T__MAX; t++)
		if (name_is(ty, tlen, typenames[t]))
			break;
	if (t == T__MAX)
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    "%s has an unknown type", name);
	if ((t == T_OCTAL) != (val == NULL))
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    t == T_OCTAL ? "%s MULTILINE_OCTAL has text after it" :
		    "%s has no value", name);
	if (t != T_OCTAL && t != T_UTF8 && !token_ok(val, vlen, "CK"))
		return certdata_fail(r, CERTDATA_SYNTAX, curnum(r), r->lineno,
		    "%s has a malformed value", name);

	for (a = 0; a < A__MAX; a++)
		if (strcmp(name, atts[a].name) == 0)
			break;
	if (a == A_CLASS) {
		if (t != T_CLASS)
			return certdata_fail(r, CERTDATA_BAD_VALUE,
			    r->nobjs + 1, r->lineno,
			    "CKA_CLASS is not CK_OBJECT_CLASS");
		return obj_begin(r, val, vlen);
	}
	if ((o = cur(r)) == NULL)
		return certdata_fail(r, CERTDATA_SYNTAX, 0, r->lineno,
		    "%s before the first CKA_CLASS", name);

	/* Each attribute at most once per object. */
	for (i = 0; i < r->nnames; i++)
		if (strcmp(r->names[i], name) == 0)
			return certdata_fail(r, CERTDATA_DUPLICATE, curnum(r),
			    r->lineno, "%s given twice", name);
	if (r->nnames == MAX_ATTRS)
		return certdata_fail(r, CERTDATA_TOO_MANY, curnum(r), r->lineno,
		    "more than %d attributes in one object", MAX_ATTRS);
	if ((r->names[r->nnames] = strdup(name)) == NULL)
		return certdata_fail(r, CERTDATA_NOMEM, curnum(r), r->lineno,
		    "out of memory");
	r->nnames++;

	if (a != A_OTHER) {
		if (!(atts[a].types & 1u << t))
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s may not be %s", name,
			    typenames[t]);
		if (!(atts[a].classes & 1u << o->cls))
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s in a %s object", name,
			    o->cls == CLS_CERT ? "certificate" :
			    o->cls == CLS_TRUST ? "trust" : "root list");
		o->seen |= 1u << a;
	}

	switch (t) {
	case T_CLASS:
		return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
		    r->lineno, "%s is CK_OBJECT_CLASS", name);
	case T_BBOOL:
		if (name_is(val, vlen, "CK_FALSE"))
			return 1;	/* no distrust-after date either */
		if (!name_is(val, vlen, "CK_TRUE"))
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s is neither CK_TRUE nor CK_FALSE",
			    name);
		if (a == A_SERVER_AFTER || a == A_EMAIL_AFTER)
			return certdata_fail(r, CERTDATA_BAD_DATE, curnum(r),
			    r->lineno, "%s CK_TRUE has no date", name);
		return 1;
	case T_UTF8:
		return utf8_value(r, name, val, vlen,
		    a == A_LABEL ? &o->label : NULL);
	case T_CERTTYPE:
		if (!name_is(val, vlen, "CKC_X_509"))
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s is not CKC_X_509", name);
		return 1;
	case T_TRUST: {
		enum cd_trust	 tv;

		if (!trust_value(val, vlen, &tv))
			return certdata_fail(r, CERTDATA_BAD_VALUE, curnum(r),
			    r->lineno, "%s is no known CKT_NSS_ value", name);
		if (tv == CD_TRUST_DELEGATOR || tv == CD_TRUST_TRUSTED)
			o->grants = 1;
		if (a == A_TRUST_SERVER)
			o->trust[0] = tv;
		else if (a == A_TRUST_EMAIL)
			o->trust[1] = tv;
		else if (a == A_TRUST_CODE)
			o->trust[2] = tv;
		return 1;
	}
	case T_OCTAL:
		r->inoct = 1;
		r->octatt = a;
		r->octline = r->lineno;
		r->octlen = 0;
		memcpy(r->octname, name, nlen + 1);
		return 1;
	default:
		break;
	}
	return 1;
}

/* One line, without its line end, checked for bytes and encoding. */
static int
line(struct reader *r, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;

	if (len > CERTDATA_MAX_LINE)
		return certdata_fail(r, CERTDATA_LINE_TOO_LONG, curnum(r),
		    r->lineno, "line of %zu bytes (at most %d)", len,
		    CERTDATA_MAX_LINE);
	for (i = 0; i < len; i += n) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return certdata_fail(r, CERTDATA_BINARY, curnum(r),
			    r->lineno, "control byte 0x%02x at column %zu",
			    u[i], i + 1);
		if ((n = utf8_seqlen(u + i, len - i)) == 0)
			return certdata_fail(r, CERTDATA_BAD_UTF8, curnum(r),
			    r->lineno, "invalid UTF-8 at column %zu", i + 1);
	}
	if (r->inoct)
		return oct_line(r, s, len);
	if (len == 0 || s[0] == '#')
		return 1;
	if (name_is(s, len, "BEGINDATA")) {
		if (r->begun)
			return certdata_fail(r, CERTDATA_SYNTAX, curnum(r),
			    r->lineno, "BEGINDATA twice");
		r->begun = 1;
		return 1;
	}
	if (!r->begun)
		return certdata_fail(r, CERTDATA_NO_BEGINDATA, 0, r->lineno,
		    "data before BEGINDATA: not certdata.txt");
	return attr_line(r, s, len);
}

/*
 * Parse certdata.txt (len bytes, not NUL-terminated).  Returns the
 * certificates with their trust and distrust-after dates, which the
 * caller frees with certdata_free(), or NULL with err filled in: the
 * code, the 1-based line and object and the reason.  Refuses anything
 * outside the grammar in certdata.c's head comment, and files over
 * CERTDATA_MAX_BYTES or CERTDATA_MAX_OBJECTS objects.
 */
struct certdata *
certdata_parse(const unsigned char *data, size_t len,
    struct certdata_error *err)
{
	struct reader	 r;
	struct certdata	*cd = NULL;
	const char	*s = (const char *)data, *nl;
	size_t		 off = 0, llen, i;
	int		 ok = 0;

	memset(err, 0, sizeof(*err));
	memset(&r, 0, sizeof(r));
	r.err = err;
	if (len == 0)
		return certdata_fail(&r, CERTDATA_EMPTY, 0, 0,
		    "empty file"), NULL;
	if (len > CERTDATA_MAX_BYTES)
		return certdata_fail(&r, CERTDATA_TOO_LARGE, 0, 0,
		    "%zu bytes (at most %u)", len, CERTDATA_MAX_BYTES), NULL;
	if ((r.octbuf = malloc(CERTDATA_MAX_VALUE)) == NULL)
		return certdata_fail(&r, CERTDATA_NOMEM, 0, 0,
		    "out of memory"), NULL;

	while (off < len) {
		r.lineno++;
		nl = memchr(s + off, '\n', len - off);
		llen = nl != NULL ? (size_t)(nl - (s + off)) : len - off;
		/* CRLF as LF: a checkout on Windows is the same file. */
		if (llen > 0 && s[off + llen - 1] == '\r')
			llen--;
		if (!line(&r, s + off, llen))
			goto out;
		if (nl == NULL) {
			/* NSS's file ends with a line end; a cut one won't. */
			certdata_fail(&r, CERTDATA_SYNTAX, curnum(&r), r.lineno,
			    "the last line has no line end: truncated?");
			goto out;
		}
		off = (size_t)(nl - s) + 1;
	}
	if (r.inoct) {
		certdata_fail(&r, CERTDATA_NO_END, curnum(&r), r.octline,
		    "%s MULTILINE_OCTAL has no END before the end of the "
		    "file (line %zu)", r.octname, r.lineno);
		goto out;
	}
	if (!r.begun) {
		certdata_fail(&r, CERTDATA_NO_BEGINDATA, 0, r.lineno,
		    "no BEGINDATA line: not certdata.txt");
		goto out;
	}
	for (i = 0; i < r.nobjs; i++)
		if (r.objs[i].cls == CLS_CERT)
			break;
	if (i == r.nobjs) {
		/* A root store without roots is no root store. */
		certdata_fail(&r, CERTDATA_EMPTY, 0, r.lineno,
		    "no certificate object");
		goto out;
	}
	if (!certdata_check(&r) || !certdata_match(&r) ||
	    (cd = certdata_build(&r)) == NULL)
		goto out;
	ok = 1;
 out:
	for (i = 0; i < r.nobjs; i++)
		obj_clear(&r.objs[i]);
	free(r.objs);
	names_clear(&r);
	free(r.octbuf);
	if (!ok) {
		certdata_free(cd);
		cd = NULL;
	}
	return cd;
}

/* Free a certdata_parse() result; NULL is fine. */
void
certdata_free(struct certdata *cd)
{
	size_t	 i;

	if (cd == NULL)
		return;
	for (i = 0; i < cd->n; i++) {
		free(cd->v[i].der);
		free(cd->v[i].label);
	}
	free(cd->v);
	free(cd);
}

/*
 * 1 when the bytes look like certdata.txt: within the first 16 KiB a
 * BEGINDATA line and, after it, a CKA_CLASS line.  Cheap, no parse: for
 * telling certdata.txt from a PEM bundle; certdata_parse() decides.
 */
int
certdata_sniff(const unsigned char *data, size_t len)
{
	const char	*s = (const char *)data, *nl;
	size_t		 off = 0, llen;
	int		 begun = 0;

	if (len > SNIFF_BYTES)
		len = SNIFF_BYTES;
	while (off < len) {
		nl = memchr(s + off, '\n', len - off);
		if (nl == NULL)
			break;		/* a cut line proves nothing */
		llen = (size_t)(nl - (s + off));
		if (llen > 0 && s[off + llen - 1] == '\r')
			llen--;
		if (!begun)
			begun = name_is(s + off, llen, "BEGINDATA");
		else if (llen > 10 && memcmp(s + off, "CKA_CLASS ", 10) == 0)
			return 1;
		off = (size_t)(nl - s) + 1;
	}
	return 0;
}
