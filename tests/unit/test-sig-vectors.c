/*
 * test-sig-vectors.c - SPEC 5: from the seed 00..1f our code makes the
 * public key file and both signature files byte for byte, and reads
 * them back.  Also: a secret key readable by others is refused.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "meta.h"
#include "sig.h"
#include "sign.h"
#include "testutil.h"

#define T_VECTOR "format:cabundle/1\tprofile:test\tversion:1\t" \
	"created:1767225600\texpires:1768435200\tsize:538\tsha256:" \
	"50db2bc8d8af1d0ac5b62bfdfe541a8e87bc082211d68b0532a42e32209f6734"

static void
test_pubkey(void **state)
{
	struct seckey	*sk = testkey_vector();
	struct buf	 want, got;
	struct pubkey	 pk;
	char		 id[17], s[PUBKEY_STR_LEN + 1], why[128];

	(void)state;
	keyid_format(sk->pub.keyid, id);
	assert_string_equal(id, "4C476354A75A4756");
	fixture_read("vectors/test.pub", &want);
	buf_init(&got, 4096);
	assert_true(pubkey_write(&sk->pub, &got));
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	pubkey_string(&sk->pub, s);
	assert_string_equal(s,
	    "RWRWR1qnVGNHTAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
	assert_true(pubkey_parse((char *)want.data, want.len, &pk, why,
	    sizeof(why)));
	assert_memory_equal(&pk, &sk->pub, sizeof(pk));
	assert_true(pubkey_load(fixture_path("vectors/test.pub"), &pk));
	assert_true(pubkey_load(s, &pk));
	assert_memory_equal(&pk, &sk->pub, sizeof(pk));
	seckey_free(sk);
	buf_free(&want);
	buf_free(&got);
}

static void
test_signatures(void **state)
{
	static const struct {
		const char	*file;
		int		 legacy;
	} v[] = {
		{ "vectors/bundle.pem.minisig", 0 },
		{ "vectors/bundle.pem.legacy.minisig", 1 },
	};
	struct seckey	*sk = testkey_vector();
	struct buf	 body, want, got;
	size_t		 i;

	(void)state;
	fixture_read("vectors/bundle.pem", &body);
	for (i = 0; i < 2; i++) {
		fixture_read(v[i].file, &want);
		buf_init(&got, SIG_FILE_MAX);
		assert_true(sig_sign(sk, body.data, body.len, T_VECTOR,
		    v[i].legacy, &got));
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		buf_free(&want);
		buf_free(&got);
	}
	seckey_free(sk);
	buf_free(&body);
}

static void
test_verify_vector(void **state)
{
	struct buf	 body, sigtext;
	struct minisig	 s;
	struct pubkey	 pk;
	struct meta	 m;
	char		 why[256], t[256];

	(void)state;
	assert_true(pubkey_load(fixture_path("vectors/test.pub"), &pk));
	fixture_read("vectors/bundle.pem", &body);
	fixture_read("vectors/bundle.pem.minisig", &sigtext);
	assert_int_equal(sig_parse((char *)sigtext.data, sigtext.len, &s, why,
	    sizeof(why)), SIG_OK);
	assert_ptr_equal(sig_find_key(&s, &pk, 1), &pk);
	assert_int_equal(sig_verify_comment(&s, &pk), SIG_OK);
	assert_int_equal(sig_verify_data(&s, &pk, body.data, body.len),
	    SIG_OK);
	assert_int_equal(s.commentlen, 159);
	assert_true(meta_parse(s.comment, s.commentlen, &m, why,
	    sizeof(why)));
	assert_string_equal(m.profile, "test");
	assert_int_equal(m.version, 1);
	assert_int_equal(m.size, 538);
	/* And the metadata writer gives back exactly this T. */
	assert_true(meta_format(&m, t, sizeof(t)));
	assert_string_equal(t, T_VECTOR);
	buf_free(&body);
	buf_free(&sigtext);
}

static void
test_key_mode(void **state)
{
	char		 path[] = "/tmp/cabundle-test-key.XXXXXX";
	struct buf	 pem;
	int		 fd;

	(void)state;
	fixture_read("vectors/test-key.pem", &pem);
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, pem.data, pem.len), (ssize_t)pem.len);
	close(fd);
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(seckey_load(path));
	assert_int_equal(chmod(path, 0604), 0);
	assert_null(seckey_load(path));
	assert_int_equal(chmod(path, 0400), 0);
	seckey_free(seckey_load(path));
	unlink(path);
	buf_free(&pem);
}

/* A new key is written 0600 and loads back as the same key. */
static void
test_key_new(void **state)
{
	char		 dir[] = "/tmp/cabundle-test-keydir.XXXXXX", path[64];
	struct seckey	*sk, *back;
	struct stat	 st;
	int		 dfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1);
	assert_non_null(sk = seckey_new());
	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_true(seckey_write_at(sk, dfd, "k.key", path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_non_null(back = seckey_load(path));
	assert_memory_equal(&back->pub, &sk->pub, sizeof(sk->pub));
	seckey_free(back);
	seckey_free(sk);
	unlink(path);
	close(dfd);
	rmdir(dir);
}

static int
load_pem_text(const void *pem, size_t len)
{
	char		 path[] = "/tmp/cabundle-test-key.XXXXXX";
	struct seckey	*sk;
	int		 fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, pem, len), (ssize_t)len);
	close(fd);
	sk = seckey_load(path);
	unlink(path);
	seckey_free(sk);
	return sk != NULL;
}

/* Only Ed25519 private keys sign: not RSA, not a certificate. */
static void
test_key_type(void **state)
{
	EVP_PKEY	*rsa;
	BIO		*bio;
	struct buf	 pem;
	char		*p;
	long		 n;

	(void)state;
	assert_non_null(rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)2048));
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_true(PEM_write_bio_PrivateKey(bio, rsa, NULL, NULL, 0, NULL,
	    NULL));
	n = BIO_get_mem_data(bio, &p);
	assert_false(load_pem_text(p, (size_t)n));
	BIO_free(bio);
	EVP_PKEY_free(rsa);
	fixture_read("vectors/bundle.pem", &pem);
	assert_false(load_pem_text(pem.data, pem.len));
	buf_free(&pem);
	fixture_read("vectors/test-key.pem", &pem);
	assert_true(load_pem_text(pem.data, pem.len));
	buf_free(&pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pubkey),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_verify_vector),
		cmocka_unit_test(test_key_mode),
		cmocka_unit_test(test_key_new),
		cmocka_unit_test(test_key_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
