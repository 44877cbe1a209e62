#!/bin/sh
# Run each unit test binary; print ok/fail per binary and a summary line.
# Exit non-zero if any failed or ran longer than 300 s.
# A sanitizer report fails the binary even if cmocka counted it a pass.
export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87:print_stacktrace=1}"
pass=0 failed=0
for t in "$@"; do
	if timeout 300 "./$t" > "$t.log" 2>&1 &&
	    ! grep -q 'Sanitizer\|runtime error:' "$t.log"; then
		pass=$((pass + 1)); echo "ok   $t"
	else
		failed=$((failed + 1)); echo "FAIL $t"; cat "$t.log"
	fi
	grep -h '^\[  PASSED  \]\|^\[  FAILED  \]' "$t.log" | sed 's/^/     /'
done
echo "unit: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
