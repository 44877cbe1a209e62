"""Every server command that takes a profile name answers a name that
does not exist the same way: exit 2 (a usage error, as the man page's
EXIT STATUS and README say), the name on stderr, nothing changed.  A
profile that exists but is refused (a removed one, a built-in one for
"profile remove") stays exit 1."""
import pytest

# Each command with NAME where the profile name goes.
COMMANDS = [
    ("profile", "edit", "--description", "x", "NAME"),
    ("profile", "set", "--distrust-after", "drop", "NAME"),
    ("profile", "remove", "--reason", "tidy", "NAME"),
    ("profile", "add", "--base", "NAME", "--all-org", "site"),
    ("publish", "--profile", "NAME"),
    ("publish", "--resign", "--profile", "NAME"),
    ("history", "NAME"),
    ("history", "--json", "NAME"),
    ("diff", "NAME", "1", "2"),
    ("export", "--profile", "NAME", "DIR"),
]


@pytest.mark.parametrize("name", ["nosuch", "no.such-2"])
def test_unknown_profile_is_exit_2_everywhere(good, tmp_path, name):
    m = good
    before = (m("audit", "--json", check=0).stdout,
              m("profile", "list", "--all", "--json", check=0).stdout)
    for cmd in COMMANDS:
        args = [tmp_path / "out" if a == "DIR" else
                name if a == "NAME" else a for a in cmd]
        p = m(*args, check=None)
        assert p.returncode == 2, (cmd, p.returncode, p.stderr)
        assert name.encode() in p.stderr, (cmd, p.stderr)
        assert b"usage:" not in p.stderr, (cmd, p.stderr)
    assert not (tmp_path / "out").exists()
    assert (m("audit", "--json", check=0).stdout,
            m("profile", "list", "--all", "--json", check=0).stdout) == before


def test_known_but_refused_profiles_stay_exit_1(good):
    m = good
    m("profile", "add", "--description", "a team", "team", check=0)
    for b in ("mozilla", "org", "org-only"):
        m("profile", "remove", "--reason", "tidy", b, check=1)
    m("profile", "remove", "--reason", "lab closed", "team", check=0)
    m("profile", "remove", "--reason", "again", "team", check=1)
    m("profile", "edit", "--description", "x", "team", check=1)
    m("publish", "--profile", "team", check=1)
    # A known profile that is not relayed is no --base: refused.
    p = m("profile", "add", "--base", "org", "--all-org", "site", check=1)
    assert b"not a profile relayed" in p.stderr
