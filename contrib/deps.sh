#!/bin/sh
# deps.sh PKG... - install the Debian packages that are missing (as
# root), or list them and fail (as anyone else).
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing"
	apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $missing
else
	echo "missing Debian packages:$missing"
	echo "as root: apt-get install$missing"
	exit 1
fi
