/*
 * datadir.h - the data directory as a whole: its secret keys' modes
 * checked, then its database opened (datadir.c).  Above db.c and
 * keys.c, which know nothing of each other's files.
 */
#ifndef CABUNDLED_DATADIR_H
#define CABUNDLED_DATADIR_H

#include <sqlite3.h>

#include "config.h"

sqlite3	*datadir_open(const struct config *);

#endif
