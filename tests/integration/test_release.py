"""Organization CAs, exclusions, profiles and signed releases, checked
the way an auditor would: every stored release is taken out of the
database and verified with stock `minisign` and `sha256sum`, org CAs
come from a test PKI made with the `openssl` binary, and the bodies
are read as PEM by this file rather than by the program under test."""
import base64
import calendar
import hashlib
import re
import sqlite3
import subprocess
import time
import types

import pytest

from conftest import CABUNDLED, live_count, now, openssl, run, upstream

# An upstream root of the 2026.07.22 fixture, used as the exclusion.
ISRG_X1 = "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
TC_KEYS = ["format", "profile", "version", "created", "expires", "size",
           "sha256"]
BUILTIN = ["mozilla", "org", "org-only"]


# --- a test PKI, made with the openssl binary ------------------------------

CA_CNF = """\
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""
CA_EXT = ("basicConstraints=critical,CA:TRUE\n"
          "keyUsage=critical,keyCertSign,cRLSign\n")
LEAF_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "subjectAltName=DNS:www.acme.test\n"
            "extendedKeyUsage=serverAuth\n")


def self_signed(d, name, cn, newkey, days):
    pem, key = d / f"{name}.pem", d / f"{name}.key"
    openssl("req", "-x509", "-newkey", newkey, "-nodes", "-keyout", key,
            "-out", pem, "-days", days, "-subj", f"/O=Acme Test/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return pem, key


def issued(d, name, cn, ext, ca, ca_key, days="365"):
    pem, key, csr, extfile = (d / f"{name}.{x}"
                              for x in ("pem", "key", "csr", "ext"))
    extfile.write_text(ext)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            csr, "-subj", f"/O=Acme Test/CN={cn}")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-set_serial", "0x" + hashlib.sha1(name.encode()).hexdigest(),
            "-days", days, "-extfile", extfile, "-out", pem)
    return pem, key


def dated_ca(d, name, cn, start, end):
    """A self-signed CA valid from start to end (YYYYMMDDHHMMSSZ): OpenSSL
    3.0's x509 and req have no -not_before/-not_after, `openssl ca` takes
    explicit dates."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    cnf = d / "ca.cnf"
    cnf.write_text(CA_CNF.format(d=d))
    key, csr, pem = (d / f"{name}.{x}" for x in ("key", "csr", "pem"))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            csr, "-subj", f"/O=Acme Test/CN={cn}")
    openssl("ca", "-batch", "-config", cnf, "-selfsign", "-keyfile", key,
            "-in", csr, "-startdate", start, "-enddate", end, "-extensions",
            "v3_ca", "-notext", "-out", pem)
    return pem


def fingerprint(pem):
    """(lower-case hex, openssl's colon form AB:CD:...) of a certificate."""
    out = openssl("x509", "-in", pem, "-noout", "-fingerprint", "-sha256")
    colons = out.strip().split("=", 1)[1]
    return colons.replace(":", "").lower(), colons


def not_after(pem):
    out = openssl("x509", "-in", pem, "-noout", "-enddate").strip()
    return calendar.timegm(time.strptime(out.split("=", 1)[1],
                                         "%b %d %H:%M:%S %Y %Z"))


def ec_params(d):
    """P-256 parameters for `req -newkey ec:FILE`."""
    f = d / "p256.pem"
    if not f.exists():
        openssl("ecparam", "-name", "prime256v1", "-out", f)
    return f


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """root (RSA 2048, 10 years) and web (P-256): good self-signed CAs;
    leaf and intermediate issued by root; expired, weak (RSA 1024) and
    soon (30 days) CAs; an empty file, a bare key (PEM and DER), a cert
    with its key and a root followed by a leaf."""
    d = tmp_path_factory.mktemp("orgpki")
    p = types.SimpleNamespace()
    p.root, p.root_key = self_signed(d, "root", "Acme Root CA", "rsa:2048",
                                     "3650")
    p.web, _ = self_signed(d, "web", "Acme Web Root",
                           "ec:%s" % ec_params(d), "3650")
    p.leaf, p.leaf_key = issued(d, "leaf", "www.acme.test", LEAF_EXT,
                                p.root, p.root_key)
    p.intermediate, _ = issued(d, "intermediate", "Acme Issuing CA 1",
                               CA_EXT, p.root, p.root_key)
    p.expired = dated_ca(d, "expired", "Acme Expired Root",
                         "20200101000000Z", "20210101000000Z")
    p.weak, _ = self_signed(d, "weak", "Acme Weak Root", "rsa:1024", "3650")
    p.soon, _ = self_signed(d, "soon", "Acme Short Root",
                            "ec:%s" % ec_params(d), "30")
    p.empty = d / "empty.pem"
    p.empty.write_bytes(b"")
    p.with_key = d / "root-and-key.pem"
    p.with_key.write_bytes(p.root.read_bytes() + p.root_key.read_bytes())
    p.der_key = d / "leaf-key.der"
    openssl("pkey", "-in", p.leaf_key, "-outform", "DER", "-out", p.der_key)
    p.chain = d / "root-and-leaf.pem"
    p.chain.write_bytes(p.root.read_bytes() + p.leaf.read_bytes())
    p.root_fp, p.root_colons = fingerprint(p.root)
    p.web_fp, _ = fingerprint(p.web)
    return p


# --- reading what the mirror stored ----------------------------------------

def releases(m):
    """Every release with its build, body bytes and .minisig text."""
    with sqlite3.connect(m.db) as db:
        rows = db.execute(
            "SELECT r.profile, r.version, r.build, r.keyid, r.reason, "
            "r.signature, b.body_sha256, y.data FROM release r JOIN build b "
            "ON b.id = r.build JOIN body y ON y.sha256 = b.body_sha256 "
            "ORDER BY r.profile, r.version").fetchall()
    keys = ["profile", "version", "build", "keyid", "reason", "signature",
            "body_sha256", "body"]
    return [dict(zip(keys, r)) for r in rows]


def latest(m, profile):
    rels = [r for r in releases(m) if r["profile"] == profile]
    return rels[-1] if rels else None


def versions(m):
    """{profile: newest version}."""
    return {r["profile"]: r["version"] for r in releases(m)}


def pem_fingerprints(body):
    """SHA-256 of each PEM certificate in a bundle, in order."""
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----\n(.*?)"
                        rb"-----END CERTIFICATE-----", body, re.S)
    return [hashlib.sha256(base64.b64decode(b)).hexdigest() for b in blocks]


def state(m):
    """Everything a refused command must leave alone."""
    with sqlite3.connect(m.db) as db:
        rel = db.execute("SELECT * FROM release ORDER BY profile, "
                         "version").fetchall()
        audit = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    return {"audit": audit, "release": rel,
            "org": m.json("org", "list", "--all", "--json")}


def sha256sum(path):
    return run("sha256sum", path, check=0).stdout.split()[0].decode()


def parse_tc(text):
    """The fields of a SPEC section 7 trusted comment, strictly."""
    pairs = [f.split(":", 1) for f in text.split("\t")]
    assert [k for k, _ in pairs] == TC_KEYS, text
    return dict(pairs)


def minisign_verify(tmp_path, rel, pub, check=0):
    """Write one release out and verify it with stock minisign (-H: ED
    prehashed signatures only).  Returns the parsed trusted comment."""
    name = f"{rel['profile']}-{rel['version']}"
    body = tmp_path / f"{name}.pem"
    sig = tmp_path / f"{name}.pem.minisig"
    body.write_bytes(rel["body"])
    sig.write_text(rel["signature"])
    p = run("minisign", "-H", "-Vm", body, "-x", sig, "-p", pub,
            check=check)
    if check != 0:
        return None
    out = p.stdout.decode()
    assert "Signature and comment signature verified" in out, out
    tc = [line for line in out.splitlines()
          if line.startswith("Trusted comment: ")]
    assert len(tc) == 1, out
    fields = parse_tc(tc[0][len("Trusted comment: "):])
    assert fields["sha256"] == sha256sum(body)
    return fields


def write_pub(path, rw):
    path.write_text(f"untrusted comment: x\n{rw}\n")
    return path


def org_add(m, pem, *opts, check=0):
    return m("org", "add", *opts, pem, check=check)


# --- the tests -------------------------------------------------------------

def test_every_release_verifies_with_stock_minisign(good, pki, tmp_path):
    """A run of changes, then every version of every profile is checked
    with minisign and sha256sum against its trusted comment."""
    assert ISRG_X1 in pem_fingerprints(latest(good, "mozilla")["body"])
    org_add(good, pki.root, "--tag", "infra", "--name", "Acme Root CA")
    org_add(good, pki.web, "--tag", "web")
    good("exclude", "add", "--reason", "test", ISRG_X1, check=0)
    good("profile", "add", "mozilla+acme", "--tag", "infra", check=0)
    good("publish", "--resign", check=0)
    good("org", "remove", pki.web_fp, check=0)
    rels = releases(good)
    assert versions(good) == {"mozilla": 2, "org": 6, "org-only": 4,
                              "mozilla+acme": 2}
    pub = good.pubfile()
    for rel in rels:
        tc = minisign_verify(tmp_path, rel, pub)
        assert tc["format"] == "cabundle/1"
        assert tc["profile"] == rel["profile"]
        assert tc["version"] == str(rel["version"])
        assert tc["size"] == str(len(rel["body"]))
        assert tc["sha256"] == rel["body_sha256"]
        # Default [release] sign_validity: 14 days.
        assert int(tc["expires"]) - int(tc["created"]) == 14 * 86400
    for profile in {r["profile"] for r in rels}:
        vs = [r["version"] for r in rels if r["profile"] == profile]
        assert vs == list(range(1, len(vs) + 1)), (profile, vs)
    # The check can fail: one byte changed and minisign says no.
    rel = dict(rels[-1], body=rels[-1]["body"].replace(b"MII", b"MIJ", 1))
    minisign_verify(tmp_path, rel, pub, check=1)


def test_org_ca_and_exclusion_reach_the_right_profiles(good, pki):
    moz = latest(good, "mozilla")
    assert latest(good, "org-only") is None  # no org CA yet
    p = org_add(good, pki.root, "--name", "Acme Root CA", "--owner",
                "pki-team", "--tag", "infra")
    assert pki.root_fp.encode() in p.stdout
    org, only = latest(good, "org"), latest(good, "org-only")
    # org: upstream first, then the org CA, under its --name label.
    assert pem_fingerprints(org["body"]) == \
        pem_fingerprints(moz["body"]) + [pki.root_fp]
    assert b'# Label: "Acme Root CA"' in org["body"]
    assert pem_fingerprints(only["body"]) == [pki.root_fp]
    assert latest(good, "mozilla") == moz  # no new mozilla release
    listed = good.json("org", "list", "--json")
    assert [(r["sha256"], r["name"], r["owner"], r["tags"],
             r["intermediate"]) for r in listed] == [
        (pki.root_fp, "Acme Root CA", "pki-team", "infra", False)]

    good("exclude", "add", "--reason", "distrusted", ISRG_X1, check=0)
    org2 = latest(good, "org")
    assert org2["version"] == org["version"] + 1
    fps = pem_fingerprints(org2["body"])
    assert ISRG_X1 not in fps and pki.root_fp in fps
    assert len(fps) == len(pem_fingerprints(org["body"])) - 1
    assert latest(good, "mozilla") == moz
    assert ISRG_X1 in pem_fingerprints(moz["body"])
    assert latest(good, "org-only") == only  # no upstream: untouched
    ex = good.json("exclude", "list", "--json")
    assert [(e["sha256"], e["label"], e["reason"]) for e in ex] == [
        (ISRG_X1, "ISRG Root X1", "distrusted")]

    # Remove by openssl's own spelling (upper case, colons).
    good("org", "remove", pki.root_colons, check=0)
    org3 = latest(good, "org")
    assert org3["version"] == org2["version"] + 1
    assert pki.root_fp not in pem_fingerprints(org3["body"])
    assert ISRG_X1 not in pem_fingerprints(org3["body"])
    assert latest(good, "mozilla") == moz
    assert latest(good, "org-only") == only  # nothing left to publish
    assert good.json("org", "list", "--json") == []
    gone = good.json("org", "list", "--all", "--json")
    assert len(gone) == 1 and gone[0]["removed"] is not None


def test_versions_go_up_and_resign_keeps_the_body(good, pki):
    org_add(good, pki.root)
    before = versions(good)
    p = good("publish", check=0)  # nothing changed, nothing due
    assert versions(good) == before, p.stdout.decode()
    for _ in range(2):
        good("publish", "--resign", check=0)
    good("publish", "--resign", "--profile", "org", check=0)
    # Six at once: each waits its turn, none reuses a version.
    procs = [subprocess.Popen([CABUNDLED, "-d", good.datadir, "publish",
                               "--resign"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(6)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    after = versions(good)
    assert after == {k: v + (9 if k == "org" else 8)
                     for k, v in before.items()}
    for profile in BUILTIN:
        hist = good.json("history", "--json", profile)
        assert [h["version"] for h in hist] == \
            list(range(1, len(hist) + 1))
        last_inputs = None
        for h in hist:
            assert h["expires"] > h["created"]
            if h["reason"] == "inputs":
                last_inputs = h
                continue
            assert h["reason"] == "resign"
            assert (h["build"], h["sha256"], h["size"],
                    h["certificates"]) == (
                last_inputs["build"], last_inputs["sha256"],
                last_inputs["size"], last_inputs["certificates"])
            assert (h["added"], h["removed"]) == (0, 0)
        assert [h["reason"] for h in hist][-2:] == ["resign", "resign"]
    p = good("rebuild", "--check", check=0)
    nrel = len(releases(good))
    assert f"rebuild: {nrel} releases".encode() in p.stdout

    # Alter the newest org body behind the triggers' back.
    org = latest(good, "org")
    run("sqlite3", good.db, "DROP TRIGGER body_no_update; UPDATE body SET "
        "data = substr(data, 1, 99) || X'58' || substr(data, 101) WHERE "
        f"sha256 = '{org['body_sha256']}'", check=0)
    p = good("rebuild", "--check", check=1)
    assert b"do not match" in p.stdout
    assert f"org build {org['build']}".encode() in p.stderr
    # ... and an altered body is never signed again.
    rows = state(good)
    p = good("publish", "--resign", check=4)
    assert b"altered" in p.stderr
    assert state(good) == rows


def test_rebuild_check_notices_a_missing_body(good, pki):
    # Regression: rebuild --check once read builds with an inner JOIN on
    # body, so a release whose body row was gone was skipped, not
    # reported ("3 releases ... verified", exit 0, for 4 stored), and
    # history left that version out.
    org_add(good, pki.root)
    org = latest(good, "org")
    with sqlite3.connect(good.db) as db:
        nrel = db.execute("SELECT count(*) FROM release").fetchone()[0]
    good("rebuild", "--check", check=0)
    run("sqlite3", good.db, "DROP TRIGGER body_no_delete; DELETE FROM body "
        f"WHERE sha256 = '{org['body_sha256']}'", check=0)
    p = good("rebuild", "--check")
    assert p.returncode == 1, (
        f"{nrel} releases stored, one without its body, yet: "
        + p.stdout.decode())
    assert f"1 of {nrel} releases".encode() in p.stdout
    assert f"org build {org['build']}".encode() in p.stderr
    hist = good.json("history", "--json", "org")
    assert [h["version"] for h in hist] == [1, org["version"]]
    assert hist[-1]["sha256"] == org["body_sha256"]


def test_export_refuses_releases_whose_bodies_are_all_gone(good, tmp_path):
    # Regression (clang-tidy): with no body row left, site_load looked
    # each release's body up with bsearch(key, NULL, 0, ...), undefined
    # behaviour (glibc declares the base nonnull; UBSan reports it).
    # Now: "body missing", exit 4, nothing exported.
    run("sqlite3", good.db, "DROP TRIGGER body_no_delete; DELETE FROM body",
        check=0)
    p = good("export", tmp_path / "x", check=4)
    assert b"body missing" in p.stderr
    assert not (tmp_path / "x").exists()


REFUSALS = {
    # pki attribute: what the refusal must say (besides the file name)
    "leaf": ["refused: a leaf"],
    # A good root followed by a leaf: all or nothing.
    "chain": ['certificate 2 "www.acme.test"', "refused: a leaf"],
    "leaf_key": ["holds a private key; refused"],
    "with_key": ["holds a private key; refused"],
    "der_key": ["holds a private key; refused"],
    "expired": ["refused: expired on 2021-01-01"],
    "empty": ["no certificate in the file"],
    "weak": ["refused: weak key RSA 1024"],
    "intermediate": ["refused: an intermediate CA", "--intermediate"],
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_bad_org_ca_is_refused_and_changes_nothing(good, pki, kind):
    org_add(good, pki.web)  # so org-only has a release to keep
    path = getattr(pki, kind)
    before = state(good)
    p = org_add(good, path, check=1)
    err = p.stderr.decode()
    for words in [str(path)] + REFUSALS[kind]:
        assert words in err, err
    assert b"added organization CA" not in p.stdout
    assert state(good) == before


def test_intermediate_with_flag_and_short_lived_ca(good, pki):
    p = org_add(good, pki.intermediate, "--intermediate")
    assert b"added organization CA" in p.stdout
    row = good.json("org", "list", "--json")[0]
    assert row["intermediate"] is True and "Acme Root CA" in row["issuer"]
    p = org_add(good, pki.soon)
    assert b"warning: expires" in p.stderr
    assert str(pki.soon).encode() in p.stderr
    # Adding it again: exit 0, no new release.
    before = state(good)
    p = org_add(good, pki.soon)
    assert b"already an organization CA" in p.stdout
    assert state(good)["release"] == before["release"]


def test_org_ca_that_expires_leaves_the_profiles(good, pki, tmp_path):
    """Valid for a few more seconds when added: the next publish after it
    expires makes new releases without it."""
    org_add(good, pki.web)
    # Long enough to be added even under the sanitizers, short enough
    # to wait for.
    end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now() + 6))
    brief = dated_ca(tmp_path / "brief", "brief", "Acme Brief Root",
                     "20250101000000Z", end)
    p = org_add(good, brief)
    assert b"warning: expires" in p.stderr
    fp, _ = fingerprint(brief)
    before = {k: latest(good, k) for k in BUILTIN}
    assert fp in pem_fingerprints(before["org-only"]["body"])
    time.sleep(max(0.0, not_after(brief) + 1.2 - now()))
    good("publish", check=0)
    for k in ("org", "org-only"):
        r = latest(good, k)
        assert r["version"] == before[k]["version"] + 1
        assert r["reason"] == "inputs"
        assert fp not in pem_fingerprints(r["body"])
        assert pki.web_fp in pem_fingerprints(r["body"])
    assert latest(good, "mozilla") == before["mozilla"]
    assert good.json("history", "--json", "org-only")[-1]["removed"] == 1


def test_audit_chain_holds_every_action(good, pki):
    org_add(good, pki.root, "--actor", "carol")
    good("exclude", "add", "--reason", "x", "--actor", "dave", ISRG_X1,
         check=0)
    good("org", "remove", pki.root_fp, check=0)
    good("exclude", "remove", ISRG_X1, check=0)
    org_add(good, pki.web, "--tag", "infra")
    good("profile", "add", "acme", "--no-upstream", "--tag", "infra",
         check=0)
    good("key", "generate", "--standby", check=0)
    new = good.key("standby")["key_id"]
    good("key", "rotate", check=0)
    audit = good.json("audit", "--json")
    seen = {(a["action"], a["object"]) for a in audit}
    want = {("org-add", pki.root_fp), ("exclude-add", ISRG_X1),
            ("org-remove", pki.root_fp), ("exclude-remove", ISRG_X1),
            ("org-add", pki.web_fp), ("profile-add", "acme"),
            ("key-generate", new), ("key-rotate", new)}
    assert want <= seen, sorted(seen)
    actors = {(a["action"], a["object"]): a["actor"] for a in audit}
    assert actors[("org-add", pki.root_fp)] == "carol"
    assert actors[("exclude-add", ISRG_X1)] == "dave"
    # One "release" row per stored release, named profile/version.
    rel = sorted(a["object"] for a in audit if a["action"] == "release")
    assert rel == sorted(f"{r['profile']}/{r['version']}"
                         for r in releases(good))
    p = good("audit", "verify", check=0)
    assert f"{len(audit)} rows, chain intact".encode() in p.stdout


def test_key_rotation_signs_new_releases_and_keeps_history(good, pki,
                                                            tmp_path):
    org_add(good, pki.root)
    old = good.key()
    old_rels = releases(good)
    oldkey = good.keyfile()
    assert oldkey.exists()
    good("key", "generate", "--standby", check=0)
    assert releases(good) == old_rels  # a standby key signs nothing
    new = good.key("standby")
    good("key", "rotate", check=0)
    keys = {k["key_id"]: k for k in good.json("key", "show", "--json")}
    assert keys[old["key_id"]]["role"] == "retired"
    assert keys[new["key_id"]]["role"] == "active"
    assert not oldkey.exists()  # the retired secret is gone
    assert good.keyfile().exists()
    newpub = good.pubfile()
    oldpub = write_pub(tmp_path / "old.pub", keys[old["key_id"]]
                       ["public_key"])

    rels = releases(good)
    fresh = [r for r in rels if r not in old_rels]
    assert sorted(r["profile"] for r in fresh) == sorted(BUILTIN)
    newest = {r["profile"]: r for r in old_rels}
    for r in fresh:
        assert (r["reason"], r["keyid"]) == ("key", new["key_id"])
        prev = newest[r["profile"]]
        assert r["version"] == prev["version"] + 1
        assert r["build"] == prev["build"]
        minisign_verify(tmp_path, r, newpub)
        minisign_verify(tmp_path, r, oldpub, check=1)
    for r in old_rels:
        assert r["keyid"] == old["key_id"]
        minisign_verify(tmp_path, r, oldpub)
    # The next change is signed by the new key too.
    good("exclude", "add", "--reason", "x", ISRG_X1, check=0)
    r = latest(good, "org")
    assert (r["reason"], r["keyid"]) == ("inputs", new["key_id"])
    minisign_verify(tmp_path, r, newpub)
    good("rebuild", "--check", check=0)
    hist = good.json("history", "--json", "mozilla")
    assert [h["reason"] for h in hist] == ["inputs", "key"]


def test_diff_history_and_a_tagged_profile(good, pki):
    n = live_count(upstream("2026.07.22"))  # 121 in 2026
    org_add(good, pki.root, "--tag", "infra", "--name", "Acme Root CA")
    org_add(good, pki.web, "--tag", "web")
    good("exclude", "add", "--reason", "x", ISRG_X1, check=0)
    hist = good.json("history", "--json", "org")
    assert [(h["version"], h["reason"], h["added"], h["removed"])
            for h in hist] == [(1, "inputs", n, 0), (2, "inputs", 1, 0),
                               (3, "inputs", 1, 0), (4, "inputs", 0, 1)]
    assert [h["certificates"] for h in hist] == [n, n + 1, n + 2, n + 1]
    for h, r in zip(hist, [r for r in releases(good)
                           if r["profile"] == "org"]):
        assert (h["sha256"], h["size"], h["build"]) == (
            hashlib.sha256(r["body"]).hexdigest(), len(r["body"]),
            r["build"])
    assert [h["version"] for h in good.json("history", "--json",
                                            "mozilla")] == [1]

    d = good.json("diff", "--json", "org", "1", "4")
    assert (d["profile"], d["from"], d["to"]) == ("org", 1, 4)
    assert sorted((a["sha256"], a["label"], a["organization"],
                   a["not_after"]) for a in d["added"]) == sorted([
        (pki.root_fp, "Acme Root CA", True, not_after(pki.root)),
        (pki.web_fp, "Acme Web Root", True, not_after(pki.web))])
    assert [(r["sha256"], r["label"], r["organization"])
            for r in d["removed"]] == [(ISRG_X1, "ISRG Root X1", False)]
    d = good.json("diff", "--json", "org", "1", "2")
    assert [a["sha256"] for a in d["added"]] == [pki.root_fp]
    assert d["removed"] == []
    good("diff", "--json", "org", "1", "9", check=1)

    p = good("profile", "add", "acme", "--no-upstream", "--tag", "infra",
             check=0)
    assert b"acme: version 1" in p.stdout
    acme = latest(good, "acme")
    assert pem_fingerprints(acme["body"]) == [pki.root_fp]
    row = [r for r in good.json("profile", "list", "--json")
           if r["name"] == "acme"][0]
    assert (row["upstream"], row["tags"], row["certificates"],
            row["version"], row["sha256"]) == (
        False, "infra", 1, 1, acme["body_sha256"])
    hist = good.json("history", "--json", "acme")
    assert [(h["certificates"], h["snapshot"], h["added"]) for h in hist] \
        == [(1, None, 1)]


def test_each_release_cites_the_change_that_caused_it(good, pki):
    """schema 009: a release records the audit row of the command that
    published it; a renewal by publish --resign cites nothing."""
    org_add(good, pki.root)
    good("publish", "--resign", "--profile", "org", check=0)
    with sqlite3.connect(good.db) as db:
        rows = db.execute(
            "SELECT r.profile, r.version, r.reason, a.action, a.object "
            "FROM release r LEFT JOIN release_cause c USING (profile, "
            "version) LEFT JOIN audit a ON a.id = c.audit "
            "ORDER BY r.profile, r.version").fetchall()
    by = {(p, v): (reason, action, obj) for p, v, reason, action, obj in
          rows}
    first = {p: min(v for q, v in by if q == p) for p, _ in by}
    # The first mozilla and org releases: the approve of snapshot 1.
    assert by[("mozilla", first["mozilla"])][1:] == ("approve", "snapshot:1")
    org = sorted(v for p, v in by if p == "org")
    # Then org add's release, then the renewal that cites nothing.
    assert by[("org", org[-2])][1] == "org-add", by
    assert by[("org", org[-1])] == ("resign", None, None), by
