#!/bin/sh
# bench/scale.sh - history at scale: a mirror whose org profile holds
# 10,000 releases, against a small one.
#
# The database is built with the product's own commands only: the six
# real Mozilla bundles of tests/fixtures/upstream imported in turn
# (policy raised so real churn is accepted, as an operator who trusts
# Mozilla's cadence would: vet.max_added, vet.max_removed, vet.anchor),
# organization CAs added and removed with "org add|remove", and
# "publish --resign --profile org" for every release in between.  One
# release in 100 is a real change (3 imports, 2 org changes in 5), the
# other 99 re-sign the same body.  The state after 100 org releases is
# kept as the small mirror to compare with.  Both are cached under
# SCALE_WORK (a rebuild takes a few minutes; SCALE_REBUILD=1 forces
# one) and every measurement runs on a fresh copy, so the cache never
# changes.
#
# Printed, all measured in this run (nothing is carried over from the
# build but the databases): bytes per release (re-signs: the growth of
# the file over SCALE_MORE_RESIGNS more of them; all: the file over
# every release), "history --json" and "diff --json" (median of RUNS,
# the process included: wall time, and CPU time in brackets, by
# bench/scale/timeit.py) and the same over HTTP, the HTML history and
# release pages (and the bytes of the first HTML history page), the time
# to publish one more release (a re-sign, an org CA, an import), "serve"
# startup time, the time a reload takes (RELOADS re-signs made while
# serving; serve's own cabundle_site_load_seconds) and resident memory,
# "export
# --all-versions" into an empty directory (30,000 files, each synced:
# minutes) and again, and wrk requests/s of the latest signature and of
# one versioned body (the same bytes in both) served by the small and
# the 10,000-release mirror, in pairs (A B, B A, ...), with the median
# ratio.  Then a table with the issue's targets, PASS or MISS; the
# targets are on wall time, and a line says when only the CPU time
# meets one (a busy machine).
#
#   sh bench/scale.sh    (after make; needs wrk, sqlite3, openssl, curl, ss)
#   SCALE_REBUILD=1 RUNS=15 SECONDS_PER_RUN=10 PAIRS=6 sh bench/scale.sh
#   SCALE_WORK=DIR (default $TMPDIR/cabundle-scale), SCALE_RELEASES=10000
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CABUNDLED=${CABUNDLED:-$ROOT/server/cabundled}
PYTHON=${PYTHON:-/usr/bin/python3}
FIXTURES=${FIXTURES:-$ROOT/tests/fixtures/upstream}
WORK=${SCALE_WORK:-${TMPDIR:-/tmp}/cabundle-scale}
TOTAL=${SCALE_RELEASES:-10000}
SMALL=${SCALE_SMALL:-100}
EVERY=${SCALE_CHURN_EVERY:-100}
RUNS=${RUNS:-9}
RUN=${SECONDS_PER_RUN:-3}
PAIRS=${PAIRS:-6}
MORE=${SCALE_MORE_RESIGNS:-200}
for t in wrk sqlite3 openssl curl ss "$PYTHON" "$CABUNDLED"; do
	command -v "$t" >/dev/null || { echo "scale: needs $t" >&2; exit 2; }
done
[ "$SMALL" -lt "$TOTAL" ] || { echo "scale: SCALE_SMALL < SCALE_RELEASES" >&2; exit 2; }

# What the cached databases were built from; another recipe rebuilds.
RECIPE="recipe 1 total $TOTAL small $SMALL every $EVERY fixtures $(cat \
    "$FIXTURES"/cacert-*.pem | sha256sum | cut -c1-16)"

W=$(mktemp -d "${TMPDIR:-/tmp}/cabundle-scale-run.XXXXXX")
chmod 755 "$W"
cleanup() {
	set +e
	for p in "$W"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	sleep 0.3
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ns() { date +%s%N; }
ms_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fsize() { stat -c %s "$1"; }

# ---------------------------------------------------------------- build
# cabundled on a data directory, with the churn policy that lets the
# real bundles through (tests/integration/test_store.py does the same).
cb() {
	d=$1
	shift
	"$CABUNDLED" -d "$d" -o vet.max_added=1000 -o vet.max_removed=100% \
	    -o vet.anchor=none "$@"
}

# org's version in a command's output ("org: version N ..."), or fail.
org_version() {
	v=$(sed -n 's/^org: version \([0-9][0-9]*\) .*/\1/p' "$1")
	[ -n "$v" ] || { echo "scale: no org release in:" >&2; cat "$1" >&2; exit 1; }
	echo "$v"
}

build() {
	B=$WORK/build
	rm -rf "$B" "$WORK/small" "$WORK/big" "$WORK/stamp"
	mkdir -p "$B/ca"
	set -- "$FIXTURES"/cacert-*.pem
	nfix=$#
	# Twenty organization CAs to add and remove (ten years, P-256).
	i=1
	while [ $i -le 20 ]; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$B/ca/$i.key" -out "$B/ca/$i.pem" \
		    -subj "/O=Scale Example/CN=Scale Example Root CA $i" \
		    -days 3650 -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign \
		    2>/dev/null
		i=$((i + 1))
	done
	cb "$B/data" init --actor scale >/dev/null
	t0=$(now_ns)
	cb "$B/data" import --actor scale "$1" >"$B/out" || true
	v=$(org_version "$B/out")
	fix=1 event=0 adds=0 removed=0 resigns=0 imports=1 orgchanges=0
	tlap=$(now_ns)
	while [ "$v" -lt "$TOTAL" ]; do
		n=$((v + 1))
		if [ $((n % EVERY)) -eq 0 ]; then
			event=$((event + 1))
			case $((event % 5)) in
			1|3|0)	# the next real bundle, in a cycle
				fix=$((fix % nfix + 1))
				eval "f=\${$fix}"
				cb "$B/data" import --actor scale "$f" >"$B/out" ||
				    { echo "scale: import $f failed" >&2; cat "$B/out" >&2; exit 1; }
				imports=$((imports + 1)) ;;
			*)	# add an organization CA, or remove the oldest
				if [ $((adds - removed)) -ge 2 ] || [ $adds -ge 20 ]; then
					removed=$((removed + 1))
					fp=$(openssl x509 -in "$B/ca/$removed.pem" -noout \
					    -fingerprint -sha256 | sed 's/.*=//; s/://g' |
					    tr 'A-F' 'a-f')
					cb "$B/data" org remove --actor scale \
					    --reason "scale: rotated out" "$fp" >"$B/out"
				else
					adds=$((adds + 1))
					cb "$B/data" org add --actor scale \
					    --name "Scale Example Root CA $adds" \
					    --owner pki --tag infra "$B/ca/$adds.pem" >"$B/out"
				fi
				orgchanges=$((orgchanges + 1)) ;;
			esac
		else
			cb "$B/data" publish --actor scale --resign --profile org \
			    >"$B/out"
			resigns=$((resigns + 1))
		fi
		got=$(org_version "$B/out")
		[ "$got" -eq "$n" ] || { echo "scale: org version $got, want $n" >&2; exit 1; }
		v=$n
		if [ "$v" -eq "$SMALL" ]; then
			cp -a "$B/data" "$WORK/small"
		fi
		if [ $((v % 1000)) -eq 0 ]; then
			echo "  build: org version $v, $(fsize "$B/data/cabundle.db") bytes, last 1000 in $(ms_since "$tlap") ms" >&2
			tlap=$(now_ns)
		fi
	done
	BUILD_MS=$(ms_since "$t0")
	mv "$B/data" "$WORK/big"
	rm -rf "$B"
	echo "$RECIPE" >"$WORK/stamp"
	echo "built: $imports imports, $orgchanges org changes, $resigns re-signs in $(awk -v m="$BUILD_MS" 'BEGIN { printf "%.0f", m / 1000 }') s" >&2
	BUILT="built in this run: $imports imports, $orgchanges org add/remove, $resigns re-signs, $(awk -v m="$BUILD_MS" -v n="$TOTAL" 'BEGIN { printf "%.0f s (%.1f ms a command)", m / 1000, m / (n - 1) }')"
}

BUILT=
if [ "${SCALE_REBUILD:-0}" = 1 ] || [ ! -f "$WORK/stamp" ] ||
    [ "$(cat "$WORK/stamp")" != "$RECIPE" ]; then
	echo "building $TOTAL org releases in $WORK (cached for the next run)" >&2
	build
else
	BUILT="cached in $WORK (SCALE_REBUILD=1 to rebuild and time it)"
fi

# Fresh copies: whatever a measurement changes stays out of the cache
# (a newer cabundled migrates its copy on first open, as an upgrade).
cp -a "$WORK/small" "$W/small"
cp -a "$WORK/big" "$W/big"
c() { d=$1; shift; "$CABUNDLED" -d "$W/$d" "$@"; }
c small history org >/dev/null
c big history org >/dev/null
q() { sqlite3 "$W/$1/cabundle.db" "$2"; }
NS=$(q small "SELECT max(version) FROM release WHERE profile = 'org'")
NB=$(q big "SELECT max(version) FROM release WHERE profile = 'org'")
RS=$(q small "SELECT count(*) FROM release")
RB=$(q big "SELECT count(*) FROM release")
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# "WALL CPU": medians in ms of RUNS runs of a command (bench/scale/timeit.py)
timeit() { "$PYTHON" "$ROOT/bench/scale/timeit.py" "$RUNS" "$@"; }
# median time_total in ms of RUNS GETs
time_get() {
	: >"$W/t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		curl -sf -o /dev/null -w '%{time_total}\n' "$1" |
		    awk '{ printf "%.1f\n", $1 * 1000 }' >>"$W/t"
		i=$((i + 1))
	done
	median <"$W/t"
}

# ------------------------------------------------------ bytes per release
# Re-signs: MORE more re-signs of the org profile on a copy; the growth
# of the file (each command checkpoints and closes it) per release, and
# the mean wall time of one.
grow() {
	rm -rf "$W/grow"
	cp -a "$W/$1" "$W/grow"
	sync "$W/grow/cabundle.db"
	s0=$(fsize "$W/grow/cabundle.db")
	t=$(now_ns)
	i=0
	while [ $i -lt "$MORE" ]; do
		c grow publish --resign --profile org >/dev/null
		i=$((i + 1))
	done
	ms=$(ms_since "$t")
	s1=$(fsize "$W/grow/cabundle.db")
	rm -rf "$W/grow"
	echo "$(((s1 - s0) / MORE)) $(awk -v m="$ms" -v n="$MORE" 'BEGIN { printf "%.1f", m / n }')"
}
SIZE_S=$(fsize "$W/small/cabundle.db")
SIZE_B=$(fsize "$W/big/cabundle.db")
ALL_S=$((SIZE_S / RS))
ALL_B=$((SIZE_B / RB))
# Where the bytes are, from SQLite's dbstat (pages per table or index).
TABLES_B=$(q big "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6" |
    awk -F'|' '{ printf "%s%s %.1f MB", (NR > 1 ? ", " : ""), $1, $2 / 1048576 }')
set -- $(grow small)
RESIGN_S=$1 RESIGN_MS_S=$2
set -- $(grow big)
RESIGN_B=$1 RESIGN_MS_B=$2

# ------------------------------------------------------ history and diff
HIST_S=$(timeit "$CABUNDLED" -d "$W/small" history --json org)
HIST_B=$(timeit "$CABUNDLED" -d "$W/big" history --json org)
HTXT_S=$(timeit "$CABUNDLED" -d "$W/small" history org)
HTXT_B=$(timeit "$CABUNDLED" -d "$W/big" history org)
DFAR_S=$(timeit "$CABUNDLED" -d "$W/small" diff --json org 1 "$NS")
DFAR_B=$(timeit "$CABUNDLED" -d "$W/big" diff --json org 1 "$NB")
DADJ_S=$(timeit "$CABUNDLED" -d "$W/small" diff --json org $((NS - 1)) "$NS")
DADJ_B=$(timeit "$CABUNDLED" -d "$W/big" diff --json org $((NB - 1)) "$NB")
HIST_BYTES=$(c big history --json org | wc -c)

# ------------------------------------------------------ one more release
# Each on its own copy, so they do not add up: wall ms, 3 runs, median.
one_more() {
	name=$1
	shift
	: >"$W/t1"
	i=0
	while [ $i -lt 3 ]; do
		rm -rf "$W/one"
		cp -a "$W/$name" "$W/one"
		# Or the first commit's fsync writes the whole copy out.
		sync "$W/one/cabundle.db"
		t=$(now_ns)
		cb "$W/one" "$@" >"$W/one.out"
		ms_since "$t" >>"$W/t1"
		org_version "$W/one.out" >/dev/null
		i=$((i + 1))
	done
	rm -rf "$W/one"
	median <"$W/t1"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/new.key" -out "$W/new.pem" -subj "/CN=Scale One More CA" \
    -days 3650 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
# A real bundle other than the accepted one, for an import that churns.
other() {
	acc=$(q "$1" "SELECT body_sha256 FROM snapshot WHERE status = 'accepted' ORDER BY id DESC LIMIT 1")
	for f in "$FIXTURES"/cacert-*.pem; do
		[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$acc" ] || { echo "$f"; return; }
	done
}
PUB_S=$(one_more small publish --resign --profile org)
PUB_B=$(one_more big publish --resign --profile org)
ORG_S=$(one_more small org add --name "One More" "$W/new.pem")
ORG_B=$(one_more big org add --name "One More" "$W/new.pem")
IMP_S=$(one_more small import "$(other small)")
IMP_B=$(one_more big import "$(other big)")

# ------------------------------------------------------ export
# --all-versions into an empty directory, again, then latest only.
export_times() {
	rm -rf "$W/ex"
	t=$(now_ns)
	c "$1" export --all-versions "$W/ex" >/dev/null
	a=$(ms_since "$t")
	files=$(find "$W/ex" -type f | wc -l)
	b=$(timeit "$CABUNDLED" -d "$W/$1" export --all-versions "$W/ex")
	l=$(timeit "$CABUNDLED" -d "$W/$1" export "$W/ex")
	rm -rf "$W/ex"
	echo "$a $files $b $l"
}
set -- $(export_times small)
EXA_S=$1 EXB_S="$3 $4" EXL_S="$5 $6"
set -- $(export_times big)
EXA_B=$1 EXF_B=$2 EXB_B="$3 $4" EXL_B="$5 $6"

# ------------------------------------------------------ serve
serve() {
	"$CABUNDLED" -d "$W/$1" -o http.port="$2" -o http.access_log=no \
	    -o upstream.fetch_interval=0 -o upstream.url=https://127.0.0.1:1/ \
	    -o upstream.retries=0 serve >"$W/$1.log" 2>&1 &
	echo $! >"$W/$1.pid"
}
stop() {
	kill "$(cat "$W/$1.pid")"
	while kill -0 "$(cat "$W/$1.pid")" 2>/dev/null; do sleep 0.05; done
	rm -f "$W/$1.pid"
}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$W/$1.pid")/status"; }
# A port nobody listens on, from $1 up.
free_port() {
	p=$1
	while ss -Htln "sport = :$p" | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}
# Start; print the ms until the latest signature is served and until
# /healthz says the whole site is (bench/firstok.py polls a socket every
# ms, so a curl process's start is not in the figure).
start() {
	set -- "$1" $("$PYTHON" "$ROOT/bench/firstok.py" "$2" \
	    /v1/org/cacert.pem.minisig,/healthz "$W/$1.log" "$CABUNDLED" \
	    -d "$W/$1" -o http.port="$2" -o http.access_log=no \
	    -o upstream.fetch_interval=0 -o upstream.url=https://127.0.0.1:1/ \
	    -o upstream.retries=0 serve) ||
	    { echo "scale: serve $1 stopped:" >&2; cat "$W/$1.log" >&2; exit 1; }
	echo "$2" >"$W/$1.pid"
	echo "$3 $4"
}
PS=${PORT_SMALL:-$(free_port $((20000 + $$ % 20000)))}
PB=${PORT_BIG:-$(free_port $((PS + 1)))}
# Three starts each, the median; the last ones stay up.
: >"$W/up_s"; : >"$W/up_b"
for i in 1 2 3; do
	start small "$PS" >>"$W/up_s"
	start big "$PB" >>"$W/up_b"
	[ $i = 3 ] || { stop small; stop big; }
done
UP_S=$(cut -d' ' -f1 "$W/up_s" | median)
UP_B=$(cut -d' ' -f1 "$W/up_b" | median)
WHOLE_S=$(cut -d' ' -f2 "$W/up_s" | median)
WHOLE_B=$(cut -d' ' -f2 "$W/up_b" | median)
sleep 1
RSS_S=$(rss small)
RSS_B=$(rss big)
HS=http://127.0.0.1:$PS
HB=http://127.0.0.1:$PB
HHIST_S=$(time_get "$HS/v1/org/history")
HHIST_B=$(time_get "$HB/v1/org/history")
HDFAR_S=$(time_get "$HS/v1/org/diff/1/$NS")
HDFAR_B=$(time_get "$HB/v1/org/diff/1/$NB")
HDADJ_S=$(time_get "$HS/v1/org/diff/$((NS - 1))/$NS")
HDADJ_B=$(time_get "$HB/v1/org/diff/$((NB - 1))/$NB")
PAGE_S=$(time_get "$HS/p/org")
PAGE_B=$(time_get "$HB/p/org")
PREL_S=$(time_get "$HS/p/org/$((NS / 2))")
PREL_B=$(time_get "$HB/p/org/$((NB / 2))")
PAGEBYTES_S=$(curl -sf "$HS/p/org" | wc -c)
PAGEBYTES_B=$(curl -sf "$HB/p/org" | wc -c)

# Reloads: RELOADS re-signings made while serving, each waited for; the
# time site_load took, as serve reports it (cabundle_site_load_seconds
# in /metrics), median; then the resident memory.
metric() { curl -sf "$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'; }
reload_ms() {
	: >"$W/rl"
	i=0
	while [ $i -lt "${RELOADS:-5}" ]; do
		v0=$(metric "$1" 'cabundle_release_version{profile="org"}')
		c "$2" publish --resign --profile org >/dev/null
		until [ "$(metric "$1" 'cabundle_release_version{profile="org"}')" != "$v0" ]; do
			sleep 0.02
		done
		metric "$1" cabundle_site_load_seconds |
		    awk '{ printf "%.1f\n", $1 * 1000 }' >>"$W/rl"
		i=$((i + 1))
	done
	median <"$W/rl"
}
START_LOAD_S=$(metric "$HS" cabundle_site_load_seconds | awk '{ printf "%.1f", $1 * 1000 }')
START_LOAD_B=$(metric "$HB" cabundle_site_load_seconds | awk '{ printf "%.1f", $1 * 1000 }')
RELOAD_S=$(reload_ms "$HS" small)
RELOAD_B=$(reload_ms "$HB" big)
RSS3_S=$(rss small)
RSS3_B=$(rss big)

# CPU time of a server so far, in clock ticks (utime + stime).
ticks() { awk '{ print $14 + $15 }' "/proc/$(cat "$W/$1.pid")/stat"; }
# wrk URL NAME: prints "requests/s errors CPU-us-per-request" of serve NAME
bench() {
	c0=$(ticks "$2")
	out=$(wrk -t2 -c64 -d"${RUN}s" "$1")
	c1=$(ticks "$2")
	rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
	n=$(echo "$out" | awk '/requests in/ { print $1 }')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }')
	echo "$rps $errs $(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / hz / n }')"
}
HZ=$(getconf CLK_TCK)
echo "cabundled history at scale: org $NS vs $NB releases ($RS vs $RB in all profiles), $(nproc) cores, load $LOAD0"
echo "database: $BUILT"
echo "serving, ${RUN}s wrk runs at 64 connections, $PAIRS pairs (small 10k, 10k small, ...);"
echo "the server's CPU time per request beside each rate (less noisy on a busy machine):"
# The same version in both: its body and signature are the same bytes.
V=$((SMALL / 2))
for case in "latest-sig /v1/org/cacert.pem.minisig" "versioned-body /v1/org/$V/cacert.pem"; do
	set -- $case
	kind=$1 path=$2
	: >"$W/ratios"
	: >"$W/cratios"
	i=0
	while [ $i -lt "$PAIRS" ]; do
		# A B, then B A: drift in the machine's load cancels out.
		if [ $((i % 2)) = 0 ]; then
			set -- $(bench "$HS$path" small) $(bench "$HB$path" big)
			rs=$1 es=$2 us_s=$3 rb=$4 eb=$5 us_b=$6
		else
			set -- $(bench "$HB$path" big) $(bench "$HS$path" small)
			rb=$1 eb=$2 us_b=$3 rs=$4 es=$5 us_s=$6
		fi
		ratio=$(awk -v a="$rb" -v b="$rs" 'BEGIN { printf "%.2f", a / b }')
		cratio=$(awk -v a="$us_b" -v b="$us_s" 'BEGIN { printf "%.2f", a / b }')
		echo "$ratio" >>"$W/ratios"
		echo "$cratio" >>"$W/cratios"
		printf '  %-14s small %9s req/s %6s us  10k %9s req/s %6s us  ratio %s (CPU %s)%s\n' \
		    "$kind" "$rs" "$us_s" "$rb" "$us_b" "$ratio" "$cratio" \
		    "$( [ "$es$eb" = 00 ] || echo "  ERRORS: $es/$eb")"
		i=$((i + 1))
	done
	k=$(echo "$kind" | tr -d -)
	eval "WRK_$k=$(median <"$W/ratios") CPU_$k=$(median <"$W/cratios")"
done
RSS2_S=$(rss small)
RSS2_B=$(rss big)

# ------------------------------------------------------ table
# row NAME SMALL 10K UNIT TARGET VERDICT
row() { printf '%-34s %13s %13s %-3s %-8s %s\n' "$@"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if "$@"; then echo PASS; else echo MISS; fi; }
# The target is on the wall time; on a busy machine say when the CPU
# time alone would meet it.
verdict_wc() {
	if lt "$1" "$3"; then
		echo PASS
	elif lt "$2" "$3"; then
		echo "MISS (wall; its CPU time passes: machine busy?)"
	else
		echo MISS
	fi
}
wc_() { echo "$1 ($2)"; }
echo
echo "CLI times: median wall ms of $RUNS runs, the process included (CPU ms in brackets)"
row "" "small ($NS)" "10k ($NB)" "" "target" ""
row "bytes/release, re-sign (+$MORE)" "$RESIGN_S" "$RESIGN_B" B "<= 2048" "$(verdict le "$RESIGN_B" 2048)"
row "bytes/release, all (file/rows)" "$ALL_S" "$ALL_B" B "" info
row "history --json" "$(wc_ $HIST_S)" "$(wc_ $HIST_B)" ms "< 100" "$(verdict_wc $HIST_B 100)"
row "history (text)" "$(wc_ $HTXT_S)" "$(wc_ $HTXT_B)" ms "" info
row "GET /v1/org/history" "$HHIST_S" "$HHIST_B" ms "< 100" "$(verdict lt "$HHIST_B" 100) ($HIST_BYTES B as CLI JSON)"
row "diff --json 1 last" "$(wc_ $DFAR_S)" "$(wc_ $DFAR_B)" ms "< 20" "$(verdict_wc $DFAR_B 20)"
row "diff --json last-1 last" "$(wc_ $DADJ_S)" "$(wc_ $DADJ_B)" ms "< 20" "$(verdict_wc $DADJ_B 20)"
row "GET /v1/org/diff/1/last" "$HDFAR_S" "$HDFAR_B" ms "< 20" "$(verdict lt "$HDFAR_B" 20)"
row "GET /v1/org/diff/last-1/last" "$HDADJ_S" "$HDADJ_B" ms "< 20" "$(verdict lt "$HDADJ_B" 20)"
row "GET /p/org (HTML history)" "$PAGE_S" "$PAGE_B" ms "" info
row "GET /p/org bytes (first page)" "$PAGEBYTES_S" "$PAGEBYTES_B" B "< 102400" "$(verdict lt "$PAGEBYTES_B" 102400)"
row "GET /p/org/N (HTML release)" "$PREL_S" "$PREL_B" ms "" info
row "one more: publish --resign" "$PUB_S" "$PUB_B" ms "" "info (wall, median of 3)"
row "one more: org add (2 releases)" "$ORG_S" "$ORG_B" ms "" info
row "one more: import (2 releases)" "$IMP_S" "$IMP_B" ms "" info
row "re-sign, mean of $MORE in a row" "$RESIGN_MS_S" "$RESIGN_MS_B" ms "" info
row "serve: start to first signature" "$UP_S" "$UP_B" ms "< 100" "$(verdict lt "$UP_B" 100) (median of 3)"
row "serve: start to whole site" "$WHOLE_S" "$WHOLE_B" ms "" "info (/healthz 200; site_load $START_LOAD_S / $START_LOAD_B ms)"
row "serve: reload (site_load)" "$RELOAD_S" "$RELOAD_B" ms "< 100" "$(verdict lt "$RELOAD_B" 100) (median of ${RELOADS:-5} re-signs)"
row "serve: RSS started/reloads/wrk" "$RSS_S/$RSS3_S/$RSS2_S" "$RSS_B/$RSS3_B/$RSS2_B" kB "<= 65536" "$(verdict le "$(printf '%s\n' "$RSS_B" "$RSS3_B" "$RSS2_B" | sort -n | tail -1)" 65536)"
row "export --all-versions, first" "$EXA_S" "$EXA_B" ms "" "info ($EXF_B files at 10k)"
row "export --all-versions, again" "$(wc_ $EXB_S)" "$(wc_ $EXB_B)" ms "" info
row "export (latest only), again" "$(wc_ $EXL_S)" "$(wc_ $EXL_B)" ms "" info
row "serving latest sig, 10k/small" "" "$WRK_latestsig" x ">= 0.90" "$(verdict le 0.90 "$WRK_latestsig") (CPU per request: x $CPU_latestsig)"
row "serving versioned body, 10k/small" "" "$WRK_versionedbody" x ">= 0.90" "$(verdict le 0.90 "$WRK_versionedbody") (CPU per request: x $CPU_versionedbody)"
echo "10k database: $SIZE_B bytes; largest: $TABLES_B"
echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
