"""Keys announced by an offline root (doc/SPEC.md section 11; issue 20;
ATTACKS.md section 13, phase 2).

Root keys are made and used with "cabundled root init|sign" on the
test's own "offline machine" (a directory, no data directory); every
key list and signature is checked with stock minisign.  Clients follow
the list with --root; a fake mirror (fakemirror.py) stages what an
attacker or a broken mirror would serve, a real cabundled what
headquarters does.  A refusal exits 1, says why, and leaves targets and
state byte-identical.
"""
import hashlib
import json
import re
import shutil
import sqlite3
import time

import pytest

from conftest import (CABUNDLE, CABUNDLED, DAY, NOPROXY, SIGTOOL, Mirror,
                      Server, body_of, clock_env, run, tc)
from conftest import now as product_now
from fakemirror import static


class Root:
    """A root key pair made offline by cabundled root init."""

    def __init__(self, d):
        d.mkdir(parents=True, exist_ok=True)
        p = run(CABUNDLED, "root", "init", d, check=0)
        self.keyid = re.search(rb"root key ([0-9A-F]{16})", p.stdout)[1] \
            .decode()
        self.key = d / f"root-{self.keyid}.key"
        self.pub = d / f"root-{self.keyid}.pub"
        assert self.key.stat().st_mode & 0o077 == 0


class List:
    """A signed key list as root sign wrote it."""

    def __init__(self, path):
        self.path = path
        self.text = path.read_bytes()
        self.version = int(re.search(rb"^version:(\d+)$", self.text,
                                     re.M)[1])
        self.sigs = {}
        for f in sorted(path.parent.glob(path.name + ".*.minisig")):
            self.sigs[f.name.split(".")[-2]] = f.read_bytes()


def sign(tmp, name, secrets, *args, at=None, check=0):
    """cabundled root sign -o tmp/name with each secret root key."""
    out = tmp / name
    a = [CABUNDLED, "root", "sign", "-o", out]
    for r in secrets:
        a += ["--secret", r.key]
    p = run(*a, *args, check=check,
            env=clock_env(at=at) if at is not None else None)
    return List(out) if check == 0 else p


def minisign_verifies(lst, root):
    """Stock minisign's verdict on lst's signature by root."""
    sig = lst.path.parent / f"{lst.path.name}.{root.keyid}.minisig"
    return run("minisign", "-H", "-Vm", lst.path, "-x", sig, "-p",
               root.pub).returncode == 0


def serve(m, lst, newest=True):
    """Serve lst at /v1/keylists/N/ (and as the newest)."""
    m.routes[f"/v1/keylists/{lst.version}/keys"] = static(lst.text)
    for kid, sig in lst.sigs.items():
        m.routes[f"/v1/keylists/{lst.version}/{kid}.minisig"] = static(sig)
    if newest:
        m.routes["/v1/keys"] = static(lst.text)
        m.routes["/v1/keys.minisig"] = static(next(iter(lst.sigs.values())))


def rooted(env, roots, check=None):
    """cabundle install --root ROOT... against env's mirror."""
    a = env.args(keys=[])
    for r in roots:
        a += ["--root", r.pub]
    return run(*a, check=check, env=NOPROXY)


def installed(env, roots, version):
    p = rooted(env, roots, check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed" and out["version"] == version, out
    return out


def refused(env, roots, *words):
    snap = env.snapshot()
    p = rooted(env, roots)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 1, f"exit {p.returncode}: {err}"
    for w in words:
        assert w.lower() in err.lower(), f"{w!r} not in: {err}"
    env.unchanged(snap)
    return err


@pytest.fixture
def off(tmp_path):
    """The offline machine: a root key, and where lists are signed."""
    d = tmp_path / "offline"
    d.mkdir()
    off = type("Off", (), {})()
    off.dir = d
    off.r1 = Root(d / "r1")
    return off


# ---- the format: stock minisign, one canonical form ------------------

def test_list_is_canonical_and_minisign_verifies(off, keys):
    lst = sign(off.dir, "keys-1", [off.r1], "--version", "1",
               "--active", keys.k1.pub, "--standby", keys.k2.pub)
    t = product_now()
    lines = lst.text.decode().split("\n")
    assert lines[0] == "format:cabundle-keys/1" and lines[1] == "version:1"
    assert abs(int(lines[2].split(":")[1]) - t) < 120
    assert lines[4] == "threshold:1"
    assert lines[5] == f"root:{off.r1.keyid} " + \
        off.r1.pub.read_text().splitlines()[1]
    assert lines[6].startswith("key:") and lines[6].endswith(" active")
    assert lines[7].endswith(" standby") and lines[8] == ""
    assert minisign_verifies(lst, off.r1)
    # The trusted comment repeats format, version, expiry and sha256.
    p = run("minisign", "-Vm", lst.path, "-p", off.r1.pub, check=0)
    assert b"format:cabundle-keys/1\tversion:1\t" in p.stdout
    assert hashlib.sha256(lst.text).hexdigest().encode() in p.stdout
    # Signing again never overwrites a different list.
    p = sign(off.dir, "keys-1", [off.r1], "--version", "2",
             "--active", keys.k1.pub, check=4)
    assert b"exists and differs" in p.stderr


# ---- the walk (ATTACKS 13, phase 2) -----------------------------------

def test_rooted_install_and_revocation(env, keys, off):
    """A --root client takes the listed keys; a key the next list
    retires is refused even with a fresh signature, with a hint."""
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub, "--standby", keys.k2.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    out = installed(env, [off.r1], 3)
    assert out["keylist_version"] == 1
    st = json.loads(env.state.read_text())
    assert st["keylists"][0]["version"] == 1
    # A key not in the list: refused with a hint at the list.
    env.publish(4, key=keys.k3)
    err = refused(env, [off.r1], "not trusted", "/v1/keys")
    # Headquarters revokes K1 (retired) and K2 takes over.
    l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
              "--retired", keys.k1.pub, "--active", keys.k2.pub)
    serve(env.m, l2)
    env.publish(4, key=keys.k1)      # a thief's fresh signature
    err = refused(env, [off.r1], "not trusted", "key list")
    assert "version 2" in err
    env.publish(4, key=keys.k2)
    out = installed(env, [off.r1], 4)
    assert out["keylist_version"] == 2
    for t in env.targets:
        assert t.read_bytes() == body_of(4)


def test_state_of_a_pinned_install_moves_to_root(env, keys, off):
    """A state file written by a --key install (no "keylists") still
    loads; the --root install then adds its key list floor and keeps
    the release floor."""
    env.publish(3, key=keys.k1)
    env.installed(3)
    old = json.loads(env.state.read_text())
    assert "keylists" not in old
    serve(env.m, sign(off.dir, "keys-1", [off.r1], "--version", "1",
                      "--active", keys.k1.pub))
    env.publish(4, key=keys.k1)
    installed(env, [off.r1], 4)
    st = json.loads(env.state.read_text())
    assert st["keylists"][0]["version"] == 1
    assert st["keylists"][0]["sha256"] == hashlib.sha256(
        (off.dir / "keys-1").read_bytes()).hexdigest()
    env.publish(2, key=keys.k1)
    refused(env, [off.r1], "rollback")


def test_rolled_back_list_refused(env, keys, off):
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub)
    l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    serve(env.m, l2)
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)
    serve(env.m, l1)                  # the newest goes back to 1
    env.publish(4, key=keys.k1)
    refused(env, [off.r1], "rollback", "key list version 1")
    # Version 2 served with other bytes: not the list trusted before.
    (off.dir / "b").mkdir()
    l2b = sign(off.dir / "b", "keys-2", [off.r1], "--version", "2",
               "--active", keys.k2.pub)
    serve(env.m, l2b)
    refused(env, [off.r1], "other contents")


def test_expired_list_refused(env, keys, off):
    old = product_now() - 40 * DAY
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--expires-days", "30", "--active", keys.k1.pub, at=old)
    assert minisign_verifies(l1, off.r1)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    refused(env, [off.r1], "key list version 1 expired")


def test_walk_and_root_rotation(env, keys, off):
    """v2 hands over to a new root (signed by both), v3 is signed by
    the new root alone: a client configured with the old root walks
    1, 2, 3 without any change of its configuration."""
    r2 = Root(off.dir / "r2")
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)
    l2 = sign(off.dir, "keys-2", [off.r1, r2], "--version", "2",
              "--root", r2.pub, "--active", keys.k1.pub)
    assert minisign_verifies(l2, off.r1) and minisign_verifies(l2, r2)
    l3 = sign(off.dir, "keys-3", [r2], "--version", "3",
              "--root", r2.pub, "--active", keys.k2.pub)
    assert minisign_verifies(l3, r2)
    serve(env.m, l2, newest=False)
    serve(env.m, l3)
    env.publish(4, key=keys.k2)
    out = installed(env, [off.r1], 4)
    assert out["keylist_version"] == 3
    assert env.m.hits("/v1/keylists/2/keys") >= 1
    # A fresh client that knows only the new root starts at the newest.
    env.state.unlink()
    for t in env.targets:
        t.write_bytes(body_of(1))
        t.with_name(t.name + "-backup").unlink()
    installed(env, [r2], 4)


def test_new_root_alone_refused(env, keys, off):
    """List 2 names a new root and is signed only by it: the old root
    did not hand over, so it is refused."""
    r2 = Root(off.dir / "r2")
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)
    l2 = sign(off.dir, "keys-2", [r2], "--version", "2", "--root", r2.pub,
              "--active", keys.k3.pub)
    serve(env.m, l2)
    env.publish(4, key=keys.k3)
    refused(env, [off.r1], "signed by 0 of the root keys of version 1")


def test_list_naming_a_root_that_did_not_sign(env, keys, off):
    r2 = Root(off.dir / "r2")
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)
    # r1 alone signs a list that also names r2 as a root.
    l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
              "--root", off.r1.pub, "--root", r2.pub,
              "--active", keys.k1.pub)
    serve(env.m, l2)
    env.publish(4, key=keys.k1)
    refused(env, [off.r1], f"names root key {r2.keyid}, which did not "
            "sign it")


def test_missing_step_refused(env, keys, off):
    """N+2 served before N+1 can be fetched: the client walks N+1
    first, and without it refuses."""
    l1 = sign(off.dir, "keys-1", [off.r1], "--version", "1",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)
    l3 = sign(off.dir, "keys-3", [off.r1], "--version", "3",
              "--active", keys.k2.pub)
    serve(env.m, l3)
    env.publish(4, key=keys.k2)
    refused(env, [off.r1], "/v1/keylists/2/keys")
    l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
              "--active", keys.k1.pub)
    serve(env.m, l2, newest=False)
    installed(env, [off.r1], 4)


def test_wrong_root_and_key_with_root_exclusive(env, keys, off):
    other = Root(off.dir / "other")
    l1 = sign(off.dir, "keys-1", [other], "--version", "1",
              "--active", keys.k1.pub)
    serve(env.m, l1)
    env.publish(3, key=keys.k1)
    refused(env, [off.r1], "configured root keys")
    a = env.args(keys=[keys.k1]) + ["--root", off.r1.pub]
    p = run(*a, env=NOPROXY)
    assert p.returncode == 2 and b"exclude each other" in p.stderr


def hand_list(root, version, keyline, tmp):
    """A list written here (not by root sign), signed by root with
    sigtool: an independent writer of the format."""
    t = int(product_now())
    text = (f"format:cabundle-keys/1\nversion:{version}\ncreated:{t - 60}\n"
            f"expires:{t + 30 * DAY}\nthreshold:1\n"
            f"root:{root.keyid} {root.pub.read_text().splitlines()[1]}\n"
            f"key:{keyline}\n").encode()
    f = tmp / f"hand-{version}"
    f.write_bytes(text)
    cmt = (f"format:cabundle-keys/1\tversion:{version}\tcreated:{t - 60}"
           f"\texpires:{t + 30 * DAY}\tsha256:"
           f"{hashlib.sha256(text).hexdigest()}")
    sig = run(SIGTOOL, "sign", root.key, f, cmt, check=0).stdout
    (tmp / f"hand-{version}.{root.keyid}.minisig").write_bytes(sig)
    lst = List(f)
    assert minisign_verifies(lst, root)
    return lst


def test_release_outside_its_keys_window(env, keys, off):
    """A key listed from yesterday on: its signature of a release
    created two days ago is refused, one created now accepted."""
    t = int(product_now())
    kid = keys.k1.keyid[::-1].hex().upper()
    lst = hand_list(off.r1, 1, f"{kid} {keys.k1.rw} {t - DAY} "
                    f"{t + 9 * DAY} active", off.dir)
    serve(env.m, lst)
    env.publish(3, key=keys.k1, created=t - 2 * DAY)
    refused(env, [off.r1], "outside the window")
    env.publish(3, key=keys.k1)
    installed(env, [off.r1], 3)


def test_pinned_key_hint(env, keys):
    """--key client, signature by another key: the hint names the key
    id and points at /v1/keys and --root."""
    env.publish(3, key=keys.k3)
    p = env.install()
    err = p.stderr.decode()
    assert p.returncode == 1
    assert keys.k3.keyid[::-1].hex().upper() in err
    assert "/v1/keys" in err and "--root" in err


# ---- headquarters: a real mirror, end to end -------------------------

def hq_mirror(good, off, keys_json):
    """The first key list from the mirror's own keys, imported."""
    keys_json.write_bytes(good("key", "show", "--json", check=0).stdout)
    lst = sign(off.dir, "keys-1", [off.r1], "--version", "1",
               "--keys-json", keys_json)
    good("key", "import-list", "--root", off.r1.pub, lst.path, check=0)
    return lst


def test_rotation_at_headquarters_reaches_rooted_client(good, off, env,
                                                        tmp_path):
    l1 = hq_mirror(good, off, tmp_path / "k1.json")
    good("publish", "--resign", check=0)
    s = Server(good)
    try:
        assert s.get("/v1/keys").content == l1.text
        (tmp_path / "dl").mkdir()
        (tmp_path / "dl" / "keys").write_bytes(s.get("/v1/keys").content)
        (tmp_path / "dl" / "keys.minisig").write_bytes(
            s.get("/v1/keys.minisig").content)
        assert run("minisign", "-Vm", tmp_path / "dl" / "keys", "-p",
                   off.r1.pub).returncode == 0
        assert s.get(f"/v1/keylists/1/{off.r1.keyid}.minisig").content == \
            l1.sigs[off.r1.keyid]
        assert s.get("/v1/keylists/2/keys").status_code == 404
        profile = s.get("/v1/profiles").json()
        name = profile[0]["name"] if isinstance(profile, list) else \
            sorted(profile)[0]
        a = ["install", "--config", env.conf, "--from", s.base,
             "--profile", name, "--state", env.state, "--json",
             "--root", off.r1.pub, "--output", env.targets[0]]
        p = run(CABUNDLE, *a, check=0, env=NOPROXY)
        first = json.loads(p.stdout)
        # A standby key the list does not name: rotate refuses and
        # says how to fix it; nothing served changes.
        good("key", "generate", "--standby", check=0)
        before = s.get("/v1/keys").content
        p = good("key", "rotate", check=1)
        assert b"root sign" in p.stderr and b"import-list" in p.stderr
        assert s.get("/v1/keys").content == before
        # The offline machine signs list 2 naming it; import; rotate.
        kj = tmp_path / "k2.json"
        kj.write_bytes(good("key", "show", "--json", check=0).stdout)
        l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
                  "--keys-json", kj)
        assert minisign_verifies(l2, off.r1)
        good("key", "import-list", l2.path, check=0)
        sig = s.get(f"/v1/{name}/cacert.pem.minisig").content
        good("key", "rotate", check=0)
        for _ in range(100):
            if s.get(f"/v1/{name}/cacert.pem.minisig").content != sig:
                break
            time.sleep(0.1)
        assert s.get("/v1/keys").content == l2.text
        p = run(CABUNDLE, *a, check=0, env=NOPROXY)
        second = json.loads(p.stdout)
        assert second["keylist_version"] == 2
        assert second["key_id"] != first["key_id"]
        assert second["version"] > first["version"]
    finally:
        s.stop()


def test_import_refusals_change_nothing(good, off, tmp_path):
    l1 = hq_mirror(good, off, tmp_path / "k.json")
    other = Root(off.dir / "other")
    forged = sign(off.dir, "keys-2", [other], "--version", "2",
                  "--root", other.pub, "--keys-json", tmp_path / "k.json")
    p = good("key", "import-list", forged.path, check=1)
    assert b"signed by 0 of the root keys of version 1" in p.stderr
    (off.dir / "o").mkdir()
    rolled = sign(off.dir / "o", "keys-1", [off.r1], "--version", "1",
                  "--expires-days", "99", "--keys-json", tmp_path / "k.json")
    p = good("key", "import-list", rolled.path, check=1)
    assert b"not newer" in p.stderr
    p = good("key", "import-list", l1.path, check=0)
    assert b"held already" in p.stdout
    c = sqlite3.connect(good.db)
    assert c.execute("SELECT count(*) FROM keylist").fetchone()[0] == 1
    c.close()


def test_export_holds_the_key_lists(good, off, env, tmp_path):
    """cabundled export writes every list and signature; a --root
    client installs from the static tree; minisign checks a version
    directory as it stands."""
    hq_mirror(good, off, tmp_path / "k.json")
    good("publish", "--resign", check=0)
    out = tmp_path / "tree"
    good("export", out, check=0)
    v1 = out / "v1" / "keylists" / "1"
    assert (out / "v1" / "keys").read_bytes() == (v1 / "keys").read_bytes()
    assert run("minisign", "-H", "-Vm", v1 / "keys", "-p",
               off.r1.pub).returncode == 0
    assert (v1 / f"{off.r1.keyid}.minisig").read_bytes() == \
        (out / "v1" / "keys.minisig").read_bytes()
    name = sorted(p.name for p in (out / "v1").iterdir()
                  if (p / "cacert.pem.minisig").exists())[0]
    p = run(CABUNDLE, "install", "--config", env.conf, "--from",
            f"file://{out}", "--profile", name, "--state", env.state,
            "--json", "--root", off.r1.pub, "--output", env.targets[0],
            env=NOPROXY, check=0)
    assert json.loads(p.stdout)["keylist_version"] == 1
    # Exported again: nothing rewritten, nothing refused.
    good("export", out, check=0)


def relay_b(good, off, tmp_path, url, l1):
    """Mirror B relaying good's mozilla from url, holding list l1."""
    cfg = tmp_path / "b.conf"
    cfg.write_text(f"[mirror]\nurl = {url}\nprofile = mozilla\n"
                   f"key = {good.key()['public_key']}\n")
    b = Mirror(tmp_path / "b", config=cfg)
    b("init", "--actor", "b-admin", check=0)
    b("key", "import-list", "--root", off.r1.pub, l1.path, check=0)
    return b


def next_list(good, off, kj):
    """Version 2 at headquarters, rotating in a second root r2."""
    r2 = Root(off.dir / "r2")
    l2 = sign(off.dir, "keys-2", [off.r1, r2], "--version", "2",
              "--root", r2.pub, "--keys-json", kj)
    good("key", "import-list", l2.path, check=0)
    return r2, l2


def test_relay_copies_the_key_lists_verbatim(good, off, tmp_path):
    """A relay mirror B, once its operator imported the first list,
    copies every later version of its upstream's key list byte for
    byte; a version that does not verify changes nothing."""
    kj = tmp_path / "k.json"
    l1 = hq_mirror(good, off, kj)
    good("publish", "--resign", check=0)
    tree = tmp_path / "tree"
    good("export", tree, check=0)
    b = relay_b(good, off, tmp_path, f"file://{tree}", l1)
    r2, l2 = next_list(good, off, kj)
    good("export", tree, check=0)
    p = b("fetch")
    assert b"relayed: key list version 2" in p.stdout, p.stderr

    def held(m):
        c = sqlite3.connect(m.db)
        rows = c.execute("SELECT k.version, k.body, s.keyid, s.sig FROM "
                         "keylist k JOIN keylist_sig s USING (version) "
                         "ORDER BY k.version, s.pos").fetchall()
        c.close()
        return rows
    assert held(b) == held(good)
    assert {r[2] for r in held(b) if r[0] == 2} == {off.r1.keyid, r2.keyid}
    # Upstream's newest replaced by a list only an outsider signed.
    other = Root(off.dir / "other")
    l3 = sign(off.dir, "keys-3", [other], "--version", "3",
              "--root", other.pub, "--keys-json", kj)
    (tree / "v1" / "keys").write_bytes(l3.text)
    d = tree / "v1" / "keylists" / "3"
    d.mkdir()
    (d / "keys").write_bytes(l3.text)
    (d / f"{other.keyid}.minisig").write_bytes(l3.sigs[other.keyid])
    before = held(b)
    p = b("fetch")
    assert b"key list refused" in p.stderr, p.stderr
    assert held(b) == before


def test_rotation_and_revocation_reach_the_site_and_its_clients(
        good, off, env, tmp_path):
    """Headquarters rotates its online key, then revokes the old one:
    the site relaying it (verbatim, from a carried export) follows the
    key lists it relays, with no edit of [mirror] key, and so does a
    --root client at the site; a thief's fresh signature by the revoked
    key is refused at the site and changes nothing it serves."""
    kj = tmp_path / "k.json"
    l1 = hq_mirror(good, off, kj)
    good("publish", "--resign", check=0)
    tree, site_tree = tmp_path / "usb", tmp_path / "site-export"
    good("export", tree, check=0)
    b = relay_b(good, off, tmp_path, f"file:{tree}", l1)
    b("fetch", check=5)
    b("approve", "--reason", "headquarters' roots, checked", "1", check=0)
    old = good.key()
    stolen = tmp_path / "stolen.key"
    shutil.copy(good.keyfile(), stolen)
    # Rotation: the list names the standby key, then it signs.
    good("key", "generate", "--standby", check=0)
    kj.write_bytes(good("key", "show", "--json", check=0).stdout)
    l2 = sign(off.dir, "keys-2", [off.r1], "--version", "2",
              "--keys-json", kj)
    good("key", "import-list", l2.path, check=0)
    good("key", "rotate", check=0)
    new = good.key()
    good("export", tree, check=0)
    p = b("fetch", check=0)
    assert b"relayed: key list version 2" in p.stdout, p.stderr
    assert f"signed by key {new['key_id']}".encode() in p.stdout, p.stderr
    b("export", site_tree, check=0)
    a = ["install", "--config", env.conf, "--from", f"file://{site_tree}",
         "--profile", "mozilla", "--state", env.state, "--json",
         "--root", off.r1.pub, "--output", env.targets[0]]
    got = json.loads(run(CABUNDLE, *a, check=0, env=NOPROXY).stdout)
    assert got["key_id"] == new["key_id"] and got["keylist_version"] == 2
    # Revocation: list 3 leaves the old key out.
    kj.write_bytes(good("key", "show", "--json", check=0).stdout)
    l3 = sign(off.dir, "keys-3", [off.r1], "--version", "3",
              "--keys-json", kj)
    assert old["key_id"].encode() not in l3.text
    good("key", "import-list", l3.path, check=0)
    good("export", tree, check=0)
    p = b("fetch", check=0)
    assert b"relayed: key list version 3" in p.stdout, p.stderr
    # The thief signs the next version with the stolen old key.
    d = tree / "v1" / "mozilla"
    v = max(int(x.name) for x in d.iterdir() if x.name.isdigit()) + 1
    body = (d / "cacert.pem").read_bytes()
    (d / str(v)).mkdir()
    (d / str(v) / "cacert.pem").write_bytes(body)
    (tmp_path / "body").write_bytes(body)
    sig = run(SIGTOOL, "sign", stolen, tmp_path / "body",
              tc(body, v, profile="mozilla"), check=0).stdout
    (d / "cacert.pem.minisig").write_bytes(sig)
    before = b.json("history", "--json", "mozilla")
    p = b("fetch", check=1)
    assert b"not trusted by key list version 3" in p.stderr, p.stderr
    assert b.json("history", "--json", "mozilla") == before
    # The site's own key (its own profiles) is not headquarters' list's
    # business: it rotates, with a warning about who pins it.
    b("key", "generate", "--standby", check=0)
    p = b("key", "rotate", check=0)
    assert b"names none of this mirror's keys" in p.stderr, p.stderr


def test_relay_copies_the_key_lists_over_plain_http(good, off, tmp_path):
    """Over http:// from a serving mirror, as the bundles are relayed:
    the signatures carry the trust, so no switch is needed for either."""
    kj = tmp_path / "k.json"
    l1 = hq_mirror(good, off, kj)
    _, l2 = next_list(good, off, kj)
    s = Server(good)
    try:
        b = relay_b(good, off, tmp_path, f"{s.base}/", l1)
        p = b("fetch")
        assert b"relayed: key list version 2" in p.stdout, p.stderr
        c = sqlite3.connect(b.db)
        got = c.execute("SELECT body FROM keylist WHERE version = 2"
                        ).fetchone()[0]
        c.close()
        assert got.encode() == s.get("/v1/keys").content == l2.text
    finally:
        s.stop()


@pytest.mark.parametrize("case", ["huge", "html", "crlf", "sig-huge"])
def test_hostile_key_list_answers(env, keys, off, case):
    """What a broken or hostile mirror serves for the key list: capped,
    parsed strictly, refused without touching anything."""
    lst = sign(off.dir, "keys-1", [off.r1], "--version", "1",
               "--active", keys.k1.pub)
    serve(env.m, lst)
    env.publish(3, key=keys.k1)
    words = {"huge": "8192", "html": "format:cabundle-keys/1",
             "crlf": "CR", "sig-huge": "signed by 0"}[case]
    if case == "huge":
        env.m.routes["/v1/keys"] = static(lst.text + b"x" * (1 << 20))
    elif case == "html":
        env.m.routes["/v1/keys"] = static(b"<html>captive portal</html>")
    elif case == "crlf":
        env.m.routes["/v1/keys"] = static(lst.text.replace(b"\n", b"\r\n"))
    else:
        env.m.routes[f"/v1/keylists/1/{off.r1.keyid}.minisig"] = static(
            lst.sigs[off.r1.keyid] + b"#" * (1 << 20))
    refused(env, [off.r1], words)


def test_threshold_two_of_two_and_cosigning(env, keys, off):
    """threshold:2 with two roots: one signature is not enough; the
    second holder adds theirs with root sign --list."""
    r2 = Root(off.dir / "r2")
    lst = sign(off.dir, "keys-1", [off.r1], "--version", "1",
               "--threshold", "2", "--root", off.r1.pub, "--root", r2.pub,
               "--active", keys.k1.pub)
    serve(env.m, lst)
    env.publish(3, key=keys.k1)
    refused(env, [off.r1, r2], "signed by 1 of the configured root keys")
    lst = sign(off.dir, "keys-1", [r2], "--list", off.dir / "keys-1")
    assert set(lst.sigs) == {off.r1.keyid, r2.keyid}
    assert minisign_verifies(lst, off.r1) and minisign_verifies(lst, r2)
    serve(env.m, lst)
    installed(env, [off.r1, r2], 3)
