/*
 * doctor.h - what the two halves of "cabundle doctor" share: doctor.c
 * (interpreters, the command) and doctor_tls.c (a host and its chain).
 */
#ifndef CABUNDLE_DOCTOR_H
#define CABUNDLE_DOCTOR_H

#include <jansson.h>
#include <openssl/x509.h>

#include "buf.h"

#define TEXT_MAX	(64u << 10)	/* one message or name */

/* Small helpers (doctor.c); text from outside is escaped when shown. */
const char	*jget(const json_t *, const char *);
const char	*nz(const char *);
const char	*bstr(const struct buf *);
json_t		*jstr(const char *);
void		 buf_putsafe(struct buf *, const void *, size_t);
void		 doctor_say(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* doctor_tls.c */
long	bundle_load(const char *, X509_STORE *);
int	host_check(const char *, const char *, const char *, const json_t *,
	    json_t *);
void	render_host(json_t *);
int	host_split(const char *, char *, size_t, long long *);

#endif
