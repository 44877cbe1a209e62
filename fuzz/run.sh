#!/bin/sh
# run.sh - run the harnesses (fuzz/README.md); the Makefile's fuzz and
# fuzz-replay targets call it from the top directory.
#
#	sh fuzz/run.sh replay NAME...
#	sh fuzz/run.sh fuzz SECONDS NAME...
#
# replay: fuzz/out/replay-NAME over fuzz/corpus/NAME and fuzz/regress/NAME;
# ok/FAIL per harness, the log of a failure.
#
# fuzz: fuzz/out/fuzz-NAME under libFuzzer for SECONDS each, FUZZ_JOBS
# (default 2) at a time, on a working corpus fuzz/out/corpus-NAME that
# starts from the seeds and the regression inputs.  One summary line per
# harness (executions, exec/s, coverage); a crash, leak, timeout, OOM or
# sanitizer report fails the run, with the log and the commands that
# keep the input as a regression test.
#
# Exit 0 when every harness passed.

export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
out=fuzz/out

# Longest input libFuzzer makes, per harness: room for the grammar,
# small enough to stay fast (a seed above it is cut when loaded).
max_len() {
	case $1 in
	pem)	echo 16384 ;;
	cert)	echo 16384 ;;
	sig)	echo 8192 ;;
	config)	echo 4096 ;;
	copts)	echo 4096 ;;
	meta)	echo 512 ;;
	certdata) echo 16384 ;;	# one certificate object is ~6 KB
	route)	echo 256 ;;
	*)	echo 4096 ;;
	esac
}

replay() {
	pass=0 failed=0
	for n in "$@"; do
		bin=$out/replay-$n log=$out/replay-$n.log
		if timeout 600 "$bin" "fuzz/corpus/$n" "fuzz/regress/$n" \
		    > "$log" 2>&1 &&
		    ! grep -q 'Sanitizer\|runtime error:' "$log"; then
			pass=$((pass + 1))
			echo "ok   replay-$n: $(tail -n 1 "$log" |
			    sed 's/^replay: //')"
		else
			failed=$((failed + 1))
			echo "FAIL replay-$n"
			cat "$log"
		fi
	done
	echo "fuzz-replay: $pass passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# One harness under libFuzzer; its verdict is its exit status.
fuzz_one() {
	n=$1 secs=$2
	dict=
	[ -f "fuzz/dict/$n.dict" ] && dict=-dict=fuzz/dict/$n.dict
	mkdir -p "$out/corpus-$n"
	"$out/fuzz-$n" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -timeout=10 -max_len="$(max_len "$n")" $dict \
	    -artifact_prefix="$out/$n-" -print_final_stats=1 \
	    "$out/corpus-$n" "fuzz/corpus/$n" "fuzz/regress/$n" \
	    > "$out/fuzz-$n.log" 2>&1 &&
	    ! grep -q 'Sanitizer\|runtime error:' "$out/fuzz-$n.log"
}

report() {
	n=$1 log=$out/fuzz-$1.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	echo "$2 fuzz-$n: ${runs:-?} runs, ${speed:-?} exec/s," \
	    "cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
}

fuzz() {
	secs=$1
	shift
	jobs=${FUZZ_JOBS:-2}
	failed=
	mkdir -p "$out"
	rm -f "$out"/*.status
	while [ $# -gt 0 ]; do
		# A batch of FUZZ_JOBS harnesses, all for the same time.
		batch=
		i=0
		while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
			batch="$batch $1"
			(fuzz_one "$1" "$secs"; echo $? > "$out/$1.status") &
			shift
			i=$((i + 1))
		done
		wait
		for n in $batch; do
			if [ "$(cat "$out/$n.status" 2>/dev/null)" = 0 ]; then
				report "$n" "ok  "
			else
				report "$n" FAIL
				failed="$failed $n"
			fi
		done
	done
	[ -z "$failed" ] && return 0
	for n in $failed; do
		echo "--- fuzz-$n: $out/fuzz-$n.log (last 60 lines)"
		tail -n 60 "$out/fuzz-$n.log"
		for a in "$out/$n"-*; do
			[ -f "$a" ] || continue
			echo "--- reproduce: $out/fuzz-$n $a"
			echo "    keep it (a name that says what it breaks):"
			echo "    cp $a fuzz/regress/$n/WHAT-IT-BREAKS"
		done
	done
	echo "fuzz: failed:$failed"
	return 1
}

case $1 in
replay)
	shift
	replay "$@"
	;;
fuzz)
	shift
	fuzz "$@"
	;;
*)
	echo "usage: run.sh replay NAME... | run.sh fuzz SECONDS NAME..." >&2
	exit 2
	;;
esac
