"""Decisions on current facts (issue 23): a report shows the diff against
the snapshot accepted now, names the baseline and the one it was vetted
against, and the decision; approve records the +/- it applies; a
rollback (a body identical to an earlier accepted snapshot, or roots a
later accepted snapshot removed) is named and needs --allow-rollback;
the quarantine and snapshot pages show the same, checked in headless
Chromium.  Expectations come from the real fixtures, through openssl
and Python, never from the program under test."""
import html
import json
import re
import shutil
import sqlite3
import time

import pytest

from conftest import Server, fingerprint, now, pem_blocks, upstream
from test_browser import render, screenshot

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def roots(version):
    """The fingerprints of a fixture bundle: what a snapshot holds."""
    return {fingerprint(b) for b in pem_blocks(upstream(version)
                                               .read_bytes())}


def approve(m, sid, *extra, check=0):
    return m("approve", *extra, "--reason", f"reviewed {sid}", "--actor",
             "alice", str(sid), check=check)


def audit_rows(m, action):
    with sqlite3.connect(m.db) as db:
        return [json.loads(d) for (d,) in db.execute(
            "SELECT details FROM audit WHERE action = ? ORDER BY id",
            (action,))]


def iso_near_now(s):
    assert ISO.match(s), s
    t = time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(t - now()) < 600, (s, now())


@pytest.fixture
def stale(mirror):
    """Snapshot 1 (2022) accepted; 2 (2024) and 3 (2025) quarantined,
    both vetted against 1; then 2 approved: 3's stored diff is stale."""
    mirror("import", upstream("2022.12.07"), check=5)
    approve(mirror, 1)
    mirror("import", upstream("2024.02.02"), check=5)
    mirror("import", upstream("2025.07.14"), check=5)
    approve(mirror, 2)
    return mirror


def test_report_is_redone_against_the_snapshot_accepted_now(stale):
    r = stale.report(3)
    want_add = roots("2025.07.14") - roots("2024.02.02")
    want_rm = roots("2024.02.02") - roots("2025.07.14")
    assert r["baseline"] == 2 and r["vetted_against"] == 1
    assert r["current"] is True
    assert (r["added"], r["removed"]) == (len(want_add), len(want_rm))
    assert {x["sha256"] for x in r["added_roots"]} == want_add
    assert {x["sha256"] for x in r["removed_roots"]} == want_rm
    # The info rows say the same: no stale row against snapshot 1.
    assert {x["sha256"] for x in r["rows"] if x["check"] == "added"} == \
        want_add
    assert {x["sha256"] for x in r["rows"] if x["check"] == "removed"} == \
        want_rm
    iso_near_now(r["baseline_accepted"])
    assert r["rollback"] is None
    text = stale("report", "3", check=0).stdout.decode()
    assert (f"{len(want_add)} added, {len(want_rm)} removed against "
            f"snapshot 2, accepted {r['baseline_accepted']}") in text
    assert "vetted originally against snapshot 1" in text
    assert "snapshot 3: quarantined, waiting for a decision" in text
    for fp in want_add | want_rm:
        assert fp in text


def test_approve_prints_and_records_what_it_applies(stale):
    want_add = roots("2025.07.14") - roots("2024.02.02")
    want_rm = roots("2024.02.02") - roots("2025.07.14")
    out = approve(stale, 3).stdout.decode()
    assert (f"applied against accepted snapshot 2: +{len(want_add)} "
            f"-{len(want_rm)} roots") in out
    assert {l.split()[1] for l in out.splitlines()
            if l.startswith("  + ")} == want_add
    assert {l.split()[1] for l in out.splitlines()
            if l.startswith("  - ")} == want_rm
    row = audit_rows(stale, "approve")[-1]
    assert row["reason"] == "reviewed 3" and row["baseline"] == 2
    assert (row["added"], row["removed"]) == (len(want_add), len(want_rm))
    assert set(row["added_roots"]) == want_add
    assert set(row["removed_roots"]) == want_rm
    assert row["rollback"] is False and "rolled_back" not in row


def test_report_shows_the_decision(stale):
    text = stale("report", "2", check=0).stdout.decode()
    first = text.splitlines()[0]
    r = stale.report(2)
    assert r["status"] == "accepted" and r["decided_by"] == "alice"
    assert r["reason"] == "reviewed 2"
    iso_near_now(r["decided_at"])
    assert first == (f"snapshot 2: accepted by alice at {r['decided_at']}: "
                     "reviewed 2")
    assert "quarantined, waiting" not in text
    assert "decide with" not in text
    # A decided snapshot keeps the diff it was decided on.
    assert r["current"] is False and r["baseline"] == 1
    q = stale.report(3)
    assert q["decided_by"] is None and q["decided_at"] is None
    assert q["status"] == "quarantined"


@pytest.fixture
def rolled(mirror):
    """2024 accepted (1), 2026 accepted (2), then 2024 again (3)."""
    mirror("import", upstream("2024.02.02"), check=5)
    approve(mirror, 1)
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 2)
    mirror("import", upstream("2024.02.02"), check=5)
    return mirror


def test_identical_body_is_a_rollback_and_approve_refuses_it(rolled):
    back = roots("2024.02.02") - roots("2026.07.22")
    r = rolled.report(3)
    rb = r["rollback"]
    assert rb["identical"] == 1 and rb["readded"] == len(back)
    assert {x["sha256"] for x in r["added_roots"]
            if x.get("removed_by") == 2} == back
    assert rb["words"] == (f"identical to snapshot 1 (created "
                           f"{rb['identical_created']}); re-adds "
                           f"{len(back)} roots removed by snapshot 2")
    text = rolled("report", "3", check=0).stdout.decode()
    assert f"ROLLBACK: {rb['words']}" in text
    assert "[--allow-rollback] 3" in text
    with sqlite3.connect(rolled.db) as db:
        before = db.execute("SELECT count(*) FROM audit").fetchone()
    p = approve(rolled, 3, check=1)
    err = p.stderr.decode()
    assert "rollback" in err and "add --allow-rollback" in err
    assert rb["words"] in err
    assert p.stdout == b""
    with sqlite3.connect(rolled.db) as db:
        assert db.execute("SELECT count(*) FROM audit").fetchone() == \
            before, "a refused approve wrote to the audit log"
    assert rolled.snapshots()[2]["status"] == "quarantined"
    out = approve(rolled, 3, "--allow-rollback").stdout.decode()
    assert f"rollback allowed: {rb['words']}" in out
    row = audit_rows(rolled, "approve")[-1]
    assert row["rollback"] is True
    assert row["rolled_back"]["identical"] == 1
    assert set(row["rolled_back"]["readded"]) == back
    assert rolled.snapshots()[2]["status"] == "accepted"


def test_roots_a_later_snapshot_removed_are_a_rollback(mirror):
    """Not the same body: 2022 accepted, 2026 accepted, then 2024.
    The roots 2024 shares with 2022 that 2026 dropped come back; the
    ones only 2024 has are new."""
    mirror("import", upstream("2022.12.07"), check=5)
    approve(mirror, 1)
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 2)
    mirror("import", upstream("2024.02.02"), check=5)
    r = mirror.report(3)
    back = (roots("2024.02.02") & roots("2022.12.07")) - \
        roots("2026.07.22")
    new = roots("2024.02.02") - roots("2022.12.07") - roots("2026.07.22")
    assert back and r["rollback"]["identical"] is None
    assert r["rollback"]["readded"] == len(back)
    assert {x["sha256"] for x in r["added_roots"]
            if x.get("removed_by") == 2} == back
    assert {x["sha256"] for x in r["added_roots"]
            if "removed_by" not in x} == new
    assert r["rollback"]["words"] == \
        f"re-adds {len(back)} roots removed by snapshot 2"
    approve(mirror, 3, check=1)
    # Rejecting needs no flag, and takes none.
    mirror("reject", "--allow-rollback", "--reason", "no", "3", check=2)
    mirror("reject", "--reason", "no", "3", check=0)
    assert mirror.report(3)["status"] == "rejected"


def test_pages_and_json_show_the_current_facts(stale, tmp_path):
    # A hostile file name reaches the pages escaped.
    evil = tmp_path / "x<b>&'.pem"
    shutil.copy(upstream("2026.07.22"), evil)
    stale("import", evil, check=5)
    srv = Server(stale)
    try:
        cli = stale.report(3)
        js = srv.get("/v1/snapshots/3").json()
        for k in ("added_roots", "removed_roots", "baseline",
                  "vetted_against", "baseline_accepted", "rollback",
                  "status", "decided_by", "rows"):
            assert js[k] == cli[k], k
        lst = srv.get("/v1/snapshots").json()
        assert [s["id"] for s in lst] == [1, 2, 3, 4]
        assert lst[1]["decided_by"] == "alice"
        assert srv.get("/v1/snapshots/2").json()["decided_at"] == \
            stale.report(2)["decided_at"]
        for path in ("/v1/snapshots/9", "/snapshots/9", "/snapshots/0",
                     "/snapshots/03", "/v1/snapshots/x"):
            assert srv.get(path).status_code == 404, path
        page = srv.get("/snapshots").text
        assert page.index('href="/snapshots/4"') < \
            page.index('href="/snapshots/1"'), "not newest first"
        assert "x&lt;b&gt;&amp;&#39;.pem" in page and "x<b>" not in page
        q = srv.get("/quarantine").text
        assert "x&lt;b&gt;&amp;&#39;.pem" in q and "x<b>" not in q
        one = srv.get("/snapshots/2").text
        words = html.unescape(re.sub(r"<[^>]+>", "", one))
        assert (f"Status: accepted by alice at "
                f"{stale.report(2)['decided_at']}: \u201creviewed 2\u201d"
                ) in words
        dom = render(tmp_path, srv.base + "/quarantine")
        screenshot(tmp_path, srv.base + "/quarantine", "decide-quarantine.png")
        screenshot(tmp_path, srv.base + "/snapshots", "decide-snapshots.png")
    finally:
        srv.stop()
    # Snapshot 3's section as Chromium parsed it.
    sec = dom[dom.index('id="s3"'):]
    sec = sec[:sec.index("</section>")]
    added = set(re.findall(r'<tr class="added add">.*?href="/cert/'
                           r'([0-9a-f]{64})"', sec))
    removed = set(re.findall(r'<tr class="removed rm">.*?href="/cert/'
                             r'([0-9a-f]{64})"', sec))
    assert added == roots("2025.07.14") - roots("2024.02.02")
    assert removed == roots("2024.02.02") - roots("2025.07.14")
    assert 'against <a href="/snapshots/2">snapshot 2</a>, accepted' in sec
    assert ('vetted originally against <a href="/snapshots/1">snapshot 1'
            '</a>') in sec


