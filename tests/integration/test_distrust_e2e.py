"""Issue 22 end to end: the dates a real cabundled mirror publishes in
its signed constraints document (doc/SPEC.md 12) are the dates the real
client installs and shows.  test_constraints.py checks the server's
document on its own and test_client_distrust.py the client against a
hand-made one; here the one talks to the other.

The mirror is conftest.dated_mirror()'s: two roots dated 400 days ago
and 10 days ahead of the product's clock (any TEST_DATE), so every
expectation below is computed from the served document, never written
down.
"""
import hashlib
import json

import pytest

from conftest import (CABUNDLE, DAY, NOPROXY, Server, client_install,
                      dated_mirror, now, pem_blocks, run)

SUNSET_DAYS = 398


@pytest.fixture
def dated(mirror):
    mirror.dates = dated_mirror(mirror, policy="keep")
    return mirror


class Client:
    """One file target, its state and an empty config, installing
    profile mozilla from a real Server."""

    def __init__(self, tmp_path):
        self.target = tmp_path / "out" / "cacert.pem"
        self.target.parent.mkdir()
        self.state = tmp_path / "var" / "state.json"
        self.conf = tmp_path / "empty.conf"
        self.conf.write_bytes(b"")

    def install(self, s):
        p = client_install(s, "--config", self.conf, "--profile", "mozilla",
                           "--state", self.state, "--output", self.target,
                           "--json", check=0, env=NOPROXY)
        out = json.loads(p.stdout)
        assert out["result"] == "installed", out
        return out, p.stderr

    def status(self, *args):
        return run(CABUNDLE, "status", "--config", self.conf, "--state",
                   self.state, *args, check=0).stdout


def served_document(s, version):
    """The constraints document the server publishes for version."""
    r = s.get(f"/v1/mozilla/{version}/constraints.json")
    assert r.status_code == 200, r.status_code
    return json.loads(r.content)


def expect_status(c, doc):
    """status --json and the text form name exactly doc's roots, in its
    order, with its dates."""
    out = json.loads(c.status("--json"))
    assert len(out) == 1
    assert out[0]["distrust"] == doc["roots"]
    text = c.status().decode()
    lines = [x for x in text.splitlines() if ": dated root " in x]
    want = []
    for r in doc["roots"]:
        until = r["served_until"]
        want.append(f"{c.target}: dated root {r['label']} (sha256 "
                    f"{r['sha256'][:16]}...): Mozilla distrusts its TLS "
                    f"certificates issued after "
                    f"{r['server_distrust_after'][:10]}" +
                    (f"; served until {until[:10]}" if until else ""))
    assert lines == want, text


def test_the_servers_dates_reach_the_clients_status(dated, tmp_path):
    m, c = dated, Client(tmp_path)
    s = Server(m)
    s.mirror = m
    try:
        out, err = c.install(s)
        doc = served_document(s, out["version"])
        body = s.get(f"/v1/mozilla/{out['version']}/cacert.pem").content
    finally:
        s.stop()
    assert c.target.read_bytes() == body
    assert doc["bundle_sha256"] == hashlib.sha256(body).hexdigest()
    assert out["constraints"] == {"status": "verified",
                                  "roots": len(m.dates)}
    assert b"constraints" not in err, err
    # keep: both dated roots are served, with no end date.
    assert doc["policy"] == "keep"
    assert {r["sha256"] for r in doc["roots"]} == set(m.dates)
    assert all(r["served_until"] is None for r in doc["roots"])
    expect_status(c, doc)

    # Sunset: a new release leaves out the root past its date plus 398
    # days; the client's next install keeps only the live one, with its
    # served-until date.
    m("profile", "set", "--distrust-after", "sunset", "mozilla", check=0)
    s = Server(m)
    s.mirror = m
    try:
        again, err = c.install(s)
        doc2 = served_document(s, again["version"])
    finally:
        s.stop()
    assert again["version"] > out["version"]
    assert again["constraints"]["status"] == "verified"
    assert doc2["bundle_sha256"] == \
        hashlib.sha256(c.target.read_bytes()).hexdigest()
    assert doc2["policy"] == "sunset"
    live = {sha for sha, t in m.dates.items()
            if t + SUNSET_DAYS * DAY > now()}
    assert live and live != set(m.dates)
    assert {r["sha256"] for r in doc2["roots"]} == live
    assert again["constraints"]["roots"] == len(live)
    assert len(pem_blocks(c.target.read_bytes())) == \
        len(pem_blocks(body)) - (len(m.dates) - len(live))
    expect_status(c, doc2)
