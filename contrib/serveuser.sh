#!/bin/sh
# serveuser.sh NAME - as root, create the unprivileged system user that
# "cabundled serve" runs its HTTP process and signer as ([serve] user)
# when it is missing; as anyone else, do nothing (serve does not
# switch users then).
[ "$(id -u)" = 0 ] || exit 0
id -u "$1" >/dev/null 2>&1 && exit 0
echo "creating system user $1 (cabundled serve's HTTP process and signer)"
exec useradd --system --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin "$1"
