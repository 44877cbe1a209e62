# Dockerfile - the cabundle mirror (cabundled) and client (cabundle),
# and nginx for the static export, for sites without network: both
# images are built from a local Debian 12 base image and the .deb files
# in debs/, with no network at build time (README "Containers for
# disconnected sites").
#
# On a connected machine (Debian 12, the same point release as BASE):
#   make deb image-debs        # debs/cabundle/, debs/nginx/
#   docker build --target mirror -t cabundle:local .
#   docker build --target static -t cabundle-static:local .
#   docker save cabundle:local cabundle-static:local | gzip > images.tar.gz
# On the disconnected side: docker load < images.tar.gz, then
# docker-compose up -d (docker-compose.yml names these images).
#
# BASE: any local image of Debian 12 slim (docker load'ed, or the
# site's own registry): --build-arg BASE=registry.site/debian:12-slim.
#
# tests/integration/test_packaging.py runs these steps (COPY and RUN,
# stage by stage) in a debootstrap minbase chroot without network, on
# debs/ as "make image-debs" fills it, then runs the programs there.

ARG BASE=debian:bookworm-slim

# ---- static: nginx serving the export tree, from debs/nginx/ --------
FROM ${BASE} AS static
# Nothing starts at install time (Debian's images say so already; a
# plain Debian root does not): nginx's postinst would start a daemon.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod 0755 /usr/sbin/policy-rc.d
COPY debs/nginx/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb \
 && rm -rf /tmp/debs
# Only the export's server block: no default site on port 80.
COPY contrib/nginx/cabundle-export.conf /etc/nginx/conf.d/cabundle-export.conf
RUN rm -f /etc/nginx/sites-enabled/default \
 && nginx -t
EXPOSE 8081
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

# ---- mirror: cabundled and cabundle from debs/cabundle/ -------------
FROM ${BASE} AS mirror
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d \
 && chmod 0755 /usr/sbin/policy-rc.d
# A fixed uid/gid, so the volume's owner is the same in every rebuild
# and on the host; made before the packages, whose sysusers entry then
# finds the user there.  /var/lib/cabundle is 0700 as "cabundled init"
# makes it; /srv/cabundle is where "cabundled export" writes the static
# tree (read by nginx as another user); /out receives the client
# example's bundle; /carry is where a carried file is mounted for
# "import".  A new named volume takes these owners and modes.
RUN groupadd --system --gid 10001 cabundle \
 && useradd --system --uid 10001 --gid cabundle \
	--home-dir /var/lib/cabundle --no-create-home \
	--shell /usr/sbin/nologin cabundle
# cabundled_*.deb, cabundle_*.deb ("make deb") and what they depend on
# beyond the base image; curl only for the health check on /healthz
# (docker-compose.yml), ca-certificates to fetch upstream over HTTPS.
COPY debs/cabundle/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb \
 && rm -rf /tmp/debs
RUN install -d -o cabundle -g cabundle -m 0700 /var/lib/cabundle \
 && install -d -o cabundle -g cabundle -m 0755 /srv/cabundle /out \
 && install -d -m 0755 /carry
VOLUME ["/var/lib/cabundle"]
WORKDIR /var/lib/cabundle
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK here: the same image runs the one-shot init, import,
# export and client containers, which listen on nothing.  The mirror
# service of docker-compose.yml has the check.
ENTRYPOINT ["cabundled"]
# The built-in listen address is 127.0.0.1: unreachable from outside
# the container.  SIGTERM stops "serve" cleanly (it is PID 1 here).
CMD ["-d", "/var/lib/cabundle", "-o", "http.listen=0.0.0.0", "serve"]
