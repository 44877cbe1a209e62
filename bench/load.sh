#!/bin/sh
# bench/load.sh - cabundled serve under a long mixed load.
#
# A mirror with two real upstream releases and a re-signing (profiles
# mozilla and org, three versions each) is served on 127.0.0.1.  wrk
# opens CONNECTIONS connections for SECONDS seconds and walks a mix of
# latest signatures, latest and versioned bodies, 304s (If-None-Match
# with the current ETag), history, diff and JSON documents, and the
# HTML pages.  Before it, a warm-up run of WARMUP seconds; cabundled's
# resident memory is sampled twice a second throughout (see below).
#
# Then, unless PEER=0, nginx serves a "cabundled export" of the same
# mirror (contrib/nginx/cabundle-export.conf) and the same mix minus
# the HTML pages (an export has none) runs against both, side by side,
# PEER_SECONDS each: the ratio is requests/s cabundled / nginx.
#
# Prints "load: ..." lines; exits 1 when any request failed (connect,
# read, write, timeout, status >= 400) or the resident memory grew by
# MAX_GROWTH percent (10) or more, 2 when a tool is missing.
#
#   sh bench/load.sh                 (after make; needs wrk, nginx, curl)
#   LOAD_SECONDS=60 CONNECTIONS=256 WARMUP=10 PEER=1 PEER_SECONDS=10 sh bench/load.sh
#
# PORT chooses cabundled's port; KEEP=DIR leaves the work directory.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CABUNDLED=${CABUNDLED:-$ROOT/server/cabundled}
DUR=${LOAD_SECONDS:-60}
CONNS=${CONNECTIONS:-256}
WARM=${WARMUP:-10}
PEER=${PEER:-1}
PEERRUN=${PEER_SECONDS:-10}
MAXGROWTH=${MAX_GROWTH:-10}
PA=${PORT:-18481}
PB=${PORT_NGINX:-18482}
for t in wrk curl "$CABUNDLED"; do
	command -v "$t" >/dev/null || { echo "load: needs $t" >&2; exit 2; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ "$PEER" != 0 ] && [ ! -x "$NGINX" ]; then
	echo "load: needs nginx (or PEER=0)" >&2
	exit 2
fi

W=${KEEP:-$(mktemp -d /tmp/cabundle-load.XXXXXX)}
mkdir -p "$W"
chmod 755 "$W"
cleanup() {
	if [ -f "$W/cabundled.pid" ]; then
		pid=$(cat "$W/cabundled.pid")
		kill "$pid" 2>/dev/null
		# Wait for it: its last words (a sanitizer's report) matter.
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
	fi
	[ -f "$W/nginx/nginx.pid" ] && kill "$(cat "$W/nginx/nginx.pid")" 2>/dev/null
	sleep 0.5
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM

# The mirror: 2026.07.22, then 2025.07.14 (real churn, pinned so it is
# accepted), then a re-signing: versions 1 to 3 of mozilla and org.
c() { "$CABUNDLED" -d "$W/data" "$@"; }
c init >/dev/null
for b in cacert-2026.07.22.pem cacert-2025.07.14.pem; do
	f=$ROOT/tests/fixtures/upstream/$b
	c -o "vet.pinned_digest=$(sha256sum "$f" | cut -d' ' -f1)" \
	    import "$f" >/dev/null
done
c publish --resign >/dev/null
"$CABUNDLED" -d "$W/data" -o http.port="$PA" -o http.access_log=no \
    -o upstream.fetch_interval=0 -o upstream.url=https://127.0.0.1:1/ \
    -o upstream.retries=0 serve >"$W/cabundled.log" 2>&1 &
echo $! >"$W/cabundled.pid"
A=http://127.0.0.1:$PA
until curl -sf -o /dev/null "$A/healthz"; do
	kill -0 "$(cat "$W/cabundled.pid")" 2>/dev/null ||
	    { cat "$W/cabundled.log" >&2; exit 2; }
	sleep 0.2
done

etag() { curl -sfI "$1" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p'; }
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# mix FILE BASE PAGES: write the Lua table for the server at BASE.
mix() {
	{
		echo "mix = {"
		for p in /v1/mozilla/cacert.pem.minisig /v1/org/cacert.pem.minisig \
		    /v1/mozilla/cacert.pem /v1/mozilla/1/cacert.pem \
		    /v1/mozilla/3/cacert.pem /v1/org/2/cacert.pem \
		    /v1/org/3/cacert.pem.minisig /v1/mozilla/history \
		    /v1/mozilla/diff/1/2 /v1/profiles /v1/pubkey; do
			echo "  { \"$p\", \"\" },"
		done
		# 304s: half the mix revalidates what it already has.
		for p in /v1/mozilla/cacert.pem.minisig /v1/org/cacert.pem.minisig \
		    /v1/mozilla/cacert.pem /v1/mozilla/3/cacert.pem \
		    /v1/org/2/cacert.pem /v1/mozilla/history \
		    /v1/profiles /v1/mozilla/1/cacert.pem \
		    /v1/org/cacert.pem /v1/mozilla/diff/1/2; do
			e=$(etag "$2$p")
			[ -n "$e" ] || { echo "load: no ETag on $2$p" >&2; exit 2; }
			echo "  { \"$p\", \"$(esc "$e")\" },"
		done
		if [ "$3" = pages ]; then
			for p in / /p/mozilla /p/mozilla/3 /p/org /audit \
			    /quarantine; do
				echo "  { \"$p\", \"\" },"
			done
		fi
		echo "}"
		cat "$ROOT/bench/load.lua"
	} >"$1"
}

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$W/cabundled.pid")/status"; }
# sample FILE: cabundled's resident KB every half second, until killed.
sample() {
	while :; do rss >>"$1" 2>/dev/null || exit 0; sleep 0.5; done
}
peak() { sort -n "$1" | tail -1; }

# run BASE SCRIPT SECONDS CONNS: prints wrk's "wrk: ..." line plus
# requests/s.
run() {
	threads=2
	[ "$4" -lt 2 ] && threads=1
	out=$(wrk -t$threads -c"$4" -d"${3}s" --timeout 10s -s "$2" "$1")
	# Let the server see the last run's connections close before the
	# next run opens its own (the per-address limit counts both).
	sleep 2
	line=$(echo "$out" | grep '^wrk: ')
	rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
	echo "$line rps $rps"
}
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
failed() {
	echo $(( $(field "$1" connect) + $(field "$1" read) + $(field "$1" write) + \
	    $(field "$1" status) + $(field "$1" timeout) ))
}

mix "$W/mix-a.lua" "$A" pages
echo "load: cabundled on $A, $CONNS connections, warm-up ${WARM}s, run ${DUR}s, $(nproc) cores"
# Resident memory under load moves with the allocator by a few percent
# from one moment to the next, and the working set takes some 30 s of
# this load to settle (allocator arenas, per-connection pools), so
# compare peaks: the peak of the warm-up and the first third of the run
# with the peak of the last third.  A leak raises the second; noise and
# the settling do not.
bad=0
sample "$W/rss-warm" &
sp=$!
r=$(run "$A" "$W/mix-a.lua" "$WARM" "$CONNS")
kill $sp
echo "load: warm-up $r"
[ "$(failed "$r")" -eq 0 ] || bad=1
sample "$W/rss-run" &
sp=$!
r=$(run "$A" "$W/mix-a.lua" "$DUR" "$CONNS")
kill $sp
echo "load: run $r"
third=$(( $(wc -l <"$W/rss-run") / 3 + 1 ))
rss0=$( (cat "$W/rss-warm"; head -n "$third" "$W/rss-run") | sort -n | tail -1)
rss1=$(tail -n "$third" "$W/rss-run" | sort -n | tail -1)
n=$(failed "$r")
growth=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo "load: errors $n rss_kb_early_peak $rss0 rss_kb_end_peak $rss1 growth_pct $growth"
[ "$n" -eq 0 ] || bad=1
awk -v g="$growth" -v m="$MAXGROWTH" 'BEGIN { exit !(g >= m) }' && bad=1

if [ "$PEER" != 0 ]; then
	mkdir -p "$W/www" "$W/nginx/logs"
	c export --all-versions "$W/www" >/dev/null
	chmod -R a+rX "$W/www"
	sed -e "s|listen 8081;|listen 127.0.0.1:$PB;|" \
	    -e "s|root /srv/cabundle;|root $W/www;|" \
	    "$ROOT/contrib/nginx/cabundle-export.conf" >"$W/nginx/server.conf"
	user=
	[ "$(id -u)" -eq 0 ] && user="user root root;"
	cat >"$W/nginx/nginx.conf" <<NGINX
$user
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	open_file_cache max=1000 inactive=60s;
	client_body_temp_path $W/nginx;
	proxy_temp_path $W/nginx;
	fastcgi_temp_path $W/nginx;
	uwsgi_temp_path $W/nginx;
	scgi_temp_path $W/nginx;
	include $W/nginx/server.conf;
}
NGINX
	"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf"
	B=http://127.0.0.1:$PB
	until curl -sf -o /dev/null "$B/v1/pubkey"; do sleep 0.2; done
	mix "$W/mix-a2.lua" "$A" nopages
	mix "$W/mix-b.lua" "$B" nopages
	for round in 1 2; do
		ra=$(run "$A" "$W/mix-a2.lua" "$PEERRUN" "$CONNS")
		rb=$(run "$B" "$W/mix-b.lua" "$PEERRUN" "$CONNS")
		[ "$(failed "$ra")" -eq 0 ] && [ "$(failed "$rb")" -eq 0 ] || bad=1
		echo "load: peer round $round cabundled $(field "$ra" rps)/s nginx $(field "$rb" rps)/s ratio $(awk -v a="$(field "$ra" rps)" -v b="$(field "$rb" rps)" 'BEGIN { printf "%.2f", a / b }')"
	done
fi
[ "$bad" -eq 0 ] && echo "load: ok" || echo "load: FAILED"
exit "$bad"
