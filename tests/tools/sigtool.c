/*
 * sigtool.c - test helper: sign with common/sig.c so the integration
 * tests can hand our signatures to the real minisign, and print the
 * public key of a PKCS#8 Ed25519 key.  Not installed.
 *
 *	sigtool sign [-l] KEY.pem FILE "TRUSTED COMMENT" > FILE.minisig
 *	sigtool pubkey KEY.pem > key.pub
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sig.h"
#include "sign.h"

int
main(int argc, char *argv[])
{
	struct seckey	*sk;
	struct buf	 in, out;
	int		 legacy = 0;

	buf_init(&in, 64u << 20);
	buf_init(&out, 1u << 20);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0) {
		argc--, argv++;
		if (argc >= 2 && strcmp(argv[1], "-l") == 0) {
			legacy = 1;
			argc--, argv++;
		}
		if (argc != 4)
			goto usage;
		if ((sk = seckey_load(argv[1])) == NULL)
			return 1;
		if (!buf_readfile(&in, argv[2]) ||
		    !sig_sign(sk, in.data, in.len, argv[3], legacy, &out))
			return 1;
		seckey_free(sk);
	} else if (argc == 3 && strcmp(argv[1], "pubkey") == 0) {
		if ((sk = seckey_load(argv[2])) == NULL)
			return 1;
		if (!pubkey_write(&sk->pub, &out))
			return 1;
		seckey_free(sk);
	} else
		goto usage;
	if (fwrite(out.data, 1, out.len, stdout) != out.len)
		err(1, "stdout");
	buf_free(&in);
	buf_free(&out);
	return 0;
 usage:
	fprintf(stderr, "usage: sigtool sign [-l] KEY FILE COMMENT\n"
	    "       sigtool pubkey KEY\n");
	return 2;
}
