"""cabundle install --java FILE: a PKCS#12 truststore for Java.

The checkers are Java's own: keytool must list every certificate of the
release as a trustedCertEntry, and a Java program (java/Handshake.java,
run as source) must complete a TLS handshake with an openssl s_server
whose certificate the organization CA issued, trusting only the store,
after the install and not before.  Then the refusals and failures every
target shares: a tampered body, an older release, a later target that
fails, a link planted at FILE, a store that another password protects;
each leaves the store byte-identical.  The JVM starts slowly: three
runs in all."""
import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import time

import pytest

from fakemirror import static
from conftest import (CABUNDLE, NOPROXY, body_of, fingerprint, make_python,
                      pem_blocks, run)

HERE = pathlib.Path(__file__).resolve().parent
HANDSHAKE = HERE / "java" / "Handshake.java"
KEYTOOL = "/usr/bin/keytool"
JAVA = "/usr/bin/java"


# --- helpers ---------------------------------------------------------------


def release_set(body):
    """The SHA-256s of the distinct certificates of a PEM bundle."""
    return {fingerprint(b) for b in pem_blocks(body)}


def java_install(env, store, *extra, check=None, targets=()):
    """cabundle install --java store (and targets as --output)."""
    return run(*env.args(targets=list(targets)), "--java", store, *extra,
               check=check, env=NOPROXY)


def keytool_list(store, password="changeit"):
    """{alias: (entry type, SHA-256 hex)} as keytool lists the store."""
    p = run(KEYTOOL, "-list", "-keystore", store, "-storepass", password,
            "-storetype", "PKCS12", check=0)
    text = p.stdout.decode()
    entries = re.findall(r"^([^,\n]+), .*, (\w+),\s*\n"
                         r"Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)",
                         text, re.M)
    count = int(re.search(r"Your keystore contains (\d+) entr", text)[1])
    assert count == len(entries), text
    return {a: (kind, fp.replace(":", "").lower())
            for a, kind, fp in entries}


def handshake(store, port, password="changeit"):
    """java Handshake.java: "OK TLSv1.3" or "FAIL ..."."""
    p = subprocess.run([JAVA, f"-Djavax.net.ssl.trustStore={store}",
                        f"-Djavax.net.ssl.trustStorePassword={password}",
                        "-Djavax.net.ssl.trustStoreType=PKCS12",
                        HANDSHAKE, str(port)], capture_output=True,
                       timeout=120)
    return p.stdout.decode().strip() or p.stderr.decode()


@pytest.fixture
def s_server(org_pki):
    """openssl s_server on 127.0.0.1 with the org-issued certificate;
    yields its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen(["openssl", "s_server", "-accept",
                          f"127.0.0.1:{port}", "-cert", org_pki / "site.pem",
                          "-key", org_pki / "site.key", "-quiet"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert p.poll() is None and time.time() < deadline
            time.sleep(0.05)
    yield port
    p.terminate()
    p.wait(timeout=10)


def with_org(version, org_pki):
    """A release body: the real bundle of version plus the org CA."""
    return body_of(version) + (org_pki / "ca.pem").read_bytes()


def state_of(env):
    return json.loads(env.state.read_text())


def same_file(path, before):
    """path is byte-identical, not rewritten (same inode and mtime)."""
    st = os.lstat(path)
    assert path.read_bytes() == before[0], f"{path}: contents changed"
    assert (st.st_ino, st.st_mtime_ns) == before[1], f"{path}: rewritten"


def file_of(path):
    st = os.lstat(path)
    return path.read_bytes(), (st.st_ino, st.st_mtime_ns)


def status(env, check=None):
    return run(CABUNDLE, "status", "--config", env.conf, "--state",
               env.state, check=check)


# --- tests -----------------------------------------------------------------


def test_java_trusts_the_release_as_keytool_and_a_handshake_see_it(
        env, org_pki, s_server, tmp_path):
    """v1 (no org CA): keytool lists every certificate of the release
    as a trustedCertEntry, and the handshake with the org-issued server
    fails; v2 (with the org CA): it succeeds.  A second run of v2 keeps
    the store as it is."""
    store = tmp_path / "java" / "truststore.p12"
    store.parent.mkdir()
    v1 = body_of(1)
    env.publish(1, body=v1)
    out = json.loads(java_install(env, store, check=0).stdout)
    assert out["result"] == "installed"
    entries = keytool_list(store)
    assert {kind for kind, _ in entries.values()} == {"trustedCertEntry"}
    assert {fp for _, fp in entries.values()} == release_set(v1)
    # Readable, unique aliases: "label [8 hex of the SHA-256]".
    for alias, (_, fp) in entries.items():
        assert alias.endswith(f"[{fp[:8]}]"), alias
        assert alias == alias.lower()
    assert handshake(store, s_server).startswith("FAIL"), "trusted before"

    v2 = with_org(2, org_pki)
    env.publish(2, body=v2)
    java_install(env, store, check=0)
    assert handshake(store, s_server).startswith("OK TLS")
    status(env, check=0)

    # Current: not rewritten (a store's bytes differ on every build).
    before = file_of(store)
    out = json.loads(java_install(env, store, check=0).stdout)
    assert out["result"] == "current"
    assert out["targets"] == [{"path": str(store), "kind": "java",
                               "action": "current"}]
    same_file(store, before)
    rec = state_of(env)["targets"][0]
    assert rec["kind"] == "java" and set(rec["certs"]) == release_set(v2)


def test_java_refusals_and_failures_leave_the_store_as_it_was(
        env, org_pki, tmp_path):
    store = tmp_path / "java" / "truststore.p12"
    store.parent.mkdir()
    env.publish(2, body=with_org(2, org_pki))
    java_install(env, store, check=0)
    before = file_of(store)
    st_before = env.state.read_bytes()

    # A body that is not the signed one: a valid bundle, its last
    # certificate cut off (shorter, so no size limit stops it first).
    good = body_of(3)
    env.publish(3, body=good)
    env.m.routes["/v1/org/3/cacert.pem"] = static(
        good[:good.rindex(b"\n# Issuer: ") + 1])
    p = java_install(env, store, check=1)
    assert b"refused" in p.stderr
    same_file(store, before)

    # An older release, validly signed.
    env.publish(1)
    p = java_install(env, store, check=1)
    assert b"refused" in p.stderr
    same_file(store, before)

    # Another password: refused before anything is written.
    env.publish(3)
    p = java_install(env, store, "--java-password", "not-changeit", check=4)
    assert b"not a truststore this password opens" in p.stderr
    same_file(store, before)
    assert env.state.read_bytes() == st_before
    assert sorted(os.listdir(store.parent)) == ["truststore.p12"]


def test_java_is_put_back_when_a_later_target_fails(env, tmp_path):
    """ulimit -f: the store (DER, smaller) is written, then the certifi
    target's large original cannot be copied to its backup; the store
    must hold its old bytes again and no backup be left."""
    store = tmp_path / "truststore.p12"
    env.publish(1)
    java_install(env, store, check=0)
    old = store.read_bytes()
    py, cacert = make_python(tmp_path)
    large = b"# a large original\n" * 20000
    cacert.write_bytes(large)
    env.publish(2)
    kib = 300
    assert len(old) < kib * 1024 < len(large)
    cmd = shlex.join(str(a) for a in [*env.args(targets=[]), "--java", store,
                                      "--python", py])
    p = subprocess.run(["bash", "-c", f"ulimit -f {kib}; exec {cmd}"],
                       capture_output=True, timeout=60, env=NOPROXY)
    assert p.returncode == 4, p.stderr
    assert b"File too large" in p.stderr
    assert b"every target is as it was" in p.stderr
    assert store.read_bytes() == old
    assert cacert.read_bytes() == large
    assert sorted(os.listdir(tmp_path)) == sorted(
        x for x in os.listdir(tmp_path) if ".cabundle-" not in x)
    assert not (tmp_path / "truststore.p12-backup").exists()
    assert state_of(env)["targets"][0]["version"] == 1

    # An --output that is a directory: refused before anything.
    (tmp_path / "adir").mkdir()
    before = file_of(store)
    java_install(env, store, targets=[tmp_path / "adir"], check=4)
    same_file(store, before)


def test_java_refuses_a_link_planted_at_file(env, tmp_path):
    real = tmp_path / "elsewhere.p12"
    real.write_bytes(b"the file the link points to\n")
    store = tmp_path / "truststore.p12"
    store.symlink_to(real)
    env.publish(1)
    p = java_install(env, store, check=4)
    assert b"symbolic link" in p.stderr
    assert os.readlink(store) == str(real)
    assert real.read_bytes() == b"the file the link points to\n"
    assert not env.state.exists()


def test_java_status_drift_and_restore(env, org_pki, tmp_path):
    """A store found at FILE (one certificate, no Java trust attribute,
    made by openssl) is kept as FILE-backup; status reports a store
    that no longer trusts the release; restore puts the original back."""
    store = tmp_path / "truststore.p12"
    run("openssl", "pkcs12", "-export", "-nokeys", "-in",
        org_pki / "ca.pem", "-out", store, "-passout", "pass:changeit",
        check=0)
    original = store.read_bytes()
    body = body_of(1)
    env.publish(1, body=body)
    java_install(env, store, check=0)
    assert (tmp_path / "truststore.p12-backup").read_bytes() == original
    status(env, check=0)

    # Someone puts the openssl store back: nothing Java trusts in it.
    store.write_bytes(original)
    p = status(env, check=1)
    n = len(release_set(body))
    assert (f"CHANGED: the store trusts 0 certificates: {n} of the "
            f"release's {n} missing, 0 extra").encode() in p.stdout
    # A second store where there was none: restore removes it.
    fresh = tmp_path / "fresh.p12"
    java_install(env, store, "--java", fresh, check=0)
    status(env, check=0)

    p = run(CABUNDLE, "restore", "--config", env.conf, "--state",
            env.state, check=0)
    assert f"{fresh}: removed (there was no file before)".encode() in \
        p.stdout
    assert store.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["truststore.p12", "empty.conf", "var", "t1", "t2", "orgpki"])


def test_doctor_checks_a_java_store_like_a_file(env, tmp_path):
    """doctor reports the ownership rule's verdict on a --java target:
    a plain path passes, a link planted there does not."""
    ok = tmp_path / "ok.p12"
    link = tmp_path / "link.p12"
    link.symlink_to(tmp_path / "elsewhere.p12")
    conf = tmp_path / "doctor.conf"
    conf.write_text(f"java = {ok}\njava = {link}\n")
    p = run(CABUNDLE, "doctor", "--config", conf, "--python",
            "/usr/bin/python3", "--json")
    assert p.returncode == 4, p.stderr
    places = {t["path"]: t for t in json.loads(p.stdout)["targets"]}
    assert places[str(ok)]["ok"] and places[str(ok)]["kind"] == "java"
    assert not places[str(link)]["ok"]
    assert "symbolic link" in places[str(link)]["why"]
