/*
 * advice.c - what a message tells a person to do next, complete enough
 * to be run as printed: the install that puts a changed target back
 * (status), and the profiles a mirror has when it has not the one asked
 * for (install).  The state is read like any input: every value that
 * goes into a command is checked, and quoted for a POSIX shell.
 */
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "exitcode.h"
#include "extern.h"
#include "meta.h"
#include "opts.h"
#include "url.h"

#define PROFILES_MAX	(1u << 20)	/* /v1/profiles: a list of names */
#define ADVICE_NAMES	16		/* profiles named in a message */

/* word onto b, quoted for sh(1) when it needs to be. */
static int
shell_word(struct buf *b, const char *word)
{
	const char	*p;

	if (*word != '\0' && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") ==
	    strlen(word))
		return buf_printf(b, " %s", word);
	if (!buf_printf(b, " '"))
		return 0;
	for (p = word; *p != '\0'; p++)
		if (!(*p == '\'' ? buf_printf(b, "'\\''") :
		    buf_append(b, p, 1)))
			return 0;
	return buf_printf(b, "'");
}

/* " --name value" onto b. */
static int
shell_opt(struct buf *b, const char *name, const char *value)
{
	return buf_printf(b, " %s", name) && shell_word(b, value);
}

/* The string at key of j, or NULL when it is absent or not a string. */
static const char *
jstr(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/*
 * The trust the install of t used, as the state recorded it: "--key
 * RW..." for each pinned key, or "--root RW..." for each root key.
 * Returns 1 with the options on b; 0 when the record has none (a state
 * written before cabundle kept it) or one that is not a key.
 */
static int
trust_opts(struct buf *b, const json_t *t)
{
	const json_t	*tr = json_object_get(t, "trust"), *a, *k;
	const char	*opt = "--key";
	struct pubkey	 pk;
	size_t		 i;

	if ((a = json_object_get(tr, "keys")) == NULL) {
		a = json_object_get(tr, "roots");
		opt = "--root";
	}
	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > MAX_KEYS)
		return 0;
	json_array_foreach(a, i, k)
		if (!json_is_string(k) || json_string_length(k) !=
		    PUBKEY_STR_LEN || !pubkey_from_string(json_string_value(k),
		    PUBKEY_STR_LEN, &pk))
			return 0;
	json_array_foreach(a, i, k)
		if (!shell_opt(b, opt, json_string_value(k)))
			return 0;
	return 1;
}

/* The option that names target t to install, onto b. */
static int
target_opt(struct buf *b, const json_t *t)
{
	const char	*kind = jstr(t, "kind"), *py = jstr(t, "python");
	const char	*path = jstr(t, "path");

	if (strcmp(kind, "system") == 0)
		return buf_printf(b, " --system");
	if (strcmp(kind, "capath") == 0)
		return shell_opt(b, "--capath", path);
	if (strcmp(kind, "nssdb") == 0)
		return shell_opt(b, "--nssdb", path);
	if (strcmp(kind, "java") == 0)
		return shell_opt(b, "--java", path);
	if (strcmp(kind, "certifi") == 0 || strcmp(kind, "pip") == 0) {
		if (py == NULL)
			return 0;
		/* --pip alone: python3's pip, and not its certifi. */
		if (strcmp(kind, "pip") == 0 && strcmp(py, "python3") != 0 &&
		    !shell_opt(b, "--python", py))
			return 0;
		if (strcmp(kind, "certifi") == 0 &&
		    !shell_opt(b, "--python", py))
			return 0;
		if (strcmp(kind, "pip") == 0 && !buf_printf(b, " --pip"))
			return 0;
		if (json_is_true(json_object_get(t, "force")) &&
		    !buf_printf(b, " --force"))
			return 0;
		return 1;
	}
	return shell_opt(b, "--output", path);
}

/*
 * The command that installs the release of target record t into it
 * again, onto b: "cabundle install", then what the settings of o (the
 * configuration status read, config its --config or NULL) do not give,
 * the options of t's target, and "--state" when state is not the
 * default.  From, key and profile come from o when its file gives all
 * three for t's profile and source, else from the state's record of
 * the install.  Returns 1; 0 when the record does not say enough (a
 * state an older cabundle wrote: no keys) or on no memory.
 */
int
advice_reinstall(struct buf *b, const json_t *t, const struct copts *o,
    const char *config, const char *state)
{
	const char	*src = jstr(t, "source"), *cacert = jstr(t, "cacert");
	char		 shown[4096], srcshown[4096];
	int		 fromconf = 0;

	if (src == NULL || jstr(t, "profile") == NULL)
		return 0;
	/*
	 * An older cabundle's state may hold the password itself: never
	 * print it, and a command without it would not run.
	 */
	url_redact(src, srcshown, sizeof(srcshown));
	if (strcmp(srcshown, src) != 0)
		return 0;
	if (o->from != NULL) {
		url_redact(o->from, shown, sizeof(shown));
		fromconf = o->profile != NULL && o->nkeys + o->nroots > 0 &&
		    strcmp(o->profile, jstr(t, "profile")) == 0 &&
		    strcmp(shown, src) == 0;
	}
	if (!buf_printf(b, "cabundle install"))
		return 0;
	if (config != NULL && !shell_opt(b, "--config", config))
		return 0;
	if (!fromconf) {
		/* A redacted password cannot be given back. */
		if (strstr(src, ":***@") != NULL ||
		    !shell_opt(b, "--from", src) || !trust_opts(b, t) ||
		    !shell_opt(b, "--profile", jstr(t, "profile")))
			return 0;
	}
	if (cacert != NULL && *cacert == '/' && (o->cafile == NULL ||
	    strcmp(o->cafile, cacert) != 0) &&
	    !shell_opt(b, "--cacert", cacert))
		return 0;
	if (!target_opt(b, t))
		return 0;
	if (state != NULL && !shell_opt(b, "--state", state))
		return 0;
	return 1;
}

/*
 * The mirror at from (as libcurl reads it) did not have the signature
 * of profile: ask its /v1/profiles which it has, and say so after why
 * ("; the mirror has no profile 'x'; it has: a, b" or "; it has
 * profile 'x' but no release of it yet").  Returns 1 when the mirror
 * answered with a list, 0 when it did not (why is left as it was).
 */
int
advice_profiles(struct getopts *g, const char *from, const char *profile,
    char *why, size_t whylen)
{
	struct buf	 b;
	json_t		*list = NULL, *p;
	char		 url[4096], ignored[1024], names[1024] = "";
	const char	*name;
	size_t		 i, n = 0, len = strlen(why);
	int		 found = 0, ok = 0;

	buf_init(&b, PROFILES_MAX);
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/profiles", from) >=
	    sizeof(url) || get_url(g, url, &b, PROFILES_MAX, ignored,
	    sizeof(ignored)) != EXIT_DONE)
		goto out;
	if ((list = json_loadb((const char *)b.data, b.len, 0, NULL)) ==
	    NULL || !json_is_array(list))
		goto out;
	json_array_foreach(list, i, p) {
		/* Names go into a message: the server's grammar only. */
		if ((name = jstr(p, "name")) == NULL ||
		    !profile_valid(name, strlen(name)))
			continue;
		if (strcmp(name, profile) == 0)
			found = 1;
		if (n++ < ADVICE_NAMES)
			snprintf(names + strlen(names), sizeof(names) -
			    strlen(names), "%s%s", n > 1 ? ", " : "", name);
	}
	if (found)
		snprintf(why + len, whylen - len, "; the mirror has profile "
		    "'%s' but no release of it yet", profile);
	else if (n == 0)
		snprintf(why + len, whylen - len, "; the mirror has no "
		    "profiles");
	else
		snprintf(why + len, whylen - len, "; the mirror has no "
		    "profile '%s'; it has: %s%s", profile, names,
		    n > ADVICE_NAMES ? ", ..." : "");
	ok = 1;
 out:
	json_decref(list);
	buf_free(&b);
	return ok;
}
