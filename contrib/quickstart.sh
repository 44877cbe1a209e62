#!/bin/sh
# quickstart.sh - what "make run" runs: a working mirror in ./data.
#
# Creates the data directory if there is none, fetches the Mozilla
# bundle from mkcert.org, and serves it.  Where mkcert.org cannot be
# reached (no internet), it says so and imports this machine's own
# Mozilla-derived bundle instead, recorded as such in the snapshot's
# source.  First contact is trust on first use: either way the first
# snapshot is quarantined and approved here, an approve row in the
# audit log as actor "make-run", so review it with
# "cabundled -d data report 1".
set -eu

CABUNDLED=${CABUNDLED:-./server/cabundled}
DATA=${DATA:-./data}
PORT=${PORT:-8080}
PYTHON=${PYTHON:-/usr/bin/python3}
SYSTEM_BUNDLE=/etc/ssl/certs/ca-certificates.crt
c() { "$CABUNDLED" -d "$DATA" "$@"; }

[ -f "$DATA/cabundle.db" ] || c init --actor make-run

set +e
c -o upstream.retries=0 fetch --actor make-run
rc=$?
set -e
if [ "$rc" -eq 3 ]; then
	echo "quickstart: mkcert.org cannot be reached; importing this" \
	    "machine's bundle $SYSTEM_BUNDLE instead"
	# Quarantined like any first contact, so the approve below is in
	# the audit log (a pinned digest would accept it with no decision).
	set +e
	c import --actor make-run "$SYSTEM_BUNDLE"
	rc=$?
	set -e
fi
if [ "$rc" -eq 5 ]; then
	id=$(c snapshots --json | $PYTHON -c 'import json, sys
print([s["id"] for s in json.load(sys.stdin)
       if s["status"] == "quarantined"][-1])')
	echo "quickstart: approving snapshot $id (first contact; review" \
	    "it with: $CABUNDLED -d $DATA report $id)"
	c approve --actor make-run --reason "make run: first contact" "$id"
	rc=0
fi
[ "$rc" -eq 0 ] || { echo "quickstart: no bundle (exit $rc)" >&2; exit "$rc"; }

pubkey=$(c key show --json | $PYTHON -c 'import json, sys
print([k["public_key"] for k in json.load(sys.stdin)
       if k["role"] == "active"][0])')
cat <<MSG

The mirror serves http://127.0.0.1:$PORT/ (profiles: mozilla, org,
org-only once organization CAs are added).  A client installs with:

  cabundle install --from http://127.0.0.1:$PORT --key $pubkey --profile org

and can check a download by hand with:

  curl -sO http://127.0.0.1:$PORT/v1/org/cacert.pem
  curl -sO http://127.0.0.1:$PORT/v1/org/cacert.pem.minisig
  minisign -H -Vm cacert.pem -P $pubkey

MSG
exec "$CABUNDLED" -d "$DATA" -o "http.port=$PORT" serve
