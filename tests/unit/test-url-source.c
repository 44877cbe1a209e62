/*
 * test-url-source.c - url_source() reads a mirror source the same way
 * for the server's [mirror] url and the client's --from: https and
 * http as they are, a local path as file:///PATH, file:/PATH or /PATH,
 * and nothing else.
 */
#include <stddef.h>
#include <string.h>

#include "url.h"
#include "testutil.h"

static const struct {
	const char	*in;
	enum url_kind	 kind;
	const char	*path;		/* URL_FILE: what it names */
} cases[] = {
	{ "https://mirror.example/", URL_HTTPS, NULL },
	{ "http://127.0.0.1:8080", URL_HTTP, NULL },
	{ "file:///media/usb/mirror", URL_FILE, "/media/usb/mirror" },
	{ "file:/media/usb/mirror", URL_FILE, "/media/usb/mirror" },
	{ "/media/usb/mirror", URL_FILE, "/media/usb/mirror" },
	{ "file://host/media", URL_BAD, NULL },	/* a remote host */
	{ "file:relative", URL_BAD, NULL },
	{ "relative/dir", URL_BAD, NULL },
	{ "ftp://mirror.example/", URL_BAD, NULL },
	{ "https://", URL_BAD, NULL },
	{ "http://", URL_BAD, NULL },
	{ "HTTPS://mirror.example/", URL_BAD, NULL },
	{ "", URL_BAD, NULL },
	{ NULL, URL_BAD, NULL }
};

static void
test_table(void **state)
{
	const char	*path;
	size_t		 i;

	(void)state;
	for (i = 0; cases[i].in != NULL; i++) {
		assert_int_equal(url_source(cases[i].in, &path),
		    cases[i].kind);
		if (cases[i].path == NULL)
			assert_null(path);
		else
			assert_string_equal(path, cases[i].path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
