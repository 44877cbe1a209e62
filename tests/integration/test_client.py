"""cabundle install, status and restore as a user lives them: a local
HTTPS site whose certificate comes from an organization CA, a throwaway
certifi that Python's requests really uses, and a cabundled serve
publishing the org profile.  Before the install requests fails; after
it, it succeeds; after restore it fails again.  The machine's own
certifi is never touched."""
import hashlib
import json
import random
import signal
import subprocess
import time

import pytest

from conftest import CABUNDLE, make_python, requests_get, run, upstream
from conftest import client_install as install

def test_install_makes_requests_trust_the_org_and_restore_undoes_it(
        org_mirror, https_site, tmp_path):
    py, cacert = make_python(tmp_path)
    original = cacert.read_bytes()
    state = tmp_path / "state.json"
    before = requests_get(py, https_site)
    assert before.startswith("SSLError") and \
        "CERTIFICATE_VERIFY_FAILED" in before, before

    r = install(org_mirror, "--profile", "org", "--python", py,
                "--state", state, "--json", check=0)
    out = json.loads(r.stdout)
    assert out["result"] == "installed" and out["profile"] == "org"
    served = org_mirror.get(f"/v1/org/{out['version']}/cacert.pem").content
    assert cacert.read_bytes() == served
    assert (cacert.parent / "cacert.pem-backup").read_bytes() == original
    assert requests_get(py, https_site) == \
        "OK 200 hello from the intranet\n"

    st = json.loads(run(CABUNDLE, "status", "--state", state, "--json",
                        check=0).stdout)
    assert [(t["path"], t["profile"], t["version"], t["holds"],
             t["stale"]) for t in st] == \
        [(str(cacert), "org", out["version"], True, False)]

    # Again: already current, nothing rewritten.
    mtime = cacert.stat().st_mtime_ns
    r = install(org_mirror, "--profile", "org", "--python", py,
                "--state", state, "--json", check=0)
    assert json.loads(r.stdout)["result"] == "current"
    assert cacert.stat().st_mtime_ns == mtime

    run(CABUNDLE, "restore", "--state", state, check=0)
    assert cacert.read_bytes() == original
    assert not (cacert.parent / "cacert.pem-backup").exists()
    after = requests_get(py, https_site)
    assert after.startswith("SSLError"), after
    assert json.loads(run(CABUNDLE, "status", "--state", state, "--json",
                          check=0).stdout) == []


def test_status_notices_a_replaced_certifi(org_mirror, tmp_path):
    py, cacert = make_python(tmp_path)
    state = tmp_path / "state.json"
    install(org_mirror, "--profile", "org", "--python", py, "--state",
            state, check=0)
    # What "pip install -U certifi" does to it.
    cacert.write_bytes(upstream("2026.07.22").read_bytes())
    r = run(CABUNDLE, "status", "--state", state, check=1)
    assert f"{cacert}: CHANGED" in r.stdout.decode()
    assert "cabundle install --from" in r.stdout.decode()
    # Installing again puts it back; the backup keeps the first original.
    backup = (cacert.parent / "cacert.pem-backup").read_bytes()
    install(org_mirror, "--profile", "org", "--python", py, "--state",
            state, check=0)
    assert (cacert.parent / "cacert.pem-backup").read_bytes() == backup
    run(CABUNDLE, "status", "--state", state, check=0)


def test_a_patched_certifi_is_refused_unless_forced(org_mirror, tmp_path):
    system = tmp_path / "system-ca.crt"
    py, cacert = make_python(tmp_path, where=system)
    before = system.read_bytes()
    state = tmp_path / "state.json"
    r = install(org_mirror, "--profile", "org", "--python", py, "--state",
                state, check=4)
    err = r.stderr.decode()
    assert f"is {system}, outside its package" in err
    assert "--output" in err and "--force" in err
    assert system.read_bytes() == before and not state.exists()
    install(org_mirror, "--profile", "org", "--python", py, "--state",
            state, "--force", check=0)
    assert system.read_bytes() == org_mirror.get("/v1/org/cacert.pem").content


def test_several_targets_from_a_config_file(org_mirror, tmp_path):
    py, cacert = make_python(tmp_path)
    out = tmp_path / "etc" / "org.pem"
    out.parent.mkdir()
    conf = tmp_path / "cabundle.conf"
    conf.write_text(f"from = {org_mirror.base}\n"
                    f"key = {org_mirror.mirror.key()['public_key']}\n"
                    f"profile = org\npython = {py}\noutput = {out}\n"
                    f"state = {tmp_path / 'state.json'}\n")
    run(CABUNDLE, "install", "--config", conf, check=0)
    body = org_mirror.get("/v1/org/cacert.pem").content
    assert cacert.read_bytes() == body and out.read_bytes() == body
    # A file that did not exist before is removed by restore.
    run(CABUNDLE, "restore", "--config", conf, check=0)
    assert not out.exists()
    assert cacert.read_bytes() == upstream("2025.07.14").read_bytes()


def test_a_bad_config_line_names_file_and_line(tmp_path):
    conf = tmp_path / "cabundle.conf"
    conf.write_text("from = http://x\nkeys = RWQ\n")
    r = run(CABUNDLE, "install", "--config", conf, check=2)
    assert f"{conf}:2: keys: unknown setting" in r.stderr.decode()


@pytest.mark.parametrize("limit_kib", [64, 300])
def test_a_write_failure_leaves_every_target_as_it_was(org_mirror,
                                                       tmp_path, limit_kib):
    """ulimit -f: at 64 KiB the first bundle cannot be written; at 300
    KiB the first target is replaced (the body is ~240 KB) and then the
    second target's 400 KB original cannot be copied to its backup, so
    the first must be put back."""
    first = tmp_path / "a" / "cacert.pem"
    second = tmp_path / "b" / "cacert.pem"
    originals = {first: b"# a small original\n",
                 second: b"# a large original\n" * 20000}
    for f, data in originals.items():
        f.parent.mkdir()
        f.write_bytes(data)
    assert len(org_mirror.get("/v1/org/cacert.pem").content) < 300 * 1024
    assert len(originals[second]) > 300 * 1024
    state = tmp_path / "state.json"
    cmd = " ".join(f"'{a}'" for a in [
        CABUNDLE, "install", "--from", org_mirror.base, "--key",
        org_mirror.mirror.key()["public_key"], "--profile", "org",
        "--output", first, "--output", second, "--state", state])
    p = subprocess.run(["bash", "-c", f"ulimit -f {limit_kib}; exec {cmd}"],
                       capture_output=True, timeout=60)
    assert p.returncode == 4, p.stderr
    assert b"every target is as it was" in p.stderr
    assert b"File too large" in p.stderr
    for f, data in originals.items():
        assert f.read_bytes() == data
        assert [x.name for x in f.parent.iterdir()] == ["cacert.pem"]
    assert not state.exists()


def test_kill_9_never_leaves_a_partial_target(org_mirror, tmp_path):
    target = tmp_path / "t" / "cacert.pem"
    target.parent.mkdir()
    old = upstream("2025.07.14").read_bytes()
    target.write_bytes(old)
    new = org_mirror.get("/v1/org/cacert.pem").content
    state = tmp_path / "state.json"
    args = [CABUNDLE, "install", "--from", org_mirror.base, "--key",
            org_mirror.mirror.key()["public_key"], "--profile", "org",
            "--output", str(target), "--state", str(state)]
    rnd = random.Random(7)
    outcomes = set()
    for _ in range(25):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, 0.06))
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = target.read_bytes()
        assert data in (old, new)
        outcomes.add(data == new)
        if state.exists():
            st = json.loads(state.read_text())
            for t in st["targets"]:
                assert hashlib.sha256(
                    open(t["path"], "rb").read()).hexdigest() == t["sha256"]
        leftovers = [x.name for x in target.parent.iterdir()
                     if x.name not in ("cacert.pem", "cacert.pem-backup")]
        assert leftovers == [] or all(".cabundle-" in x for x in leftovers)
        if data == new:
            target.write_bytes(old)
            state.unlink(missing_ok=True)
            (target.parent / "cacert.pem-backup").unlink(missing_ok=True)
    # The next run converges.
    run(*args, check=0)
    assert target.read_bytes() == new


def test_a_certifi_py_in_the_current_directory_is_never_imported(
        org_mirror, tmp_path):
    """python -c puts the current directory first on sys.path: install
    and doctor (often run as root, anywhere) must not import a stray
    certifi.py lying there, nor install into where it points."""
    py, cacert = make_python(tmp_path)
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    marker = tmp_path / "imported"
    (cwd / "certifi.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        f"def where():\n    return {str(tmp_path / 'evil.pem')!r}\n")
    r = install(org_mirror, "--profile", "org", "--python", py, "--state",
                tmp_path / "state.json", "--json", check=0, cwd=cwd)
    assert [t["path"] for t in json.loads(r.stdout)["targets"]] == \
        [str(cacert)]
    out = json.loads(run(CABUNDLE, "doctor", "--json", "--python", py,
                         check=0, cwd=cwd).stdout)
    assert out["pythons"][0]["certifi"] == str(cacert)
    assert not marker.exists()
    assert not (tmp_path / "evil.pem").exists()
