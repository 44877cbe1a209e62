"""Mozilla's certdata.txt as the upstream and as the cross-check source
(README "certdata.txt: Mozilla's trust bits as a source and a
cross-check").  What the product must find is worked out here from the
fixture files themselves, by a reader of this file's own, never by
the reader under test; counts come from the fixtures' README."""
import datetime
import hashlib
import re
import sqlite3

import pytest

from conftest import FIXTURES, Mirror, Server, approve, pem_blocks, \
    fingerprint, upstream
from upstream import FakeUpstream, make_test_pki

CERTDATA = FIXTURES / "certdata"


def octal(lines):
    return bytes(int(o, 8) for ln in lines for o in ln.split("\\")[1:])


def read_certdata(path):
    """{sha256: {"label", "server", "email", "after", "own"}} for each
    certificate of a certdata.txt: its trust per purpose (the CKT_ name,
    None without a trust object), its server distrust-after date (a
    datetime, or None) and whether the certificate object itself has
    it (what the README counts)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = lines[lines.index("BEGINDATA") + 1:]
    objs, cur, i = [], None, 0
    while i < len(lines):
        ln = lines[i]
        i += 1
        if not ln.strip() or ln.startswith("#"):
            continue
        name, typ, *rest = ln.split(None, 2)
        if typ == "MULTILINE_OCTAL":
            end = lines.index("END", i)
            val, i = octal(lines[i:end]), end + 1
        else:
            val = rest[0] if rest else ""
        if name == "CKA_CLASS":
            cur = {}
            objs.append(cur)
        cur[name] = val
    trust = {(o["CKA_ISSUER"], o["CKA_SERIAL_NUMBER"]): o for o in objs
             if o["CKA_CLASS"].endswith("CKO_NSS_TRUST")}
    certs = {}
    for o in objs:
        if not o["CKA_CLASS"].endswith("CKO_CERTIFICATE"):
            continue
        der = o["CKA_VALUE"]
        t = trust.get((o["CKA_ISSUER"], o["CKA_SERIAL_NUMBER"]), {})
        # Newer files repeat the date on the trust object, and a few
        # give it there only.
        own = o.get("CKA_NSS_SERVER_DISTRUST_AFTER")
        after = own if isinstance(own, bytes) else \
            t.get("CKA_NSS_SERVER_DISTRUST_AFTER")
        certs[hashlib.sha256(der).hexdigest()] = {
            "own": isinstance(own, bytes),
            "label": o["CKA_LABEL"].strip('"'),
            "server": t.get("CKA_TRUST_SERVER_AUTH", "").split(" ")[-1]
            or None,
            "email": t.get("CKA_TRUST_EMAIL_PROTECTION", "").split(" ")[-1]
            or None,
            "after": datetime.datetime.strptime(
                after.decode(), "%y%m%d%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
            if isinstance(after, bytes) else None,
        }
    return certs


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def anchors(certs):
    return {fp for fp, c in certs.items()
            if c["server"] == "CKT_NSS_TRUSTED_DELEGATOR"}


def readme_counts():
    """{file: (server-auth delegators, server distrust-after dates)}
    from the fixtures' README table."""
    out = {}
    for m in re.finditer(r"^\| (certdata-[\d-]+\.txt) \| \w+ \| (\d+) \| "
                         r"(\d+) \| (\d+) \|$",
                         (CERTDATA / "README.md").read_text(), re.M):
        out[m.group(1)] = (int(m.group(3)), int(m.group(4)))
    return out


def bundle_fps(path):
    return {fingerprint(b) for b in pem_blocks(path.read_bytes())}


def rows(report, check):
    return [r for r in report["rows"] if r["check"] == check]


def distrust(m, sid):
    with sqlite3.connect(m.db) as db:
        return {r[0]: (r[1], r[2]) for r in db.execute(
            "SELECT cert, server_after, source FROM snapshot_distrust "
            "WHERE snapshot = ?", (sid,))}


def test_readme_table_read():
    assert len(readme_counts()) == 4


@pytest.mark.parametrize("name", sorted(readme_counts()))
def test_import_certdata_serves_only_tls_anchors(mirror, name):
    nserver, ndated = readme_counts()[name]
    path = CERTDATA / name
    certs = read_certdata(path)
    roots = anchors(certs)
    assert len(roots) == nserver
    p = mirror("import", path, check=5)   # first snapshot: approve it
    assert b"quarantined" in p.stdout
    snap = mirror.snapshots()[-1]
    assert snap["certificates"] == nserver
    report = mirror.report(snap["id"])
    assert report["certificates"] == nserver

    # Every certificate not served is listed, with what Mozilla says.
    listed = {r["sha256"]: r for r in rows(report, "certdata-trust")}
    assert set(listed) - {None} == set(certs) - roots
    for fp, r in listed.items():
        if fp is None:
            continue
        assert r["level"] == "info" and r["label"] == certs[fp]["label"]
        if certs[fp]["server"] == "CKT_NSS_NOT_TRUSTED":
            want = "explicitly distrusted by Mozilla: not served"
        elif certs[fp]["email"] == "CKT_NSS_TRUSTED_DELEGATOR":
            want = "trusted for e-mail only: not served"
        else:
            want = ": not served"
        assert want in r["rule"]
        if certs[fp]["after"] is not None:
            assert r["rule"].endswith(" issued after %s, distrusted)" %
                                      iso(certs[fp]["after"]))
        else:
            assert r["rule"].endswith("not served")

    # Each dated TLS root: a report row and a snapshot_distrust row.
    # The README counts certificate objects with a date of their own,
    # served or not; the dated roots are fewer.
    assert sum(c["own"] for c in certs.values()) == ndated
    dated = {fp: c["after"] for fp, c in certs.items()
             if fp in roots and c["after"] is not None}
    drows = {r["sha256"]: r for r in rows(report, "distrust-after")}
    assert set(drows) == set(dated)
    for fp, when in dated.items():
        assert drows[fp]["level"] == "info"
        assert drows[fp]["rule"] == ("Mozilla distrusts TLS certificates "
                                     "it issued after " + iso(when))
    assert snap["distrust_after"] == len(dated)
    stored = distrust(mirror, snap["id"])
    assert {fp: v[0] for fp, v in stored.items()} == \
        {fp: int(w.timestamp()) for fp, w in dated.items()}
    assert {v[1] for v in stored.values()} <= {"file:%s" % path.resolve()}

    # The report ID command shows them as people read it, too.
    text = mirror("report", str(snap["id"]), check=0).stdout.decode()
    shown = [ln for ln in text.splitlines() if " distrust-after " in ln]
    assert len(shown) == len(dated)
    for fp, when in dated.items():
        assert any(fp in ln and ln.endswith(iso(when)) for ln in shown)

    # The snapshot's roots are the anchors, in file order.
    with sqlite3.connect(mirror.db) as db:
        held = [r[0] for r in db.execute(
            "SELECT cert FROM snapshot_cert WHERE snapshot = ? ORDER BY "
            "position", (snap["id"],))]
    assert held == [fp for fp in certs if fp in roots]


def test_not_served_certificates_never_reach_cacert_pem(mirror):
    path = CERTDATA / "certdata-2024-11-15.txt"
    certs = read_certdata(path)
    mirror("import", path, check=5)
    approve(mirror, 1)
    s = Server(mirror)
    try:
        r = s.get("/v1/mozilla/cacert.pem")
    finally:
        s.stop()
    assert r.status_code == 200
    served = {fingerprint(b) for b in pem_blocks(r.content)}
    assert served and served <= anchors(certs)
    assert not served & (set(certs) - anchors(certs))
    # Entrust is dated, not distrusted: served (the policy decides).
    entrust = [fp for fp, c in certs.items() if c["after"] is not None and
               fp in anchors(certs) and "Entrust" in c["label"]]
    assert entrust


def test_truncated_certdata_is_rejected_and_changes_nothing(good, tmp_path):
    whole = (CERTDATA / "certdata-2025-07-09.txt").read_bytes()
    cut = tmp_path / "certdata-cut.txt"
    # Inside a MULTILINE_OCTAL value: no END for it.
    cut.write_bytes(whole[:whole.index(b"\\", len(whole) // 2) + 20])
    before = good.accepted()
    p = good("import", cut, check=1)
    assert b"rejected" in p.stdout
    snap = good.snapshots()[-1]
    assert snap["status"] == "rejected" and snap["certificates"] == 0
    reader = rows(good.report(snap["id"]), "reader")
    assert len(reader) == 1 and reader[0]["level"] == "error"
    assert re.search(r"not a valid certdata\.txt: .*\(object \d+, "
                     r"line \d+\)$", reader[0]["rule"]), reader[0]["rule"]
    assert good.accepted() == before
    assert distrust(good, snap["id"]) == {}


def test_format_key_overrides_the_sniff(mirror):
    path = CERTDATA / "certdata-2026-04-09.txt"
    mirror.overrides = ["upstream.format=pem"]
    mirror("import", path, check=1)
    rule = rows(mirror.report(1), "reader")[0]["rule"]
    assert rule.startswith("not a PEM bundle")
    mirror.overrides = ["upstream.format=certdata"]
    mirror("import", upstream("2026.07.22"), check=1)
    rule = rows(mirror.report(2), "reader")[0]["rule"]
    assert rule.startswith("not a valid certdata.txt")
    mirror.overrides = ["upstream.format=certdata"]
    mirror("import", path, check=5)
    mirror.overrides = ["upstream.format=xml"]
    p = mirror("snapshots", check=2)
    assert b"format: want auto, pem or certdata" in p.stderr


def test_crosscheck_with_certdata_agrees_and_attaches_dates(mirror):
    cd = CERTDATA / "certdata-2025-07-09.txt"
    certs = read_certdata(cd)
    bundle = upstream("2025.07.14")
    url = "file:%s" % cd
    mirror.overrides = ["upstream.crosscheck_url=" + url]
    mirror("import", bundle, check=0)   # vouched for: no approval needed
    snap = mirror.snapshots()[-1]
    report = mirror.report(snap["id"])
    assert bundle_fps(bundle) == anchors(certs)
    assert report["verdict"] == "accepted"
    assert report["certificates"] == len(anchors(certs)) == 146
    assert rows(report, "cross-check") == []
    dated = {fp: c["after"] for fp, c in certs.items()
             if fp in anchors(certs) and c["after"] is not None}
    # README: 10 certificates with a date; one (Entrust.net Premium
    # 2048) is trusted for e-mail only, so not a root of the bundle.
    assert sum(c["own"] for c in certs.values()) == \
        readme_counts()["certdata-2025-07-09.txt"][1]
    assert dated
    drows = rows(report, "distrust-after")
    assert {r["sha256"] for r in drows} == set(dated)
    assert all(r["rule"].endswith("(cross-check source %s)" % url)
               for r in drows)
    assert distrust(mirror, snap["id"]) == {
        fp: (int(w.timestamp()), url) for fp, w in dated.items()}


def test_crosscheck_with_older_certdata_names_every_difference(mirror):
    cd = CERTDATA / "certdata-2024-11-15.txt"
    certs = read_certdata(cd)
    bundle = upstream("2025.07.14")
    mirror.overrides = ["upstream.crosscheck_url=file:%s" % cd]
    mirror("import", bundle, check=5)
    report = mirror.report(1)
    assert report["verdict"] == "quarantined"
    have, trusted = bundle_fps(bundle), anchors(certs)
    named = {r["sha256"]: r for r in rows(report, "cross-check")}
    assert set(named) == have ^ trusted
    assert {r["level"] for r in named.values()} == {"quarantine"}
    for fp in have - trusted:
        rule = named[fp]["rule"]
        if fp not in certs:
            assert "Mozilla does not trust it" in rule
        elif certs[fp]["server"] == "CKT_NSS_NOT_TRUSTED":
            assert rule.startswith("explicitly distrusted by Mozilla")
        elif certs[fp]["email"] == "CKT_NSS_TRUSTED_DELEGATOR":
            assert rule.startswith("trusted for e-mail only")
    for fp in trusted - have:
        assert named[fp]["label"] == certs[fp]["label"]
        assert "missing from this bundle" in named[fp]["rule"]


def test_pem_crosscheck_still_compares_roots(good):
    """A PEM cross-check source is compared as before: no trust rows."""
    good.overrides = ["upstream.crosscheck_url=file:%s"
                      % upstream("2026.07.22")]
    # 2025 has roots 2026 dropped: new to neither, refused as before.
    good("import", upstream("2025.07.14"), check=1)
    report = good.report(2)
    assert {r["level"] for r in rows(report, "cross-check")} == \
        {"error", "quarantine"}
    assert rows(report, "distrust-after") == []


def test_fetch_takes_certdata_and_an_unchanged_one_costs_a_digest(tmp_path):
    """fetch over https, as from hg.mozilla.org: the same snapshot as
    import, and the same file again is "unchanged", not a new one."""
    path = CERTDATA / "certdata-2026-04-09.txt"
    certs = read_certdata(path)
    pki = make_test_pki(tmp_path / "pki")
    with FakeUpstream(pki) as up:
        up.body = path.read_bytes()
        up.content_type = "text/plain"
        m = Mirror(tmp_path / "data")
        m.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % pki.ca, "upstream.retries=0"]
        m("init", "--actor", "tester", check=0)
        m("fetch", check=5)
        approve(m, 1)
        p = m("fetch", check=0)
    assert b"unchanged" in p.stdout
    snaps = m.snapshots()
    assert len(snaps) == 1 and snaps[0]["status"] == "accepted"
    assert snaps[0]["certificates"] == len(anchors(certs))
    with sqlite3.connect(m.db) as db:
        body = db.execute("SELECT data FROM body WHERE sha256 = ?",
                          (snaps[0]["sha256"],)).fetchone()[0]
    assert body == path.read_bytes()


def test_pinned_digest_and_churn_work_on_certdata(mirror):
    old = CERTDATA / "certdata-2025-07-09.txt"
    new = CERTDATA / "certdata-2026-04-09.txt"
    mirror.overrides = ["vet.pinned_digest=" + hashlib.sha256(
        old.read_bytes()).hexdigest()]
    mirror("import", old, check=0)     # pinned: no approval needed
    assert rows(mirror.report(1), "pinned-digest")[0]["level"] == "info"
    mirror.overrides = []
    mirror("import", new, check=5)
    before, after = anchors(read_certdata(old)), anchors(read_certdata(new))
    report = mirror.report(2)
    assert report["removed"] == len(before - after)
    assert report["added"] == len(after - before)
    churn = rows(report, "churn")
    assert churn and {r["level"] for r in churn} == {"quarantine"}
