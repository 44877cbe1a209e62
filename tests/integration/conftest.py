"""What the integration tests share, defined once.

- where the binaries and fixtures are, and the product's clock
  (TEST_DATE);
- run(), openssl(), free_port(), sha256(): running things;
- Mirror and the fixtures mirror and good: a cabundled data directory;
- make_site_pki() and org_pki: certificates for TLS servers;
- Server, served, org_mirror, https_site: a served mirror and a site;
- Key, keys, tc(), ClientEnv: signatures the tests make themselves;
- make_python(), requests_get(): a throwaway certifi Python uses.

The binaries are the ones `make` built (override with CABUNDLED,
CABUNDLE, SIGTOOL); fixtures are the project's copies in tests/fixtures.
Test files import from here (and from the fake servers in fakemirror.py
and upstream.py), never from each other.
"""
import atexit
import base64
import calendar
import datetime
import functools
import hashlib
import http.client
import http.server
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
UP = FIXTURES / "upstream"
HOSTILE = FIXTURES / "hostile"
RELEASES = ["2019.11.28", "2021.05.30", "2022.12.07", "2024.02.02",
            "2025.07.14", "2026.07.22"]
DAY = 86400
# What each hostile fixture does to an import:
# file: (exit, verdict, checks at the deciding level)
HOSTILE_EXPECT = {
    "truncated-mid-cert.pem": (1, "rejected", {"reader"}),
    "captive-portal.html": (1, "rejected", {"reader"}),
    "corrupted-base64.pem": (1, "rejected", {"reader"}),
    "der-instead-of-pem.der": (1, "rejected", {"reader"}),
    "empty.pem": (1, "rejected", {"reader"}),
    "leaf-appended.pem": (5, "quarantined", {"ca", "self-signed", "churn"}),
    "duplicate-cert.pem": (5, "quarantined", {"duplicate"}),
    "only-3-certs.pem": (5, "quarantined", {"churn", "anchor"}),
    "evil-root-added.pem": (5, "quarantined", {"churn"}),
}

CABUNDLED_BIN = os.environ.get("CABUNDLED",
                               str(ROOT / "server" / "cabundled"))
CABUNDLE_BIN = os.environ.get("CABUNDLE", str(ROOT / "client" / "cabundle"))
SIGTOOL_BIN = os.environ.get("SIGTOOL",
                             str(ROOT / "tests" / "tools" / "sigtool"))
# PATH without the clock wrappers below (a pytest-xdist worker inherits
# its controller's): where the real tools are.
_CLOCK_PREFIX = "cabundle-clock-"
REAL_PATH = os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep)
    if not os.path.basename(p).startswith(_CLOCK_PREFIX))
OPENSSL_BIN = shutil.which("openssl", path=REAL_PATH) or "/usr/bin/openssl"

# Variables some machines set for every process, which make OpenSSL,
# libcurl and requests trust another store.  The children of the tests
# run without them; a test about them (doctor) sets them itself.
CA_VARS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
           "SSL_CERT_DIR")
for _v in CA_VARS:
    os.environ.pop(_v, None)

# Under `make SANITIZE=1` a sanitizer report must never pass for the
# product's own "refused" exit 1: give reports exit codes of their own.
os.environ.setdefault("ASAN_OPTIONS", "exitcode=86:detect_leaks=1")
os.environ.setdefault("UBSAN_OPTIONS",
                      "halt_on_error=1:exitcode=87:print_stacktrace=1")
SANITIZER_WORDS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                   b"runtime error:")


# ---- the product's clock -------------------------------------------
#
# TEST_DATE=YYYY-MM-DD runs every program under test, and the openssl
# and curl that make and judge certificates beside it, as if today were
# that date, through Debian's libfaketime: the real time of day shifted
# by whole days, the same shift in every process and pytest worker.
# The harness keeps the real clock (libfaketime breaks Python's
# subprocess module); now() says what time the product sees.  Nothing
# in the product reads a clock of its own: the shift is libc's.

TEST_DATE = os.environ.get("TEST_DATE") or None
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def _shift_days():
    if TEST_DATE is None:
        return 0
    want = datetime.date.fromisoformat(TEST_DATE)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return (want - today).days


SHIFT_DAYS = _shift_days()


def now():
    """The time, in seconds since the epoch, that the product sees."""
    return time.time() + SHIFT_DAYS * DAY


def clock_env(env=None, at=None):
    """A copy of env (default: ours) that gives a child the product's
    clock, or a clock started at epoch second `at`."""
    env = dict(os.environ if env is None else env)
    if at is None and SHIFT_DAYS == 0:
        return env
    if not os.path.exists(LIBFAKETIME):
        raise RuntimeError(f"TEST_DATE needs {LIBFAKETIME}: "
                           "apt-get install faketime (make test-deps)")
    pre = env.get("LD_PRELOAD")
    env["LD_PRELOAD"] = LIBFAKETIME + (":" + pre if pre else "")
    if at is None:
        env["FAKETIME"] = f"{SHIFT_DAYS:+d}d"
    else:
        env["FAKETIME"] = time.strftime("@%Y-%m-%d %H:%M:%S",
                                        time.gmtime(at))
        env["TZ"] = "UTC"
    env["FAKETIME_DONT_RESET"] = "1"
    # Files keep their real times: libfaketime's stat faking does not
    # reach every stat call alike, so a file the client recorded could
    # look changed to the next run (test_client_fastpath failed so).
    env["NO_FAKE_STAT"] = "1"
    # libfaketime comes before the sanitizer runtime in the list.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":verify_asan_link_order=0").lstrip(":")
    return env


def _wrap(wrapdir, name, real):
    """A script in wrapdir that runs real under the product's clock."""
    env = clock_env({})
    path = pathlib.Path(wrapdir) / name
    lines = ["#!/bin/sh"]
    # A clock a test asked for (clock_env(at=...)) wins over the shift.
    for k in ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_RESET",
              "NO_FAKE_STAT"):
        v = shlex.quote(env[k])
        lines.append(f'{k}="${{{k}:-"{v}"}}"; export {k}' if k ==
                     "FAKETIME" else f"{k}={v}; export {k}")
    lines.append('ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}'
                 'verify_asan_link_order=0"; export ASAN_OPTIONS')
    lines.append(f'exec {shlex.quote(str(real))} "$@"')
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return str(path)


if SHIFT_DAYS:
    _WRAPDIR = tempfile.mkdtemp(prefix=_CLOCK_PREFIX)
    os.chmod(_WRAPDIR, 0o755)   # tests run the client as nobody too
    atexit.register(shutil.rmtree, _WRAPDIR, ignore_errors=True)
    CABUNDLED = _wrap(_WRAPDIR, "cabundled", CABUNDLED_BIN)
    CABUNDLE = _wrap(_WRAPDIR, "cabundle", CABUNDLE_BIN)
    SIGTOOL = _wrap(_WRAPDIR, "sigtool", SIGTOOL_BIN)
    # Tests and the shell blocks of SECURITY.md name openssl and curl
    # by name: their wrappers come first in PATH.
    for _tool in ("openssl", "curl"):
        _wrap(_WRAPDIR, _tool,
              shutil.which(_tool, path=REAL_PATH) or f"/usr/bin/{_tool}")
    os.environ["PATH"] = _WRAPDIR + os.pathsep + REAL_PATH
else:
    CABUNDLED, CABUNDLE, SIGTOOL = CABUNDLED_BIN, CABUNDLE_BIN, SIGTOOL_BIN


# ---- running things ------------------------------------------------

def run(*args, check=None, **kw):
    """Run a command with a timeout; return the CompletedProcess.

    check=N asserts the exit status is N and shows stderr when not.
    Any sanitizer report fails the test, whatever the exit status.
    """
    p = subprocess.run([str(a) for a in args], capture_output=True,
                       timeout=60, **kw)
    for w in SANITIZER_WORDS:
        assert w not in p.stderr, p.stderr.decode(errors="replace")
    if check is not None:
        assert p.returncode == check, (
            f"{args[0]} exited {p.returncode}, want {check}\n"
            f"stdout: {p.stdout.decode(errors='replace')[:2000]}\n"
            f"stderr: {p.stderr.decode(errors='replace')[:2000]}")
    return p


def openssl(*args, at=None, check=0, **kw):
    """The openssl command under the product's clock (or started at
    epoch second `at`); returns its standard output as text."""
    env = clock_env(kw.pop("env", None), at=at)
    return run(OPENSSL_BIN, *args, check=check, env=env,
               **kw).stdout.decode()


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def upstream(version):
    """The fixture bundle mkcert.org served for a certifi release."""
    return UP / f"cacert-{version}.pem"


def pem_blocks(data):
    """The certificate blocks of PEM bytes, each with its newline."""
    return re.findall(rb"-----BEGIN CERTIFICATE-----\n.*?"
                      rb"-----END CERTIFICATE-----\n", data, re.S)


@functools.lru_cache(maxsize=None)
def _not_after(block):
    out = openssl("x509", "-noout", "-enddate", input=block).strip()
    return calendar.timegm(time.strptime(out.split("=", 1)[1],
                                         "%b %d %H:%M:%S %Y %Z"))


def fingerprint(block):
    """The SHA-256 of the DER inside one PEM block, in lower-case hex."""
    b = b"".join(block.splitlines()[1:-1])
    return hashlib.sha256(base64.b64decode(b)).hexdigest()


def expired(path, at=None):
    """The fingerprints of the certificates of a PEM file that openssl
    says have expired at epoch second `at` (default: the product's
    now): what the product must call expired, on any date."""
    at = now() if at is None else at
    return {fingerprint(b) for b in pem_blocks(pathlib.Path(path).read_bytes())
            if _not_after(b) < at}


def live_count(path, at=None):
    """How many certificates of a PEM file are not expired at `at`: what
    the default policy serves of it."""
    blocks = pem_blocks(pathlib.Path(path).read_bytes())
    return len(blocks) - len(expired(path, at))


# ---- a mirror's data directory ---------------------------------------

class Mirror:
    """A cabundled data directory, driven through its command line."""

    def __init__(self, datadir, config=None):
        self.datadir = pathlib.Path(datadir)
        self.config = config
        self.overrides = []

    def __call__(self, *args, check=None, **kw):
        cmd = [CABUNDLED, "-d", self.datadir]
        if self.config is not None:
            cmd += ["-c", self.config]
        for o in self.overrides:
            cmd += ["-o", o]
        return run(*cmd, *args, check=check, **kw)

    def json(self, *args):
        return json.loads(self(*args, check=0).stdout)

    def snapshots(self):
        return self.json("snapshots", "--json")

    def accepted(self):
        """The accepted snapshot with the highest id, or None."""
        acc = [s for s in self.snapshots() if s["status"] == "accepted"]
        return acc[-1] if acc else None

    def report(self, sid):
        return self.json("report", "--json", str(sid))

    @property
    def db(self):
        return self.datadir / "cabundle.db"

    def key(self, role="active"):
        """The key of that role, as "key show --json" lists it."""
        return [k for k in self.json("key", "show", "--json")
                if k["role"] == role][0]

    def keyfile(self, role="active"):
        """The secret key file of the active (or standby) key."""
        return self.datadir / "keys" / (self.key(role)["key_id"] + ".key")

    def pubfile(self, role="active"):
        return pathlib.Path(self.key(role)["public_key_file"])


def checks(report, level):
    """The set of check names at one level in a vetting report."""
    return {r["check"] for r in report["rows"] if r["level"] == level}


def approve(m, sid):
    m("approve", "--reason", "reviewed", "--actor", "alice", str(sid),
      check=0)


@pytest.fixture
def fixtures():
    return FIXTURES


@pytest.fixture
def mirror(tmp_path):
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    return m


@pytest.fixture
def good(mirror):
    """A mirror whose accepted snapshot is the newest real release."""
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 1)
    return mirror


# ---- certificates for TLS servers ------------------------------------

def make_site_pki(d, ca_subject, days=30):
    """With the openssl binary, in directory d: a CA (ca.pem, ca.key)
    and a server certificate for 127.0.0.1 it issued (site.pem,
    site.key), valid from a day before now for `days` days.  Under
    TEST_DATE they are valid for the product's clock and for the real
    one, as Python's ssl (which keeps the real clock) talks to the same
    servers.  Returns d."""
    at = None
    if SHIFT_DAYS:
        at = min(time.time(), now()) - DAY
        days += abs(SHIFT_DAYS) + 1
    d.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", d / "ca.key",
            "-out", d / "ca.pem", "-days", str(days), "-subj", ca_subject,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", at=at)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", d / "site.key", "-out", d / "site.csr",
            "-subj", "/CN=127.0.0.1", at=at)
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n"
                           "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", d / "site.csr", "-CA", d / "ca.pem",
            "-CAkey", d / "ca.key", "-CAcreateserial", "-days", str(days),
            "-extfile", d / "ext", "-out", d / "site.pem", at=at)
    return d


@pytest.fixture
def org_pki(tmp_path):
    """An organization root and a certificate for 127.0.0.1 it issued."""
    return make_site_pki(tmp_path / "orgpki",
                         "/O=Example Org/CN=Example Org Root CA", days=3650)


# ---- a served mirror -------------------------------------------------

TC = ("format", "profile", "version", "created", "expires", "size",
      "sha256")


class Server:
    """cabundled serve on a free port of 127.0.0.1, stopped with SIGTERM."""

    def __init__(self, mirror, *overrides, ca=None, ready="/v1/profiles"):
        """ca: serve https (overrides name the files), trusting ca;
        ready: the path whose 200 says it is up."""
        self.port = free_port()
        self.base = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.verify = str(ca) if ca else True
        cmd = [CABUNDLED, "-d", mirror.datadir,
               "-o", f"http.port={self.port}",
               "-o", "upstream.fetch_interval=0",
               "-o", "upstream.retries=0",
               "-o", "upstream.url=https://127.0.0.1:1/generate/"]
        for o in overrides:
            cmd += ["-o", o]
        cmd.append("serve")
        # Files, not pipes: an access log nobody drains would block the
        # server once the pipe is full.
        self.out = open(mirror.datadir.parent / f"serve-{self.port}.out",
                        "w+b")
        self.err = open(mirror.datadir.parent / f"serve-{self.port}.err",
                        "w+b")
        self.proc = subprocess.Popen([str(c) for c in cmd],
                                     stdout=self.out, stderr=self.err)
        deadline = time.time() + 20
        try:
            while True:
                try:
                    if requests.get(self.base + ready, timeout=4,
                                    verify=self.verify).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert self.proc.poll() is None, self.read(self.err)
                assert time.time() < deadline, "serve did not come up"
                time.sleep(0.1)
        except BaseException:
            # A server that never answered is not left running.
            self.proc.kill()
            self.proc.wait()
            raise

    def get(self, path, **kw):
        return requests.get(self.base + path, timeout=10,
                            verify=self.verify, **kw)

    def raw(self, method, path, headers=None, body=None):
        """A request with the path sent exactly as given."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.putrequest(method, path, skip_host=False,
                     skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    @staticmethod
    def read(f):
        f.flush()
        f.seek(0)
        return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        out, err = self.read(self.out), self.read(self.err)
        self.out.close()
        self.err.close()
        self.stderr = err
        for w in SANITIZER_WORDS:
            assert w not in err, err.decode(errors="replace")
        assert self.proc.returncode == 0, err.decode(errors="replace")
        return out.decode(errors="replace")


@pytest.fixture
def served(good):
    """The good mirror, served over http."""
    s = Server(good)
    s.mirror = good
    yield s
    s.stop()


@pytest.fixture
def org_mirror(good, org_pki):
    """The good mirror with the organization CA added, served."""
    good("org", "add", "--name", "Example Org Root CA", org_pki / "ca.pem",
         check=0)
    s = Server(good)
    s.mirror = good
    yield s
    s.stop()


@pytest.fixture
def https_site(org_pki):
    """An HTTPS server on 127.0.0.1 with the org-issued certificate."""
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"hello from the intranet\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(org_pki / "site.pem", org_pki / "site.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"https://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def trusted(sig):
    """The fields of a .minisig's trusted comment, checked in order."""
    line = [x for x in sig.splitlines() if x.startswith("trusted comment: ")]
    fields = line[0][len("trusted comment: "):].split("\t")
    assert [f.split(":", 1)[0] for f in fields] == list(TC)
    return {k: v for k, v in (f.split(":", 1) for f in fields)}


def minisign_ok(tmp_path, body, sig, pub):
    """Stock minisign's verdict on body, sig and a public key file's
    bytes."""
    (tmp_path / "b.pem").write_bytes(body)
    (tmp_path / "b.pem.minisig").write_bytes(sig)
    (tmp_path / "k.pub").write_bytes(pub)
    return run("minisign", "-H", "-Vm", tmp_path / "b.pem", "-x",
               tmp_path / "b.pem.minisig", "-p", tmp_path / "k.pub")


# ---- signatures the tests make ---------------------------------------

def tc(body, version, profile="org", created=None, expires=None,
       fmt="cabundle/1", size=None, sha=None):
    """The SPEC 7 trusted comment, built independently of the C code,
    dated by the product's clock."""
    t = int(now())
    created = t - 60 if created is None else created
    expires = t + 7 * DAY if expires is None else expires
    size = len(body) if size is None else size
    sha = hashlib.sha256(body).hexdigest() if sha is None else sha
    return (f"format:{fmt}\tprofile:{profile}\tversion:{version}\t"
            f"created:{created}\texpires:{expires}\tsize:{size}\t"
            f"sha256:{sha}")


def b64(b):
    return base64.b64encode(b).decode()


class Key:
    """An Ed25519 PKCS#8 key, its minisign .pub and RW string."""

    def __init__(self, d, name):
        self.dir = d
        self.name = name
        self.pem = d / f"{name}.pem"
        openssl("genpkey", "-algorithm", "ed25519", "-out", self.pem)
        self.pem.chmod(0o600)
        self.pub = d / f"{name}.pub"
        self.pub.write_bytes(run(SIGTOOL, "pubkey", self.pem,
                                 check=0).stdout)
        self.rw = self.pub.read_text().splitlines()[1]
        raw = base64.b64decode(self.rw)
        self.keyid, self.pk = raw[2:10], raw[10:42]
        self.n = 0

    def sign(self, data, comment, legacy=False):
        """The .minisig bytes of sigtool sign [-l] for data."""
        self.n += 1
        f = self.dir / f"{self.name}-data-{self.n}"
        f.write_bytes(data)
        p = run(SIGTOOL, "sign", *(["-l"] if legacy else []), self.pem, f,
                comment, check=0)
        f.unlink()
        return p.stdout

    def py_sign(self, data, comment_bytes):
        """The same ED format made in Python, for a T sigtool refuses
        to write (non-ASCII)."""
        from cryptography.hazmat.primitives import serialization
        sk = serialization.load_pem_private_key(self.pem.read_bytes(), None)
        sig = sk.sign(hashlib.blake2b(data, digest_size=64).digest())
        glob = sk.sign(sig + comment_bytes)
        return (b"untrusted comment: signature from py_sign\n" +
                b64(b"ED" + self.keyid + sig).encode() +
                b"\ntrusted comment: " + comment_bytes + b"\n" +
                b64(glob).encode() + b"\n")


class Keys:
    """k1 and k2, which the clients of ClientEnv trust; k3, which not."""

    def __init__(self, d):
        self.k1, self.k2, self.k3 = (Key(d, n) for n in ("k1", "k2", "k3"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("keys"))


def asan_build():
    """Whether the client was built with the sanitizers."""
    ldd = subprocess.run(["ldd", CABUNDLE_BIN], capture_output=True).stdout
    return b"asan" in ldd or b"__asan_init" in pathlib.Path(
        CABUNDLE_BIN).read_bytes()


# ---- a client's world: targets, state, a fake mirror ------------------

# Imported late: fakemirror imports nothing from here.
from fakemirror import FakeMirror, static  # noqa: E402

CLIENT_PROFILE = "org"
SIG_PATH = f"/v1/{CLIENT_PROFILE}/cacert.pem.minisig"
ORIGINAL = (FIXTURES / "vectors" / "bundle.pem").read_bytes()
BODY_MAX = 4 << 20
NOPROXY = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
UPSTREAMS = sorted(UP.glob("cacert-*.pem"))


def body_of(version):
    """A real PEM bundle per version: v1, v2, v3... differ."""
    return UPSTREAMS[(version - 1) % len(UPSTREAMS)].read_bytes()


def body_path(version):
    return f"/v1/{CLIENT_PROFILE}/{version}/cacert.pem"


class ClientEnv:
    """Two targets holding ORIGINAL, a state path, an empty config (so
    no /etc/cabundle.conf leaks in) and a running fake mirror."""

    def __init__(self, tmp_path, keys):
        self.tmp = tmp_path
        self.keys = keys
        self.targets = [tmp_path / "t1" / "cacert.pem",
                        tmp_path / "t2" / "cacert.pem"]
        for t in self.targets:
            t.parent.mkdir()
            t.write_bytes(ORIGINAL)
        self.state = tmp_path / "var" / "state.json"
        self.conf = tmp_path / "empty.conf"
        self.conf.write_bytes(b"")
        self.m = FakeMirror().start()

    @property
    def url(self):
        return self.m.url

    def publish(self, version, body=None, key=None, latest=True, **kw):
        """Serve body (default: body_of(version)) at its versioned URL
        and, if latest, its signature as the latest.  Returns the sig."""
        body = body_of(version) if body is None else body
        key = self.keys.k1 if key is None else key
        sig = key.sign(body, tc(body, version, **kw))
        self.m.routes[body_path(version)] = static(body)
        if latest:
            self.m.routes[SIG_PATH] = static(sig)
        return sig

    def args(self, keys=None, url=None, timeout=None, targets=None,
             binary=CABUNDLE):
        a = [binary, "install", "--config", self.conf, "--from",
             url or self.url, "--profile", CLIENT_PROFILE, "--state",
             self.state, "--json"]
        for k in (keys if keys is not None else [self.keys.k1]):
            a += ["--key", k if isinstance(k, str) else k.pub]
        for t in (targets if targets is not None else self.targets):
            a += ["--output", t]
        if timeout is not None:
            a += ["--timeout", str(timeout)]
        return a

    def install(self, check=None, wrap=(), **kw):
        """Run the install; wrap: a program to run it under (time,
        valgrind), which then runs the binary itself, on our clock."""
        if wrap:
            return run(*wrap, *self.args(binary=CABUNDLE_BIN, **kw),
                       check=check, env=clock_env(NOPROXY))
        return run(*self.args(**kw), check=check, env=NOPROXY)

    def installed(self, version, **kw):
        """A successful install of version; returns the JSON answer."""
        p = self.install(check=0, **kw)
        out = json.loads(p.stdout)
        assert out["result"] == "installed", out
        assert out["version"] == version, out
        return out

    def snapshot(self):
        files = {}
        for d in {t.parent for t in self.targets}:
            for p in d.iterdir():
                st = p.lstat()
                files[p] = (p.read_bytes(), st.st_mtime_ns, st.st_ino)
        st = self.state.read_bytes() if self.state.exists() else None
        return files, st

    def unchanged(self, snap):
        """Targets byte-identical with the same mtime and inode (not
        rewritten), no backup or temporary file created, the state as
        it was (or still absent)."""
        files, st = snap
        cur, st_now = self.snapshot()
        assert sorted(cur) == sorted(files), (
            "files created or removed beside the targets: "
            f"{sorted(set(cur) ^ set(files))}")
        for p, (data, mtime, ino) in files.items():
            assert cur[p][0] == data, f"{p}: contents changed"
            assert cur[p][1] == mtime, f"{p}: mtime changed"
            assert cur[p][2] == ino, f"{p}: replaced (new inode)"
        for t in self.targets:
            if pathlib.Path(f"{t}-backup") not in files:
                assert not pathlib.Path(f"{t}-backup").exists()
        assert st_now == st, "state file changed"

    def close(self):
        self.m.stop()


@pytest.fixture
def env(tmp_path, keys):
    """A ClientEnv: two targets, a state path, a fake mirror."""
    e = ClientEnv(tmp_path, keys)
    yield e
    e.close()


# ---- a throwaway certifi ----------------------------------------------

PYTHON = "/usr/bin/python3"
DIST = "/usr/lib/python3/dist-packages"
CERTIFI_INIT = "from .core import where\n"
CERTIFI_CORE = ("import os\n\n\ndef where():\n"
                "    return os.path.join(os.path.dirname(__file__),"
                " 'cacert.pem')\n")


def make_python(tmp_path, name="py", where=None):
    """A Python whose certifi lives in tmp_path: an interpreter wrapper
    (with -S, so no .pth file of this machine edits the bundle) and a
    certifi package holding a real Mozilla bundle.  where: make
    certifi.where() return that path instead (as Debian's patch does).
    Returns (interpreter, cacert.pem)."""
    lib = tmp_path / name / "lib"
    pkg = lib / "certifi"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(CERTIFI_INIT)
    if where is None:
        (pkg / "core.py").write_text(CERTIFI_CORE)
        cacert = pkg / "cacert.pem"
    else:
        (pkg / "core.py").write_text(
            f"def where():\n    return {str(where)!r}\n")
        cacert = where
    cacert.write_bytes(upstream("2025.07.14").read_bytes())
    py = tmp_path / name / "python"
    py.write_text(f"#!/bin/sh\nPYTHONPATH={lib}:{DIST} exec {PYTHON} -S "
                  "\"$@\"\n")
    py.chmod(0o755)
    return py, cacert


def requests_get(py, url):
    """What requests in that Python says about url (trusting certifi:
    the variables that override it are not set)."""
    env = {k: v for k, v in os.environ.items() if k not in CA_VARS}
    return subprocess.run(
        [str(py), "-c", "import sys, requests\n"
         "try:\n    r = requests.get(sys.argv[1], timeout=10)\n"
         "    print('OK', r.status_code, r.text.strip())\n"
         "except requests.exceptions.SSLError as e:\n"
         "    print('SSLError', e)\n", url],
        capture_output=True, text=True, timeout=60, env=env).stdout


def client_install(s, *args, check=None, **kw):
    """cabundle install from Server s, trusting its active key."""
    return run(CABUNDLE, "install", "--from", s.base, "--key",
               s.mirror.key()["public_key"], *args, check=check, **kw)


# ---- distrust-after dates (issue 22) ---------------------------------

def dated_mirror(m, days=(-400, 10), policy="keep", profile="mozilla"):
    """Mirror m (initialized) with the newest real upstream approved,
    its first len(days) roots valid a year from now carrying server
    distrust-after dates `days` days from the product's now, and
    profile's policy set.
    Returns {sha256: date in Unix seconds}.  The dates go straight into
    snapshot_distrust: they must be relative to the product's clock
    (TEST_DATE moves it), which no real certdata.txt is; the certdata
    path itself is test_certdata_source.py's and test_distrust_policy.py's
    (real files, the product run at fixed dates)."""
    import sqlite3
    m("import", upstream("2026.07.22"), check=5)
    t0 = int(now()) // DAY * DAY
    db = sqlite3.connect(m.db)
    # Roots still valid a year past the product's now: an expired one
    # is left out of the bundle whatever its date, and the first roots
    # of a fixed upstream expire as TEST_DATE moves ahead.
    certs = [r[0] for r in db.execute(
        "SELECT s.cert FROM snapshot_cert s JOIN certificate c "
        "ON c.sha256 = s.cert WHERE s.snapshot = 1 AND c.not_after > ? "
        "ORDER BY s.position LIMIT ?", (t0 + 365 * DAY, len(days)))]
    dates = {c: t0 + d * DAY for c, d in zip(certs, days)}
    with db:
        for c, t in dates.items():
            db.execute("INSERT INTO snapshot_distrust (snapshot, cert, "
                       "server_after, source) VALUES (1, ?, ?, 'test')",
                       (c, t))
        db.execute("UPDATE profile SET distrust_after = ? WHERE name = ?",
                   (policy, profile))
    db.close()
    approve(m, 1)
    return dates
