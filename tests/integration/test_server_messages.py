"""What cabundled says to a person (issue 23, "Messages"): --version
from the Makefile's one VERSION; lines for what was not published only
with -v, never repeated; times as ISO 8601 UTC; usage errors that name
what is missing or left over.  Each test asserts the text a user sees
and the exit code.

The usage-error cases are read from the program's own --help (every
form of every command), so a form added to server/main.c's table is
checked without a change here.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import (CABUNDLED, DAY, FIXTURES, ROOT, Mirror, approve,
                      clock_env, now, run, upstream)

VERSION = re.search(r"^VERSION\s*=\s*(\S+)\s*$",
                    (ROOT / "Makefile").read_text(), re.M)[1]
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
# Epoch seconds of this century, as a person should never read them.
EPOCH = re.compile(rb"(?<![\w.-])1[0-9]{9}(?![\w.])")
NOT_DONE = ("nothing to publish", "no longer renewed", "nothing relayed",
            "nothing carried")


# --- --version ---------------------------------------------------------------

def test_version_is_the_makefiles():
    p = run(CABUNDLED, "--version", check=0)
    assert p.stdout == f"cabundled {VERSION}\n".encode()
    assert p.stderr == b""
    # Nothing else is read: not even a configuration that is missing.
    p = run(CABUNDLED, "-c", "/nonexistent/cabundled.conf", "--version",
            check=0)
    assert p.stdout == f"cabundled {VERSION}\n".encode()
    assert b"--version" in run(CABUNDLED, "--help", check=0).stdout


# --- -v: what was not done ---------------------------------------------------

def profiles(m):
    return [p["name"] for p in m.json("profile", "list", "--json")]


def not_done_lines(text):
    return [ln for ln in text.decode().splitlines()
            if any(w in ln for w in NOT_DONE)]


def test_nothing_to_publish_only_with_v(mirror):
    """A fresh mirror: three profiles, no certificates anywhere."""
    p = mirror("publish", check=0)
    assert p.stdout == b"" and p.stderr == b""
    p = run(CABUNDLED, "-v", "-d", mirror.datadir, "publish", check=0)
    lines = not_done_lines(p.stdout)
    assert sorted(lines) == sorted(
        f"{name}: no certificates yet; nothing to publish"
        for name in profiles(mirror)), p.stdout
    assert len(profiles(mirror)) == 3


def test_failed_fetch_says_it_once(mirror):
    """The issue's case: one failed fetch printed each empty profile's
    line, and every later command again."""
    mirror.overrides = ["upstream.url=https://127.0.0.1:1/cacert.pem",
                        "upstream.retries=0"]
    p = mirror("fetch", check=3)
    assert p.stdout == b"", p.stdout
    err = p.stderr.decode()
    assert err.count("https://127.0.0.1:1/cacert.pem") == 1, err
    assert not not_done_lines(p.stderr)
    p = mirror("-v", "fetch", check=3)
    lines = not_done_lines(p.stdout)
    assert len(lines) == len(set(lines)) == len(profiles(mirror)), lines
    # The next command says only what it does.
    p = mirror("snapshots", check=0)
    assert not not_done_lines(p.stdout + p.stderr)


def test_published_profiles_still_say_so(good):
    """Releases are what a command did: printed without -v."""
    p = good("publish", "--resign", check=0)
    out = p.stdout.decode()
    assert re.search(rf"^org: version 2 .* expires {ISO}$", out, re.M), out
    assert not not_done_lines(p.stdout)
    p = good("-v", "publish", check=0)
    assert not_done_lines(p.stdout) == [
        "org-only: no certificates yet; nothing to publish"]


# --- ISO 8601 UTC ------------------------------------------------------------

def test_text_output_has_no_epoch_seconds(good, tmp_path):
    """Every text listing a person reads; --json keeps integers."""
    for args in (["snapshots"], ["report", "1"], ["history", "org"],
                 ["audit"], ["key", "show"], ["org", "list"],
                 ["exclude", "list"], ["profile", "list"],
                 ["diff", "org", "1", "1"], ["publish", "--resign"]):
        p = good(*args, check=0)
        assert not EPOCH.search(p.stdout + p.stderr), \
            (args, EPOCH.search(p.stdout + p.stderr))
    audit = good("audit", check=0).stdout.decode()
    assert re.search(rf'"expires":"{ISO}"', audit), audit
    rows = good.json("audit", "--json")
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    assert any(isinstance((r.get("details") or {}).get("expires"), int)
               for r in rows if r["action"] == "release"), rows


def root_key(d):
    d.mkdir()
    out = run(CABUNDLED, "root", "init", d, check=0).stdout
    kid = re.search(rb"root key ([0-9A-F]{16})", out)[1].decode()
    return d / f"root-{kid}.key", d / f"root-{kid}.pub"


def test_key_list_times_are_iso(good, tmp_path):
    sec, pub = root_key(tmp_path / "offline")
    lst = tmp_path / "keys"
    run(CABUNDLED, "root", "sign", "--secret", sec, "-o", lst,
        "--version", "1", "--expires-days", "30", "--active",
        good.pubfile(), check=0)
    p = good("key", "import-list", "--root", pub, lst, check=0)
    want = now() + 30 * DAY
    m = re.fullmatch(rf"key list version 1 imported \(expires ({ISO}), "
                     rf"1 keys\)\n", p.stdout.decode())
    assert m, p.stdout
    got = subprocess.run(["date", "-u", "-d", m[1], "+%s"],
                         capture_output=True, check=True).stdout
    assert abs(int(got) - want) < 600, (m[1], want)
    assert not EPOCH.search(p.stdout + p.stderr)


def test_expired_key_list_says_when(good, tmp_path):
    sec, pub = root_key(tmp_path / "offline")
    lst = tmp_path / "keys"
    made = int(now()) - 40 * DAY
    run(CABUNDLED, "root", "sign", "--secret", sec, "-o", lst,
        "--version", "1", "--expires-days", "30", "--active",
        good.pubfile(), check=0, env=clock_env(at=made))
    p = good("key", "import-list", "--root", pub, lst, check=1)
    err = p.stderr.decode()
    assert re.search(rf"key list version 1 expired at {ISO} \(10 days "
                     r"ago\): the root key holders must sign a new one",
                     err), err
    assert not EPOCH.search(p.stderr)


# --- usage errors ------------------------------------------------------------

def commands():
    text = run(CABUNDLED, "--help", check=0).stdout.decode()
    return re.findall(r"^\tcabundled ([a-z][a-z-]*)", text, re.M)


def forms(cmd):
    """Every form "cabundled CMD --help" prints, as word lists."""
    text = run(CABUNDLED, cmd, "--help", check=0).stdout.decode()
    out = []
    for line in text.splitlines():
        m = re.match(r"^(?:usage: |       )cabundled (.*)$", line)
        if m:
            out.append(m[1].split())
        else:
            out[-1] += line.split()
    return out


def parse(words):
    """(sub, required [(option, VALUE or None)], positionals, optional
    positional words) of one form."""
    sub, need, pos, depth, i = None, [], [], 0, 1
    while i < len(words):
        w = words[i]
        d0 = depth + len(w) - len(w.lstrip("["))
        core = w.strip("[]|.")
        depth = d0 - w.rstrip(".").count("]")
        i += 1
        if not core:
            continue
        if core.startswith("-"):
            val = None
            nxt = words[i].strip("[]|.") if i < len(words) else ""
            if not w.rstrip(".").endswith("]") and nxt[:1].isupper():
                val = nxt
                depth -= words[i].rstrip(".").count("]")
                i += 1
            if d0 == 0:
                need.append((core, val))
        elif d0 == 0 and i == 2 and not core[0].isupper():
            sub = core.split("|")[0]  # "edit|set": either spelling
        elif d0 == 0:
            pos.append(core)
    return sub, need, pos


VALUES = {"TEXT": "why", "NAME": "nm", "ID": "1", "WHO": "w", "TAG": "t",
          "FINGERPRINT": "ab" * 32, "PROFILE": "org", "A": "1", "B": "2",
          "POLICY": "keep", "N": "1", "D": "1", "K": "1",
          "FILE": str(FIXTURES / "vectors" / "bundle.pem"),
          "PUB": str(FIXTURES / "vectors" / "test.pub")}


def value(word, tmp_path):
    return VALUES.get(word, str(tmp_path / word.lower()))


def usage_cases():
    for cmd in commands():
        for words in forms(cmd):
            sub, need, pos = parse(words)
            name = cmd + (" " + sub if sub else "")
            for j, (opt, val) in enumerate(need):
                yield pytest.param(cmd, sub, need, pos, j, None,
                                   id=f"{name} without {opt}")
            for k in range(len(pos)):
                yield pytest.param(cmd, sub, need, pos, None, k,
                                   id=f"{name} with {k} argument(s)")


def usage_line(tmp_path, cmd, sub, need, pos, drop_opt, keep_pos):
    line = [cmd] + ([sub] if sub else [])
    for j, (opt, val) in enumerate(need):
        if j != drop_opt:
            line += [opt] + ([value(val, tmp_path)] if val else [])
    n = len(pos) if keep_pos is None else keep_pos
    return line + [value(p, tmp_path) for p in pos[:n]]


def said(word, val):
    return word + (" " + val if val else "")


@pytest.mark.parametrize("cmd,sub,need,pos,drop_opt,keep_pos",
                         usage_cases())
def test_usage_error_names_what_is_missing(tmp_path, cmd, sub, need, pos,
                                           drop_opt, keep_pos):
    line = usage_line(tmp_path, cmd, sub, need, pos, drop_opt, keep_pos)
    p = run(CABUNDLED, "-d", tmp_path / "none", *line, check=2)
    assert p.stdout == b""
    first, second = p.stderr.decode().splitlines()[:2]
    name = cmd + (" " + sub if sub else "")
    missing = ([said(*need[drop_opt])] if drop_opt is not None
               else pos[keep_pos:])
    assert first.startswith(f"cabundled: {name}: "), first
    assert re.search(r" (is|are) required( \(.*\))?$", first), first
    for w in missing:
        assert w in first, (w, first)
    assert second.startswith("usage: cabundled "), second


@pytest.mark.parametrize("cmd", commands())
def test_usage_error_names_what_is_left_over(tmp_path, cmd):
    """Each form, complete, with one argument too many."""
    for words in forms(cmd):
        sub, need, pos = parse(words)
        if any(w.endswith("...") and w.strip("[].").isupper()
               for w in words[1:] if not w.startswith("-")) and pos:
            continue            # takes any number of arguments
        line = usage_line(tmp_path, cmd, sub, need, pos, None, None)
        p = run(CABUNDLED, "-d", tmp_path / "none", *line, "left-over",
                check=2)
        first = p.stderr.decode().splitlines()[0]
        name = cmd + (" " + sub if sub else "")
        assert first == f"cabundled: {name}: left-over: unexpected " \
            "argument", first


def test_approve_without_reason():
    """The issue's words."""
    p = run(CABUNDLED, "-d", "/nonexistent", "approve", "3", check=2)
    assert p.stdout == b""
    assert p.stderr.decode().splitlines() == [
        "cabundled: approve: --reason TEXT is required (why you accept "
        "this snapshot)",
        "usage: cabundled approve [--allow-rollback] --reason TEXT [--actor NAME] ID"]


@pytest.mark.parametrize("cmd", ["org", "exclude", "profile", "key",
                                 "root"])
def test_subcommand_missing_or_unknown(cmd):
    subs = sorted({parse(w)[0] for w in forms(cmd)})
    for args in ([], ["frob"]):
        p = run(CABUNDLED, "-d", "/nonexistent", cmd, *args, check=2)
        first = p.stderr.decode().splitlines()[0]
        assert first.startswith(f"cabundled: {cmd}: " +
                                ("frob: unknown; " if args else "")), first
        assert first.endswith(" is required"), first
        assert all(s in first for s in subs), (subs, first)


def value_options(words):
    """The long options of one form that take a value, needed or not."""
    out = []
    for w, nxt in zip(words[1:], words[2:] + [""]):
        core, val = w.strip("[]|.("), nxt.strip("[]|.()")
        if core.startswith("--") and val[:1].isupper() and \
                not w.rstrip(".").endswith("]"):
            out.append(core)
    return out


def getopt_cases():
    for cmd in commands():
        for words in forms(cmd):
            sub, need, pos = parse(words)
            if (cmd, sub) == ("root", "init"):
                continue        # root init DIR: no options to read
            yield pytest.param(cmd, sub, need, pos, value_options(words),
                               id=cmd + (" " + sub if sub else ""))


def getopt_said(tmp_path, line, name, want):
    """The first line getopt_long(3) prints, then the usage kept."""
    p = run(CABUNDLED, "-d", tmp_path / "none", *line, check=2)
    assert p.stdout == b""
    lines = p.stderr.decode().splitlines()
    assert lines[0] == f"cabundled {name}: {want}", lines
    assert lines[1].startswith(f"usage: cabundled {name.split()[0]} "), \
        lines


@pytest.mark.parametrize("cmd,sub,need,pos,opts", getopt_cases())
def test_getopt_names_program_and_command(tmp_path, cmd, sub, need, pos,
                                          opts):
    """getopt_long(3)'s own messages start with "cabundled COMMAND", so a
    log says which program and command refused the line: an option
    whose value is missing (each one the form writes with a value) and
    an option no command has, added to a complete line."""
    name = cmd + (" " + sub if sub else "")
    line = usage_line(tmp_path, cmd, sub, need, pos, None, None)
    getopt_said(tmp_path, line + ["--no-such-option"], name,
                "unrecognized option '--no-such-option'")
    for opt in opts:
        getopt_said(tmp_path, line + [opt], name,
                    f"option '{opt}' requires an argument")


def test_empty_reason_says_so(tmp_path):
    p = run(CABUNDLED, "-d", tmp_path / "none", "approve", "--reason", "",
            "1", check=2)
    assert b"--reason: want 1 to 1024 bytes" in p.stderr


# --- make run: the first snapshot is approved, in the audit log -------------

def test_quickstart_first_contact_is_an_approve_row(tmp_path):
    """README: make run's first snapshot is approved as actor make-run.
    Offline (the upstream refused here), it imports the machine's
    bundle; either way an approve row records the decision.  serve is
    left out: the wrapper stops there."""
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if not os.path.exists(bundle):
        pytest.fail(f"{bundle} is missing: apt-get install ca-certificates")
    wrap = tmp_path / "cabundled"
    wrap.write_text("#!/bin/sh\n"
                    'for a; do [ "$a" = serve ] && exit 0; done\n'
                    f'exec {CABUNDLED} -o upstream.url='
                    'https://127.0.0.1:1/cacert.pem "$@"\n')
    wrap.chmod(0o755)
    data = tmp_path / "data"
    env = dict(os.environ, CABUNDLED=str(wrap), DATA=str(data),
               PYTHON=shutil.which("python3") or "/usr/bin/python3")
    p = subprocess.run(["sh", ROOT / "contrib" / "quickstart.sh"],
                       capture_output=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr.decode()
    m = Mirror(data)
    rows = m.json("audit", "--json")
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    ok = [r for r in rows if r["action"] == "approve"]
    assert len(ok) == 1 and ok[0]["actor"] == "make-run", rows
    assert m.accepted()["source"] == f"file:{bundle}"
    assert b"approving snapshot 1" in p.stdout
