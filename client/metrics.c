/*
 * metrics.c - "install --metrics FILE": a Prometheus textfile (the
 * node exporter's textfile collector reads it) written after every run
 * that got past its options, success or failure, replaced atomically
 * (file_replace: a temporary ".NAME.cabundle-XXXXXX" beside it, which
 * the collector ignores, then rename) so that a scrape never sees half
 * of it.
 *
 * What it says comes from the state file's records of the run's
 * profile, as they are after the run (a refused run leaves them as
 * they were), and from the files themselves:
 *
 *	cabundle_installed_version{profile,target}	version recorded
 *	cabundle_installed_info{profile,target,sha256,key_id}	1
 *	cabundle_target_ok{profile,target}	1: holds that release now
 *	cabundle_release_expiry_seconds{profile}	its expiry, a Unix
 *						time (not seconds left)
 *	cabundle_last_success_timestamp_seconds{profile}
 *	cabundle_last_run_exit_code{profile}
 */
#include <sys/stat.h>

#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "extern.h"

#define METRICS_MAX	(1u << 20)

/* A label value as the exposition format wants it: \\, \" and \n. */
static int
label_put(struct buf *b, const char *name, const char *v)
{
	if (!buf_printf(b, "%s=\"", name))
		return 0;
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"') {
			if (!buf_printf(b, "\\%c", *v))
				return 0;
		} else if (*v == '\n') {
			if (!buf_printf(b, "\\n"))
				return 0;
		} else if (!buf_append(b, v, 1))
			return 0;
	}
	return buf_printf(b, "\"");
}

static int
family_put(struct buf *b, const char *name, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
	    name);
}

/*
 * One sample: name{profile="..."[,target="..."][,sha256=..,key_id=..]}
 * value.  t: the target's record, or NULL; info: its sha256 and key_id
 * too.
 */
static int
sample_put(struct buf *b, const char *name, const char *profile,
    const json_t *t, int info, long long value)
{
	if (!buf_printf(b, "%s{", name) || !label_put(b, "profile", profile))
		return 0;
	if (t != NULL && (!buf_printf(b, ",") || !label_put(b, "target",
	    json_string_value(json_object_get(t, "path")))))
		return 0;
	if (info && (!buf_printf(b, ",") || !label_put(b, "sha256",
	    json_string_value(json_object_get(t, "sha256"))) ||
	    !buf_printf(b, ",") || !label_put(b, "key_id",
	    json_string_value(json_object_get(t, "key_id")))))
		return 0;
	return buf_printf(b, "} %lld\n", value);
}

/* The records of st for profile into recs (borrowed); how many. */
static size_t
records(const json_t *st, const char *profile, const json_t **recs,
    size_t max)
{
	const json_t	*t;
	size_t		 i, n = 0;

	json_array_foreach(json_object_get(st, "targets"), i, t)
		if (n < max && strcmp(json_string_value(json_object_get(t,
		    "profile")), profile) == 0)
			recs[n++] = t;
	return n;
}

/* The per-target families of the n records in recs (pass: --java's). */
static int
targets_put(struct buf *b, const char *profile, const json_t **recs,
    size_t n, const char *pass)
{
	size_t	 i;

	if (n == 0)
		return 1;
	if (!family_put(b, "cabundle_installed_version", "Release version "
	    "the state file records for the target."))
		return 0;
	for (i = 0; i < n; i++)
		if (!sample_put(b, "cabundle_installed_version", profile,
		    recs[i], 0, (long long)json_integer_value(
		    json_object_get(recs[i], "version"))))
			return 0;
	if (!family_put(b, "cabundle_installed_info", "The release the "
	    "target holds: its sha256 and signing key id."))
		return 0;
	for (i = 0; i < n; i++)
		if (!sample_put(b, "cabundle_installed_info", profile, recs[i],
		    1, 1))
			return 0;
	if (!family_put(b, "cabundle_target_ok", "1 when the target holds "
	    "its recorded release after this run, else 0."))
		return 0;
	for (i = 0; i < n; i++)
		if (!sample_put(b, "cabundle_target_ok", profile, recs[i], 0,
		    target_holds(recs[i], pass, NULL, 0)))
			return 0;
	return 1;
}

/*
 * Write the metrics of profile after a run that exits rc to path, from
 * state st (NULL when it could not be read: the exit code alone);
 * pass opens Java stores (NULL: Java's default).  Returns 1, or 0
 * after a warning naming the file.
 */
int
metrics_write(const char *path, const char *profile, const json_t *st,
    int rc, const char *pass)
{
	const json_t	*recs[256];
	struct buf	 b;
	int64_t		 last, exp = 0, ver = -1;
	size_t		 i, n = 0;
	int		 ok = 0;

	buf_init(&b, METRICS_MAX);
	if (st != NULL)
		n = records(st, profile, recs, sizeof(recs) / sizeof(recs[0]));
	if (!targets_put(&b, profile, recs, n, pass))
		goto out;
	/* The expiry of the newest release a target holds. */
	for (i = 0; i < n; i++)
		if (json_integer_value(json_object_get(recs[i], "version")) >
		    ver) {
			ver = json_integer_value(json_object_get(recs[i],
			    "version"));
			exp = json_integer_value(json_object_get(recs[i],
			    "expires"));
		}
	if (n > 0 && (!family_put(&b, "cabundle_release_expiry_seconds",
	    "When the installed release expires, as a Unix time.") ||
	    !sample_put(&b, "cabundle_release_expiry_seconds", profile, NULL,
	    0, (long long)exp)))
		goto out;
	if (st != NULL && state_last_success(st, profile, &last) &&
	    (!family_put(&b, "cabundle_last_success_timestamp_seconds",
	    "When a run last left every target holding the release.") ||
	    !sample_put(&b, "cabundle_last_success_timestamp_seconds",
	    profile, NULL, 0, (long long)last)))
		goto out;
	if (!family_put(&b, "cabundle_last_run_exit_code", "The exit "
	    "status of the last cabundle install (cabundle(1)).") ||
	    !sample_put(&b, "cabundle_last_run_exit_code", profile, NULL, 0,
	    rc))
		goto out;
	ok = file_replace(path, b.data, b.len, 0644, NULL);
	buf_free(&b);
	return ok;
 out:
	warnx("%s: metrics not written: out of memory", path);
	buf_free(&b);
	return ok;
}
