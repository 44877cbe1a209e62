"""Shared helpers: where the binaries and fixtures are, how to run them.

The binaries are the ones `make` built (override with CABUNDLED,
CABUNDLE, SIGTOOL); fixtures are the project's copies in tests/fixtures.
"""
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
