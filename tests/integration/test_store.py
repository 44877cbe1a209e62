"""init, import, vetting, the quarantine desk and the audit chain, as an
operator of an air-gapped mirror uses them (no network: import FILE)."""
import shutil
import signal
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import (CABUNDLED, FIXTURES, HOSTILE, HOSTILE_EXPECT, Mirror,
                      approve, checks, expired, run, sha256, upstream,
                      RELEASES)

SCHEMA = sorted((FIXTURES.parent.parent / "schema").glob(
    "[0-9][0-9][0-9]-*.sql"))


def test_init_makes_private_key_and_database(mirror):
    key = mirror.keyfile()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(mirror.datadir.stat().st_mode) == 0o700
    pub = mirror.pubfile().read_text().splitlines()
    keyid = mirror.key()["key_id"]
    assert pub[0] == "untrusted comment: minisign public key " + keyid
    assert pub[1] == mirror.key()["public_key"]
    assert pub[1].startswith("RW") and len(pub[1]) == 56
    # openssl agrees it is an Ed25519 private key.
    p = run("openssl", "pkey", "-in", key, "-noout", "-text", check=0)
    assert b"ED25519 Private-Key" in p.stdout
    # A second init keeps the key and says so.
    before = key.read_bytes()
    p = mirror("init", check=0)
    assert b"(kept)" in p.stdout and key.read_bytes() == before
    with sqlite3.connect(mirror.db) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == \
            len(SCHEMA)
    actions = [r["action"] for r in mirror.json("audit", "--json")]
    assert actions == ["init", "key-generate"]


@pytest.mark.parametrize("cmd", [["snapshots"], ["audit", "verify"],
                                 ["import", str(upstream("2026.07.22"))],
                                 ["fetch"], ["init"]])
def test_every_command_refuses_a_readable_key(mirror, cmd):
    key = mirror.keyfile()
    key.chmod(0o640)
    p = mirror(*cmd, check=4)
    assert key.name.encode() in p.stderr
    assert b"group or others" in p.stderr
    key.chmod(0o600)
    assert mirror.snapshots() == []  # nothing was stored meanwhile


def test_without_init_commands_say_how(tmp_path):
    m = Mirror(tmp_path / "none")
    p = m("snapshots", check=4)
    assert b"cabundled -d" in p.stderr and b"init" in p.stderr


def expect(m, version, status, quarantine_checks):
    """Import one release; check exit, verdict and quarantine reasons."""
    p = m("import", upstream(version),
          check={"accepted": 0, "quarantined": 5}[status])
    snap = m.snapshots()[-1]
    assert snap["sha256"] == sha256(upstream(version))
    assert snap["verdict"] == status, p.stdout.decode()
    assert checks(m.report(snap["id"]), "quarantine") == quarantine_checks
    return snap


def test_six_real_releases_in_date_order(mirror):
    """Default policy, every release fetched in date order, a human
    approving each quarantine.  Why each one waits:

    2019.11.28  first snapshot: 137 roots trusted on first use need a
                human (max_added 0), and 3 pinned anchors (ISRG Root X2,
                GlobalSign Root R46, Microsoft RSA 2017) did not exist.
    2021.05.30  16 roots added; 25 of 137 removed (18% > 10%); ISRG
                Root X2 still missing.
    2022.12.07  24 added; 15 of 128 removed (11% > 10%).
    2024.02.02  16 added (removals 6 of 137: within 10%).
    2025.07.14  10 added (removals 11 of 147: within 10%).
    2026.07.22  7 added; 32 of 146 removed (21% > 10%).
    Every real release adds roots, so with max_added 0 none is accepted
    without a human: that is the policy, not an accident.
    """
    steps = [
        # version, quarantine checks, added, removed, removal over 10%
        ("2019.11.28", {"churn", "anchor"}, 137, 0, False),
        ("2021.05.30", {"churn", "anchor"}, 16, 25, True),
        ("2022.12.07", {"churn"}, 24, 15, True),
        ("2024.02.02", {"churn"}, 16, 6, False),
        ("2025.07.14", {"churn"}, 10, 11, False),
        ("2026.07.22", {"churn"}, 7, 32, True),
    ]
    for version, why, added, removed, too_many in steps:
        snap = expect(mirror, version, "quarantined", why)
        assert (snap["added"], snap["removed"]) == (added, removed)
        rules = [r["rule"] for r in mirror.report(snap["id"])["rows"]
                 if r["check"] == "churn"]
        assert any(f"{added} new root(s) not vouched for" in r
                   for r in rules), rules
        assert any("more than max_removed 10%" in r
                   for r in rules) == too_many, rules
        # Until a human approves, the previous set stays accepted.
        before = mirror.accepted()
        assert before is None or before["id"] == snap["id"] - 1
        approve(mirror, snap["id"])
        assert mirror.accepted()["id"] == snap["id"]
    # The 22% step is quarantined for the removal itself, and approve
    # then makes it the accepted set.
    last = mirror.report(mirror.accepted()["id"])
    assert any("32 of 146 roots removed (21.9%)" in r["rule"]
               for r in last["rows"])
    assert last["status"] == "accepted"
    removed = {r["label"] for r in last["rows"] if r["check"] == "removed"}
    assert "Entrust Root Certification Authority" in removed
    assert len(removed) == 32


def test_policy_can_let_real_churn_through(mirror):
    """An operator who trusts Mozilla's cadence raises the limits."""
    mirror.overrides = ["vet.max_added=30", "vet.max_removed=25%",
                        "vet.anchor=none"]
    expect(mirror, "2024.02.02", "quarantined", {"churn"})  # first use
    approve(mirror, 1)
    expect(mirror, "2025.07.14", "accepted", set())
    expect(mirror, "2026.07.22", "accepted", set())


def test_expired_roots_are_dropped_with_a_warning(mirror):
    expect(mirror, "2024.02.02", "quarantined", {"churn"})
    rows = [r for r in mirror.report(1)["rows"] if r["check"] == "expired"]
    # Whatever openssl says has expired by the product's clock: on any
    # date after 2025-05-12 at least Baltimore CyberTrust Root.
    want = expired(upstream("2024.02.02"))
    baltimore = ("16af57a9f676b0ab126095aa5ebadef22ab31119d644ac95cd"
                 "4b93dbf3f26aeb")
    assert baltimore in want
    assert {r["sha256"] for r in rows} == want and len(rows) == len(want)
    assert "Baltimore CyberTrust Root" in {r["label"] for r in rows}
    for r in rows:
        assert r["level"] == "warning"
        assert "dropped from the served set" in r["rule"]
    with sqlite3.connect(mirror.db) as db:
        dropped = db.execute(
            "SELECT cert FROM snapshot_cert WHERE snapshot = 1 AND dropped"
        ).fetchall()
    assert {d for (d,) in dropped} == want
    mirror.overrides = ["vet.expired=quarantine"]
    p = mirror("inspect", "--vet", "--json", upstream("2024.02.02"),
               check=5)
    assert "expired" in checks(__import__("json").loads(p.stdout)["vet"],
                               "quarantine")


def test_v1_root_is_a_warning_not_a_refusal(mirror):
    expect(mirror, "2019.11.28", "quarantined", {"churn", "anchor"})
    ca = [r for r in mirror.report(1)["rows"] if r["check"] == "ca"]
    assert len(ca) == 1 and ca[0]["level"] == "warning"
    assert ca[0]["sha256"] == ("eb04cf5eb1f39afa762f2bb120f296cba520c1b97db"
                               "1589565b81cb9a17b7244")


READER_WORDS = {
    "truncated-mid-cert.pem": "truncated",
    "captive-portal.html": "html",
    "corrupted-base64.pem": "bad-base64",
    "der-instead-of-pem.der": "der",
    "empty.pem": "empty",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_EXPECT))
def test_hostile_upstream_never_replaces_the_accepted_set(good, name):
    code, verdict, why = HOSTILE_EXPECT[name]
    before = good.accepted()
    p = good("import", HOSTILE / name, check=code)
    snap = good.snapshots()[-1]
    assert snap["verdict"] == verdict and snap["status"] == verdict
    level = "error" if verdict == "rejected" else "quarantine"
    report = good.report(snap["id"])
    assert checks(report, level) == why, p.stdout.decode()
    if name in READER_WORDS:
        assert READER_WORDS[name] in report["rows"][0]["rule"]
        assert snap["certificates"] == 0 or verdict == "rejected"
    if name == "evil-root-added.pem":
        added = [r for r in report["rows"] if r["check"] == "added"]
        assert [r["label"] for r in added] == [
            "Evil Root CA - TEST FIXTURE - DO NOT TRUST"]
    if name == "only-3-certs.pem":
        assert snap["removed"] == 118
    assert good.accepted() == before
    assert good("audit", "verify", check=0)


def test_rejected_snapshot_stores_report_and_body_but_no_certs(good):
    good("import", HOSTILE / "captive-portal.html", check=1)
    with sqlite3.connect(good.db) as db:
        n = db.execute("SELECT count(*) FROM snapshot_cert WHERE "
                       "snapshot = 2").fetchone()[0]
        body = db.execute("SELECT data FROM body WHERE sha256 = ?",
                          (sha256(HOSTILE / "captive-portal.html"),)
                          ).fetchone()[0]
    assert n == 0
    assert body == (HOSTILE / "captive-portal.html").read_bytes()


def test_crosscheck_refuses_a_root_it_lacks(good):
    good.overrides = ["upstream.crosscheck_url=file:%s"
                      % upstream("2026.07.22")]
    p = good("import", HOSTILE / "evil-root-added.pem", check=1)
    report = good.report(good.snapshots()[-1]["id"])
    errors = [r for r in report["rows"] if r["level"] == "error"]
    assert [r["check"] for r in errors] == ["cross-check"]
    assert errors[0]["label"] == "Evil Root CA - TEST FIXTURE - DO NOT TRUST"
    assert b"missing from the cross-check source" in p.stdout


def test_crosscheck_vouches_for_new_roots(mirror):
    """A second source that has the 7 roots the 2026 release added
    vouches for them: max_added 0 does not hold the step up."""
    mirror("import", upstream("2025.07.14"), check=5)
    approve(mirror, 1)
    mirror.overrides = ["upstream.crosscheck_url=%s" % upstream("2026.07.22"),
                        "vet.max_removed=25%"]
    mirror("import", upstream("2026.07.22"), check=0)
    report = mirror.report(2)
    added = [r for r in report["rows"] if r["check"] == "added"]
    assert len(added) == 7
    assert all("vouched for by the cross-check source" in r["rule"]
               for r in added)


def test_crosscheck_difference_quarantines_with_the_list(good):
    good.overrides = ["upstream.crosscheck_url=file:%s"
                      % upstream("2025.07.14")]
    good("import", HOSTILE / "duplicate-cert.pem", check=5)
    rows = [r for r in good.report(2)["rows"] if r["check"] == "cross-check"]
    # 2025 lacks the 7 roots 2026 added (old, so quarantine) and has 32
    # that 2026 dropped.
    assert len(rows) == 7 + 32
    assert {r["level"] for r in rows} == {"quarantine"}


def test_crosscheck_source_unavailable_quarantines(good):
    good.overrides = ["upstream.crosscheck_url=file:/nonexistent.pem"]
    good("import", HOSTILE / "duplicate-cert.pem", check=5)
    rows = [r for r in good.report(2)["rows"] if r["check"] == "cross-check"]
    assert len(rows) == 1 and "unavailable" in rows[0]["rule"]


def test_unchanged_body_is_not_a_new_snapshot(good):
    p = good("import", upstream("2026.07.22"), check=0)
    assert b"unchanged" in p.stdout
    assert len(good.snapshots()) == 1
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    p = good("import", HOSTILE / "evil-root-added.pem", check=5)
    assert b"still quarantined" in p.stdout
    assert len(good.snapshots()) == 2


def test_approve_and_reject_rules(good):
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    good("import", HOSTILE / "duplicate-cert.pem", check=5)
    # A reason is required; a decided or unknown snapshot is refused.
    good("approve", "2", check=2)
    good("approve", "--reason", "x", "1", check=1)
    good("approve", "--reason", "x", "99", check=2)
    good("reject", "--reason", "unknown root", "--actor", "bob", "2",
         check=0)
    good("approve", "--reason", "x", "2", check=1)
    snap = good.snapshots()[1]
    assert (snap["status"], snap["decided_by"], snap["reason"]) == (
        "rejected", "bob", "unknown root")
    assert snap["verdict"] == "quarantined"
    audit = good.json("audit", "--json")
    rej = [a for a in audit if a["action"] == "reject"]
    assert rej == [dict(rej[0], actor="bob", object="snapshot:2",
                        details={"reason": "unknown root"})]


def test_approving_an_older_snapshot_cannot_roll_back(mirror):
    mirror("import", upstream("2025.07.14"), check=5)
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 2)
    p = mirror("approve", "--reason", "x", "1", check=1)
    assert b"roll the mirror back" in p.stderr
    assert mirror.accepted()["id"] == 2


def test_pinned_digest_is_accepted_whatever_the_churn(good):
    evil = sha256(HOSTILE / "evil-root-added.pem")
    good.overrides = ["vet.pinned_digest=" + evil]
    good("import", HOSTILE / "evil-root-added.pem", check=0)
    assert good.accepted()["sha256"] == evil
    report = good.report(2)
    assert report["pinned"] is True
    assert checks(report, "warning") >= {"churn"}


def test_require_pinned_digest_rejects_anything_else(mirror):
    mirror.overrides = ["vet.require_pinned_digest=yes"]
    p = mirror("import", upstream("2026.07.22"), check=1)
    assert b"not in the pinned digest list" in p.stdout
    mirror.overrides.append("vet.pinned_digest=" +
                            sha256(upstream("2026.07.22")))
    mirror("import", upstream("2026.07.22"), check=0)


def test_audit_chain_records_everything_and_finds_an_edit(good):
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    good("reject", "--reason", "not ours", "2", check=0)
    audit = good.json("audit", "--json")
    assert [a["action"] for a in audit] == [
        "init", "key-generate", "snapshot", "verdict", "approve",
        "release", "release", "snapshot", "verdict", "reject"]
    assert audit[4]["actor"] == "alice"
    assert [a["object"] for a in audit[5:7]] == ["mozilla/1", "org/1"]
    p = good("audit", "verify", check=0)
    assert b"10 rows, chain intact" in p.stdout
    # The triggers refuse edits ...
    p = run("sqlite3", good.db, "UPDATE audit SET actor = 'mallory' "
            "WHERE id = 5")
    assert p.returncode != 0 and b"append-only" in p.stderr
    p = run("sqlite3", good.db, "DELETE FROM audit WHERE id = 8")
    assert p.returncode != 0
    # ... and an edit made behind their back is found.
    run("sqlite3", good.db, "DROP TRIGGER audit_no_update; UPDATE audit "
        "SET actor = 'mallory' WHERE id = 5", check=0)
    p = good("audit", "verify", check=1)
    assert b"row 5 (approve snapshot:1 by mallory)" in p.stdout


def test_audit_verify_finds_a_deleted_row(good):
    run("sqlite3", good.db, "DROP TRIGGER audit_no_delete; "
        "DELETE FROM audit WHERE id = 3", check=0)
    p = good("audit", "verify", check=1)
    assert b"row 4 follows row 2" in p.stdout


def test_snapshots_cannot_be_deleted(good):
    p = run("sqlite3", good.db, "DELETE FROM snapshot WHERE id = 1")
    assert p.returncode != 0 and b"kept forever" in p.stderr


def test_kill_9_mid_import_leaves_a_consistent_store(mirror):
    """Kill imports at random moments; every snapshot that exists is
    whole, and the audit chain still verifies."""
    files = [upstream(v) for v in RELEASES] + [
        HOSTILE / "evil-root-added.pem", HOSTILE / "leaf-appended.pem"]
    killed = 0
    for i in range(24):
        f = files[i % len(files)]
        proc = subprocess.Popen([CABUNDLED, "-d", mirror.datadir,
                                 "import", f], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep((i % 8) * 0.012)
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
    assert killed >= 12  # most were really killed mid-way
    with sqlite3.connect(mirror.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = db.execute("SELECT s.id, s.ncerts, s.verdict, "
                          "(SELECT count(*) FROM snapshot_cert c WHERE "
                          "c.snapshot = s.id) FROM snapshot s").fetchall()
        audited = db.execute("SELECT count(*) FROM audit WHERE action = "
                             "'snapshot'").fetchone()[0]
    for sid, ncerts, verdict, stored in rows:
        assert stored == (0 if verdict == "rejected" else ncerts), sid
    assert audited == len(rows)
    mirror("audit", "verify", check=0)
    # And the next import works normally.
    mirror("import", upstream("2026.07.22"), check=5)


def test_inspect_vet_judges_without_storing(good):
    good("inspect", "--vet", HOSTILE / "only-3-certs.pem", check=5)
    good("inspect", "--vet", HOSTILE / "captive-portal.html", check=1)
    good("inspect", "--vet", upstream("2026.07.22"), check=0)
    assert len(good.snapshots()) == 1


def test_auditor_recomputes_the_chain_without_our_code(good):
    """schema/README.md's recipe, run as an auditor would."""
    good("import", HOSTILE / "evil-root-added.pem", check=5)
    readme = (FIXTURES.parent.parent / "schema" / "README.md").read_text()
    recipe = readme.split("```python\n")[1].split("```")[0]
    recipe = recipe.replace('"cabundle.db"', repr(str(good.db)))
    run("/usr/bin/python3", "-c", recipe, check=0)
    run("sqlite3", good.db, "DROP TRIGGER audit_no_update; UPDATE audit "
        "SET details = '{}' WHERE id = 3", check=0)
    p = run("/usr/bin/python3", "-c", recipe, check=1)
    assert b"row 3 does not match" in p.stderr


def test_concurrent_writers_wait_instead_of_failing(mirror):
    """WAL and the busy timeout: parallel imports (a cron fetch while an
    operator imports) all land, none with "database is locked"."""
    procs = [subprocess.Popen([CABUNDLED, "-d", mirror.datadir, "import",
                               upstream(v)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for v in RELEASES]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 5, err
    assert len(mirror.snapshots()) == len(RELEASES)
    mirror("audit", "verify", check=0)


def test_a_schema_2_database_migrates_with_its_releases(good, tmp_path):
    """003 rebuilds the release table: an older database keeps every
    release byte for byte, and the rules on it hold afterwards."""
    good("publish", "--resign", check=0)
    old = tmp_path / "old" / "cabundle.db"
    old.parent.mkdir(mode=0o700)
    shutil.copytree(good.datadir / "keys", old.parent / "keys")
    # The same rows in a database made by migrations 001 and 002 only.
    cols = ("profile, version, build, created, expires, keyid, reason, "
            "signature")
    with sqlite3.connect(good.db) as src, sqlite3.connect(old) as db:
        for f in SCHEMA[:2]:
            db.executescript(f.read_text())
        db.execute("PRAGMA user_version = 2")
        for table in ("certificate", "body", "snapshot", "snapshot_cert",
                      "source", "audit", "signing_key", "build",
                      "build_cert"):
            # The columns the old table has (later migrations add some).
            names = ",".join(r[1] for r in db.execute(
                f"PRAGMA table_info({table})"))
            rows = src.execute(f"SELECT {names} FROM {table}").fetchall()
            if rows:
                marks = ",".join("?" * len(rows[0]))
                db.executemany(f"INSERT INTO {table} ({names}) VALUES "
                               f"({marks})", rows)
        want = src.execute(f"SELECT {cols} FROM release ORDER BY "
                           "profile, version").fetchall()
        db.executemany(f"INSERT INTO release ({cols}) VALUES "
                       "(?,?,?,?,?,?,?,?)", want)
    m = Mirror(old.parent)
    m("rebuild", "--check", check=0)    # opens it: migrates to 3
    with sqlite3.connect(old) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == \
            len(SCHEMA)
        assert db.execute(f"SELECT {cols} FROM release ORDER BY profile, "
                          "version").fetchall() == want
        for sql in ("DELETE FROM release",
                    "UPDATE release SET expires = expires + 1",
                    "INSERT INTO release SELECT * FROM release LIMIT 1"):
            with pytest.raises(sqlite3.DatabaseError):
                db.execute(sql)
    # The same history, but for the cause (schema 009): a release from
    # before 009 has none.
    migrated = m.json("history", "--json", "mozilla")
    assert [h.pop("cause") for h in migrated] == [None] * len(migrated)
    assert migrated == [{k: v for k, v in h.items() if k != "cause"}
                        for h in good.json("history", "--json", "mozilla")]
    m("publish", "--resign", check=0)
    assert [h["version"] for h in m.json("history", "--json", "mozilla")] \
        == [1, 2, 3]
