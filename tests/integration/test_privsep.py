"""serve split by privilege (issue 19): the HTTP process runs as
[serve] user when started as root, with a read-only database and no
way to the secret key; only the signer opens the key, and it gives up
what it can (another user, no new privileges, seccomp) and signs only
well-formed cabundle/1 requests for a stored build's body at the next
version.  The signer is driven here directly, over the socket it is
started with, to show each refusal."""
import os
import pwd
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import (CABUNDLED, DAY, Mirror, Server, dated_mirror,
                      minisign_ok, now, run, tc, upstream)
from upstream import FakeUpstream, make_test_pki

ROOT = os.geteuid() == 0
USER = "_cabundled"


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if status(d).get("PPid") == str(pid):
                    out.append(int(d))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return out


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[:-1]


def open_files(pid):
    """{fd: (target, flags)} of a process."""
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                flags = int([x for x in f if x.startswith("flags:")][0]
                            .split()[1], 8)
        except FileNotFoundError:
            continue
        out[int(fd)] = (target, flags)
    return out


def signer_of(s, timeout=10):
    """serve's signer: the scheduler's child started as "... signer"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sched in children(s.proc.pid):
            for c in children(sched):
                if cmdline(c)[-1:] == [b"signer"]:
                    return c
        time.sleep(0.05)
    raise AssertionError("no signer process")


def test_the_http_process_cannot_reach_the_secret_key(good):
    s = Server(good)
    try:
        pid = s.proc.pid
        assert s.get("/v1/org/cacert.pem.minisig").status_code == 200
        keyfile = good.keyfile()
        keys = str(good.datadir / "keys")
        files = open_files(pid)
        # It never opened keys/ ...
        assert not [t for t, _ in files.values() if t.startswith(keys)], \
            files
        # ... its database handle is read-only ...
        db = [fl for t, fl in files.values() if t == str(good.db)]
        assert db and all(fl & os.O_ACCMODE == os.O_RDONLY for fl in db), \
            files
        uids = status(pid)["Uid"].split()
        if not ROOT:
            pytest.skip("not root: serve keeps the user it was started as")
        # ... and, started as root, it is [serve] user in every id, to
        # whom the key (in a 0700 directory of root's) is out of reach.
        u = pwd.getpwnam(USER)
        assert uids == [str(u.pw_uid)] * 4, uids
        assert status(pid)["Gid"].split() == [str(u.pw_gid)] * 4
        assert status(pid)["Groups"].split() == [str(u.pw_gid)]
        p = run("setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}",
                "--clear-groups", "cat", keyfile)
        assert p.returncode != 0 and b"Permission denied" in p.stderr
        assert keyfile.read_bytes()      # root can: the file is there
    finally:
        s.stop()


def test_the_signer_gives_up_its_privileges(good):
    s = Server(good)
    try:
        pid = signer_of(s)
        deadline = time.monotonic() + 5     # until it has said hello
        while status(pid)["Seccomp"] != "2" and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        st = status(pid)
        assert st["NoNewPrivs"] == "1"
        assert st["Seccomp"] == "2"         # a filter, not strict mode
        if ROOT:
            u = pwd.getpwnam(USER)
            assert st["Uid"].split() == [str(u.pw_uid)] * 4
    finally:
        s.stop()


def test_a_killed_signer_is_logged_and_restarted(good):
    s = Server(good)
    try:
        first = signer_of(s)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while True:
            try:
                second = signer_of(s, timeout=0.5)
                if second != first:
                    break
            except AssertionError:
                pass
            assert time.monotonic() < deadline, "no new signer"
        # Serving went on throughout.
        assert s.get("/v1/org/cacert.pem.minisig").status_code == 200
        good("publish", "--resign", check=0)
    finally:
        out = s.stop()
    # Killed while it served, or (the kill came first) while starting.
    assert "signer ended; a new one in 2 s" in out or \
        "no signer; trying again in 2 s" in out, out


class Signer:
    """cabundled's signer, started as signer_start() starts it: the
    socket on descriptor 3."""

    def __init__(self, mirror, *overrides):
        self.sock, theirs = socket.socketpair()
        fd = theirs.fileno()
        opts = [a for o in overrides for a in ("-o", o)]
        self.p = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{fd} {fd}<&-', "bash",
             str(CABUNDLED), "-d", str(mirror.datadir), *opts, "signer"],
            pass_fds=[fd], stderr=subprocess.PIPE)
        theirs.close()
        self.sock.settimeout(20)
        try:
            self.hello = self.recv()
        except EOFError:
            self.p.wait()
            raise AssertionError(self.p.stderr.read().decode())

    def send(self, kind, payload):
        self.sock.sendall(struct.pack(">I", len(payload) + 1) + kind +
                          payload)

    def recv(self):
        head = self._exactly(4)
        n = struct.unpack(">I", head)[0]
        data = self._exactly(n)
        return data[:1], data[1:]

    def _exactly(self, n):
        b = b""
        while len(b) < n:
            chunk = self.sock.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def sign(self, comment):
        self.send(b"S", comment.encode())
        return self.recv()

    def close(self):
        self.sock.close()
        return self.p.wait(timeout=10)


@pytest.fixture
def signer(good):
    sg = Signer(good)
    yield sg
    sg.sock.close()
    sg.p.kill()
    sg.p.wait()


def latest_body(m, tmp_path, profile="org"):
    m("export", "--profile", profile, tmp_path / "exp", check=0)
    return (tmp_path / "exp" / "v1" / profile / "cacert.pem").read_bytes()


def test_the_signer_signs_the_next_version_of_a_stored_build(
        good, signer, tmp_path):
    kind, hello = signer.hello
    assert kind == b"K"
    keyid, pub = hello.decode().split(" ")
    assert keyid == good.key()["key_id"]
    assert pub == good.pubfile().read_text().splitlines()[1]
    body = latest_body(good, tmp_path)
    t = tc(body, 2, created=int(now()), expires=int(now()) + DAY)
    kind, sig = signer.sign(t)
    assert kind == b"G", sig
    assert f"trusted comment: {t}".encode() in sig
    p = minisign_ok(tmp_path, body, sig, good.pubfile().read_bytes())
    assert p.returncode == 0, p.stderr
    assert signer.close() == 0


@pytest.mark.parametrize("case,why", [
    ("garbage", b"format"),
    ("reordered", b"format"),
    ("trailing tab", b""),
    ("current version", b"is not the next (2)"),
    ("skipped version", b"is not the next (2)"),
    ("other body", b"no build holds"),
    ("other profile's body", b"no build holds"),
    ("wrong size", b"is not size"),
    ("created an hour ago", b"created is not now"),
    ("created tomorrow", b"created is not now"),
    ("expires in 60 days", b"sign_validity"),
    ("expires before created", b"created must be before expires"),
])
def test_the_signer_refuses(good, signer, tmp_path, case, why):
    body = latest_body(good, tmp_path)
    t0 = int(now())
    ok = dict(body=body, version=2, created=t0, expires=t0 + DAY)
    req = {
        "garbage": lambda: "sign this please",
        "reordered": lambda: "\t".join(reversed(tc(**ok).split("\t"))),
        "trailing tab": lambda: tc(**ok) + "\t",
        "current version": lambda: tc(**{**ok, "version": 1}),
        "skipped version": lambda: tc(**{**ok, "version": 3}),
        "other body": lambda: tc(**{**ok, "body": body + b"\n"}),
        "other profile's body": lambda: tc(**{**ok, "version": 1},
                                           profile="nosuch"),
        "wrong size": lambda: tc(**ok, size=len(body) - 1),
        "created an hour ago": lambda: tc(**{**ok, "created": t0 - 3600}),
        "created tomorrow": lambda: tc(**{**ok, "created": t0 + DAY,
                                          "expires": t0 + 2 * DAY}),
        "expires in 60 days": lambda: tc(**{**ok,
                                            "expires": t0 + 60 * DAY}),
        "expires before created": lambda: tc(**{**ok, "expires": t0 - 1}),
    }[case]()
    kind, answer = signer.sign(req)
    assert kind == b"E", (case, answer)
    assert why in answer, answer
    # A refusal is an answer, not an end: the next good request works.
    kind, sig = signer.sign(tc(**ok))
    assert kind == b"G", sig


def test_the_signer_signs_constraints_only_for_the_bundle_it_signed(
        mirror, tmp_path):
    """doc/SPEC.md 12: a constraints request is refused before its
    bundle, for a bundle body, with other dates, and twice; a bundle
    request for a constraints document is refused too."""
    dated_mirror(mirror)
    mirror("export", "--profile", "mozilla", tmp_path / "exp", check=0)
    v1 = tmp_path / "exp" / "v1" / "mozilla"
    body = (v1 / "cacert.pem").read_bytes()
    cons = (v1 / "constraints.json").read_bytes()
    t0 = int(now())
    ok = dict(version=2, profile="mozilla", created=t0, expires=t0 + DAY)
    cfmt = "cabundle-constraints/1"
    sg = Signer(mirror)
    try:
        def ask(kind, comment):
            sg.send(kind, comment.encode())
            return sg.recv()

        kind, why = ask(b"C", tc(cons, fmt=cfmt, **ok))
        assert kind == b"E" and b"only with the release" in why, why
        kind, why = ask(b"S", tc(cons, **ok))
        assert kind == b"E" and b"no build holds" in why, why
        kind, why = ask(b"C", tc(body, **ok))
        assert kind == b"E" and b"format" in why, why
        kind, sig = ask(b"S", tc(body, **ok))
        assert kind == b"G", sig
        kind, why = ask(b"C", tc(body, fmt=cfmt, **ok))
        assert kind == b"E" and b"not the constraints document" in why, why
        kind, why = ask(b"C", tc(cons, fmt=cfmt, **{**ok,
                                                    "expires": t0 + 2 * DAY}))
        assert kind == b"E" and b"only with the release" in why, why
        kind, sig = ask(b"C", tc(cons, fmt=cfmt, **ok))
        assert kind == b"G", sig
        (tmp_path / "c.minisig").write_bytes(sig)
        p = run("minisign", "-Vm", v1 / "constraints.json", "-x",
                tmp_path / "c.minisig", "-p", mirror.pubfile())
        assert p.returncode == 0, p.stderr
        kind, why = ask(b"C", tc(cons, fmt=cfmt, **ok))
        assert kind == b"E" and b"only with the release" in why, why
    finally:
        assert sg.close() == 0


def test_the_signer_countersigns_only_a_carried_body(good, tmp_path):
    """[mirror] mode = countersign: a relayed profile is signed here,
    as its next version, only for the body of an accepted carried
    upstream release; in verbatim mode it is never signed here."""
    usb = tmp_path / "usb"
    good("export", usb, check=0)
    site = Mirror(tmp_path / "site")
    site.overrides = [f"mirror.url={usb}",
                      f"mirror.key={good.key()['public_key']}",
                      "mirror.profiles=org", "mirror.mode=countersign"]
    site("init", check=0)
    site("fetch", check=5)
    site("approve", "--reason", "ok", str(site.snapshots()[-1]["id"]),
         check=0)
    assert site.json("history", "--json", "org")[-1]["version"] == 1
    carried = latest_body(site, tmp_path, "org")
    assert carried == (usb / "v1/org/cacert.pem").read_bytes()
    other = upstream("2025.07.14").read_bytes()
    t0 = int(now())
    sg = Signer(site, *site.overrides)
    try:
        kind, answer = sg.sign(tc(other, 2, profile="org", created=t0,
                                  expires=t0 + DAY))
        assert kind == b"E" and b"is countersigned" in answer, answer
        kind, sig = sg.sign(tc(carried, 2, created=t0, expires=t0 + DAY))
        assert kind == b"G", sig
    finally:
        sg.sock.close()
        sg.p.kill()
        sg.p.wait()
    sg = Signer(site, *site.overrides[:3])     # mode verbatim
    try:
        kind, answer = sg.sign(tc(carried, 2, created=t0, expires=t0 + DAY))
        assert kind == b"E" and b"is relayed, never signed here" in answer
    finally:
        sg.sock.close()
        sg.p.kill()
        sg.p.wait()


@pytest.mark.parametrize("frame", [
    struct.pack(">I", 0),                       # empty
    struct.pack(">I", 0xFFFFFFFF) + b"S",       # too long
    struct.pack(">I", 5000) + b"S" + b"x" * 4999,
    struct.pack(">I", 3) + b"G\0\0",            # not a request
    struct.pack(">I", 3) + b"Z\0\0",            # no such message
], ids=["empty", "huge", "over-limit", "answer-type", "unknown-type"])
def test_a_malformed_message_ends_the_signer(good, signer, frame):
    signer.sock.sendall(frame)
    with pytest.raises((EOFError, ConnectionResetError)):
        signer.recv()
    assert signer.p.wait(timeout=10) != 0


def test_the_signer_refuses_to_run_from_a_terminal(good):
    p = run(CABUNDLED, "-d", good.datadir, "signer", stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and b"only cabundled starts this" in p.stderr
    assert p.stdout == b""


def test_a_fetch_round_cannot_read_the_secret_key(tmp_path):
    """A fetch round parses what the network sends; it keeps the data
    directory's owner (it writes the database) but loses everything in
    the directory besides the database's files.  A cross-check source
    that names the key file shows it: the round gets EACCES, where the
    fetch command, which is not a round, reads the file."""
    pki = make_test_pki(tmp_path / "pki")
    with FakeUpstream(pki) as up:
        up.body = upstream("2026.07.22").read_bytes()
        m = Mirror(tmp_path / "data")
        m("init", "--actor", "tester", check=0)
        keyfile = m.keyfile()
        m.overrides = ["upstream.url=" + up.url,
                       "upstream.ca_file=%s" % pki.ca, "upstream.retries=0",
                       "upstream.crosscheck_url=file:%s" % keyfile]
        p = m("serve", "--once")
        assert f"{keyfile}: Permission denied".encode() in p.stderr, p
        rows = [r for r in m.report(1)["rows"] if r["check"] == "cross-check"]
        assert len(rows) == 1 and "cannot read" in rows[0]["rule"], rows
        up.body = upstream("2025.07.14").read_bytes()
        p = m("fetch")
        assert b"Permission denied" not in p.stderr, p
        rows = [r for r in m.report(2)["rows"] if r["check"] == "cross-check"]
        assert rows and "cannot read" not in str(rows), rows
