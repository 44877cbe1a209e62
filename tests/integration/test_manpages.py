"""Manual pages: cabundle(1) and cabundled(8) pass mandoc's lint, say
what the binaries' --help says (the same commands, and per command the
same options), and "make install" puts them in place.

The pages are read as mdoc source: a command is an item of a
first-level list in DESCRIPTION whose head starts with Cm (the next word
names it); its options are the Fl macros of its head and body, nested
lists included, except on a line that names another of the page's
commands with Cm (a cross-reference such as "Cm profile add Fl \\-tag").
"Fl \\-json" is --json, "Fl k" is -k.
"""
import os
import pathlib
import re
import shutil
import stat
import subprocess

import pytest

from conftest import CABUNDLE, CABUNDLED, ROOT, run

MAN = ROOT / "man"
PROGRAMS = [
    pytest.param(CABUNDLED, "cabundled", MAN / "cabundled.8", id="cabundled"),
    pytest.param(CABUNDLE, "cabundle", MAN / "cabundle.1", id="cabundle"),
]
# An option token in a usage text: --foo or -x, not inside a word.
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
HELP = {"--help", "-h"}


def mandoc(*args):
    assert shutil.which("mandoc"), \
        "mandoc is missing: apt-get install mandoc (DEB_TEST_PKGS)"
    return subprocess.run(["mandoc", *map(str, args)], capture_output=True,
                          timeout=60)


def fl_options(words):
    """The options the Fl macros among the words of a macro line write."""
    out = set()
    for i, w in enumerate(words[:-1]):
        if w == "Fl":
            arg = words[i + 1].replace("\\-", "-")
            if re.fullmatch(r"-?[A-Za-z][\w-]*", arg):
                out.add("-" + arg)
    return out


def parse_page(page):
    """(synopsis, commands) of an mdoc page.

    synopsis: {command or None: options} per SYNOPSIS form (a form starts
    at .Nm and is named by its first Cm, None when it has none).
    commands: {command: options} of the DESCRIPTION command items, with
    None for the options DESCRIPTION writes outside any command item.
    """
    lines = page.read_text().splitlines()
    forms, body, commands = [], [], {None: set()}
    section, depth, cur = None, 0, None
    for i, line in enumerate(lines):
        if not line.startswith("."):
            continue
        words = line[1:].split()
        if not words:
            continue
        if words[0] == "Sh":
            section, cur = " ".join(words[1:]), None
            continue
        if section == "SYNOPSIS":
            if words[0] == "Nm":
                forms.append([None, set()])
            elif words[0] == "Cm" and forms[-1][0] is None:
                forms[-1][0] = words[1]
            forms[-1][1] |= fl_options(words)
            continue
        if section != "DESCRIPTION":
            continue
        if words[0] == "Bl":
            depth += 1
        elif words[0] == "El":
            depth -= 1
            if depth == 0:
                cur = None
        elif words[0] == "It" and depth == 1:
            head = words[1:]
            if head[:1] == ["Xo"] and i + 1 < len(lines):
                head = lines[i + 1][1:].split()
            cur = head[1] if head[:1] == ["Cm"] and len(head) > 1 else None
            if cur is not None:
                commands.setdefault(cur, set())
        body.append((cur, words))
    for cur, words in body:
        named = {words[j + 1] for j in range(len(words) - 1)
                 if words[j] == "Cm"}
        if not (named & set(commands)) - {cur}:
            commands[cur] |= fl_options(words)
    synopsis = {}
    for name, options in forms:
        synopsis.setdefault(name, set()).update(options)
    return synopsis, commands


def listed_commands(prog, name):
    """The commands "PROG --help" lists, and the options of its first
    (usage) line.  The same text for -h and help; nothing on stderr."""
    p = run(prog, "--help", check=0)
    assert p.stderr == b""
    for alt in (["-h"], ["help"]):
        q = run(prog, *alt, check=0)
        assert q.stdout == p.stdout and q.stderr == b"", alt
    text = p.stdout.decode()
    assert text.startswith(f"usage: {name} ")
    cmds = [m.group(1) for m in
            re.finditer(rf"^\t{name} ([a-z][a-z-]*)", text, re.M)]
    assert cmds, text
    return cmds, set(OPTION.findall(text.splitlines()[0]))


def command_help(prog, cmd):
    """The usage text of one command; the same for -h and "help CMD"."""
    p = run(prog, cmd, "--help", check=0)
    assert p.stderr == b"" and p.stdout.startswith(b"usage: "), cmd
    for alt in ([cmd, "-h"], ["help", cmd]):
        q = run(prog, *alt, check=0)
        assert q.stdout == p.stdout and q.stderr == b"", alt
    return p.stdout.decode()


# --- (1) mandoc -T lint -----------------------------------------------------

@pytest.mark.parametrize("prog,name,page", PROGRAMS)
def test_lint_clean(prog, name, page):
    p = mandoc("-T", "lint", "-W", "warning", page)
    assert p.returncode == 0 and p.stdout + p.stderr == b"", \
        (p.stdout + p.stderr).decode()
    text = mandoc("-T", "ascii", page).stdout.decode()
    assert re.sub(r".\x08", "", text).startswith(name.upper() + "(")


# --- (2) --help and the pages say the same ----------------------------------

@pytest.mark.parametrize("prog,name,page", PROGRAMS)
def test_help_matches_page(prog, name, page):
    cmds, global_opts = listed_commands(prog, name)
    synopsis, documented = parse_page(page)
    # The same commands: none undocumented, none documented that is not.
    assert sorted(set(documented) - {None}) == sorted(cmds)
    # Global options: in the usage line, the SYNOPSIS and the page.
    assert HELP & global_opts
    if name == "cabundled":
        assert {"-c", "-d", "-o", "-h"} <= global_opts
        assert synopsis[None] == global_opts
    assert global_opts <= documented[None], global_opts - documented[None]
    for cmd in cmds:
        shown = set(OPTION.findall(command_help(prog, cmd))) - HELP
        assert shown - documented[cmd] == set(), \
            f"{name} {cmd}: in --help, not in the page"
        assert documented[cmd] - shown == set(), \
            f"{name} {cmd}: in the page, not in --help"
        if cmd in synopsis:
            longs = {o for o in shown if o.startswith("--")}
            assert synopsis[cmd] == longs, f"{name} {cmd}: SYNOPSIS"


@pytest.mark.parametrize("prog,name,page", PROGRAMS)
def test_usage_errors_stay_on_stderr(prog, name, page):
    for args in ([], ["frobnicate"], ["help", "frobnicate"],
                 ["help", "frobnicate", "--help"]):
        p = run(prog, *args, check=2)
        assert p.stdout == b"" and b"usage: " in p.stderr, args


def test_help_is_not_an_option_value(tmp_path):
    """--help after an option that takes a value, or after "--", is an
    argument, as getopt_long reads it."""
    d = tmp_path / "none"
    p = run(CABUNDLED, "-d", d, "approve", "--reason", "--help", "1")
    assert p.returncode not in (0, 2) and p.stdout == b""
    p = run(CABUNDLED, "-d", d, "inspect", "--", "--help", check=4)
    assert b"--help" in p.stderr
    p = run(CABUNDLE, "verify", "--key", "--help", tmp_path / "x", check=2)
    assert p.stdout == b"" and b"--help" in p.stderr
    # Before the command, -h is the global option whatever follows.
    assert run(CABUNDLED, "-h", "org", check=0).stdout == \
        run(CABUNDLED, "org", "add", "--help", check=0).stdout
    run(CABUNDLED, "org", "frob", check=2)


def test_configuration_keys_documented():
    """Every key of server/config.c's table is named in its section of
    cabundled(8) CONFIGURATION, and the client's settings in
    cabundle(1)."""
    src = (ROOT / "server" / "config.c").read_text()
    table = src[src.index("} keys[] = {"):src.index("};", src.index(
        "} keys[] = {"))]
    keys = re.findall(r'\{ "(\w+)", "(\w+)", T_', table)
    assert len(keys) > 20
    page = (MAN / "cabundled.8").read_text()
    conf = page[page.index(".Sh CONFIGURATION"):]
    conf = conf[:conf.index("\n.Sh ")]
    items = {m.group(1): m.group(2) for m in re.finditer(
        r"^\.It Sy \\?&?\[(\w+)\]\n(.*?)(?=^\.It Sy|^\.El)", conf,
        re.M | re.S)}
    for section, key in keys:
        assert section in items, section
        assert re.search(rf"^\.Cm {key}\b", items[section], re.M), \
            f"[{section}] {key}"
    client = (ROOT / "client" / "opts.c").read_text()
    names = set(re.findall(r'strcmp\(name, "(\w+)"\)', client))
    assert len(names) >= 10
    page = (MAN / "cabundle.1").read_text()
    for n in names:
        assert re.search(rf"^\.Cm {n}\b", page, re.M), n


# --- (3) make install --------------------------------------------------------

def build_tree():
    """The tree the binaries under test come from (CABUNDLED may point
    into a copy of the repository), else this one."""
    d = pathlib.Path(CABUNDLED).resolve().parents[1]
    return d if (d / "Makefile").is_file() else ROOT


def test_make_install_puts_the_pages(tmp_path):
    """Into DESTDIR, mode 0644.  The binaries under test are installed
    as they are (-o): never rebuilt in the middle of a test run, with
    other flags than the enclosing "make test" gave."""
    tree = build_tree()
    dest = tmp_path / "dest"
    p = subprocess.run(["make", "-s", "-C", str(tree),
                        "-o", "server/cabundled", "-o", "client/cabundle",
                        "install", f"DESTDIR={dest}", "PREFIX=/usr"],
                       capture_output=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()[-2000:]
    assert os.access(dest / "usr/bin/cabundled", os.X_OK)
    assert os.access(dest / "usr/bin/cabundle", os.X_OK)
    for rel, src in (("man1/cabundle.1", "cabundle.1"),
                     ("man8/cabundled.8", "cabundled.8")):
        got = dest / "usr/share/man" / rel
        assert got.is_file(), f"{got} not installed"
        assert got.read_bytes() == (tree / "man" / src).read_bytes()
        assert stat.S_IMODE(got.stat().st_mode) == 0o644, rel


# --- (4) the pages against the programs' own tables (issue 23) ---------------

SOURCES = {"cabundled": ROOT / "server", "cabundle": ROOT / "client"}
# The options getopt_long(3) tables hold, as the C source writes them.
OPTION_ROW = re.compile(r'\{\s*"([a-z][a-z0-9-]*)",\s*'
                        r'(?:no|required|optional)_argument\b')


def source_options(name):
    """Every long option of the program's getopt_long tables."""
    out = set()
    for c in sorted(SOURCES[name].glob("*.c")):
        out |= {"--" + o for o in OPTION_ROW.findall(c.read_text())}
    return out


def exit_codes():
    """{value: name} of common/exitcode.h."""
    text = (ROOT / "common" / "exitcode.h").read_text()
    return {int(v): n for n, v in
            re.findall(r"^\s*(EXIT_[A-Z]+)\s*=\s*(\d+)", text, re.M)}


def program_codes(name):
    """The codes the program's sources return or exit with."""
    text = "".join(c.read_text() for c in SOURCES[name].glob("*.c"))
    return {v for v, n in exit_codes().items()
            if re.search(rf"\b{n}\b", text)}


def section(page, title):
    text = page.read_text()
    start = text.index(f"\n.Sh {title}\n")
    end = text.find("\n.Sh ", start + 1)
    return text[start:end if end > 0 else None]


@pytest.mark.parametrize("prog,name,page", PROGRAMS)
def test_every_option_of_the_program_is_in_the_page(prog, name, page):
    """Both ways: an option in a getopt_long table and no page is
    undocumented; one in the page and no table is not accepted
    anywhere.  Per command, test_option_spelling.py holds each page
    option to its command (accepted there, refused elsewhere)."""
    synopsis, documented = parse_page(page)
    on_page = set().union(*documented.values(), *synopsis.values())
    on_page = {o for o in on_page if o.startswith("--")}
    in_source = source_options(name)
    assert len(in_source) > 10, in_source
    assert in_source - on_page == set(), \
        f"{name}: accepted but not in {page.name}"
    # --help and --version may be read before any table: they count
    # when the program answers them.
    loose = {o for o in on_page - in_source if o in ("--help", "--version")
             and run(prog, o).returncode == 0}
    assert on_page - in_source - loose == set(), \
        f"{name}: in {page.name} but in no option table"


@pytest.mark.parametrize("prog,name,page", PROGRAMS)
def test_exit_status_is_the_programs(prog, name, page):
    """EXIT STATUS lists exactly the codes of common/exitcode.h the
    program uses, each with words saying what it means; every exit code
    DESCRIPTION names for a command is among them."""
    text = section(page, "EXIT STATUS")
    items = dict(re.findall(r"^\.It (\d+)\n((?:(?!\.It |\.El).*\n)+)", text,
                            re.M))
    listed = {int(k) for k in items}
    for k, words in items.items():
        assert len(re.sub(r"^\.\w+ ?", "", words, flags=re.M).split()) >= 2, \
            f"{name}: exit {k} is not described"
    codes = exit_codes()
    assert listed <= set(codes), listed - set(codes)
    assert listed == program_codes(name), \
        (f"{name}: listed {sorted(listed)}, the program uses "
         f"{sorted(program_codes(name))}")
    said = set()
    for m in re.finditer(r"[Ee]xit(?:s| status)?\b([^.\n]*)",
                         section(page, "DESCRIPTION")):
        said |= {int(d) for d in re.findall(r"(?<![\w.-])(\d+)(?![\w.%-])",
                                            m[1])}
    assert said and said <= listed, \
        f"{name}: DESCRIPTION names exit {sorted(said - listed)}"
