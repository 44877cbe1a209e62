"""cabundled serve over real HTTP: every route of the v1 contract, the
cache validators, the limits, and a release made by the CLI appearing
without a restart.  Served files are checked with stock minisign and
sha256."""
import concurrent.futures
import hashlib
import http.client
import re
import subprocess
import socket
import time

import pytest
import requests

from conftest import (CABUNDLED, ROOT, Server, free_port, minisign_ok, run,
                      trusted)

def test_latest_and_versioned_files_verify_with_minisign(served, tmp_path):
    pub = served.get("/v1/pubkey")
    assert pub.status_code == 200
    assert pub.content.decode().splitlines()[1] == \
        served.mirror.key()["public_key"]
    for profile in ("mozilla", "org"):
        sig = served.get(f"/v1/{profile}/cacert.pem.minisig")
        body = served.get(f"/v1/{profile}/cacert.pem")
        assert sig.status_code == body.status_code == 200
        assert body.headers["Content-Type"] == "application/x-pem-file"
        assert body.headers["Cache-Control"] == "public, max-age=60"
        t = trusted(sig.text)
        assert t["profile"] == profile
        assert int(t["size"]) == len(body.content)
        assert t["sha256"] == hashlib.sha256(body.content).hexdigest()
        assert body.headers["ETag"] == '"%s"' % t["sha256"]
        assert minisign_ok(tmp_path, body.content, sig.content,
                           pub.content).returncode == 0
        # The same release under its version: immutable.
        v = t["version"]
        vb = served.get(f"/v1/{profile}/{v}/cacert.pem")
        vs = served.get(f"/v1/{profile}/{v}/cacert.pem.minisig")
        assert vb.content == body.content and vs.content == sig.content
        assert vb.headers["Cache-Control"] == \
        "public, max-age=31536000, immutable"
    # A changed byte is caught by the same check.
    body = bytearray(served.get("/v1/org/cacert.pem").content)
    body[100] ^= 1
    assert minisign_ok(tmp_path, bytes(body),
                       served.get("/v1/org/cacert.pem.minisig").content,
                       pub.content).returncode != 0


def test_json_documents_match_the_command_line(served):
    m = served.mirror
    r = served.get("/v1/profiles")
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == m.json("profile", "list", "--json")
    r = served.get("/v1/org/history")
    assert r.json() == m.json("history", "--json", "org")
    m("publish", "--resign", "--profile", "org", check=0)
    deadline = time.time() + 10
    while len(served.get("/v1/org/history").json()) < 2:
        assert time.time() < deadline
        time.sleep(0.2)
    r = served.get("/v1/org/diff/1/2")
    assert r.status_code == 200
    assert r.json() == m.json("diff", "--json", "org", "1", "2")
    assert served.get("/v1/org/diff/1/99").status_code == 404


def test_a_cli_release_is_served_without_restart(served):
    before = trusted(served.get("/v1/mozilla/cacert.pem.minisig").text)
    served.mirror("publish", "--resign", check=0)
    deadline = time.time() + 10
    while True:
        now = trusted(served.get("/v1/mozilla/cacert.pem.minisig").text)
        if now["version"] != before["version"]:
            break
        assert time.time() < deadline, "new release not served"
        time.sleep(0.2)
    assert int(now["version"]) == int(before["version"]) + 1
    assert now["sha256"] == before["sha256"]  # a re-signing
    # The old version stays where it was.
    old = served.get(f"/v1/mozilla/{before['version']}/cacert.pem.minisig")
    assert trusted(old.text)["version"] == before["version"]


def test_etag_gives_304_and_head_has_no_body(served):
    r = served.get("/v1/org/cacert.pem")
    etag = r.headers["ETag"]
    again = served.get("/v1/org/cacert.pem",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    other = served.get("/v1/org/cacert.pem",
                       headers={"If-None-Match": '"00"'})
    assert other.status_code == 200
    h = requests.head(served.base + "/v1/org/cacert.pem", timeout=10)
    assert h.status_code == 200 and h.content == b""
    assert int(h.headers["Content-Length"]) == len(r.content)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_no_write_method(served, method):
    status, headers, _ = served.raw(method, "/v1/org/cacert.pem",
                                    body=b"x" * 100)
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert served.get("/v1/org/cacert.pem").status_code == 200


@pytest.mark.parametrize("path", [
    "/v1/../v1/pubkey", "/v1/%2e%2e/v1/pubkey", "//v1/pubkey",
    "/v1/org/../mozilla/cacert.pem", "/v1/org/cacert.pem/",
    "/v1/Org/cacert.pem", "/v1/org/0/cacert.pem", "/v1/org/01/cacert.pem",
    "/v1/org/99999/cacert.pem", "/v1/org/diff/1", "/etc/passwd",
    "/v1/nosuch/cacert.pem", "/v1/org/%3Cscript%3E/cacert.pem",
    "/" + "a" * 4000])
def test_anything_else_is_404(served, path):
    status, _, body = served.raw("GET", path)
    assert status == 404, (path, status)
    assert b"BEGIN CERTIFICATE" not in body


def test_query_strings_are_ignored_not_reflected(served):
    status, _, body = served.raw("GET", "/v1/nosuch?x=%3Cscript%3E")
    assert status == 404 and b"script" not in body
    status, _, body = served.raw("GET", "/?x=<script>alert(1)</script>")
    assert status == 200 and b"<script>" not in body


def test_oversized_headers_are_refused_and_the_server_goes_on(served):
    status, _, _ = served.raw("GET", "/healthz",
                              headers={"X-Big": "a" * 40000})
    assert status in (413, 414, 431)
    assert served.get("/healthz").text == "ok\n"


def test_metrics_and_healthz(served):
    served.get("/v1/org/cacert.pem")
    served.get("/nothing")
    # A request is counted once its response is sent, which may be just
    # after the client has read it: look again for a while.
    want = ['cabundle_http_requests_total{route="latest_pem",status="200"}',
            'cabundle_http_requests_total{route="none",status="404"}']
    deadline = time.monotonic() + 5
    while True:
        r = served.get("/metrics")
        text = r.text
        if all(w in text for w in want) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4"
    for w in want:
        assert w in text, w
    assert 'cabundle_release_version{profile="org"} 1' in text
    exp = [ln for ln in text.splitlines()
           if ln.startswith('cabundle_signature_expiry_seconds{profile="org"}')]
    assert 13 * 86400 < int(exp[0].split()[1]) <= 14 * 86400
    assert "cabundle_quarantined_snapshots 0" in text
    assert served.get("/healthz").headers["Content-Type"] == \
        "text/plain; charset=utf-8"


# One path of each route (server/route.h), by its /metrics name.
ROUTE_PATHS = {
    "none": "/nothing", "index": "/", "healthz": "/healthz",
    "metrics": "/metrics", "pubkey": "/v1/pubkey",
    "profiles": "/v1/profiles", "latest_pem": "/v1/org/cacert.pem",
    "latest_sig": "/v1/org/cacert.pem.minisig",
    "version_pem": "/v1/org/1/cacert.pem",
    "version_sig": "/v1/org/1/cacert.pem.minisig",
    "history": "/v1/org/history", "diff": "/v1/org/diff/1/1",
    "upstream": "/v1/upstream", "audit": "/v1/audit",
    "page_profile": "/p/org", "page_release": "/p/org/1",
    "page_quarantine": "/quarantine", "page_audit": "/audit",
    "page_cert": "/cert/" + "ab" * 32, "keys": "/v1/keys",
    "keys_sig": "/v1/keys.minisig", "keys_version": "/v1/keylists/1/keys",
    "keys_version_sig": "/v1/keylists/1/keys.minisig",
    "latest_constraints": "/v1/org/constraints.json",
    "latest_constraints_sig": "/v1/org/constraints.json.minisig",
    "latest_p11kit": "/v1/org/cacert.p11-kit",
    "version_constraints": "/v1/org/1/constraints.json",
    "version_constraints_sig": "/v1/org/1/constraints.json.minisig",
    "version_p11kit": "/v1/org/1/cacert.p11-kit", "page_org": "/org",
    "page_exclusions": "/exclusions", "page_search": "/search?q=isrg",
    "page_snapshots": "/snapshots", "page_snapshot": "/snapshots/1",
    "snapshots": "/v1/snapshots", "snapshot": "/v1/snapshots/1",
}


def test_metrics_names_every_route(served):
    """After a visit to each route, /metrics counts each under its own
    name: none is "(null)" (the pages added after version_p11kit were)."""
    enum = (ROOT / "server" / "route.h").read_text()
    enum = enum[enum.index("enum route {"):enum.index("R__MAX")]
    routes = re.findall(r"^\s*(R_\w+)", enum, re.M)
    # A new route needs a path here too.
    assert len(routes) == len(ROUTE_PATHS), routes
    for path in ROUTE_PATHS.values():
        served.get(path)
    # Counted once sent: look again for a while.
    deadline = time.monotonic() + 5
    while True:
        text = served.get("/metrics").text
        seen = set(re.findall(r'^cabundle_http_requests_total\{route="'
                              r'([^"]*)"', text, re.M))
        if seen >= set(ROUTE_PATHS) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "(null)" not in text
    assert set(ROUTE_PATHS) - seen == set(), text
    assert seen == set(ROUTE_PATHS), text


def test_index_page_links_every_profile(served):
    r = served.get("/")
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    for p in ("mozilla", "org"):
        assert f'href="/p/{p}"' in r.text
        assert f'href="/v1/{p}/cacert.pem"' in r.text
    assert "no release yet" in r.text  # org-only, without org CAs


def test_two_hundred_concurrent_connections(served):
    want = served.get("/v1/org/cacert.pem").content

    def client(_):
        with requests.Session() as s:
            end = time.time() + 10
            n = 0
            while time.time() < end:
                r = s.get(served.base + "/v1/org/cacert.pem", timeout=30)
                assert r.status_code == 200 and r.content == want
                n += 1
            return n

    with concurrent.futures.ThreadPoolExecutor(200) as ex:
        done = list(ex.map(client, range(200)))
    assert all(n >= 1 for n in done)
    assert served.get("/healthz").status_code == 200


def test_access_log_names_each_request(good):
    s = Server(good)
    s.get("/v1/org/cacert.pem")
    s.raw("POST", "/v1/org/cacert.pem", body=b"")
    out = s.stop()
    assert '"GET /v1/org/cacert.pem" 200' in out
    assert '"POST /v1/org/cacert.pem" 405' in out


def test_serve_refuses_a_taken_port(good):
    s = Server(good)
    p = run(CABUNDLED, "-d", good.datadir, "-o", f"http.port={s.port}",
            "-o", "upstream.fetch_interval=0", "serve", check=4)
    assert b"cannot listen" in p.stderr
    s.stop()


def test_upstream_and_audit_documents(served):
    m = served.mirror
    up = served.get("/v1/upstream")
    assert up.status_code == 200
    snaps = up.json()
    assert [s["id"] for s in snaps] == [s["id"] for s in m.snapshots()]
    assert snaps[0]["status"] == "accepted"
    assert snaps[0]["report"]["verdict"] == snaps[0]["verdict"]
    assert any(r["check"] == "added" for r in snaps[0]["report"]["rows"])
    # The audit log, a page at a time, is the command line's log.
    everything = m.json("audit", "--json")
    got, after = [], 0
    while True:
        page = served.get(f"/v1/audit?after={after}&limit=2").json()
        got += page["rows"]
        if page["next"] is None:
            break
        after = page["next"]
    assert got == everything
    etag = served.get("/v1/audit").headers["ETag"]
    assert served.get("/v1/audit", headers={"If-None-Match": etag}
                      ).status_code == 304
    for bad in ("limit=0", "limit=1001", "after=-1", "after=x",
                "limit=01"):
        assert served.get("/v1/audit?" + bad).status_code == 400, bad


EVIL = "<script>alert('x')</script> \"Q\" & co"


@pytest.fixture
def evil_ca(tmp_path):
    pem = tmp_path / "evil.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", tmp_path / "e.key",
        "-out", pem, "-days", "3650", "-subj", "/CN=Evil Test Root",
        "-addext", "basicConstraints=critical,CA:TRUE", check=0)
    fp = run("openssl", "x509", "-in", pem, "-noout", "-fingerprint",
             "-sha256", check=0).stdout.decode().split("=")[1].strip()
    return pem, fp.replace(":", "").lower()


def test_pages_show_a_hostile_label_as_text(good, evil_ca):
    pem, fp = evil_ca
    good("org", "add", "--name", EVIL, "--note", EVIL, pem, check=0)
    s = Server(good)
    try:
        pages = ["/", "/p/org", "/p/org/2", "/p/org/1", "/audit",
                 f"/cert/{fp}", "/quarantine"]
        for path in pages:
            r = s.get(path)
            assert r.status_code == 200, path
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "<script" not in r.text, path
            assert "alert(" not in r.text or "&lt;script&gt;" in r.text
        release = s.get("/p/org/2").text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; " \
            "&quot;Q&quot; &amp; co" in release
        assert f'href="/cert/{fp}"' in release
        cert = s.get(f"/cert/{fp}").text
        assert "CN=Evil Test Root" in cert
        assert ">org</a></td><td>2 to 2</td>" in cert
        history = s.get("/p/org").text
        assert 'href="/v1/org/2/cacert.pem"' in history
        assert 'href="/p/org/1"' in history
        assert s.get("/cert/" + "0" * 64).status_code == 404
        assert s.get("/p/org/3").status_code == 404
    finally:
        s.stop()


def test_quarantine_page_shows_the_report(good):
    from test_store import HOSTILE
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    s = Server(good)
    try:
        page = s.get("/quarantine").text
        assert "Snapshot 2" in page
        assert "cabundled approve|reject --reason TEXT 2" in page
        assert "churn" in page
    finally:
        s.stop()


def test_reloads_while_clients_download(served):
    """Sites are swapped under load: every response is whole and right,
    and (under ASan) no byte is used after its site is freed."""
    want = served.get("/v1/org/cacert.pem").content
    stop = time.time() + 4

    def client(_):
        n = 0
        with requests.Session() as s:
            while time.time() < stop:
                r = s.get(served.base + "/v1/org/cacert.pem", timeout=30)
                assert r.status_code == 200 and r.content == want
                v = s.get(served.base + "/v1/org/1/cacert.pem.minisig",
                          timeout=30)
                assert v.status_code == 200
                n += 1
        return n

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        futs = [ex.submit(client, i) for i in range(16)]
        for _ in range(4):
            served.mirror("publish", "--resign", "--profile", "org",
                          check=0)
            time.sleep(0.6)
        assert all(f.result() > 0 for f in futs)
    hist = served.get("/v1/org/history").json()
    assert hist[-1]["version"] == 5


def dripping(source, port, n):
    """n connections from source that each send one byte of a request
    now and then and never finish it (slowloris)."""
    socks = []
    for _ in range(n):
        c = socket.socket()
        c.settimeout(5)
        c.bind((source, 0))
        c.connect(("127.0.0.1", port))
        socks.append(c)
    return socks


def closed_by_server(c, within):
    """True when the server closes c (EOF or reset) within seconds."""
    c.settimeout(within)
    try:
        return c.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_slow_and_idle_clients_do_not_starve_the_others(good):
    want = None
    s = Server(good, "http.per_ip_limit=16", "http.connection_timeout=2")
    try:
        want = s.get("/v1/org/cacert.pem").content
        # One host drips header bytes on 60 connections: only 16 are
        # kept, the rest are closed at once.
        slow = dripping("127.0.0.2", s.port, 60)
        line = b"GET /v1/org/cacert.pem HTTP/1.1\r\nX-a: "
        open_ = []
        for c in slow:
            try:
                c.sendall(line[:1])
                open_.append(c)
            except OSError:
                pass
        refused = [c for c in slow if closed_by_server(c, 0.2)]
        assert len(refused) >= 60 - 16, len(refused)
        # Another host opens connections and sends nothing.
        idle = dripping("127.0.0.3", s.port, 16)
        # Meanwhile everyone else is served, again and again.
        for i in range(1, 12):
            r = s.get("/v1/org/cacert.pem")
            assert r.status_code == 200 and r.content == want
            for c in slow:
                if c not in refused:
                    try:
                        c.sendall(line[i:i + 1])
                    except OSError:
                        pass
            time.sleep(0.25)
        # The idle connections are closed after connection_timeout.
        assert all(closed_by_server(c, 5) for c in idle)
        for c in slow + idle:
            c.close()
        assert s.get("/healthz").status_code == 200
    finally:
        s.stop()



def test_healthz_is_ready_only_when_everything_answers(good):
    """/healthz says ok only once the site is loaded: a probe that got
    ok asks for a signature at once and gets it (the load test under
    ASan once got 503 "not ready" right after an ok)."""
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [CABUNDLED, "-d", str(good.datadir), "-o", f"http.port={port}",
             "-o", "upstream.fetch_interval=0", "serve"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while True:
                assert time.time() < deadline, "serve did not come up"
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port,
                                                   timeout=5)
                    c.request("GET", "/healthz")
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        c.request("GET", "/v1/mozilla/cacert.pem.minisig")
                        r = c.getresponse()
                        r.read()
                        assert r.status == 200, r.status
                        break
                    assert r.status == 503, r.status
                except ConnectionError:
                    pass
                finally:
                    c.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
