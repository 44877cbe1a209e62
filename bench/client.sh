#!/bin/sh
# bench/client.sh - "cabundle install" against curl and the Python way,
# side by side, against one local cabundled serve.
#
# Each round runs, in turn, on a fresh throwaway certifi copy (the
# reset between runs is not timed):
#   install  cabundle install --python PY: asks PY for certifi.where(),
#            fetches and verifies signature and body, replaces cacert.pem
#            (fsync, rename, fsync), keeps cacert.pem-backup, writes the
#            state the same way
#   output   the same with --output CACERT: no interpreter asked
#   curl     curl -o CACERT URL: the floor (no verification, no fsync)
#   python   a requests script: download, rename cacert.pem to
#            cacert.pem-backup, write the new file
# and, with the release already installed and nothing changed (no
# reset, the state kept):
#   repeat   cabundle install --python PY again: the state recognises
#            the certifi file and PY, so PY is not started; fetches
#            and verifies the signature only
#   sigcurl  curl -o of the signature alone: the floor for that
# and prints each one's median wall time and the ratios the targets are
# about: install / curl (at most 1.5), python / install (at least 8)
# and repeat / sigcurl (at most 1.3, issue 21).
#
#   sh bench/client.sh            (after make; needs curl, python3-requests)
#   ROUNDS=31 sh bench/client.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CABUNDLED=${CABUNDLED:-$ROOT/server/cabundled}
CABUNDLE=${CABUNDLE:-$ROOT/client/cabundle}
ROUNDS=${ROUNDS:-21}
PORT=${PORT_CABUNDLED:-18481}
PY=/usr/bin/python3
for t in curl "$PY" "$CABUNDLED" "$CABUNDLE"; do
	command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 2; }
done
"$PY" -c 'import requests' 2>/dev/null ||
    { echo "bench: needs python3-requests" >&2; exit 2; }

W=$(mktemp -d /tmp/cabundle-bench.XXXXXX)
cleanup() {
	[ -f "$W/cabundled.pid" ] && kill "$(cat "$W/cabundled.pid")" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

# A mirror with one real bundle published as profile mozilla.
BUNDLE=$ROOT/tests/fixtures/upstream/cacert-2026.07.22.pem
OLD=$ROOT/tests/fixtures/upstream/cacert-2025.07.14.pem
c() { "$CABUNDLED" -d "$W/data" "$@"; }
c init >/dev/null
c -o "vet.pinned_digest=$(sha256sum "$BUNDLE" | cut -d' ' -f1)" \
    import "$BUNDLE" >/dev/null
"$CABUNDLED" -d "$W/data" -o http.port=$PORT -o http.access_log=no \
    -o upstream.fetch_interval=0 -o upstream.url=https://127.0.0.1:1/ \
    -o upstream.retries=0 serve >"$W/cabundled.log" 2>&1 &
echo $! >"$W/cabundled.pid"
MIRROR=http://127.0.0.1:$PORT
URL=$MIRROR/v1/mozilla/cacert.pem
until curl -sf -o "$W/pubkey" "$MIRROR/v1/pubkey"; do sleep 0.2; done
curl -sf -o "$W/served.pem" "$URL"

# A throwaway certifi holding an older bundle, and an interpreter that
# finds it first.  -S: no site-packages .pth file may edit the bundle
# (some machines have one); requests comes from Debian's dist-packages.
PKG=$W/lib/certifi
mkdir -p "$PKG"
echo 'from .core import where' >"$PKG/__init__.py"
cat >"$PKG/core.py" <<'PYEOF'
import os


def where():
    return os.path.join(os.path.dirname(__file__), 'cacert.pem')
PYEOF
CACERT=$PKG/cacert.pem
cat >"$W/python" <<SHEOF
#!/bin/sh
PYTHONPATH=$W/lib:/usr/lib/python3/dist-packages exec $PY -S "\$@"
SHEOF
chmod 755 "$W/python"
cat >"$W/pythonway.py" <<'PYEOF'
import os
import sys

import certifi
import requests

r = requests.get(sys.argv[1], timeout=30)
r.raise_for_status()
path = certifi.where()
os.rename(path, path + '-backup')
with open(path, 'wb') as f:
    f.write(r.content)
PYEOF
reset() {
	cp "$OLD" "$CACERT"
	rm -f "$CACERT-backup" "$W"/state.json*
}

# ms NAME CMD...: run CMD once on a fresh copy, append its wall time.
ms() {
	name=$1
	shift
	reset
	t0=$(date +%s%N)
	"$@" >/dev/null || { echo "bench: $name failed: $*" >&2; exit 1; }
	t1=$(date +%s%N)
	cmp -s "$CACERT" "$W/served.pem" ||
	    { echo "bench: $name did not install the bundle" >&2; exit 1; }
	echo $(((t1 - t0) / 1000)) >>"$W/t.$name"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

INSTALL="$CABUNDLE install --quiet --from $MIRROR --key $W/pubkey --profile mozilla --state $W/state.json"
# Warm the page cache and the server once.
ms warm $INSTALL --python "$W/python"
ms warm curl -sf -o "$CACERT" "$URL"
ms warm "$W/python" "$W/pythonway.py" "$URL"
i=0
while [ $i -lt "$ROUNDS" ]; do
	ms install $INSTALL --python "$W/python"
	ms output $INSTALL --output "$CACERT"
	ms curl curl -sf -o "$CACERT" "$URL"
	ms python "$W/python" "$W/pythonway.py" "$URL"
	i=$((i + 1))
done

# Nothing new: one install, then the repeats, timed without a reset.
reset
$INSTALL --python "$W/python" >/dev/null
: >"$W/pyruns"
cat >"$W/python" <<SHEOF
#!/bin/sh
echo run >>$W/pyruns
PYTHONPATH=$W/lib:/usr/lib/python3/dist-packages exec $PY -S "\$@"
SHEOF
$INSTALL --python "$W/python" >/dev/null	# records the new wrapper
: >"$W/pyruns"
# again NAME CMD...: CMD's wall time, nothing reset.
again() {
	name=$1
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null || { echo "bench: $name failed: $*" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$W/t.$name"
}
i=0
while [ $i -lt "$ROUNDS" ]; do
	again repeat $INSTALL --python "$W/python"
	again sigcurl curl -sf -o "$W/sig" "$URL.minisig"
	i=$((i + 1))
done
[ -s "$W/pyruns" ] &&
    { echo "bench: the repeat install started the interpreter" >&2; exit 1; }
cmp -s "$CACERT" "$W/served.pem" ||
    { echo "bench: the repeat install lost the bundle" >&2; exit 1; }

mi=$(median "$W/t.install")
mo=$(median "$W/t.output")
mc=$(median "$W/t.curl")
mp=$(median "$W/t.python")
mr=$(median "$W/t.repeat")
ms=$(median "$W/t.sigcurl")
echo "cabundle install vs curl vs the Python way: $ROUNDS rounds, $(nproc) cores, $(wc -c <"$W/served.pem") byte bundle, medians"
printf '  %-40s %8.1f ms\n' "cabundle install --python (certifi)" \
    "$(echo "$mi" | awk '{ print $1 / 1000 }')"
printf '  %-40s %8.1f ms\n' "cabundle install --output (same file)" \
    "$(echo "$mo" | awk '{ print $1 / 1000 }')"
printf '  %-40s %8.1f ms\n' "curl -o" "$(echo "$mc" | awk '{ print $1 / 1000 }')"
printf '  %-40s %8.1f ms\n' "python + requests (rename, write)" \
    "$(echo "$mp" | awk '{ print $1 / 1000 }')"
printf '  %-40s %8.1f ms\n' "install --python again, nothing new" \
    "$(echo "$mr" | awk '{ print $1 / 1000 }')"
printf '  %-40s %8.1f ms\n' "curl -o of the signature" \
    "$(echo "$ms" | awk '{ print $1 / 1000 }')"
awk -v i="$mi" -v o="$mo" -v c="$mc" -v p="$mp" -v r="$mr" -v s="$ms" 'BEGIN {
	printf "  install --python / curl   %5.2f   (target <= 1.5)\n", i / c
	printf "  install --output / curl   %5.2f   (target <= 1.5)\n", o / c
	printf "  python / install --python %5.2f   (target >= 8)\n", p / i
	printf "  python / install --output %5.2f   (target >= 8)\n", p / o
	printf "  repeat / curl of the sig  %5.2f   (target <= 1.3)\n", r / s
}'
