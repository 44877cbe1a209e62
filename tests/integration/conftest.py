"""Shared helpers: where the binaries and fixtures are, how to run them.

The binaries are the ones `make` built (override with CABUNDLED,
CABUNDLE, SIGTOOL); fixtures are the project's copies in tests/fixtures.
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CABUNDLED = os.environ.get("CABUNDLED", str(ROOT / "server" / "cabundled"))
CABUNDLE = os.environ.get("CABUNDLE", str(ROOT / "client" / "cabundle"))
SIGTOOL = os.environ.get("SIGTOOL", str(ROOT / "tests" / "tools" / "sigtool"))


# Under `make SANITIZE=1` a sanitizer report must never pass for the
# product's own "refused" exit 1: give reports exit codes of their own.
os.environ.setdefault("ASAN_OPTIONS", "exitcode=86:detect_leaks=1")
os.environ.setdefault("UBSAN_OPTIONS",
                      "halt_on_error=1:exitcode=87:print_stacktrace=1")
SANITIZER_WORDS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                   b"runtime error:")


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


@pytest.fixture
def fixtures():
    return FIXTURES


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


@pytest.fixture
def mirror(tmp_path):
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    return m


def make_site_pki(d, ca_subject, days=30):
    """With the openssl binary, in directory d: a CA (ca.pem, ca.key)
    and a server certificate for 127.0.0.1 it issued (site.pem,
    site.key).  Returns d."""
    def openssl(*args):
        return run("openssl", *args, check=0)

    d.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", d / "ca.key",
            "-out", d / "ca.pem", "-days", str(days), "-subj", ca_subject,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", d / "site.key", "-out", d / "site.csr",
            "-subj", "/CN=127.0.0.1")
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n"
                           "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", d / "site.csr", "-CA", d / "ca.pem",
            "-CAkey", d / "ca.key", "-CAcreateserial", "-days", "30",
            "-extfile", d / "ext", "-out", d / "site.pem")
    return d
