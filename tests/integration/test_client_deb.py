"""The mirror hands out its own client (issue 24): "cabundled export
--client-deb FILE DIR" puts the client's Debian package in DIR/client/
with a signature by the mirror's key, made by its signer, so a fresh
host fetches it, checks it with stock minisign and the pinned key,
installs it and then installs bundles from the same mirror.

The package is hostile input: a link, a file that is not a Debian
package, one over the size cap, one named other than its control file
says or another package entirely stops the export before it writes.
The signature's trusted comment says what it is (cabundle-package/1),
so the client refuses it where a bundle signature belongs.
"""
import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess

import pytest
import requests

from conftest import (CABUNDLE, FIXTURES, NOPROXY, ROOT, Mirror, clock_env,
                      run)
from test_chain import nginx  # noqa: F401 (a fixture)

BODY = FIXTURES / "upstream" / "cacert-2026.07.22.pem"
VERSION = next(line.split("=", 1)[1].strip() for line in
               (ROOT / "Makefile").read_text().splitlines()
               if line.startswith("VERSION"))
DEB = f"cabundle_{VERSION}_amd64.deb"


def build_deb(d, package="cabundle", version=VERSION, name=None):
    """A client package: build/deb's when "make deb" made one, else one
    built here with dpkg-deb from the client binary, as make deb
    installs it (/usr/bin/cabundle)."""
    made = ROOT / "build" / "deb" / DEB
    out = d / (name or f"{package}_{version}_amd64.deb")
    if made.exists() and package == "cabundle" and version == VERSION:
        shutil.copyfile(made, out)
        return out
    tree = d / f"tree-{package}-{version}"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "usr" / "bin").mkdir(parents=True)
    shutil.copyfile(ROOT / "client" / "cabundle", tree / "usr/bin/cabundle")
    (tree / "usr/bin/cabundle").chmod(0o755)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {version}\nArchitecture: amd64\n"
        "Maintainer: cabundle tests <root@localhost>\n"
        "Description: stand-in client package\n")
    run("dpkg-deb", "--root-owner-group", "--build", tree, out, check=0)
    return out


@pytest.fixture
def mirror(tmp_path):
    """A mirror with mozilla and org at version 1."""
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    m("import", BODY, check=5)
    m("approve", "--reason", "first contact", "1", check=0)
    m("publish", check=0)
    return m


def audit_rows(m, action):
    with sqlite3.connect(m.db) as db:
        return [(o, json.loads(d)) for o, d in db.execute(
            "SELECT object, details FROM audit WHERE action = ? "
            "ORDER BY id", (action,))]


def minisign_verify(path, sig, key):
    return run("minisign", "-Vm", path, "-x", sig, "-P", key)


def test_export_hands_out_the_client_signed_by_the_mirror(mirror,
                                                          tmp_path):
    deb = build_deb(tmp_path)
    exp = tmp_path / "exp"
    p = mirror("export", "--client-deb", deb, exp, check=0)
    assert f"client/{DEB}" in p.stdout.decode()
    key = mirror.key()["public_key"]
    sha = hashlib.sha256(deb.read_bytes()).hexdigest()
    for name in (DEB, "cabundle_amd64.deb"):
        got = exp / "client" / name
        assert got.read_bytes() == deb.read_bytes()
        v = minisign_verify(got, f"{got}.minisig", key)
        assert v.returncode == 0, v.stderr
        # What minisign shows is what it is: a package, by name.
        assert (f"Trusted comment: format:cabundle-package/1\tfile:{DEB}\t"
                in v.stdout.decode())
        assert f"\tsize:{deb.stat().st_size}\tsha256:{sha}\n" in \
            v.stdout.decode()
    # Another key does not verify it.
    other = Mirror(tmp_path / "other")
    other("init", check=0)
    assert minisign_verify(exp / "client" / DEB, exp / "client" /
                           f"{DEB}.minisig",
                           other.key()["public_key"]).returncode != 0
    # Audited once, with name and digest, and the log exported says so.
    rows = audit_rows(mirror, "package-export")
    assert [(o, d["sha256"], d["version"], d["architecture"])
            for o, d in rows] == [(DEB, sha, VERSION, "amd64")]
    assert any(r["action"] == "package-export" and r["object"] == DEB
               for r in json.loads((exp / "v1/audit").read_text())["rows"])

    # Exported again: the signature stays, nothing is signed or audited.
    sig = (exp / "client" / f"{DEB}.minisig").read_bytes()
    mirror("export", "--client-deb", deb, exp, check=0)
    assert (exp / "client" / f"{DEB}.minisig").read_bytes() == sig
    assert len(audit_rows(mirror, "package-export")) == 1

    # After a key rotation the package is signed again, by the new key.
    mirror("key", "generate", "--standby", check=0)
    mirror("key", "rotate", check=0)
    mirror("export", "--client-deb", deb, exp, check=0)
    new = mirror.key()["public_key"]
    assert new != key
    for name in (DEB, "cabundle_amd64.deb"):
        got = exp / "client" / name
        assert minisign_verify(got, f"{got}.minisig", new).returncode == 0
    assert len(audit_rows(mirror, "package-export")) == 2


def test_a_planted_package_stops_the_export(mirror, tmp_path):
    """The versioned .deb is immutable as a release body: another file
    under its name stops the export, as export_integrity's rules say."""
    deb = build_deb(tmp_path)
    exp = tmp_path / "exp"
    (exp / "client").mkdir(parents=True)
    (exp / "client" / DEB).write_bytes(b"!<arch>\nplanted")
    p = mirror("export", "--client-deb", deb, exp, check=1)
    assert b"exists with other content" in p.stderr
    assert not (exp / "client" / f"{DEB}.minisig").exists()
    assert not (exp / "v1").exists()


def refused(mirror, tmp_path, path, words, check=1):
    exp = tmp_path / "exp"
    p = mirror("export", "--client-deb", path, exp, check=check)
    err = p.stderr.decode()
    assert words in err, err
    assert not exp.exists(), "a refused package stops the whole export"
    assert audit_rows(mirror, "package-export") == []


def test_a_symbolic_link_is_refused(mirror, tmp_path):
    (tmp_path / "real").mkdir()
    deb = build_deb(tmp_path / "real")
    (tmp_path / "ln").mkdir()
    link = tmp_path / "ln" / DEB
    link.symlink_to(deb)
    refused(mirror, tmp_path, link, "a symbolic link; refused")


def test_what_is_not_a_debian_package_is_refused(mirror, tmp_path):
    # Text, a tar file, an ar archive of something else: all under the
    # name a client package has.
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / DEB).write_text("Package: cabundle\n")
    refused(mirror, tmp_path, cases / DEB, "not a Debian binary package")
    subprocess.run(["tar", "-cf", cases / DEB, "-C", ROOT, "Makefile"],
                   check=True)
    refused(mirror, tmp_path, cases / DEB, "not a Debian binary package")
    (cases / "debian-binary").write_text("3.0\n")
    (cases / DEB).unlink()
    subprocess.run(["ar", "rc", cases / DEB, cases / "debian-binary"],
                   check=True)
    refused(mirror, tmp_path, cases / DEB, "not a Debian binary package")
    # The magic right, the rest garbage: dpkg-deb says no.
    good = build_deb(tmp_path).read_bytes()
    (cases / DEB).write_bytes(good[:200] + b"\0" * 64 + good[264:])
    refused(mirror, tmp_path, cases / DEB, "dpkg-deb cannot read it")
    # A directory.
    (cases / DEB).unlink()
    (cases / DEB).mkdir()
    refused(mirror, tmp_path, cases / DEB, "not a regular file")


def test_an_oversized_file_is_refused_unread(mirror, tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    with open(big / DEB, "wb") as f:
        f.write(build_deb(tmp_path).read_bytes())
        f.truncate(32 * 1024 * 1024 + 1)    # sparse: no disk used
    refused(mirror, tmp_path, big / DEB, "over the 33554432")


def test_only_the_client_under_its_own_name(mirror, tmp_path):
    other = build_deb(tmp_path, package="openssl")
    refused(mirror, tmp_path, other, "package 'openssl', not cabundle")
    wrong = build_deb(tmp_path, name="cabundle_9.9.9_amd64.deb")
    refused(mirror, tmp_path, wrong, f"its control file names it {DEB}")
    # An epoch is not in a Debian file name.
    (tmp_path / "epoch").mkdir()
    ep = build_deb(tmp_path / "epoch", version=f"1:{VERSION}", name=DEB)
    exp = tmp_path / "exp-epoch"
    mirror("export", "--client-deb", ep, exp, check=0)
    assert (exp / "client" / DEB).exists()


def test_the_client_refuses_a_package_signature_as_a_bundle(mirror,
                                                            tmp_path):
    """Signed by the very key the client pins, over bytes it fetched:
    still no bundle, because the trusted comment is another format."""
    deb = build_deb(tmp_path)
    exp = tmp_path / "exp"
    mirror("export", "--client-deb", deb, exp, check=0)
    key = mirror.key()["public_key"]
    out, state = tmp_path / "cacert.pem", tmp_path / "state.json"
    args = [CABUNDLE, "install", "--from", exp, "--key", key, "--profile",
            "mozilla", "--output", out, "--state", state]
    shutil.copyfile(exp / "client" / f"{DEB}.minisig",
                    exp / "v1/mozilla/cacert.pem.minisig")
    shutil.copyfile(deb, exp / "v1/mozilla/cacert.pem")
    p = run(*args, check=1)
    assert b"cabundle-package/1" in p.stderr, p.stderr
    assert not out.exists()
    # The real one still installs: the refusal was the comment's.
    mirror("export", "--repair", "--client-deb", deb, exp, check=0)
    run(*args, check=0)
    assert out.exists()


def test_a_fresh_host_provisions_itself_from_the_mirror(mirror, nginx,
                                                        tmp_path):
    """README's provisioning recipe against a real nginx: curl, minisign
    with the pinned key, install the package (here: unpacked with
    dpkg-deb; dpkg -i into a chroot is the package test's), then the
    installed client installs the mirror's bundle."""
    root, base = nginx
    deb = build_deb(tmp_path)
    mirror("export", "--client-deb", deb, root, check=0)
    key = mirror.key()["public_key"]
    host = tmp_path / "host"
    host.mkdir()
    for name, ctype in (("cabundle_amd64.deb",
                         "application/vnd.debian.binary-package"),
                        ("cabundle_amd64.deb.minisig", "text/plain")):
        r = requests.get(f"{base}/client/{name}", timeout=10)
        assert r.status_code == 200, name
        assert r.headers["Content-Type"].startswith(ctype), name
        assert "max-age=60" in r.headers["Cache-Control"], name
        (host / name).write_bytes(r.content)
    r = requests.get(f"{base}/client/{DEB}", timeout=10)
    assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"]
    run("curl", "-fsS", "-o", host / "c.deb",
        f"{base}/client/cabundle_amd64.deb", check=0, env=NOPROXY)
    assert (host / "c.deb").read_bytes() == deb.read_bytes()
    v = minisign_verify(host / "cabundle_amd64.deb",
                        host / "cabundle_amd64.deb.minisig", key)
    assert v.returncode == 0, v.stderr
    run("dpkg-deb", "-x", host / "cabundle_amd64.deb", host / "root",
        check=0)
    client = host / "root" / "usr" / "bin" / "cabundle"
    out = host / "cacert.pem"
    p = run(client, "install", "--from", base, "--key", key, "--profile",
            "mozilla", "--output", out, "--state", host / "state.json",
            check=0, env=clock_env(NOPROXY))
    assert out.read_bytes() == (root / "v1/mozilla/cacert.pem").read_bytes()
    assert b"mozilla" in p.stdout
    # A tampered package fails the same check.
    bad = bytearray(deb.read_bytes())
    bad[len(bad) // 2] ^= 1
    (host / "cabundle_amd64.deb").write_bytes(bytes(bad))
    assert minisign_verify(host / "cabundle_amd64.deb",
                           host / "cabundle_amd64.deb.minisig",
                           key).returncode != 0
    assert os.path.exists(client)
