"""cabundle install: a requested target that is not installed is a
failure, and the exit status says so (issue 18).

A target install cannot use (a symbolic link as --output, a file over
the size it reads back, a file it cannot read, a directory) must make
install exit 4, the local-error code of cabundle(1)'s EXIT STATUS, in
text and --json alike ("result": "error", "exit": 4), leave every other
target and the state as they were, and never let the successful
download's status stand in for the failure.
"""
import json
import os
import pathlib
import pwd
import shutil
import tempfile

import pytest

from conftest import CABUNDLE, FIXTURES, Key, run, tc
from fakemirror import FakeMirror, static

PROFILE = "org"
BODY = sorted((FIXTURES / "upstream").glob("cacert-*.pem"))[-1].read_bytes()
ORIGINAL = (FIXTURES / "vectors" / "bundle.pem").read_bytes()
NOPROXY = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}





@pytest.fixture
def mirror(tmp_path):
    key = Key(tmp_path, "k")
    m = FakeMirror().start()
    m.routes[f"/v1/{PROFILE}/1/cacert.pem"] = static(BODY)
    m.routes[f"/v1/{PROFILE}/cacert.pem.minisig"] = static(
        key.sign(BODY, tc(BODY, 1)))
    m.key = key
    yield m
    m.stop()


def install(mirror, tmp_path, *targets, json_out=False, wrap=()):
    conf = tmp_path / "empty.conf"
    conf.write_bytes(b"")
    args = [*wrap, CABUNDLE, "install", "--config", conf, "--from",
            mirror.url, "--key", mirror.key.pub, "--profile", PROFILE,
            "--state", tmp_path / "var" / "state.json"]
    for t in targets:
        args += ["--output", t]
    if json_out:
        args.append("--json")
    return run(*args, env=NOPROXY)


def good_target(tmp_path):
    t = tmp_path / "good" / "cacert.pem"
    t.parent.mkdir(exist_ok=True)
    t.write_bytes(ORIGINAL)
    return t


def failed(p, json_out, good, state):
    """Exit 4 (in the JSON too), the good target and the state as they
    were."""
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 4, f"exit {p.returncode}, want 4: {err}"
    if json_out:
        out = json.loads(p.stdout)
        assert out["result"] == "error", out
        assert out["exit"] == 4, out
        assert out.get("error"), out
    assert good.read_bytes() == ORIGINAL
    assert not os.path.exists(f"{good}-backup")
    assert not state.exists()
    return err


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_a_symlinked_output_fails_the_install(mirror, tmp_path, json_out):
    real = tmp_path / "real.pem"
    real.write_bytes(ORIGINAL)
    link = tmp_path / "link.pem"
    link.symlink_to(real)
    good = good_target(tmp_path)
    p = install(mirror, tmp_path, good, link, json_out=json_out)
    err = failed(p, json_out, good, tmp_path / "var" / "state.json")
    assert str(link) in err
    assert real.read_bytes() == ORIGINAL and link.is_symlink()


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_a_target_over_the_size_cap_fails_the_install(mirror, tmp_path,
                                                      json_out):
    big = tmp_path / "big.pem"
    big.write_bytes(b"#" * ((8 << 20) + 1))
    good = good_target(tmp_path)
    p = install(mirror, tmp_path, big, good, json_out=json_out)
    err = failed(p, json_out, good, tmp_path / "var" / "state.json")
    assert str(big) in err
    assert big.stat().st_size == (8 << 20) + 1


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_an_unreadable_target_fails_the_install(mirror, tmp_path,
                                                json_out):
    """Run as nobody: a target root owns with mode 0000 cannot be read
    (root reads anything, so the test drops to nobody)."""
    nobody = pwd.getpwnam("nobody")
    if os.geteuid() != 0:
        pytest.skip("needs root to run the client as nobody")
    # pytest's own directories are root's, 0700: nobody needs a way in.
    top = pathlib.Path(tempfile.mkdtemp(prefix="cabundle-exit-"))
    try:
        top.chmod(0o755)
        work = top / "w"
        work.mkdir()
        os.chown(work, nobody.pw_uid, nobody.pw_gid)
        closed = top / "closed"
        closed.mkdir()
        secret = closed / "cacert.pem"
        secret.write_bytes(ORIGINAL)
        secret.chmod(0o000)
        good = good_target(work)
        os.chown(good.parent, nobody.pw_uid, nobody.pw_gid)
        os.chown(good, nobody.pw_uid, nobody.pw_gid)
        pub = top / "k.pub"
        shutil.copy(mirror.key.pub, pub)
        pub.chmod(0o644)
        mirror.key.pub = pub
        wrap = ["setpriv", f"--reuid={nobody.pw_uid}",
                f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
        p = install(mirror, work, good, secret, json_out=json_out,
                    wrap=wrap)
        err = failed(p, json_out, good, work / "var" / "state.json")
        assert str(secret) in err
        assert secret.read_bytes() == ORIGINAL
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_a_directory_as_output_fails_the_install(mirror, tmp_path,
                                                 json_out):
    d = tmp_path / "dir.pem"
    d.mkdir()
    good = good_target(tmp_path)
    p = install(mirror, tmp_path, good, d, json_out=json_out)
    if json_out and p.stdout:
        assert json.loads(p.stdout)["exit"] == p.returncode
    failed(p, False, good, tmp_path / "var" / "state.json")


def test_the_same_install_succeeds_without_the_bad_target(mirror,
                                                          tmp_path):
    """The fixture is sound: the good target alone installs, exit 0."""
    good = good_target(tmp_path)
    p = install(mirror, tmp_path, good, json_out=True)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["result"] == "installed" and out["exit"] == 0
    assert good.read_bytes() == BODY
