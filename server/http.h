/*
 * http.h - the read-only HTTP mirror (libmicrohttpd).
 */
#ifndef CABUNDLED_HTTP_H
#define CABUNDLED_HTTP_H

#include "config.h"

struct http;
struct site;

struct http	*http_start(const struct config *);
void		 http_set_site(struct http *, struct site *);
void		 http_stop(struct http *);

#endif
