/*
 * test-atomic-replace.c - common/atomic.c: a file is replaced whole or
 * not at all, with the mode asked for, through no link, and leaves no
 * temporary behind.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "testutil.h"

static char	 top[] = "/tmp/cabundle-test-atomic.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(top) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* The bytes of name in dfd, NUL-terminated in out. */
static void
slurp(int dfd, const char *name, char *out, size_t len)
{
	ssize_t	 n;
	int	 fd;

	assert_true((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW)) != -1);
	assert_true((n = read(fd, out, len - 1)) >= 0);
	out[n] = '\0';
	close(fd);
}

/* How many names in dir carry the temporaries' tag. */
static int
temporaries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ATOMIC_TAG) != NULL)
			n++;
	closedir(d);
	return n;
}

static void
test_write_and_replace(void **state)
{
	char		 dir[128], got[64];
	struct stat	 st;
	int		 dfd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/a/b/c", top);
	/* mkdir -p, with the mode asked for, then it opens what exists. */
	assert_true((dfd = atomic_mkdirs(AT_FDCWD, dir, 0700)) != -1);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	close(dfd);
	assert_true((dfd = atomic_mkdirs(AT_FDCWD, dir, 0700)) != -1);

	assert_true(atomic_write_at(dfd, "f", "f", "one", 3, 0600));
	slurp(dfd, "f", got, sizeof(got));
	assert_string_equal(got, "one");
	assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_true(atomic_write_at(dfd, "f", "f", "second", 6, 0644));
	slurp(dfd, "f", got, sizeof(got));
	assert_string_equal(got, "second");
	assert_int_equal(fstatat(dfd, "f", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(temporaries(dir), 0);
	close(dfd);
}

/* A link at the name is replaced by the file, never written through. */
static void
test_link_not_followed(void **state)
{
	char		 victim[128], got[64];
	struct stat	 st;
	int		 dfd;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", top);
	assert_true((dfd = open(top, O_RDONLY | O_DIRECTORY)) != -1);
	assert_true(atomic_write_at(dfd, "victim", victim, "keep", 4, 0600));
	assert_int_equal(symlinkat(victim, dfd, "link"), 0);
	assert_true(atomic_write_at(dfd, "link", "link", "new", 3, 0644));
	assert_int_equal(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	slurp(dfd, "victim", got, sizeof(got));
	assert_string_equal(got, "keep");
	close(dfd);
}

/* A failure leaves the old file and no temporary. */
static void
test_failure_changes_nothing(void **state)
{
	char		 got[64];
	int		 dfd;

	(void)state;
	assert_true((dfd = open(top, O_RDONLY | O_DIRECTORY)) != -1);
	assert_true(atomic_write_at(dfd, "g", "g", "old", 3, 0644));
	/* A directory at the name: rename(2) refuses to replace it. */
	assert_int_equal(mkdirat(dfd, "d", 0755), 0);
	assert_false(atomic_write_at(dfd, "d", "d", "x", 1, 0644));
	assert_int_equal(temporaries(top), 0);
	/* An empty directory path is refused. */
	assert_int_equal(atomic_mkdirs(AT_FDCWD, "", 0755), -1);
	slurp(dfd, "g", got, sizeof(got));
	assert_string_equal(got, "old");
	close(dfd);
}

static void
test_tmpname(void **state)
{
	char	 a[64], b[64], small[8];

	(void)state;
	assert_true(atomic_tmpname("cacert.pem", a, sizeof(a)));
	assert_true(atomic_tmpname("cacert.pem", b, sizeof(b)));
	assert_int_equal(strncmp(a, ".cacert.pem" ATOMIC_TAG,
	    strlen(".cacert.pem" ATOMIC_TAG)), 0);
	assert_int_equal(strlen(a), strlen(".cacert.pem" ATOMIC_TAG) + 6);
	assert_string_not_equal(a, b);
	assert_false(atomic_tmpname("cacert.pem", small, sizeof(small)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_replace),
		cmocka_unit_test(test_link_not_followed),
		cmocka_unit_test(test_failure_changes_nothing),
		cmocka_unit_test(test_tmpname),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
