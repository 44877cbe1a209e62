"""Air gap and mirror chains: "cabundled export", static serving with a
real nginx, and a downstream cabundled relaying another mirror's
releases ([mirror] url, profile, key) with the upstream's signatures.

Mirror A fetches from a fake mkcert.org and exports; mirror B has no
network to A, only the exported directory (a USB stick), and must judge
what is carried in as a client would (SPEC.md section 8).
"""
import datetime
import hashlib
import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest
import requests

from conftest import (CABUNDLE, Mirror, Server, approve, free_port,
                      make_site_pki, run, upstream)
from upstream import FakeUpstream

ROOT = pathlib.Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "contrib" / "nginx" / "cabundle-export.conf"


def tree(d):
    """Every file under d: relative path -> bytes."""
    d = pathlib.Path(d)
    return {str(p.relative_to(d)): p.read_bytes()
            for p in sorted(d.rglob("*")) if p.is_file()}


def mtimes(d):
    d = pathlib.Path(d)
    return {str(p.relative_to(d)): p.stat().st_mtime_ns
            for p in d.rglob("*") if p.is_file()}


@pytest.fixture
def mirror_a(tmp_path):
    """Mirror A: fetched from a fake mkcert.org, first contact approved."""
    with FakeUpstream() as up:
        up.body = upstream("2026.07.22").read_bytes()
        a = Mirror(tmp_path / "a")
        a.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % up.pki.ca,
                       "upstream.retries=0"]
        a("init", "--actor", "a-admin", check=0)
        a("fetch", "--actor", "a-admin", check=5)
        approve(a, 1)
        yield a


def make_b(tmp_path, source, key, name="b"):
    """Mirror B: its upstream is the mirror at source, trusted with key."""
    cfg = tmp_path / f"{name}.conf"
    cfg.write_text(f"[mirror]\nurl = {source}\nprofile = mozilla\n"
                   f"key = {key}\n")
    b = Mirror(tmp_path / name, config=cfg)
    b("init", "--actor", "b-admin", check=0)
    return b


def relay_first(b):
    """First contact: B's own vetting quarantines; a human approves,
    and the approval relays at once what was verified (no fetch)."""
    b("fetch", check=5)
    sid = b.snapshots()[-1]["id"]
    p = b("approve", "--reason", "reviewed", str(sid), check=0)
    assert b"relayed: mozilla version" in p.stdout, p.stdout
    p = b("fetch", check=0)
    assert b"unchanged: mozilla version" in p.stdout, p.stdout
    return p


def served_state(b):
    """What B serves, as its database says: every release of every
    profile and the accepted snapshot."""
    return (b.json("history", "--json", "mozilla"),
            b.json("history", "--json", "org"), b.accepted())


def url_of(rel):
    """The path serve answers for an exported file."""
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[:-len("/index.html")]
    if rel == "v1/snapshots/index.json":
        return "/v1/snapshots"
    return "/" + rel


def install(base, key, profile, out, state, check=0):
    return run(CABUNDLE, "install", "--from", base, "--key", key,
               "--profile", profile, "--output", out, "--state", state,
               check=check)


# -- export -----------------------------------------------------------

def test_export_is_the_tree_serve_sends(mirror_a, tmp_path):
    mirror_a("publish", "--resign", check=0)
    exp = tmp_path / "export"
    mirror_a("export", "--all-versions", exp, check=0)
    files = tree(exp)
    s = Server(mirror_a)
    try:
        for rel, data in files.items():
            r = s.get(url_of(rel))
            assert r.status_code == 200, rel
            if rel == "v1/audit":
                # Static: the whole log at once, and no next page.
                mine = r.json()
                theirs = __import__("json").loads(data)
                assert theirs["next"] is None
                assert theirs["rows"][:len(mine["rows"])] == mine["rows"]
            elif rel == "audit/index.html":
                # The whole log too, newest first: the live first page
                # is its beginning.
                assert data.startswith(r.content.split(b"</table>")[0])
            elif rel == "search/index.html":
                # Every certificate, not a form that cannot be answered.
                assert b"<form" in r.content and b"<form" not in data
            else:
                assert r.content == data, rel
    finally:
        s.stop()
    # Every page type is there: the pages of both profiles and of each
    # of their releases, each snapshot and certificate.
    for page in ("index.html", "quarantine/index.html", "org/index.html",
                 "snapshots/index.html", "snapshots/1/index.html",
                 "exclusions/index.html", "p/mozilla/index.html",
                 "p/mozilla/1/index.html", "p/org/2/index.html",
                 "v1/snapshots/index.json", "v1/snapshots/1"):
        assert page in files, page
    assert len([f for f in files if f.startswith("cert/")]) == \
        len(mirror_a.json("report", "--json", "1")["added_roots"])
    for p in ("mozilla", "org"):
        for v in (1, 2):
            assert f"v1/{p}/{v}/cacert.pem" in files
            assert f"v1/{p}/{v}/cacert.pem.minisig" in files
        assert f"v1/{p}/diff/1/2" in files
        assert files[f"v1/{p}/cacert.pem.minisig"] == \
            files[f"v1/{p}/2/cacert.pem.minisig"]
    # A re-signing stores no second copy: the body is hard-linked.
    assert os.stat(exp / "v1/mozilla/1/cacert.pem").st_ino == \
        os.stat(exp / "v1/mozilla/2/cacert.pem").st_ino
    # Every file is readable by a web server running as another user.
    assert all((exp / f).stat().st_mode & 0o777 == 0o644 for f in files)


def test_export_is_incremental_and_keeps_unchanged_files(mirror_a,
                                                         tmp_path):
    exp = tmp_path / "export"
    p = mirror_a("export", exp, check=0)
    assert b"0 unchanged" in p.stdout
    before = mtimes(exp)
    time.sleep(0.05)
    p = mirror_a("export", exp, check=0)
    assert b" 0 files written" in p.stdout, p.stdout
    assert mtimes(exp) == before
    # A new release: its files and the moving documents change, the
    # old version's files are left exactly as they were.
    mirror_a("publish", "--resign", "--profile", "mozilla", check=0)
    mirror_a("export", exp, check=0)
    after = mtimes(exp)
    for f in ("v1/mozilla/1/cacert.pem", "v1/mozilla/1/cacert.pem.minisig",
              "v1/org/1/cacert.pem.minisig", "v1/pubkey"):
        assert after[f] == before[f], f
    assert "v1/mozilla/2/cacert.pem.minisig" in after
    # Whole seconds, as nginx's ETag sees them, even within a second.
    assert after["v1/mozilla/cacert.pem.minisig"] // 10**9 > \
        before["v1/mozilla/cacert.pem.minisig"] // 10**9
    assert (exp / "v1/mozilla/cacert.pem.minisig").read_bytes() == \
        (exp / "v1/mozilla/2/cacert.pem.minisig").read_bytes()
    # Without --all-versions an export starts at the latest version.
    fresh = tmp_path / "fresh"
    mirror_a("export", "--profile", "mozilla", fresh, check=0)
    assert not (fresh / "v1/mozilla/1").exists()
    assert not (fresh / "v1/org").exists()
    assert [p["name"] for p in __import__("json").loads(
        (fresh / "v1/profiles").read_bytes())] == ["mozilla"]


def test_export_never_overwrites_another_mirrors_tree(mirror_a, tmp_path,
                                                      mirror):
    exp = tmp_path / "export"
    mirror_a("export", "--profile", "org", exp, check=0)
    before = tree(exp)
    # Another mirror, with its own key, has its own version 1 of org
    # (and of mozilla, which is not there yet: still nothing is written).
    mirror("import", upstream("2025.07.14"), check=5)
    approve(mirror, 1)
    p = mirror("export", exp, check=1)
    assert b"exists with other content" in p.stderr, p.stderr
    assert b"v1/org/1/cacert.pem" in p.stderr
    assert tree(exp) == before


def test_export_refuses_an_unknown_profile_and_bad_usage(mirror_a,
                                                          tmp_path):
    p = mirror_a("export", "--profile", "nosuch", tmp_path / "x", check=2)
    assert b"nosuch" in p.stderr
    assert not (tmp_path / "x").exists()
    mirror_a("export", check=2)
    mirror_a("export", tmp_path / "a", tmp_path / "b", check=2)


def test_the_client_installs_from_an_export_directory(mirror_a, tmp_path):
    exp = tmp_path / "usb"
    mirror_a("export", exp, check=0)
    out = tmp_path / "cacert.pem"
    install(f"file://{exp}", mirror_a.key()["public_key"], "org", out,
            tmp_path / "state.json")
    assert out.read_bytes() == (exp / "v1/org/cacert.pem").read_bytes()


# -- nginx ------------------------------------------------------------

@pytest.fixture
def nginx(tmp_path):
    """A real nginx on 127.0.0.1 with contrib's server block, serving
    the directory it yields (initially empty)."""
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx_bin):
        pytest.fail("nginx is not installed (make test-deps installs it)")
    root = tmp_path / "www"
    root.mkdir()
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    port = free_port()
    server = NGINX_CONF.read_text().replace(
        "listen 8081;", f"listen 127.0.0.1:{port};").replace(
        "root /srv/cabundle;", f"root {root};")
    assert str(root) in server and str(port) in server
    (prefix / "server.conf").write_text(server)
    (prefix / "nginx.conf").write_text(
        "daemon off;\nworker_processes 1;\nerror_log stderr;\n"
        f"pid {prefix}/nginx.pid;\n"
        "events { worker_connections 64; }\n"
        "http {\n access_log off;\n"
        f" client_body_temp_path {prefix}/body;\n"
        f" proxy_temp_path {prefix}/proxy;\n"
        f" fastcgi_temp_path {prefix}/fastcgi;\n"
        f" uwsgi_temp_path {prefix}/uwsgi;\n"
        f" scgi_temp_path {prefix}/scgi;\n"
        f" include {prefix}/server.conf;\n}}\n")
    cmd = [nginx_bin, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    if os.geteuid() == 0:
        # pytest's directories are 0700: workers must stay root here.
        # (The export's own modes are checked in another test.)
        cmd += ["-g", "user root root;"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, "nginx did not come up"
        time.sleep(0.1)
    yield root, base
    proc.send_signal(signal.SIGQUIT)
    proc.wait(timeout=20)


def test_nginx_serves_an_export_to_the_client_with_304s(mirror_a, nginx,
                                                        tmp_path):
    root, base = nginx
    mirror_a("export", root, check=0)
    key = mirror_a.key()["public_key"]
    out, state = tmp_path / "cacert.pem", tmp_path / "state.json"
    install(base, key, "mozilla", out, state)
    assert out.read_bytes() == (root / "v1/mozilla/cacert.pem").read_bytes()
    p = install(base, key, "mozilla", out, state)
    assert b"already holds mozilla version 1" in p.stdout, p.stdout

    for path, ctype, cache in (
            ("/v1/mozilla/cacert.pem.minisig", "text/plain", "max-age=60"),
            ("/v1/mozilla/1/cacert.pem", "application/x-pem-file",
             "immutable"),
            ("/v1/mozilla/1/cacert.pem.minisig", "text/plain", "immutable"),
            ("/v1/profiles", "application/json", "max-age=60"),
            ("/v1/mozilla/history", "application/json", "max-age=60"),
            ("/v1/pubkey", "text/plain", "max-age=60")):
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"].startswith(ctype), path
        assert cache in r.headers["Cache-Control"], path
        assert r.content == (root / path.lstrip("/")).read_bytes()
        etag = r.headers["ETag"]
        r2 = requests.get(base + path, timeout=10,
                          headers={"If-None-Match": etag})
        assert r2.status_code == 304 and r2.content == b"", path

    # A new export of an unchanged mirror keeps every validator...
    etags = {p: requests.get(base + p, timeout=10).headers["ETag"]
             for p in ("/v1/mozilla/cacert.pem.minisig",
                       "/v1/mozilla/1/cacert.pem")}
    mirror_a("export", root, check=0)
    for p, e in etags.items():
        r = requests.get(base + p, timeout=10, headers={"If-None-Match": e})
        assert r.status_code == 304, p
    # ... and a new release changes only the latest pointers'.
    mirror_a("publish", "--resign", check=0)
    mirror_a("export", root, check=0)
    r = requests.get(base + "/v1/mozilla/cacert.pem.minisig", timeout=10,
                     headers={"If-None-Match":
                              etags["/v1/mozilla/cacert.pem.minisig"]})
    assert r.status_code == 200 and b"version:2\t" in r.content
    r = requests.get(base + "/v1/mozilla/1/cacert.pem", timeout=10,
                     headers={"If-None-Match":
                              etags["/v1/mozilla/1/cacert.pem"]})
    assert r.status_code == 304
    install(base, key, "mozilla", out, state)
    assert b"version:2" in (root / "v1/mozilla/cacert.pem.minisig"
                            ).read_bytes()

    # Nothing else is served: no listing, no temporary file.
    (root / "v1/mozilla/.cacert.pem.minisig.AbCdEf").write_text("partial")
    (root / "p/mozilla/.index.html.AbCdEf").write_text("partial")
    for path in ("/v1/", "/v1/mozilla/", "/p/", "/p/mozilla/",
                 "/index.html", "/p/mozilla/index.html",
                 "/p/mozilla/.index.html.AbCdEf", "/cert/",
                 "/v1/mozilla/.cacert.pem.minisig.AbCdEf", "/etc/passwd",
                 "/v1/../../etc/passwd"):
        assert requests.get(base + path, timeout=10).status_code == 404, \
            path


# -- chain: A -> export -> B ------------------------------------------

def test_chain_b_relays_a_and_adds_its_own_org_ca(mirror_a, tmp_path):
    usb = tmp_path / "usb"
    mirror_a("export", usb, check=0)
    a_key = mirror_a.key()["public_key"]
    b = make_b(tmp_path, f"file://{usb}", a_key)
    relay_first(b)
    pki = make_site_pki(tmp_path / "pki", "/CN=B Org Root CA")
    b("org", "add", "--name", "B Org Root CA", pki / "ca.pem", check=0)
    b_key = b.key()["public_key"]
    assert b_key != a_key

    hist = b.json("history", "--json", "mozilla")
    assert [(h["version"], h["reason"]) for h in hist] == [(1, "relay")]
    assert hist[0]["key_id"] == mirror_a.key()["key_id"]
    b("rebuild", "--check", check=0)
    b("audit", "verify", check=0)

    s = Server(b)
    try:
        # mozilla from B is A's release, byte for byte, A's signature.
        assert s.get("/v1/mozilla/cacert.pem.minisig").content == \
            (usb / "v1/mozilla/cacert.pem.minisig").read_bytes()
        assert s.get("/v1/mozilla/1/cacert.pem").content == \
            (usb / "v1/mozilla/1/cacert.pem").read_bytes()
        moz = tmp_path / "moz.pem"
        install(s.base, a_key, "mozilla", moz, tmp_path / "s1.json")
        assert moz.read_bytes() == (usb / "v1/mozilla/cacert.pem"
                                    ).read_bytes()
        # B's key does not sign mozilla; A's key does not sign org.
        p = install(s.base, b_key, "mozilla", tmp_path / "x.pem",
                    tmp_path / "s2.json", check=1)
        assert b"not trusted" in p.stderr
        org = tmp_path / "org.pem"
        install(s.base, b_key, "org", org, tmp_path / "s3.json")
        install(s.base, a_key, "org", tmp_path / "y.pem",
                tmp_path / "s4.json", check=1)
        # org is B's: A's roots plus B's own CA, checked by openssl.
        assert org.read_bytes().count(b"BEGIN CERTIFICATE") == \
            moz.read_bytes().count(b"BEGIN CERTIFICATE") + 1
        run("openssl", "verify", "-CAfile", org, pki / "site.pem", check=0)
        assert run("openssl", "verify", "-CAfile", moz,
                   pki / "site.pem").returncode != 0
        # And stock minisign agrees on both.
        for body, sig_path, key in ((moz, "/v1/mozilla/1/cacert.pem.minisig",
                                     a_key),
                                    (org, "/v1/org/cacert.pem.minisig",
                                     b_key)):
            sig = tmp_path / (body.name + ".minisig")
            sig.write_bytes(s.get(sig_path).content)
            run("minisign", "-V", "-m", body, "-x", sig, "-P", key, check=0)
    finally:
        s.stop()

    # B publishing or rotating its key never re-signs what A signed.
    b("publish", "--resign", check=0)
    b("key", "generate", "--standby", check=0)
    b("key", "rotate", check=0)
    assert [h["reason"] for h in b.json("history", "--json", "mozilla")] \
        == ["relay"]
    b("rebuild", "--check", check=0)


def test_b_follows_newer_releases_and_resignings(mirror_a, tmp_path):
    usb = tmp_path / "usb"
    mirror_a("export", usb, check=0)
    b = make_b(tmp_path, f"file://{usb}", mirror_a.key()["public_key"])
    relay_first(b)
    p = b("fetch", check=0)
    assert b"unchanged: mozilla version 1" in p.stdout
    # A re-signs twice; B relays the newest, reusing the body it has.
    mirror_a("publish", "--resign", check=0)
    mirror_a("publish", "--resign", check=0)
    mirror_a("export", usb, check=0)
    p = b("fetch", check=0)
    assert b"relayed: mozilla version 3" in p.stdout, p.stdout
    hist = b.json("history", "--json", "mozilla")
    assert [h["version"] for h in hist] == [1, 3]
    # When it expires, in ISO 8601 UTC as every time a person reads.
    when = datetime.datetime.fromtimestamp(hist[1]["expires"],
                                           datetime.timezone.utc)
    assert f"expires {when:%Y-%m-%dT%H:%M:%SZ}".encode() in p.stdout, \
        p.stdout
    assert hist[0]["build"] == hist[1]["build"]
    assert len(b.snapshots()) == 1


def test_b_relays_over_http_from_a_serving(mirror_a, tmp_path):
    s = Server(mirror_a)
    try:
        b = make_b(tmp_path, s.base, mirror_a.key()["public_key"])
        b.overrides = ["upstream.allow_insecure_http=yes",
                       "upstream.retries=0"]
        relay_first(b)
        assert b.json("history", "--json", "mozilla")[0]["version"] == 1
    finally:
        s.stop()
    # A gone: unreachable (3), nothing changes.
    before = served_state(b)
    p = b("fetch", check=3)
    assert s.base.encode() in p.stderr
    assert served_state(b) == before


# -- what B refuses ---------------------------------------------------

@pytest.fixture
def chain(mirror_a, tmp_path):
    """A exported twice (versions 1 and 2 kept apart), B relaying 1."""
    old = tmp_path / "usb-old"
    mirror_a("export", old, check=0)
    b = make_b(tmp_path, f"file://{tmp_path / 'usb'}",
               mirror_a.key()["public_key"])
    shutil.copytree(old, tmp_path / "usb")
    relay_first(b)
    b("org", "add", "--name", "B Org Root CA",
      make_site_pki(tmp_path / "pki", "/CN=B Org Root CA") / "ca.pem",
      check=0)
    return mirror_a, b, old, tmp_path / "usb"


def carry(src, usb):
    """Carry an export in: replace the stick's contents with src."""
    shutil.rmtree(usb)
    shutil.copytree(src, usb)


def refused(b, reason):
    before = served_state(b)
    s = Server(b)
    try:
        sig = s.get("/v1/mozilla/cacert.pem.minisig").content
        p = b("fetch", check=1)
        assert reason in p.stderr, p.stderr
        assert b"nothing changed" in p.stderr
        assert s.get("/v1/mozilla/cacert.pem.minisig").content == sig
    finally:
        s.stop()
    assert served_state(b) == before
    b("rebuild", "--check", check=0)


def test_b_refuses_a_tampered_body(chain, tmp_path):
    a, b, old, usb = chain
    a("publish", "--resign", check=0)
    new = tmp_path / "usb-new"
    a("export", new, check=0)
    carry(new, usb)
    body = usb / "v1/mozilla/2/cacert.pem"
    data = bytearray(body.read_bytes())
    i = data.index(b"MII") + 40
    data[i] = ord("A") if data[i] != ord("A") else ord("B")
    body.unlink()   # a hard link: do not change the others
    body.write_bytes(bytes(data))
    refused(b, b"sha256")


def test_b_refuses_a_swapped_signature(chain, tmp_path):
    a, b, old, usb = chain
    a("org", "add", "--name", "A Org Root CA",
      make_site_pki(tmp_path / "apki", "/CN=A Org Root CA") / "ca.pem",
      check=0)
    new = tmp_path / "usb-new"
    a("export", new, check=0)
    carry(new, usb)
    # org's newer signature put where mozilla's belongs.
    shutil.copy(usb / "v1/org/cacert.pem.minisig",
                usb / "v1/mozilla/cacert.pem.minisig")
    refused(b, b"signed for profile 'org', not 'mozilla'")


def test_b_refuses_a_signature_by_another_key(chain, tmp_path, mirror):
    a, b, old, usb = chain
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 1)
    mirror("publish", "--resign", check=0)
    mirror("publish", "--resign", check=0)
    evil = tmp_path / "evil"
    mirror("export", evil, check=0)
    carry(evil, usb)
    refused(b, b"not trusted")


def test_b_refuses_an_older_export_after_a_newer_one(chain, tmp_path):
    a, b, old, usb = chain
    a("publish", "--resign", check=0)
    new = tmp_path / "usb-new"
    a("export", new, check=0)
    carry(new, usb)
    p = b("fetch", check=0)
    assert b"relayed: mozilla version 2" in p.stdout
    carry(old, usb)
    refused(b, b"rollback")
    assert b"version 1" in b("fetch", check=1).stderr


def test_b_refuses_two_bodies_under_one_version(chain, tmp_path, mirror):
    """An upstream that signs a second body as the version B already
    relays (a stolen key, or a restored backup) is caught."""
    a, b, old, usb = chain
    # A's own key signing another bundle as mozilla version 1: made
    # with the reference signer and A's secret key.
    from conftest import SIGTOOL
    other = upstream("2025.07.14").read_bytes()
    sig_path = usb / "v1/mozilla/cacert.pem.minisig"
    meta = sig_path.read_text().splitlines()[2]
    fields = dict(f.split(":", 1) for f in
                  meta.split(": ", 1)[1].split("\t"))
    (tmp_path / "other.pem").write_bytes(other)
    forged = subprocess.run(
        [SIGTOOL, "sign", str(a.keyfile()), str(tmp_path / "other.pem"),
         "format:cabundle/1\tprofile:mozilla\tversion:1\t"
         f"created:{fields['created']}\texpires:{fields['expires']}\t"
         f"size:{len(other)}\tsha256:{hashlib.sha256(other).hexdigest()}"],
        capture_output=True)
    if forged.returncode != 0:
        pytest.fail(forged.stderr.decode())
    sig_path.write_bytes(forged.stdout)
    refused(b, b"signed for two bodies")


def test_b_refuses_a_body_its_own_policy_rejects(mirror_a, tmp_path):
    """Authentic is not enough: B's vetting decides too."""
    usb = tmp_path / "usb"
    mirror_a("export", usb, check=0)
    b = make_b(tmp_path, f"file://{usb}", mirror_a.key()["public_key"])
    b.overrides = ["vet.require_pinned_digest=yes"]
    p = b("fetch", check=1)
    assert b"rejected" in p.stdout
    assert b.json("history", "--json", "mozilla") == []


def test_mirror_configuration_is_checked(tmp_path, mirror):
    p = mirror("-o", "mirror.url=ftp://x/", "fetch", check=2)
    assert b"[mirror]" in p.stderr or b"mirror" in p.stderr
    p = mirror("-o", "mirror.url=file:///nonexistent", "fetch", check=2)
    assert b"key" in p.stderr
    p = mirror("-o", "mirror.key=RWnotakey", "fetch", check=2)
    assert b"key" in p.stderr
    p = mirror("-o", "mirror.profile=Bad/Name", "fetch", check=2)
    assert b"profile" in p.stderr
