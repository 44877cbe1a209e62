#!/bin/sh
# bench/server.sh - cabundled serve against nginx, side by side.
#
# The same bundle bytes, on 127.0.0.1: cabundled from memory, nginx
# from a file (open_file_cache, sendfile, access_log off).  Each case
# runs A B A B with wrk, bounded in time, and prints every pair's
# requests/s ratio (cabundled / nginx) and their median.  Cases: a full
# GET and a 304 (If-None-Match), at 64 connections and at 1.  A third
# peer, bench/bare-mhd.c (libmicrohttpd with nothing around it), runs
# in each round too: cabundled / bare is what our code costs, bare /
# nginx what libmicrohttpd itself does.  Then a longer run watches
# cabundled's resident memory.
#
#   sh bench/server.sh            (after make; needs nginx and wrk)
#   SECONDS_PER_RUN=10 MEMORY_SECONDS=60 PAIRS=3 sh bench/server.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CABUNDLED=${CABUNDLED:-$ROOT/server/cabundled}
RUN=${SECONDS_PER_RUN:-5}
MEMRUN=${MEMORY_SECONDS:-60}
PAIRS=${PAIRS:-2}
PA=${PORT_CABUNDLED:-18471}
PB=${PORT_NGINX:-18472}
PC=${PORT_BARE:-18473}
for t in nginx wrk cc "$CABUNDLED"; do
	command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 2; }
done

W=$(mktemp -d /tmp/cabundle-bench.XXXXXX)
chmod 755 "$W"
cleanup() {
	[ -f "$W/cabundled.pid" ] && kill "$(cat "$W/cabundled.pid")" 2>/dev/null
	[ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null
	[ -f "$W/bare.pid" ] && kill "$(cat "$W/bare.pid")" 2>/dev/null
	sleep 0.5
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

# A mirror with one real bundle published.
BUNDLE=$ROOT/tests/fixtures/upstream/cacert-2026.07.22.pem
c() { "$CABUNDLED" -d "$W/data" "$@"; }
c init >/dev/null
c -o "vet.pinned_digest=$(sha256sum "$BUNDLE" | cut -d' ' -f1)" \
    import "$BUNDLE" >/dev/null
"$CABUNDLED" -d "$W/data" -o http.port=$PA -o http.access_log=no \
    -o upstream.fetch_interval=0 -o upstream.url=https://127.0.0.1:1/ \
    -o upstream.retries=0 serve >"$W/cabundled.log" 2>&1 &
echo $! >"$W/cabundled.pid"

# nginx serving the same bytes at the same path.
mkdir -p "$W/www/v1/org" "$W/nginx"
until curl -sf -o "$W/www/v1/org/cacert.pem" \
    "http://127.0.0.1:$PA/v1/org/cacert.pem"; do sleep 0.2; done
chmod -R a+rX "$W/www"
cat >"$W/nginx.conf" <<NGINX
worker_processes auto;
pid $W/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	open_file_cache max=100 inactive=60s;
	open_file_cache_valid 60s;
	client_body_temp_path $W/nginx;
	proxy_temp_path $W/nginx;
	fastcgi_temp_path $W/nginx;
	uwsgi_temp_path $W/nginx;
	scgi_temp_path $W/nginx;
	types { application/x-pem-file pem; }
	server {
		listen 127.0.0.1:$PB;
		root $W/www;
	}
}
NGINX
nginx -c "$W/nginx.conf" -p "$W/nginx"
until curl -sf -o /dev/null "http://127.0.0.1:$PB/v1/org/cacert.pem"; do
	sleep 0.2
done
URL_A=http://127.0.0.1:$PA/v1/org/cacert.pem
URL_B=http://127.0.0.1:$PB/v1/org/cacert.pem
URL_C=http://127.0.0.1:$PC/v1/org/cacert.pem
ETAG_A=$(curl -sI "$URL_A" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
ETAG_B=$(curl -sI "$URL_B" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
ETAG_C=$ETAG_A

# libmicrohttpd alone, serving the same bytes.
cc -O2 -o "$W/bare-mhd" "$ROOT/bench/bare-mhd.c" \
    $(pkg-config --cflags --libs libmicrohttpd)
"$W/bare-mhd" "$W/www/v1/org/cacert.pem" "$PC" "$ETAG_C" \
    >"$W/bare.log" 2>&1 &
echo $! >"$W/bare.pid"
until curl -sf -o /dev/null "$URL_C"; do sleep 0.2; done

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$W/cabundled.pid")/status"; }

# wrk URL CONNS [ETAG]: prints "requests/s errors"
bench() {
	threads=2
	[ "$2" -lt 2 ] && threads=1
	if [ -n "${3:-}" ]; then
		out=$(wrk -t$threads -c"$2" -d"${RUN}s" -H "If-None-Match: $3" "$1")
	else
		out=$(wrk -t$threads -c"$2" -d"${RUN}s" "$1")
	fi
	rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
	errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }')
	echo "$rps $errs"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "cabundled vs nginx $(nginx -v 2>&1 | sed 's/.*\///'), ${RUN}s runs, $PAIRS pairs, $(nproc) cores"
rss0=$(rss)
for case in "full 64" "304 64" "full 1" "304 1"; do
	set -- $case
	kind=$1 conns=$2
	: >"$W/ratios"
	: >"$W/ratios_bare"
	i=0
	while [ $i -lt "$PAIRS" ]; do
		if [ "$kind" = 304 ]; then
			a=$(bench "$URL_A" "$conns" "$ETAG_A")
			b=$(bench "$URL_B" "$conns" "$ETAG_B")
			c=$(bench "$URL_C" "$conns" "$ETAG_C")
		else
			a=$(bench "$URL_A" "$conns")
			b=$(bench "$URL_B" "$conns")
			c=$(bench "$URL_C" "$conns")
		fi
		set -- $a
		ra=$1 ea=$2
		set -- $b
		rb=$1 eb=$2
		set -- $c
		rc=$1 ec=$2
		ratio=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.2f", a / b }')
		rbare=$(awk -v a="$ra" -v c="$rc" 'BEGIN { printf "%.2f", a / c }')
		echo "$ratio" >>"$W/ratios"
		echo "$rbare" >>"$W/ratios_bare"
		printf '%-4s %3s conns  cabundled %9s  nginx %9s  bare %9s req/s  ratio %s (bare %s)%s\n' \
		    "$kind" "$conns" "$ra" "$rb" "$rc" "$ratio" "$rbare" \
		    "$( [ "$ea$eb$ec" = 000 ] || echo "  ERRORS: $ea/$eb/$ec")"
		i=$((i + 1))
	done
	echo "  median ratio ($kind, $conns conns): $(median <"$W/ratios") to nginx, $(median <"$W/ratios_bare") to bare libmicrohttpd"
done
rss1=$(rss)
RUN=$MEMRUN
bench "$URL_A" 64 >/dev/null
rss2=$(rss)
echo "cabundled RSS: ${rss0} kB at start, ${rss1} kB after the pairs, ${rss2} kB after ${MEMRUN}s more at 64 connections"
