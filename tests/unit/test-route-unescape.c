/*
 * test-route-unescape.c - route_unescape(), the decoding of /search's
 * q: "%XX" bytes in either case, nothing else changed, and a bad
 * escape, a control character or a value past its room refused.
 */
#include <string.h>

#include "../../server/route.h"
#include "testutil.h"

static const struct {
	const char	*in;
	const char	*out;	/* NULL: refused */
} cases[] = {
	{ "EE%3AC9%3a97", "EE:C9:97" },
	{ "lab root", "lab root" },
	{ "a+b", "a+b" },		/* MHD made "+" a space already */
	{ "%3Cscript%3E", "<script>" },
	{ "%C3%A9t%C3%A9", "\xc3\xa9t\xc3\xa9" },
	{ "100%", NULL },
	{ "%4", NULL },
	{ "%zz", NULL },
	{ "a%00b", NULL },
	{ "a%0Ab", NULL },
	{ "a%7Fb", NULL },
	{ "tab\there", NULL },
	{ "", "" },
	{ NULL, NULL }
};

static void
test_table(void **state)
{
	char	 out[64];
	size_t	 i;

	(void)state;
	for (i = 0; cases[i].in != NULL; i++) {
		assert_int_equal(route_unescape(cases[i].in, out, sizeof(out)),
		    cases[i].out != NULL);
		if (cases[i].out != NULL)
			assert_string_equal(out, cases[i].out);
	}
}

static void
test_room(void **state)
{
	char	 out[6];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(route_unescape("abcde", out, 6), 1);
	assert_string_equal(out, "abcde");
	assert_int_equal(route_unescape("abcdef", out, 6), 0);
	assert_int_equal(route_unescape("%41%42%43%44%45", out, 6), 1);
	assert_string_equal(out, "ABCDE");
	assert_int_equal(route_unescape("%41%42%43%44%45%46", out, 6), 0);
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
