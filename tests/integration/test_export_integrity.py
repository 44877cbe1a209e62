"""cabundled export trusts a versioned file it finds already in DIR only
when it still holds what was signed and is one the exporting user could
have written (issue 18).

Before, an existing v1/P/N/cacert.pem was compared by size: a damaged
file of the same size was kept, later versions (re-signings) were
hard-linked to the damaged inode, and every client then refused them; a
file planted by another user kept that user's write access to every
later version.  Now such a file stops the export (exit 1, naming it,
nothing written), or --repair replaces it atomically; stock minisign
verifies every exported version afterwards.
"""
import os
import pathlib
import pwd
import shutil

import pytest

from conftest import FIXTURES, Mirror, run

BODY = FIXTURES / "upstream" / "cacert-2026.07.22.pem"


@pytest.fixture
def mirror(tmp_path):
    """A mirror with mozilla and org at version 1, exported to exp."""
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    m("import", BODY, check=5)             # first contact: a human
    m("approve", "--reason", "first contact", "1", check=0)
    m("publish", check=0)
    m.exp = tmp_path / "exp"
    m("export", m.exp, check=0)
    return m


def tree(d):
    """path -> (bytes, inode, uid, mode) of every file under d."""
    out = {}
    for p in sorted(pathlib.Path(d).rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.lstat()
            out[str(p.relative_to(d))] = (p.read_bytes(), st.st_ino,
                                          st.st_uid, st.st_mode)
    return out


def damage(path):
    """Same size, other bytes: one byte in the middle flipped, in a new
    file renamed over path (export hard-links equal bodies across
    profiles and versions: an edit in place would damage them all)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    tmp = path.with_name("damaged.tmp")
    tmp.write_bytes(bytes(data))
    tmp.chmod(0o644)
    tmp.rename(path)
    return bytes(data)


def inodes(exp, name="cacert.pem"):
    return {p.stat().st_ino for p in pathlib.Path(exp).glob(f"v1/*/*/{name}")}


def verify_all(m, exp):
    """minisign -Vm on every exported version of every profile."""
    pub = m.pubfile()
    n = 0
    for sig in sorted(pathlib.Path(exp).glob("v1/*/*/cacert.pem.minisig")):
        body = sig.with_name("cacert.pem")
        p = run("minisign", "-Vm", body, "-x", sig, "-p", pub)
        assert p.returncode == 0, (body, p.stderr)
        n += 1
    return n


def refused(m, exp, bad, before):
    p = m("export", "--all-versions", exp, check=1)
    err = p.stderr.decode()
    assert str(bad) in err, err
    assert tree(exp) == before, "the refused export changed the tree"
    return err


def test_a_damaged_body_of_the_same_size_stops_the_export(mirror):
    m, exp = mirror, mirror.exp
    bad = exp / "v1" / "org" / "1" / "cacert.pem"
    damage(bad)
    m("publish", "--resign", check=0)      # version 2: the same body
    before = tree(exp)
    err = refused(m, exp, bad, before)
    assert "SHA-256" in err
    assert not (exp / "v1" / "org" / "2").exists()


def test_repair_replaces_a_damaged_body_and_links_nothing_to_it(mirror):
    m, exp = mirror, mirror.exp
    bad = exp / "v1" / "org" / "1" / "cacert.pem"
    damage(bad)
    bad_ino = bad.stat().st_ino
    m("publish", "--resign", check=0)
    p = m("export", "--all-versions", "--repair", exp, check=0)
    assert str(bad).encode() in p.stderr and b"1 repaired" in p.stdout
    assert bad_ino not in inodes(exp), "a body is the damaged inode"
    # Every body is one good inode again, shared by all four versions.
    assert len(inodes(exp)) == 1
    assert verify_all(m, exp) == 4
    # And the next export finds nothing to repair.
    p = m("export", "--all-versions", exp, check=0)
    assert b"repaired" not in p.stdout


def test_a_damaged_signature_stops_the_export(mirror):
    m, exp = mirror, mirror.exp
    bad = exp / "v1" / "mozilla" / "1" / "cacert.pem.minisig"
    damage(bad)
    before = tree(exp)
    refused(m, exp, bad, before)
    m("export", "--all-versions", "--repair", exp, check=0)
    assert verify_all(m, exp) == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_a_file_planted_by_another_user_stops_the_export(mirror,
                                                         tmp_path):
    """The right bytes, but nobody's and writable by nobody: kept, it
    would let nobody rewrite every later version linked to it."""
    m = mirror
    nobody = pwd.getpwnam("nobody")
    exp = tmp_path / "fresh"
    planted = exp / "v1" / "org" / "1" / "cacert.pem"
    planted.parent.mkdir(parents=True)
    shutil.copy(m.exp / "v1" / "org" / "1" / "cacert.pem", planted)
    os.chown(planted, nobody.pw_uid, nobody.pw_gid)
    planted.chmod(0o644)
    m("publish", "--resign", check=0)
    before = tree(exp)
    err = refused(m, exp, planted, before)
    assert "owned by uid" in err
    assert planted.stat().st_uid == nobody.pw_uid
    # --repair: replaced by a file of ours; version 2 linked to that.
    planted_ino = planted.stat().st_ino
    m("export", "--all-versions", "--repair", exp, check=0)
    st1 = planted.stat()
    assert st1.st_uid == os.geteuid() and st1.st_ino != planted_ino
    assert planted_ino not in inodes(exp)
    for p in pathlib.Path(exp).rglob("*"):
        assert p.lstat().st_uid == os.geteuid(), p
    assert verify_all(m, exp) == 4


def test_a_group_writable_file_of_ours_stops_the_export(mirror):
    m, exp = mirror, mirror.exp
    bad = exp / "v1" / "mozilla" / "1" / "cacert.pem"
    bad.chmod(0o664)
    before = tree(exp)
    err = refused(m, exp, bad, before)
    assert "writable by group or others" in err


def test_a_symlink_under_a_versioned_name_stops_the_export(mirror,
                                                           tmp_path):
    m, exp = mirror, mirror.exp
    bad = exp / "v1" / "mozilla" / "1" / "cacert.pem"
    good = tmp_path / "elsewhere.pem"
    shutil.copy(bad, good)
    bad.unlink()
    bad.symlink_to(good)
    before = tree(exp)
    refused(m, exp, bad, before)
    assert bad.is_symlink()


def test_an_intact_tree_is_kept_as_it_is(mirror):
    """The checks cost nothing when all is well: every file kept."""
    m, exp = mirror, mirror.exp
    before = tree(exp)
    p = m("export", exp, check=0)
    assert b" 0 files written" in p.stdout
    assert tree(exp) == before
    assert verify_all(m, exp) == 2
