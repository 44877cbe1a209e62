/*
 * revet.h - a snapshot's report on current facts: the roots it adds
 * and removes against the snapshot accepted now (not the one it was
 * vetted against at ingest), and whether accepting it rolls the
 * mirror's content back.  report, approve and the pages all read it.
 */
#ifndef CABUNDLED_REVET_H
#define CABUNDLED_REVET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

/* A root the diff names. */
struct revet_root {
	char		 sha256[65];
	char		*label;
	int64_t		 removed_by;	/* added: the accepted snapshot that
					   removed it before; 0: never held */
};

struct revet {
	int64_t		 id;		/* the snapshot */
	int		 current;	/* diff re-derived now (quarantined);
					   0: the stored one (decided) */
	int64_t		 baseline;	/* compared with; 0: nothing */
	int64_t		 baseline_at;	/* when that one was accepted */
	int64_t		 vetted;	/* baseline at ingest; 0: none */
	struct revet_root *added;
	size_t		 nadded;
	struct revet_root *removed;
	size_t		 nremoved;
	int64_t		 identical;	/* earlier accepted snapshot with
					   this body, superseded; 0: none */
	int64_t		 identical_at;	/* its created time */
	size_t		 nreadded;	/* added roots with removed_by */
};

int	 revet_snapshot(sqlite3 *, int64_t, struct revet *);
int	 revet_stored(int64_t, const char *, struct revet *);
int	 revet_rollback(const struct revet *);
char	*revet_rollback_words(const struct revet *);
json_t	*revet_report(const struct revet *, const char *);
json_t	*revet_roots_json(const struct revet_root *, size_t);
void	 revet_free(struct revet *);

#endif
