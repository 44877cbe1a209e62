# cabundle - GNU make, pkg-config, no generated configure step.
#
#   make            build server/cabundled and client/cabundle
#   make test       install missing Debian packages, build, run unit and
#                   integration tests (SANITIZE=1: under ASan + UBSan;
#                   TEST_DATE=YYYY-MM-DD: the programs under test run as
#                   if it were that date, through libfaketime)
#   make run        install missing packages, build, run the main job
#   make deps       install (as root) or list the Debian packages needed
#   make test-deps  the same, with what only the tests need (DEB_TEST_PKGS)
#   make lint       layering, cppcheck and clang-tidy; any finding fails
#                   (contrib/lint)
#   make fuzz       build the libFuzzer harnesses with clang and run each
#                   for FUZZ_SECONDS (60); fuzz/README.md
#   make install    PREFIX=/usr/local DESTDIR= MANDIR=$(PREFIX)/share/man:
#                   programs, manual pages, systemd units, sysusers.d,
#                   example configurations; "make uninstall" removes them
#   make deb        build/deb/cabundled_VERSION_amd64.deb and
#                   build/deb/cabundle_VERSION_amd64.deb (debian/)
#   make test-pkg   install both into a Debian 12 chroot, run them there,
#                   purge them (tests/pkg/installed.sh)
#   make image-debs the .deb files the Dockerfile installs without
#                   network, into debs/ (after make deb; apt downloads)

# The version both programs print (--version): this line is its only
# home; CPPFLAGS hands it to the C as CABUNDLE_VERSION.
VERSION	= 0.23.0

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
# The units name the programs as /usr/bin/... (what the packages ship);
# "make install" writes $(BINDIR) in their place.  systemd reads units
# and sysusers.d from /usr/local/lib too; the packages pass
# UNITDIR=/lib/systemd/system (Debian 12's place for them).
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR	?= $(PREFIX)/share/doc
PYTHON	?= /usr/bin/python3
PKG_CONFIG ?= pkg-config
# Who serve's HTTP process and signer become when serve starts as root
# ([serve] user, cabundled(8)); "make run" and "make test-deps" create it.
SERVE_USER ?= _cabundled

CFLAGS	?= -O2 -g
WARNFLAGS = -Wall -Wextra -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	   -Wformat=2 -Wvla -Wsign-compare
CFLAGS	+= -std=c11 $(WARNFLAGS) -fstack-protector-strong
CPPFLAGS += -D_DEFAULT_SOURCE -D_FORTIFY_SOURCE=2 -Icommon -MMD -MP
VERSION_DEF = -DCABUNDLE_VERSION='"$(VERSION)"'
CPPFLAGS += $(VERSION_DEF)
LDFLAGS	+= -Wl,--as-needed
ifeq ($(SANITIZE),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
CPPFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(CPPFLAGS))
LDFLAGS	+= -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
CFLAGS	+= -Werror
endif

# What each binary links.  The client: libcurl to fetch, OpenSSL to
# verify (and libssl for doctor's handshakes), jansson for --json and
# its state file, inih for /etc/cabundle.conf, nss (libnss3) to build
# --nssdb databases in-process instead of running certutil as root.
SERVER_PKGS = libmicrohttpd libcurl openssl sqlite3 jansson inih libseccomp
CLIENT_PKGS = libcurl openssl jansson inih nss
TEST_PKGS   = cmocka openssl

# Debian 12 packages for building, testing and running.
DEB_PKGS = gcc make pkg-config libc6-dev libmicrohttpd-dev libssl-dev \
	   libcurl4-openssl-dev libsqlite3-dev libjansson-dev libinih-dev \
	   libseccomp-dev \
	   libcmocka-dev \
	   libnss3-dev \
	   python3 python3-pytest python3-requests minisign openssl sqlite3 \
	   ca-certificates
# Only "make test" needs these: the pages are checked in a real browser,
# an export is served by a real nginx, docker-compose (with python3-yaml)
# validates docker-compose.yml, systemd brings systemd-analyze for the
# units, mandoc lints the manual pages, curl runs the compose health
# check, wrk puts bench/load.sh's load on serve, valgrind runs the
# client, cppcheck and clang-tidy are "make lint", pytest-xdist runs
# the integration tests two at a time, faketime gives the programs under
# test the clock of TEST_DATE, prometheus-node-exporter (its textfile
# collector) and prometheus (promtool check metrics) read --metrics,
# libnss3-tools (certutil, vfychain) reads and judges the --nssdb
# databases as NSS programs do.
DEB_TEST_PKGS = chromium nginx docker-compose python3-yaml systemd curl \
		mandoc wrk valgrind cppcheck clang-tidy python3-pytest-xdist \
		faketime prometheus-node-exporter prometheus libnss3-tools
# --java's checkers: keytool (the JRE) lists the truststore, and java
# runs tests/integration/java/Handshake.java as source (the JDK's
# compiler) for a TLS handshake that trusts only that store.
DEB_TEST_PKGS += openjdk-17-jre-headless openjdk-17-jdk-headless
# cacert.p11-kit's checker (test_constraints.py): p11-kit's trust tool
# and trust module read the served file and report its dates.
DEB_TEST_PKGS += p11-kit p11-kit-modules
# "make deb": Debian's packaging tools (debhelper brings dpkg-dev);
# lintian judges the packages; debootstrap makes the chroot "make
# test-pkg" installs them into, and the Debian 12 minbase root in which
# test_packaging.py runs the Dockerfile's steps (what
# debian:bookworm-slim is made of).
DEB_BUILD_PKGS = debhelper fakeroot lintian debootstrap
DEB_TEST_PKGS += $(DEB_BUILD_PKGS)
# "make fuzz" (and CI, through test-deps): clang with libFuzzer and the
# sanitizer runtimes.
DEB_FUZZ_PKGS = clang libclang-rt-14-dev

COMMON_SRCS = common/buf.c common/log.c common/encode.c common/num.c \
	      common/cert.c common/certshape.c common/pem.c common/pemwrite.c \
	      common/sig.c common/meta.c common/timefmt.c common/verify.c \
	      common/url.c common/atomic.c common/keylist.c common/certdata.c \
	      common/certdata_obj.c
# Signing: the server and the test tools link it, the client never does
# (a verify-only program, as signify's VERIFYONLY build).
SIGN_SRCS   = common/sign.c
SERVER_SRCS = server/main.c server/usage.c server/cmd_inspect.c server/output.c server/config.c \
	      server/db.c server/datadir.c server/audit.c server/vet.c \
	      server/store.c \
	      server/fetch.c server/cmd_init.c server/cmd_fetch.c \
	      server/cmd_snapshot.c server/cmd_audit.c server/cmd_serve.c \
	      server/schedproc.c \
	      server/keys.c server/keyset.c server/cmd_key.c \
	      server/keylists.c server/keyrelay.c server/mirrorget.c server/cmd_root.c \
	      server/release.c \
	      server/rebuild.c server/profile.c server/org.c \
	      server/cmd_org.c \
	      server/cmd_release.c server/site.c server/http.c \
	      server/html.c server/html_audit.c server/html_page.c \
	      server/tls.c server/relay.c server/carry.c \
	      server/export.c server/package.c server/pages.c server/cmd_export.c server/route.c \
	      server/ingest.c server/upstream.c server/query.c \
	      server/render_json.c server/privmsg.c server/signer.c \
	      server/constraints.c server/p11kit.c \
	      server/sandbox.c server/vettrust.c \
	      server/revet.c
CLIENT_SRCS = client/main.c client/cmd_verify.c \
	      client/get.c client/state.c client/file.c client/target.c \
	      client/opts.c client/cmd_install.c client/cmd_status.c \
	      client/capath.c client/system.c client/python.c \
	      client/doctor.c client/doctor_tls.c client/safepath.c \
	      client/keywalk.c client/hook.c client/metrics.c client/p12.c \
	      client/java.c client/nssdb.c client/child.c \
	      client/constraints.c client/advice.c
UNIT_SRCS   = $(wildcard tests/unit/test-*.c)
TOOL_SRCS   = tests/tools/sigtool.c
# One harness per untrusted input: fuzz/fuzz-NAME.c.
FUZZ_NAMES  = pem cert sig meta config copts route privmsg keylist certdata
FUZZ_SRCS   = $(FUZZ_NAMES:%=fuzz/fuzz-%.c) fuzz/quiet.c fuzz/label.c \
	      fuzz/replay.c

# Objects, dependency files and the generated migrations.c live in
# $(B), never beside the sources; the programs stay where the tests and
# the documentation name them.
B	    = build
obj	    = $(patsubst %.c,$(B)/%.o,$(1))
COMMON_OBJS = $(call obj,$(COMMON_SRCS))
SIGN_OBJS   = $(call obj,$(SIGN_SRCS))
SERVER_OBJS = $(call obj,$(SERVER_SRCS)) $(B)/server/migrations.o
CLIENT_OBJS = $(call obj,$(CLIENT_SRCS))
UNIT_BINS   = $(UNIT_SRCS:.c=)
TOOL_BINS   = $(TOOL_SRCS:.c=)
FUZZ_REPLAY = $(FUZZ_NAMES:%=fuzz/out/replay-%)
ALL_OBJS    = $(COMMON_OBJS) $(SIGN_OBJS) $(SERVER_OBJS) $(CLIENT_OBJS) \
	      $(call obj,$(UNIT_SRCS) $(TOOL_SRCS) tests/unit/testutil.c \
	      $(FUZZ_SRCS))

# Rebuild everything when the flags change (plain <-> SANITIZE=1).
FLAGS_STAMP := $(B)/.flags
FLAGS_NOW   := $(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS)
ifeq ($(filter deps test-deps fuzz-deps clean lint deb test-pkg,$(MAKECMDGOALS)),)
$(shell mkdir -p $(B); echo '$(FLAGS_NOW)' | cmp -s - $(FLAGS_STAMP) || \
	echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))
endif

pkgcflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkglibs   = $(shell $(PKG_CONFIG) --libs $(1))

.PHONY: all deps test-deps test unit integration lint run install clean \
	fuzz-deps fuzz fuzz-build fuzz-replay uninstall deb test-pkg image-debs

all: server/cabundled client/cabundle

$(ALL_OBJS): $(FLAGS_STAMP)

$(B)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcflags,openssl) $(CFLAGS) -c -o $@ $<
$(B)/server/%.o: server/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcflags,$(SERVER_PKGS)) $(CFLAGS) -c -o $@ $<
$(B)/client/%.o: client/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcflags,$(CLIENT_PKGS)) $(CFLAGS) -c -o $@ $<
$(B)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I. -Itests/unit -Iserver \
	    $(call pkgcflags,$(TEST_PKGS) jansson) $(CFLAGS) \
	    -c -o $@ $<
$(B)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(call pkgcflags,$(FUZZ_PKGS)) $(CFLAGS) -c -o $@ $<

# The schema travels inside the binary: migrations.c is generated.
SCHEMA_SQL = $(sort $(wildcard schema/[0-9][0-9][0-9]-*.sql))
$(B)/server/migrations.c: $(SCHEMA_SQL) schema/embed.sh
	@mkdir -p $(@D)
	sh schema/embed.sh $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@
$(B)/server/migrations.o: $(B)/server/migrations.c
	$(CC) $(CPPFLAGS) -Iserver $(CFLAGS) -c -o $@ $<

server/cabundled: $(SERVER_OBJS) $(SIGN_OBJS) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(SERVER_PKGS))
client/cabundle: $(CLIENT_OBJS) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(CLIENT_PKGS))
tests/unit/test-%: $(B)/tests/unit/test-%.o $(B)/tests/unit/testutil.o \
	    $(SIGN_OBJS) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(TEST_PKGS))
# Server units: /search's query decoding (route.c), alone.
tests/unit/test-route-unescape: $(B)/tests/unit/test-route-unescape.o \
	    $(B)/tests/unit/testutil.o $(B)/server/route.o $(SIGN_OBJS) \
	    $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(TEST_PKGS))
# Server units: the pure vetting function, linked with what it needs.
tests/unit/test-vet: $(B)/tests/unit/test-vet.o $(B)/tests/unit/testutil.o \
	    $(B)/server/vet.o $(SIGN_OBJS) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(TEST_PKGS) jansson)
tests/tools/%: $(B)/tests/tools/%.o $(SIGN_OBJS) $(COMMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,openssl)

deps:
	@sh contrib/deps.sh $(DEB_PKGS)

test-deps:
	@sh contrib/deps.sh $(DEB_PKGS) $(DEB_TEST_PKGS) $(DEB_FUZZ_PKGS)
	@sh contrib/serveuser.sh $(SERVE_USER)

test: test-deps
	$(MAKE) all $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_REPLAY)
	$(MAKE) unit fuzz-replay integration

unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

# TEST_JOBS pytest workers (pytest-xdist): most tests wait on servers
# and subprocesses, so two share two cores well.  The load test runs
# alone afterwards (LOAD=0 leaves it out): it wants the machine to
# itself.  TEST_DATE=YYYY-MM-DD runs the binaries under test, and the
# openssl and curl beside them, as if it were that date (libfaketime,
# tests/integration/conftest.py); pytest itself keeps the real clock.
TEST_JOBS ?= 2
TEST_DATE ?=
LOAD	?= 1
integration: all $(TOOL_BINS)
	TEST_DATE=$(TEST_DATE) $(PYTHON) -m pytest -q -p no:cacheprovider \
	    -n $(TEST_JOBS) --ignore=tests/integration/test_load.py \
	    tests/integration
	if [ "$(LOAD)" != 0 ]; then TEST_DATE=$(TEST_DATE) $(PYTHON) -m pytest \
	    -q -p no:cacheprovider tests/integration/test_load.py; fi

# Static analysis: the server's layering from its objects
# (contrib/lint/layers.py: no command called from below, no cycle
# between modules but those in contrib/lint/layers.allow), cppcheck,
# then clang-tidy (contrib/lint/clang-tidy.yml) on every source but
# the generated migrations.c; any finding fails.
# Neither installs anything: "make test-deps" brings both.  cppcheck
# reads no system headers (fast) except for certshape.c, whose OpenSSL
# ASN1 templates are macros it must expand.  clang-tidy runs LINT_JOBS
# files at a time, largest first.
LINT_JOBS  ?= 2
LINT_SRCS   = $(filter-out server/migrations.c,$(wildcard common/*.c \
	      server/*.c client/*.c tests/tools/*.c fuzz/*.c))
CPPCHECK_FLAGS = -q --std=c11 --enable=warning,portability,performance \
	      --inline-suppr --error-exitcode=1 -D_DEFAULT_SOURCE -Icommon \
	      -Iserver --library=contrib/lint/cppcheck.cfg $(VERSION_DEF)
SYS_INCLUDE = -I/usr/include -I/usr/include/$(shell $(CC) -print-multiarch)
# nss: client/nssdb.c's headers (the server links none of it).
TIDY_FLAGS  = -std=c11 -D_DEFAULT_SOURCE -Icommon -Iserver $(VERSION_DEF) \
	      $(call pkgcflags,$(SERVER_PKGS) nss)

lint:
	$(MAKE) $(SERVER_OBJS)
	$(PYTHON) contrib/lint/layers.py -a contrib/lint/layers.allow \
	    $(SERVER_OBJS)
	cppcheck $(CPPCHECK_FLAGS) -j$(LINT_JOBS) -Itests/unit \
	    $(filter-out common/certshape.c,$(LINT_SRCS)) \
	    $(wildcard tests/unit/*.c)
	cppcheck $(CPPCHECK_FLAGS) $(SYS_INCLUDE) \
	    --suppress=missingIncludeSystem common/certshape.c
	ls -S $(LINT_SRCS) | xargs -P$(LINT_JOBS) -I{} \
	    sh contrib/lint/tidy.sh {} $(TIDY_FLAGS)
	@echo "lint: layers, cppcheck and clang-tidy found nothing"

# A working mirror in ./data: fetch (or, offline, import the system's
# bundle), then serve on 127.0.0.1:8080 (contrib/quickstart.sh).
run: deps
	@sh contrib/serveuser.sh $(SERVE_USER)
	$(MAKE) all
	PYTHON=$(PYTHON) sh contrib/quickstart.sh

# What "make install" puts in place, by package (debian/*.install
# splits debian/tmp the same way): the server's units, sysusers.d file
# and examples, the client's.  "make uninstall" removes the same list.
SERVER_UNITS = cabundled.service cabundled-export.service \
	       cabundled-export.timer
CLIENT_UNITS = cabundle-update.service cabundle-update.timer
SERVER_EXAMPLES = cabundled.conf.example contrib/nginx/cabundle-export.conf
CLIENT_EXAMPLES = contrib/systemd/cabundle.conf.example
INSTALLED = $(BINDIR)/cabundled $(BINDIR)/cabundle \
	    $(MANDIR)/man8/cabundled.8 $(MANDIR)/man1/cabundle.1 \
	    $(SERVER_UNITS:%=$(UNITDIR)/%) $(CLIENT_UNITS:%=$(UNITDIR)/%) \
	    $(SYSUSERSDIR)/cabundle.conf \
	    $(addprefix $(DOCDIR)/cabundled/examples/,$(notdir $(SERVER_EXAMPLES))) \
	    $(addprefix $(DOCDIR)/cabundle/examples/,$(notdir $(CLIENT_EXAMPLES)))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/cabundled/examples \
	    $(DESTDIR)$(DOCDIR)/cabundle/examples
	install -m 0755 server/cabundled client/cabundle $(DESTDIR)$(BINDIR)
	install -m 0644 man/cabundle.1 $(DESTDIR)$(MANDIR)/man1
	install -m 0644 man/cabundled.8 $(DESTDIR)$(MANDIR)/man8
	for u in $(SERVER_UNITS) $(CLIENT_UNITS); do \
	    sed 's|/usr/bin/cabundle|$(BINDIR)/cabundle|g' \
	        contrib/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 contrib/systemd/cabundle-sysusers.conf \
	    $(DESTDIR)$(SYSUSERSDIR)/cabundle.conf
	install -m 0644 $(SERVER_EXAMPLES) $(DESTDIR)$(DOCDIR)/cabundled/examples
	install -m 0644 $(CLIENT_EXAMPLES) $(DESTDIR)$(DOCDIR)/cabundle/examples

# Only what "make install" put there; directories only when empty.
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	-rmdir $(DESTDIR)$(DOCDIR)/cabundled/examples \
	    $(DESTDIR)$(DOCDIR)/cabundle/examples \
	    $(DESTDIR)$(DOCDIR)/cabundled $(DESTDIR)$(DOCDIR)/cabundle \
	    2>/dev/null

# The Debian packages (debian/, debhelper): dpkg-buildpackage writes to
# the parent directory, so the build runs on a copy of the tree in
# build/deb/src (nothing lands beside the sources or outside build/),
# and the two .debs are moved to build/deb/.  debian/rules builds with
# "make" and installs with "make install", so the packages hold what
# "make install PREFIX=/usr" does, built with dpkg-buildflags' hardening
# on top of the flags above.
DEB_DIR	= $(B)/deb
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEBS	= $(DEB_DIR)/cabundled_$(VERSION)_$(DEB_ARCH).deb \
	  $(DEB_DIR)/cabundle_$(VERSION)_$(DEB_ARCH).deb

deb:
	@sh contrib/deps.sh $(DEB_PKGS) $(DEB_BUILD_PKGS)
	sh contrib/deb.sh $(VERSION) $(DEB_DIR)

# dpkg -i into a Debian 12 minbase chroot, run, purge (as root).
test-pkg: deb
	sh tests/pkg/installed.sh $(DEBS)

# The Dockerfile's packages, for images built where there is no network
# (README "Containers for disconnected sites"): debs/cabundle/ holds
# IMAGE_DEBS ("make deb"'s two packages) and every package they and
# IMAGE_PKGS need beyond a debian:bookworm-slim base; debs/nginx/ the
# same for STATIC_PKGS.  contrib/image-debs.sh asks apt what that is and
# downloads it: run it on a connected Debian 12 after "apt-get update".
# curl: the compose health check; ca-certificates: HTTPS to upstream;
# systemd-standalone-sysusers: what the cabundled package's postinst
# runs ("systemd | systemd-standalone-sysusers"): an image runs no
# systemd, and systemd's own postinst fails in one.
IMAGE_DEBS  ?= $(DEBS)
IMAGE_PKGS  = ca-certificates curl systemd-standalone-sysusers
STATIC_PKGS = nginx
DEBS_DIR    ?= debs

image-debs:
	sh contrib/image-debs.sh $(DEBS_DIR)/cabundle $(IMAGE_DEBS) $(IMAGE_PKGS)
	sh contrib/image-debs.sh $(DEBS_DIR)/nginx $(STATIC_PKGS)

clean:
	rm -rf $(B)
	rm -f server/cabundled client/cabundle \
	    $(UNIT_BINS) $(TOOL_BINS) $(FLAGS_STAMP)
	rm -rf fuzz/out
	rm -rf debian/.debhelper debian/cabundled debian/cabundle debian/tmp \
	    debian/files debian/*.substvars debian/*.debhelper.log \
	    debian/debhelper-build-stamp

# Fuzzing (fuzz/README.md).  Each harness fuzz/fuzz-NAME.c is built
# twice: with clang and libFuzzer under ASan + UBSan, straight from the
# sources into fuzz/out/obj (nothing shared with the build above), for
# "make fuzz"; and with $(CC) and CFLAGS, linked with fuzz/replay.c and
# the objects above, for "make fuzz-replay" (part of "make test"), which
# replays the seeds in fuzz/corpus/NAME and the crashers kept in
# fuzz/regress/NAME.
FUZZ_SECONDS ?= 60
FUZZ_JOBS   ?= 2
FUZZ_CC     ?= clang
FUZZ_PKGS   = libcurl openssl jansson inih
FUZZ_CFLAGS = -std=c11 $(WARNFLAGS) -g -O1 -fno-omit-frame-pointer \
	      -fsanitize=address,undefined -fno-sanitize-recover=undefined
ifeq ($(WERROR),1)
FUZZ_CFLAGS += -Werror
endif
FUZZ_CPPFLAGS = $(filter-out -D_FORTIFY_SOURCE=2,$(CPPFLAGS))
FUZZ_BINS   = $(FUZZ_NAMES:%=fuzz/out/fuzz-%)
FUZZ_OBJ_DIR = fuzz/out/obj
FUZZ_OBJS   = $(addprefix $(FUZZ_OBJ_DIR)/,$(COMMON_SRCS:.c=.o) \
	      $(FUZZ_NAMES:%=fuzz/fuzz-%.o) fuzz/quiet.o fuzz/label.o \
	      server/config.o server/route.o server/privmsg.o client/opts.o \
	      client/get.o client/safepath.o)

fuzz-deps:
	@sh contrib/deps.sh $(DEB_PKGS) $(DEB_FUZZ_PKGS)

fuzz: fuzz-deps
	$(MAKE) fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) sh fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-build: $(FUZZ_BINS)

fuzz-replay: $(FUZZ_REPLAY)
	@sh fuzz/run.sh replay $(FUZZ_NAMES)

$(FUZZ_OBJ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(call pkgcflags,$(FUZZ_PKGS)) \
	    $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# What a harness links besides common/, in both builds.
fuzz/out/fuzz-config: $(FUZZ_OBJ_DIR)/server/config.o
fuzz/out/fuzz-copts: $(FUZZ_OBJ_DIR)/client/opts.o $(FUZZ_OBJ_DIR)/client/get.o \
	    $(FUZZ_OBJ_DIR)/client/safepath.o
fuzz/out/fuzz-route: $(FUZZ_OBJ_DIR)/server/route.o
fuzz/out/fuzz-privmsg: $(FUZZ_OBJ_DIR)/server/privmsg.o
$(FUZZ_BINS): fuzz/out/fuzz-%: $(FUZZ_OBJ_DIR)/fuzz/fuzz-%.o \
	    $(FUZZ_OBJ_DIR)/fuzz/quiet.o $(FUZZ_OBJ_DIR)/fuzz/label.o \
	    $(addprefix $(FUZZ_OBJ_DIR)/,$(COMMON_SRCS:.c=.o))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ \
	    $(call pkglibs,$(FUZZ_PKGS))

fuzz/out/replay-config: $(B)/server/config.o
fuzz/out/replay-copts: $(call obj,client/opts.c client/get.c client/safepath.c)
fuzz/out/replay-route: $(B)/server/route.o
fuzz/out/replay-privmsg: $(B)/server/privmsg.o
$(FUZZ_REPLAY): fuzz/out/replay-%: $(B)/fuzz/fuzz-%.o \
	    $(call obj,fuzz/quiet.c fuzz/label.c fuzz/replay.c) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pkglibs,$(FUZZ_PKGS))

-include $(ALL_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
