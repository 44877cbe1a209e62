"""Issue 20, the relay half: a chain of three mirrors (headquarters, a
DMZ, a disconnected site) relaying every profile, verbatim or
countersigned, and a site-local profile built on a relayed one.

Headquarters fetches from a fake mkcert.org, excludes a root and adds
three organization CAs (a root, an intermediate under it, a partner
root).  The DMZ relays every profile of headquarters over plain http
from `serve`; the site has only the DMZ's export directory.  A client
at the site must get headquarters' exclusion and CAs in `org`.
"""
import json
import shutil
import time

import pytest

from conftest import (CABUNDLE, DAY, SHIFT_DAYS, Mirror, Server, approve,
                      clock_env, fingerprint, make_site_pki, now, openssl,
                      pem_blocks, run, upstream)
from upstream import FakeUpstream

ISRG_X1 = "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"


def acme_pki(d):
    """Headquarters' organization CAs: Acme Root CA, Acme Issuing CA
    (an intermediate it issued) and Acme Partner Root CA."""
    root = make_site_pki(d / "root", "/O=Acme/CN=Acme Root CA", days=3650)
    partner = make_site_pki(d / "partner", "/O=Acme/CN=Acme Partner Root CA",
                            days=3650)
    at, days = None, 3650
    if SHIFT_DAYS:
        at = min(time.time(), now()) - DAY
        days += abs(SHIFT_DAYS) + 1
    i = d / "issuing"
    i.mkdir(parents=True)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", i / "ca.key", "-out", i / "ca.csr",
            "-subj", "/O=Acme/CN=Acme Issuing CA", at=at)
    (i / "ext").write_text("basicConstraints=critical,CA:TRUE\n"
                           "keyUsage=critical,keyCertSign,cRLSign\n")
    openssl("x509", "-req", "-in", i / "ca.csr", "-CA", root / "ca.pem",
            "-CAkey", root / "ca.key", "-CAcreateserial", "-days",
            str(days), "-extfile", i / "ext", "-out", i / "ca.pem", at=at)
    return {"root": root / "ca.pem", "issuing": i / "ca.pem",
            "partner": partner / "ca.pem"}


def fps(pem):
    return {fingerprint(b) for b in pem_blocks(pem)}


@pytest.fixture
def hq(tmp_path):
    """Headquarters, served over http: ISRG Root X1 excluded, three
    organization CAs added."""
    with FakeUpstream() as up:
        up.body = upstream("2026.07.22").read_bytes()
        m = Mirror(tmp_path / "hq")
        m.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % up.pki.ca,
                       "upstream.retries=0"]
        m("init", check=0)
        m("fetch", check=5)
        approve(m, 1)
    pki = acme_pki(tmp_path / "acme")
    m("exclude", "add", "--reason", "distrusted at headquarters", ISRG_X1,
      check=0)
    m("org", "add", "--name", "Acme Root CA", pki["root"], check=0)
    m("org", "add", "--intermediate", "--name", "Acme Issuing CA",
      pki["issuing"], check=0)
    m("org", "add", "--name", "Acme Partner Root CA", pki["partner"],
      check=0)
    m.acme = {k: fps(v.read_bytes()).pop() for k, v in pki.items()}
    m.server = Server(m)
    yield m
    m.server.stop()


def relay_mirror(tmp_path, name, source, key, *lines):
    cfg = tmp_path / f"{name}.conf"
    cfg.write_text(f"[mirror]\nurl = {source}\nprofiles = *\nkey = {key}\n"
                   + "".join(line + "\n" for line in lines))
    m = Mirror(tmp_path / name, config=cfg)
    m("init", check=0)
    # serve reads no -c here: the same settings as overrides.
    m.serve_opts = [f"mirror.url={source}", f"mirror.key={key}",
                    "mirror.profiles=*"] + [
        "mirror." + line.replace(" = ", "=") for line in lines]
    return m


def serve(m):
    return Server(m, *m.serve_opts)


def wait_served(server, profile, version):
    """Until a running serve has loaded that version (5 times a second)."""
    deadline = time.time() + 10
    while f"version:{version}\t".encode() not in server.get(
            f"/v1/{profile}/cacert.pem.minisig").content:
        assert time.time() < deadline, "serve did not reload"
        time.sleep(0.1)


def first_contact(m):
    """Every relayed profile is new: quarantined, then approved by a
    human, which relays it at once."""
    m("fetch", check=5)
    for s in m.snapshots():
        if s["status"] == "quarantined":
            p = m("approve", "--reason", "reviewed", str(s["id"]), check=0)
            assert b"relayed" in p.stdout or b"approved" in p.stdout
    p = m("fetch", check=0)
    return p


def install(base, key, profile, out, state, check=0, **kw):
    return run(CABUNDLE, "install", "--from", base, "--key", key,
               "--profile", profile, "--output", out, "--state", state,
               check=check, **kw)


def chain(hq, tmp_path, *site_lines):
    """The DMZ relaying headquarters over http (no insecure switch),
    exported; the site relaying the export ("file:/PATH")."""
    hq_key = hq.key()["public_key"]
    dmz = relay_mirror(tmp_path, "dmz", hq.server.base, hq_key)
    first_contact(dmz)
    usb = tmp_path / "usb"
    dmz("export", usb, check=0)
    site = relay_mirror(tmp_path, "site", f"file:{usb}", hq_key,
                        *site_lines)
    return dmz, usb, site


def test_verbatim_chain_brings_hq_org_to_the_site(hq, tmp_path):
    hq_key = hq.key()["public_key"]
    hq_org = hq.server.get("/v1/org/cacert.pem").content
    hq_sig = hq.server.get("/v1/org/cacert.pem.minisig").content
    assert set(hq.acme.values()) <= fps(hq_org)
    assert ISRG_X1 not in fps(hq_org)
    dmz, usb, site = chain(hq, tmp_path)

    # Approving relays what the fetch verified: the stick is gone.
    site("fetch", check=5)
    shutil.move(usb, tmp_path / "usb-away")
    for s in site.snapshots():
        if s["status"] == "quarantined":
            p = site("approve", "--reason", "ok", str(s["id"]), check=0)
            assert b"relayed: " in p.stdout, p.stdout
    shutil.move(tmp_path / "usb-away", usb)
    p = site("fetch", check=0)
    for prof in ("mozilla", "org", "org-only"):
        assert f"unchanged: {prof} version".encode() in p.stdout, p.stdout

    s = serve(site)
    try:
        out = tmp_path / "b-org.pem"
        install(s.base, hq_key, "org", out, tmp_path / "s.json")
        # Byte for byte headquarters' org, under headquarters' signature.
        assert out.read_bytes() == hq_org
        assert s.get("/v1/org/cacert.pem.minisig").content == hq_sig
        assert out.read_bytes().count(b"Acme") >= 3
        assert set(hq.acme.values()) <= fps(out.read_bytes())
        assert ISRG_X1 not in fps(out.read_bytes())
        hist = json.loads(s.get("/v1/org/history").content)
        assert [h["reason"] for h in hist] == ["relay"]
    finally:
        s.stop()
    # Headquarters' intermediate is a CA of the composition, not a
    # quarantined "root": the org snapshot says so as information.
    org_snap = [x for x in site.snapshots() if x["certificates"] ==
                len(pem_blocks(hq_org))][0]
    rows = site.report(org_snap["id"])["rows"]
    inter = [r for r in rows if r["check"] == "self-signed"]
    assert inter and all(r["level"] == "info" for r in inter), inter
    # The client reads the same export with each spelling of a path.
    for spelling in (str(usb), f"file:{usb}", f"file://{usb}"):
        o = tmp_path / "x.pem"
        install(spelling, hq_key, "org", o, tmp_path / "x.json")
        assert o.read_bytes() == hq_org
    site("rebuild", "--check", check=0)
    site("audit", "verify", check=0)


def test_site_profile_adds_its_own_ca_on_a_relayed_base(hq, tmp_path):
    hq_org = hq.server.get("/v1/org/cacert.pem").content
    dmz, usb, site = chain(hq, tmp_path)
    first_contact(site)
    pki = make_site_pki(tmp_path / "sitepki", "/O=Site/CN=Site Root CA",
                        days=3650)
    site("org", "add", "--name", "Site Root CA", pki / "ca.pem", check=0)
    p = site("profile", "add", "site", "--base", "nosuch", "--all-org",
             check=2)
    assert b"--base nosuch: no such profile" in p.stderr
    site("profile", "add", "site", "--base", "org", "--all-org", check=0)
    site_key = site.key()["public_key"]
    s = serve(site)
    try:
        out = tmp_path / "site.pem"
        install(s.base, site_key, "site", out, tmp_path / "s.json")
        body = out.read_bytes()
        assert fps(body) == fps(hq_org) | fps((pki / "ca.pem").read_bytes())
        run("openssl", "verify", "-CAfile", out, pki / "site.pem", check=0)
        # The relayed org itself is untouched by the site's CA.
        assert s.get("/v1/org/cacert.pem").content == hq_org
    finally:
        s.stop()
    # Headquarters adds a CA: a new relayed org, then a new site version.
    extra = make_site_pki(tmp_path / "extra", "/O=Acme/CN=Acme Extra CA",
                          days=3650)
    v = hq.json("history", "--json", "org")[-1]["version"]
    hq("org", "add", "--name", "Acme Extra CA", extra / "ca.pem", check=0)
    wait_served(hq.server, "org", v + 1)
    for m in (dmz, site):
        if m is site:
            dmz("export", usb, check=0)
        # One CA more in org and org-only: a human looks at each.
        m("fetch", check=5)
        for x in m.snapshots():
            if x["status"] == "quarantined":
                approve(m, x["id"])
    latest = site.json("history", "--json", "site")[-1]
    assert latest["version"] == 2 and latest["added"] == 1, (
        site.snapshots(), site.json("history", "--json", "org"))
    s = serve(site)
    try:
        install(s.base, site_key, "site", out, tmp_path / "s.json")
        assert fps((extra / "ca.pem").read_bytes()) <= fps(out.read_bytes())
    finally:
        s.stop()


def test_countersigned_chain_and_a_60_day_old_carry(hq, tmp_path):
    hq_key = hq.key()["public_key"]
    hq_org = hq.server.get("/v1/org/cacert.pem").content
    hq_v = json.loads(hq.server.get("/v1/org/history").content)[-1]
    dmz, usb, site = chain(hq, tmp_path, "mode = countersign")
    first_contact(site)
    site_key = site.key()["public_key"]
    hist = site.json("history", "--json", "org")
    assert [h["version"] for h in hist] == [1]
    assert hist[0]["key_id"] == site.key()["key_id"]
    assert hist[0]["carries"] == {"version": hq_v["version"],
                                  "key_id": hq.key()["key_id"],
                                  "source": f"file:{usb}"}
    p = site("history", "org", check=0)
    assert f"carries upstream version {hq_v['version']}, key " \
        f"{hq.key()['key_id']}, from file:{usb}".encode() in p.stdout
    s = serve(site)
    try:
        out = tmp_path / "org.pem"
        install(s.base, site_key, "org", out, tmp_path / "s.json")
        assert out.read_bytes() == hq_org
        p = install(s.base, hq_key, "org", tmp_path / "y.pem",
                    tmp_path / "y.json", check=1)
        assert b"not trusted" in p.stderr
        assert json.loads(s.get("/v1/org/history").content)[0]["carries"] \
            == hist[0]["carries"]
        page = s.get("/p/org").text
        assert "countersigns" in page and hq.key()["key_id"] in page
        page = s.get("/p/org/1").text
        assert "countersigns" in page and f"file:{usb}" in page
    finally:
        s.stop()

    # A refused carry changes nothing: a tampered org on the stick.
    hq("publish", "--resign", "--profile", "org", check=0)
    wait_served(hq.server, "org", hq_v["version"] + 1)
    p = dmz("fetch", check=0)
    assert f"relayed: org version {hq_v['version'] + 1}".encode() in \
        p.stdout, p.stdout
    dmz("export", usb, check=0)
    v = json.loads((usb / "v1/org/cacert.pem.minisig").read_text()
                   .splitlines()[2].split("version:")[1].split("\t")[0])
    body = usb / f"v1/org/{v}/cacert.pem"
    data = bytearray(body.read_bytes())
    data[data.index(b"MII") + 40] ^= 1
    body.unlink()
    body.write_bytes(bytes(data))
    before = site.json("history", "--json", "org")
    p = site("fetch", check=1)
    assert b"sha256" in p.stderr and b"nothing changed" in p.stderr
    assert site.json("history", "--json", "org") == before, (before, p.stdout)

    # 60 days on, nothing carried since: headquarters' own signatures
    # have expired, the site's countersignatures are renewed.
    later = clock_env(at=now() + 60 * DAY)
    p = site("publish", env=later, check=0)
    assert b"org: version 2 (re-signed" in p.stdout, p.stdout
    exp = tmp_path / "site-export"
    site("export", exp, env=later, check=0)
    out60 = tmp_path / "org60.pem"
    install(str(exp), site_key, "org", out60, tmp_path / "s60.json",
            env=later)
    assert out60.read_bytes() == hq_org
    p = install(str(usb), hq_key, "org", tmp_path / "z.pem",
                tmp_path / "z.json", check=1, env=later)
    assert b"expired" in p.stderr
    renewed = site.json("history", "--json", "org")[-1]
    assert renewed["reason"] == "resign"
    assert renewed["carries"] == hist[0]["carries"]
    site("rebuild", "--check", check=0)
    carried = {a["object"] for a in site.json("audit", "--json")
               if a["action"] == "carry"}
    assert f"org/{hq_v['version']}" in carried, carried
    site("audit", "verify", check=0)
    # Its clients pin the site's key: verbatim now would change that.
    p = site("-o", "mirror.mode=verbatim", "fetch", check=2)
    assert b"countersigned before" in p.stderr, p.stderr


def test_countersigned_profile_only_hq_has_and_a_key_rotation(hq,
                                                              tmp_path):
    """profiles = *: a profile only headquarters has is made at the
    site and countersigned; a key rotation at the site re-signs it with
    the same carry, and nothing is composed at the site."""
    hq("profile", "add", "partners", "--no-upstream", "--all-org", check=0)
    wait_served(hq.server, "partners", 1)
    partners = hq.server.get("/v1/partners/cacert.pem").content
    dmz, usb, site = chain(hq, tmp_path, "mode = countersign")
    first_contact(site)
    hist = site.json("history", "--json", "partners")
    assert [(h["version"], h["reason"]) for h in hist] == [(1, "inputs")]
    assert hist[0]["carries"]["version"] == 1
    site("key", "generate", "--standby", check=0)
    site("key", "rotate", check=0)
    for prof in ("partners", "org", "org-only", "mozilla"):
        h = site.json("history", "--json", prof)
        assert h[-1]["reason"] == "key" and h[-1]["key_id"] == \
            site.key()["key_id"], (prof, h)
        assert h[-1]["carries"] == h[0]["carries"], prof
    exp = tmp_path / "site-export"
    site("export", exp, check=0)
    out = tmp_path / "p.pem"
    install(str(exp), site.key()["public_key"], "partners", out,
            tmp_path / "p.json")
    assert out.read_bytes() == partners
    site("rebuild", "--check", check=0)


def test_missing_or_hostile_upstream_profiles(hq, tmp_path):
    hq_key = hq.key()["public_key"]
    dmz, usb, site = chain(hq, tmp_path)
    # A named profile the upstream lacks is an error for it alone.
    named = relay_mirror(tmp_path, "named", str(usb), hq_key)
    named.config.write_text(named.config.read_text().replace(
        "profiles = *", "profiles = org nosuch"))
    # Its signature is not there (3), which outranks quarantined (5)
    # in the one exit code; org goes on.
    p = named("fetch", check=3)
    assert b"v1/nosuch/cacert.pem.minisig" in p.stderr, p.stderr
    assert b"not relayed: org version" in p.stdout
    approve(named, named.snapshots()[-1]["id"])
    p = named("fetch", check=3)
    assert b"unchanged: org version" in p.stdout
    # A hostile list: nothing is relayed from it, nothing changes.
    first_contact(site)
    before = site.json("history", "--json", "org")
    for bad in (b"[{\"name\": \"../etc\"}]", b"{" * 5000, b"[1]",
                b"[{\"name\": \"org\", \"name\": \"mozilla\"}]",
                b"[{\"name\": \"keys\"}]"):
        (usb / "v1/profiles").write_bytes(bad)
        p = site("fetch", check=1)
        assert b"cannot list its profiles" in p.stderr, p.stderr
    assert site.json("history", "--json", "org") == before


def test_mirror_profiles_configuration(tmp_path, mirror):
    p = mirror("-o", "mirror.profile=org", "-o", "mirror.profiles=org",
               "fetch", check=2)
    assert b"profile and profiles are both set" in p.stderr
    p = mirror("-o", "mirror.profiles=org Bad/Name", "fetch", check=2)
    assert b"profiles: not a profile name" in p.stderr
    p = mirror("-o", "mirror.mode=sometimes", "fetch", check=2)
    assert b"verbatim or countersign" in p.stderr
    p = mirror("-o", "mirror.url=gopher://x/", "fetch", check=2)
    assert b"file:/PATH" in p.stderr
    # [upstream] url keeps needing the switch for http.
    p = mirror("-o", "upstream.url=http://127.0.0.1:1/", "-o",
               "upstream.retries=0", "fetch", check=2)
    assert b"allow_insecure_http" in p.stderr
    p = run(CABUNDLE, "install", "--from", "relative/dir", "--key",
            "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
            "--profile", "org", "--output", tmp_path / "o.pem", check=2)
    assert b"file:/PATH or /PATH" in p.stderr


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def latest(m, profile):
    h = m.json("history", "--json", profile)
    return h[-1]["version"] if h else None


def test_a_profile_removed_here_is_not_relayed(hq, tmp_path):
    """profile remove on the downstream mirror: relaying "*" leaves that
    profile alone (no release stored, a line naming who removed it,
    when and why; exit 0), the others relay as before; [mirror]
    profiles naming it is a refusal (exit 1)."""
    hq("profile", "add", "--all-org", "--description", "hq's team",
       "team", check=0)
    wait_served(hq.server, "team", 1)
    dmz = relay_mirror(tmp_path, "dmz", hq.server.base,
                       hq.key()["public_key"])
    dmz("fetch", check=5)
    # Carried and waiting for a human, then removed here.
    p = dmz("profile", "remove", "--reason", "not at the dmz", "--actor",
            "erin", "team", check=0)
    removed = [x for x in dmz.json("profile", "list", "--all", "--json")
               if x["name"] == "team"][0]["removed"]
    said = (f'team: removed here by erin at {iso(removed)} ("not at the '
            'dmz"); its upstream releases are not relayed here').encode()
    # Approving its snapshot relays nothing; the others are relayed.
    for s in dmz.snapshots():
        if s["status"] == "quarantined":
            p = dmz("approve", "--reason", "reviewed", str(s["id"]),
                    check=0)
    assert latest(dmz, "team") is None
    for prof in ("mozilla", "org", "org-only"):
        assert latest(dmz, prof) == latest(hq, prof), prof

    # Headquarters re-signs everything: every profile but team follows.
    hq("publish", "--resign", check=0)
    wait_served(hq.server, "team", 2)
    wait_served(hq.server, "org", latest(hq, "org"))
    p = dmz("fetch", check=0)
    assert said in p.stderr, p.stderr
    assert b"relayed: team" not in p.stdout
    for prof in ("mozilla", "org", "org-only"):
        assert f"relayed: {prof} version {latest(hq, prof)}".encode() \
            in p.stdout, p.stdout
        assert latest(dmz, prof) == latest(hq, prof), prof
    assert latest(dmz, "team") is None
    assert not [a for a in dmz.json("audit", "--json")
                if a["action"] == "relay" and
                a["details"]["profile"] == "team"]

    # Named in [mirror] profiles: refused, the other named one relays.
    dmz.config.write_text(dmz.config.read_text().replace(
        "profiles = *", "profiles = org team"))
    hq("publish", "--resign", check=0)
    wait_served(hq.server, "org", latest(hq, "org"))
    p = dmz("fetch", check=1)
    assert said in p.stderr, p.stderr
    assert b"[mirror] profiles names team" in p.stderr
    assert latest(dmz, "org") == latest(hq, "org")
    assert latest(dmz, "team") is None
    s = serve(dmz)
    try:
        assert s.get("/v1/team/cacert.pem.minisig").status_code == 404
        assert "team" not in [x["name"] for x in
                              s.get("/v1/profiles").json()]
    finally:
        s.stop()
    dmz("rebuild", "--check", check=0)
    dmz("audit", "verify", check=0)
