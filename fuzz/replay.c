/*
 * replay.c - run a harness over files instead of under libFuzzer:
 *
 *	replay-NAME FILE|DIR...
 *
 * Each file (each regular file of a directory not starting with '.',
 * in name order) is read whole into a buffer of exactly its size, so
 * that the sanitizers see an over-read as libFuzzer would, and passed
 * to the harness once.  Exit 0 when every input ran, 1 when a path
 * could not be read; a crash, a sanitizer report or a broken invariant
 * ends the run with the sanitizer's or abort's status, after
 * "replay: FILE" has named the input on standard output.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX	(16u << 20)

/* Harnesses point stderr at /dev/null; our own words go to the real one. */
static void
complain(const char *path, const char *why)
{
	fprintf(fuzz_stderr != NULL ? fuzz_stderr : stderr,
	    "replay: %s: %s\n", path, why);
}

static int
replay_file(const char *path, size_t *n)
{
	struct stat	 st;
	unsigned char	*data;
	size_t		 len, off = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		complain(path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (unsigned long long)st.st_size > REPLAY_MAX) {
		complain(path, "not a regular file of at most 16 MiB");
		close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	/* Exactly len bytes (1 for an empty file, never read). */
	if ((data = malloc(len > 0 ? len : 1)) == NULL) {
		complain(path, "out of memory");
		close(fd);
		return 0;
	}
	while (off < len) {
		if ((r = read(fd, data + off, len - off)) <= 0) {
			complain(path, "short read");
			free(data);
			close(fd);
			return 0;
		}
		off += (size_t)r;
	}
	close(fd);
	printf("replay: %s\n", path);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	(*n)++;
	return 1;
}

static int
replay_dir(const char *dir, size_t *n)
{
	struct dirent	**ents;
	char		 path[4096];
	int		 i, count, ok = 1;

	if ((count = scandir(dir, &ents, NULL, alphasort)) == -1) {
		complain(dir, strerror(errno));
		return 0;
	}
	for (i = 0; i < count; i++) {
		if (ents[i]->d_name[0] == '.')
			;
		else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) >= sizeof(path)) {
			complain(dir, "path too long");
			ok = 0;
		} else if (!replay_file(path, n))
			ok = 0;
		free(ents[i]);
	}
	free(ents);
	return ok;
}

int
main(int argc, char *argv[])
{
	struct stat	 st;
	size_t		 n = 0;
	int		 i, ok = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", argv[0]);
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			complain(argv[i], strerror(errno));
			ok = 0;
		} else if (S_ISDIR(st.st_mode) ? !replay_dir(argv[i], &n) :
		    !replay_file(argv[i], &n))
			ok = 0;
	}
	printf("replay: %zu inputs, %s\n", n, ok ? "all ran" : "errors");
	return ok ? 0 : 1;
}
