#!/bin/sh
# tidy.sh FILE [CFLAG...] - clang-tidy one file with the checks in
# contrib/lint/clang-tidy.yml (every finding an error).  The file's
# report is printed in one piece, so parallel runs (xargs -P) do not
# interleave, without clang's "N warnings generated." lines.
f=$1
shift
out=$(clang-tidy --quiet --config-file=contrib/lint/clang-tidy.yml \
    "$f" -- "$@" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v -e '^[0-9][0-9a-z ]* generated\.$' -e '^$'
[ $rc -eq 0 ] || echo "clang-tidy: $f: exit $rc"
exit $rc
