"""Security review in the suite: key file and directory modes, no write
method on any path, line breaks and NULs that try to reach a response
header or the access log, paths that try to leave the contract (serve)
or the tree (export), operator text that tries SQL or HTML, query
values, the files the client creates, and SECURITY.md's by-hand
verification run exactly as the document gives it.

What other files already prove is named in SECURITY.md, not repeated
here; test_security_md_names_real_tests keeps those names honest."""
import json
import os
import pathlib
import re
import shutil
import socket
import sqlite3
import stat
import subprocess

import pytest

from conftest import (CABUNDLE, CABUNDLED, HOSTILE, Mirror, Server, approve,
                      free_port, run, upstream)

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "SECURITY.md"
MARK = "cabundle-inj-7f3a"     # must never come back in a response


# -- helpers ------------------------------------------------------------

def exchange(port, request, timeout=10):
    """Send raw bytes on a fresh connection; read until the server
    closes (every request here says Connection: close or is refused)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(request)
        data = b""
        while True:
            try:
                chunk = c.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
    return data


def response(data):
    """(status, [(name, value)], body) of one raw HTTP/1.1 response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.fullmatch(rb"HTTP/1\.1 (\d{3}) [ -~]*", lines[0])
    assert m, data[:200]
    headers = []
    for ln in lines[1:]:
        name, sep, value = ln.partition(b":")
        assert sep and re.fullmatch(rb"[!-~]+", name), (ln, data[:400])
        headers.append((name.decode().lower(), value.strip().decode()))
    return int(m.group(1)), headers, body


def get(port, path, headers=(), method=b"GET"):
    req = method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for h in headers:
        req += h + b"\r\n"
    return response(exchange(port, req + b"Connection: close\r\n\r\n"))


def db_state(db):
    """What a refused change must leave exactly as it was."""
    with sqlite3.connect(db) as c:
        return {
            "audit": c.execute("SELECT count(*), max(hash) FROM audit "
                               "WHERE id = (SELECT max(id) FROM audit)"
                               ).fetchone(),
            "rows": [c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("audit", "snapshot", "org_ca", "exclusion",
                               "profile", "release", "signing_key")],
            "status": c.execute("SELECT id, status, decided_by, reason "
                                "FROM snapshot ORDER BY id").fetchall(),
        }


def schema_objects(db):
    with sqlite3.connect(db) as c:
        return sorted(c.execute("SELECT type, name FROM sqlite_master "
                                "WHERE name NOT LIKE 'sqlite_%'"))


def assert_intact(m, objects):
    """Integrity, foreign keys, the audit chain and every table and
    trigger of the schema: nothing was dropped or damaged."""
    with sqlite3.connect(m.db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    assert schema_objects(m.db) == objects
    m("audit", "verify", check=0)


def html_text(s):
    """server/html.c's escaping."""
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def make_ca(d, cn="Hostile Test Root"):
    d.mkdir(parents=True, exist_ok=True)
    pem = d / "ca.pem"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", d / "ca.key",
        "-out", pem, "-days", "3650", "-subj", "/CN=" + cn,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", check=0)
    fp = run("openssl", "x509", "-in", pem, "-noout", "-fingerprint",
             "-sha256", check=0).stdout.decode().split("=")[1].strip()
    return pem, fp.replace(":", "").lower()


def first_root(path):
    p = run(CABUNDLED, "inspect", "--json", path, check=0)
    return json.loads(p.stdout)["certificates"][0]["sha256"]


@pytest.fixture
def good(mirror):
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 1)
    return mirror


# -- key files, keys directory, and what the client creates ---------------

@pytest.mark.parametrize("mode", [0o604, 0o620, 0o602, 0o610, 0o601])
def test_key_file_open_to_others_is_refused(mirror, tmp_path, mode):
    """Any bit for group or others, read, write or execute, alone
    (test_store.py tries 0640 only), for commands and serve."""
    key = mirror.keyfile()
    key.chmod(mode)
    before = db_state(mirror.db)
    for cmd in (["publish", "--resign"], ["export", tmp_path / "x"],
                ["org", "list"], ["key", "show"]):
        p = mirror(*cmd, check=4)
        assert key.name.encode() in p.stderr and b"chmod 600" in p.stderr
    assert not (tmp_path / "x").exists()
    p = run(CABUNDLED, "-d", mirror.datadir, "-o",
            f"http.port={free_port()}", "serve", check=4)
    assert b"group or others" in p.stderr
    assert db_state(mirror.db) == before
    key.chmod(0o600)
    mirror("key", "show", check=0)


def test_standby_key_open_to_others_is_refused(mirror):
    mirror("key", "generate", "--standby", check=0)
    standby = mirror.keyfile("standby")
    standby.chmod(0o644)
    p = mirror("snapshots", check=4)
    assert standby.name.encode() in p.stderr
    standby.chmod(0o600)
    mirror("snapshots", check=0)


@pytest.mark.parametrize("mode", [0o750, 0o705, 0o770, 0o777, 0o710,
                                  0o701])
def test_keys_directory_open_to_others_is_refused(mirror, mode):
    """Whoever can list or write DATADIR/keys can learn or swap the keys:
    refused like a readable key file, naming the directory and the fix."""
    keys = mirror.datadir / "keys"
    keys.chmod(mode)
    before = db_state(mirror.db)
    for cmd in (["snapshots"], ["publish", "--resign"], ["init"],
                ["key", "show"]):
        p = mirror(*cmd, check=4)
        assert str(keys).encode() in p.stderr, p.stderr
        assert b"chmod 700" in p.stderr
    run(CABUNDLED, "-d", mirror.datadir, "-o", f"http.port={free_port()}",
        "serve", check=4)
    assert db_state(mirror.db) == before
    keys.chmod(0o700)
    mirror("snapshots", check=0)


def test_client_creates_nothing_others_can_write(good, tmp_path):
    """Whatever the umask, the state, its lock and directory, a new
    --output file and a --capath tree are not writable by group or
    others.  (The client does not check the modes of files it is given:
    SECURITY.md, known limits.)"""
    exp = tmp_path / "usb"
    good("export", exp, check=0)
    state = tmp_path / "st" / "sub" / "state.json"
    out = tmp_path / "out.pem"
    cap = tmp_path / "capath"
    run(CABUNDLE, "install", "--from", f"file://{exp}", "--key",
        good.key()["public_key"], "--profile", "org", "--output", out,
        "--capath", cap, "--state", state, check=0,
        preexec_fn=lambda: os.umask(0))
    created = [state, pathlib.Path(str(state) + ".lock"), state.parent,
               state.parent.parent, out, cap]
    tree = cap.resolve()
    created += [tree] + list(tree.iterdir())
    assert len(created) > 10
    for f in created:
        mode = stat.S_IMODE(os.lstat(f).st_mode) if not f.is_symlink() \
            else 0
        assert mode & 0o022 == 0, (f, oct(mode))


# -- the HTTP server: methods, paths, injected bytes, query values ---------

EVIL = {
    "actor": "A <script>alert(1)</script> '; DROP TABLE audit; --",
    "approve": "R1 </td><img src=x onerror=alert(1)> \"); DELETE FROM "
               "release; --",
    "reject": "R2 <script>alert(2)</script> ' OR '1'='1",
    "name": "N <script>alert(3)</script> '; DROP TABLE org_ca; --",
    "owner": "O \" onmouseover=\"alert(4)\" x=\" Z\u00fcrich \u2603",
    "note": "T <iframe src=javascript:alert(5)>",
    "exclude": "X <svg onload=alert(6)> '; UPDATE release SET version=0; --",
    "desc": "D <b>bold</b> & <script>alert(7)</script>",
    "file": "F <img src=x onerror=alert(8)> '; DROP TABLE snapshot; --.pem",
}
RAW_HTML = ("<script", "<img", "<iframe", "<svg", "<b>", 'onmouseover="')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One mirror whose every operator-supplied text is hostile, served.
    Its schema objects are recorded right after init."""
    d = tmp_path_factory.mktemp("hostile")
    m = Mirror(d / "data")
    m("init", "--actor", EVIL["actor"], check=0)
    m.objects = schema_objects(m.db)
    a = ["--actor", EVIL["actor"]]
    m("import", *a, upstream("2025.07.14"), check=5)
    m("approve", "--reason", EVIL["approve"], *a, "1", check=0)
    m("import", *a, HOSTILE / "evil-root-added.pem", check=5)
    m("reject", "--reason", EVIL["reject"], *a, "2", check=0)
    pem, m.org_fp = make_ca(d / "ca", "<img src=x onerror=alert(9)>")
    m("org", "add", "--name", EVIL["name"], "--owner", EVIL["owner"],
      "--note", EVIL["note"], "--tag", "infra", *a, pem, check=0)
    m.excluded = first_root(upstream("2025.07.14"))
    m("exclude", "add", "--reason", EVIL["exclude"], *a, m.excluded,
      check=0)
    m("profile", "add", "--description", EVIL["desc"], "--tag", "infra",
      *a, "web+api", check=0)
    m("publish", "--resign", *a, check=0)
    # The newest release, with a hostile file name as its source, waits.
    evil_file = d / EVIL["file"]
    shutil.copy(upstream("2026.07.22"), evil_file)
    m("import", *a, evil_file, check=5)
    s = Server(m)
    s.mirror = m
    yield s
    s.stop()


PATHS = ["/", "/healthz", "/metrics", "/v1/pubkey", "/v1/profiles",
         "/v1/upstream", "/v1/audit", "/v1/org/cacert.pem",
         "/v1/org/cacert.pem.minisig", "/v1/org/1/cacert.pem",
         "/v1/org/1/cacert.pem.minisig", "/v1/org/history",
         "/v1/org/diff/1/2", "/p/org", "/p/org/2", "/quarantine", "/audit",
         "/audit?after=1", "/v1/nosuch/cacert.pem", "/v1/../etc/passwd"]


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "PATCH",
                                    "OPTIONS", "TRACE", "CONNECT",
                                    "PROPFIND", "MKCOL", "LOCK", "BREW"])
def test_no_write_method_on_any_kind_of_path(site, method):
    """Every kind of path (files, JSON, pages, health, metrics, 404s):
    405 with Allow, nothing echoed (TRACE), nothing changed."""
    before = db_state(site.mirror.db)
    paths = PATHS + [f"/cert/{site.mirror.org_fp}"]
    body = b'{"profile": "x", "version": 99}'
    for path in paths:
        req = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-Note: {MARK}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
               ).encode() + body
        raw = exchange(site.port, req)
        status, headers, _ = response(raw)
        assert status == 405, (method, path, status)
        assert ("allow", "GET, HEAD") in headers, (method, path)
        assert MARK.encode() not in raw and b"version" not in raw
    assert db_state(site.mirror.db) == before
    status, _, data = get(site.port, b"/v1/org/cacert.pem")
    assert status == 200 and b"BEGIN CERTIFICATE" in data


@pytest.mark.parametrize("path", [
    "/v1/org%2Fcacert.pem", "/v1%2Fpubkey", "/v1/pubkey%00",
    "/v1/pubkey%00.html", "/v1/org/cacert.pem%00.txt", "/v1/pub%6bey",
    "/%76%31/pubkey", "/v1/%2e%2e/%2e%2e/etc/passwd",
    "/v1/%252e%252e/pubkey", "/v1/..%2f..%2fetc%2fpasswd",
    "/v1/org/..%5cmozilla/cacert.pem", "/v1\\pubkey",
    "/v1/org\\cacert.pem", "/..\\..\\etc\\passwd",
    "http://127.0.0.1/v1/pubkey", "http://evil.example/v1/org/cacert.pem",
    "//evil.example/v1/pubkey", "/v1/org/cacert.pem;.html",
    "/v1/org/./cacert.pem", "/v1/./pubkey", "/v1/org/1/../2/cacert.pem",
    "/cert/../v1/pubkey", "/p/org/1/", "/v1/pubkey/", "/v1/pubkey.",
    "/v1/org/" + "9" * 30 + "/cacert.pem", "/v1/" + "a" * 600,
    "/p/" + "o" * 65, "/" + "%2e" * 3000])
def test_paths_are_matched_as_sent(site, path):
    """No decoding, no normalization: what is not the contract byte for
    byte is 404, whatever it decodes to, and the path is not echoed."""
    status, headers, body = get(site.port, path.encode())
    assert status == 404, (path, status)
    assert body == b"not found\n"
    assert not any(path[:40] in v for _, v in headers)


def test_a_path_over_the_header_limit_is_refused(site):
    status, _, body = get(site.port, b"/v1/" + b"x" * 40000)
    assert status in (414, 431)
    assert b"xxxx" not in body
    assert get(site.port, b"/healthz")[0] == 200


INJECTIONS = [
    # (request line and headers, without the final CRLF CRLF)
    b"GET /v1/pubkey%0d%0aSet-Cookie:%20" + MARK.encode() +
    b" HTTP/1.1\r\nHost: a",
    b"GET /v1/audit?after=1%0d%0aSet-Cookie:%20" + MARK.encode() +
    b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pubkey?x=%0aSet-Cookie:" + MARK.encode() +
    b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pubkey\rSet-Cookie: " + MARK.encode() +
    b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pubkey\nSet-Cookie: " + MARK.encode() + b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pub\x00key" + MARK.encode() + b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pubkey HTTP/1.1\r\nHost: a\rSet-Cookie: " + MARK.encode(),
    b"GET /v1/pubkey HTTP/1.1\r\nHost: a\x00" + MARK.encode(),
    b"GET /v1/pubkey HTTP/1.1\r\nHost: " + MARK.encode() +
    b"\r\nX-Forwarded-Host: " + MARK.encode(),
    b"GET /v1/pubkey HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r"
    b"Set-Cookie: " + MARK.encode(),
    b"GET /v1/org/cacert.pem HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\x00"
    + MARK.encode() + b"\"",
    b"GET /v1/pubkey HTTP/1.1\r\nHost: a\r\nX-A: a\r\n Set-Cookie: "
    + MARK.encode(),
    b"GET /p/org HTTP/1.1\r\nHost: a\r\nReferer: \"><script>" +
    MARK.encode() + b"</script>",
    b"G\x1b[31mET /v1/pubkey" + MARK.encode() + b" HTTP/1.1\r\nHost: a",
    b"GET /v1/pubkey HTTP/1.1\r\nHost: a\r\nConnection: close, " +
    MARK.encode(),
]


def test_injected_line_breaks_are_not_reflected(good):
    """CR, LF and NUL in the path, the query, Host, If-None-Match and
    other headers (raw sockets): each answer is one well-formed response
    with only our headers, none of the request's bytes in it, and each
    access-log line stays one printable line."""
    s = Server(good)
    try:
        for req in INJECTIONS:
            raw = exchange(s.port, req + b"\r\nConnection: close\r\n\r\n")
            if not raw:
                continue    # closed without an answer: nothing reflected
            status, headers, body = response(raw)
            assert MARK.encode() not in raw, (req, raw[:600])
            names = {n for n, _ in headers}
            assert names <= {"date", "connection", "content-length",
                             "content-type", "cache-control", "etag",
                             "allow", "x-content-type-options",
                             "content-security-policy"}, (req, names)
            assert status in (200, 400, 404, 405), (req, status)
        assert s.get("/healthz").text == "ok\n"
    finally:
        log = s.stop()
    lines = log.splitlines()
    access = [ln for ln in lines if '"' in ln]
    assert len(access) >= 5
    for ln in log.split("\n"):
        assert "\r" not in ln and "\x1b" not in ln and "\x00" not in ln, ln
    for ln in access:
        assert re.fullmatch(r'\S+ "[!-~]* [!-~]*" \d{3} \d+ [\d.]+ms'
                            r'( \(aborted\))?', ln), ln


@pytest.mark.parametrize("query", [
    "after=1%20OR%201=1", "after=1 OR 1=1", "after=1;DROP%20TABLE%20audit",
    "after=1'", "after=%31", "after=+1", "after=%2B1", "limit=1e3",
    "limit=0x10", "limit=%3Cscript%3E", "limit=<script>alert(1)</script>",
    "after=9223372036854775808", "after=99999999999999999999999",
    "limit=1000%00", "after=" + "1" * 400])
def test_query_values_are_numbers_or_400(site, query):
    """SQL- and HTML-shaped query values: 400, the value never echoed,
    the database untouched.  (test_http.py covers the range checks.)"""
    before = db_state(site.mirror.db)
    for path in ("/v1/audit", "/audit"):
        if path == "/audit" and query.startswith("limit"):
            continue
        status, headers, body = get(site.port, f"{path}?{query}".encode())
        assert status == 400, (path, query, status)
        assert query.split("=", 1)[1].encode() not in body
        assert not any("script" in v for _, v in headers)
    assert db_state(site.mirror.db) == before
    assert_intact(site.mirror, site.mirror.objects)


def test_query_values_that_are_numbers_work(site):
    status, _, body = get(site.port, b"/v1/audit?after=9223372036854775807"
                          b"&limit=1000")
    assert status == 200 and json.loads(body) == {"rows": [], "next": None}
    status, _, body = get(site.port, b"/v1/audit?after=1&limit=2")
    assert [r["id"] for r in json.loads(body)["rows"]] == [2, 3]
    status, _, body = get(site.port, b"/p/org?x=%27%20OR%201=1--")
    assert status == 200 and b"OR 1=1" not in body


# -- operator text: SQL and HTML -------------------------------------------

def test_hostile_text_is_stored_verbatim(site):
    """Every hostile value is in the database exactly as given, the
    schema is whole, the chain verifies, and the command line's JSON
    gives each value back unchanged."""
    m = site.mirror
    assert_intact(m, m.objects)
    with sqlite3.connect(m.db) as c:
        assert c.execute("SELECT name, owner, note FROM org_ca").fetchall() \
            == [(EVIL["name"], EVIL["owner"], EVIL["note"])]
        assert c.execute("SELECT reason FROM exclusion").fetchall() == \
            [(EVIL["exclude"],)]
        assert c.execute("SELECT id, decided_by, reason FROM snapshot "
                         "WHERE id < 3 ORDER BY id").fetchall() == \
            [(1, EVIL["actor"], EVIL["approve"]),
             (2, EVIL["actor"], EVIL["reject"])]
        assert c.execute("SELECT source FROM snapshot WHERE id = 3"
                         ).fetchone()[0].endswith("/" + EVIL["file"])
        assert c.execute("SELECT description FROM profile WHERE name = "
                         "'web+api'").fetchone()[0] == EVIL["desc"]
        actors = {r[0] for r in c.execute("SELECT actor FROM audit")}
        assert actors == {EVIL["actor"]}
        profiles = c.execute("SELECT DISTINCT profile FROM release "
                             "ORDER BY profile").fetchall()
    assert profiles == [("mozilla",), ("org",), ("org-only",),
                        ("web+api",)]
    m("rebuild", "--check", check=0)    # every signature, hostile labels
    org = m.json("org", "list", "--json")
    assert [(o["name"], o["owner"], o["note"]) for o in org] == \
        [(EVIL["name"], EVIL["owner"], EVIL["note"])]
    assert m.json("exclude", "list", "--json")[0]["reason"] == \
        EVIL["exclude"]
    snaps = m.snapshots()
    assert [(s["decided_by"], s["reason"]) for s in snaps[:2]] == \
        [(EVIL["actor"], EVIL["approve"]), (EVIL["actor"], EVIL["reject"])]
    details = [a["details"] for a in m.json("audit", "--json")]
    assert {"reason": EVIL["reject"]} in details
    assert any(d.get("reason") == EVIL["exclude"] for d in details)
    # The organization CA's name is its label in every bundle it is in.
    body = site.get("/v1/org/cacert.pem").text
    assert f'# Label: "{EVIL["name"]}"' in body


def test_pages_escape_every_stored_value(site):
    """Every page: HTML with a Content-Security-Policy that allows no
    script, no raw tag or attribute from the data, and the values shown
    escaped where they belong."""
    m = site.mirror
    hist = m.json("history", "--json", "org")
    pages = ["/", "/p/org", "/p/web+api", "/quarantine", "/audit",
             f"/cert/{m.org_fp}", f"/cert/{m.excluded}", "/org",
             "/exclusions", "/search?q=a", "/search?q=%3Cscript%3E"] + \
        [f"/p/org/{h['version']}" for h in hist]
    text = {}
    for path in pages:
        r = site.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        for raw in RAW_HTML:
            assert raw not in r.text, (path, raw)
        text[path] = r.text
    added = [h["version"] for h in hist if h["added"]][-1]
    assert html_text(EVIL["name"]) in text[f"/p/org/{added}"]
    assert "<h1>" + html_text(EVIL["name"]) + "</h1>" in \
        text[f"/cert/{m.org_fp}"]
    assert "&lt;img src=x onerror=alert(9)" in text[f"/cert/{m.org_fp}"]
    assert html_text(EVIL["desc"]) in text["/"]
    assert html_text(EVIL["actor"]) in text["/audit"]
    assert html_text(json.dumps(EVIL["reject"])[1:-1]) in text["/audit"]
    assert html_text(json.dumps(EVIL["exclude"])[1:-1]) in text["/audit"]
    assert html_text(EVIL["file"]) in text["/quarantine"]
    # Files and JSON are not pages: never sniffed, never HTML.
    for path, ctype in (("/v1/org/cacert.pem", "application/x-pem-file"),
                        ("/v1/audit", "application/json"),
                        ("/v1/org/cacert.pem.minisig",
                         "text/plain; charset=utf-8")):
        r = site.get(path)
        assert r.headers["Content-Type"] == ctype
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_json_documents_carry_values_verbatim(site):
    m = site.mirror
    profiles = site.get("/v1/profiles").json()
    assert {p["name"]: p["description"] for p in profiles}["web+api"] == \
        EVIL["desc"]
    audit = site.get("/v1/audit?limit=1000").json()["rows"]
    assert audit == m.json("audit", "--json")
    assert {r["actor"] for r in audit} == {EVIL["actor"]}
    upstream_doc = site.get("/v1/upstream").json()
    assert [s["reason"] for s in upstream_doc[:2]] == [EVIL["approve"],
                                                       EVIL["reject"]]
    assert upstream_doc[2]["source"].endswith("/" + EVIL["file"])
    hist = m.json("history", "--json", "org")
    v = [h["version"] for h in hist if h["added"]][-1]
    diff = site.get(f"/v1/org/diff/{v - 1}/{v}").json()
    assert [c["label"] for c in diff["added"]] == [EVIL["name"]]


BAD_TEXT = {
    "newline": "ok\nFAKE 99 approve snapshot:1",
    "escape": "ok \x1b[2J\x1b[31mred",
    "tab": "a\tb",
    "c1": "a\u0085b",
    "del": "a\x7fb",
    "latin1": os.fsdecode(b"Jos\xe9"),      # not UTF-8 on the command line
}


def refusal_cases(fp, pem):
    """(argv with {} for the hostile text)."""
    return [
        ["approve", "--reason", "{}", "2"],
        ["approve", "--reason", "ok", "--actor", "{}", "2"],
        ["reject", "--reason", "{}", "2"],
        ["reject", "--reason", "ok", "--actor", "{}", "2"],
        ["import", "--actor", "{}", str(upstream("2025.07.14"))],
        ["org", "add", "--name", "{}", str(pem)],
        ["org", "add", "--owner", "{}", str(pem)],
        ["org", "add", "--note", "{}", str(pem)],
        ["org", "add", "--actor", "{}", str(pem)],
        ["exclude", "add", "--reason", "{}", fp],
        ["profile", "add", "--description", "{}", "x"],
        ["publish", "--resign", "--actor", "{}"],
        ["-o", "server.actor={}", "publish", "--resign"],
    ]


@pytest.mark.parametrize("kind", sorted(BAD_TEXT))
def test_text_that_would_break_the_record_is_refused(good, tmp_path, kind):
    """Control characters (a forged line in "cabundled audit", terminal
    escapes) and bytes that are not UTF-8 (which no JSON reader, page,
    export or the chain recipe could read again) are refused with the
    rule named, before anything is stored: the record is append-only,
    so one bad row would break it for good."""
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    pem, _ = make_ca(tmp_path / "ca")
    fp = first_root(upstream("2026.07.22"))
    objects = schema_objects(good.db)
    before = db_state(good.db)
    for case in refusal_cases(fp, pem):
        args = [a.replace("{}", BAD_TEXT[kind]) for a in case]
        if args[0] == "-o":
            p = run(CABUNDLED, "-d", good.datadir, *args)
        else:
            p = good(*args)
        assert p.returncode in (2, 4), (case, p.returncode, p.stdout)
        assert b"control characters" in p.stderr, (case, p.stderr)
        assert db_state(good.db) == before, case
    assert_intact(good, objects)
    good.json("audit", "--json")
    good.snapshots()
    good("export", tmp_path / "exp", check=0)


def test_an_import_file_name_that_is_not_utf8_is_refused(good, tmp_path):
    """The source of a snapshot is its file name: one that is not UTF-8
    text is refused, instead of a snapshot that breaks "snapshots",
    /v1/upstream and every later export."""
    before = db_state(good.db)
    for name in (b"bundle-\xe9.pem", b"bundle\n2.pem", b"b\x1b[31m.pem"):
        f = tmp_path / os.fsdecode(name)
        shutil.copy(upstream("2025.07.14"), f)
        p = good("import", f, check=4)
        assert b"UTF-8" in p.stderr and b"nothing stored" in p.stderr
        assert db_state(good.db) == before
    good.snapshots()
    good("export", tmp_path / "exp", check=0)
    good("import", upstream("2025.07.14"), check=5)


# -- export: names and links that try to leave the tree --------------------

@pytest.mark.parametrize("name", ["keys", "keylists", "profiles", "pubkey",
                                  "upstream", "audit", "snapshots"])
def test_profile_names_that_are_files_of_the_tree_are_refused(site, name):
    """/v1/keys is a file of every export: a profile "keys" would need a
    directory of that name beside it, so such names are refused."""
    m = site.mirror
    before = db_state(m.db)
    p = m("profile", "add", name, check=2)
    assert b"not one of audit, keylists, keys" in p.stderr
    assert db_state(m.db) == before


@pytest.mark.parametrize("name", [
    "../x", "..", ".hidden", "a/b", "/abs", "a\\b", "ORG", "", "a" * 65,
    "<script>", "x'; DROP TABLE profile; --", "-rf", "a b", "a%2fb",
    "\u00e9t\u00e9", "x\n"])
def test_hostile_profile_names_are_refused(site, tmp_path, name):
    """A profile name becomes a directory of every export and a path of
    the server: only SPEC.md's grammar gets in (tags too)."""
    m = site.mirror
    before = db_state(m.db)
    profiles = m.json("profile", "list", "--json")
    p = m("profile", "add", "--", name, check=2)
    assert b"profile" in p.stderr
    p = m("org", "add", "--tag", name, make_ca(tmp_path / "ca")[0],
          check=2)
    assert b"--tag" in p.stderr
    p = m("export", "--profile", name, tmp_path / "exp" / "in", check=2)
    assert not (tmp_path / "exp").exists()
    assert db_state(m.db) == before
    assert m.json("profile", "list", "--json") == profiles


@pytest.mark.parametrize("where", ["v1", "v1/org", "v1/org/2"])
def test_export_refuses_a_symlink_in_the_tree(good, tmp_path, where):
    """A user who can write the export directory plants a link to
    somewhere else: the export stops before writing, and nothing lands
    outside the tree."""
    exp = tmp_path / "exp"
    good("export", exp, check=0)
    good("publish", "--resign", check=0)      # org 2: new files to write
    outside = tmp_path / "outside"
    outside.mkdir()
    link = exp / where
    if link.exists():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    p = good("export", exp, check=4)
    assert b"symbolic link" in p.stderr
    assert list(outside.iterdir()) == []


def test_export_replaces_a_linked_file_not_its_target(good, tmp_path):
    exp = tmp_path / "exp"
    good("export", exp, check=0)
    good("publish", "--resign", check=0)
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    latest = exp / "v1" / "org" / "cacert.pem.minisig"
    latest.unlink()
    latest.symlink_to(target)
    good("export", exp, check=0)
    assert target.read_text() == "keep me\n"
    assert not latest.is_symlink()
    assert b"version:2\t" in latest.read_bytes()
    for f in exp.rglob("*"):
        assert not f.name.startswith("."), f
        if f.is_file():
            assert stat.S_IMODE(f.stat().st_mode) == 0o644, f


# -- SECURITY.md ----------------------------------------------------------

def doc_blocks():
    text = DOC.read_text()
    section = text.split("## Verifying a release by hand", 1)[1]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def by_hand(tmp_path, mirror_url, key, profile, db, name):
    """SECURITY.md's blocks, as written, with the settings of block 0
    replaced; run by bash -e in a fresh directory."""
    blocks = doc_blocks()
    assert len(blocks) >= 5
    settings = {"MIRROR": mirror_url, "KEY": key, "PROFILE": profile,
                "DB": str(db)}
    first, n = blocks[0], 0
    for var, value in settings.items():
        first, k = re.subn(rf"^{var}=.*$", f"{var}='{value}'", first,
                           flags=re.M)
        n += k
    assert n == 4, "SECURITY.md block 0 must set MIRROR, KEY, PROFILE, DB"
    script = "\n".join([first] + blocks[1:])
    work = tmp_path / name
    work.mkdir()
    return subprocess.run(["bash", "-e", "-c", script], cwd=work,
                          capture_output=True, timeout=120)


def test_auditor_procedure_from_security_md(good, tmp_path):
    """The by-hand verification, exactly as SECURITY.md gives it, passes
    against a real mirror and fails on a tampered body, another key and
    an edited audit row."""
    good("publish", "--resign", check=0)
    key = good.key()["public_key"]
    s = Server(good)
    try:
        p = by_hand(tmp_path, s.base, key, "org", good.db, "ok")
    finally:
        s.stop()
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    assert "Signature and comment signature verified" in out + \
        p.stderr.decode()
    oks = [ln for ln in out.splitlines() if ln.startswith("ok ")]
    same_calls = sum(b.count("same ") for b in doc_blocks()[1:])
    assert len(oks) == same_calls >= 12, out
    assert "FAIL" not in out
    assert "ok    audit chain: " in out and "rows that do not match" in out
    assert re.search(r"^snapshot 1\|file:/\S+\|accepted\|alice\|[-: 0-9]+"
                     r"\|reviewed$", out, re.M), out

    # The same against an export tree, one byte of the body changed.
    exp = tmp_path / "usb"
    good("export", exp, check=0)
    body = exp / "v1" / "org" / "2" / "cacert.pem"
    data = bytearray(body.read_bytes())
    data[500] ^= 1
    body.unlink()     # hard-linked to version 1's copy
    body.write_bytes(bytes(data))
    p = by_hand(tmp_path, f"file://{exp}", key, "org", good.db, "tampered")
    assert p.returncode != 0
    assert "audit chain" not in p.stdout.decode()
    # Untampered tree, but another mirror's key.
    good("export", tmp_path / "usb2", check=0)
    other = Mirror(tmp_path / "other")
    other("init", check=0)
    p = by_hand(tmp_path, f"file://{tmp_path / 'usb2'}",
                other.key()["public_key"], "org", good.db, "otherkey")
    assert p.returncode != 0
    assert "ok    sha256" not in p.stdout.decode()
    p = by_hand(tmp_path, f"file://{tmp_path / 'usb2'}", key, "org",
                good.db, "export-ok")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    # An audit row edited behind the triggers: only step 5 fails.
    run("sqlite3", good.db, "DROP TRIGGER audit_no_update; UPDATE audit "
        "SET actor = 'mallory' WHERE id = 3", check=0)
    p = by_hand(tmp_path, f"file://{tmp_path / 'usb2'}", key, "org",
                good.db, "edited")
    out = p.stdout.decode()
    assert p.returncode != 0
    assert "ok    audit row of the release" in out
    assert re.search(r"FAIL  audit chain: .*'( \d+)* 3( \d+)*' is not "
                     r"'none'", out), out


def test_security_md_names_real_tests_and_files():
    """Every test and source file SECURITY.md cites exists, so the
    table cannot promise a proof that is not there."""
    text = DOC.read_text()
    here = pathlib.Path(__file__).parent
    current, n = None, 0
    for m in re.finditer(r"`((test_\w+\.py)?(::(test_\w+))?)`", text):
        if m.group(2):
            current = m.group(2)
            assert (here / current).exists(), current
        if m.group(4):
            assert current, m.group(0)
            src = (here / current).read_text()
            assert re.search(rf"^def {m.group(4)}\(", src, re.M), \
                (current, m.group(4))
            n += 1
    assert n >= 60
    assert not re.findall(r"`test_\w+`", text), "cite tests as ::name"
    for f in set(re.findall(r"`((?:server|client|common|schema)/"
                            r"[\w.-]+)`", text)):
        assert (ROOT / f).exists(), f
