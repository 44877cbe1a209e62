/*
 * sign.c - minisign secret keys and signing with OpenSSL 3 (SPEC 2, 4,
 * 6): what the server and the test tools link, never the client.
 */
#include <sys/stat.h>

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
#include "sign.h"

#define UNTRUSTED	"untrusted comment: "
#define TRUSTED		"trusted comment: "
#define SIGLINE_LEN	B64_LEN(2 + KEYID_LEN + 64)	/* 100 */
#define GLOBAL_LEN	B64_LEN(64)			/* 88 */

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

	if (!sig_comment_ok(comment, tlen)) {
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
	} else if (!sig_prehash(data, len, h) ||
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
