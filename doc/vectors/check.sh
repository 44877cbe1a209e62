#!/bin/sh
# check.sh - stock minisign on the key list vectors (doc/SPEC.md 11.6):
# every signature verifies with minisign -H -Vm, the bad-* ones too:
# cabundle refuses those by its own rules (tests/unit/
# test-keylist-vectors.c), which minisign does not know.
set -u
cd "$(dirname "$0")"
rc=0
v() {
	if minisign -q -H -Vm "$1" -x "$2" -p "$3"; then
		echo "ok   $2"
	else
		echo "FAIL $2"; rc=1
	fi
}
v keys-1 keys-1.minisig root.pub
v keys-2 keys-2.minisig root.pub
v keys-2 keys-2.A6757F2319623903.minisig root2.pub
v keys-1 bad-comment.minisig root.pub
for b in bad-leading-zero bad-crlf bad-threshold bad-root-online; do
	v "$b" "$b.minisig" root.pub
done
v bad-new-root-only bad-new-root-only.minisig root2.pub
exit $rc
