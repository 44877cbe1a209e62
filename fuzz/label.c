/*
 * label.c - what fuzz-pem and fuzz-cert check of a certificate label.
 */
#include <string.h>

#include "bundle.h"
#include "encode.h"
#include "fuzz.h"

/*
 * 1 when a label can be shown on a terminal and written back into a
 * bundle comment as it is (pem.c's rule for comment lines): UTF-8
 * without C0 controls but TAB, DEL or C1 controls.
 */
int
fuzz_label_ok(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n, len = strlen(s);

	for (i = 0; i < len; i += n) {
		if ((n = utf8_seqlen(u + i, len - i)) == 0)
			return 0;
		if ((n == 1 && ((u[i] < 0x20 && u[i] != '\t') ||
		    u[i] == 0x7f)) || (n == 2 && u[i] == 0xc2 &&
		    u[i + 1] < 0xa0))
			return 0;
	}
	return 1;
}

/*
 * 1 when a label read back from bundle_write's output is the label
 * written.  Only checked for labels without a backslash: cert.c shows
 * a byte that is not UTF-8 or a control in a name as the text \xNN,
 * which the reader takes for certifi's escape of a code point.
 */
int
fuzz_label_same(const char *written, const char *read)
{
	return strchr(written, '\\') != NULL || strcmp(written, read) == 0;
}

/*
 * 1 when bundle_write's output failed to read back for the one known
 * reason left: a name so long that its "# Issuer:" or "# Subject:"
 * line passes BUNDLE_MAX_LINE, or a label made from it (the longest
 * label written) BUNDLE_MAX_LABEL.  The server's publish refuses such a bundle
 * ("does not read back"); org add does not yet refuse the CA.
 */
int
fuzz_rewrite_too_long(const struct bundle_error *e, size_t longest_label)
{
	return e->code == BUNDLE_LINE_TOO_LONG || (e->code ==
	    BUNDLE_BAD_COMMENT && longest_label > BUNDLE_MAX_LABEL);
}
