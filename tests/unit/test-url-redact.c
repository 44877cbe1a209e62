/*
 * test-url-redact.c - url_redact() replaces the password of every URL
 * in a text, keeps everything else byte for byte, and never writes
 * past the room it is given.
 */
#include <string.h>

#include "url.h"
#include "testutil.h"

static const struct {
	const char	*in;
	const char	*out;
	int		 did;
} cases[] = {
	{ "https://user:pass@host/x", "https://user:***@host/x", 1 },
	{ "http://u:p@127.0.0.1:8080", "http://u:***@127.0.0.1:8080", 1 },
	{ "https://host/x", "https://host/x", 0 },
	{ "https://token@host/", "https://token@host/", 0 },
	{ "file:///media/usb/mirror", "file:///media/usb/mirror", 0 },
	{ "https://u:p@w@host/", "https://u:***@host/", 1 },
	{ "https://u:p:q@host?a=1", "https://u:***@host?a=1", 1 },
	{ "https://host/a@b:c", "https://host/a@b:c", 0 },
	{ "refused: http://a:b@h/v1/x: HTTP 404 (see http://c:d@i)",
	  "refused: http://a:***@h/v1/x: HTTP 404 (see http://c:***@i)", 1 },
	{ "no url here: a:b@c", "no url here: a:b@c", 0 },
	{ "://x:y@z", "://x:y@z", 0 },
	{ "", "", 0 },
	{ NULL, NULL, 0 }
};

static void
test_table(void **state)
{
	char	 out[256];
	size_t	 i;

	(void)state;
	for (i = 0; cases[i].in != NULL; i++) {
		assert_int_equal(url_redact(cases[i].in, out, sizeof(out)),
		    cases[i].did);
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_room(void **state)
{
	char	 out[12];

	(void)state;
	memset(out, 'X', sizeof(out));
	url_redact("https://user:secret@host/", out, 10);
	assert_int_equal(strlen(out), 9);
	assert_int_equal(out[10], 'X');
	assert_null(strstr(out, "secret"));
	url_redact("https://user:secret@host/", out, 1);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
