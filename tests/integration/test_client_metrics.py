"""cabundle install --metrics FILE: a Prometheus textfile written after
every run, read by the real consumer: Debian's prometheus-node-exporter
with its textfile collector, scraped over HTTP, and checked by promtool
("promtool check metrics") when it is installed.

After a successful install the values are there; after a refused run
the old release still counts as held (target_ok 1), the last success is
the one before and the exit code is 1; an unreachable mirror is 3.  The
file is replaced by rename, never written in place: no temporary file
is left, a scrape never fails, and label values are escaped."""
import json
import re
import shutil
import subprocess
import time

import pytest
import requests

from conftest import NOPROXY, body_of, free_port, now, run, sha256

EXPORTER = shutil.which("prometheus-node-exporter") or \
    "/usr/bin/prometheus-node-exporter"
PROMTOOL = shutil.which("promtool")

pytestmark = pytest.mark.skipif(not shutil.which(EXPORTER) and
                                not __import__("os").path.exists(EXPORTER),
                                reason="apt-get install "
                                "prometheus-node-exporter (make test-deps)")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
                   r'(,|$)')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1),
                                                    m.group(1)), v)


def parse(text):
    """[(name, {label: value}, float)] of an exposition text; anything
    that is not a comment or a well-formed sample fails the test."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels, rest = {}, m.group(2) or ""
        while rest:
            lm = LABEL.match(rest)
            assert lm, f"bad labels: {line!r}"
            labels[lm.group(1)] = unescape(lm.group(2))
            rest = rest[lm.end():]
        out.append((m.group(1), labels, float(m.group(3))))
    return out


class Exporter:
    def __init__(self, d):
        self.port = free_port()
        self.p = subprocess.Popen(
            [EXPORTER, "--collector.disable-defaults",
             "--collector.textfile", f"--collector.textfile.directory={d}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                self.scrape_text()
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("node exporter did not start")

    def scrape_text(self):
        r = requests.get(f"http://127.0.0.1:{self.port}/metrics",
                         timeout=10, proxies={"http": None})
        r.raise_for_status()
        return r.text

    def scrape(self):
        """{name: [(labels, value)]} of the cabundle_ samples, after
        checking the collector read the file without an error."""
        samples = parse(self.scrape_text())
        errs = [v for n, _, v in samples if n ==
                "node_textfile_scrape_error"]
        assert errs == [0.0], "the textfile collector could not parse it"
        out = {}
        for n, labels, v in samples:
            if n.startswith("cabundle_"):
                out.setdefault(n, []).append((labels, v))
        return out

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


@pytest.fixture
def exporter(tmp_path):
    d = tmp_path / "textfile"
    d.mkdir()
    e = Exporter(d)
    e.dir = d
    yield e
    e.stop()


def install(env, prom, *extra, check=None, **kw):
    return run(*env.args(**kw), "--metrics", prom, *extra, check=check,
               env=NOPROXY)


def one(m, name, **labels):
    """The value of the one sample of name whose labels include these."""
    got = [v for ls, v in m.get(name, []) if all(ls.get(k) == x for k, x
                                                 in labels.items())]
    assert len(got) == 1, (name, labels, m.get(name))
    return got[0]


def promtool_ok(path):
    if PROMTOOL is None:
        return
    p = run(PROMTOOL, "check", "metrics", stdin=open(path, "rb"))
    assert p.returncode == 0, p.stdout + p.stderr


def test_metrics_after_an_install_then_a_refused_run(env, exporter):
    prom = exporter.dir / "cabundle.prom"
    env.publish(1)
    before = int(now())
    out = json.loads(install(env, prom, check=0).stdout)
    after = int(now()) + 1
    promtool_ok(prom)
    m = exporter.scrape()
    for t in env.targets:
        assert one(m, "cabundle_installed_version", profile="org",
                   target=str(t)) == 1
        assert one(m, "cabundle_target_ok", profile="org",
                   target=str(t)) == 1
        assert one(m, "cabundle_installed_info", profile="org",
                   target=str(t), sha256=sha256(t),
                   key_id=out["key_id"]) == 1
    assert one(m, "cabundle_release_expiry_seconds",
               profile="org") == out["expires"]
    success = one(m, "cabundle_last_success_timestamp_seconds",
                  profile="org")
    assert before <= success <= after
    assert one(m, "cabundle_last_run_exit_code", profile="org") == 0

    # Refused: a release signed by a key not trusted.  The old release
    # stays and still counts; the last success is the one before.
    env.publish(2, key=env.keys.k2)
    time.sleep(1.1)
    install(env, prom, check=1)
    promtool_ok(prom)
    m = exporter.scrape()
    for t in env.targets:
        assert t.read_bytes() == body_of(1)
        assert one(m, "cabundle_target_ok", profile="org",
                   target=str(t)) == 1
        assert one(m, "cabundle_installed_version", profile="org",
                   target=str(t)) == 1
    assert one(m, "cabundle_last_success_timestamp_seconds",
               profile="org") == success
    assert one(m, "cabundle_last_run_exit_code", profile="org") == 1
    assert sorted(x.name for x in exporter.dir.iterdir()) == \
        ["cabundle.prom"], "a temporary file was left beside it"


def test_metrics_target_changed_unreachable_and_current(env, exporter):
    prom = exporter.dir / "cabundle.prom"
    env.publish(1)
    install(env, prom, check=0)
    ino = prom.stat().st_ino
    # A target edited behind our back: not ok any more.
    env.targets[1].write_bytes(b"# edited\n")
    env.m.stop()
    install(env, prom, check=3)
    assert prom.stat().st_ino != ino, "rewritten in place, not renamed"
    m = exporter.scrape()
    assert one(m, "cabundle_last_run_exit_code", profile="org") == 3
    assert one(m, "cabundle_target_ok", profile="org",
               target=str(env.targets[0])) == 1
    assert one(m, "cabundle_target_ok", profile="org",
               target=str(env.targets[1])) == 0
    promtool_ok(prom)


def test_metrics_escape_label_values(env, exporter, tmp_path):
    """A target path with a quote, a backslash and a newline still makes
    a file the node exporter and promtool accept, with the path back."""
    odd = tmp_path / 'we"ird\\dir\nname'
    odd.mkdir()
    target = odd / "cacert.pem"
    prom = exporter.dir / "cabundle.prom"
    env.publish(1)
    install(env, prom, check=0, targets=[target])
    promtool_ok(prom)
    m = exporter.scrape()
    assert one(m, "cabundle_target_ok", profile="org",
               target=str(target)) == 1


def test_metrics_written_even_when_nothing_can_be_installed(env, exporter,
                                                            tmp_path):
    """A local error (a target that is a directory) is exit 4 in the
    file; a usage error writes nothing: nothing is known yet."""
    prom = exporter.dir / "cabundle.prom"
    d = tmp_path / "adir"
    d.mkdir()
    env.publish(1)
    install(env, prom, check=4, targets=[d])
    assert one(exporter.scrape(), "cabundle_last_run_exit_code",
               profile="org") == 4
    prom.unlink()
    install(env, prom, "--timeout", "0", check=2)
    assert not prom.exists()


def test_metrics_target_ok_judges_java_and_nss_by_their_contents(env,
                                                                  tmp_path):
    """cabundle_target_ok reads a Java store and an NSS database the way
    status does (their bytes are not the bundle's): 1 after the install,
    0 for the database once certutil deleted a certificate from it."""
    prom = tmp_path / "cabundle.prom"
    store, db = tmp_path / "trust.p12", tmp_path / "nssdb"
    env.publish(1)
    install(env, prom, "--java", store, "--nssdb", db, check=0,
            targets=[])
    promtool_ok(prom)
    m = {}
    for n, labels, v in parse(prom.read_text()):
        m.setdefault(n, []).append((labels, v))
    assert one(m, "cabundle_target_ok", target=str(store)) == 1
    assert one(m, "cabundle_target_ok", target=str(db)) == 1
    nick = next(line.rstrip().rsplit(None, 1)[0].strip() for line in run(
        "certutil", "-L", "-d", f"sql:{db}", check=0).stdout.decode(
        ).splitlines() if line.rstrip().endswith("C,,"))
    run("certutil", "-D", "-d", f"sql:{db}", "-n", nick, check=0)
    env.m.stop()
    install(env, prom, "--java", store, "--nssdb", db, check=3,
            targets=[])
    m = {}
    for n, labels, v in parse(prom.read_text()):
        m.setdefault(n, []).append((labels, v))
    assert one(m, "cabundle_target_ok", target=str(store)) == 1
    assert one(m, "cabundle_target_ok", target=str(db)) == 0
