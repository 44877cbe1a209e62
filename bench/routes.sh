#!/bin/sh
# bench/routes.sh - requests/s of single routes, side by side.
#
# The mirror of bench/load.sh (mozilla and org at versions 1 to 3: two
# real upstream releases and a re-signing) served on 127.0.0.1; wrk
# runs each route in turn, ROUNDS times (A B C ..., A B C ...), and the
# median of each is printed with its ratio to the latest signature's
# median: every document is sent from memory, and a diff or a release
# page (made once, then cached) should be within 2x of a signature.
#
#   sh bench/routes.sh       (after make; needs wrk, curl)
#   ROUNDS=5 SECONDS_PER_RUN=3 CONNECTIONS=16 sh bench/routes.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CABUNDLED=${CABUNDLED:-$ROOT/server/cabundled}
ROUNDS=${ROUNDS:-5}
RUN=${SECONDS_PER_RUN:-3}
CONNS=${CONNECTIONS:-16}
PA=${PORT:-18491}
for t in wrk curl "$CABUNDLED"; do
	command -v "$t" >/dev/null || { echo "routes: needs $t" >&2; exit 2; }
done
W=$(mktemp -d /tmp/cabundle-routes.XXXXXX)
cleanup() {
	[ -f "$W/pid" ] && kill "$(cat "$W/pid")" 2>/dev/null
	sleep 0.3
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

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
    -o upstream.retries=0 serve >"$W/log" 2>&1 &
echo $! >"$W/pid"
A=http://127.0.0.1:$PA
until curl -sf -o /dev/null "$A/healthz"; do sleep 0.1; done

ROUTES="/v1/mozilla/cacert.pem.minisig /v1/mozilla/history
/v1/mozilla/diff/1/2 /p/mozilla/2 /v1/upstream /v1/audit /p/mozilla
/quarantine /audit /v1/mozilla/3/cacert.pem"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
i=0
while [ $i -lt "$ROUNDS" ]; do
	for r in $ROUTES; do
		curl -sf -o /dev/null "$A$r" || { echo "routes: $r failed" >&2; exit 1; }
		wrk -t2 -c"$CONNS" -d"${RUN}s" "$A$r" |
		    awk '/^Requests\/sec/ { print $2 }' >>"$W/$(echo "$r" | tr / _)"
	done
	i=$((i + 1))
done
base=$(median <"$W/$(echo /v1/mozilla/cacert.pem.minisig | tr / _)")
echo "routes: $CONNS connections, ${RUN}s runs, median of $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $ROUTES; do
	m=$(median <"$W/$(echo "$r" | tr / _)")
	printf '  %-34s %10.0f req/s  %5.2f of the latest signature\n' "$r" "$m" \
	    "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')"
done
