/*
 * extern.h - what the server's files share: the commands and the
 * pieces serve and the commands both call.
 */
#ifndef CABUNDLED_EXTERN_H
#define CABUNDLED_EXTERN_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"

struct buf;

int	cmd_init(const struct config *, int, char *[]);
int	cmd_fetch(const struct config *, int, char *[]);
int	cmd_import(const struct config *, int, char *[]);
int	cmd_inspect(const struct config *, int, char *[]);
int	cmd_snapshots(const struct config *, int, char *[]);
int	cmd_report(const struct config *, int, char *[]);
int	cmd_approve(const struct config *, int, char *[]);
int	cmd_reject(const struct config *, int, char *[]);
int	cmd_audit(const struct config *, int, char *[]);
int	cmd_serve(const struct config *, int, char *[]);
int	cmd_key(const struct config *, int, char *[]);
int	cmd_root(const struct config *, int, char *[]);
int	cmd_org(const struct config *, int, char *[]);
int	cmd_exclude(const struct config *, int, char *[]);
int	cmd_profile(const struct config *, int, char *[]);
int	cmd_publish(const struct config *, int, char *[]);
int	cmd_history(const struct config *, int, char *[]);
int	cmd_diff(const struct config *, int, char *[]);
int	cmd_rebuild(const struct config *, int, char *[]);

int	cmd_export(const struct config *, int, char *[]);

#endif
