/*
 * html_page.c - what every page for people is made of: escaping, the
 * head with its inline style sheet and navigation, the end, and table
 * cells.  Below html.c and html_audit.c, which render the pages.
 */
#include <stdio.h>

#include "buf.h"
#include "html.h"

#define STYLE \
	"body{font:15px/1.5 system-ui,sans-serif;max-width:72em;" \
	"margin:1.5em auto;padding:0 1em;color:#1d232a;background:#fcfcfd}" \
	"a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:" \
	"underline}nav{border-bottom:1px solid #dde1e6;padding-bottom:.5em;" \
	"margin-bottom:1em}nav a{margin-right:1.2em}h1{font-size:1.5em;" \
	"margin:.3em 0 .6em}table{border-collapse:collapse;width:100%}" \
	"td,th{padding:.35em .7em;border-bottom:1px solid #e6e9ed;" \
	"text-align:left;vertical-align:top}th{background:#f2f4f7;" \
	"font-weight:600}code,.fp{font:13px ui-monospace,monospace;" \
	"word-break:break-all}.add{color:#0a7a32}.rm{color:#b42318}" \
	".warn{color:#9a6700}.muted{color:#66707a}.d{white-space:nowrap}" \
	".obj{word-break:break-all;min-width:10em;max-width:22em}"

/* Append s with HTML's special characters escaped; 1, or 0 at the cap. */
int
html_text(struct buf *b, const char *s)
{
	int	 ok = 1;

	if (s == NULL)
		return 1;
	for (; ok && *s != '\0'; s++)
		switch (*s) {
		case '<':
			ok = buf_append(b, "&lt;", 4);
			break;
		case '>':
			ok = buf_append(b, "&gt;", 4);
			break;
		case '&':
			ok = buf_append(b, "&amp;", 5);
			break;
		case '"':
			ok = buf_append(b, "&quot;", 6);
			break;
		case '\'':
			ok = buf_append(b, "&#39;", 5);
			break;
		default:
			ok = buf_append(b, s, 1);
		}
	return ok;
}

/* A <td> of escaped text; 1, or 0 at the cap. */
int
html_td(struct buf *b, const char *s)
{
	return buf_append(b, "<td>", 4) && html_text(b, s) &&
	    buf_append(b, "</td>", 5);
}

/* A <td> of a date or time, kept on one line. */
int
html_td_date(struct buf *b, const char *s)
{
	return buf_append(b, "<td class=\"d\">", 14) && html_text(b, s) &&
	    buf_append(b, "</td>", 5);
}

/* A <td> of a fingerprint linking to its certificate's page. */
int
html_td_fp(struct buf *b, const char *fp)
{
	return buf_append(b, "<td class=\"fp\"><a href=\"/cert/", 30) &&
	    html_text(b, fp) && buf_append(b, "\">", 2) && html_text(b, fp) &&
	    buf_append(b, "</a></td>", 9);
}

/* The page head, navigation and title. */
int
html_begin(struct buf *b, const char *title)
{
	return buf_printf(b, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
	    "width=device-width\"><title>") && html_text(b, title) &&
	    buf_printf(b, " - cabundle</title><style>%s</style></head>"
	    "<body>\n<nav><a href=\"/\">profiles</a><a href=\"/quarantine\">"
	    "quarantine</a><a href=\"/snapshots\">snapshots</a><a href=\""
	    "/audit\">audit log</a><a href=\"/org\">organization CAs</a>"
	    "<a href=\"/exclusions\">exclusions</a>"
	    "<a href=\"/search\">search</a><a href=\""
	    "/v1/pubkey\">public key</a></nav>\n<h1>", STYLE) &&
	    html_text(b, title) && buf_append(b, "</h1>\n", 6);
}

int
html_end(struct buf *b)
{
	return buf_printf(b, "</body></html>\n");
}

