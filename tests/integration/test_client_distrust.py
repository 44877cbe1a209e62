"""The client side of issue 22 (doc/SPEC.md 12): distrust-after dates.

cabundle install fetches the release's signed constraints document, keeps
its dated roots in the state, and never lets it block an install; status
shows the dated roots; doctor HOST says when the chain a server sends
ends at a dated root and whether the leaf was issued after the date.

The fake mirror serves a real bundle plus a test root that the
constraints document dates; leaves are made with the openssl binary at
dates computed from now() (any TEST_DATE), and served by openssl
s_server.
"""
import hashlib
import json
import socket
import subprocess
import time

import pytest

from conftest import (CABUNDLE, CLIENT_PROFILE, DAY, NOPROXY, OPENSSL_BIN,
                      SIG_PATH, body_of, body_path, clock_env, fingerprint,
                      free_port, now, pem_blocks, run, tc)
from fakemirror import static
from test_doctor import Pki

LABEL = "Dated Test Root"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def asn1(t):
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """A root, a leaf it issued before the distrust-after date and one
    after it (both valid now), the date, and a bundle holding the root."""
    p = Pki(tmp_path_factory.mktemp("dated"))
    p.root("root", LABEL)
    p.t = t = int(now())
    p.after_date = t // DAY * DAY - 20 * DAY
    p.issue("before", "localhost", "root", "v3_leaf",
            ("-startdate", asn1(p.after_date - 10 * DAY),
             "-enddate", asn1(t + 30 * DAY)))
    p.issue("after", "localhost", "root", "v3_leaf",
            ("-startdate", asn1(p.after_date + 5 * DAY),
             "-enddate", asn1(t + 30 * DAY)))
    p.root_pem = (p.d / "root.pem").read_bytes()
    p.root_sha = fingerprint(pem_blocks(p.root_pem)[0])
    p.body = body_of(1) + p.root_pem
    return p


def document(body, roots, profile=CLIENT_PROFILE, **over):
    """The SPEC 12 document: one line, keys sorted, no spaces, one LF."""
    d = {"bundle_sha256": hashlib.sha256(body).hexdigest(),
         "format": "cabundle-constraints/1", "policy": "sunset",
         "profile": profile, "roots": roots}
    d.update(over)
    return (json.dumps(d, sort_keys=True, separators=(",", ":")) +
            "\n").encode()


def dated_root(pki, until=True):
    return {"label": LABEL, "server_distrust_after": iso(pki.after_date),
            "served_until": iso(pki.after_date + 398 * DAY) if until
            else None, "sha256": pki.root_sha}


def serve_constraints(env, version, doc, sig):
    base = f"/v1/{CLIENT_PROFILE}/{version}/constraints.json"
    env.m.routes[base] = static(doc)
    env.m.routes[base + ".minisig"] = static(sig)


def publish_dated(env, pki, version=1, doc=None, key=None, fmt=None,
                  signed_version=None):
    body = pki.body if version == 1 else body_of(version) + pki.root_pem
    env.publish(version, body)
    doc = document(body, [dated_root(pki)]) if doc is None else doc
    sig = (key or env.keys.k1).sign(doc, tc(
        doc, signed_version or version,
        fmt=fmt or "cabundle-constraints/1"))
    serve_constraints(env, version, doc, sig)
    return body, doc


def status(env, *args, check=0):
    return run(CABUNDLE, "status", "--config", env.conf, "--state",
               env.state, *args, check=check)


def status_dates(env):
    out = json.loads(status(env, "--json").stdout)
    assert len(out) == len(env.targets)
    return [t["distrust"] for t in out]


def test_install_keeps_the_dates_and_status_shows_them(env, dated):
    publish_dated(env, dated)
    p = env.install(check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed"
    assert out["constraints"] == {"status": "verified", "roots": 1}
    assert b"constraints" not in p.stderr, p.stderr
    want = {"sha256": dated.root_sha, "label": LABEL,
            "server_distrust_after": iso(dated.after_date),
            "served_until": iso(dated.after_date + 398 * DAY)}
    assert status_dates(env) == [[want]] * len(env.targets)
    text = status(env).stdout.decode()
    for t in env.targets:
        assert (f"{t}: dated root {LABEL} (sha256 {dated.root_sha[:16]}...)"
                f": Mozilla distrusts its TLS certificates issued after "
                f"{iso(dated.after_date)[:10]}; served until "
                f"{iso(dated.after_date + 398 * DAY)[:10]}") in text, text


def test_repeat_install_asks_nothing_more(env, dated):
    publish_dated(env, dated)
    env.installed(1)
    snap = env.snapshot()
    p = env.install(check=0)
    assert json.loads(p.stdout)["constraints"] == {"status": "known",
                                                   "roots": 1}
    env.unchanged(snap)
    sig = f"/v1/{CLIENT_PROFILE}/1/constraints.json.minisig"
    assert env.m.hits(sig) == 1
    assert env.m.hits(sig[:-len(".minisig")]) == 1


def test_no_document_is_no_dates_and_no_warning(env, dated):
    env.publish(1, dated.body)
    p = env.install(check=0)
    assert json.loads(p.stdout)["constraints"] == {"status": "none",
                                                   "roots": 0}
    assert p.stderr == b""
    assert status_dates(env) == [[]] * len(env.targets)
    assert b"dated root" not in status(env).stdout
    # Known to have none: the next run does not ask again.
    env.install(check=0)
    assert env.m.hits(f"/v1/{CLIENT_PROFILE}/1/constraints.json.minisig") \
        == 1


def _other_sha(pki):
    return hashlib.sha256(body_of(2)).hexdigest()


# Each: how to spoil the document, and the words of the warning.
SPOILED = {
    "untrusted key": (dict(key="k3"), "not trusted"),
    "format cabundle/1": (dict(fmt="cabundle/1"), "format 'cabundle/1'"),
    "another version": (dict(signed_version=7),
                        "signed for version 7, not 1"),
    "another bundle": (dict(doc=lambda p: document(
        p.body, [dated_root(p)], bundle_sha256=_other_sha(p))),
        "bundle_sha256 does not name this release's bundle"),
    "another profile": (dict(doc=lambda p: document(
        p.body, [dated_root(p)], profile="other")), "another profile"),
    "extra field": (dict(doc=lambda p: document(
        p.body, [dated_root(p)], extra=1)), "want exactly"),
    "bad time": (dict(doc=lambda p: document(
        p.body, [dict(dated_root(p), server_distrust_after="2024-02-30T"
                      "00:00:00Z")])), "times must be"),
    "label not text": (dict(doc=lambda p: document(
        p.body, [dict(dated_root(p), label="a\u0007b")])),
        "label must be"),
    "sha256 upper case": (dict(doc=lambda p: document(
        p.body, [dict(dated_root(p), sha256=p.root_sha.upper())])),
        "64 lower-case hex"),
}


@pytest.mark.parametrize("case", sorted(SPOILED))
def test_spoiled_document_is_ignored_and_the_install_goes_on(env, dated,
                                                              case):
    kw, words = SPOILED[case]
    kw = dict(kw)
    if "key" in kw:
        kw["key"] = getattr(env.keys, kw["key"])
    if "doc" in kw:
        kw["doc"] = kw["doc"](dated)
    publish_dated(env, dated, **kw)
    p = env.install(check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed", out
    for t in env.targets:
        assert t.read_bytes() == dated.body
    assert out["constraints"]["status"] == "ignored"
    assert words in out["constraints"]["why"], out["constraints"]
    err = p.stderr.decode()
    assert "constraints.json: ignored: " in err and words in err, err
    assert "installed without distrust-after dates" in err
    assert status_dates(env) == [[]] * len(env.targets)


def test_another_trusted_key_is_not_the_release_key(env, dated):
    """SPEC 12: the key that signed the release, not any trusted one."""
    publish_dated(env, dated, key=env.keys.k2)
    p = env.install(check=0, keys=[env.keys.k1, env.keys.k2])
    out = json.loads(p.stdout)
    assert out["result"] == "installed"
    assert out["constraints"]["why"] == ("signed by another key than the "
                                         "release")
    assert status_dates(env) == [[]] * len(env.targets)


def test_tampered_document_is_ignored(env, dated):
    body, doc = publish_dated(env, dated)
    env.m.routes[f"/v1/{CLIENT_PROFILE}/1/constraints.json"] = static(
        doc.replace(b"sunset", b"keep\x20\x20"))
    p = env.install(check=0)
    out = json.loads(p.stdout)
    assert out["result"] == "installed"
    assert "body sha256 is" in out["constraints"]["why"]
    assert status_dates(env) == [[]] * len(env.targets)


def test_a_failing_mirror_is_a_warning_and_retried(env, dated):
    publish_dated(env, dated)
    sig = f"/v1/{CLIENT_PROFILE}/1/constraints.json.minisig"
    good = env.m.routes[sig]
    env.m.routes[sig] = static(b"busy\n", status=503)
    p = env.install(check=0)
    assert json.loads(p.stdout)["result"] == "installed"
    assert b"HTTP status 503" in p.stderr
    assert status_dates(env) == [[]] * len(env.targets)
    # Not recorded as "none": the next run asks again and gets them.
    env.m.routes[sig] = good
    out = json.loads(env.install(check=0).stdout)
    assert out["constraints"] == {"status": "verified", "roots": 1}
    assert status_dates(env)[0][0]["sha256"] == dated.root_sha


def test_a_spoiled_document_for_the_next_release_forgets_the_dates(
        env, dated):
    publish_dated(env, dated)
    env.installed(1)
    assert status_dates(env)[0] != []
    publish_dated(env, dated, version=2, fmt="cabundle/1")
    out = env.installed(2)
    assert out["constraints"]["status"] == "ignored"
    assert status_dates(env) == [[]] * len(env.targets)


def test_static_export_path(env, dated, tmp_path):
    """--from /PATH (a static export): the same paths, read as files."""
    body = dated.body
    doc = document(body, [dated_root(dated)])
    root = tmp_path / "export"
    files = {SIG_PATH: env.publish(1, body), body_path(1): body,
             f"/v1/{CLIENT_PROFILE}/1/constraints.json": doc}
    files[f"/v1/{CLIENT_PROFILE}/1/constraints.json.minisig"] = \
        env.keys.k1.sign(doc, tc(doc, 1, fmt="cabundle-constraints/1"))
    for path, data in files.items():
        f = root / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
    p = env.install(check=0, url=str(root))
    assert json.loads(p.stdout)["constraints"] == {"status": "verified",
                                                   "roots": 1}
    assert status_dates(env)[0][0]["label"] == LABEL


def test_static_export_without_document(env, dated, tmp_path):
    root = tmp_path / "export"
    (root / "v1" / CLIENT_PROFILE / "1").mkdir(parents=True)
    (root / SIG_PATH.lstrip("/")).write_bytes(env.publish(1, dated.body))
    (root / body_path(1).lstrip("/")).write_bytes(dated.body)
    p = env.install(check=0, url=str(root))
    assert json.loads(p.stdout)["constraints"]["status"] == "none"
    assert p.stderr == b""


# ---- doctor -------------------------------------------------------------

class SServer:
    """openssl s_server on 127.0.0.1 with one certificate."""

    def __init__(self, cert, key):
        self.port = free_port()
        self.p = subprocess.Popen(
            [OPENSSL_BIN, "s_server", "-quiet", "-www", "-accept",
             f"127.0.0.1:{self.port}", "-cert", cert, "-key", key],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=clock_env())
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                assert self.p.poll() is None, "s_server exited"
                time.sleep(0.05)
        raise RuntimeError("s_server did not listen")

    def close(self):
        self.p.kill()
        self.p.wait()


@pytest.fixture
def sserver():
    servers = []

    def start(pki, name):
        s = SServer(pki.d / f"{name}.pem", pki.d / f"{name}.key")
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.close()


def doctor(env, port, *args, state=None):
    return run(CABUNDLE, "doctor", "--config", env.conf, "--state",
               state or env.state, "--bundle", env.targets[0], *args,
               f"127.0.0.1:{port}", check=0, env=NOPROXY)


@pytest.mark.parametrize("leaf", ["before", "after"])
def test_doctor_names_the_date_and_judges_the_leaf(env, dated, sserver,
                                                   leaf):
    publish_dated(env, dated)
    env.installed(1)
    s = sserver(dated, leaf)
    day = iso(dated.after_date)[:10]
    issued = iso(dated.after_date + (5 if leaf == "after" else -10) *
                 DAY)[:10]
    h = json.loads(doctor(env, s.port, "--json").stdout)["host"]
    assert h["verified"] is True, h
    d = h["distrust"]
    assert d["root_sha256"] == dated.root_sha and d["label"] == LABEL
    assert d["server_distrust_after"] == day
    assert d["served_until"] == iso(dated.after_date + 398 * DAY)[:10]
    assert d["leaf_not_before"][:10] == issued
    assert d["issued_after"] is (leaf == "after")
    text = doctor(env, s.port).stdout.decode()
    if leaf == "after":
        assert (f"WARNING: distrusted by Mozilla: the leaf was issued "
                f"{issued}, after Mozilla's distrust-after date {day} for "
                f"this root ({LABEL}): browsers and NSS refuse it; this "
                f"bundle (a flat PEM) still accepts it") in text, text
    else:
        expires = iso(dated.t + 30 * DAY)[:10]
        assert (f"the leaf was issued {issued}, before Mozilla's "
                f"distrust-after date {day} for this root ({LABEL}): "
                f"accepted until it expires on {expires}; the mirror "
                f"serves this root until "
                f"{iso(dated.after_date + 398 * DAY)[:10]}") in text, text
        assert "WARNING" not in text


def test_doctor_without_dates_says_nothing_of_them(env, dated, sserver,
                                                   tmp_path):
    env.publish(1, dated.body)
    env.installed(1)
    s = sserver(dated, "after")
    h = json.loads(doctor(env, s.port, "--json").stdout)["host"]
    assert h["verified"] is True and h["distrust"] is None
    assert "distrust" not in doctor(env, s.port).stdout.decode()
    # No state at all: the same, and no failure.
    h = json.loads(doctor(env, s.port, "--json",
                          state=tmp_path / "none" / "state.json").stdout)
    assert h["host"]["verified"] is True
    assert h["host"]["distrust"] is None


def test_a_state_with_a_forged_date_record_is_not_believed(env, dated):
    """The state is read like any input: a dated root that is not what
    install writes (a label with a control character) refuses it."""
    publish_dated(env, dated)
    env.installed(1)
    st = json.loads(env.state.read_text())
    st["constraints"][0]["roots"][0]["label"] = "x\u001b[31m"
    env.state.write_text(json.dumps(st))
    p = status(env, check=4)
    assert b"not a cabundle state file" in p.stderr
