"""A password in a URL is used, never shown or stored (issue 18).

cabundle install --from http://user:pass@host/ must authenticate with
it, and keep it out of the 0644 state file, status (text and --json),
error messages and --json; cabundled must keep the password of
[upstream] url and [mirror] url out of its output, its errors and its
database (whose upstream source is served at /v1/upstream).  Shown,
such a URL reads "user:***@host".

The mirrors are fakes on 127.0.0.1 that answer 401 without the right
Basic credentials, so a success proves the password was still sent.
"""
import base64
import json
import os
import pathlib

import pytest

from conftest import CABUNDLE, FIXTURES, SIGTOOL, Mirror, run, tc
from fakemirror import FakeMirror, static
from upstream import FakeUpstream

PROFILE = "org"
BODY = sorted((FIXTURES / "upstream").glob("cacert-*.pem"))[-1].read_bytes()
SECRET = "s3cr3t-Pa55"
NOPROXY = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}




def basic(user, password, inner):
    """A responder that wants these Basic credentials, else 401."""
    want = "Basic " + base64.b64encode(
        f"{user}:{password}".encode()).decode()

    def respond(h):
        if h.headers.get("Authorization") != want:
            return static(b"401\n", status=401, headers=[
                ("WWW-Authenticate", 'Basic realm="m"')])(h)
        return inner(h)
    return respond


def with_auth(url, user, password):
    return url.replace("://", f"://{user}:{password}@", 1)


def no_secret(*blobs):
    for b in blobs:
        if isinstance(b, str):
            b = b.encode()
        assert SECRET.encode() not in b, b[:3000]


@pytest.fixture
def client_mirror(tmp_path):
    pem = tmp_path / "k.pem"
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", pem,
        check=0)
    pub = tmp_path / "k.pub"
    pub.write_bytes(run(SIGTOOL, "pubkey", pem, check=0).stdout)
    data = tmp_path / "data"
    data.write_bytes(BODY)
    sig = run(SIGTOOL, "sign", pem, data, tc(BODY, 1), check=0).stdout
    m = FakeMirror().start()
    m.routes[f"/v1/{PROFILE}/1/cacert.pem"] = basic("alice", SECRET,
                                                    static(BODY))
    m.routes[f"/v1/{PROFILE}/cacert.pem.minisig"] = basic(
        "alice", SECRET, static(sig))
    m.pub = pub
    yield m
    m.stop()


def install(m, tmp_path, url, profile=PROFILE, *extra):
    conf = tmp_path / "empty.conf"
    conf.write_text("")
    return run(CABUNDLE, "install", "--config", conf, "--from", url,
               "--key", m.pub, "--profile", profile, "--state",
               tmp_path / "state.json", "--output", tmp_path / "out.pem",
               *extra, env=NOPROXY)


def test_client_uses_the_password_and_never_keeps_it(client_mirror,
                                                     tmp_path):
    m = client_mirror
    url = with_auth(m.url, "alice", SECRET)
    p = install(m, tmp_path, url, PROFILE, "--json")
    assert p.returncode == 0, p.stderr
    no_secret(p.stdout, p.stderr)
    assert (tmp_path / "out.pem").read_bytes() == BODY
    state = (tmp_path / "state.json").read_text()
    no_secret(state)
    assert "alice:***@127.0.0.1" in state
    st = run(CABUNDLE, "status", "--state", tmp_path / "state.json",
             "--config", tmp_path / "empty.conf", check=0)
    no_secret(st.stdout, st.stderr)
    # A target changed behind our back: status names the source.
    (tmp_path / "out.pem").write_bytes(b"changed\n")
    st = run(CABUNDLE, "status", "--state", tmp_path / "state.json",
             "--config", tmp_path / "empty.conf", check=1)
    no_secret(st.stdout, st.stderr)
    assert b"alice:***@" in st.stdout
    sj = run(CABUNDLE, "status", "--state", tmp_path / "state.json",
             "--config", tmp_path / "empty.conf", "--json", check=1)
    no_secret(sj.stdout)
    assert json.loads(sj.stdout)[0]["source"].startswith(
        "http://alice:***@127.0.0.1")


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_client_errors_do_not_show_the_password(client_mirror, tmp_path,
                                                json_out):
    m = client_mirror
    extra = ["--json"] if json_out else []
    # Not found (404), then wrong password (401): both name the URL.
    for url, profile in ((with_auth(m.url, "alice", SECRET), "nosuch"),
                         (with_auth(m.url, "alice", SECRET + "x"),
                          PROFILE)):
        p = install(m, tmp_path, url, profile, *extra)
        assert p.returncode == 1, p.stderr
        no_secret(p.stdout, p.stderr)
        assert b"alice:***@127.0.0.1" in p.stderr, p.stderr
        if json_out:
            out = json.loads(p.stdout)
            assert "alice:***@127.0.0.1" in out["error"], out


def test_status_redacts_a_state_written_before(client_mirror, tmp_path):
    """A state file from an older client may hold the password: status
    does not print it."""
    m = client_mirror
    url = with_auth(m.url, "alice", SECRET)
    install(m, tmp_path, url)
    sf = tmp_path / "state.json"
    sf.write_text(sf.read_text().replace("alice:***@", f"alice:{SECRET}@"))
    (tmp_path / "out.pem").write_bytes(b"changed\n")
    for extra in ([], ["--json"]):
        st = run(CABUNDLE, "status", "--state", sf, "--config",
                 tmp_path / "empty.conf", *extra, check=1)
        no_secret(st.stdout, st.stderr)


# --- cabundled ---------------------------------------------------------------

def db_bytes(m):
    return b"".join(p.read_bytes() for p in m.datadir.glob("cabundle.db*"))


def test_server_upstream_password_is_not_logged_or_stored(tmp_path):
    with FakeUpstream(host="127.0.0.1") as up:
        up.body = BODY
        m = Mirror(tmp_path / "data")
        m.overrides = ["upstream.url=" + with_auth(up.url, "bob", SECRET),
                       "upstream.ca_file=%s" % up.pki.ca,
                       "upstream.retries=0"]
        m("init", "--actor", "t", check=0)
        p = m("fetch", check=5)
        no_secret(p.stdout, p.stderr)
        assert any(h.get("Authorization") for _, _, h in up.requests)
        snaps = m.snapshots()
        assert snaps[-1]["source"].startswith("https://bob:***@127.0.0.1")
        no_secret(json.dumps(snaps))
        # An error names the URL too.
        up.status = 404
        p = m("fetch")
        assert p.returncode != 0
        no_secret(p.stdout, p.stderr)
        assert b"bob:***@127.0.0.1" in p.stderr, p.stderr
        no_secret(db_bytes(m))


def test_server_mirror_password_is_not_logged_or_stored(tmp_path):
    """B relays A's export from a web server that wants a password."""
    with FakeUpstream(host="127.0.0.1") as up:
        up.body = BODY
        a = Mirror(tmp_path / "a")
        a.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % up.pki.ca,
                       "upstream.retries=0"]
        a("init", "--actor", "t", check=0)
        a("fetch", check=5)
        a("approve", "--reason", "first", "1", check=0)
    exp = tmp_path / "exp"
    a("export", exp, check=0)
    key = a.key()["public_key"]
    with FakeMirror() as web:
        for f in pathlib.Path(exp).rglob("*"):
            if f.is_file():
                web.routes["/" + str(f.relative_to(exp))] = basic(
                    "carol", SECRET, static(f.read_bytes()))
        cfg = tmp_path / "b.conf"
        cfg.write_text(f"[upstream]\nallow_insecure_http = yes\n"
                       f"[mirror]\nurl = {with_auth(web.url, 'carol', SECRET)}"
                       f"\nprofile = mozilla\nkey = {key}\n")
        b = Mirror(tmp_path / "b", config=cfg)
        b("init", "--actor", "t", check=0)
        p = b("fetch", check=5)          # B's own vetting: a human
        no_secret(p.stdout, p.stderr)
        assert web.hits("/v1/mozilla/cacert.pem.minisig") >= 1
        snaps = b.snapshots()
        no_secret(json.dumps(snaps))
        assert "carol:***@127.0.0.1" in snaps[-1]["source"], snaps
        b("approve", "--reason", "ok", str(snaps[-1]["id"]), check=0)
        p = b("fetch", check=0)
        no_secret(p.stdout, p.stderr)
        assert b"carol:***@127.0.0.1" in p.stdout, p.stdout
        no_secret(db_bytes(b))
