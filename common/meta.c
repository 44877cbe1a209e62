/*
 * meta.c - build and read the trusted comment of a release.
 *
 * One canonical text per metadata set: seven fields, this order, each
 * once, single TABs, u63 numbers without sign or leading zero, lower-case
 * hex.  A lenient reader here is how a client and an auditor's script
 * end up disagreeing about which version they saw (ATTACKS 10).
 */
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "meta.h"
#include "num.h"

enum field { F_FORMAT, F_PROFILE, F_VERSION, F_CREATED, F_EXPIRES, F_SIZE,
	F_SHA256, F__MAX };

static const char *const fields[F__MAX] = {
	"format", "profile", "version", "created", "expires", "size", "sha256"
};

/*
 * 1 if s is a profile name: a lower-case letter or digit, then up to 63
 * of lower-case letters, digits, '.', '_', '+', '-'.
 */
int
profile_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > META_PROFILE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && strchr("._+-", s[i]) != NULL && s[i] != '\0')
			continue;
		return 0;
	}
	return 1;
}

/*
 * 1 if s (NUL-terminated) is a name a profile may take: profile_valid()
 * and none of the words that are files of their own under /v1/ (an
 * export could not hold both).  0 otherwise.
 */
int
profile_name_ok(const char *s)
{
	static const char *const taken[] = {
		"audit", "keylists", "keys", "profiles", "pubkey", "snapshots",
		"upstream",
	};
	size_t	 i;

	if (!profile_valid(s, strlen(s)))
		return 0;
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		if (strcmp(s, taken[i]) == 0)
			return 0;
	return 1;
}

/*
 * Write the trusted comment for m into out (outlen bytes, 256 is always
 * enough).  Returns 1, or 0 when m breaks the grammar (bad profile, a
 * number outside 1 .. 2^63-1, created not before expires) or out is
 * too small.
 */
int
meta_format(const struct meta *m, char *out, size_t outlen)
{
	return meta_format_as(META_FORMAT, m, out, outlen);
}

/*
 * meta_format() for another document the same key signs, in the same
 * grammar with format (META_FORMAT_CONSTRAINTS, say) as its first
 * field.
 */
int
meta_format_as(const char *format, const struct meta *m, char *out,
    size_t outlen)
{
	char	 hex[65];
	int	 n;

	if (!profile_valid(m->profile, strlen(m->profile)) ||
	    m->version < 1 || m->version > INT64_MAX ||
	    m->created < 1 || m->created > INT64_MAX ||
	    m->expires > INT64_MAX || m->created >= m->expires ||
	    m->size < 1 || m->size > INT64_MAX)
		return 0;
	hex_encode(m->sha256, 32, hex);
	n = snprintf(out, outlen, "format:%s\tprofile:%s\tversion:%llu\t"
	    "created:%llu\texpires:%llu\tsize:%llu\tsha256:%s", format,
	    m->profile, (unsigned long long)m->version,
	    (unsigned long long)m->created, (unsigned long long)m->expires,
	    (unsigned long long)m->size, hex);
	return n > 0 && (size_t)n < outlen;
}

static int
lowerhex(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Parse a trusted comment T of len bytes into m.  Returns 1, or 0 with
 * why naming the field and the rule: a field missing, extra, repeated
 * or out of order, a value not in its grammar, another format (a key
 * list, say), or created not before expires.
 */
int
meta_parse(const char *t, size_t len, struct meta *m, char *why,
    size_t whylen)
{
	return meta_parse_as(META_FORMAT, t, len, m, why, whylen);
}

/* meta_parse() of a document whose format field must be format. */
int
meta_parse_as(const char *format, const char *t, size_t len, struct meta *m,
    char *why, size_t whylen)
{
	const char	*p = t, *end = t + len, *v, *tab;
	size_t		 klen, vlen;
	uint64_t	*num[F__MAX] = { NULL, NULL, &m->version, &m->created,
			    &m->expires, &m->size, NULL };
	int		 f;

	memset(m, 0, sizeof(*m));
	for (f = 0; f < F__MAX; f++) {
		if (p >= end) {
			snprintf(why, whylen, "field '%s' missing",
			    fields[f]);
			return 0;
		}
		if ((tab = memchr(p, '\t', (size_t)(end - p))) == NULL)
			tab = end;
		klen = strlen(fields[f]);
		if ((size_t)(tab - p) <= klen ||
		    memcmp(p, fields[f], klen) != 0 || p[klen] != ':') {
			snprintf(why, whylen, "field %d must be '%s:'",
			    f + 1, fields[f]);
			return 0;
		}
		v = p + klen + 1;
		vlen = (size_t)(tab - v);
		switch (f) {
		case F_FORMAT:
			if (vlen != strlen(format) ||
			    memcmp(v, format, vlen) != 0) {
				snprintf(why, whylen, "format '%.*s' is not "
				    "%s: another kind of signed document",
				    (int)(vlen > 40 ? 40 : vlen), v,
				    format);
				return 0;
			}
			break;
		case F_PROFILE:
			if (!profile_valid(v, vlen)) {
				snprintf(why, whylen, "profile is not a valid "
				    "profile name");
				return 0;
			}
			memcpy(m->profile, v, vlen);
			m->profile[vlen] = '\0';
			break;
		case F_SHA256:
			if (vlen != 64 || !lowerhex(v, vlen) ||
			    !hex_decode(v, vlen, m->sha256, 32)) {
				snprintf(why, whylen, "sha256 must be 64 "
				    "lower-case hex digits");
				return 0;
			}
			break;
		default:
			if (!num_u63(v, vlen, num[f])) {
				snprintf(why, whylen, "%s must be a number "
				    "from 1 to 2^63-1 without sign, spaces "
				    "or leading zeros", fields[f]);
				return 0;
			}
			break;
		}
		p = tab < end ? tab + 1 : end;
		if (tab < end && f == F__MAX - 1) {
			snprintf(why, whylen, "data after the sha256 field");
			return 0;
		}
	}
	if (m->created >= m->expires) {
		snprintf(why, whylen, "created must be before expires");
		return 0;
	}
	return 1;
}
