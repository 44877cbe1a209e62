"""cabundled serve answers every document from memory: once serving,
the database can go away and every route still answers, with the same
bytes; a profile's history comes a page at a time."""
import os
import sqlite3
import threading
import time

import pytest
import requests

from conftest import Server, fingerprint, pem_blocks


def resign(m, n, profile="org"):
    for _ in range(n):
        m("publish", "--resign", "--profile", profile, check=0)


@pytest.fixture
def six(good):
    """The good mirror with org at version 6 (five re-signings)."""
    resign(good, 5)
    return good


def test_every_route_answers_with_the_database_moved_away(six, tmp_path):
    s = Server(six)
    db = six.db
    moved = []
    try:
        fp = fingerprint(pem_blocks(s.get("/v1/org/cacert.pem").content)[0])
        seen = ["/v1/org/diff/1/6", "/p/org/3", "/v1/upstream", "/v1/audit",
                "/v1/audit?after=2&limit=3", "/audit", "/quarantine",
                "/p/org", "/v1/org/history", "/v1/org/history?limit=2",
                f"/cert/{fp}", "/", "/v1/org/cacert.pem"]
        before = {p: s.get(p) for p in seen}
        for p, r in before.items():
            assert r.status_code == 200, p
        for f in os.listdir(db.parent):
            if f.startswith(db.name):
                os.rename(db.parent / f, tmp_path / f)
                moved.append(f)
        assert not db.exists()
        for p, r in before.items():
            again = s.get(p)
            assert again.status_code == 200, p
            assert again.content == r.content, p
        # Never asked before: made now, from memory.
        for p in ("/v1/org/diff/2/5", "/v1/mozilla/diff/1/1", "/p/org/2",
                  "/p/mozilla/1", "/audit?after=3",
                  "/v1/org/history?before=3&limit=1", "/p/org?before=4"):
            assert s.get(p).status_code == 200, p
        assert s.get("/v1/org/diff/1/7").status_code == 404
        load = [ln for ln in s.get("/metrics").text.splitlines()
                if ln.startswith("cabundle_site_load_seconds ")]
        assert 0 < float(load[0].split()[1]) < 10
    finally:
        for f in moved:
            os.rename(tmp_path / f, db.parent / f)
        s.stop()


def test_a_start_serves_the_newest_before_the_rest(six):
    """serve answers for the newest bundles as soon as they are read; the
    rest waits for the whole site, and is 503 (never 404) if that fails.
    Here an older release row is damaged so that only the whole load
    fails, which holds the server in its starting state."""
    s = Server(six)
    try:
        first = {p: s.get(p).content for p in (
            "/v1/org/cacert.pem", "/v1/org/cacert.pem.minisig",
            "/v1/pubkey", "/v1/mozilla/cacert.pem")}
    finally:
        s.stop()
    sqlite3.connect(six.db).executescript(
        "PRAGMA ignore_check_constraints = ON;"
        "DROP TRIGGER release_no_update;"
        "UPDATE release SET reason = 'damaged!' WHERE profile = 'org' "
        "AND version = 2;")
    s = Server(six, ready="/v1/org/cacert.pem.minisig")
    try:
        for p, body in first.items():
            r = s.get(p)
            assert r.status_code == 200, p
            assert r.content == body, p
        assert s.get("/healthz").status_code == 503
        t0 = time.monotonic()
        for p in ("/v1/org/history", "/v1/org/1/cacert.pem", "/p/org",
                  "/v1/org/diff/1/6", "/v1/profiles"):
            r = s.get(p)
            assert r.status_code == 503, p
            assert r.headers["Retry-After"] == "1", p
        # Each waited a moment for the whole site, not for ever.
        assert time.monotonic() - t0 < 5 * 5
        # A request waiting does not hold up a stop.
        def wait():
            try:
                s.get("/v1/org/history")
            except requests.ConnectionError:
                pass
        waiting = threading.Thread(target=wait)
        waiting.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        s.stop()
        assert time.monotonic() - t0 < 2
        waiting.join()
        assert s.stderr.count(b"load failed: only the newest releases") == 1
    finally:
        if s.proc.poll() is None:
            s.stop()


def test_history_pages_walk_back_from_the_newest(six):
    s = Server(six)
    try:
        whole = s.get("/v1/org/history").json()
        assert [r["version"] for r in whole] == [1, 2, 3, 4, 5, 6]
        page = s.get("/v1/org/history?limit=2").json()
        assert page == {"rows": whole[4:], "next": 5}
        page = s.get("/v1/org/history?before=5&limit=2").json()
        assert page == {"rows": whole[2:4], "next": 3}
        page = s.get("/v1/org/history?before=3&limit=2").json()
        assert page == {"rows": whole[:2], "next": None}
        assert s.get("/v1/org/history?before=3").json() == \
            {"rows": whole[:2], "next": None}
        assert s.get("/v1/org/history?before=1").json() == \
            {"rows": [], "next": None}

        html = s.get("/p/org?limit=2").text
        assert 'href="/p/org/6"' in html and 'href="/p/org/5"' in html
        assert 'href="/p/org/4"' not in html
        assert 'href="/p/org?before=5&amp;limit=2"' in html
        html = s.get("/p/org?before=5&limit=2").text
        assert 'href="/p/org/4"' in html and 'href="/p/org/3"' in html
        assert 'href="/p/org/5"' not in html
        assert 'href="/p/org?before=3&amp;limit=2"' in html
        html = s.get("/p/org?before=3&limit=2").text
        assert "older releases" not in html
        # The first page holds the newest 100: six fit, no link.
        html = s.get("/p/org").text
        assert 'href="/p/org/1"' in html and "older releases" not in html

        for bad in ("before=0", "before=x", "before=", "before=-1",
                    "limit=0", "limit=1001", "limit=01", "limit=x",
                    "limit=2&before=0"):
            for path in ("/v1/org/history?", "/p/org?"):
                r = s.get(path + bad)
                assert r.status_code == 400, path + bad
    finally:
        s.stop()
