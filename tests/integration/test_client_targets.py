"""cabundle install, status and restore for the targets beside certifi:
an OpenSSL hashed directory (--capath DIR), pip's vendored certifi
(--pip), and a plain --output file whose mode and owner must survive.

The hashed directory is checked as OpenSSL uses it (openssl verify
-CApath, a Python TLS handshake with capath=) and against what the real
"openssl rehash" makes of the same certificates; then what happens to a
directory or link found at DIR, duplicates, a second install, a newer
release, tampering, and failures half way through an install, which
must leave every target as it was."""
import json
import os
import shlex
import socket
import ssl
import stat
import subprocess
import time

import pytest

from conftest import (CABUNDLE, CERTIFI_CORE, CERTIFI_INIT, Key, make_python,
                      fingerprint, make_site_pki, pem_blocks, run, tc,
                      trusted, upstream)
from conftest import client_install as install
from fakemirror import FakeMirror, static


# --- helpers ---------------------------------------------------------------


def trees(d):
    """The .NAME.cabundle-XXXXXX trees beside d."""
    return sorted(x.name for x in d.parent.iterdir()
                  if x.name.startswith(f".{d.name}.cabundle-"))


def leftovers(d):
    """Everything beside d that an install could have made: d-backup,
    trees, temporary links."""
    return sorted(x.name for x in d.parent.iterdir()
                  if x.name == d.name + "-backup" or ".cabundle-" in x.name)


def hashed(d):
    """{name: fingerprint} of the hashed files in d (one cert each)."""
    out = {}
    for f in (d / x for x in os.listdir(d) if x != "cacert.pem"):
        blocks = pem_blocks(f.read_bytes())
        assert len(blocks) == 1, f"{f}: {len(blocks)} certificates"
        out[f.name] = fingerprint(blocks[0])
    return out


def rehashed(body, work):
    """{name: fingerprint} of what "openssl rehash" makes of the
    bundle's certificates, one file each, in bundle order."""
    work.mkdir()
    for i, block in enumerate(pem_blocks(body)):
        (work / f"c{i:04d}.pem").write_bytes(block)
    run("openssl", "rehash", work, check=0)
    return {x.name: fingerprint((work / os.readlink(x)).read_bytes())
            for x in work.iterdir() if x.is_symlink()}


def served(s):
    return s.get("/v1/org/cacert.pem").content


def verify(capath, cert):
    """openssl verify -CApath: True when it says OK."""
    p = run("openssl", "verify", "-CApath", capath, cert)
    return p.returncode == 0 and p.stdout.strip().endswith(b": OK")


def handshake(url, capath):
    """A Python TLS handshake with url trusting only capath; returns the
    protocol, or the verification error's text."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    ctx = ssl.create_default_context(capath=str(capath))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                return t.version()
    except ssl.SSLCertVerificationError as e:
        return f"SSLCertVerificationError {e}"


def status(state, check=None):
    return run(CABUNDLE, "status", "--state", state, check=check)


def status_json(state, check=0):
    return json.loads(run(CABUNDLE, "status", "--state", state, "--json",
                          check=check).stdout)


def capath_install(s, d, state, *args, check=0):
    return install(s, "--profile", "org", "--capath", d, "--state", state,
                   *args, check=check)


def install_limited(s, kib, *args):
    """cabundle install under "ulimit -f kib" (writes past it: EFBIG)."""
    cmd = shlex.join(str(a) for a in [
        CABUNDLE, "install", "--from", s.base, "--key",
        s.mirror.key()["public_key"], "--profile", "org", *args])
    return subprocess.run(["bash", "-c", f"ulimit -f {kib}; exec {cmd}"],
                          capture_output=True, timeout=60)


def snapshot(path):
    """What is at path, as a user would compare it: a link's target, a
    directory's files and their bytes, or nothing."""
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_dir():
        return ("dir", {x.name: x.read_bytes() for x in path.iterdir()})
    return ("missing",) if not path.exists() else ("file", path.read_bytes())


def publish_second_org_ca(s, tmp_path):
    """Add a second org CA with the same subject as the first (its
    subject hash collides: files .0 and .1) and wait until the server
    serves the new release.  Returns that CA's site directory."""
    before = trusted(s.get("/v1/org/cacert.pem.minisig").text)["version"]
    pki2 = make_site_pki(tmp_path / "orgpki2",
                         "/O=Example Org/CN=Example Org Root CA", days=3650)
    s.mirror("org", "add", "--name", "Example Org Root CA 2",
             pki2 / "ca.pem", check=0)
    deadline = time.time() + 10
    while trusted(s.get("/v1/org/cacert.pem.minisig").text)["version"] == \
            before:
        assert time.time() < deadline, "new org release not served"
        time.sleep(0.1)
    return pki2


# --- --capath --------------------------------------------------------------

def test_capath_end_to_end_like_openssl_rehash(org_mirror, org_pki,
                                               https_site, tmp_path):
    """A new hashed directory: openssl and Python trust the org site
    through it, its names are rehash's, status holds, restore removes
    it all."""
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    assert not verify(d, org_pki / "site.pem")

    r = capath_install(org_mirror, d, state, "--json")
    out = json.loads(r.stdout)
    assert out["result"] == "installed"
    assert out["targets"] == [{"path": str(d), "kind": "capath",
                               "action": "replaced"}]
    body = served(org_mirror)
    assert d.is_symlink() and trees(d) == [os.readlink(d)]
    assert leftovers(d) == trees(d)
    assert (d / "cacert.pem").read_bytes() == body
    # Readable by services that do not run as root.
    assert stat.S_IMODE((tmp_path / os.readlink(d)).stat().st_mode) == 0o755
    assert {stat.S_IMODE(x.stat().st_mode) for x in d.iterdir()} == {0o644}

    ours = hashed(d)
    assert len(ours) == len(pem_blocks(body))
    assert ours == rehashed(body, tmp_path / "rehash")

    assert verify(d, org_pki / "site.pem")
    assert handshake(https_site, d).startswith("TLSv1")

    st = status_json(state)
    assert [(t["path"], t["kind"], t["version"], t["holds"], t["stale"])
            for t in st] == [(str(d), "capath", out["version"], True, False)]
    assert b"CHANGED" not in status(state, check=0).stdout

    p = run(CABUNDLE, "restore", "--state", state, check=0)
    assert b"removed (there was nothing before)" in p.stdout
    assert not os.path.lexists(d) and leftovers(d) == []
    assert not verify(d, org_pki / "site.pem")
    assert "certificate verify failed" in handshake(https_site, d)
    assert status_json(state) == []


def test_capath_keeps_a_real_directory_and_restore_puts_it_back(
        org_mirror, org_pki, tmp_path):
    """A directory at DIR goes to DIR-backup, contents intact, and comes
    back as a real directory on restore."""
    d = tmp_path / "certs"
    d.mkdir()
    (d / "local.pem").write_bytes(b"# the admin's own file\n")
    before = snapshot(d)
    state = tmp_path / "state.json"

    capath_install(org_mirror, d, state)
    assert d.is_symlink() and verify(d, org_pki / "site.pem")
    backup = tmp_path / "certs-backup"
    assert backup.is_dir() and not backup.is_symlink()
    assert snapshot(backup) == before
    assert leftovers(d) == sorted(["certs-backup", os.readlink(d)])
    status(state, check=0)

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert d.is_dir() and not d.is_symlink()
    assert snapshot(d) == before
    assert leftovers(d) == []


def test_capath_keeps_a_link_and_restore_puts_it_back(org_mirror, org_pki,
                                                     tmp_path):
    """A symbolic link at DIR is kept as DIR-backup, with its target,
    and restore makes DIR that link again; its directory is untouched."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "x.pem").write_bytes(b"# not ours\n")
    d = tmp_path / "certs"
    d.symlink_to(other)
    state = tmp_path / "state.json"

    capath_install(org_mirror, d, state)
    backup = tmp_path / "certs-backup"
    assert backup.is_symlink() and os.readlink(backup) == str(other)
    assert os.readlink(d) == trees(d)[0] and verify(d, org_pki / "site.pem")
    assert snapshot(other) == ("dir", {"x.pem": b"# not ours\n"})

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert d.is_symlink() and os.readlink(d) == str(other)
    assert leftovers(d) == []
    assert snapshot(other) == ("dir", {"x.pem": b"# not ours\n"})


def test_capath_second_install_of_the_same_release_changes_nothing(
        org_mirror, tmp_path):
    """Already there: exit 0, "already holds", the same tree, the state
    not rewritten."""
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    capath_install(org_mirror, d, state)
    link = os.readlink(d)
    files = {x.name: x.stat().st_mtime_ns for x in d.iterdir()}
    st_bytes, st_mtime = state.read_bytes(), state.stat().st_mtime_ns

    r = capath_install(org_mirror, d, state)
    assert f"{d}: already holds org version".encode() in r.stdout
    assert os.readlink(d) == link and trees(d) == [link]
    assert {x.name: x.stat().st_mtime_ns for x in d.iterdir()} == files
    assert state.read_bytes() == st_bytes
    assert state.stat().st_mtime_ns == st_mtime


def test_capath_newer_release_replaces_the_tree(org_mirror, org_pki,
                                                tmp_path):
    """A newer release gets a new tree and the old one goes; two CAs
    with one subject get .0 and .1 as rehash names them."""
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    v1 = json.loads(capath_install(org_mirror, d, state,
                                   "--json").stdout)["version"]
    old = os.readlink(d)

    pki2 = publish_second_org_ca(org_mirror, tmp_path)
    assert not verify(d, pki2 / "site.pem")
    r = json.loads(capath_install(org_mirror, d, state, "--json").stdout)
    assert r["result"] == "installed" and r["version"] > v1
    assert os.readlink(d) != old and trees(d) == [os.readlink(d)]
    assert leftovers(d) == trees(d)
    body = served(org_mirror)
    assert (d / "cacert.pem").read_bytes() == body
    h = run("openssl", "x509", "-noout", "-subject_hash", "-in",
            org_pki / "ca.pem", check=0).stdout.decode().strip()
    ours = hashed(d)
    assert {f"{h}.0", f"{h}.1"} <= set(ours)
    assert ours == rehashed(body, tmp_path / "rehash")
    assert verify(d, org_pki / "site.pem") and verify(d, pki2 / "site.pem")
    assert [(t["version"], t["holds"]) for t in status_json(state)] == \
        [(r["version"], True)]

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert not os.path.lexists(d) and leftovers(d) == []


def test_capath_skips_duplicates_as_rehash_does(tmp_path):
    """A signed bundle holding two certificates twice (a mirror never
    publishes one; a fake one signs it): one file each, as rehash."""
    key = Key(tmp_path, "k")
    blocks = pem_blocks(upstream("2026.07.22").read_bytes())
    body = b"".join(blocks) + blocks[3] + blocks[0]
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    conf = tmp_path / "empty.conf"
    conf.write_bytes(b"")
    with FakeMirror() as m:
        m.routes["/v1/org/cacert.pem.minisig"] = static(
            key.sign(body, tc(body, 1)))
        m.routes["/v1/org/1/cacert.pem"] = static(body)
        run(CABUNDLE, "install", "--config", conf, "--from", m.url,
            "--key", key.pub, "--profile", "org", "--capath", d,
            "--state", state, check=0)
    assert (d / "cacert.pem").read_bytes() == body
    ours = hashed(d)
    assert len(ours) == len(blocks)
    assert ours == rehashed(body, tmp_path / "rehash")
    status(state, check=0)


def _delete_one(tree):
    os.unlink(tree / sorted(x for x in os.listdir(tree)
                            if x != "cacert.pem")[0])


def _add_stray(tree):
    (tree / "ffffffff.0").write_bytes(
        pem_blocks(upstream("2019.11.28").read_bytes())[0])


def _swap_bytes(tree):
    names = sorted(x for x in os.listdir(tree) if x != "cacert.pem")
    (tree / names[0]).write_bytes((tree / names[1]).read_bytes())


@pytest.mark.parametrize("tamper", [_delete_one, _add_stray, _swap_bytes],
                         ids=["deleted", "stray", "edited"])
def test_capath_tampering_is_changed_and_install_repairs_it(
        org_mirror, org_pki, tmp_path, tamper):
    """A file gone, added or edited in the tree: status exits 1 with
    CHANGED; the next install builds a good tree, the bad one goes."""
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    capath_install(org_mirror, d, state)
    bad = os.readlink(d)
    tamper(tmp_path / bad)

    r = status(state, check=1)
    assert f"{d}: CHANGED".encode() in r.stdout
    assert [t["holds"] for t in status_json(state, check=1)] == [False]

    r = capath_install(org_mirror, d, state)
    assert f"{d}: installed org".encode() in r.stdout
    assert os.readlink(d) != bad and trees(d) == [os.readlink(d)]
    assert hashed(d) == rehashed(served(org_mirror), tmp_path / "rehash")
    status(state, check=0)
    # The first install's record stands: restore still removes DIR.
    run(CABUNDLE, "restore", "--state", state, check=0)
    assert not os.path.lexists(d) and leftovers(d) == []


def test_capath_tree_of_a_removed_link_is_cleaned_up(org_mirror, tmp_path):
    """DIR (our link) removed by hand, and what a killed install leaves
    (a half-built tree, its temporary link), then install and restore:
    no tree of ours may stay behind; other names are not touched."""
    d = tmp_path / "certs"
    state = tmp_path / "state.json"
    capath_install(org_mirror, d, state)
    os.unlink(d)
    status(state, check=1)
    killed = tmp_path / ".certs.cabundle-Zq9xYw"
    killed.mkdir()
    (killed / "1a2b3c4d.0").write_bytes(b"half")
    os.symlink(killed.name, tmp_path / (killed.name + ".link"))
    other = tmp_path / ".certs.cabundle-notours"
    other.mkdir()
    capath_install(org_mirror, d, state)
    assert not killed.exists()
    assert not os.path.lexists(tmp_path / (killed.name + ".link"))
    assert other.is_dir()
    other.rmdir()
    run(CABUNDLE, "restore", "--state", state, check=0)
    assert not os.path.lexists(d)
    assert leftovers(d) == []


def test_capath_a_write_failure_building_the_tree_leaves_dir(org_mirror,
                                                             tmp_path):
    """ulimit -f 64 KiB: the hashed files fit, the tree's ~240 KB
    cacert.pem does not; DIR stays the directory it was."""
    d = tmp_path / "certs"
    d.mkdir()
    (d / "local.pem").write_bytes(b"# the admin's own file\n")
    before = snapshot(d)
    state = tmp_path / "state.json"
    assert len(served(org_mirror)) > 64 * 1024
    p = install_limited(org_mirror, 64, "--capath", d, "--state", state)
    assert p.returncode == 4, p.stderr
    assert b"File too large" in p.stderr
    assert b"every target is as it was" in p.stderr
    assert snapshot(d) == before and not d.is_symlink()
    assert leftovers(d) == [] and not state.exists()


@pytest.mark.parametrize("was", ["missing", "dir", "link"])
def test_capath_is_put_back_when_a_later_target_fails(org_mirror, tmp_path,
                                                      was):
    """ulimit -f 300 KiB: the hashed directory is replaced, then the
    certifi target's 400 KB original cannot be copied to its backup;
    DIR must be as it was (missing, a directory, a link)."""
    d = tmp_path / "certs"
    if was == "dir":
        d.mkdir()
        (d / "local.pem").write_bytes(b"# the admin's own file\n")
    elif was == "link":
        (tmp_path / "elsewhere").mkdir()
        d.symlink_to(tmp_path / "elsewhere")
    before = snapshot(d)
    py, cacert = make_python(tmp_path)
    large = b"# a large original\n" * 20000
    cacert.write_bytes(large)
    assert len(served(org_mirror)) < 300 * 1024 < len(large)
    state = tmp_path / "state.json"
    p = install_limited(org_mirror, 300, "--capath", d, "--python", py,
                        "--state", state)
    assert p.returncode == 4, p.stderr
    assert b"File too large" in p.stderr
    assert b"every target is as it was" in p.stderr
    assert snapshot(d) == before
    assert leftovers(d) == []
    assert cacert.read_bytes() == large
    assert sorted(os.listdir(cacert.parent)) == \
        ["__init__.py", "cacert.pem", "core.py"]
    assert not state.exists()


def test_capath_with_its_backup_name_taken_refuses_and_rolls_back(
        org_mirror, tmp_path):
    """A directory at DIR and DIR-backup taken: refused, and the --output
    file replaced before it gets its original back."""
    out = tmp_path / "org.pem"
    out.write_bytes(b"# the original\n")
    d = tmp_path / "certs"
    d.mkdir()
    (d / "local.pem").write_bytes(b"# the admin's own file\n")
    taken = tmp_path / "certs-backup"
    taken.mkdir()
    (taken / "keep.txt").write_bytes(b"someone else's\n")
    before, before_taken = snapshot(d), snapshot(taken)
    state = tmp_path / "state.json"
    p = install(org_mirror, "--profile", "org", "--output", out,
                "--capath", d, "--state", state, check=4)
    assert f"{d}: a directory, and {taken} is taken".encode() in p.stderr
    assert b"every target is as it was" in p.stderr
    assert out.read_bytes() == b"# the original\n"
    assert not (tmp_path / "org.pem-backup").exists()
    assert snapshot(d) == before and snapshot(taken) == before_taken
    assert trees(d) == [] and not state.exists()


# --- --pip -----------------------------------------------------------------

def add_fake_pip(py):
    """pip with a vendored certifi, in the lib directory of make_python's
    interpreter.  Returns pip's cacert.pem (an older real bundle)."""
    vend = py.parent / "lib" / "pip" / "_vendor"
    (vend / "certifi").mkdir(parents=True)
    (vend.parent / "__init__.py").write_text("")
    (vend / "__init__.py").write_text("")
    (vend / "certifi" / "__init__.py").write_text(CERTIFI_INIT)
    (vend / "certifi" / "core.py").write_text(CERTIFI_CORE)
    cacert = vend / "certifi" / "cacert.pem"
    cacert.write_bytes(upstream("2024.02.02").read_bytes())
    return cacert


def test_pip_replaces_certifi_and_pips_vendored_copy(org_mirror, tmp_path):
    py, certifi = make_python(tmp_path)
    pip = add_fake_pip(py)
    originals = {certifi: certifi.read_bytes(), pip: pip.read_bytes()}
    state = tmp_path / "state.json"

    r = install(org_mirror, "--profile", "org", "--python", py, "--pip",
                "--state", state, "--json", check=0)
    out = json.loads(r.stdout)
    assert sorted((t["kind"], t["path"], t["action"])
                  for t in out["targets"]) == [
        ("certifi", str(certifi), "replaced"),
        ("pip", str(pip), "replaced")]
    body = served(org_mirror)
    for f, data in originals.items():
        assert f.read_bytes() == body
        assert (f.parent / "cacert.pem-backup").read_bytes() == data
    assert sorted((t["kind"], t["path"], t["holds"])
                  for t in status_json(state)) == [
        ("certifi", str(certifi), True), ("pip", str(pip), True)]

    run(CABUNDLE, "restore", "--state", state, check=0)
    for f, data in originals.items():
        assert f.read_bytes() == data
        assert not (f.parent / "cacert.pem-backup").exists()
    assert status_json(state) == []


# --- mode and owner --------------------------------------------------------

def test_output_keeps_mode_and_owner(org_mirror, tmp_path):
    """A 0640 file owned by 1234:5678 stays so through install (a new
    file in its place), its backup, and restore."""
    out = tmp_path / "etc" / "org.pem"
    out.parent.mkdir()
    original = b"# the original, readable by group 5678 only\n"
    out.write_bytes(original)
    out.chmod(0o640)
    os.chown(out, 1234, 5678)
    ino = out.stat().st_ino
    state = tmp_path / "state.json"

    def who(p):
        s = p.stat()
        return stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid

    install(org_mirror, "--profile", "org", "--output", out, "--state",
            state, check=0)
    assert out.read_bytes() == served(org_mirror)
    assert out.stat().st_ino != ino
    assert who(out) == (0o640, 1234, 5678)
    backup = out.parent / "org.pem-backup"
    assert backup.read_bytes() == original
    assert who(backup) == (0o640, 1234, 5678)  # no more readable than it

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert out.read_bytes() == original
    assert who(out) == (0o640, 1234, 5678)
    assert not backup.exists()
