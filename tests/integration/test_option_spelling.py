"""Every long option of both programs, as the manual pages list them,
accepts "--opt VALUE" and "--opt=VALUE" alike, and nothing is silently
ignored (issue 18): "--flag=VALUE" for an option that takes no value,
or an option the command does not know, is a usage error (exit 2).

The pages are read as mdoc source: a command is an item of the first
list of DESCRIPTION whose head names it with Cm (two words for "org
add"); its options are the "Fl \\-name" of its head and body, taking a
value when "Ar" follows, except on lines that name another command
(cross-references).  The same reading as test_manpages.py, written
again here (tests import only from conftest).

Each command runs where it fails or finishes the same way every time:
cabundled against a data directory that does not exist (init against
a fresh one), cabundle against a mirror that is a missing file:///
tree, with --state and an empty --config so the machine's own files
are never read or written.  Both spellings must give the same exit
status, standard output and standard error.
"""
import json
import pathlib
import re

import pytest

from conftest import CABUNDLE, CABUNDLED, FIXTURES, run

MAN = pathlib.Path(__file__).resolve().parents[2] / "man"


def page_options(page):
    """{command: {option: takes_value}} from a page's DESCRIPTION."""
    lines = page.read_text().splitlines()
    items, section, depth, cur, head = [], None, 0, None, None
    for line in lines:
        if not line.startswith("."):
            continue
        words = line[1:].split()
        if not words:
            continue
        if words[0] == "Sh":
            section, cur = " ".join(words[1:]), None
            continue
        if section != "DESCRIPTION":
            continue
        if head is not None:            # inside .It Xo ... .Xc
            if words[0] == "Xc":
                head = None
                continue
            if cur is None and words[0] == "Cm":
                cur = " ".join(w for w in words[1:3] if re.fullmatch(
                    r"[a-z][a-z-]*", w))
                items.append((cur, []))
            if cur is not None:
                items[-1][1].append(words)
            continue
        if words[0] == "Bl":
            depth += 1
        elif words[0] == "El":
            depth -= 1
            if depth == 0:
                cur = None
        elif words[0] == "It" and depth == 1:
            cur = None
            if words[1:2] == ["Xo"]:
                head = words
                continue
            if words[1:2] == ["Cm"]:
                sub = [w for w in words[2:4]
                       if re.fullmatch(r"[a-z][a-z-]*", w)]
                cur = " ".join(sub)
                items.append((cur, []))
        if cur is not None:
            items[-1][1].append(words)
    tops = {c.split()[0] for c, _ in items}
    out = {}
    for cmd, body in items:
        opts = out.setdefault(cmd, {})
        for words in body:
            named = {words[j + 1] for j in range(len(words) - 1)
                     if words[j] == "Cm"}
            if (named & tops) - {cmd.split()[0]}:
                continue                # a cross-reference
            for j, w in enumerate(words[:-1]):
                if w == "Fl" and words[j + 1].startswith("\\-"):
                    name = "--" + words[j + 1][2:]
                    value = j + 2 < len(words) and words[j + 2] == "Ar"
                    opts[name] = opts.get(name, False) or value
    return out


SERVER = page_options(MAN / "cabundled.8")
CLIENT = page_options(MAN / "cabundle.1")


def test_the_pages_were_read():
    """The reading above finds what the pages hold."""
    assert {"init", "serve", "approve", "org add", "org list",
            "exclude add", "profile add", "export", "key generate"} <= \
        set(SERVER)
    assert SERVER["approve"] == {"--reason": True, "--actor": True,
                                 "--allow-rollback": False}
    assert SERVER["serve"] == {"--once": False}
    assert SERVER["org add"]["--tag"] and not SERVER["org add"][
        "--intermediate"]
    assert set(CLIENT) == {"install", "status", "restore", "verify",
                           "doctor"}
    assert CLIENT["install"]["--config"] and not CLIENT["install"]["--pip"]
    assert len(CLIENT["install"]) == 22   # 15 + --then, --then-timeout, --metrics, --java, --java-password, --system, --nssdb


# --- cabundled ---------------------------------------------------------------

# Positional arguments and required options per command: enough for its
# parser to accept the line, so the run reaches the (missing) database.
SERVER_ARGS = {
    "import": ["FILE"], "inspect": ["FILE"], "report": ["1"],
    "approve": ["--reason", "ok", "1"], "reject": ["--reason", "no", "1"],
    "org add": ["FILE"], "org remove": ["FP"],
    "exclude add": ["--reason", "r", "FP"], "exclude remove": ["FP"],
    "profile add": ["newprofile"], "history": ["org"],
    "profile set": ["--distrust-after", "keep", "org"],
    "profile edit": ["--description", "d", "org"],
    "profile remove": ["--reason", "r", "org"],
    "org edit": ["--name", "n", "FP"],
    "diff": ["org", "1", "2"], "rebuild": ["--check"], "export": ["DIR"],
    "key import-list": ["FILE"], "root init": ["DIR"],
    "root sign": ["--secret", "FILE", "-o", "DIR", "--version", "1"],
}
SERVER_VALUES = {"--tag": "tag1", "--profile": "org", "--untag": "tag2",
                 "--upstream": "yes", "--exclusions": "yes", "--org": "all",
                 "--distrust-after": "keep",
                 "--root": str(FIXTURES / "vectors" / "test.pub"),
                 "--version": "1", "--threshold": "1",
                 "--expires-days": "1", "--valid-days": "1"}


def server_cases():
    for cmd, opts in sorted(SERVER.items()):
        for opt, value in sorted(opts.items()):
            yield pytest.param(cmd, opt, value, id=f"{cmd}-{opt}")


def server_line(tmp_path, cmd, opt, value, joined):
    base = [a.replace("FILE", str(FIXTURES / "vectors" / "bundle.pem"))
            .replace("DIR", str(tmp_path / "export"))
            for a in SERVER_ARGS.get(cmd, [])]
    if opt in base:                     # the option under test replaces it
        i = base.index(opt)
        del base[i:i + 2]
    if cmd == "root sign" and opt == "--list":  # --list or --version
        i = base.index("--version")
        del base[i:i + 2]
    v = SERVER_VALUES.get(opt, "value1")
    if opt is None:
        spelt = []
    elif not value:
        spelt = [opt]
    elif joined:
        spelt = [f"{opt}={v}"]
    else:
        spelt = [opt, v]
    return [*cmd.split(), *spelt, *base]


@pytest.mark.parametrize("cmd,opt,value", server_cases())
def test_server_option_both_spellings(tmp_path, cmd, opt, value):
    if cmd == "init":
        return init_actor(tmp_path)
    d = tmp_path / "none"
    if not value:
        line = server_line(tmp_path, cmd, opt, value, False)
        i = line.index(opt)
        line[i] = f"{opt}=yes"
        p = run(CABUNDLED, "-d", d, *line, check=2)
        assert p.stdout == b"" and b"usage: " in p.stderr, line
        return
    a = run(CABUNDLED, "-d", d, *server_line(tmp_path, cmd, opt, value,
                                             False))
    b = run(CABUNDLED, "-d", d, *server_line(tmp_path, cmd, opt, value,
                                             True))
    assert (a.returncode, a.stdout, a.stderr) == \
        (b.returncode, b.stdout, b.stderr), (cmd, opt)
    assert a.returncode != 2, a.stderr


def init_actor(tmp_path):
    """init writes its actor into the audit log: both spellings do."""
    for spelt, d in ((["--actor", "ann"], tmp_path / "a"),
                     (["--actor=ann"], tmp_path / "b")):
        run(CABUNDLED, "-d", d, "init", *spelt, check=0)
        rows = json.loads(run(CABUNDLED, "-d", d, "audit", "--json",
                              check=0).stdout)
        rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
        assert [r["actor"] for r in rows] == ["ann"] * len(rows), rows


@pytest.mark.parametrize("cmd", sorted(SERVER))
def test_server_unknown_options_are_usage_errors(tmp_path, cmd):
    for bad in ("--no-such-option", "--no-such-option=1"):
        line = server_line(tmp_path, cmd, None, True, False)
        line = [*cmd.split(), bad, *line[len(cmd.split()):]]
        p = run(CABUNDLED, "-d", tmp_path / "none", *line, check=2)
        assert p.stdout == b"", line


# --- cabundle ----------------------------------------------------------------

@pytest.fixture
def client_env(tmp_path):
    e = {"tmp": tmp_path}
    e["empty"] = tmp_path / "empty.conf"
    e["empty"].write_text("")
    # A setting the file refuses: read, it is a usage error naming the
    # file; ignored, the command would go on.
    e["conf"] = tmp_path / "bad.conf"
    e["conf"].write_text("timeout = 99999\n")
    e["state"] = tmp_path / "var" / "state.json"
    return e


def client_base(e, cmd):
    vec = FIXTURES / "vectors"
    return {
        "install": {"--config": e["empty"], "--from":
                    f"file://{e['tmp']}/no-mirror", "--key": vec / "test.pub",
                    "--profile": "org", "--state": e["state"],
                    "--output": e["tmp"] / "out.pem"},
        "status": {"--config": e["empty"], "--state": e["state"]},
        "restore": {"--config": e["empty"], "--state": e["state"]},
        # A fixed --at: the vector's signature has expired, and "expired N
        # seconds ago" would differ between two runs a second apart.
        "verify": {"--key": vec / "test.pub", "--at": "1768000000"},
        "doctor": {"--python": "/nonexistent/python3"},
    }[cmd]


CLIENT_POSITIONAL = {"verify": [FIXTURES / "vectors" / "bundle.pem"]}


def client_value(e, opt):
    return {"--config": e["conf"], "--from": f"file://{e['tmp']}/other",
            "--key": FIXTURES / "vectors" / "test.pub", "--profile": "org",
            "--root": FIXTURES / "vectors" / "test.pub",
            "--state": e["tmp"] / "other" / "state.json",
            "--python": "/nonexistent/python9", "--output":
            e["tmp"] / "other.pem", "--capath": e["tmp"] / "hashed",
            "--nssdb": e["tmp"] / "nssdb",
            "--cacert": e["tmp"] / "ca.pem", "--timeout": "7",
            "--at": "1700000000", "--bundle": e["tmp"] / "bundle.pem",
            "--then": "/bin/true", "--then-timeout": "7",
            "--metrics": e["tmp"] / "cabundle.prom",
            "--java": e["tmp"] / "truststore.p12",
            "--java-password": "not-changeit"}[opt]


def client_cases():
    for cmd, opts in sorted(CLIENT.items()):
        for opt, value in sorted(opts.items()):
            if opt.startswith("--"):
                yield pytest.param(cmd, opt, value, id=f"{cmd}-{opt}")


def client_line(e, cmd, opt, value, joined):
    base = dict(client_base(e, cmd))
    base.pop(opt, None)
    if opt == "--root":                 # --key and --root exclude
        base.pop("--key", None)
    line = [cmd]
    for k, v in base.items():
        line += [k, str(v)]
    if opt is None:
        pass
    elif not value:
        line.append(opt if not joined else f"{opt}=yes")
    elif joined:
        line.append(f"{opt}={client_value(e, opt)}")
    else:
        line += [opt, str(client_value(e, opt))]
    return line + [str(x) for x in CLIENT_POSITIONAL.get(cmd, [])]


@pytest.mark.parametrize("cmd,opt,value", client_cases())
def test_client_option_both_spellings(client_env, cmd, opt, value):
    if not value:
        p = run(CABUNDLE, *client_line(client_env, cmd, opt, value, True),
                check=2)
        assert p.stdout == b"", (cmd, opt)
        return
    a = run(CABUNDLE, *client_line(client_env, cmd, opt, value, False))
    b = run(CABUNDLE, *client_line(client_env, cmd, opt, value, True))
    assert (a.returncode, a.stdout, a.stderr) == \
        (b.returncode, b.stdout, b.stderr), (cmd, opt)


@pytest.mark.parametrize("cmd", sorted(CLIENT))
def test_client_unknown_options_are_usage_errors(client_env, cmd):
    for bad in ("--no-such-option", "--no-such-option=1"):
        line = client_line(client_env, cmd, None, True, False)
        p = run(CABUNDLE, *line[:1], bad, *line[1:], check=2)
        assert p.stdout == b"", line


def test_client_config_equals_is_read(client_env):
    """The case that started it: --config=FILE was silently ignored."""
    e = client_env
    for cmd in ("install", "status", "restore"):
        line = client_line(e, cmd, "--config", True, True)
        p = run(CABUNDLE, *line, check=2)
        assert str(e["conf"]).encode() in p.stderr, (cmd, p.stderr)


def foreign_cases(table):
    every = {o: v for opts in table.values() for o, v in opts.items()}
    for cmd, opts in sorted(table.items()):
        for opt in sorted(set(every) - set(opts)):
            # glibc's getopt_long takes an unambiguous prefix of an
            # option for the option ("--all" for "--all-versions").
            if any(o.startswith(opt) for o in opts):
                continue
            if opt.startswith("--") and opt != "--help":
                yield pytest.param(cmd, opt, every[opt], id=f"{cmd}-{opt}")


@pytest.mark.parametrize("cmd,opt,value", foreign_cases(SERVER))
def test_server_refuses_another_commands_option(tmp_path, cmd, opt, value):
    """An option of another command (often sharing its parser) is not
    silently ignored: "history --actor NAME" records nothing."""
    line = server_line(tmp_path, cmd, opt, value, False)
    p = run(CABUNDLED, "-d", tmp_path / "none", *line, check=2)
    assert p.stdout == b"", line


@pytest.mark.parametrize("cmd,opt,value", foreign_cases(CLIENT))
def test_client_refuses_another_commands_option(client_env, cmd, opt,
                                                value):
    line = client_line(client_env, cmd, opt, value, False)
    if value:
        line = [*line[:line.index(opt) + 1], "value1",
                *line[line.index(opt) + 2:]]
    p = run(CABUNDLE, *line, check=2)
    assert p.stdout == b"", line
