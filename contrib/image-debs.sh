#!/bin/sh
# image-debs.sh [-n] DIR ITEM... - fill DIR with the .deb files a
# Dockerfile stage installs with "dpkg -i DIR/*.deb" and no network:
# each ITEM that is a .deb file (copied), and every package that the
# ITEMs (files or package names) depend on (Depends, Pre-Depends; no
# Recommends) and a debian:bookworm-slim image lacks, downloaded by apt
# from this machine's sources (run "apt-get update" first).  -n: print
# the package=version list, download nothing.
#
# What the image lacks is found by apt itself: it resolves the ITEMs
# against a dpkg status holding only this machine's packages of
# Priority required, which are what a slim image (debootstrap minbase)
# holds.  So the machine must be Debian 12 at BASE's point release or
# newer; dpkg -i in the image then fails loudly if something is missing.
set -eu

list=
if [ "${1:-}" = -n ]; then
	list=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [-n] DIR ITEM..." >&2; exit 2; }
dir=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# The base: what apt installs for the packages of Priority required on
# an empty system (as debootstrap minbase does), each with its archive
# paragraph marked installed: a dpkg status of the slim image.
req=$(dpkg-query -W -f '${Package} ${Priority}\n' |
    awk '$2 == "required" { print $1 }')
# init-system-helpers: "usrmerge | usr-is-merged"; debootstrap takes the
# second, which needs no perl.
req="$req usr-is-merged"
apt-get -s -o APT::Install-Recommends=false \
    -o Dir::State::status=/dev/null install $req |
    awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2 "=" v }' \
    > "$tmp/base"
xargs apt-cache show < "$tmp/base" |
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
    { split($0, f, "\n") } !seen[f[1]]++ {
    sub(/\n/, "\nStatus: install ok installed\n"); print }' > "$tmp/status"

items=
for i in "$@"; do
	case $i in
	*.deb)
		[ -f "$i" ] || { echo "$0: $i: no such package file" \
		    "(make deb first)" >&2; exit 1; }
		# apt takes a local file by a path with a slash.
		case $i in */*) ;; *) i=./$i ;; esac
		items="$items $i";;
	*)	items="$items $i";;
	esac
done

# "Inst NAME (VERSION ...)": what apt would install on the slim image;
# the local files are copied, not downloaded.
apt-get -s -q -o Dir::State::status="$tmp/status" \
    -o APT::Install-Recommends=false install $items > "$tmp/plan"
local_names=
for i in "$@"; do
	case $i in *.deb) local_names="$local_names $(dpkg-deb -f "$i" \
	    Package)";; esac
done
awk -v skip="$local_names" 'BEGIN { n = split(skip, s, " ");
    for (i = 1; i <= n; i++) local[s[i]] = 1 }
    $1 == "Inst" && !($2 in local) {
    v = $3; sub(/^\(/, "", v); print $2 "=" v }' "$tmp/plan" |
    sort > "$tmp/pkgs"

if [ -n "$list" ]; then
	cat "$tmp/pkgs"
	exit 0
fi
mkdir -p "$dir"
rm -f "$dir"/*.deb
for i in "$@"; do
	case $i in *.deb) cp "$i" "$dir"/;; esac
done
if [ -s "$tmp/pkgs" ]; then
	# apt-get download writes into the current directory; as root it
	# would warn that _apt cannot write there.
	(cd "$dir" && xargs apt-get download -q -o APT::Sandbox::User=root \
	    < "$tmp/pkgs")
fi
echo "$dir: $(ls "$dir" | grep -c '\.deb$') packages"
