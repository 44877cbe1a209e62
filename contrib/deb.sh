#!/bin/sh
# deb.sh VERSION DIR - build the Debian packages (debian/) into DIR:
# DIR/cabundled_VERSION_ARCH.deb and DIR/cabundle_VERSION_ARCH.deb,
# then judge them with lintian (a warning fails, as an error does).
#
# dpkg-buildpackage writes its results to the parent of the source
# tree and leaves debian/ build state beside the sources, so it runs on
# a copy in DIR/src (what git tracks, or the whole tree without build/
# and .git in an export), removed afterwards.  VERSION (the Makefile's)
# must be debian/changelog's: one version, said twice, checked here.
set -eu
version=$1 dir=$2

have=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$have" != "$version" ]; then
	echo "deb: debian/changelog is at $have, the Makefile's VERSION" \
	    "at $version: add an entry (dch -v $version)" >&2
	exit 1
fi

rm -rf "$dir"
mkdir -p "$dir/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
	    xargs -0 tar -cf - | tar -xf - -C "$dir/src"
else
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C "$dir/src"
fi

start=$(date +%s)
(cd "$dir/src" && dpkg-buildpackage -b -us -uc)
echo "deb: dpkg-buildpackage took $(( $(date +%s) - start ))s"
rm -rf "$dir/src"

changes=$(ls "$dir"/cabundle_"$version"_*.changes)
start=$(date +%s)
lintian --fail-on error,warning --tag-display-limit 0 "$changes"
echo "deb: lintian passed in $(( $(date +%s) - start ))s"
ls -l "$dir"/*.deb
