/*
 * sig.c - minisign keys and signatures with OpenSSL 3 (SPEC 2-4, 6).
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

#include "atomic.h"
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

/*
 * Fill sk->pub from sk->pkey: the raw public key and its key id,
 * SHA-256(pk)[0..8) (SPEC 9).  Returns 1, or 0 after a warning naming
 * what (the key's file).
 */
static int
seckey_pub(struct seckey *sk, const char *what)
{
	unsigned char	 h[32];
	size_t		 len = sizeof(sk->pub.pk);

	if (EVP_PKEY_get_raw_public_key(sk->pkey, sk->pub.pk, &len) != 1 ||
	    len != sizeof(sk->pub.pk) || !EVP_Digest(sk->pub.pk, len, h, NULL,
	    EVP_sha256(), NULL)) {
		cryptowarnx("%s: public key", what);
		return 0;
	}
	memcpy(sk->pub.keyid, h, KEYID_LEN);
	return 1;
}

/*
 * Load an Ed25519 secret key from a PKCS#8 PEM file (openssl genpkey
 * -algorithm ed25519).  Refuses a file that group or others may read,
 * and any other key type.  Returns the key (free with seckey_free), or
 * NULL after warning with the file name.
 */
struct seckey *
seckey_load(const char *path)
{
	struct seckey	*sk = NULL;
	struct stat	 st;
	FILE		*f;
	int		 ok = 0;

	if ((f = fopen(path, "re")) == NULL) {
		warn("%s", path);
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1) {
		warn("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warnx("%s: secret key is accessible by group or others "
		    "(mode %04o); run: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if ((sk = calloc(1, sizeof(*sk))) == NULL) {
		warn("calloc");
		goto out;
	}
	/* The empty passphrase callback refuses encrypted keys politely. */
	if ((sk->pkey = PEM_read_PrivateKey(f, NULL, NULL, "")) == NULL) {
		cryptowarnx("%s: not a PEM private key", path);
		goto out;
	}
	if (EVP_PKEY_get_base_id(sk->pkey) != EVP_PKEY_ED25519) {
		warnx("%s: not an Ed25519 key", path);
		goto out;
	}
	if (!seckey_pub(sk, path))
		goto out;
	ok = 1;
 out:
	fclose(f);
	if (!ok) {
		seckey_free(sk);
		sk = NULL;
	}
	return sk;
}

/*
 * A new random Ed25519 key, in memory only.  Returns it (free with
 * seckey_free), or NULL after a warning.
 */
struct seckey *
seckey_new(void)
{
	EVP_PKEY_CTX	*ctx;
	struct seckey	*sk;
	int		 ok = 0;

	if ((sk = calloc(1, sizeof(*sk))) == NULL) {
		warn("calloc");
		return NULL;
	}
	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &sk->pkey) != 1) {
		cryptowarnx("Ed25519 key generation");
		goto out;
	}
	ok = seckey_pub(sk, "new Ed25519 key");
 out:
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		seckey_free(sk);
		sk = NULL;
	}
	return sk;
}

/*
 * Write sk as unencrypted PKCS#8 PEM (what seckey_load reads) to name
 * in dfd, mode 0600, atomically (common/atomic.c); path names it in
 * messages.  The PEM lives only in OpenSSL's memory BIO, which wipes
 * it when freed.  Returns 1, or 0 after a warning with name as it was.
 */
int
seckey_write_at(const struct seckey *sk, int dfd, const char *name,
    const char *path)
{
	BIO	*bio;
	char	*pem;
	long	 n;
	int	 ok = 0;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, sk->pkey, NULL, NULL, 0, NULL,
	    NULL) || (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		cryptowarnx("%s: PEM", path);
		goto out;
	}
	ok = atomic_write_at(dfd, name, path, pem, (size_t)n, 0600);
 out:
	BIO_free(bio);
	return ok;
}

/* Free a secret key (OpenSSL wipes the key material); NULL is fine. */
void
seckey_free(struct seckey *sk)
{
	if (sk == NULL)
		return;
	EVP_PKEY_free(sk->pkey);
	OPENSSL_cleanse(sk, sizeof(*sk));
	free(sk);
}

static int
blake2b(const unsigned char *data, size_t len, unsigned char *out)
{
	return EVP_Digest(data, len, out, NULL, EVP_blake2b512(), NULL);
}

static int
ed25519_sign(EVP_PKEY *key, const unsigned char *msg, size_t len,
    unsigned char *sig)
{
	EVP_MD_CTX	*ctx;
	size_t		 siglen = 64;
	int		 rc = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	/* Ed25519 takes no digest and signs in one shot (SPEC 6). */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == 64)
		rc = 1;
	EVP_MD_CTX_free(ctx);
	return rc;
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

/* T must be one line that minisign can write back: printable or TAB. */
static int
comment_ok(const char *t, size_t len)
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
 * Sign data and append the four-line .minisig text to out, with T as
 * the trusted comment.  legacy makes the old "Ed" whole-file form; it
 * exists to reproduce SPEC 5's vectors and is never accepted by
 * sig_parse().  Returns 1, or 0 for a T that is too long or not
 * printable ASCII, or a crypto failure.
 */
int
sig_sign(const struct seckey *sk, const unsigned char *data, size_t len,
    const char *comment, int legacy, struct buf *out)
{
	unsigned char	 h[64], line2[2 + KEYID_LEN + 64], *gmsg = NULL;
	char		 b2[SIGLINE_LEN + 1], b4[GLOBAL_LEN + 1], id[17];
	size_t		 tlen = strlen(comment);
	int		 rc = 0;

	if (!comment_ok(comment, tlen)) {
		warnx("trusted comment longer than %d bytes or not "
		    "printable ASCII", SIG_COMMENT_MAX);
		return 0;
	}
	line2[0] = 'E';
	line2[1] = legacy ? 'd' : 'D';
	memcpy(line2 + 2, sk->pub.keyid, KEYID_LEN);
	if (legacy) {
		if (!ed25519_sign(sk->pkey, data, len, line2 + 2 + KEYID_LEN))
			goto fail;
	} else if (!blake2b(data, len, h) ||
	    !ed25519_sign(sk->pkey, h, sizeof(h), line2 + 2 + KEYID_LEN))
		goto fail;
	if ((gmsg = malloc(64 + tlen)) == NULL)
		goto fail;
	memcpy(gmsg, line2 + 2 + KEYID_LEN, 64);
	/* Bytes to sign, not a string: signature || comment, no NUL. */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(gmsg + 64, comment, tlen);
	if (!ed25519_sign(sk->pkey, gmsg, 64 + tlen, h))
		goto fail;
	b64_encode(line2, sizeof(line2), b2);
	b64_encode(h, 64, b4);
	keyid_format(sk->pub.keyid, id);
	rc = buf_printf(out, UNTRUSTED "signature from key %s\n%s\n"
	    TRUSTED "%s\n%s\n", id, b2, comment, b4);
	goto out;
 fail:
	cryptowarnx("signing");
 out:
	free(gmsg);
	return rc;
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
	if (!comment_ok(l, llen)) {
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
	if (!blake2b(data, len, h))
		return SIG_INTERNAL;
	return ed25519_verify(pk->pk, h, sizeof(h), s->sig) ? SIG_OK :
	    SIG_BAD_SIG;
}
