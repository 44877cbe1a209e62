/*
 * test-text.c - what may become a bundle label, a reason or an audit
 * row (text_valid), and how pasted fingerprints are read (fp_decode).
 */
#include <string.h>

#include "encode.h"
#include "testutil.h"

#define T(s)	text_valid((s), sizeof(s) - 1)

static void
test_text_valid(void **state)
{
	(void)state;
	assert_true(T("Acme Root CA 2026"));
	assert_true(T("T\xc3\x9c" "BITAK Kamu SM SSL K\xc3\xb6k"));	/* UTF-8 */
	assert_true(T("\xc2\xa0no-break space"));	/* U+00A0 is text */
	assert_true(T("emoji \xf0\x9f\x94\x92"));
	assert_true(T(""));
	assert_false(T("line\nbreak"));		/* would end the comment */
	assert_false(T("tab\there"));
	assert_false(T("cr\rhere"));
	assert_false(T("nul\0here"));
	assert_false(T("del\x7fhere"));
	assert_false(T("c1 \xc2\x85 NEL"));	/* U+0085 */
	assert_false(T("c1 \xc2\x9b CSI"));
	assert_false(T("latin1 \xe9"));		/* not UTF-8 */
	assert_false(T("overlong \xc0\xaf"));
	assert_false(T("surrogate \xed\xa0\x80"));
	assert_false(T("cut \xe2\x82"));
}

static void
test_fp_decode(void **state)
{
	const char	*hex = "96bcec06264976f37460779acf28c5a7"
	    "cfe8a3c0aae11a8ffcee05c0bddf08c6";
	const char	*colons = "96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:"
	    "C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6";
	unsigned char	 a[32], b[32];

	(void)state;
	assert_true(fp_decode(hex, a));
	assert_int_equal(a[0], 0x96);
	assert_int_equal(a[31], 0xc6);
	assert_true(fp_decode(colons, b));
	assert_memory_equal(a, b, 32);
	assert_false(fp_decode("", a));
	assert_false(fp_decode("96bc", a));
	assert_false(fp_decode("96bcec06264976f37460779acf28c5a7"
	    "cfe8a3c0aae11a8ffcee05c0bddf08c6ff", a));	/* 33 bytes */
	assert_false(fp_decode("96bcec06264976f37460779acf28c5a7"
	    "cfe8a3c0aae11a8ffcee05c0bddf08cg", a));	/* not hex */
	assert_false(fp_decode("96bcec06264976f37460779acf28c5a7"
	    "cfe8a3c0aae11a8ffcee05c0bddf08c ", a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_fp_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
