"""A long mixed load on cabundled serve (bench/load.sh), with slow
clients holding connections open all the while.

bench/load.sh runs 256 wrk connections for LOAD_SECONDS (60 unless the
environment says otherwise) over latest signatures, versioned bodies,
304s, JSON documents and HTML pages, and exits 1 on any failed request
or when resident memory grew by 10% or more (the peak of the last third
of the run against the peak before it, once the working set settled).  Meanwhile this test holds
slowloris connections from other addresses, each dripping one header
byte a second, and a probe client from yet another address must be
served throughout.
"""
import http.client
import os
import pathlib
import re
import socket
import subprocess
import threading
import time

import requests

from conftest import CABUNDLED, ROOT, SANITIZER_WORDS, free_port

LOAD = ROOT / "bench" / "load.sh"
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))


def sanitized(binary):
    """True when binary was built with AddressSanitizer (make SANITIZE=1)."""
    return b"__asan_init" in pathlib.Path(binary).read_bytes()


class Slowloris:
    """per_source connections from each of sources that send a request
    one byte a second and never finish it."""

    LINE = b"GET /v1/mozilla/cacert.pem HTTP/1.1\r\nHost: x\r\nX-a: " + \
        b"a" * 4000

    def __init__(self, port, sources, per_source):
        self.socks = []
        for src in sources:
            for _ in range(per_source):
                c = socket.socket()
                c.settimeout(5)
                c.bind((src, 0))
                try:
                    c.connect(("127.0.0.1", port))
                except OSError:
                    c.close()
                    continue
                self.socks.append(c)
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.drip)
        self.thread.start()

    def drip(self):
        i = 0
        while not self.stop.wait(1):
            for c in self.socks:
                try:
                    c.sendall(self.LINE[i:i + 1])
                    self.sent += 1
                except OSError:
                    pass
            i = (i + 1) % len(self.LINE)

    def close(self):
        self.stop.set()
        self.thread.join()
        for c in self.socks:
            c.close()


def probe(port):
    """The latest mozilla signature, asked for from 127.0.0.9."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=("127.0.0.9", 0))
    try:
        c.request("GET", "/v1/mozilla/cacert.pem.minisig")
        r = c.getresponse()
        assert r.status == 200, r.status
        return r.read()
    finally:
        c.close()


def test_256_connections_for_a_minute_with_slowloris(tmp_path):
    port = free_port()
    work = tmp_path / "load"
    # ASan keeps freed memory in quarantine: its resident memory is the
    # sanitizer's, not ours to judge.
    growth = "1000" if sanitized(CABUNDLED) else "10"
    env = dict(os.environ, CABUNDLED=CABUNDLED, PORT=str(port), PEER="0",
               KEEP=str(work), LOAD_SECONDS=str(SECONDS), CONNECTIONS="256",
               WARMUP="10", MAX_GROWTH=growth)
    out = open(tmp_path / "load.out", "w+b")
    proc = subprocess.Popen(["sh", str(LOAD)], env=env, stdout=out,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Wait for the server, then for wrk to be at it.
        deadline = time.time() + 120
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, out.read()
            assert time.time() < deadline, "serve did not come up"
            time.sleep(0.2)
        up = time.time()
        want = probe(port)
        # 4 x 64 dripping connections from other addresses.
        slow = Slowloris(port, [f"127.0.0.{i}" for i in range(2, 6)], 64)
        assert len(slow.socks) == 256
        # Until the load ends (10 s warm-up, then the run), a client from
        # one more address is served every second.
        waits = []
        try:
            while time.time() < up + 10 + SECONDS:
                t = time.time()
                assert probe(port) == want
                waits.append(time.time() - t)
                time.sleep(1)
        finally:
            slow.close()
        proc.wait(timeout=SECONDS + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out.seek(0)
    text = out.read().decode(errors="replace")
    log = (work / "cabundled.log").read_bytes()
    for w in SANITIZER_WORDS:
        assert w not in log, log.decode(errors="replace")[-4000:]
    m = re.search(r"load: errors (\d+) rss_kb_early_peak (\d+) "
                  r"rss_kb_end_peak (\d+) growth_pct (-?[\d.]+)", text)
    assert m, text
    errors, before, after, grew = (int(m[1]), int(m[2]), int(m[3]),
                                   float(m[4]))
    run = re.search(r"load: run wrk: requests (\d+)", text)
    # The load really ran, and every request of it was answered.
    assert int(run[1]) > SECONDS * 100, text
    assert errors == 0, text
    # The slow connections stayed open and dripped the whole time...
    assert slow.sent > 256 * (SECONDS // 2), slow.sent
    # ...and the probe from another address was served throughout.
    assert len(waits) >= SECONDS // 2, (len(waits), text)
    assert max(waits) < 5, waits
    assert grew < float(growth), (before, after, text)
    assert proc.returncode == 0, text
