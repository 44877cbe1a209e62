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
	# Services in these packages (nginx) are not started: the tests
	# run their own.  policy-rc.d is Debian's way to say so.
	rcd=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d &&
		    chmod 0755 /usr/sbin/policy-rc.d && rcd=1
	fi
	apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $missing
	rc=$?
	[ -n "$rcd" ] && rm -f /usr/sbin/policy-rc.d
	exit $rc
else
	echo "missing Debian packages:$missing"
	echo "as root: apt-get install$missing"
	exit 1
fi
