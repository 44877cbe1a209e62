/*
 * usage.c - a command line judged against the forms of its usage text
 * (main.c's table, what "cabundled COMMAND --help" prints and
 * cabundled(8) documents), so a usage error says what is missing or
 * left over instead of printing the usage alone.
 *
 * A form is one line of the text; a line that starts with a blank
 * continues the one before.  Outside brackets: the command, perhaps a
 * lower-case subcommand ("edit|set": either spelling), required options ("--reason TEXT", an option
 * takes a value when a word in capitals or a choice "yes|no" follows
 * it) and required
 * arguments in capitals.  Inside brackets: what may be left out.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "usage.h"

#define FORM_MAX	32	/* words of a form that count */

struct word {
	const char	*s;	/* "--reason", "ID", "add" */
	size_t		 len;
	const char	*val;	/* "TEXT" after an option, or NULL */
	size_t		 vlen;
};

struct form {
	struct word	 sub;		/* len 0: no subcommand */
	struct word	 need[FORM_MAX];	/* required options, then
						   required arguments */
	size_t		 nneed;
	struct word	 opt[FORM_MAX];	/* every option, needed or not */
	size_t		 nopt;
	size_t		 nargs;		/* required arguments */
	size_t		 maxargs;	/* with the optional ones */
	int		 many;		/* an argument may repeat */
	struct word	 kw[FORM_MAX];	/* optional words: "[verify]" */
	size_t		 nkw;
};

/* The word at *p without brackets, dots or "|"; *p moves past it. */
static int
word_next(const char **p, const char *end, struct word *w, int *depth,
    int *wdepth)
{
	const char	*s, *e;

	while (*p < end && (**p == ' ' || **p == '\n'))
		(*p)++;
	if (*p >= end)
		return 0;
	s = *p;
	while (*p < end && **p != ' ' && **p != '\n')
		(*p)++;
	e = *p;
	while (s < e && *s == '[') {
		s++;
		(*depth)++;
	}
	*wdepth = *depth;
	while (e > s && (e[-1] == ']' || e[-1] == '.')) {
		if (e[-1] == ']')
			(*depth)--;
		e--;
	}
	w->s = s;
	w->len = (size_t)(e - s);
	w->val = NULL;
	w->vlen = 0;
	return 1;
}

static int
is_value(const struct word *w)
{
	return w->len > 0 && isupper((unsigned char)w->s[0]);
}

/* "yes|no", "none|all|tags" after an option: the values it takes. */
static int
is_choice(const struct word *w)
{
	return w->len > 2 && w->s[0] != '-' && w->s[0] != '|' &&
	    memchr(w->s, '|', w->len) != NULL;
}

/* 1 when the subcommand s is sub, or one of its "edit|set" spellings. */
static int
sub_is(const char *s, const struct word *sub)
{
	const char	*p = sub->s, *end = sub->s + sub->len, *bar;
	size_t		 n = strlen(s);

	while (p < end) {
		if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
			bar = end;
		if ((size_t)(bar - p) == n && strncmp(s, p, n) == 0)
			return 1;
		p = bar + 1;
	}
	return 0;
}

/* One form, the text from p to end, into f. */
static void
form_parse(const char *p, const char *end, struct form *f)
{
	struct word	 w, v;
	const char	*q;
	int		 depth = 0, d, wdepth, vdepth, n = 0;

	memset(f, 0, sizeof(*f));
	while (word_next(&p, end, &w, &depth, &wdepth)) {
		if (n++ == 0 || w.len == 0 || (w.len == 1 && w.s[0] == '|'))
			continue;
		if (w.s[0] == '-') {
			q = p;
			d = depth;
			/* "[--vet] FILE": the bracket closes before FILE. */
			if (q == w.s + w.len && word_next(&q, end, &v, &d,
			    &vdepth) && (is_value(&v) || is_choice(&v))) {
				w.val = v.s;
				w.vlen = v.len;
				p = q;
				depth = d;
			}
			if (f->nopt < FORM_MAX)
				f->opt[f->nopt++] = w;
			if (wdepth == 0 && f->nneed < FORM_MAX)
				f->need[f->nneed++] = w;
			continue;
		}
		if (wdepth == 0 && n == 2 && !is_value(&w)) {
			f->sub = w;
			continue;
		}
		if (w.s + w.len < p && w.s[w.len] == '.')
			f->many = 1;
		if (!is_value(&w)) {
			if (f->nkw < FORM_MAX)
				f->kw[f->nkw++] = w;
			continue;
		}
		f->maxargs++;
		if (wdepth == 0 && f->nneed < FORM_MAX) {
			f->need[f->nneed++] = w;
			f->nargs++;
		}
	}
}

/* Every form of text into f (FORMS_MAX at most); returns how many. */
static size_t
forms_parse(const char *text, struct form *f, size_t max)
{
	const char	*p = text, *e;
	size_t		 n = 0;

	while (*p != '\0' && n < max) {
		/* A form ends where a line starts with no blank. */
		for (e = p; (e = strchr(e, '\n')) != NULL && e[1] == ' '; e++)
			continue;
		if (e == NULL)
			e = p + strlen(p);
		form_parse(p, e, &f[n++]);
		p = *e == '\0' ? e : e + 1;
	}
	return n;
}

/* 1 when the argument a (up to '=') names the option w, or abbreviates
 * it as getopt_long(3) allows. */
static int
opt_is(const char *a, const struct word *w)
{
	size_t	 n = strcspn(a, "=");

	if (w->len == 2 && a[0] == '-' && a[1] != '-')	/* -o, -oFILE */
		return strncmp(a, w->s, 2) == 0;
	return n > 2 && n <= w->len && strncmp(a, w->s, n) == 0;
}

/* 1 when the argument a is an option of some form written with a value
 * after it, not joined by '='. */
static int
opt_takes_value(const struct form *f, size_t nf, const char *a)
{
	size_t	 i, j;

	if (strchr(a, '=') != NULL || (a[1] != '-' && a[2] != '\0'))
		return 0;
	for (i = 0; i < nf; i++)
		for (j = 0; j < f[i].nopt; j++)
			if (f[i].opt[j].val != NULL && opt_is(a, &f[i].opt[j]))
				return 1;
	return 0;
}

/* 1 when some argument of the line names the option w. */
static int
opt_given(const struct word *w, char *const given[], size_t ngiven)
{
	size_t	 i;

	for (i = 0; i < ngiven; i++)
		if (opt_is(given[i], w))
			return 1;
	return 0;
}

/* Append to msg: sep, then the word (with its value, if any). */
static void
say(char *msg, size_t len, const char *sep, const struct word *w)
{
	size_t	 n = strlen(msg);

	if (n < len)
		snprintf(msg + n, len - n, "%s%.*s%s%.*s", sep, (int)w->len,
		    w->s, w->val != NULL ? " " : "", (int)w->vlen,
		    w->val != NULL ? w->val : "");
}

static void
say_text(char *msg, size_t len, const char *text)
{
	size_t	 n = strlen(msg);

	if (n < len)
		snprintf(msg + n, len - n, "%s", text);
}

static int
word_same(const struct word *a, const struct word *b)
{
	return a->len == b->len && strncmp(a->s, b->s, a->len) == 0;
}

/* The words form f needs that the line lacks, into miss. */
static size_t
form_missing(const struct form *f, char *const given[], size_t ngiven,
    size_t nargs, const struct word **miss)
{
	size_t	 i, n = 0, args = 0;

	for (i = 0; i < f->nneed; i++) {
		if (f->need[i].s[0] == '-') {
			if (!opt_given(&f->need[i], given, ngiven))
				miss[n++] = &f->need[i];
		} else if (args++ >= nargs)
			miss[n++] = &f->need[i];
	}
	return n;
}

/*
 * How many of the arguments pos[] are arguments of form f, not its
 * optional words; *extra: the first one past what f takes, or NULL.
 */
static size_t
form_args(const struct form *f, char *const pos[], size_t npos,
    const char **extra)
{
	size_t	 i, j, n = 0;

	*extra = NULL;
	for (i = 0; i < npos; i++) {
		for (j = 0; j < f->nkw; j++)
			if (strlen(pos[i]) == f->kw[j].len &&
			    strncmp(pos[i], f->kw[j].s, f->kw[j].len) == 0)
				break;
		if (j < f->nkw)
			continue;
		if (n++ == f->maxargs && *extra == NULL)
			*extra = pos[i];
	}
	return n;
}

/* "org: add, remove or list is required", "org: frob: unknown; ...". */
static void
say_subs(const struct form *f, size_t nf, const char *cmd, const char *sub,
    char *msg, size_t len)
{
	size_t	 i;

	snprintf(msg, len, "%s: ", cmd);
	if (*sub != '\0') {
		say_text(msg, len, sub);
		say_text(msg, len, ": unknown; ");
	}
	for (i = 0; i < nf; i++)
		if (i == 0 || !word_same(&f[i].sub, &f[i - 1].sub))
			say(msg, len, i == 0 ? "" : i + 1 == nf ||
			    word_same(&f[i].sub, &f[nf - 1].sub) ? " or " :
			    ", ", &f[i].sub);
	say_text(msg, len, " is required");
}

/*
 * Judge a command line (argv[0] the command) against the forms of its
 * usage text; hint[] (ended by a NULL cmd) gives the reason to say
 * when one word is missing.  Returns 1 when some form is met, 0 with a
 * message in msg ("approve: --reason TEXT is required (...)", "fetch:
 * x: unexpected argument") when none is.
 */
int
usage_judge(const char *text, const struct usage_hint *hint, int argc,
    char *argv[], char *msg, size_t len)
{
	struct form		 f[USAGE_FORMS_MAX];
	const struct form	*m[USAGE_FORMS_MAX];
	const struct word	*miss[USAGE_FORMS_MAX][FORM_MAX];
	char			*given[USAGE_ARGS_MAX], *pos[USAGE_ARGS_MAX];
	const char		*sub = NULL, *extra = NULL;
	size_t			 nf, nm = 0, nmiss[USAGE_FORMS_MAX], nargs;
	size_t			 i, j, k, ngiven = 0, npos = 0, best = 0;
	int			 a, opts = 1;

	msg[0] = '\0';
	nf = forms_parse(text, f, USAGE_FORMS_MAX);
	for (i = 0; i < nf; i++)
		if (f[i].sub.len > 0)
			sub = argc > 1 ? argv[1] : "";
	for (i = 0; i < nf; i++)
		if (sub == NULL || sub_is(sub, &f[i].sub))
			m[nm++] = &f[i];
	if (nm == 0 && sub == NULL)
		return 1;	/* no form at all: nothing to judge by */
	if (nm == 0) {
		say_subs(f, nf, argv[0], sub, msg, len);
		return 0;
	}
	/* What the line gives, as getopt_long(3) reads it. */
	for (a = sub != NULL ? 2 : 1; a < argc && argv[a] != NULL; a++) {
		if (opts && strcmp(argv[a], "--") == 0)
			opts = 0;
		else if (opts && argv[a][0] == '-' && argv[a][1] != '\0') {
			if (ngiven < USAGE_ARGS_MAX)
				given[ngiven++] = argv[a];
			/* "--reason" last: getopt_long says what lacks. */
			if (opt_takes_value(f, nf, argv[a]) && ++a == argc)
				return 1;
		} else if (npos < USAGE_ARGS_MAX)
			pos[npos++] = argv[a];
	}
	for (i = 0; i < nm; i++) {
		nargs = form_args(m[i], pos, npos, &extra);
		nmiss[i] = form_missing(m[i], given, ngiven, nargs, miss[i]);
		if (nmiss[i] == 0 && (m[i]->many || nargs <= m[i]->maxargs))
			return 1;
		if (nmiss[i] < nmiss[best])
			best = i;
	}
	snprintf(msg, len, "%s%s%s: ", argv[0], sub != NULL ? " " : "",
	    sub != NULL ? sub : "");
	if (nmiss[best] == 0) {
		form_args(m[best], pos, npos, &extra);
		say_text(msg, len, extra != NULL ? extra : "an argument");
		say_text(msg, len, ": unexpected argument");
		return 0;
	}
	/* What the closest form lacks, then what those as close lack. */
	for (j = 0, k = 0; j < nmiss[best]; j++, k++)
		say(msg, len, j == 0 ? "" : j + 1 == nmiss[best] ? " and " :
		    ", ", miss[best][j]);
	for (i = 0; i < nm; i++)
		for (j = 0; i != best && nmiss[i] == nmiss[best] &&
		    j < nmiss[i]; j++) {
			for (a = 0; (size_t)a < nmiss[best]; a++)
				if (word_same(miss[best][a], miss[i][j]))
					break;
			if ((size_t)a == nmiss[best])
				say(msg, len, " or ", miss[i][j]);
		}
	say_text(msg, len, k > 1 ? " are required" : " is required");
	for (; k == 1 && hint != NULL && hint->cmd != NULL; hint++)
		if (strncmp(msg, hint->cmd, strlen(hint->cmd)) == 0 &&
		    msg[strlen(hint->cmd)] == ':' &&
		    strlen(hint->word) == miss[best][0]->len &&
		    strncmp(hint->word, miss[best][0]->s, miss[best][0]->len)
		    == 0) {
			say_text(msg, len, " (");
			say_text(msg, len, hint->why);
			say_text(msg, len, ")");
		}
	return 0;
}

/*
 * 1 when the usage text writes the option opt (up to '=': none) with a
 * value after it, as "--reason TEXT": getopt_long(3) then takes the
 * next argument as its value.
 */
int
usage_takes_value(const char *text, const char *opt)
{
	struct form	 f[USAGE_FORMS_MAX];

	if (opt[0] != '-' || opt[1] == '\0')
		return 0;
	return opt_takes_value(f, forms_parse(text, f, USAGE_FORMS_MAX), opt);
}

/*
 * Name a subcommand for getopt_long(3), which starts its messages with
 * the argv[0] it is handed: argv[0] is "cabundled org" (main.c), argv[1]
 * the subcommand; afterwards argv[1] points at buf (len bytes), "cabundled
 * org edit", so getopt_long(argc - 1, argv + 1, ...) says
 * "cabundled org edit: option '--name' requires an argument".  A name
 * that does not fit leaves argv[1] alone.  Returns the subcommand,
 * borrowed from the caller's argv.
 */
const char *
usage_subname(char *argv[], char *buf, size_t len)
{
	const char	*sub = argv[1];
	int		 n;

	n = snprintf(buf, len, "%s %s", argv[0], sub);
	if (n > 0 && (size_t)n < len)
		argv[1] = buf;
	return sub;
}
