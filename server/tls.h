/*
 * tls.h - the certificate and key "serve" hands to libmicrohttpd.
 */
#ifndef CABUNDLED_TLS_H
#define CABUNDLED_TLS_H

struct buf;

int	tls_load(const char *, const char *, struct buf *, struct buf *);
void	tls_free(struct buf *, struct buf *);

#endif
