/*
 * tls.c - the certificate and key "serve" hands to libmicrohttpd.
 *
 * libmicrohttpd does the handshake (GnuTLS underneath); before that,
 * OpenSSL reads both files so a wrong pair fails at startup with the
 * file and the rule named, not at the first client's handshake.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "tls.h"

#define TLS_FILE_MAX	(64 * 1024)	/* a chain of a few certificates */

/* A passphrase prompt must never block a daemon: refuse instead. */
static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/*
 * Read the certificate chain and private key for [http] tls_cert and
 * tls_key into cert and key (NUL-terminated PEM, as libmicrohttpd
 * wants).  Returns 1, or 0 after a warning naming the file and the
 * rule: unreadable or over 64 KiB, no PEM certificate, a key others can
 * read, a key that is encrypted or not PEM, a key that does not belong
 * to the first certificate.  A certificate outside its validity only
 * warns: clients will say so, and the mirror's files stay verifiable.
 * The caller frees both buffers (tls_free wipes the key).
 */
int
tls_load(const char *certfile, const char *keyfile, struct buf *cert,
    struct buf *key)
{
	struct stat	 st;
	BIO		*bio = NULL;
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	int		 rc = 0;

	buf_init(cert, TLS_FILE_MAX);
	buf_init(key, TLS_FILE_MAX);
	if (!buf_readfile(cert, certfile))
		goto out;
	if (stat(keyfile, &st) == -1) {
		warn("%s", keyfile);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		warnx("%s: TLS key is accessible to other users (mode %04o); "
		    "chmod o-rwx it", keyfile, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (!buf_readfile(key, keyfile))
		goto out;

	if ((bio = BIO_new_mem_buf(cert->data, (int)cert->len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
		warnx("%s: no PEM certificate", certfile);
		goto out;
	}
	BIO_free(bio);
	if ((bio = BIO_new_mem_buf(key->data, (int)key->len)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
	    NULL)) == NULL) {
		warnx("%s: not an unencrypted PEM private key", keyfile);
		goto out;
	}
	if (X509_check_private_key(x, pk) != 1) {
		warnx("%s: key does not belong to the first certificate "
		    "in %s", keyfile, certfile);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		warnx("%s: warning: certificate has expired; clients "
		    "will refuse it", certfile);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
		warnx("%s: warning: certificate is not yet valid",
		    certfile);
	rc = 1;
 out:
	ERR_clear_error();
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(pk);
	if (!rc)
		tls_free(cert, key);
	return rc;
}

/* Free what tls_load read, wiping the key's bytes first. */
void
tls_free(struct buf *cert, struct buf *key)
{
	if (key->data != NULL)
		OPENSSL_cleanse(key->data, key->cap);
	buf_free(key);
	buf_free(cert);
}
