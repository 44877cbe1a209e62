"""cabundle install --then COMMAND: a command run after a change was
installed, never when nothing changed or after a refusal.

The checker is the hook itself: a real shell script that records, one
JSON line per run, the arguments it was given, its environment and its
standard input, as a service's reload script would see them.  Then: no
shell (";" and "$(...)" reach the program as words), "sh:" for one, the
timeout that kills the whole process group, a failing command (exit 6,
the release stays), and root refusing a program another user could
have changed."""
import json
import os
import pathlib
import time

import pytest

from conftest import NOPROXY, body_of, run, sha256

# Records argv, environment and stdin as one JSON line in $LOG's file.
RECORDER = """#!/bin/sh
exec /usr/bin/python3 -S -c '
import json, os, sys
rec = {"argv": sys.argv[1:], "env": dict(os.environ),
       "stdin": sys.stdin.read()}
open("%s", "a").write(json.dumps(rec) + "\\n")
' "$@"
"""


def recorder(tmp_path, name="hook"):
    """A hook script and the file it appends to."""
    log = tmp_path / f"{name}.log"
    hook = tmp_path / "bin" / name
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(RECORDER % str(log))
    hook.chmod(0o755)
    return hook, log


def runs(log):
    if not log.exists():
        return []
    return [json.loads(x) for x in log.read_text().splitlines()]


def script(tmp_path, name, body):
    p = tmp_path / "bin" / name
    p.parent.mkdir(exist_ok=True)
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return p


def install(env, *extra, check=None):
    """env's install (--json, two --output targets) with extra args."""
    return run(*env.args(), *extra, check=check, env=NOPROXY)


def test_then_runs_once_after_an_install_with_what_changed(env, tmp_path):
    hook, log = recorder(tmp_path)
    env.publish(1)
    p = install(env, "--then", f"{hook} reload 'two words'", check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed"
    assert out["hooks"] == [{"command": f"{hook} reload 'two words'",
                             "exit": 0, "signal": None,
                             "timed_out": False}]
    [r] = runs(log)
    assert r["argv"] == ["reload", "two words"]
    e = r["env"]
    assert e["CABUNDLE_PROFILE"] == "org"
    assert e["CABUNDLE_VERSION"] == "1"
    assert e["CABUNDLE_SHA256"] == sha256(env.targets[0])
    assert e["CABUNDLE_TARGETS"].split("\n") == [str(t) for t in
                                                 env.targets]
    assert e["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:" \
        "/usr/bin:/sbin:/bin"
    # Nothing inherited: not our LD_PRELOAD (TEST_DATE runs set one),
    # not our HOME or proxy settings.
    assert not [k for k in e if k.startswith("LD_")], e
    assert "HOME" not in e and "PYTHONPATH" not in e
    assert r["stdin"] == ""
    assert all(t.read_bytes() == body_of(1) for t in env.targets)

    # The same release again: nothing changed, nothing run.
    p = install(env, "--then", f"{hook} reload 'two words'", check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "current" and "hooks" not in out
    assert len(runs(log)) == 1

    # A refused release (a key not trusted): nothing run either.
    env.publish(2, key=env.keys.k2)
    snap = env.snapshot()
    p = install(env, "--then", f"{hook} reload 'two words'", check=1)
    assert json.loads(p.stdout)["result"] == "refused"
    env.unchanged(snap)
    assert len(runs(log)) == 1

    # A newer release: run again, told the new version.
    env.publish(3)
    install(env, "--then", str(hook), check=0)
    assert [r["env"]["CABUNDLE_VERSION"] for r in runs(log)] == ["1", "3"]


def test_then_from_the_configuration_file_in_order(env, tmp_path):
    """then = lines are repeatable and run in the order given; the
    first --then on the command line replaces the file's list."""
    a, alog = recorder(tmp_path, "a")
    b, blog = recorder(tmp_path, "b")
    order = tmp_path / "order"
    first = script(tmp_path, "first", f"echo first >> {order}\n")
    second = script(tmp_path, "second", f"echo second >> {order}\n")
    env.conf.write_text(f"then = {first}\nthen = {second}\n"
                        f"then = {a} from-file\n")
    env.publish(1)
    install(env, check=0)
    assert order.read_text() == "first\nsecond\n"
    assert [r["argv"] for r in runs(alog)] == [["from-file"]]
    env.publish(2)
    install(env, "--then", str(b), check=0)
    assert len(runs(alog)) == 1 and len(runs(blog)) == 1
    assert order.read_text() == "first\nsecond\n"


def test_then_has_no_shell_unless_asked(env, tmp_path):
    hook, log = recorder(tmp_path)
    marker = tmp_path / "shell-ran"
    env.publish(1)
    cmd = f"{hook} a;b $(touch {marker}) `touch {marker}` * $HOME \\'q\\'"
    out = json.loads(install(env, "--then", cmd, check=0).stdout)
    assert out["hooks"][0]["exit"] == 0
    [r] = runs(log)
    assert r["argv"] == ["a;b", "$(touch", f"{marker})", "`touch",
                         f"{marker}`", "*", "$HOME", "'q'"]
    assert not marker.exists(), "a shell ran the command"

    # sh: asks for /bin/sh -c, with the same environment.
    env.publish(2)
    shout = tmp_path / "sh.out"
    install(env, "--then",
            f"sh:echo $CABUNDLE_VERSION; touch {marker} > {shout}",
            check=0)
    assert marker.exists()


@pytest.mark.parametrize("cmd,why", [
    ("bin/reload", "the program must be an absolute path"),
    ("reload", "the program must be an absolute path"),
    ("/bin/true 'open", "a quote is not closed"),
    ("/bin/true end\\", "a backslash at the end"),
    ("   ", "no command"),
    ("sh:  ", "no command after sh:"),
])
def test_then_that_cannot_be_split_is_a_usage_error(env, cmd, why):
    env.publish(1)
    snap = env.snapshot()
    p = install(env, "--then", cmd, check=2)
    assert why.encode() in p.stderr
    env.unchanged(snap)


def test_then_timeout_kills_the_group_and_exits_6(env, tmp_path):
    pids = tmp_path / "pids"
    slow = script(tmp_path, "slow", f"sleep 300 &\necho $! > {pids}\n"
                  "sleep 300\n")
    env.publish(1)
    t0 = time.monotonic()
    p = install(env, "--then", str(slow), "--then-timeout", "1", check=6)
    assert time.monotonic() - t0 < 20
    out = json.loads(p.stdout)
    assert out["result"] == "installed" and out["exit"] == 6
    assert out["hooks"] == [{"command": str(slow), "exit": None,
                             "signal": 9, "timed_out": True}]
    assert b"killed after 1 seconds" in p.stderr
    # The release stays: no rollback for a failed command.
    assert all(t.read_bytes() == body_of(1) for t in env.targets)
    # The background child went with its group.
    child = int(pids.read_text())
    for _ in range(100):
        stat = pathlib.Path(f"/proc/{child}/stat")
        if not stat.exists() or stat.read_text().split()[2] == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("the hook's child survived the timeout")


def test_then_failure_exits_6_keeps_the_release_and_runs_the_rest(
        env, tmp_path):
    bad = script(tmp_path, "bad", "echo reload failed >&2\nexit 3\n")
    hook, log = recorder(tmp_path)
    env.publish(1)
    p = install(env, "--then", str(bad), "--then", str(hook), check=6)
    out = json.loads(p.stdout)
    assert out["result"] == "installed" and out["exit"] == 6
    assert [(h["exit"], h["timed_out"]) for h in out["hooks"]] == \
        [(3, False), (0, False)]
    assert b"reload failed" in p.stderr
    assert f"then: {bad}: exit status 3".encode() in p.stderr
    assert len(runs(log)) == 1, "a failing command stopped the next one"
    assert all(t.read_bytes() == body_of(1) for t in env.targets)
    # Recorded as installed: the next run is current and runs nothing.
    out = json.loads(install(env, "--then", str(bad), check=0).stdout)
    assert out["result"] == "current" and "hooks" not in out


def test_then_without_json_reports_on_stderr(env, tmp_path):
    bad = script(tmp_path, "bad", "kill -TERM $$\n")
    env.publish(1)
    args = [a for a in env.args() if a != "--json"]
    p = run(*args, "--then", str(bad), check=6, env=NOPROXY)
    assert f"then: {bad}: killed by signal 15".encode() in p.stderr
    assert b"installed org version 1" in p.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize("how", ["dir", "file", "owner"])
def test_root_refuses_a_hook_another_user_could_change(env, tmp_path, how):
    shared = tmp_path / "shared"
    shared.mkdir()
    marker = tmp_path / "ran"
    hook = shared / "reload"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    if how == "dir":
        shared.chmod(0o777)
    elif how == "file":
        hook.chmod(0o777)
    else:
        os.chown(hook, 65534, 65534)
    env.publish(1)
    snap = env.snapshot()
    p = install(env, "--then", str(hook), check=2)
    assert b"refusing to run it as root" in p.stderr or \
        b"refusing to write as root there" in p.stderr
    assert f"--then {hook}: not run as root".encode() in p.stderr
    env.unchanged(snap)
    assert not marker.exists()
