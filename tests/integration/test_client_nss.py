"""cabundle install, status and restore for an NSS database (--nssdb
DIR): cert9.db, key4.db and pkcs11.txt in a tree beside DIR, swapped
in as --capath's trees are.

The checkers are NSS's own programs: certutil -L lists what the
database holds and with which trust, vfychain -u 1 (certUsageSSLServer)
judges a server certificate the organization CA issued.  Then tampering
(status says CHANGED, install repairs), a tampered body and an older
release (refused, DIR as it was), faults half way through (every target
put back), and names an attacker planted beside DIR (refused)."""
import json
import os
import shlex
import stat
import subprocess

import pytest

from conftest import (CABUNDLE, NOPROXY, body_of, body_path, fingerprint,
                      make_python, make_site_pki, pem_blocks, run, static)
from conftest import client_install as install


# --- helpers ---------------------------------------------------------------


def trees(d):
    """The .NAME.cabundle-XXXXXX trees beside d."""
    return sorted(x.name for x in d.parent.iterdir()
                  if x.name.startswith(f".{d.name}.cabundle-"))


def leftovers(d):
    """Everything beside d an install could have made."""
    return sorted(x.name for x in d.parent.iterdir()
                  if x.name == d.name + "-backup" or ".cabundle-" in x.name)


def snapshot(path):
    """What is at path: a link's target, a directory's files and their
    bytes, or nothing."""
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_dir():
        return ("dir", {x.name: x.read_bytes() for x in path.iterdir()})
    return ("missing",) if not path.exists() else ("file", path.read_bytes())


def tree_snapshot(d):
    """d's link and the bytes of every file in the tree it names."""
    return (os.readlink(d), {x.name: x.read_bytes() for x in d.iterdir()})


def new_db(d):
    """An empty NSS database at d, as an administrator makes one."""
    d.mkdir()
    run("certutil", "-N", "-d", f"sql:{d}", "--empty-password", check=0)


def listed(d):
    """{nickname: trust} as "certutil -L" prints the database at d."""
    out = run("certutil", "-L", "-d", f"sql:{d}", check=0).stdout.decode()
    rows = {}
    for line in out.splitlines()[4:]:
        if line.strip():
            nick, trust = line.rstrip().rsplit(None, 1)
            rows[nick.strip()] = trust
    return rows


def chain_ok(d, cert):
    """vfychain's verdict on cert as a TLS server certificate, trusting
    only the database at d."""
    p = run("vfychain", "-d", f"sql:{d}", "-u", "1", "-a", cert)
    return p.returncode == 0 and b"Chain is good!" in p.stderr


def release_fps(body):
    """The distinct SHA-256 fingerprints of a release's certificates."""
    return {fingerprint(b) for b in pem_blocks(body)}


def served(s):
    return s.get("/v1/org/cacert.pem").content


def nss_install(s, d, state, *args, check=0):
    return install(s, "--profile", "org", "--nssdb", d, "--state", state,
                   *args, check=check)


def status(state, check=None):
    return run(CABUNDLE, "status", "--state", state, check=check)


def status_json(state, check=0):
    return json.loads(run(CABUNDLE, "status", "--state", state, "--json",
                          check=check).stdout)


def limited(args, kib):
    """A command under "ulimit -f kib" (writes past it: EFBIG)."""
    cmd = shlex.join(str(a) for a in args)
    return subprocess.run(["bash", "-c", f"ulimit -f {kib}; exec {cmd}"],
                          capture_output=True, timeout=120)


def client(env, d, *args):
    """ClientEnv's install command line with --nssdb d and no --output."""
    return [*env.args(targets=[]), "--nssdb", d, *args]


# --- what NSS programs see ---------------------------------------------------

def test_nssdb_end_to_end_with_certutil_and_vfychain(org_mirror, org_pki,
                                                     tmp_path):
    """An administrator's database at DIR: kept as DIR-backup; the new
    one lists every certificate of the release with trust C,, and
    vfychain accepts the org's server certificate it refused before;
    a second install changes nothing; restore puts the original back."""
    d = tmp_path / "nssdb"
    new_db(d)
    before = snapshot(d)
    state = tmp_path / "state.json"
    assert listed(d) == {}
    assert not chain_ok(d, org_pki / "site.pem")

    out = json.loads(nss_install(org_mirror, d, state, "--json").stdout)
    assert out["result"] == "installed"
    assert out["targets"] == [{"path": str(d), "kind": "nssdb",
                               "action": "replaced"}]
    body = served(org_mirror)
    assert d.is_symlink() and trees(d) == [os.readlink(d)]
    assert leftovers(d) == sorted(["nssdb-backup", os.readlink(d)])
    assert snapshot(tmp_path / "nssdb-backup") == before
    assert sorted(os.listdir(d)) == ["cacert.pem", "cert9.db", "key4.db",
                                     "pkcs11.txt"]
    assert (d / "cacert.pem").read_bytes() == body
    # Readable by the services that read it without being root.
    assert stat.S_IMODE((tmp_path / os.readlink(d)).stat().st_mode) == 0o755
    assert {stat.S_IMODE(x.stat().st_mode) for x in d.iterdir()} == {0o644}

    rows = listed(d)
    fps = release_fps(body)
    assert len(rows) == len(fps)
    assert set(rows.values()) == {"C,,"}
    # Nicknames: the label and the fingerprint's first 8 hex digits.
    assert {n.rsplit("[", 1)[1].rstrip("]") for n in rows} == \
        {f[:8] for f in fps}
    org = fingerprint(pem_blocks((org_pki / "ca.pem").read_bytes())[0])
    assert f"Example Org Root CA [{org[:8]}]" in rows
    assert chain_ok(d, org_pki / "site.pem")

    assert [(t["path"], t["kind"], t["holds"], t["stale"])
            for t in status_json(state)] == [(str(d), "nssdb", True, False)]

    again = tree_snapshot(d)
    r = nss_install(org_mirror, d, state)
    assert f"{d}: already holds org version".encode() in r.stdout
    assert tree_snapshot(d) == again and trees(d) == [again[0]]

    p = run(CABUNDLE, "restore", "--state", state, check=0)
    assert f"{d}: restored".encode() in p.stdout
    assert d.is_dir() and not d.is_symlink() and snapshot(d) == before
    assert leftovers(d) == []
    assert not chain_ok(d, org_pki / "site.pem")
    assert status_json(state) == []


def test_nssdb_new_then_restore_removes_it(org_mirror, org_pki, tmp_path):
    """Nothing at DIR before: restore removes the link and the tree."""
    d = tmp_path / "nssdb"
    state = tmp_path / "state.json"
    nss_install(org_mirror, d, state)
    assert chain_ok(d, org_pki / "site.pem")
    p = run(CABUNDLE, "restore", "--state", state, check=0)
    assert b"removed (there was nothing before)" in p.stdout
    assert not os.path.lexists(d) and leftovers(d) == []


def _delete_org(d, org_nick):
    run("certutil", "-D", "-d", f"sql:{d}", "-n", org_nick, check=0)


def _distrust_org(d, org_nick):
    run("certutil", "-M", "-d", f"sql:{d}", "-n", org_nick, "-t", ",,",
        check=0)


def _add_stray(d, org_nick):
    run("certutil", "-A", "-d", f"sql:{d}", "-n", "stray", "-t", "C,,",
        "-a", "-i", d.parent / "orgpki" / "site.pem", check=0)


@pytest.mark.parametrize("tamper", [_delete_org, _distrust_org, _add_stray],
                         ids=["deleted", "distrusted", "added"])
def test_nssdb_drift_is_changed_and_install_repairs_it(org_mirror, org_pki,
                                                       tmp_path, tamper):
    """certutil -D, -M or -A on the database: status exits 1 with
    CHANGED; the next install builds a new database, the old tree goes."""
    d = tmp_path / "nssdb"
    state = tmp_path / "state.json"
    nss_install(org_mirror, d, state)
    bad = os.readlink(d)
    org = [n for n in listed(d) if n.startswith("Example Org Root CA [")][0]
    tamper(d, org)

    r = status(state, check=1)
    assert f"{d}: CHANGED: the database no longer holds it".encode() in \
        r.stdout
    assert [t["holds"] for t in status_json(state, check=1)] == [False]

    r = nss_install(org_mirror, d, state)
    assert f"{d}: installed org".encode() in r.stdout
    assert os.readlink(d) != bad and trees(d) == [os.readlink(d)]
    rows = listed(d)
    assert len(rows) == len(release_fps(served(org_mirror)))
    assert rows[org] == "C,," and chain_ok(d, org_pki / "site.pem")
    status(state, check=0)


# --- refused installs leave DIR as it was -----------------------------------

@pytest.mark.parametrize("was", ["dir", "ours"])
def test_nssdb_tampered_body_is_refused(env, tmp_path, was):
    """A body that is not the signed one: exit 1, DIR byte-identical
    (an administrator's database, or the tree of an earlier install)."""
    d = tmp_path / "nssdb"
    if was == "dir":
        new_db(d)
    else:
        env.publish(2)
        run(*client(env, d), check=0, env=NOPROXY)
    before = snapshot(d)
    inside = {x.name: x.read_bytes() for x in d.iterdir()}
    b = body_of(3)
    env.publish(3, b)
    bad = bytearray(b)
    bad[len(b) // 2] ^= 0x01
    env.m.routes[body_path(3)] = static(bytes(bad))
    p = run(*client(env, d), check=1, env=NOPROXY)
    assert b"the signature says" in p.stderr
    assert snapshot(d) == before
    assert {x.name: x.read_bytes() for x in d.iterdir()} == inside
    assert len(trees(d)) == (was == "ours")
    assert not (tmp_path / "nssdb-backup").exists()


def test_nssdb_older_release_is_refused(env, tmp_path):
    """v2 installed, then the genuinely signed v1: refused as a
    rollback, the database untouched and still v2's."""
    d = tmp_path / "nssdb"
    env.publish(2)
    run(*client(env, d), check=0, env=NOPROXY)
    before = tree_snapshot(d)
    env.publish(1)
    p = run(*client(env, d), check=1, env=NOPROXY)
    assert b"rollback" in p.stderr
    assert tree_snapshot(d) == before and trees(d) == [before[0]]
    assert len(listed(d)) == len(release_fps(body_of(2)))
    assert env.m.hits(body_path(1)) == 0


# --- faults half way through ------------------------------------------------

def test_nssdb_a_write_failure_in_nss_leaves_dir(env, tmp_path):
    """ulimit -f 64 KiB: NSS cannot write cert9.db; DIR stays the
    administrator's database and nothing is left beside it."""
    d = tmp_path / "nssdb"
    new_db(d)
    before = snapshot(d)
    env.publish(2)
    p = limited(client(env, d), 64)
    assert p.returncode == 4, p.stderr
    assert b"every target is as it was" in p.stderr
    assert snapshot(d) == before and leftovers(d) == []
    assert not env.state.exists()


@pytest.mark.parametrize("was", ["missing", "dir", "link"])
def test_nssdb_is_put_back_when_a_later_target_fails(env, tmp_path, was):
    """The database is replaced, then the certifi target's large
    original cannot be copied to its backup under "ulimit -f": DIR must
    be as it was (missing, a database directory, a link)."""
    d = tmp_path / "nssdb"
    if was == "dir":
        new_db(d)
    elif was == "link":
        new_db(tmp_path / "elsewhere")
        d.symlink_to(tmp_path / "elsewhere")
    before = snapshot(d)
    py, cacert = make_python(tmp_path)
    large = b"# a large original\n" * 100000
    cacert.write_bytes(large)
    env.publish(2)
    p = limited(client(env, d, "--python", py), 1500)
    assert p.returncode == 4, p.stderr
    assert b"File too large" in p.stderr
    assert b"every target is as it was" in p.stderr
    assert snapshot(d) == before and leftovers(d) == []
    if was == "link":
        assert listed(d) == {}
    assert cacert.read_bytes() == large
    assert not env.state.exists()


# --- names an attacker planted ----------------------------------------------

root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
NOBODY = 65534


@root
def test_nssdb_planted_tree_name_is_refused(env, tmp_path):
    """A link of another user's named like our tree, pointing at a
    database it wants replaced: refused, nothing touched."""
    d = tmp_path / "nssdb"
    new_db(d)
    victim = tmp_path / "victim"
    new_db(victim)
    before, victim_before = snapshot(d), snapshot(victim)
    planted = tmp_path / ".nssdb.cabundle-AbC123"
    planted.symlink_to(victim)
    os.lchown(planted, NOBODY, NOBODY)
    env.publish(2)
    p = run(*client(env, d), env=NOPROXY)
    assert p.returncode == 4
    assert b".nssdb.cabundle-AbC123" in p.stderr
    assert b"SECURITY.md: local attackers" in p.stderr
    assert snapshot(d) == before and snapshot(victim) == victim_before
    assert os.readlink(planted) == str(victim)


@root
def test_nssdb_planted_link_at_dir_is_not_followed(env, tmp_path):
    """Another user's link at DIR, to a database: never written
    through; it is kept as DIR-backup and restore puts it back."""
    victim = tmp_path / "victim"
    new_db(victim)
    victim_before = snapshot(victim)
    d = tmp_path / "nssdb"
    d.symlink_to(victim)
    os.lchown(d, NOBODY, NOBODY)
    env.publish(2)
    run(*client(env, d), check=0, env=NOPROXY)
    assert snapshot(victim) == victim_before
    assert os.readlink(d) == trees(d)[0]
    assert os.readlink(tmp_path / "nssdb-backup") == str(victim)
    run(CABUNDLE, "restore", "--state", env.state, check=0)
    assert os.readlink(d) == str(victim) and leftovers(d) == []
    assert snapshot(victim) == victim_before


@root
def test_nssdb_planted_backup_link_is_never_adopted(env, tmp_path):
    """DIR a link and DIR-backup another user's link: refused, both as
    they were."""
    victim = tmp_path / "victim"
    new_db(victim)
    d = tmp_path / "nssdb"
    d.symlink_to("/etc/ssl/certs")
    bak = tmp_path / "nssdb-backup"
    bak.symlink_to(victim)
    os.lchown(bak, NOBODY, NOBODY)
    env.publish(2)
    p = run(*client(env, d), check=4, env=NOPROXY)
    assert b"refusing to adopt it" in p.stderr
    assert os.readlink(d) == "/etc/ssl/certs"
    assert os.readlink(bak) == str(victim) and trees(d) == []


# --- doctor ------------------------------------------------------------------

def test_doctor_judges_nssdb_targets(tmp_path):
    """doctor gives the ownership rule's verdict on each nssdb of the
    configuration: a database directory beside the test's files
    passes (a directory, not refused as a file would be), one in a
    directory anybody can write fails, naming it."""
    good = tmp_path / "nssdb"
    new_db(good)
    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o777)
    conf = tmp_path / "c.conf"
    conf.write_text(f"nssdb = {good}\nnssdb = {loose / 'db'}\n")
    p = run(CABUNDLE, "doctor", "--config", conf, "--json", check=4)
    places = [t for t in json.loads(p.stdout)["targets"]
              if t["kind"] == "nssdb"]
    assert [(t["path"], t["ok"]) for t in places] == [
        (str(good), True), (str(loose / "db"), False)]
    assert str(loose) in places[1]["why"]


def test_nssdb_two_cas_with_one_subject_and_a_long_label(env, tmp_path):
    """Two CAs with one subject (the same label) stay two certificates,
    told apart by their nicknames' fingerprints, and vfychain trusts
    what each issued; a label past 64 bytes is cut between characters,
    never inside one."""
    subject = "/O=Example Org/CN=Example Org Root CA"
    a = make_site_pki(tmp_path / "a", subject, days=3650)
    b = make_site_pki(tmp_path / "b", subject, days=3650)
    long_label = "Ünïcödé " * 12
    body = (f"# Label: \"{long_label}\"\n".encode() +
            (a / "ca.pem").read_bytes() + (b / "ca.pem").read_bytes())
    d = tmp_path / "nssdb"
    env.publish(1, body)
    run(*client(env, d), check=0, env=NOPROXY)
    rows = listed(d)
    assert len(rows) == 2 and set(rows.values()) == {"C,,"}
    fa, fb = (fingerprint(pem_blocks((x / "ca.pem").read_bytes())[0])
              for x in (a, b))
    assert f"Example Org Root CA [{fb[:8]}]" in rows
    cut = [n for n in rows if n.endswith(f"[{fa[:8]}]")][0]
    label = cut.rsplit(" [", 1)[0]
    assert long_label.startswith(label) and len(label.encode()) <= 64
    assert chain_ok(d, a / "site.pem") and chain_ok(d, b / "site.pem")
    status(env.state, check=0)
