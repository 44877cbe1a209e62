#!/bin/sh
# Run each unit test binary; print ok/fail per binary and a summary line.
# Exit non-zero if any failed.
pass=0 failed=0
for t in "$@"; do
	if "./$t" > "$t.log" 2>&1; then
		pass=$((pass + 1)); echo "ok   $t"
	else
		failed=$((failed + 1)); echo "FAIL $t"; cat "$t.log"
	fi
	grep -h '^\[  PASSED  \]\|^\[  FAILED  \]' "$t.log" | sed 's/^/     /'
done
echo "unit: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
