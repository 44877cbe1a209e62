"""Constraints beside a release (doc/SPEC.md section 12): a release
whose roots carry distrust-after dates publishes constraints.json,
signed with the release's key, version, created and expires under
format:cabundle-constraints/1; every release has cacert.p11-kit, which
p11-kit's own trust module reads with the same dates."""
import hashlib
import json
import os
import pathlib
import pwd
import shutil
import tempfile
import time

import pytest
import requests

from conftest import (DAY, Server, dated_mirror, now, pem_blocks, run,
                      trusted)
from test_chain import nginx  # noqa: F401 (a fixture)

SUNSET = 398 * DAY


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def der_sha(block):
    """The SHA-256 of a PEM block's DER, as the bundle names roots."""
    import base64
    lines = block.decode().strip().splitlines()
    return hashlib.sha256(base64.b64decode("".join(lines[1:-1]))).hexdigest()


def label_of(bundle, sha):
    """The "# Label:" of the root with that SHA-256 in a mkcert bundle."""
    text = bundle.decode()
    at = text.index("# SHA256 Fingerprint: " +
                    ":".join(sha[i:i + 2] for i in range(0, 64, 2)))
    line = [x for x in text[:at].splitlines() if x.startswith("# Label: ")]
    return line[-1][len('# Label: "'):-1]


@pytest.fixture
def dated(mirror):
    mirror.dates = dated_mirror(mirror)
    return mirror


@pytest.fixture
def dated_served(dated):
    s = Server(dated)
    s.mirror = dated
    yield s
    s.stop()


def minisign_verify(tmp_path, name, body, sig, pub):
    (tmp_path / name).write_bytes(body)
    (tmp_path / (name + ".minisig")).write_bytes(sig)
    return run("minisign", "-Vm", tmp_path / name, "-p", pub)


def test_dated_roots_give_a_signed_constraints_document(dated_served,
                                                        tmp_path):
    s, m = dated_served, dated_served.mirror
    pem = s.get("/v1/mozilla/1/cacert.pem")
    doc = s.get("/v1/mozilla/1/constraints.json")
    sig = s.get("/v1/mozilla/1/constraints.json.minisig")
    assert (pem.status_code, doc.status_code, sig.status_code) == \
        (200, 200, 200)
    assert doc.headers["Content-Type"] == "application/json"
    p = minisign_verify(tmp_path, "constraints.json", doc.content,
                        sig.content, m.pubfile())
    assert p.returncode == 0, p.stderr
    comment = [x for x in p.stdout.decode().splitlines()
               if x.startswith("Trusted comment: ")][0]
    assert comment.startswith("Trusted comment: format:cabundle-"
                              "constraints/1\tprofile:mozilla\tversion:1\t")
    # The release's created and expires; the document's size and digest.
    fields = dict(f.split(":", 1) for f in
                  comment[len("Trusted comment: "):].split("\t"))
    rel = trusted(s.get("/v1/mozilla/1/cacert.pem.minisig").text)
    assert (fields["created"], fields["expires"]) == \
        (rel["created"], rel["expires"])
    assert fields["sha256"] == hashlib.sha256(doc.content).hexdigest()
    assert int(fields["size"]) == len(doc.content)
    d = json.loads(doc.content)
    assert d["bundle_sha256"] == hashlib.sha256(pem.content).hexdigest()
    assert d["format"] == "cabundle-constraints/1"
    assert (d["profile"], d["policy"]) == ("mozilla", "keep")
    order = [der_sha(b) for b in pem_blocks(pem.content)]
    want = sorted(m.dates, key=order.index)
    assert d["roots"] == [
        {"label": label_of(pem.content, c),
         "server_distrust_after": iso(m.dates[c]), "served_until": None,
         "sha256": c} for c in want]
    # One line, keys sorted, no spaces, one LF: the same bytes always.
    assert doc.content == json.dumps(d, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode() + b"\n"
    # The latest paths name the same files.
    assert s.get("/v1/mozilla/constraints.json").content == doc.content
    assert s.get("/v1/mozilla/constraints.json.minisig").content == \
        sig.content
    # Under sunset (org): a root is served until its date plus 398
    # days, and the document says until when; one past it is left out
    # of the bundle and so of the document.
    org = json.loads(s.get("/v1/org/1/constraints.json").content)
    assert org["policy"] == "sunset"
    live = [c for c in want if m.dates[c] + SUNSET > now()]
    assert live and len(live) < len(want)
    assert [(r["sha256"], r["served_until"]) for r in org["roots"]] == \
        [(c, iso(m.dates[c] + SUNSET)) for c in live]


def test_a_release_without_dated_roots_has_no_constraints(served):
    for path in ("/v1/org/1/constraints.json",
                 "/v1/org/1/constraints.json.minisig",
                 "/v1/org/constraints.json",
                 "/v1/org/constraints.json.minisig"):
        assert served.get(path).status_code == 404, path
    p11 = served.get("/v1/org/1/cacert.p11-kit")
    assert p11.status_code == 200
    assert b"nss-server-distrust-after" not in p11.content
    assert p11.content.count(b"[p11-kit-object-v1]\n") == \
        len(pem_blocks(served.get("/v1/org/1/cacert.pem").content))


def test_a_resigned_release_has_its_constraints_resigned(dated, tmp_path):
    dated("publish", "--resign", check=0)
    s = Server(dated)
    try:
        one = s.get("/v1/mozilla/1/constraints.json").content
        two = s.get("/v1/mozilla/2/constraints.json")
        sig = s.get("/v1/mozilla/2/constraints.json.minisig")
    finally:
        s.stop()
    assert two.status_code == 200 and two.content == one
    p = minisign_verify(tmp_path, "c.json", two.content, sig.content,
                        dated.pubfile())
    assert p.returncode == 0, p.stderr
    assert "format:cabundle-constraints/1\tprofile:mozilla\tversion:2\t" \
        in p.stdout.decode()


def test_the_export_holds_the_served_files(dated_served, tmp_path):
    s, m = dated_served, dated_served.mirror
    out = tmp_path / "exp"
    m("export", out, check=0)
    for rel in ("mozilla/1/constraints.json",
                "mozilla/1/constraints.json.minisig",
                "mozilla/1/cacert.p11-kit", "mozilla/constraints.json",
                "mozilla/constraints.json.minisig", "mozilla/cacert.p11-kit"):
        assert (out / "v1" / rel).read_bytes() == \
            s.get("/v1/" + rel).content, rel
    p = run("minisign", "-Vm", out / "v1/mozilla/1/constraints.json", "-p",
            m.pubfile())
    assert p.returncode == 0, p.stderr
    # Again: nothing changes, nothing conflicts.
    assert b"0 files written" in m("export", out, check=0).stdout


def test_nginx_serves_the_exported_files_as_serve_does(dated_served,
                                                      nginx):
    s, m = dated_served, dated_served.mirror
    root, base = nginx
    m("export", root, check=0)
    for rel in ("mozilla/1/constraints.json",
                "mozilla/1/constraints.json.minisig",
                "mozilla/1/cacert.p11-kit", "mozilla/constraints.json",
                "mozilla/constraints.json.minisig", "mozilla/cacert.p11-kit"):
        ours, theirs = s.get("/v1/" + rel), requests.get(
            base + "/v1/" + rel, timeout=10)
        assert theirs.status_code == 200, rel
        assert theirs.content == ours.content, rel
        assert theirs.headers["Content-Type"] == \
            ours.headers["Content-Type"], rel
        assert ("immutable" in theirs.headers["Cache-Control"]) == \
            ("/1/" in rel), rel


def p11kit_trust(anchors, *args):
    """p11-kit's trust tool with its trust module reading only anchors
    (a world-readable directory): a user module config, which p11-kit
    skips for root, so as root it runs as nobody."""
    home = anchors.parent / "home"
    conf = home / ".config" / "pkcs11" / "modules"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "p11-kit-trust.module").write_text(
        f"module: p11-kit-trust.so\nx-init-reserved: paths={anchors}\n"
        "trust-policy: yes\n")
    for d in (home, home / ".config", home / ".config" / "pkcs11", conf):
        d.chmod(0o755)
    wrap = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        wrap = ["setpriv", f"--reuid={nobody.pw_uid}",
                f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
    return run(*wrap, "env", f"HOME={home}", "trust", *args, check=0)


def test_p11kit_reads_the_roots_and_their_dates(dated_served):
    s, m = dated_served, dated_served.mirror
    p11 = s.get("/v1/mozilla/1/cacert.p11-kit")
    assert p11.status_code == 200
    assert p11.content == s.get("/v1/mozilla/cacert.p11-kit").content
    blocks = pem_blocks(s.get("/v1/mozilla/1/cacert.pem").content)
    top = pathlib.Path(tempfile.mkdtemp(prefix="cabundle-p11kit-"))
    try:
        top.chmod(0o755)
        anchors = top / "anchors"
        anchors.mkdir(mode=0o755)
        (anchors / "cacert.p11-kit").write_bytes(p11.content)
        (anchors / "cacert.p11-kit").chmod(0o644)
        listed = p11kit_trust(anchors, "list",
                              "--filter=ca-anchors").stdout.decode()
        assert listed.count("pkcs11:") == len(blocks)
        # The token is ours: not the system store.
        assert b"System Trust" not in p11kit_trust(anchors, "list").stdout
        dump = p11kit_trust(anchors, "dump", "--filter=all").stdout.decode()
    finally:
        shutil.rmtree(top)
    got = {}
    for obj in dump.split("[p11-kit-object-v1]")[1:]:
        if "-----BEGIN CERTIFICATE-----" not in obj:
            continue
        line = [x for x in obj.splitlines()
                if x.startswith("nss-server-distrust-after: ")]
        pem = obj[obj.index("-----BEGIN"):].encode()
        if line:
            got[der_sha(pem)] = line[0].split(": ", 1)[1].strip('"')
    want = {c: time.strftime("%y%m%d%H%M%SZ", time.gmtime(t))
            for c, t in m.dates.items()}
    assert got == want


def test_a_policy_change_alone_publishes_a_new_document(mirror):
    """keep -> sunset with every dated root still served: the bundle is
    the same, the document is not (served_until), so a new release
    carries it; the old document is never left standing for the new
    policy."""
    m = mirror
    dates = dated_mirror(m, days=(10,), policy="keep")
    s = Server(m)
    try:
        one = json.loads(s.get("/v1/mozilla/constraints.json").content)
    finally:
        s.stop()
    assert one["policy"] == "keep"
    assert [r["served_until"] for r in one["roots"]] == [None]
    m("profile", "set", "--distrust-after", "sunset", "mozilla", check=0)
    s = Server(m)
    try:
        two = json.loads(s.get("/v1/mozilla/constraints.json").content)
        v2 = s.get("/v1/mozilla/2/cacert.pem").content
        v1 = s.get("/v1/mozilla/1/cacert.pem").content
    finally:
        s.stop()
    assert v2 == v1
    assert two["policy"] == "sunset"
    [c] = dates
    assert [(r["sha256"], r["served_until"]) for r in two["roots"]] == \
        [(c, iso(dates[c] + SUNSET))]
