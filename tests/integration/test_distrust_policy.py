"""Each profile's distrust_after policy (keep, sunset, drop) for roots
Mozilla distrusts for TLS certificates issued after a date, checked
the way a user sees it: the served bundles, history and diff on the
command line and over HTTP, the release page, and `openssl verify`
against the served bundle.  The product runs at fixed dates
(clock_env(at=...)), so the expectations hold on any day."""
import calendar
import re
import sqlite3
import time

import pytest

from conftest import (FIXTURES, Mirror, Server, clock_env, fingerprint,
                      openssl, pem_blocks)

DAY = 86400
SUNSET = 398 * DAY              # CA/B Forum BR 6.3.2
CERTDATA = FIXTURES / "certdata" / "certdata-2024-11-15.txt"


def at(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%S"))


T_IMPORT = at("2024-11-20T00:00:00")
T_BEFORE = at("2025-06-01T00:00:00")
T_EDGE = at("2026-01-02T12:00:00")      # last day of the sunset
T_AFTER = at("2026-01-03T00:00:00")     # 2024-11-30T23:59:59 + 398 days


def dated_roots(m):
    """{fingerprint: server distrust-after} of the accepted snapshot's
    roots, as the database holds them."""
    with sqlite3.connect(m.db) as db:
        return dict(db.execute(
            "SELECT d.cert, d.server_after FROM snapshot_distrust d JOIN "
            "snapshot_cert c ON c.snapshot = d.snapshot AND c.cert = d.cert "
            "WHERE d.snapshot = (SELECT max(id) FROM snapshot WHERE status "
            "= 'accepted') AND d.server_after IS NOT NULL"))


def import_certdata(m, path, when):
    """Import certdata.txt with its distrust-after dates and approve it,
    at `when`."""
    m("import", path, check=5, env=clock_env(at=when))
    sid = m.snapshots()[-1]["id"]
    m("approve", "--reason", "reviewed", "--actor", "alice", str(sid),
      check=0, env=clock_env(at=when))


@pytest.fixture
def dated(tmp_path):
    """A mirror at certdata 2024-11-15 with a keep and a drop profile
    besides the built-in mozilla (sunset)."""
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0, env=clock_env(at=T_IMPORT))
    for name, policy in (("keeper", "keep"), ("dropper", "drop")):
        m("profile", "add", "--distrust-after", policy, name, check=0,
          env=clock_env(at=T_IMPORT))
    import_certdata(m, CERTDATA, T_IMPORT)
    m.dates = dated_roots(m)
    # The Entrust and AffirmTrust roots: by their date, not by name.
    m.entrust = {fp for fp, t in m.dates.items()
                 if t == at("2024-11-30T23:59:59")}
    assert m.entrust, "no root dated 2024-11-30 in the snapshot"
    return m


def publish(m, when):
    return m("publish", check=0, env=clock_env(at=when)).stdout.decode()


def history(m, profile):
    return m.json("history", "--json", profile)


def served_fps(body):
    return {fingerprint(b) for b in pem_blocks(body)}


def expect_sunset(dates, when):
    """The dated roots sunset still serves at `when`."""
    return {fp for fp, t in dates.items() if when < t + SUNSET}


def test_policies_over_time(dated, tmp_path, monkeypatch):
    m = dated
    publish(m, T_BEFORE)
    publish(m, T_EDGE)
    out = publish(m, T_AFTER)
    assert re.search(r"^mozilla: version \d+ \(new bundle; .* -%d\)"
                     % len(expect_sunset(m.dates, T_EDGE) -
                           expect_sunset(m.dates, T_AFTER)), out, re.M), out
    hist = {p: history(m, p) for p in ("mozilla", "keeper", "dropper")}

    # Served an hour after the last publish: nothing is due, so the
    # schedule adds no release while the test reads them.
    for k, val in clock_env(at=T_AFTER + 3600).items():
        monkeypatch.setenv(k, val)
    s = Server(m)
    try:
        def body(p, v):
            r = s.get(f"/v1/{p}/{v}/cacert.pem")
            assert r.status_code == 200
            return r.content

        for row in hist["mozilla"]:
            fps = served_fps(body("mozilla", row["version"]))
            want = expect_sunset(m.dates, row["created"])
            # sunset: dated roots served while now < date + 398 days
            assert fps & set(m.dates) == want, row
            if row["created"] < T_AFTER:
                assert m.entrust <= fps
            else:
                assert not m.entrust & fps
        for row in hist["keeper"]:
            assert set(m.dates) <= served_fps(body("keeper", row["version"]))
        for row in hist["dropper"]:
            assert not set(m.dates) & served_fps(
                body("dropper", row["version"]))

        # The release that dropped them names the sunset rule, on the
        # command line and over HTTP, in history and in diff.
        gone = [r for r in hist["mozilla"] if r["created"] == T_AFTER][0]
        v, prev = gone["version"], gone["version"] - 1
        left = {e["sha256"]: e for e in gone["left"]}
        assert m.entrust <= set(left)
        for fp in m.entrust:
            assert left[fp]["rule"] == (
                "sunset: Mozilla distrusts TLS certificates it issued after "
                "2024-11-30; the last of them expired by 2026-01-02 "
                "(date + 398 days)")
            assert left[fp]["server_after"] == m.dates[fp]
            assert re.match(r"(Entrust\b|AffirmTrust )", left[fp]["label"])
        # Every release names the roots it newly left out, none twice.
        before = set(m.dates)
        for row in hist["mozilla"]:
            now_served = expect_sunset(m.dates, row["created"])
            assert {e["sha256"] for e in row.get("left", [])} == \
                before - now_served, row
            before = now_served
        for p in hist:
            assert s.get(f"/v1/{p}/history").json() == hist[p]
        cli = m.json("diff", "--json", "mozilla", str(prev), str(v))
        http = s.get(f"/v1/mozilla/diff/{prev}/{v}").json()
        for d in (cli, http):
            rules = {r["sha256"]: r.get("rule") for r in d["removed"]}
            assert m.entrust <= set(rules)
            assert all(rules[fp].startswith("sunset: ") for fp in m.entrust)
        text = m("diff", "mozilla", str(prev), str(v), check=0).stdout.decode()
        assert text.count("left out by distrust-after sunset: ") >= \
            len(m.entrust)
        text = m("history", "mozilla", check=0).stdout.decode()
        assert text.count("left out by distrust-after sunset: ") >= \
            len(m.entrust)
        # drop: the first release says why they were never served.
        first = hist["dropper"][0]
        assert {e["sha256"] for e in first["left"]} == set(m.dates)
        assert all(e["rule"].startswith("drop: Mozilla distrusts TLS "
                                        "certificates it issued after ")
                   for e in first["left"])

        # The release pages: dated roots with their date, and until
        # when under sunset; the left-out ones with the rule.
        page = s.get(f"/p/mozilla/{prev}").text
        assert "served until 2026-01-02" in page
        page = s.get(f"/p/mozilla/{v}").text
        assert "left out: sunset: Mozilla distrusts" in page
        assert "left out by distrust-after sunset" in page
        page = s.get("/p/mozilla").text
        assert page.count("left out by distrust-after sunset: ") >= \
            len(m.entrust)
        page = s.get(f"/p/keeper/{hist['keeper'][-1]['version']}").text
        assert "served (keep)" in page and "2024-11-30" in page

        # What a TLS client sees: a chain ending at one of those roots
        # verifies against the bundle before the sunset, not after.
        root = tmp_path / "root.pem"
        root.write_bytes([b for b in pem_blocks(body("keeper", 1))
                          if fingerprint(b) in m.entrust][0])
        for ver, verdict in ((prev, 0), (v, 2)):
            ca = tmp_path / f"ca-{ver}.pem"
            ca.write_bytes(body("mozilla", ver))
            openssl("verify", "-no-CApath", "-no-CAstore", "-attime",
                    str(T_EDGE), "-CAfile", ca, root,
                    check=verdict)
    finally:
        s.stop()
    assert {p: history(m, p) for p in hist} == hist


def test_profile_set_changes_the_policy_with_an_audit_row(dated):
    m = dated
    publish(m, T_AFTER)
    out = m("profile", "set", "--distrust-after", "keep", "--actor", "bob",
            "mozilla", check=0, env=clock_env(at=T_AFTER + DAY))
    assert b"profile mozilla: distrust-after keep (was sunset)" in out.stdout
    assert re.search(rb"^mozilla: version \d+ \(new bundle; .* \+%d -0\)"
                     % len(set(m.dates) - expect_sunset(m.dates, T_AFTER)),
                     out.stdout, re.M), out.stdout
    prof = {p["name"]: p for p in m.json("profile", "list", "--json")}
    assert prof["mozilla"]["distrust_after"] == "keep"
    assert prof["dropper"]["distrust_after"] == "drop"
    assert "distrust-after: keep" in m("profile", "list",
                                       check=0).stdout.decode()
    audit = m.json("audit", "--json")
    # profile set is profile edit by its first name (issue 23).
    row = [a for a in audit if a["action"] == "profile-edit"][-1]
    assert row["actor"] == "bob" and row["object"] == "mozilla"
    det = row["details"]
    assert det["after"]["distrust_after"] == "keep"
    assert det["before"]["distrust_after"] == "sunset"
    # Refusals: unknown policy, unknown profile, nothing to set.
    m("profile", "set", "--distrust-after", "never", "mozilla", check=2)
    m("profile", "add", "--distrust-after", "never", "x", check=2)
    m("profile", "set", "--distrust-after", "drop", "nosuch", check=2)
    m("profile", "set", "mozilla", check=2)
