/*
 * sig.c - minisign public keys and signatures with OpenSSL 3 (SPEC 2-4,
 * 6): parsing and verifying.  Signing is in sign.c, which the client,
 * a verify-only program as signify's VERIFYONLY build, does not link.
 *
 * Only the prehashed "ED" form is made or accepted:
 *	sig    = Ed25519(sk, BLAKE2b-512(file))
 *	global = Ed25519(sk, sig || T)
 * sig_alg and key_id are not signed, so the key id only selects a key
 * and a legacy "Ed" label is refused outright (SPEC 3.1).  The parser
 * is stricter than minisign: exactly four lines, canonical base64, no
 * NUL, no stray CR, nothing after line 4.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "encode.h"
#include "log.h"
#include "sig.h"

#define UNTRUSTED	"untrusted comment: "
#define TRUSTED		"trusted comment: "
#define SIGLINE_LEN	B64_LEN(2 + KEYID_LEN + 64)	/* 100 */
#define GLOBAL_LEN	B64_LEN(64)			/* 88 */
#define LINE1_MAX	1022	/* minisign's fgets(1024), LF included */

static const char *const errnames[SIG__MAX] = {
	[SIG_OK] = "ok",
	[SIG_FORMAT] = "format",
	[SIG_LEGACY] = "legacy-algorithm",
	[SIG_UNKNOWN_KEY] = "unknown-key",
	[SIG_BAD_GLOBAL] = "bad-comment-signature",
	[SIG_BAD_SIG] = "bad-signature",
	[SIG_INTERNAL] = "internal",
};

/* Short stable name of a verification result. */
const char *
sig_errname(enum sig_err e)
{
	if (e >= SIG__MAX)
		return "unknown";
	return errnames[e];
}

/*
 * A key id as minisign 0.12 shows it: the 8 bytes read as a
 * little-endian integer, 16 upper-case hex digits.  out holds 17 bytes.
 */
void
keyid_format(const unsigned char *id, char *out)
{
	unsigned long long	 v = 0;
	int			 i;

	for (i = KEYID_LEN - 1; i >= 0; i--)
		v = v << 8 | id[i];
	snprintf(out, 17, "%016llX", v);
}

/*
 * The "RW..." string: base64 of "Ed" || key id || pk, exactly 56
 * canonical characters.  Returns 1, or 0 for anything else.
 */
int
pubkey_from_string(const char *s, size_t len, struct pubkey *pk)
{
	unsigned char	 raw[2 + KEYID_LEN + 32];

	if (len != PUBKEY_STR_LEN || !b64_decode_exact(s, len, raw,
	    sizeof(raw)) || raw[0] != 'E' || raw[1] != 'd')
		return 0;
	memcpy(pk->keyid, raw + 2, KEYID_LEN);
	memcpy(pk->pk, raw + 2 + KEYID_LEN, 32);
	return 1;
}

/* The "RW..." string of a key; out holds PUBKEY_STR_LEN + 1 bytes. */
void
pubkey_string(const struct pubkey *pk, char *out)
{
	unsigned char	 raw[2 + KEYID_LEN + 32];

	raw[0] = 'E';
	raw[1] = 'd';
	memcpy(raw + 2, pk->keyid, KEYID_LEN);
	memcpy(raw + 2 + KEYID_LEN, pk->pk, 32);
	b64_encode(raw, sizeof(raw), out);
}

/* Cut the next line off *p: LF or CR LF ends; 0 for a stray CR. */
static int
next_line(const char **p, const char *end, const char **line, size_t *len,
    int *had_lf)
{
	const char	*nl;

	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		nl = end;
	*line = *p;
	*len = (size_t)(nl - *p);
	*had_lf = nl < end;
	*p = nl < end ? nl + 1 : end;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return memchr(*line, '\r', *len) == NULL;
}

/*
 * Parse a public key file: "untrusted comment: ..." then the RW string,
 * a final line end optional, nothing else.  minisign ignores line 1; we
 * require its prefix as signify does.  Returns 1, or 0 with why set.
 */
int
pubkey_parse(const char *text, size_t len, struct pubkey *pk, char *why,
    size_t whylen)
{
	const char	*p = text, *end = text + len, *l;
	size_t		 llen;
	int		 lf;

	if (len == 0 || len > PUBKEY_FILE_MAX ||
	    memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "not a minisign public key file");
		return 0;
	}
	if (!next_line(&p, end, &l, &llen, &lf) || !lf ||
	    llen < sizeof(UNTRUSTED) - 1 ||
	    memcmp(l, UNTRUSTED, sizeof(UNTRUSTED) - 1) != 0) {
		snprintf(why, whylen, "line 1 must start with "
		    "'untrusted comment: '");
		return 0;
	}
	if (!next_line(&p, end, &l, &llen, &lf) ||
	    !pubkey_from_string(l, llen, pk)) {
		snprintf(why, whylen, "line 2 is not a minisign Ed25519 "
		    "public key (56 base64 characters starting RW)");
		return 0;
	}
	if (p != end) {
		snprintf(why, whylen, "data after the key on line 2");
		return 0;
	}
	return 1;
}

/*
 * Load a trusted key given as a file name or as the "RW..." string
 * itself (what minisign -P takes).  Returns 1, or 0 after warning.
 */
int
pubkey_load(const char *arg, struct pubkey *pk)
{
	struct buf	 b;
	struct stat	 st;
	char		 why[128];
	int		 rc = 0;

	if (strlen(arg) == PUBKEY_STR_LEN && stat(arg, &st) == -1) {
		if (pubkey_from_string(arg, PUBKEY_STR_LEN, pk))
			return 1;
		warnx("%s: not a minisign public key string", arg);
		return 0;
	}
	buf_init(&b, PUBKEY_FILE_MAX);
	if (!buf_readfile(&b, arg))
		goto out;
	if (!pubkey_parse((const char *)b.data, b.len, pk, why,
	    sizeof(why))) {
		warnx("%s: %s", arg, why);
		goto out;
	}
	rc = 1;
 out:
	buf_free(&b);
	return rc;
}

/* Append the public key file text, as minisign -G writes it. */
int
pubkey_write(const struct pubkey *pk, struct buf *b)
{
	char	 id[17], s[PUBKEY_STR_LEN + 1];

	keyid_format(pk->keyid, id);
	pubkey_string(pk, s);
	return buf_printf(b, UNTRUSTED "minisign public key %s\n%s\n", id, s);
}

/* BLAKE2b-512 of data into out, the "ED" prehash.  Returns 1, or 0. */
int
sig_prehash(const unsigned char *data, size_t len, unsigned char *out)
{
	return EVP_Digest(data, len, out, NULL, EVP_blake2b512(), NULL);
}

static int
ed25519_verify(const unsigned char *pk, const unsigned char *msg,
    size_t len, const unsigned char *sig)
{
	EVP_PKEY	*key;
	EVP_MD_CTX	*ctx = NULL;
	int		 rc = 0;

	if ((key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
	    32)) == NULL)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	/* Only 1 means valid; 0 and negative values are failures. */
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, 64, msg, len) == 1)
		rc = 1;
 out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * Whether T is one line that minisign can write back: printable ASCII
 * or TAB, at most SIG_COMMENT_MAX bytes.  Returns 1 or 0.
 */
int
sig_comment_ok(const char *t, size_t len)
{
	size_t	 i;

	if (len > SIG_COMMENT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((t[i] < 0x20 && t[i] != '\t') || (unsigned char)t[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Parse a .minisig strictly (SPEC 3.2 and our stricter rules).  Returns
 * SIG_OK with s filled, SIG_LEGACY for a well-formed "Ed" signature
 * (s filled, but never to be verified), or SIG_FORMAT with why set.
 */
enum sig_err
sig_parse(const char *text, size_t len, struct minisig *s, char *why,
    size_t whylen)
{
	const char	*p = text, *end = text + len, *l;
	unsigned char	 raw[2 + KEYID_LEN + 64];
	size_t		 llen;
	int		 lf;

	memset(s, 0, sizeof(*s));
	if (len == 0) {
		snprintf(why, whylen, "empty signature file");
		return SIG_FORMAT;
	}
	if (len > SIG_FILE_MAX) {
		snprintf(why, whylen, "signature file larger than %d bytes",
		    SIG_FILE_MAX);
		return SIG_FORMAT;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "NUL byte in the signature file");
		return SIG_FORMAT;
	}
	if (!next_line(&p, end, &l, &llen, &lf))
		goto stray_cr;
	if (!lf || llen < sizeof(UNTRUSTED) - 1 ||
	    memcmp(l, UNTRUSTED, sizeof(UNTRUSTED) - 1) != 0) {
		snprintf(why, whylen, "line 1 must start with "
		    "'untrusted comment: '");
		return SIG_FORMAT;
	}
	if (llen > LINE1_MAX) {
		snprintf(why, whylen, "untrusted comment too long");
		return SIG_FORMAT;
	}
	if (!next_line(&p, end, &l, &llen, &lf))
		goto stray_cr;
	if (!lf || !b64_decode_exact(l, llen, raw, sizeof(raw))) {
		snprintf(why, whylen, "line 2 is not the canonical base64 "
		    "of a 74-byte signature");
		return SIG_FORMAT;
	}
	memcpy(s->alg, raw, 2);
	memcpy(s->keyid, raw + 2, KEYID_LEN);
	memcpy(s->sig, raw + 2 + KEYID_LEN, 64);
	if (s->alg[0] != 'E' || (s->alg[1] != 'D' && s->alg[1] != 'd')) {
		snprintf(why, whylen, "unsupported signature algorithm");
		return SIG_FORMAT;
	}
	if (!next_line(&p, end, &l, &llen, &lf))
		goto stray_cr;
	if (!lf || llen < sizeof(TRUSTED) - 1 ||
	    memcmp(l, TRUSTED, sizeof(TRUSTED) - 1) != 0) {
		snprintf(why, whylen, "line 3 must start with "
		    "'trusted comment: '");
		return SIG_FORMAT;
	}
	l += sizeof(TRUSTED) - 1;
	llen -= sizeof(TRUSTED) - 1;
	if (!sig_comment_ok(l, llen)) {
		snprintf(why, whylen, "trusted comment longer than %d bytes "
		    "or not printable ASCII", SIG_COMMENT_MAX);
		return SIG_FORMAT;
	}
	memcpy(s->comment, l, llen);
	s->comment[llen] = '\0';
	s->commentlen = llen;
	if (!next_line(&p, end, &l, &llen, &lf))
		goto stray_cr;
	if (!b64_decode_exact(l, llen, s->global, 64)) {
		snprintf(why, whylen, "line 4 is not the canonical base64 "
		    "of a 64-byte signature");
		return SIG_FORMAT;
	}
	if (p != end) {
		snprintf(why, whylen, "data after line 4");
		return SIG_FORMAT;
	}
	if (s->alg[1] == 'd') {
		snprintf(why, whylen, "legacy 'Ed' signature refused: only "
		    "prehashed 'ED' signatures are accepted (minisign -H)");
		return SIG_LEGACY;
	}
	return SIG_OK;
 stray_cr:
	snprintf(why, whylen, "carriage return inside a line");
	return SIG_FORMAT;
}

/*
 * The trusted key whose id the signature names, or NULL.  This only
 * selects a key: the id is not signed and proves nothing.
 */
const struct pubkey *
sig_find_key(const struct minisig *s, const struct pubkey *keys, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (memcmp(keys[i].keyid, s->keyid, KEYID_LEN) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Check the global signature over sig || T (SPEC 3.1).  Needs no file:
 * the trusted comment can be trusted before the body is downloaded.
 * Returns SIG_OK or SIG_BAD_GLOBAL (SIG_LEGACY for an "Ed" signature).
 */
enum sig_err
sig_verify_comment(const struct minisig *s, const struct pubkey *pk)
{
	unsigned char	 msg[64 + SIG_COMMENT_MAX];

	if (s->alg[0] != 'E' || s->alg[1] != 'D')
		return SIG_LEGACY;
	memcpy(msg, s->sig, 64);
	memcpy(msg + 64, s->comment, s->commentlen);
	return ed25519_verify(pk->pk, msg, 64 + s->commentlen, s->global) ?
	    SIG_OK : SIG_BAD_GLOBAL;
}

/*
 * Check the file signature: Ed25519 over BLAKE2b-512(data).  Returns
 * SIG_OK, SIG_BAD_SIG, or SIG_LEGACY for an "Ed" signature.
 */
enum sig_err
sig_verify_data(const struct minisig *s, const struct pubkey *pk,
    const unsigned char *data, size_t len)
{
	unsigned char	 h[64];

	if (s->alg[0] != 'E' || s->alg[1] != 'D')
		return SIG_LEGACY;
	if (!sig_prehash(data, len, h))
		return SIG_INTERNAL;
	return ed25519_verify(pk->pk, h, sizeof(h), s->sig) ? SIG_OK :
	    SIG_BAD_SIG;
}
