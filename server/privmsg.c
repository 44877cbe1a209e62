/*
 * privmsg.c - length-prefixed messages over a stream socket between
 * serve's processes (signer.c).  The reader trusts nothing: a length
 * out of range, an unknown type or a short read ends the conversation.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "meta.h"
#include "privmsg.h"

static int
type_known(int t)
{
	return t == PM_HELLO || t == PM_SIGN || t == PM_SIGN_CONSTRAINTS ||
	    t == PM_SIGN_PACKAGE || t == PM_SIG || t == PM_ERROR;
}

/*
 * Decode the first message of in.  Returns 1 and sets *type, *payload
 * (pointing into in), *len and *used; 0 when in holds only part of a
 * message; -1 when it can never be one (a length of 0 or over
 * PRIVMSG_MAX, an unknown type).
 */
int
privmsg_decode(const unsigned char *in, size_t inlen, int *type,
    const unsigned char **payload, size_t *len, size_t *used)
{
	uint32_t	 n;

	if (inlen < 4)
		return 0;
	n = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	    (uint32_t)in[2] << 8 | in[3];
	if (n == 0 || n > PRIVMSG_MAX)
		return -1;
	if (inlen < 4 + (size_t)n)
		return inlen > 4 && !type_known(in[4]) ? -1 : 0;
	if (!type_known(in[4]))
		return -1;
	*type = in[4];
	*payload = in + 5;
	*len = n - 1;
	*used = 4 + (size_t)n;
	return 1;
}

/* Read exactly n bytes: 1, 0 at end of file before the first, -1. */
static int
read_all(int fd, unsigned char *p, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

/*
 * Encode one message into out (4 + PRIVMSG_MAX bytes).  Returns its
 * length, or 0 for an unknown type or a payload that does not fit.
 */
size_t
privmsg_encode(int type, const void *data, size_t len, unsigned char *out)
{
	size_t	 n = len + 1;

	if (n > PRIVMSG_MAX || !type_known(type))
		return 0;
	out[0] = (unsigned char)(n >> 24);
	out[1] = (unsigned char)(n >> 16);
	out[2] = (unsigned char)(n >> 8);
	out[3] = (unsigned char)n;
	out[4] = (unsigned char)type;
	if (len > 0)
		memcpy(out + 5, data, len);
	return 4 + n;
}

/* Send one message.  Returns 1, or 0 when the peer is gone. */
int
privmsg_send(int fd, int type, const void *data, size_t len)
{
	unsigned char	 m[4 + PRIVMSG_MAX];
	size_t		 n, off = 0;
	ssize_t		 w;

	if ((n = privmsg_encode(type, data, len, m)) == 0)
		return 0;
	while (off < n) {
		/* MSG_NOSIGNAL: a dead peer is an error, not SIGPIPE. */
		if ((w = send(fd, m + off, n - off, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		off += (size_t)w;
	}
	return 1;
}

/*
 * Receive one message into buf (bufsz bytes, NUL-terminated after the
 * payload).  Returns 1, 0 at end of file between messages, -1 after a
 * warning: a malformed message, one longer than buf, a read error.
 */
int
privmsg_recv(int fd, int *type, char *buf, size_t bufsz, size_t *len)
{
	unsigned char	 m[4 + PRIVMSG_MAX];
	const unsigned char *payload;
	size_t		 n, used;
	int		 rc;

	if ((rc = read_all(fd, m, 4)) != 1)
		return rc;
	n = (size_t)m[0] << 24 | (size_t)m[1] << 16 | (size_t)m[2] << 8 |
	    m[3];
	if (n == 0 || n > PRIVMSG_MAX || read_all(fd, m + 4, n) != 1 ||
	    privmsg_decode(m, 4 + n, type, &payload, len, &used) != 1 ||
	    *len >= bufsz) {
		warnx("malformed message from a cabundled process");
		return -1;
	}
	memcpy(buf, payload, *len);
	buf[*len] = '\0';
	return 1;
}

/*
 * A sign request's payload: exactly one cabundle/1 trusted comment as
 * meta_format() writes it.  Returns 1 and fills m, or 0 with why.
 */
int
privmsg_parse_sign(const char *req, size_t len, struct meta *m, char *why,
    size_t whylen)
{
	return privmsg_parse_sign_as(META_FORMAT, req, len, m, why, whylen);
}

/* privmsg_parse_sign() of a trusted comment whose format is format. */
int
privmsg_parse_sign_as(const char *format, const char *req, size_t len,
    struct meta *m, char *why, size_t whylen)
{
	char	 t[256];

	if (len == 0 || len >= sizeof(t) || memchr(req, '\0', len) != NULL) {
		snprintf(why, whylen, "not a trusted comment");
		return 0;
	}
	if (!meta_parse_as(format, req, len, m, why, whylen))
		return 0;
	if (!meta_format_as(format, m, t, sizeof(t)) || strlen(t) != len ||
	    memcmp(t, req, len) != 0) {
		snprintf(why, whylen, "not in canonical form");
		return 0;
	}
	return 1;
}
