/*
 * buf.c - the one place that grows memory for external data.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

/*
 * Prepare an empty buffer that will refuse to hold more than max bytes.
 * Nothing is allocated until the first append.
 */
void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/*
 * Append len bytes.  Returns 1, or 0 with errno set (EFBIG past the cap,
 * ENOMEM) and the buffer unchanged.  The data stays NUL-terminated so
 * text can be handed to string functions, but it may hold NULs itself.
 */
int
buf_append(struct buf *b, const void *p, size_t len)
{
	unsigned char	*np;
	size_t		 ncap;

	if (len > b->max || b->len > b->max - len) {
		errno = EFBIG;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + len + 1)
			ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
		if ((np = realloc(b->data, ncap)) == NULL)
			return 0;
		b->data = np;
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 1;
}

/*
 * Append formatted text under the same cap.  Returns 1, or 0 with
 * errno set and the buffer unchanged.
 */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big = NULL;
	int	 n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

/* Forget the contents but keep the allocation and the cap. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Release the memory; the buffer can be used again, empty, same cap. */
void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/*
 * Read a whole regular file into b (appending).  Returns 1, or 0 after
 * warning with the file's name: missing, not a regular file, or larger
 * than the buffer's cap (errno EFBIG, kept for the caller).  Reads at most cap + 1 bytes whatever the file
 * claims, so a file that grows while read cannot blow the cap either.
 */
int
buf_readfile(struct buf *b, const char *path)
{
	struct stat	 st;
	unsigned char	 chunk[65536];
	ssize_t		 n;
	int		 fd, rc = 0;

	int		 saved;

	/* O_NONBLOCK: a FIFO must not hang us before the S_ISREG check. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		saved = errno;
		warn("%s", path);
		errno = saved;
		return 0;
	}
	if (fstat(fd, &st) == -1) {
		warn("%s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file", path);
		goto out;
	}
	/* Allocate even for an empty file: callers get a valid pointer. */
	if (!buf_append(b, "", 0)) {
		warn("%s", path);
		goto out;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		if (!buf_append(b, chunk, (size_t)n)) {
			saved = errno;
			if (errno == EFBIG)
				warnx("%s: larger than %zu bytes", path,
				    b->max);
			else
				warn("%s", path);
			errno = saved;
			goto out;
		}
	}
	rc = 1;
 out:
	close(fd);
	return rc;
}
