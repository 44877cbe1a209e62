"""The client under valgrind: an install, a refused install, verify,
status, restore and doctor each run without a memory error and without
a definite or indirect leak (valgrind exits 99 on any of them).

The sanitizer build (make SANITIZE=1) cannot run under valgrind; there
ASan and LeakSanitizer check the same runs in test_client_attacks.py.
"""
import json
import shutil

import pytest

from conftest import (CABUNDLE_BIN, FIXTURES, ORIGINAL, asan_build,
                      body_of, clock_env, run, tc)
from fakemirror import static

VALGRIND = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--track-origins=yes"]

pytestmark = [
    pytest.mark.skipif(asan_build(), reason="an ASan build cannot run "
                       "under valgrind; LeakSanitizer checks it instead"),
]


@pytest.fixture(autouse=True)
def need_valgrind():
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is not installed (make test-deps installs it)")


def grind(*args, check):
    """Run the client under valgrind; a report fails whatever the exit."""
    p = run(*VALGRIND, CABUNDLE_BIN, *args, check=None, env=clock_env())
    err = p.stderr.decode(errors="replace")
    assert p.returncode == check, (p.returncode, err)
    return p


def test_install_refusal_status_and_restore(env, keys):
    env.publish(3)
    p = env.install(check=0, wrap=VALGRIND)
    assert json.loads(p.stdout)["result"] == "installed"
    assert env.targets[0].read_bytes() == body_of(3)

    # A tampered body is refused: the error path leaks nothing either.
    env.publish(4)
    env.m.routes["/v1/org/4/cacert.pem"] = static(body_of(4) + b"\n")
    p = env.install(wrap=VALGRIND)
    assert p.returncode == 1, p.stderr
    assert env.targets[0].read_bytes() == body_of(3)

    grind("status", "--config", env.conf, "--state", env.state, "--json",
          check=0)
    grind("restore", "--config", env.conf, "--state", env.state, check=0)
    assert env.targets[0].read_bytes() == ORIGINAL


def test_verify_good_and_bad(env, keys, tmp_path):
    body = body_of(5)
    f = tmp_path / "b.pem"
    f.write_bytes(body)
    s = tmp_path / "b.pem.minisig"
    s.write_bytes(keys.k1.sign(body, tc(body, 5)))
    grind("verify", "--key", keys.k1.pub, "--profile", "org", f, s, check=0)
    f.write_bytes(body[:-1] + b"X")
    grind("verify", "--key", keys.k1.pub, "--profile", "org", f, s, check=1)


def test_doctor_on_a_bundle(tmp_path):
    grind("doctor", "--bundle",
          FIXTURES / "upstream" / "cacert-2026.07.22.pem", "--json",
          check=0)

