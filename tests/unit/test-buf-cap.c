/*
 * test-buf-cap.c - the capped buffer never holds more than its cap, and
 * a refused append leaves it as it was; files past the cap are refused.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "testutil.h"

static void
test_cap(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_true(buf_append(&b, "0123456789", 10));
	assert_false(buf_append(&b, "x", 1));
	assert_int_equal(errno, EFBIG);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "0123456789", 11);
	assert_false(buf_printf(&b, "%d", 1));
	assert_int_equal(b.len, 10);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_true(buf_printf(&b, "%s-%d", "ab", 12345));
	assert_string_equal((char *)b.data, "ab-12345");
	/* SIZE_MAX-sized requests must not wrap around the check. */
	assert_false(buf_append(&b, "", (size_t)-1));
	buf_free(&b);
	buf_free(&b);
}

static void
test_readfile(void **state)
{
	char		 path[] = "/tmp/cabundle-test-buf.XXXXXX";
	char		 fifo[] = "/tmp/cabundle-test-fifo.XXXXXX";
	struct buf	 b;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "abcdef", 6), 6);
	close(fd);
	buf_init(&b, 6);
	assert_true(buf_readfile(&b, path));
	assert_string_equal((char *)b.data, "abcdef");
	buf_free(&b);
	buf_init(&b, 5);
	assert_false(buf_readfile(&b, path));
	assert_int_equal(errno, EFBIG);
	buf_free(&b);
	unlink(path);
	assert_false(buf_readfile(&b, path));
	assert_int_equal(errno, ENOENT);
	assert_false(buf_readfile(&b, "/tmp"));
	/* A FIFO without a writer is refused, not waited on. */
	assert_true((fd = mkstemp(fifo)) != -1);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_false(buf_readfile(&b, fifo));
	unlink(fifo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_readfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
