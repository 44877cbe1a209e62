"""cabundle's messages a person can act on (issue 23, "Messages").

Each test asserts the text a user sees and the exit code: times as ISO
8601 UTC, a suggested command that runs as printed, a profile the
mirror does not have named with the ones it has, a mirror whose TLS
certificate does not verify told apart from one that cannot be reached
(exit 1, not 3), restore refusing to overwrite a target changed since
the install unless --force, --version, usage errors that name what is
missing, and the documented lock file and pip behaviour.
"""
import json
import os
import pathlib
import re
import shlex
import time

import pytest

from conftest import (CABUNDLE, CERTIFI_CORE, CERTIFI_INIT, DAY, FIXTURES,
                      NOPROXY, ORIGINAL, ROOT, body_of, free_port, make_python, now,
                      run)
from conftest import client_install

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def err(p):
    return p.stderr.decode(errors="replace")


# --- 1. times a person reads -------------------------------------------------

def test_expired_signature_says_when_in_iso_utc(env):
    expires = int(now()) - 6 * DAY - 3600
    env.publish(1, created=expires - 7 * DAY, expires=expires)
    snap = env.snapshot()
    p = env.install(check=1)
    e = err(p)
    assert f"signature expired {iso(expires)} (6 days ago)" in e, e
    assert "seconds ago" not in e and "expires:" not in e, e
    assert json.loads(p.stdout)["result"] == "refused"
    env.unchanged(snap)


def test_signature_from_the_future_says_when(env):
    created = int(now()) + 3 * 3600 + 600
    env.publish(1, created=created, expires=created + 7 * DAY)
    e = err(env.install(check=1))
    # Seconds pass between signing and the check: 2 or 3 hours ahead.
    assert re.search(rf"signature created {re.escape(iso(created))} "
                     r"\(in [23] hours\), in the future: check this "
                     r"machine's clock", e), e


# --- 2. every suggested command is complete and runnable ---------------------

def suggestion(out, path):
    """The command status suggests for path, as argv (the program
    under test in place of "cabundle")."""
    lines = [x for x in out.splitlines()
             if x.startswith(f"{path}: to put it back, run: ")]
    assert len(lines) == 1, out
    argv = shlex.split(lines[0].split(", run: ", 1)[1])
    assert argv[:2] == ["cabundle", "install"], argv
    return [CABUNDLE, *argv[1:]]


def status(*args, check):
    return run(CABUNDLE, "status", *args, check=check, env=NOPROXY)


def test_status_suggests_a_command_that_puts_the_file_back(env):
    env.publish(1)
    env.installed(1)
    t = env.targets[0]
    t.write_bytes(ORIGINAL)     # as "pip install -U certifi" would
    p = status("--config", env.conf, "--state", env.state, check=1)
    out = p.stdout.decode()
    assert f"{t}: CHANGED" in out
    argv = suggestion(out, t)
    # The key it needs, the target and the state: nothing to fill in.
    assert "--key" in argv and env.keys.k1.rw in argv, argv
    assert argv[argv.index("--output") + 1] == str(t)
    assert argv[argv.index("--state") + 1] == str(env.state)
    # Run as printed, it works, and status is content again.
    r = run(*argv, check=0, env=NOPROXY)
    assert f"{t}: installed org version 1" in r.stdout.decode()
    assert t.read_bytes() == body_of(1)
    status("--config", env.conf, "--state", env.state, check=0)


def test_status_suggestion_from_the_configuration(env, tmp_path):
    """When the configuration names mirror, key and profile, the
    suggestion is the short command that reads it."""
    t = env.targets[0]
    conf = tmp_path / "cabundle.conf"
    conf.write_text(f"from = {env.url}\nkey = {env.keys.k1.rw}\n"
                    f"profile = org\noutput = {t}\nstate = {env.state}\n")
    conf.chmod(0o600)
    env.publish(1)
    run(CABUNDLE, "install", "--config", conf, check=0, env=NOPROXY)
    t.write_bytes(ORIGINAL)
    out = status("--config", conf, check=1).stdout.decode()
    argv = suggestion(out, t)
    assert argv[1:] == ["install", "--config", str(conf), "--output",
                        str(t), "--state", str(env.state)], argv
    run(*argv, check=0, env=NOPROXY)
    assert t.read_bytes() == body_of(1)
    status("--config", conf, check=0)


def test_status_suggestion_for_a_certifi_and_json(env, tmp_path):
    py, cacert = make_python(tmp_path)
    env.publish(1)
    run(CABUNDLE, "install", "--config", env.conf, "--from", env.url,
        "--key", env.keys.k1.pub, "--profile", "org", "--python", py,
        "--state", env.state, check=0, env=NOPROXY)
    cacert.write_bytes(ORIGINAL)
    p = status("--config", env.conf, "--state", env.state, "--json",
               check=1)
    row = json.loads(p.stdout)[0]
    assert row["holds"] is False and "--python" in row["reinstall"]
    out = status("--config", env.conf, "--state", env.state,
                 check=1).stdout.decode()
    argv = suggestion(out, cacert)
    assert shlex.join(["cabundle", *argv[1:]]) == row["reinstall"]
    assert argv[argv.index("--python") + 1] == str(py)
    run(*argv, check=0, env=NOPROXY)
    assert cacert.read_bytes() == body_of(1)


# --- 3. a profile the mirror does not have ------------------------------------

def test_unknown_profile_names_the_ones_the_mirror_has(served, tmp_path):
    state = tmp_path / "state.json"
    out = tmp_path / "out.pem"
    p = client_install(served, "--profile", "nosuch", "--output", out,
                       "--state", state, check=1, env=NOPROXY)
    e = err(p)
    names = [x["name"] for x in served.get("/v1/profiles").json()]
    assert "org" in names
    assert (f"the mirror has no profile 'nosuch'; it has: "
            f"{', '.join(names)}") in e, e
    assert "no unsigned install" not in e, e
    assert not out.exists() and not state.exists()


def test_absent_signature_without_a_profile_list(env):
    """A mirror that does not answer /v1/profiles (an old export): the
    message still says what the 404 means."""
    env.publish(1)
    p = run(*[a if a != "org" else "nosuch" for a in env.args()],
            check=1, env=NOPROXY)
    e = err(p)
    assert ("HTTP status 404; the mirror has no signature for profile "
            "'nosuch': no such profile there, or no release of it yet") in e
    assert "missing or bad signature" not in e, e


# --- 4. TLS refused (1) apart from unreachable (3) ----------------------------

def test_tls_verification_failure_is_a_refusal(env, https_site):
    """A server whose certificate the system does not trust answered:
    exit 1 with a message saying so, never 3 (retried forever)."""
    snap = env.snapshot()
    p = env.install(url=https_site.rstrip("/"), check=1)
    e = err(p)
    assert "the mirror answered but its TLS certificate did not verify" \
        in e, e
    assert "--cacert FILE" in e and "unreachable" not in e, e
    out = json.loads(p.stdout)
    assert (out["result"], out["exit"]) == ("refused", 1)
    env.unchanged(snap)


def test_unreachable_mirror_stays_exit_3(env):
    p = env.install(url=f"http://127.0.0.1:{free_port()}", check=3)
    assert "unreachable: " in err(p)
    assert json.loads(p.stdout)["result"] == "unreachable"


# --- 5. restore and a target changed since the install ------------------------

def test_restore_refuses_a_changed_target_unless_forced(env):
    env.publish(1)
    env.installed(1)
    t, other = env.targets
    upgraded = b"# pip upgraded certifi\n" + body_of(2)
    t.write_bytes(upgraded)
    state = env.state.read_bytes()
    p = run(CABUNDLE, "restore", "--config", env.conf, "--state", env.state,
            t, check=1)
    e = err(p)
    assert f"{t}: changed since cabundle installed it" in e, e
    assert f"cabundle restore --force {t}" in e, e
    # Nothing changed: the upgrade, the backup, the state.
    assert t.read_bytes() == upgraded
    assert pathlib.Path(f"{t}-backup").read_bytes() == ORIGINAL
    assert env.state.read_bytes() == state
    # Without FILE: the unchanged target is restored, this one is not.
    p = run(CABUNDLE, "restore", "--config", env.conf, "--state", env.state,
            check=1)
    assert other.read_bytes() == ORIGINAL and t.read_bytes() == upgraded
    # --force: the original back, and the state forgets it.
    p = run(CABUNDLE, "restore", "--force", "--config", env.conf,
            "--state", env.state, t, check=0)
    assert f"{t}: restored from {t}-backup" in p.stdout.decode()
    assert t.read_bytes() == ORIGINAL
    assert json.loads(env.state.read_text())["targets"] == []


def test_restore_never_removes_a_new_file_it_did_not_write(env, tmp_path):
    """A target that did not exist before: restore removes it only when
    it holds what was installed; not even --force deletes another's."""
    new = tmp_path / "new" / "cacert.pem"
    new.parent.mkdir()
    env.publish(1)
    env.installed(1, targets=[new])
    new.write_bytes(b"edited\n")
    for force in ([], ["--force"]):
        e = err(run(CABUNDLE, "restore", *force, "--config", env.conf,
                    "--state", env.state, check=1))
        assert f"{new}: not the bundle cabundle installed there any more" \
            in e and "left in place" in e, e
        assert new.read_bytes() == b"edited\n"
    new.write_bytes(body_of(1))
    p = run(CABUNDLE, "restore", "--config", env.conf, "--state",
            env.state, check=0)
    assert f"{new}: removed (there was no file before)" in p.stdout.decode()
    assert not new.exists()


# --- 6. --version --------------------------------------------------------------

def test_version_is_the_makefiles():
    m = re.search(r"^VERSION\s*=\s*(\S+)$",
                  (ROOT / "Makefile").read_text(), re.M)
    p = run(CABUNDLE, "--version", check=0)
    assert p.stdout.decode() == f"cabundle {m.group(1)}\n"
    assert p.stderr == b""
    run(CABUNDLE, "--version", "extra", check=2)


# --- 7. usage errors say what is missing --------------------------------------

@pytest.mark.parametrize("drop,want", [
    ("--key", "install: --key KEY (or --root ROOTKEY) is required"),
    ("--from", "install: --from URL is required"),
    ("--profile", "install: --profile NAME is required"),
])
def test_install_usage_names_what_is_missing(env, drop, want):
    a = env.args()
    i = a.index(drop)
    p = run(*a[:i], *a[i + 2:], check=2)
    assert want in err(p), err(p)
    assert f"in {env.conf}" in err(p)


def test_install_usage_names_a_stray_argument(env):
    p = run(*env.args(), "stray.pem", check=2)
    assert "install: stray.pem: unexpected argument" in err(p)


def test_verify_usage_names_what_is_missing(tmp_path):
    e = err(run(CABUNDLE, "verify", tmp_path / "x.pem", check=2))
    assert "verify: --key KEY is required" in e
    e = err(run(CABUNDLE, "verify", "--key",
                FIXTURES / "vectors" / "test.pub", check=2))
    assert "verify: FILE, the bundle to verify, is required" in e


def client_forms(cmd):
    """The long options "cabundle CMD --help" writes with a value."""
    text = run(CABUNDLE, cmd, "--help", check=0).stdout.decode()
    return re.findall(r"[\[(| ](--[a-z-]+) [A-Z]", " " + text)


@pytest.mark.parametrize("cmd", ["install", "status", "restore", "verify",
                                 "doctor"])
def test_getopt_names_program_and_command(cmd):
    """getopt_long(3)'s own messages start with "cabundle COMMAND", so a
    log says which program refused the line; the usage follows, nothing
    goes to standard output, exit 2."""
    opts = sorted(set(client_forms(cmd)))
    assert opts, cmd
    cases = [(["--no-such-option"],
              "unrecognized option '--no-such-option'")]
    cases += [([o], f"option '{o}' requires an argument") for o in opts]
    for args, want in cases:
        p = run(CABUNDLE, cmd, *args, check=2)
        assert p.stdout == b""
        lines = err(p).splitlines()
        assert lines[0] == f"cabundle {cmd}: {want}", lines
        assert lines[1].startswith(f"usage: cabundle {cmd} "), lines


# --- 8. what the docs say is what happens --------------------------------------

def test_the_lock_file_is_the_documented_one(env):
    env.publish(1)
    env.installed(1)
    assert pathlib.Path(f"{env.state}.lock").is_file()
    page = (ROOT / "man" / "cabundle.1").read_text()
    assert "state.json.lock" in page


def test_debian_pips_patched_certifi_is_refused_saying_what_to_do(env,
                                                                    tmp_path):
    """Debian's python3-pip vendors a certifi whose where() returns the
    system store: refused (exit 4, nothing installed), saying to drop
    --pip or use --system; cabundle.conf.example says the same."""
    py, cacert = make_python(tmp_path)
    vend = py.parent / "lib" / "pip" / "_vendor"
    (vend / "certifi").mkdir(parents=True)
    (vend.parent / "__init__.py").write_text("")
    (vend / "__init__.py").write_text("")
    (vend / "certifi" / "__init__.py").write_text(CERTIFI_INIT)
    (vend / "certifi" / "core.py").write_text(
        "def where():\n    return '/etc/ssl/certs/ca-certificates.crt'\n")
    assert CERTIFI_CORE not in (vend / "certifi" / "core.py").read_text()
    env.publish(1)
    before = cacert.read_bytes()
    p = run(CABUNDLE, "install", "--config", env.conf, "--from", env.url,
            "--key", env.keys.k1.pub, "--profile", "org", "--python", py,
            "--pip", "--state", env.state, check=4, env=NOPROXY)
    e = err(p)
    assert "pip's vendored certifi" in e and "Debian's python3-pip" in e, e
    assert "drop --pip (pip = no)" in e and "--system" in e, e
    assert cacert.read_bytes() == before and not env.state.exists()
    example = (ROOT / "contrib" / "systemd" /
               "cabundle.conf.example").read_text()
    assert "python3-pip" in example and "refused" in example
