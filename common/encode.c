/*
 * encode.c - hex and base64 for fingerprints and minisign lines.
 *
 * The base64 decoder accepts one spelling only: the exact output of the
 * encoder.  minisign's own decoder ignores the unused low bits of the
 * last character, so several texts decode to one signature (SPEC 3.2);
 * we refuse all but the canonical one.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "encode.h"

static const char hexdigits[] = "0123456789abcdef";

/* Lower-case hex of len bytes into out, which must hold 2 * len + 1. */
void
hex_encode(const unsigned char *p, size_t len, char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/*
 * Lower-case hex with ':' between bytes (mkcert.org's fingerprint
 * style) into out, which must hold 3 * len bytes (len > 0).
 */
void
hex_encode_colons(const unsigned char *p, size_t len, char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[3 * i] = hexdigits[p[i] >> 4];
		out[3 * i + 1] = hexdigits[p[i] & 0xf];
		out[3 * i + 2] = i + 1 < len ? ':' : '\0';
	}
	if (len == 0)
		out[0] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode exactly 2 * outlen hex digits (either case) from s.  Returns 1,
 * or 0 for any other length or a non-hex character.
 */
int
hex_decode(const char *s, size_t len, unsigned char *out, size_t outlen)
{
	size_t	 i;
	int	 hi, lo;

	if (len != 2 * outlen)
		return 0;
	for (i = 0; i < outlen; i++) {
		if ((hi = hexval(s[2 * i])) < 0 ||
		    (lo = hexval(s[2 * i + 1])) < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

/* Standard base64 with padding, no newlines; out holds B64_LEN(len)+1. */
void
b64_encode(const unsigned char *p, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
}

/*
 * Decode base64 text that must decode to exactly outlen bytes and be
 * the canonical encoding of them (right length, alphabet, padding, zero
 * unused bits).  Returns 1, or 0 without saying why: callers name the
 * line they were reading.
 */
int
b64_decode_exact(const char *s, size_t len, unsigned char *out,
    size_t outlen)
{
	unsigned char	 tmp[512];
	char		 again[B64_LEN(sizeof(tmp)) + 1];

	if (outlen > sizeof(tmp) || len != B64_LEN(outlen))
		return 0;
	/*
	 * EVP_DecodeBlock skips leading and trailing whitespace and
	 * counts '=' padding as output bytes; the length check above and
	 * the re-encoding below make both quirks harmless.
	 */
	if (EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len) !=
	    (int)(3 * (len / 4)))
		return 0;
	b64_encode(tmp, outlen, again);
	if (memcmp(again, s, len) != 0)
		return 0;
	memcpy(out, tmp, outlen);
	return 1;
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4; len > 0), or 0 when
 * it is not one: overlong forms, surrogates and code points past U+10FFFF
 * refused.  The reader and the writer share it, so whatever the writer
 * keeps the reader accepts.
 */
size_t
utf8_seqlen(const unsigned char *s, size_t len)
{
	size_t	 n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * 1 when s (len bytes) is UTF-8 without C0 or C1 control characters or
 * DEL: text fit for a bundle label, a reason or an audit row.  TAB
 * counts as a control.
 */
int
text_valid(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_seqlen(u + i, len - i)) == 0)
			return 0;
		if ((n == 1 && (u[i] < 0x20 || u[i] == 0x7f)) ||
		    (n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0))
			return 0;
	}
	return 1;
}

/*
 * A SHA-256 fingerprint as people paste it: 64 hex digits in either
 * case, optionally with a colon between bytes (openssl x509
 * -fingerprint).  Returns 1 with the 32 bytes in out, or 0.
 */
int
fp_decode(const char *s, unsigned char *out)
{
	char	 hex[65];
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (n == 64)
			return 0;
		hex[n++] = *s;
	}
	return n == 64 && hex_decode(hex, 64, out, 32);
}

/*
 * A printable-ASCII excerpt of hostile text for an error message: the
 * first 40 bytes at most, anything else shown as '?', "..." when cut.
 * out (outlen > 0 bytes) is always NUL-terminated.  pem.c and
 * certdata.c share it.
 */
void
text_excerpt(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, n = 0;

	for (i = 0; i < len && n + 4 < outlen && i < 40; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
