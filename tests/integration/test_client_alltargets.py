"""Every kind of target in one run is one transaction (issue 21): a PEM
file, a hashed directory, an NSS database, a Java store and certifi.
The certifi target comes last; when it fails (its backup's name is
taken by a file that is not ours), the file, the directory, the
database and the store that were already replaced are put back exactly
as they were: same bytes, same links, nothing left beside them.  Then
the same run succeeds, status sees every target holding the release,
and restore puts the machine back as it was before the first install.
(--system joins such runs in test_client_system.py, in a throwaway
root.)"""
import json
import os

from conftest import CABUNDLE, make_python, run
from conftest import client_install as install


def tree(root):
    """Everything under root as a user would compare it: each name with
    its link target, its bytes, or "dir"; nothing followed."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read())
    return out


def test_a_failure_last_puts_every_kind_back_then_restore(org_mirror,
                                                          tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    out = site / "org.pem"
    out.write_bytes(b"# the admin's bundle\n")
    capath = site / "certs"
    capath.mkdir()
    (capath / "local.pem").write_bytes(b"# the admin's own file\n")
    nssdb = site / "nssdb"
    nssdb.mkdir()
    run("certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password",
        check=0)
    store = site / "trust.p12"            # none before: removed again
    py, cacert = make_python(tmp_path)
    taken = cacert.parent / "cacert.pem-backup"
    taken.write_bytes(b"# not ours\n")
    state = tmp_path / "state.json"
    args = ["--profile", "org", "--output", out, "--capath", capath,
            "--nssdb", nssdb, "--java", store, "--python", py,
            "--state", state, "--json"]
    before, before_py = tree(site), tree(cacert.parent)

    p = install(org_mirror, *args, check=4)
    assert b"every target is as it was" in p.stderr, p.stderr
    assert tree(site) == before
    assert tree(cacert.parent) == before_py
    assert not state.exists()

    taken.unlink()
    before_py = tree(cacert.parent)
    res = json.loads(install(org_mirror, *args, check=0).stdout)
    assert res["result"] == "installed"
    assert sorted((t["kind"], t["action"]) for t in res["targets"]) == [
        ("capath", "replaced"), ("certifi", "replaced"),
        ("file", "replaced"), ("java", "replaced"), ("nssdb", "replaced")]
    st = json.loads(run(CABUNDLE, "status", "--state", state, "--json",
                        check=0).stdout)
    assert sorted((t["kind"], t["holds"]) for t in st) == [
        ("capath", True), ("certifi", True), ("file", True),
        ("java", True), ("nssdb", True)]

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert tree(site) == before
    assert tree(cacert.parent) == before_py
