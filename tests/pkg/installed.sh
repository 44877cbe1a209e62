#!/bin/sh
# installed.sh CABUNDLED_DEB CABUNDLE_DEB - the packages as a Debian 12
# administrator gets them ("make test-pkg", .ci/run; as root).
#
# In a throwaway minbase chroot (build/pkg-root): apt installs the
# packages' Depends, dpkg -i installs both, and then, with no systemd
# running, the commands of the installed units run as their users:
# cabundled.service's init, an import of a fixture bundle, an approve,
# serve on a free port, cabundled-export.service's export; cabundle
# install (as root) from serve and from the export must write the signed
# release.  The manual pages open with man, systemd-analyze verifies
# the installed units and rates cabundled.service's sandbox, nothing is
# enabled or running after the install.  dpkg --purge must then leave
# the file system as it was, but for what README.md says purge keeps:
# /var/lib/cabundle (the database and signing key) and the users.
#
# The chroot is made once by debootstrap (about 1.5 min) and kept as
# /var/cache/cabundle-ci/bookworm-minbase.tar.gz (delete it to make a
# fresh one); the .debs apt downloads are kept in
# /var/cache/cabundle-ci/archives.  DEBIAN_MIRROR overrides
# http://deb.debian.org/debian.
set -eu

[ "$#" -eq 2 ] || { echo "usage: installed.sh CABUNDLED_DEB CABUNDLE_DEB" >&2;
    exit 2; }
if [ "$(id -u)" != 0 ]; then
	echo "installed.sh: run as root (chroot, mounts, dpkg)" >&2
	exit 2
fi
# A private mount namespace: /proc and /dev mounted into the chroot
# vanish with this process, whatever way it ends.
if [ -z "${INSTALLED_SH_NS:-}" ]; then
	INSTALLED_SH_NS=1 exec unshare --mount --propagation private \
	    sh "$0" "$@"
fi

here=$(cd "$(dirname "$0")/../.." && pwd)
server_deb=$(realpath "$1")
client_deb=$(realpath "$2")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=/var/cache/cabundle-ci
tarball=$cache/bookworm-minbase.tar.gz
root=$here/build/pkg-root
fixture=$here/tests/fixtures/upstream/cacert-2026.07.22.pem
serve_pid=

fail() { echo "installed.sh: FAIL: $*" >&2; exit 1; }
t0=$(date +%s)
phase_start=$t0
phase() {
	now=$(date +%s)
	echo "installed.sh: $1 ($(( now - phase_start ))s)"
	phase_start=$now
}
in_root() { chroot "$root" "$@"; }
# The packaged user, as the units' User=cabundle (no systemd here).
as_cabundle() {
	chroot "$root" setpriv --reuid=cabundle --regid=cabundle \
	    --init-groups --reset-env "$@"
}
# The file system as the packages could change it: /proc, /dev, /tmp
# and apt's and man's caches and logs left out.
files() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev \
	    -o -path ./tmp -o -path ./run -o -path ./var/cache \
	    -o -path ./var/log -o -path ./var/lib/apt \) -prune \
	    -o -print) | LC_ALL=C sort
}
cleanup() {
	if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || :; fi
	umount -l "$root/var/cache/apt/archives" "$root/dev" "$root/proc" \
	    2>/dev/null || :
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT

# ---- the chroot -------------------------------------------------------
rm -rf --one-file-system "$root"
mkdir -p "$cache/archives" "$root"
if [ ! -s "$tarball" ]; then
	debootstrap --variant=minbase bookworm "$root" "$mirror" ||
	    fail "debootstrap"
	tar -C "$root" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	phase "debootstrap, cached as $tarball"
else
	tar -C "$root" -xzf "$tarball"
	phase "chroot unpacked from $tarball"
fi
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
# What the packages depend on (first alternatives), as apt would pick
# them; man-db to read the manual pages as an administrator does.
deps=$(for d in "$server_deb" "$client_deb"; do
	dpkg-deb -f "$d" Depends; echo ,; done |
    tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | sort -u)
in_root apt-get -q update >/dev/null
# shellcheck disable=SC2086 # one package name a word
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -q \
    --no-install-recommends $deps man-db >/dev/null || fail "apt-get install"
phase "Depends installed with apt: $(printf '%s' "$deps" | tr '\n' ' ')"
files > "$here/build/pkg-files-before"

# ---- install ------------------------------------------------------------
mkdir -p "$root/tmp/debs"
cp "$server_deb" "$client_deb" "$root/tmp/debs/"
in_root dpkg -i /tmp/debs/"$(basename "$server_deb")" \
    /tmp/debs/"$(basename "$client_deb")" || fail "dpkg -i"
for p in /usr/bin/cabundled /usr/bin/cabundle \
    /lib/systemd/system/cabundled.service \
    /lib/systemd/system/cabundled-export.service \
    /lib/systemd/system/cabundled-export.timer \
    /lib/systemd/system/cabundle-update.service \
    /lib/systemd/system/cabundle-update.timer \
    /usr/lib/sysusers.d/cabundle.conf \
    /usr/share/doc/cabundled/examples/cabundled.conf.example \
    /usr/share/doc/cabundle/examples/cabundle.conf.example; do
	[ -f "$root$p" ] || fail "$p is not installed"
done
in_root getent passwd cabundle | grep -q ':/var/lib/cabundle:' ||
    fail "no user cabundle with home /var/lib/cabundle"
[ "$(in_root stat -c '%a %U %G' /var/lib/cabundle)" = "700 cabundle cabundle" ] ||
    fail "/var/lib/cabundle: $(in_root stat -c '%a %U %G' /var/lib/cabundle)"
[ "$(in_root stat -c '%a %U %G' /srv/cabundle)" = "755 cabundle cabundle" ] ||
    fail "/srv/cabundle: $(in_root stat -c '%a %U %G' /srv/cabundle)"
[ -d "$root/etc/cabundle" ] || fail "no /etc/cabundle"
[ -d "$root/etc/ssl/cabundle" ] || fail "no /etc/ssl/cabundle"
# Installed, not enabled: no link to a unit of ours anywhere in /etc.
enabled=$(find "$root/etc/systemd" -name 'cabundle*' 2>/dev/null || :)
[ -z "$enabled" ] || fail "enabled on install: $enabled"
phase "dpkg -i: files, user, directories in place, nothing enabled"

# ---- run the installed programs as the units do -------------------------
unit_cmd() {	# unit_cmd UNIT KEY: the unit's KEY= command line
	sed -n "s/^$2=//p" "$root/lib/systemd/system/$1"
}
init=$(unit_cmd cabundled.service ExecStartPre)
# shellcheck disable=SC2086 # a command line, split as systemd does
as_cabundle $init >/dev/null || fail "$init"
# shellcheck disable=SC2086
as_cabundle $init | grep -q '(kept)' || fail "a second init did not keep the key"
cp "$fixture" "$root/tmp/bundle.pem"
chmod 0644 "$root/tmp/bundle.pem"
rc=0
as_cabundle /usr/bin/cabundled -d /var/lib/cabundle import \
    --actor installed-test /tmp/bundle.pem >/dev/null || rc=$?
[ "$rc" -eq 5 ] || fail "import: exit $rc, want 5 (quarantined)"
as_cabundle /usr/bin/cabundled -d /var/lib/cabundle approve \
    --actor installed-test --reason "package test" 1 >/dev/null ||
    fail "approve"
key=$(as_cabundle /usr/bin/cabundled -d /var/lib/cabundle key show --json |
    python3 -c 'import json, sys
print([k["public_key"] for k in json.load(sys.stdin)
       if k["role"] == "active"][0])')
phase "init (twice), import, approve as cabundle"

port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(unit_cmd cabundled.service ExecStart)
# The unit's command, on a free port, with an upstream that answers
# nothing (no fetch leaves this machine).  chroot and setpriv exec: the
# background job is serve itself, which SIGTERM stops cleanly.
# shellcheck disable=SC2086
chroot "$root" setpriv --reuid=cabundle --regid=cabundle --init-groups \
    --reset-env ${start% serve} -o "http.port=$port" -o upstream.retries=0 \
    -o upstream.url=https://127.0.0.1:1/generate/ serve \
    > "$here/build/pkg-serve.log" 2>&1 &
serve_pid=$!
url=http://127.0.0.1:$port
i=0
until [ "$(curl -s "$url/healthz" 2>/dev/null)" = ok ]; do
	kill -0 "$serve_pid" 2>/dev/null ||
	    fail "serve exited: $(cat "$here/build/pkg-serve.log")"
	i=$((i + 1)); [ "$i" -lt 200 ] || fail "serve did not come up"
	sleep 0.1
done
in_root /usr/bin/cabundle install --from "$url" --key "$key" \
    --profile mozilla --output /tmp/x.pem || fail "cabundle install"
curl -sf -o "$here/build/pkg-release.pem" "$url/v1/mozilla/cacert.pem"
curl -sf -o "$here/build/pkg-release.pem.minisig" \
    "$url/v1/mozilla/cacert.pem.minisig"
minisign -q -V -P "$key" -m "$here/build/pkg-release.pem" ||
    fail "the served release does not verify with the mirror's key"
cmp "$root/tmp/x.pem" "$here/build/pkg-release.pem" ||
    fail "/tmp/x.pem is not the signed release"
kill "$serve_pid"
wait "$serve_pid" || fail "serve did not stop cleanly: $(cat "$here/build/pkg-serve.log")"
serve_pid=
phase "serve as cabundle; cabundle install wrote the signed release"

export_cmd=$(unit_cmd cabundled-export.service ExecStart)
# shellcheck disable=SC2086
as_cabundle $export_cmd >/dev/null || fail "$export_cmd"
in_root /usr/bin/cabundle install --from file:///srv/cabundle --key "$key" \
    --profile mozilla --output /tmp/y.pem || fail "install from the export"
cmp "$root/tmp/y.pem" "$here/build/pkg-release.pem" ||
    fail "the export's release differs"
phase "cabundled-export.service's export; cabundle install from it"

for page in cabundled cabundle; do
	in_root man -P cat "$page" 2>/dev/null | grep -q "^NAME" ||
	    fail "man $page"
done
units="/lib/systemd/system/cabundled.service
/lib/systemd/system/cabundled-export.service
/lib/systemd/system/cabundled-export.timer
/lib/systemd/system/cabundle-update.service
/lib/systemd/system/cabundle-update.timer"
# shellcheck disable=SC2086
out=$(in_root systemd-analyze verify --man=yes $units 2>&1) ||
    fail "systemd-analyze verify: $out"
! echo "$out" | grep -q cabundle || fail "systemd-analyze verify: $out"
for u in cabundled.service cabundled-export.service; do
	level=$(in_root systemd-analyze security --offline=yes \
	    "/lib/systemd/system/$u" | sed -n \
	    's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	echo "installed.sh: $u exposure $level"
	awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 1.1) }' ||
	    fail "$u exposure $level, above 1.1"
done
# No process of the chroot left running (serve was stopped above).
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/root" 2>/dev/null)" != "$root" ] ||
	    fail "still running in the chroot: $(tr '\0' ' ' < "$p/cmdline")"
done
phase "man pages, systemd-analyze verify and security"

# ---- purge ----------------------------------------------------------------
in_root dpkg --purge cabundled cabundle 2> "$here/build/pkg-purge.log" ||
    fail "dpkg --purge: $(cat "$here/build/pkg-purge.log")"
grep -q 'kept /var/lib/cabundle' "$here/build/pkg-purge.log" ||
    fail "purge did not say it kept /var/lib/cabundle"
[ -f "$root/var/lib/cabundle/cabundle.db" ] ||
    fail "purge removed the mirror's database"
files > "$here/build/pkg-files-after"
# The data directory is kept (README.md "Removing the packages"); the
# users stay in /etc/passwd and /etc/group, files that were there.
added=$(LC_ALL=C comm -13 "$here/build/pkg-files-before" \
    "$here/build/pkg-files-after" | grep -v '^\./var/lib/cabundle\(/\|$\)' || :)
left=$(LC_ALL=C comm -23 "$here/build/pkg-files-before" \
    "$here/build/pkg-files-after")
[ -z "$added" ] || fail "purge left: $added"
[ -z "$left" ] || fail "purge removed what was there before: $left"
phase "dpkg --purge: nothing left but /var/lib/cabundle (kept)"

# An administrator who retires the key removes the directory; a mirror
# installed and purged without ever running leaves none.
rm -rf "$root/var/lib/cabundle"
in_root dpkg -i /tmp/debs/"$(basename "$server_deb")" >/dev/null ||
    fail "dpkg -i again"
in_root dpkg --purge cabundled >/dev/null 2>&1 || fail "dpkg --purge again"
[ ! -e "$root/var/lib/cabundle" ] || fail "purge kept an empty /var/lib/cabundle"
files > "$here/build/pkg-files-after"
LC_ALL=C cmp -s "$here/build/pkg-files-before" "$here/build/pkg-files-after" ||
    fail "install and purge changed: $(LC_ALL=C comm -3 \
	"$here/build/pkg-files-before" "$here/build/pkg-files-after")"
phase "unused: dpkg -i, dpkg --purge leaves the file system as it was"
echo "installed.sh: passed in $(( $(date +%s) - t0 ))s"
