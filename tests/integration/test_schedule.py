"""serve's schedules never hold up serving: a fetch or a relay hanging
on a silent upstream (one that accepts the connection and never
answers) does not delay serving what the command line changed, nor
SIGTERM; fetch_interval = 0 never fetches, not even at start; a fetch
process killed is logged and restarted while serving goes on."""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import SANITIZER_WORDS, Server, upstream
from upstream import FakeUpstream

SIG = "/v1/org/cacert.pem.minisig"
# Long enough that a fetch to a silent upstream outlasts every test.
HANG = ["upstream.connect_timeout=120", "upstream.timeout=300",
        "upstream.low_speed_time=300", "upstream.retries=0"]


class Silent:
    """A TCP server on 127.0.0.1 that accepts connections, holds them
    open and never sends a byte; `accepted` counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.accepted = 0
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            self.accepted += 1

    def wait(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while self.accepted < n:
            assert time.monotonic() < deadline, (
                f"{self.accepted} connection(s), want {n}")
            time.sleep(0.05)

    def all_closed(self, timeout=2):
        """Whether every connection was closed by its client (read to
        end of file) within timeout: no fetch outlived its process."""
        deadline = time.monotonic() + timeout
        for c in self.conns:
            while True:
                c.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    if c.recv(65536) == b"":
                        break
                except (socket.timeout, TimeoutError):
                    return False
                except OSError:
                    break
        return True

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent():
    s = Silent()
    yield s
    s.close()


def hanging(good, silent, kind):
    """good served with its schedule's fetch (or relay) stuck on silent."""
    if kind == "fetch":
        o = [f"upstream.url=https://127.0.0.1:{silent.port}/generate/"]
    else:
        # A profile this mirror does not sign itself, so the relay asks.
        o = [f"mirror.url=http://127.0.0.1:{silent.port}",
             "mirror.profile=relayed", "upstream.allow_insecure_http=yes",
             "mirror.key=" + good.key()["public_key"]]
    s = Server(good, *o, *HANG, "upstream.fetch_interval=3600")
    silent.wait(1)
    return s


def stop(s):
    """Server.stop, but a serve that does not stop is killed, not left
    behind."""
    try:
        return s.stop()
    except subprocess.TimeoutExpired:
        s.proc.kill()
        s.proc.wait()
        raise


def version(s):
    sig = s.get(SIG).text
    line = [x for x in sig.splitlines() if x.startswith("trusted comment")]
    return int(line[0].split("\tversion:")[1].split("\t")[0])


def children(pid):
    """The pids of a process's children, as the kernel lists them."""
    out = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def rounds(sched):
    """The scheduler's children but its signer ("cabundled ... signer")."""
    out = []
    for c in children(sched):
        try:
            with open(f"/proc/{c}/cmdline", "rb") as f:
                if f.read().split(b"\0")[-2:-1] != [b"signer"]:
                    out.append(c)
        except FileNotFoundError:
            pass
    return out


def gone(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" in f.read()
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("kind", ["fetch", "relay"])
def test_a_cli_change_is_served_within_a_second_while_a_fetch_hangs(
        good, silent, kind):
    s = hanging(good, silent, kind)
    try:
        before = version(s)
        good("publish", "--resign", check=0)
        t0 = time.monotonic()
        while version(s) == before:
            assert time.monotonic() - t0 < 5, "new release not served"
            time.sleep(0.05)
        took = time.monotonic() - t0
        print(f"{kind}: served {took:.3f} s after the command returned")
        assert took < 1.0, f"served only after {took:.3f} s"
        # The fetch was still hanging all along.
        assert b"fetch done" not in s.read(s.out)
    finally:
        stop(s)


def test_sigterm_stops_serve_mid_fetch_within_two_seconds(good, silent):
    s = hanging(good, silent, "fetch")
    time.sleep(0.5)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    try:
        rc = s.proc.wait(timeout=10)
    except BaseException:
        s.proc.kill()
        raise
    took = time.monotonic() - t0
    out = (s.read(s.out) + s.read(s.err)).decode(errors="replace")
    s.out.close()
    s.err.close()
    print(f"SIGTERM: exited {rc} after {took:.3f} s")
    for w in SANITIZER_WORDS:
        assert w.decode() not in out, out
    assert rc == 0, out
    assert took < 2.0, f"exit took {took:.3f} s"
    assert "stopping on signal 15" in out, out
    assert "fetch done" not in out
    assert "killed by signal" not in out
    assert "did not stop" not in out
    # The scheduler and the fetch process went with serve.
    assert silent.all_closed(), "a fetch outlived serve"


@pytest.mark.parametrize("kind", ["fetch", "relay", "once"])
def test_fetch_interval_0_never_fetches_not_even_at_start(good, silent,
                                                          kind):
    with FakeUpstream(host="127.0.0.1") as up:
        up.body = upstream("2026.07.22").read_bytes()
        o = ["upstream.url=" + up.url, f"upstream.ca_file={up.pki.ca}",
             "upstream.fetch_interval=0"]
        if kind == "relay":
            o += [f"mirror.url=http://127.0.0.1:{silent.port}",
                  "mirror.profile=relayed",
                  "upstream.allow_insecure_http=yes",
                  "mirror.key=" + good.key()["public_key"]]
        if kind == "once":
            # One round of the schedules: the renewals, no fetch.
            good.overrides = o
            p = good("serve", "--once", check=0)
            assert b"fetch" not in p.stdout, p.stdout
        else:
            s = Server(good, *o)
            try:
                time.sleep(3)
                assert s.get(SIG).status_code == 200
            finally:
                out = stop(s)
            assert "fetch" not in out, out
        assert up.requests == []
        assert silent.accepted == 0


def test_a_killed_fetch_process_is_logged_and_restarted(good, silent):
    s = hanging(good, silent, "fetch")
    try:
        sched = children(s.proc.pid)
        assert len(sched) == 1, sched
        fetcher = rounds(sched[0])
        assert len(fetcher) == 1, fetcher
        os.kill(fetcher[0], signal.SIGKILL)
        # Serving goes on meanwhile, and the fetch starts again.
        assert s.get(SIG).status_code == 200
        silent.wait(2, timeout=15)
        err = s.read(s.err).decode(errors="replace")
        assert "fetch process killed by signal 9; restarting in" in err, err
        assert s.proc.poll() is None
        assert s.get(SIG).status_code == 200
        assert rounds(sched[0]) not in ([], fetcher)
    finally:
        stop(s)
    assert silent.all_closed(), "a fetch outlived serve"


def test_kill_9_of_serve_takes_its_fetch_along(good, silent):
    """No orphan goes on fetching (and writing to the database) for a
    serve that is gone, even one killed without a chance to stop it."""
    s = hanging(good, silent, "fetch")
    sched = children(s.proc.pid)
    s.proc.kill()
    s.proc.wait(timeout=10)
    s.out.close()
    s.err.close()
    assert silent.all_closed(), "a fetch outlived serve"
    deadline = time.monotonic() + 2
    while not gone(sched[0]):
        assert time.monotonic() < deadline, "the scheduler outlived serve"
        time.sleep(0.05)
