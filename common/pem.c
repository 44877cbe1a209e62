/*
 * pem.c - the strict PEM bundle reader.
 *
 * Accepts what mkcert.org serves, what certifi ships and any plain
 * concatenation of PEM certificates: LF or CRLF line ends, blank lines
 * and '#' comment lines (raw UTF-8, or certifi's \xNN / \uNNNN escapes)
 * between blocks.  Refuses everything else with the block, the line and
 * the reason, because a trust bundle that is "mostly fine" is not: a
 * truncated download must not look like one root fewer, and a PRIVATE
 * KEY or TRUSTED CERTIFICATE block must never slip in.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "encode.h"

#define BEGIN_CERT	"-----BEGIN CERTIFICATE-----"
#define END_CERT	"-----END CERTIFICATE-----"
#define LABEL_TAG	"# Label: "
#define SHA256_TAG	"# SHA256 Fingerprint: "

static const char *const errnames[BUNDLE__MAX] = {
	[BUNDLE_OK] = "ok",
	[BUNDLE_EMPTY] = "empty",
	[BUNDLE_NO_CERTS] = "no-certificates",
	[BUNDLE_TOO_LARGE] = "too-large",
	[BUNDLE_TOO_MANY] = "too-many-certificates",
	[BUNDLE_DER] = "der-not-pem",
	[BUNDLE_BINARY] = "binary",
	[BUNDLE_HTML] = "html",
	[BUNDLE_TEXT] = "text-outside-block",
	[BUNDLE_LINE_TOO_LONG] = "line-too-long",
	[BUNDLE_BAD_LINE_END] = "bad-line-end",
	[BUNDLE_BAD_UTF8] = "bad-utf8",
	[BUNDLE_BAD_COMMENT] = "bad-comment",
	[BUNDLE_NOT_CERT] = "not-a-certificate-block",
	[BUNDLE_BAD_BASE64] = "bad-base64",
	[BUNDLE_TRUNCATED] = "truncated",
	[BUNDLE_BAD_DER] = "bad-certificate",
	[BUNDLE_FP_MISMATCH] = "fingerprint-mismatch",
	[BUNDLE_NOMEM] = "out-of-memory",
};

/* Reader state; one per bundle_parse() call. */
struct reader {
	struct bundle		*b;
	struct bundle_error	*err;
	size_t			 certcap;
	size_t			 lineno;
	size_t			 block;		/* blocks begun so far */
	int			 inside;	/* between BEGIN and END */
	size_t			 begin_line;
	int			 padded;	/* '=' seen in this block */
	struct buf		 b64;
	char			*label;		/* pending "# Label:" */
	size_t			 label_line;
	unsigned char		 fp[32];	/* pending SHA256 comment */
	size_t			 fp_line;	/* 0: none pending */
	int			 flags;		/* BUNDLE_DER_ONLY */
};

/* Short stable name of an error code, for JSON and tests. */
const char *
bundle_errname(enum bundle_err e)
{
	if (e >= BUNDLE__MAX || errnames[e] == NULL)
		return "unknown";
	return errnames[e];
}

static int	fail(struct reader *, enum bundle_err, size_t, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
fail(struct reader *r, enum bundle_err code, size_t block, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 why[400];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->err->code = code;
	r->err->block = block;
	r->err->line = r->lineno;
	if (block > 0)
		snprintf(r->err->msg, sizeof(r->err->msg),
		    "block %zu (line %zu): %s", block, r->lineno, why);
	else if (r->lineno > 0)
		snprintf(r->err->msg, sizeof(r->err->msg), "line %zu: %s",
		    r->lineno, why);
	else
		snprintf(r->err->msg, sizeof(r->err->msg), "%s", why);
	return 0;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode a "# Label:" value: drop the surrounding quotes mkcert.org
 * keeps from certdata.txt, and undo certifi's strip-non-ascii escapes
 * (Python's backslashreplace: \xNN, \uNNNN, \UNNNNNNNN, only ever for
 * code points from U+0080), so both forms of one bundle give one label.
 * Anything else, a literal backslash included, is kept as it is; so are
 * escapes of the C1 controls U+0080..U+009F, which comment() refuses
 * raw: decoded, they would reach a terminal, and the bundle_write of
 * the label a reader that refuses it.
 */
static char *
label_decode(const char *s, size_t len)
{
	char		*out, *o;
	size_t		 i, digits;
	uint32_t	 cp;
	unsigned char	 v[8];

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	/* Each escape of 4+ bytes yields at most 4 bytes of UTF-8. */
	if ((o = out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; ) {
		digits = 0;
		if (s[i] == '\\' && i + 1 < len)
			digits = s[i + 1] == 'x' ? 2 : s[i + 1] == 'u' ? 4 :
			    s[i + 1] == 'U' ? 8 : 0;
		if (digits > 0 && i + 2 + digits <= len &&
		    hex_decode(s + i + 2, digits, v, digits / 2)) {
			size_t k;

			for (cp = 0, k = 0; k < digits / 2; k++)
				cp = cp << 8 | v[k];
			if (cp >= 0xa0 && cp <= 0x10ffff &&
			    !(cp >= 0xd800 && cp <= 0xdfff)) {
				o += utf8_put(cp, o);
				i += 2 + digits;
				continue;
			}
		}
		*o++ = s[i++];
	}
	*o = '\0';
	return out;
}

/*
 * A comment line: must be UTF-8 without C0 or C1 control characters
 * (TAB allowed), so a label can be shown on a terminal as it is.  "# Label:" and "# SHA256 Fingerprint:" are remembered for
 * the next certificate; any other comment is ignored.
 */
static int
comment(struct reader *r, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;
	char			 hex[64];

	for (i = 0; i < len; i += n) {
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return fail(r, BUNDLE_BAD_UTF8, 0,
			    "control character 0x%02x in a comment line",
			    u[i]);
		if ((n = utf8_seqlen(u + i, len - i)) == 0)
			return fail(r, BUNDLE_BAD_UTF8, 0,
			    "comment line is not valid UTF-8 (byte 0x%02x at "
			    "column %zu)", u[i], i + 1);
		/* C1 controls (U+0080..U+009F): CSI and friends. */
		if (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)
			return fail(r, BUNDLE_BAD_UTF8, 0,
			    "control character U+%04X in a comment line",
			    u[i + 1]);
	}
	if (len >= sizeof(LABEL_TAG) - 1 &&
	    memcmp(s, LABEL_TAG, sizeof(LABEL_TAG) - 1) == 0) {
		if (r->label != NULL)
			return fail(r, BUNDLE_BAD_COMMENT, 0,
			    "second '# Label:' comment for one certificate "
			    "(first on line %zu)", r->label_line);
		s += sizeof(LABEL_TAG) - 1;
		len -= sizeof(LABEL_TAG) - 1;
		if (len == 0 || len > BUNDLE_MAX_LABEL)
			return fail(r, BUNDLE_BAD_COMMENT, 0,
			    "'# Label:' comment empty or longer than %d "
			    "bytes", BUNDLE_MAX_LABEL);
		if ((r->label = label_decode(s, len)) == NULL)
			return fail(r, BUNDLE_NOMEM, 0, "out of memory");
		r->label_line = r->lineno;
		return 1;
	}
	if (len >= sizeof(SHA256_TAG) - 1 &&
	    memcmp(s, SHA256_TAG, sizeof(SHA256_TAG) - 1) == 0) {
		if (r->fp_line != 0)
			return fail(r, BUNDLE_BAD_COMMENT, 0,
			    "second '# SHA256 Fingerprint:' comment for one "
			    "certificate (first on line %zu)", r->fp_line);
		s += sizeof(SHA256_TAG) - 1;
		len -= sizeof(SHA256_TAG) - 1;
		/* 32 hex pairs joined by ':', as mkcert.org writes them. */
		if (len != 95)
			goto badfp;
		for (i = 0; i < 32; i++) {
			if (i < 31 && s[3 * i + 2] != ':')
				goto badfp;
			hex[2 * i] = s[3 * i];
			hex[2 * i + 1] = s[3 * i + 1];
		}
		if (!hex_decode(hex, 64, r->fp, 32))
			goto badfp;
		r->fp_line = r->lineno;
	}
	return 1;
 badfp:
	return fail(r, BUNDLE_BAD_COMMENT, 0, "'# SHA256 Fingerprint:' "
	    "comment is not 32 hex bytes separated by ':'");
}

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* One line between BEGIN and END: base64 only, '=' only at the end. */
static int
body_line(struct reader *r, const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "blank line inside the PEM block");
	if (r->padded)
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "base64 continues after '=' padding");
	if (r->b64.len == 0 && memchr(s, ':', len) != NULL)
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "PEM headers (Proc-Type, DEK-Info) are not allowed in a "
		    "certificate block");
	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			r->padded = 1;
			continue;
		}
		if (r->padded || !is_b64((unsigned char)s[i]))
			return fail(r, BUNDLE_BAD_BASE64, r->block,
			    "invalid base64 character '%c' at column %zu",
			    s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?', i + 1);
	}
	if (!buf_append(&r->b64, s, len))
		return fail(r, BUNDLE_TOO_LARGE, r->block,
		    "PEM block too large");
	return 1;
}

/* The END line: decode, parse, check the pending fingerprint comment. */
static int
end_block(struct reader *r)
{
	struct cert	*c;
	unsigned char	*der = NULL;
	size_t		 n, pad = 0;
	char		 why[256], want[65], got[65];
	int		 rc = 0;

	if (r->b64.len == 0)
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "empty PEM block");
	if (r->b64.len % 4 != 0)
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "base64 length %zu is not a multiple of 4 (characters "
		    "missing)", r->b64.len);
	while (pad < 2 && r->b64.data[r->b64.len - 1 - pad] == '=')
		pad++;
	if (r->b64.data[r->b64.len - 1 - pad] == '=')
		return fail(r, BUNDLE_BAD_BASE64, r->block,
		    "too much '=' padding");
	if ((der = malloc(r->b64.len / 4 * 3)) == NULL)
		return fail(r, BUNDLE_NOMEM, r->block, "out of memory");
	if (EVP_DecodeBlock(der, r->b64.data, (int)r->b64.len) < 0) {
		fail(r, BUNDLE_BAD_BASE64, r->block, "base64 does not decode");
		goto out;
	}
	n = r->b64.len / 4 * 3 - pad;
	if (r->b->ncerts == r->certcap) {
		size_t		 ncap = r->certcap ? r->certcap * 2 : 64;
		struct cert	*nc;

		if ((nc = reallocarray(r->b->certs, ncap, sizeof(*nc))) ==
		    NULL) {
			fail(r, BUNDLE_NOMEM, r->block, "out of memory");
			goto out;
		}
		r->b->certs = nc;
		r->certcap = ncap;
	}
	c = &r->b->certs[r->b->ncerts];
	if (!cert_init_flags(c, der, n, r->label, r->flags, why,
	    sizeof(why))) {
		fail(r, BUNDLE_BAD_DER, r->block, "not a valid X.509 "
		    "certificate (%s)", why);
		goto out;
	}
	/* certs is NULL only while certcap is 0, so it was grown above. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	c->line = r->begin_line;
	r->b->ncerts++;
	if (r->fp_line != 0 && memcmp(r->fp, c->sha256, 32) != 0) {
		hex_encode(r->fp, 32, want);
		hex_encode(c->sha256, 32, got);
		fail(r, BUNDLE_FP_MISMATCH, r->block, "'# SHA256 "
		    "Fingerprint:' on line %zu says %s but the certificate's "
		    "SHA-256 is %s", r->fp_line, want, got);
		goto out;
	}
	rc = 1;
 out:
	free(der);
	free(r->label);
	r->label = NULL;
	r->fp_line = 0;
	r->inside = r->padded = 0;
	buf_reset(&r->b64);
	return rc;
}

static int
outside_line(struct reader *r, const char *s, size_t len)
{
	size_t	 i, tlen;
	char	 ex[64];

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		continue;
	if (i == len)
		return 1;
	if (s[0] == '#')
		return comment(r, s, len);
	if (len >= 11 && memcmp(s, "-----BEGIN ", 11) == 0) {
		r->block++;
		if (len == sizeof(BEGIN_CERT) - 1 &&
		    memcmp(s, BEGIN_CERT, len) == 0) {
			if (r->b->ncerts >= BUNDLE_MAX_CERTS)
				return fail(r, BUNDLE_TOO_MANY, r->block,
				    "more than %d certificates",
				    BUNDLE_MAX_CERTS);
			r->inside = 1;
			r->begin_line = r->lineno;
			return 1;
		}
		tlen = len - 11;
		if (tlen >= 5 && memcmp(s + len - 5, "-----", 5) == 0)
			tlen -= 5;
		text_excerpt(s + 11, tlen, ex, sizeof(ex));
		if (strcmp(ex, "TRUSTED CERTIFICATE") == 0)
			return fail(r, BUNDLE_NOT_CERT, r->block, "PEM block "
			    "\"TRUSTED CERTIFICATE\" refused: OpenSSL's "
			    "trusted form carries its own trust settings; "
			    "only CERTIFICATE blocks belong in a bundle");
		return fail(r, BUNDLE_NOT_CERT, r->block, "PEM block \"%s\" "
		    "is not a CERTIFICATE; only certificates belong in a "
		    "trust bundle", ex);
	}
	text_excerpt(s + i, len - i, ex, sizeof(ex));
	if (s[i] == '<')
		return fail(r, BUNDLE_HTML, 0, "HTML, not a PEM bundle (a "
		    "captive portal or an error page?): \"%s\"", ex);
	if (len >= 9 && memcmp(s, "-----END ", 9) == 0)
		return fail(r, BUNDLE_TEXT, 0, "END line without a BEGIN "
		    "line: \"%s\"", ex);
	return fail(r, BUNDLE_TEXT, 0, "text outside a PEM block that is "
	    "neither blank nor a '#' comment: \"%s\"", ex);
}

static int
inside_line(struct reader *r, const char *s, size_t len)
{
	char	 ex[64];

	if (len == sizeof(END_CERT) - 1 && memcmp(s, END_CERT, len) == 0)
		return end_block(r);
	if (len >= 5 && memcmp(s, "-----", 5) == 0) {
		text_excerpt(s, len, ex, sizeof(ex));
		if (len >= 11 && memcmp(s, "-----BEGIN ", 11) == 0)
			return fail(r, BUNDLE_TRUNCATED, r->block, "truncated: "
			    "BEGIN on line %zu has no END CERTIFICATE line "
			    "before this BEGIN", r->begin_line);
		return fail(r, BUNDLE_BAD_BASE64, r->block, "unexpected "
		    "\"%s\" inside a CERTIFICATE block", ex);
	}
	return body_line(r, s, len);
}

static int
looks_like_der(const unsigned char *p, size_t len)
{
	/* An ASN.1 SEQUENCE with a definite length: 30 82 xx xx ... */
	return len >= 4 && p[0] == 0x30 && (p[1] & 0x80) &&
	    (p[1] & 0x7f) >= 1 && (p[1] & 0x7f) <= 4;
}

/*
 * Parse a PEM bundle.  Returns the certificates in input order (free
 * with bundle_free), or NULL with *err saying which block, which line
 * and why.  Refuses: empty input, more than BUNDLE_MAX_BYTES or
 * BUNDLE_MAX_CERTS, DER or other binary data, HTML, text outside blocks
 * that is not a '#' comment, comments that are not UTF-8, any PEM block
 * that is not CERTIFICATE, bad base64, truncated blocks, bytes that are
 * not exactly one X.509 certificate, and a "# SHA256 Fingerprint:"
 * comment that does not match the certificate below it.
 * Duplicates are kept: whether they are acceptable is policy.
 */
struct bundle *
bundle_parse(const unsigned char *data, size_t len, struct bundle_error *err)
{
	return bundle_read(data, len, 0, err);
}

/*
 * bundle_parse with flags: BUNDLE_DER_ONLY refuses exactly what
 * bundle_parse refuses, but fills each certificate as cert_init_flags
 * says (der and sha256; no x509): several times faster, for callers
 * that check and place certificates rather than describe them.
 */
struct bundle *
bundle_read(const unsigned char *data, size_t len, int flags,
    struct bundle_error *err)
{
	struct reader	 r;
	const char	*p = (const char *)data, *end = p + len, *nl;
	const char	*z;
	size_t		 llen, i;
	int		 ok = 0, text = 0;

	memset(err, 0, sizeof(*err));
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.flags = flags;
	buf_init(&r.b64, BUNDLE_MAX_BYTES);
	if ((r.b = calloc(1, sizeof(*r.b))) == NULL) {
		fail(&r, BUNDLE_NOMEM, 0, "out of memory");
		goto out;
	}
	if (len == 0) {
		fail(&r, BUNDLE_EMPTY, 0, "empty input: no certificates");
		goto out;
	}
	if (len > BUNDLE_MAX_BYTES) {
		fail(&r, BUNDLE_TOO_LARGE, 0, "%zu bytes: larger than the "
		    "%u byte limit", len, BUNDLE_MAX_BYTES);
		goto out;
	}
	if (looks_like_der(data, len)) {
		fail(&r, BUNDLE_DER, 0, "binary DER data, not a PEM bundle "
		    "(convert it with 'openssl x509 -inform DER')");
		goto out;
	}
	if ((z = memchr(data, '\0', len)) != NULL) {
		for (nl = p; nl < z; nl++)
			if (*nl == '\n')
				r.lineno++;
		r.lineno++;
		fail(&r, BUNDLE_BINARY, 0, "NUL byte: binary data, not a PEM "
		    "bundle");
		goto out;
	}
	while (p < end) {
		r.lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		llen = (size_t)(nl - p);
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen > BUNDLE_MAX_LINE) {
			fail(&r, BUNDLE_LINE_TOO_LONG, r.inside ? r.block : 0,
			    "line longer than %d bytes", BUNDLE_MAX_LINE);
			goto out;
		}
		if (memchr(p, '\r', llen) != NULL) {
			fail(&r, BUNDLE_BAD_LINE_END, r.inside ? r.block : 0,
			    "carriage return inside a line (only LF or CR LF "
			    "line ends are allowed)");
			goto out;
		}
		for (i = 0; i < llen && (p[i] == ' ' || p[i] == '\t'); i++)
			continue;
		if (i < llen)
			text = 1;
		if (!(r.inside ? inside_line(&r, p, llen) :
		    outside_line(&r, p, llen)))
			goto out;
		p = nl < end ? nl + 1 : end;
	}
	if (r.inside) {
		fail(&r, BUNDLE_TRUNCATED, r.block, "truncated: the input ends "
		    "inside the PEM block that begins on line %zu (no END "
		    "CERTIFICATE line)", r.begin_line);
		goto out;
	}
	if (r.b->ncerts == 0) {
		r.lineno = 0;
		if (!text)
			fail(&r, BUNDLE_EMPTY, 0, "empty input: no "
			    "certificates");
		else
			fail(&r, BUNDLE_NO_CERTS, 0, "no certificates, only "
			    "comments");
		goto out;
	}
	ok = 1;
 out:
	free(r.label);
	buf_free(&r.b64);
	if (!ok) {
		bundle_free(r.b);
		return NULL;
	}
	return r.b;
}

/* Free a bundle and its certificates; NULL is fine. */
void
bundle_free(struct bundle *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	for (i = 0; i < b->ncerts; i++)
		cert_clear(&b->certs[i]);
	free(b->certs);
	free(b);
}
