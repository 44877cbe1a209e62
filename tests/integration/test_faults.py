"""Faults: a hostile or broken upstream, a server killed mid-way, a
locked database, a full disk.  Whatever happens, the fault is refused
with its reason, in bounded time and memory, the database stays
consistent and what is served does not change.

test_fetch.py and test_store.py already check each upstream fault's
exit code and that the accepted snapshot stays; here every fault goes
through one common contract (exit code, reason, wall time, peak RSS of
the fetching process, a running serve and a fresh export byte for byte
unchanged, the release rows unchanged, the audit chain intact).
"""
import contextlib
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import (CABUNDLED, RELEASES, SANITIZER_WORDS, Mirror, Server,
                      approve, run, upstream)
from upstream import FakeUpstream, make_test_pki, pubkey_pin

HOSTILE = upstream("2026.07.22").parents[1] / "hostile"
GOOD = upstream("2026.07.22")      # the accepted body everywhere here
NEW = upstream("2025.07.14")       # a different, valid body
CAP = 4194304                      # upstream.max_bytes default
IP = "127.0.0.1"                   # not localhost: see FakeUpstream's host

# Run a command under a small Python that forks and execs it, and
# reports its exit status and ru_maxrss.  Measured from the test itself
# ru_maxrss would start at pytest's own size: on Linux a child's
# high-water mark carries over from the process it was forked from.
PEAK = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d" % (os.waitstatus_to_exitcode(status), ru.ru_maxrss))
"""


@contextlib.contextmanager
def database(path):
    """A Python connection to the store, always closed (an open one
    keeps a tmpfs busy and the WAL from being checkpointed)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        yield db
    finally:
        db.close()


def measured(m, *args, timeout=90):
    """Run cabundled with m's options.  Returns (exit, seconds, peak RSS
    in KiB, stdout, stderr); any sanitizer report fails the test."""
    cmd = [CABUNDLED, "-d", m.datadir]
    for o in m.overrides:
        cmd += ["-o", o]
    result = m.datadir.parent / "peak.out"
    t = time.monotonic()
    p = subprocess.Popen(["/usr/bin/python3", "-I", "-S", "-c", PEAK,
                          str(result), *map(str, cmd), *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"{args} still running after {timeout} s")
    secs = time.monotonic() - t
    assert p.returncode == 0, err
    code, rss = map(int, result.read_text().split())
    for w in SANITIZER_WORDS:
        assert w not in err, err.decode(errors="replace")
    return code, secs, rss, out, err


def integrity(m):
    """The store is whole: SQLite's own checks and the audit chain."""
    with database(m.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    m("audit", "verify", check=0)


def db_state(m):
    """What a fault must not change in the store."""
    with database(m.db) as db:
        return {
            "accepted": db.execute("SELECT max(id) FROM snapshot WHERE "
                                   "status = 'accepted'").fetchone(),
            "snapshots": db.execute("SELECT id, status FROM snapshot "
                                    "ORDER BY id").fetchall(),
            "releases": db.execute("SELECT profile, version, signature "
                                   "FROM release ORDER BY 1, 2").fetchall(),
        }


def served(server):
    """Every release document a client reads, as the server sends it:
    the lists, the key, each profile's history and latest files."""
    docs = {}
    r = server.get("/v1/profiles")
    assert r.status_code == 200
    docs["/v1/profiles"] = r.content
    paths = ["/v1/pubkey"]
    for p in r.json():
        if p["version"] is None:
            continue
        name, v = p["name"], p["version"]
        paths += [f"/v1/{name}/history", f"/v1/{name}/cacert.pem",
                  f"/v1/{name}/cacert.pem.minisig",
                  f"/v1/{name}/{v}/cacert.pem.minisig"]
    for path in paths:
        r = server.get(path)
        assert r.status_code == 200, path
        docs[path] = r.content
    return docs


def exported(m, where):
    """The same tree as a fresh serve would send it (export writes what
    serve sends), less the two logs a refused fetch may add to: the
    audit log and the snapshots, as JSON and as pages."""
    m("export", where, check=0)
    tree = {}
    for f in sorted(where.rglob("*")):
        rel = str(f.relative_to(where))
        if f.is_file() and rel not in ("v1/upstream", "v1/audit",
                                       "audit/index.html") and \
                not rel.startswith(("v1/snapshots/", "snapshots/")):
            tree[rel] = f.read_bytes()
    shutil.rmtree(where)
    return tree


def latest_verifies(m, server, tmp_path):
    """Each profile's latest signature as served is the newest in the
    database and verifies over the served body with stock minisign."""
    pub = tmp_path / "key.pub"
    pub.write_bytes(server.get("/v1/pubkey").content)
    with database(m.db) as db:
        newest = dict(db.execute(
            "SELECT profile, CAST(signature AS BLOB) FROM release r WHERE "
            "version = (SELECT max(version) FROM release WHERE profile = "
            "r.profile)").fetchall())
    assert newest
    for profile, sig in newest.items():
        got = server.get(f"/v1/{profile}/cacert.pem.minisig").content
        assert got == sig, profile
        body = server.get(f"/v1/{profile}/cacert.pem").content
        (tmp_path / "b.pem").write_bytes(body)
        (tmp_path / "b.pem.minisig").write_bytes(got)
        run("minisign", "-H", "-Vm", tmp_path / "b.pem", "-x",
            tmp_path / "b.pem.minisig", "-p", pub, check=0)
        assert hashlib.sha256(body).hexdigest().encode() in got


# -- Upstream faults -------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def bed(tmp_path_factory, pki):
    """One mirror with GOOD accepted and published, a serve answering
    from it, the fake mkcert.org, and the baseline peak RSS of a good
    fetch (TLS and all) to compare each fault's with."""
    tmp = tmp_path_factory.mktemp("faults")
    with FakeUpstream(pki, host=IP) as up:
        m = Mirror(tmp / "data")
        # A generous total timeout: the time bounds below must come from
        # the specific guard (cap, low-speed abort, refusal), not this.
        m.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % pki.ca,
                       "upstream.retries=0", "upstream.timeout=40",
                       "upstream.connect_timeout=5",
                       "upstream.low_speed_limit=100",
                       "upstream.low_speed_time=2"]
        m("init", "--actor", "tester", check=0)
        up.body = GOOD.read_bytes()
        m("fetch", check=5)
        approve(m, 1)
        code, _, baseline, _, _ = measured(m, "fetch")
        assert code == 0
        server = Server(m)
        try:
            yield dict(m=m, up=up, pki=pki, server=server, tmp=tmp,
                       baseline=baseline)
        finally:
            server.stop()


def _reset(bed):
    bed["up"].mode = "reset"
    bed["up"].body = NEW.read_bytes()


def _endless(bed):
    bed["up"].mode = "endless"
    bed["up"].body = NEW.read_bytes()


def _drip(bed):
    bed["up"].mode = "drip"
    bed["up"].body = NEW.read_bytes()


def _pin(bed):
    bed["up"].body = NEW.read_bytes()
    return ["upstream.pinned_pubkey=" + pubkey_pin(bed["pki"].wrong_cert)]


def _wrong_host(bed):
    wrong = FakeUpstream(bed["pki"], cert="wrong", host=IP)
    wrong.body = NEW.read_bytes()
    bed["extra"] = wrong
    return ["upstream.url=" + wrong.url]


def _redirect_other_host(bed):
    # https, and a certificate valid for the target: only the host name
    # differs from the configured one (127.0.0.1 -> localhost).
    other = FakeUpstream(bed["pki"])
    other.body = NEW.read_bytes()
    bed["extra"] = other
    bed["up"].redirect = other.url
    return ["upstream.url=" + bed["up"].base + "/generate"]


def _redirect_http(bed):
    plain = FakeUpstream(tls=False, host=IP)
    plain.body = NEW.read_bytes()
    bed["extra"] = plain
    bed["up"].redirect = plain.url
    return ["upstream.url=" + bed["up"].base + "/generate",
            "upstream.allow_insecure_http=yes"]


def _html(bed):
    bed["up"].body = (HOSTILE / "captive-portal.html").read_bytes()
    bed["up"].content_type = "text/html; charset=utf-8"


# name: (set the fault up, exit code, words of the reason, where said)
FAULTS = {
    "reset-mid-body": (_reset, 3, [b"Connection reset by peer"], "err"),
    "endless-body": (_endless, 1, [b"body larger than 4194304 bytes"],
                     "err"),
    "drip-feed": (_drip, 3, [b"too slow", b"100 bytes/sec"], "err"),
    "pin-mismatch": (_pin, 3, [b"pinned public key"], "err"),
    "wrong-host-name": (_wrong_host, 3, [b"'127.0.0.1'", b"name"], "err"),
    "redirect-other-host": (_redirect_other_host, 3,
                            [b"redirect to https://localhost:",
                             b"refused (another host than 127.0.0.1)"],
                            "err"),
    "redirect-to-http": (_redirect_http, 3,
                         [b"redirect to http://127.0.0.1:", b"refused"],
                         "err"),
    # A vetting verdict: the report on standard output says why.
    "html-200": (_html, 1, [b"rejected", b"HTML, not a PEM bundle"],
                 "out"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_upstream_fault_is_refused_bounded_and_changes_nothing(bed, fault):
    setup, want, words, where = FAULTS[fault]
    m, up, server = bed["m"], bed["up"], bed["server"]
    before_db, before_http = db_state(m), served(server)
    before_tree = exported(m, bed["tmp"] / "before")
    saved = list(m.overrides)
    try:
        m.overrides += setup(bed) or []
        code, secs, rss, out, err = measured(m, "fetch")
    finally:
        m.overrides = saved
        up.mode, up.redirect = "normal", "/generate/"
        up.content_type = "application/x-pem-file"
        extra = bed.pop("extra", None)
        if extra is not None:
            extra.close()
    said = err if where == "err" else out
    assert code == want, (out, err)
    for w in words:
        assert w in said, (out, err)
    # Bounded: well under the 40 s total timeout (drip: the 2 s
    # low-speed window), and memory no more than the body cap above a
    # good fetch's peak, plus room for libcurl's buffers.
    assert secs < 15, f"{fault} took {secs:.1f} s"
    assert rss - bed["baseline"] < (CAP + 16 * 2**20) // 1024, (
        f"{fault}: peak RSS {rss} KiB, good fetch {bed['baseline']} KiB")
    if fault == "redirect-other-host" or fault == "redirect-to-http":
        assert extra.requests == [], "the redirect target was contacted"
    # Nothing served changes; nothing in the store but a rejected
    # snapshot (html-200) with its audit row.
    after_db = db_state(m)
    assert after_db["releases"] == before_db["releases"]
    assert after_db["accepted"] == before_db["accepted"]
    n = len(before_db["snapshots"])
    assert after_db["snapshots"][:n] == before_db["snapshots"]
    assert [status for _, status in after_db["snapshots"][n:]] == (
        ["rejected"] if fault == "html-200" else [])
    m("audit", "verify", check=0)
    assert served(server) == before_http
    assert exported(m, bed["tmp"] / "after") == before_tree
    assert server.proc.poll() is None


# -- kill -9 ---------------------------------------------------------------

def test_kill_9_during_a_scheduled_fetch_then_restart(tmp_path, pki):
    """serve killed while its fetch drips in: restarted, it serves the
    same releases, and the store holds nothing of the half fetch."""
    with FakeUpstream(pki, host=IP) as up:
        m = Mirror(tmp_path / "data")
        m("init", "--actor", "tester", check=0)
        m("import", GOOD, check=5)
        approve(m, 1)
        before = db_state(m)
        up.body, up.mode = NEW.read_bytes(), "drip"
        s = Server(m, "upstream.url=" + up.url,
                   "upstream.ca_file=%s" % pki.ca,
                   "upstream.fetch_interval=3600")
        try:
            docs = served(s)
            deadline = time.monotonic() + 20
            while not up.requests:
                assert time.monotonic() < deadline, "no fetch started"
                time.sleep(0.05)
            assert b"fetch done" not in s.read(s.out)
        finally:
            s.proc.kill()
            s.proc.wait(timeout=30)
            s.out.close()
            s.err.close()
        assert s.proc.returncode == -signal.SIGKILL
    integrity(m)
    assert db_state(m) == before
    s = Server(m)
    try:
        assert served(s) == docs
        latest_verifies(m, s, tmp_path)
    finally:
        s.stop()


def test_kill_9_during_import_and_publish_then_restart(tmp_path):
    """Imports that are accepted and publish every profile, and
    --resign of every profile, killed at random moments: the store
    stays whole, every publication is all profiles or none, and a
    restarted serve sends the newest releases, which stock minisign
    verifies."""
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    bodies = [upstream(v) for v in RELEASES[-3:]]
    # Pinned bodies are accepted whatever the churn: each import is a
    # new composition for every profile, published right after.
    m.overrides = ["vet.pinned_digest=" + hashlib.sha256(
        b.read_bytes()).hexdigest() for b in bodies]
    for i in range(3):
        m("profile", "add", f"p{i}", check=0)

    def spawn(*args):
        cmd = [CABUNDLED, "-d", m.datadir]
        for o in m.overrides:
            cmd += ["-o", o]
        return subprocess.Popen([str(c) for c in cmd + list(args)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def span(*args):
        """How long the command takes when left alone."""
        t = time.monotonic()
        assert spawn(*args).wait(timeout=60) == 0, args
        return time.monotonic() - t

    spans = {"import": span("import", GOOD),
             "publish": span("publish", "--resign")}
    with database(m.db) as db:
        base = dict(db.execute("SELECT profile, max(version) FROM release "
                               "GROUP BY profile").fetchall())
    assert len(base) == 5       # mozilla, org, p0..p2 (org-only: empty)
    rng = random.Random(9)
    rounds = [("publish", "--resign")] * 8 + [
        ("import", bodies[i % 2]) for i in range(4)]
    rng.shuffle(rounds)
    killed = 0
    for args in rounds:
        proc = spawn(*args)
        time.sleep(rng.uniform(0, spans[args[0]]))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait(timeout=30) == -signal.SIGKILL
    assert killed >= len(rounds) // 2, f"only {killed} killed mid-way"
    integrity(m)
    m("rebuild", "--check", check=0)
    with database(m.db) as db:
        # Each snapshot whole, with its audit row (as test_store's
        # kill test, here with publishing in the way).
        for sid, ncerts, stored in db.execute(
                "SELECT id, ncerts, (SELECT count(*) FROM snapshot_cert "
                "WHERE snapshot = s.id) FROM snapshot s"):
            assert stored == ncerts, sid
        assert db.execute("SELECT count(*) FROM audit WHERE action = "
                          "'snapshot'").fetchone()[0] == \
            db.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        now = dict(db.execute("SELECT profile, max(version) FROM release "
                              "GROUP BY profile").fetchall())
        # Versions go up by one, without a gap.
        for profile, n in db.execute("SELECT profile, count(*) FROM "
                                     "release GROUP BY profile"):
            assert n == now[profile], profile
    # All were due at every publication: each one that committed gave
    # every profile one version more, or none did.
    assert len({now[p] - base[p] for p in base}) == 1, (base, now)
    s = Server(m)
    try:
        latest_verifies(m, s, tmp_path)
    finally:
        s.stop()


# -- A locked database -----------------------------------------------------

def test_a_locked_database_fails_writers_clearly_and_corrupts_nothing(
        tmp_path, pki):
    """Another process holds the write lock longer than the busy
    timeout (10 s, DB_BUSY_MS): every writing command fails with exit 4
    naming the lock and the timeout; readers and a running serve go on;
    afterwards the store is whole and the same commands work."""
    with FakeUpstream(pki, host=IP) as up:
        m = Mirror(tmp_path / "data")
        m.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % pki.ca, "upstream.retries=0"]
        m("init", "--actor", "tester", check=0)
        m("import", GOOD, check=5)
        approve(m, 1)
        up.body = NEW.read_bytes()
        before = db_state(m)
        s = Server(m)
        try:
            docs = served(s)
            writers = [["fetch"], ["import", NEW], ["publish", "--resign"],
                       ["org", "add", pki.ca]]
            cmd = [CABUNDLED, "-d", m.datadir]
            for o in m.overrides:
                cmd += ["-o", o]
            with database(m.db) as lock:
                lock.execute("BEGIN EXCLUSIVE")
                t = time.monotonic()
                procs = [subprocess.Popen([str(c) for c in cmd + w],
                                          stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE)
                         for w in writers]
                # Meanwhile readers read (WAL) and serve serves.
                for r in (["snapshots", "--json"], ["audit", "verify"],
                          ["history", "mozilla"]):
                    t0 = time.monotonic()
                    m(*r, check=0)
                    assert time.monotonic() - t0 < 8, r
                assert served(s) == docs
                results = [(w, p.communicate(timeout=60), p.returncode,
                            time.monotonic() - t)
                           for w, p in zip(writers, procs)]
                lock.execute("ROLLBACK")
            for w, (out, err), code, secs in results:
                for word in SANITIZER_WORDS:
                    assert word not in err
                assert code == 4, (w, out, err)
                assert b"database is locked" in err, (w, err)
                assert b"10 s busy timeout" in err, (w, err)
                assert 9 < secs < 40, (w, secs)
            integrity(m)
            assert db_state(m) == before
            assert served(s) == docs
            m("import", NEW, check=5)
            m("org", "add", pki.ca, check=0)
        finally:
            s.stop()


# -- The disk full, the file size limit ------------------------------------

def test_file_size_limit_fails_the_ingest_cleanly(tmp_path):
    """ulimit -f below what an import writes: write() says EFBIG (no
    SIGXFSZ kill), the import fails with exit 4 and says why, the store
    and what serve sends are unchanged; without the limit it works."""
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0)
    m("import", GOOD, check=5)
    approve(m, 1)
    before = db_state(m)
    limit = 64 * 1024   # one import writes ~1 MB of WAL, a body ~290 kB

    def small_files():
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    s = Server(m)
    try:
        docs = served(s)
        p = run(CABUNDLED, "-d", m.datadir, "import", NEW,
                preexec_fn=small_files)
        assert p.returncode != -signal.SIGXFSZ, "killed by SIGXFSZ"
        assert p.returncode == 4, p.stderr
        assert b"disk I/O error" in p.stderr, p.stderr
        assert b"file size limit" in p.stderr, p.stderr
        # export writes the tree of files the same way.
        p = run(CABUNDLED, "-d", m.datadir, "export", tmp_path / "exp",
                preexec_fn=small_files)
        assert p.returncode == 4, p.stderr
        assert b"File too large" in p.stderr, p.stderr
        assert b"latest pointers are unchanged" in p.stderr
        integrity(m)
        assert db_state(m) == before
        assert served(s) == docs
        m("import", NEW, check=5)
    finally:
        s.stop()


@pytest.fixture
def tiny_fs(tmp_path):
    """A 16 MiB tmpfs for the data directory, unmounted afterwards."""
    where = tmp_path / "tiny"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=16m,mode=0700", "cabundle-test", str(where)],
                       capture_output=True)
    if p.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " +
                    p.stderr.decode(errors="replace").strip())
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)]).returncode != 0:
            subprocess.run(["umount", "-l", str(where)])


def test_a_full_disk_fails_the_ingest_cleanly_and_serving_goes_on(
        tmp_path, tiny_fs):
    """The data directory's file system fills up: imports and publishing
    fail with exit 4 naming the full disk, a running serve keeps sending
    the last good releases, the store passes its checks, and once there
    is room again the same import works."""
    m = Mirror(tiny_fs)         # serve's logs go to tmp_path, not here
    m("init", "--actor", "tester", check=0)
    m("import", GOOD, check=5)
    approve(m, 1)
    before = db_state(m)
    s = Server(m)
    try:
        docs = served(s)
        filler = tiny_fs / "filler"
        with open(filler, "wb", buffering=0) as f:
            with pytest.raises(OSError) as e:
                while True:
                    f.write(b"\0" * 65536)
        assert e.value.errno == 28          # ENOSPC
        with contextlib.suppress(OSError):
            while True:                     # the last partial blocks
                with open(filler, "ab", buffering=0) as f:
                    f.write(b"\0" * 512)
        for args in (["import", NEW], ["publish", "--resign"]):
            p = m(*args)
            assert p.returncode == 4, (args, p.stderr)
            assert b"database or disk is full" in p.stderr, p.stderr
        assert served(s) == docs
        integrity(m)
        assert db_state(m) == before
        filler.unlink()
        m("import", NEW, check=5)
        integrity(m)
        assert served(s) == docs            # quarantined: nothing new
        assert s.proc.poll() is None
    finally:
        s.stop()
