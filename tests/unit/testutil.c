/*
 * testutil.c - read fixtures (tests/fixtures, or $CABUNDLE_FIXTURES)
 * and edit text for table-driven negative tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"
#include "sign.h"
#include "testutil.h"

/* Path of a fixture; static storage, valid until the next call. */
char *
fixture_path(const char *rel)
{
	static char	 path[4096];
	const char	*dir = getenv("CABUNDLE_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures",
	    rel);
	return path;
}

/* Read a fixture into b (initialised here); fails the test if absent. */
void
fixture_read(const char *rel, struct buf *b)
{
	buf_init(b, 64u << 20);
	if (!buf_readfile(b, fixture_path(rel)))
		fail_msg("cannot read fixture %s", fixture_path(rel));
}

/* Replace the first occurrence of from with to; fails if absent. */
void
text_replace(struct buf *b, const char *from, const char *to)
{
	struct buf	 nb;
	char		*p;
	size_t		 off;

	if ((p = strstr((char *)b->data, from)) == NULL)
		fail_msg("text_replace: '%s' not found", from);
	off = (size_t)(p - (char *)b->data);
	buf_init(&nb, b->max);
	assert_true(buf_append(&nb, b->data, off));
	assert_true(buf_append(&nb, to, strlen(to)));
	assert_true(buf_append(&nb, b->data + off + strlen(from),
	    b->len - off - strlen(from)));
	buf_free(b);
	*b = nb;
}

/* Write PEM text to a private temporary file, load it as a key. */
static struct seckey *
key_from_pem(const void *pem, size_t len)
{
	char		 path[] = "/tmp/cabundle-test-key.XXXXXX";
	struct seckey	*sk;
	int		 fd;

	assert_true((fd = mkstemp(path)) != -1);	/* mode 0600 */
	assert_int_equal(write(fd, pem, len), (ssize_t)len);
	close(fd);
	sk = seckey_load(path);
	unlink(path);
	assert_non_null(sk);
	return sk;
}

/* SPEC 5's test key (seed 00..1f), whatever the checkout's file mode. */
struct seckey *
testkey_vector(void)
{
	struct seckey	*sk;
	struct buf	 b;

	fixture_read("vectors/test-key.pem", &b);
	sk = key_from_pem(b.data, b.len);
	buf_free(&b);
	return sk;
}

/* A fresh random Ed25519 key: the attacker's "K3", or a standby. */
struct seckey *
testkey_new(void)
{
	struct seckey	*sk;

	assert_non_null(sk = seckey_new());
	return sk;
}
