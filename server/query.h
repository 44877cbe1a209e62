/*
 * query.h - the read side: what history, diff, the profile list, the
 * snapshots with their reports and the audit log hold, answered from the database as C structures.  Rendering them
 * (JSON, text, HTML) is someone else's job: render_json.c, the
 * commands, html.c.
 */
#ifndef CABUNDLED_QUERY_H
#define CABUNDLED_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

struct query_audit;

/* One release in a profile's history (schema 003 bounds the text). */
struct query_release {
	int64_t		 version;
	int64_t		 created;
	int64_t		 expires;
	int64_t		 certificates;
	int64_t		 added;		/* +0/-0 for a re-signing */
	int64_t		 removed;
	int64_t		 snapshot;	/* when has_snapshot */
	int64_t		 build;
	int64_t		 size;		/* when has_size */
	int		 has_snapshot;
	int		 has_size;
	int		 has_sha256;
	char		 key_id[17];
	char		 reason[8];	/* inputs, resign, key, relay */
	char		 sha256[65];	/* body digest, when has_sha256 */
	/* Countersigned (schema 006): the upstream release it carries. */
	int64_t		 carried;	/* its version; 0: carries none */
	char		 carried_key[17];	/* the key id that verified it */
	const char	*carried_from;	/* its source, borrowed */
	/*
	 * Roots this release's build newly left out by the profile's
	 * distrust_after policy: a JSON array of {sha256, label,
	 * server_after, rule}, borrowed; NULL: none.
	 */
	const char	*left;
	/*
	 * Schema 009: the audit row of the change it published (approve,
	 * org-add, exclude-add, profile-set, key-rotate, ...), borrowed;
	 * NULL: none (a renewal, a relay, a release before 009).
	 */
	const struct query_audit *cause;
};

/* A profile's releases, oldest first. */
struct query_history {
	struct query_release *v;
	size_t		 n;
};

/* A certificate one side of a diff has and the other lacks. */
struct query_diff_cert {
	char		 sha256[65];
	char		*label;
	int64_t		 not_after;	/* 0: unknown */
	int		 organization;	/* an organization CA */
	char		*rule;		/* removed by the distrust_after
					   policy: the rule; NULL: not */
};

/*
 * A root of a release with a distrust-after date: served (rule NULL),
 * until a date when the profile's policy is sunset, or left out by the
 * rule.  The text is borrowed.
 */
struct query_dated {
	const char	*sha256;
	const char	*label;
	int64_t		 server_after;
	int64_t		 until;		/* sunset: served until; 0: no end */
	const char	*rule;		/* left out: why; NULL: served */
};

/* What changed from version "from" to version "to" of a profile. */
struct query_diff {
	char		*profile;
	int64_t		 from;
	int64_t		 to;
	struct query_diff_cert *added;
	size_t		 nadded;
	struct query_diff_cert *removed;
	size_t		 nremoved;
};

/* A profile, its rule and its latest release (when it has one). */
struct query_profile {
	char		*name;
	char		*description;
	char		*org;		/* none, all, tags */
	char		*tags;		/* space-separated; NULL: none */
	char		*sha256;	/* latest body; NULL: none */
	char		*distrust_after; /* keep, sunset, drop */
	char		*removed_by;	/* schema 009; NULL: current */
	int64_t		 removed;	/* 0: current */
	int		 upstream;
	int		 exclusions;
	int		 builtin;
	int		 has_release;	/* version and expires are set */
	int		 has_certificates;
	int64_t		 version;
	int64_t		 expires;
	int64_t		 certificates;
};

/* Every profile, by name. */
struct query_profiles {
	struct query_profile *v;
	size_t		 n;
};

/* A finding of a stored vetting report. */
struct query_finding {
	char		*level;		/* info, warning, ... */
	char		*check;
	char		*label;		/* NULL: not about one certificate */
	char		*rule;
};

/* A snapshot of the upstream bundle and how it was decided. */
struct query_snapshot {
	int64_t		 id;
	int64_t		 created;
	char		*source;
	char		*sha256;
	int64_t		 certificates;
	char		*verdict;
	char		*status;
	int64_t		 added;
	int64_t		 removed;
	int64_t		 dated;		/* roots with a distrust-after date */
	char		*decided_by;	/* NULL: not decided by a person */
	int64_t		 decided_at;	/* when decided_by decided; 0: - */
	char		*reason;	/* NULL: none given */
	char		*report;	/* stored JSON; NULL unless asked */
	struct query_finding *findings;	/* parsed report rows, if asked */
	size_t		 nfindings;
};

/* Snapshots, oldest first. */
struct query_snapshots {
	struct query_snapshot *v;
	size_t		 n;
};

/* A row of the audit log. */
struct query_audit {
	int64_t		 id;
	int64_t		 time;
	char		*actor;
	char		*action;
	char		*object;
	char		*details;	/* stored JSON object */
	char		*hash;
};

/* A stretch of the audit log, oldest first. */
struct query_audits {
	struct query_audit *v;
	size_t		 n;
};

/*
 * Of release r: the roots its build left out by the distrust_after
 * policy that the build of the release before did not (query_release's
 * left), as a JSON array; "[]" when none.
 */
#define RELEASE_LEFT_SQL "(SELECT json_group_array(json_object('sha256', " \
	"l.cert, 'label', l.label, 'server_after', l.server_after, 'rule', " \
	"l.rule)) FROM build_left l WHERE l.build = r.build AND l.cert NOT " \
	"IN (SELECT cert FROM build_left WHERE build = (SELECT build FROM " \
	"release WHERE profile = r.profile AND version < r.version ORDER " \
	"BY version DESC LIMIT 1)))"

/*
 * Of release r: its cause (schema 009) as six columns, the audit row's
 * id, time, actor, action, object and details, NULL without one; with
 * RELEASE_CAUSE_JOIN in the FROM clause.
 */
#define RELEASE_CAUSE_COLS "ca.id, ca.time, ca.actor, ca.action, " \
	"ca.object, ca.details"
#define RELEASE_CAUSE_JOIN "LEFT JOIN release_cause rca ON rca.profile = " \
	"r.profile AND rca.version = r.version LEFT JOIN audit ca ON " \
	"ca.id = rca.audit"

int	query_cause_row(sqlite3_stmt *, int, struct query_audit *);
int	query_history_each(sqlite3 *, const char *, int64_t, int64_t,
	    int (*)(const struct query_release *, void *), void *);
int	query_history(sqlite3 *, const char *, struct query_history *);
void	query_history_free(struct query_history *);
int	query_release(sqlite3 *, const char *, int64_t,
	    struct query_release *, int64_t *, int *);
int	query_diff(sqlite3 *, const char *, int64_t, int64_t,
	    struct query_diff *, int *);
void	query_diff_free(struct query_diff *);
int	query_profiles(sqlite3 *, struct query_profiles *);
int	query_profiles_with(sqlite3 *, int, struct query_profiles *);
int	query_tags_set(sqlite3 *, const char *, const char *, const char *,
	    const json_t *);
void	query_profiles_free(struct query_profiles *);
int	query_snapshots(sqlite3 *, int, struct query_snapshots *);
int	query_findings(struct query_snapshot *);
void	query_snapshots_free(struct query_snapshots *);
int	query_audit(sqlite3 *, int64_t, int64_t, struct query_audits *);
void	query_audit_free(struct query_audits *);
int	query_snapshot(sqlite3 *, int64_t, struct query_snapshots *);

/* The releases of one profile that held a certificate. */
struct query_cert_release {
	char		*profile;
	int64_t		 first;		/* version */
	int64_t		 last;
	int64_t		 count;
};

/* A stored certificate, for its page. */
struct query_certificate {
	char		*sha256;
	char		*subject;
	char		*issuer;
	char		*serial;
	char		*key;		/* "RSA 2048", ... */
	char		*label;		/* upstream label, org name or subject */
	int64_t		 not_before;
	int64_t		 not_after;
	int		 ca;
	int		 self_signed;
	struct query_cert_release *rel;	/* by profile */
	size_t		 nrel;
};

int	query_certificate(sqlite3 *, const char *, struct query_certificate *,
	    int *);
void	query_certificate_free(struct query_certificate *);

/* A signing key, in any role. */
struct query_key {
	char		 keyid[17];
	char		 role[8];	/* active, standby, retired */
	char		*public_key;	/* minisign "RW..." string */
	int64_t		 created;
	int64_t		 activated;	/* when has_activated */
	int64_t		 retired;	/* when has_retired */
	int		 has_activated;
	int		 has_retired;
};

/* The signing keys: active, standby, then retired, newest first. */
struct query_keys {
	struct query_key *v;
	size_t		 n;
};

int	query_keys(sqlite3 *, struct query_keys *);
void	query_keys_free(struct query_keys *);

#endif
