# Dockerfile - the cabundle mirror (cabundled) and client (cabundle) on
# Debian 12, built from this tree the way the Makefile builds it.
#
#   docker build -t cabundle .
#   docker run -d -p 8080:8080 -v cabundle-data:/var/lib/cabundle cabundle
#
# (docker-compose.yml runs "cabundled init" first; by hand:
#   docker run --rm -v cabundle-data:/var/lib/cabundle cabundle init)
#
# tests/integration/test_packaging.py checks these steps against the
# Makefile: the packages below come from its DEB_PKGS, the make targets
# must exist there.

# ---- build: the compiler and the -dev packages of DEB_PKGS ----------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	gcc make pkg-config libc6-dev libmicrohttpd-dev libssl-dev \
	libcurl4-openssl-dev libsqlite3-dev libjansson-dev libinih-dev \
	libseccomp-dev libnss3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# "make all" as the Makefile's own build; "make install" puts what a
# system gets (binaries, manual pages) under /out/usr.
RUN make all \
 && make install DESTDIR=/out PREFIX=/usr

# ---- runtime: the shared libraries the binaries link, nothing to build
FROM debian:bookworm-slim
# curl is here only for the health check on /healthz (docker-compose.yml):
# libcurl4 is needed anyway, so the curl binary adds a few hundred KB
# and no new libraries.  ca-certificates: cabundled fetches the upstream
# over HTTPS and verifies it against the system store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	libmicrohttpd12 libssl3 libcurl4 libsqlite3-0 libjansson4 libinih1 \
	libseccomp2 libnss3 libnspr4 \
	ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so the volume's owner is the same in every rebuild
# and on the host.  /var/lib/cabundle is 0700 as "cabundled init" makes
# it; /srv/cabundle is where "cabundled export" writes the static tree
# (read by nginx as another user); /out receives the client example's
# bundle.  A new named volume takes these owners and modes.
RUN groupadd --system --gid 10001 cabundle \
 && useradd --system --uid 10001 --gid cabundle \
	--home-dir /var/lib/cabundle --no-create-home \
	--shell /usr/sbin/nologin cabundle \
 && install -d -o cabundle -g cabundle -m 0700 /var/lib/cabundle \
 && install -d -o cabundle -g cabundle -m 0755 /srv/cabundle /out
COPY --from=build /out/usr/bin/cabundled /out/usr/bin/cabundle /usr/bin/
VOLUME ["/var/lib/cabundle"]
WORKDIR /var/lib/cabundle
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK here: the same image runs the one-shot init, export and
# client containers, which listen on nothing.  The mirror service of
# docker-compose.yml has the check.
ENTRYPOINT ["cabundled"]
# The built-in listen address is 127.0.0.1: unreachable from outside
# the container.  SIGTERM stops "serve" cleanly (it is PID 1 here).
CMD ["-d", "/var/lib/cabundle", "-o", "http.listen=0.0.0.0", "serve"]
