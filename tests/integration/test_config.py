"""cabundled.conf: the documented example works, mistakes are named."""
import pytest

from conftest import CABUNDLED, Mirror, ROOT, run

EXAMPLE = ROOT / "cabundled.conf.example"


def test_example_config_is_the_defaults(tmp_path):
    m = Mirror(tmp_path / "d", config=EXAMPLE)
    m("init", check=0)
    assert m.snapshots() == []


def test_every_key_is_documented():
    """Each key the parser knows appears in the example and README."""
    src = (ROOT / "server" / "config.c").read_text()
    table = src[src.index("} keys[] = {"):src.index("};", src.index(
        "} keys[] = {"))]
    names = [line.split('"')[3] for line in table.splitlines()
             if line.strip().startswith('{ "')]
    assert len(names) > 20
    example = EXAMPLE.read_text()
    readme = (ROOT / "README.md").read_text()
    for n in names:
        assert f"\n{n} =" in example or f"\n;{n} =" in example, n
        assert f"`{n}`" in readme, n


@pytest.mark.parametrize("text,words", [
    ("[upstream]\nurl = https://x/\nbogus = 1\n",
     b"cabundled.conf:3: unknown key [upstream] bogus"),
    ("[nosuch]\nkey = 1\n", b"cabundled.conf:2: unknown key [nosuch] key"),
    ("[upstream]\nretries = many\n",
     b"cabundled.conf:2: retries: want a number in 0..10"),
    ("[upstream]\ntimeout = 0\n", b"timeout: want a number in 1..3600"),
    ("[vet]\nmax_removed = 150%\n", b"max_removed: want N or N%"),
    ("[vet]\nweak_key = ignore\n",
     b"weak_key: want warning, quarantine or error"),
    ("[vet]\nanchor = 1234\n", b"not a SHA-256 value: 1234"),
    ("[upstream]\npinned_pubkey = md5//abc\n",
     b"not a sha256//BASE64 public key pin"),
    ("[vet]\nexpired = maybe\n", b"expired: want drop, keep"),
    ("[upstream]\nallow_insecure_http = perhaps\n", b"want yes or no"),
    ("[upstream]\nurl = " + "x" * 300 + "\n",
     b"cabundled.conf:2: line longer than 198 bytes"),
    ("not ini at all\n", b"cabundled.conf:1: not an INI line"),
])
def test_config_mistakes_are_named(tmp_path, text, words):
    conf = tmp_path / "cabundled.conf"
    conf.write_text(text)
    m = Mirror(tmp_path / "d", config=conf)
    p = m("snapshots", check=2)
    assert words in p.stderr, p.stderr


def test_missing_config_file_is_a_configuration_error(tmp_path):
    p = run(CABUNDLED, "-c", tmp_path / "nope.conf", "snapshots", check=2)
    assert b"nope.conf" in p.stderr


def test_command_line_overrides_the_file(tmp_path, fixtures):
    conf = tmp_path / "cabundled.conf"
    conf.write_text("[vet]\nmax_added = 0\nanchor = none\n")
    m = Mirror(tmp_path / "d", config=conf)
    m("init", check=0)
    bundle = fixtures / "upstream" / "cacert-2026.07.22.pem"
    m("inspect", "--vet", bundle, check=5)
    m.overrides = ["vet.max_added=1000"]
    m("inspect", "--vet", bundle, check=0)
    m.overrides = ["vet.nosuch=1"]
    p = m("inspect", "--vet", bundle, check=2)
    assert b"-o vet.nosuch=1: unknown key [vet] nosuch" in p.stderr
    m.overrides = ["novalue"]
    m("snapshots", check=2)


def test_datadir_option_beats_the_file(tmp_path):
    conf = tmp_path / "cabundled.conf"
    conf.write_text("[server]\ndatadir = %s\n" % (tmp_path / "fromfile"))
    run(CABUNDLED, "-c", conf, "init", check=0)
    assert (tmp_path / "fromfile" / "cabundle.db").exists()
    run(CABUNDLED, "-c", conf, "-d", tmp_path / "fromflag", "init", check=0)
    assert (tmp_path / "fromflag" / "cabundle.db").exists()
