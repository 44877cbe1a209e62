"""cabundle doctor: which bundle each Python uses, and why a host fails.

A test PKI is made with the openssl binary; TLS servers are Python's ssl
module on 127.0.0.1.  Host checks always pass --bundle, so they do not
depend on the machine's Python.  CABUNDLE_BIN overrides the binary (a
private or sanitizer build); otherwise conftest's CABUNDLE is used.
"""
import json
import os
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import CA_VARS, CABUNDLE, free_port, openssl, run

BIN = os.environ.get("CABUNDLE_BIN", CABUNDLE)
AIA = "http://127.0.0.1:1/inter.crt"

CA_CNF = """\
[ca]
default_ca = ca_default
[ca_default]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
default_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
authorityInfoAccess = caIssuers;URI:{aia}
[v3_wrong]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[v3_self]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
"""


class Pki:
    """Two independent roots, an intermediate under each, and leaves."""

    def __init__(self, d):
        self.d = d
        self.cnf = d / "ca.cnf"
        self.cnf.write_text(CA_CNF.format(d=d, aia=AIA))
        self.serial = 0x1000

    def key(self, name):
        k = self.d / f"{name}.key"
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", k)
        return k

    def root(self, name, cn, ext="v3_root"):
        openssl("req", "-config", self.cnf, "-x509", "-new", "-key",
                self.key(name), "-subj", f"/CN={cn}", "-days", "30",
                "-extensions", ext, "-out", self.d / f"{name}.pem")
        return self.d / f"{name}.pem"

    def issue(self, name, cn, ca, ext, dates=()):
        """name.pem issued by ca (a name made by root() or issue())."""
        csr = self.d / f"{name}.csr"
        openssl("req", "-config", self.cnf, "-new", "-key", self.key(name),
                "-subj", f"/CN={cn}", "-out", csr)
        # A fresh database per issue: openssl ca keeps no state we need.
        (self.d / "index.txt").write_text("")
        self.serial += 1
        (self.d / "serial").write_text(f"{self.serial:X}\n")
        openssl("ca", "-batch", "-notext", "-config", self.cnf,
                "-cert", self.d / f"{ca}.pem", "-keyfile",
                self.d / f"{ca}.key", "-extensions", ext, *dates,
                "-in", csr, "-out", self.d / f"{name}.pem")
        return self.d / f"{name}.pem"

    def cat(self, out, *names):
        """A PEM file of those certificates, in that order."""
        p = self.d / out
        p.write_text("".join((self.d / f"{n}.pem").read_text()
                             for n in names))
        return p


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.root("root", "Doctor Test Root")
    p.issue("inter", "Doctor Test Intermediate", "root", "v3_inter")
    p.issue("leaf", "localhost", "inter", "v3_leaf")
    p.issue("expired", "expired.localhost", "inter", "v3_leaf",
            ("-startdate", "20200101000000Z", "-enddate",
             "20210101000000Z"))
    p.issue("wrong", "wrong.example", "inter", "v3_wrong")
    p.root("self", "localhost", ext="v3_self")
    p.root("evil", "evil\x1b[31m\x07.example", ext="v3_self")
    p.root("root2", "Doctor Other Root")
    p.issue("inter2", "Doctor Other Intermediate", "root2", "v3_inter")
    p.issue("leaf2", "localhost", "inter2", "v3_leaf")
    p.bundle = p.cat("bundle.pem", "root")
    return p


class TlsServer:
    """Completes handshakes on 127.0.0.1 with one chain, in a thread."""

    def __init__(self, chain, key, addr="127.0.0.1"):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(chain, key)
        self.sock = socket.socket(socket.AF_INET6 if ":" in addr
                                  else socket.AF_INET)
        self.sock.bind((addr, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                c.settimeout(10)
                with self.ctx.wrap_socket(c, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass
            finally:
                c.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def serve(pki):
    servers = []

    def start(*names, addr="127.0.0.1"):
        chain = pki.cat("-".join(names) + ".chain", *names)
        s = TlsServer(chain, pki.d / f"{names[0]}.key", addr)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.close()


def clean_env(**kw):
    env = {k: v for k, v in os.environ.items() if k not in CA_VARS}
    env.update(kw)
    return env


def doctor(*args, check=None, env=None):
    return run(BIN, "doctor", *args, check=check, env=env or clean_env())


def host_json(*args, check):
    out = json.loads(doctor("--json", *args, check=check).stdout)
    return out["host"]


def test_full_chain_verifies(pki, serve):
    s = serve("leaf", "inter")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=0)
    assert h["verified"] is True and h["cause"] == "ok"
    assert h["reachable"] is True and h["aia"] is None
    assert [c["subject"] for c in h["chain"]] == [
        "CN=localhost", "CN=Doctor Test Intermediate"]
    assert h["chain"][1]["issuer"] == "CN=Doctor Test Root"
    assert not any(c["self_signed"] for c in h["chain"])
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=0).stdout.decode()
    assert "verified with" in out and "root CN=Doctor Test Root" in out
    # The name "localhost" is in the certificate as well.
    doctor("--bundle", pki.bundle, f"localhost:{s.port}", check=0)


def test_missing_intermediate_names_the_aia_url(pki, serve):
    s = serve("leaf")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "missing-intermediate", h["message"]
    assert h["aia"] == AIA
    assert h["verified"] is False and len(h["chain"]) == 1
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=1).stdout.decode()
    assert "missing intermediate" in out
    assert f"its issuer can be downloaded from {AIA}" in out
    # With the intermediate in the bundle the same server verifies:
    # the diagnosis is about what the server sent, nothing else.
    both = pki.cat("root-inter.pem", "root", "inter")
    assert host_json("--bundle", both, f"127.0.0.1:{s.port}",
                     check=0)["cause"] == "ok"


def test_unknown_root_is_not_a_missing_intermediate(pki, serve):
    # Same leaf extensions (an AIA URL too), but the intermediate is
    # sent and its root is not in the bundle.
    s = serve("leaf2", "inter2")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "unknown-root", h["message"]
    assert h["aia"] is None
    assert "CN=Doctor Other Root" in h["message"]
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=1).stdout.decode()
    assert "unknown root" in out and str(pki.bundle) in out
    # The intermediate alone in the bundle: its root is still unknown.
    inter = pki.cat("inter-only.pem", "inter")
    s1 = serve("leaf")
    assert host_json("--bundle", inter, f"127.0.0.1:{s1.port}",
                     check=1)["cause"] == "unknown-root"


def test_root_sent_by_the_server_is_still_unknown(pki, serve):
    s = serve("leaf2", "inter2", "root2")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "unknown-root", h["message"]
    assert [c["self_signed"] for c in h["chain"]] == [False, False, True]


def test_expired_leaf(pki, serve):
    s = serve("expired", "inter")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "expired", h["message"]
    assert h["chain"][0]["not_after"] == "2021-01-01T00:00:00Z"
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=1).stdout.decode()
    assert "expired on 2021-01-01T00:00:00Z" in out
    assert "CN=expired.localhost" in out


def test_name_mismatch(pki, serve):
    s = serve("wrong", "inter")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "name-mismatch", h["message"]
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=1).stdout.decode()
    assert "the certificate is for wrong.example not 127.0.0.1" in out


def test_self_signed(pki, serve):
    s = serve("self")
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["cause"] == "self-signed", h["message"]
    assert h["chain"][0]["self_signed"] is True
    out = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}",
                 check=1).stdout.decode()
    assert "the server's certificate is self-signed" in out
    # Trusting it explicitly is what a bundle is for.
    assert host_json("--bundle", pki.d / "self.pem",
                     f"127.0.0.1:{s.port}", check=0)["cause"] == "ok"


def test_control_characters_in_names_are_escaped(pki, serve):
    s = serve("evil")
    p = doctor("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert b"\x1b" not in p.stdout and b"\x07" not in p.stdout
    assert b"CN=evil\\1B[31m\\07.example" in p.stdout
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{s.port}", check=1)
    assert h["chain"][0]["subject"] == "CN=evil\\1B[31m\\07.example"


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not have_ipv6_loopback(), reason="no ::1")
def test_ipv6_literal_is_checked_against_ip_names(pki, serve):
    s = serve("leaf", "inter", addr="::1")
    h = host_json("--bundle", pki.bundle, f"[::1]:{s.port}", check=1)
    assert h["host"] == "::1" and h["port"] == s.port
    assert h["cause"] == "name-mismatch", h["message"]
    assert h["message"].endswith("for localhost, 127.0.0.1 not ::1")


def test_nothing_listening_is_unreachable(pki):
    port = free_port()
    h = host_json("--bundle", pki.bundle, f"127.0.0.1:{port}", check=3)
    assert h["reachable"] is False and h["cause"] is None
    assert h["chain"] == []
    p = doctor("--bundle", pki.bundle, f"[127.0.0.1]:{port}", check=3)
    assert b"cannot connect" in p.stderr


def test_not_tls_is_unreachable(pki):
    # A peer that accepts and closes: no handshake, no chain.
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(4)

        def closer():
            c, _ = ls.accept()
            c.close()
        t = threading.Thread(target=closer, daemon=True)
        t.start()
        p = doctor("--bundle", pki.bundle,
                   f"127.0.0.1:{ls.getsockname()[1]}", check=3)
        assert b"TLS handshake" in p.stderr


def test_a_silent_peer_times_out(pki):
    # Accepts, then says nothing: the handshake must give up (10 s).
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(4)
        p = doctor("--bundle", pki.bundle,
                   f"127.0.0.1:{ls.getsockname()[1]}", check=3)
        assert b"timed out" in p.stderr


def test_unreadable_bundle_is_local(pki, tmp_path, serve):
    s = serve("leaf", "inter")
    doctor("--bundle", tmp_path / "none.pem", f"127.0.0.1:{s.port}",
           check=4)
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    p = doctor("--bundle", empty, f"127.0.0.1:{s.port}", check=4)
    assert b"holds no certificate" in p.stderr


@pytest.mark.parametrize("args", [
    ["--bogus"], ["a", "b"], ["127.0.0.1:0"], ["127.0.0.1:65536"],
    ["127.0.0.1:"], ["[::1"], ["[::1]x"], ["bad\nhost"], ["--python"],
])
def test_usage(args):
    doctor(*args, check=2)


def certifi_where(python):
    p = subprocess.run([python, "-c",
                        "import certifi, os; print(certifi.where()); "
                        "print(os.path.dirname(certifi.__file__))"],
                       capture_output=True, env=clean_env())
    if p.returncode != 0:
        return None, None
    where, pkg = p.stdout.decode().splitlines()
    return where, pkg


PY = "/usr/bin/python3"


def py_json(env):
    out = json.loads(doctor("--json", "--python", PY, check=0,
                            env=env).stdout)
    assert out["host"] is None and len(out["pythons"]) == 1
    return out["pythons"][0]


def test_python_env_variables_win(tmp_path):
    other = tmp_path / "other.pem"
    other.write_text("")
    py = py_json(clean_env(SSL_CERT_FILE="/some/file",
                           REQUESTS_CA_BUNDLE=str(other),
                           CURL_CA_BUNDLE="/curl/file"))
    assert py["python"] == PY and "error" not in py
    assert py["env"]["SSL_CERT_FILE"] == "/some/file"
    assert py["env"]["REQUESTS_CA_BUNDLE"] == str(other)
    assert py["env"]["SSL_CERT_DIR"] is None
    r = py["requests_uses"]
    assert r["source"] == "REQUESTS_CA_BUNDLE" and r["path"] == str(other)
    assert r["exists"] is True and r["kind"] == "file"
    f = py["ssl_uses"]["cafile"]
    assert f["source"] == "SSL_CERT_FILE" and f["path"] == "/some/file"
    assert f["exists"] is False
    assert py["ssl_uses"]["capath"]["source"] == "openssl"
    # Without REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE is next.
    py = py_json(clean_env(CURL_CA_BUNDLE="/curl/file"))
    assert py["requests_uses"]["source"] == "CURL_CA_BUNDLE"
    assert py["requests_uses"]["path"] == "/curl/file"
    out = doctor("--python", PY, check=0, env=clean_env(
        SSL_CERT_FILE="/some/file")).stdout.decode()
    assert "SSL_CERT_FILE is set" in out
    assert "/some/file" in out and "it will fail" in out


def test_python_default_is_certifi():
    where, pkg = certifi_where(PY)
    py = py_json(clean_env())
    r = py["requests_uses"]
    if where is None:
        assert py["certifi"] is None and py["certifi_error"]
        assert r is None
        return
    assert py["certifi"] == where
    assert r["source"] == "certifi" and r["path"] == where
    if r["kind"] == "file":
        assert r["certificates"] > 0
    assert py["ssl_uses"]["cafile"]["source"] == "openssl"
    outside = not os.path.realpath(where).startswith(
        os.path.realpath(pkg) + os.sep)
    assert py["certifi_outside_package"] is outside
    out = doctor("--python", PY, check=0).stdout.decode()
    assert ("outside the certifi package" in out) is outside
    assert "neither REQUESTS_CA_BUNDLE nor CURL_CA_BUNDLE" in out


def test_python_that_cannot_run(tmp_path):
    p = doctor("--json", "--python", tmp_path / "nope", check=4)
    py = json.loads(p.stdout)["pythons"][0]
    assert "error" in py and b"nope" in p.stderr
    # Something that is not a Python, printing no JSON object.
    p = doctor("--json", "--python", "/bin/true", check=4)
    assert "no JSON" in json.loads(p.stdout)["pythons"][0]["error"]


def test_python_output_is_capped(tmp_path):
    # An "interpreter" that prints without end: read 64 KiB, then stop.
    noisy = tmp_path / "noisy"
    noisy.write_text("#!/bin/sh\nexec yes\n")
    noisy.chmod(0o755)
    p = doctor("--json", "--python", noisy, check=4)
    assert "more than" in json.loads(p.stdout)["pythons"][0]["error"]


def test_host_bundle_defaults_to_what_requests_uses(pki, serve):
    s = serve("leaf", "inter")
    env = clean_env(REQUESTS_CA_BUNDLE=str(pki.bundle))
    p = run(BIN, "doctor", "--json", "--python", PY, f"127.0.0.1:{s.port}",
            check=0, env=env)
    h = json.loads(p.stdout)["host"]
    assert h["bundle"] == str(pki.bundle) and h["cause"] == "ok"


def test_host_bundle_may_be_a_directory(pki, serve, tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    (d / "root.pem").write_bytes((pki.d / "root.pem").read_bytes())
    openssl("rehash", d)
    s = serve("leaf", "inter")
    env = clean_env(REQUESTS_CA_BUNDLE=str(d))
    p = run(BIN, "doctor", "--json", "--python", PY, f"127.0.0.1:{s.port}",
            check=0, env=env)
    out = json.loads(p.stdout)
    assert out["pythons"][0]["requests_uses"]["kind"] == "directory"
    assert out["host"]["cause"] == "ok"
    assert out["host"]["bundle_certificates"] is None


def test_no_bundle_known_is_local(tmp_path):
    p = doctor("--python", tmp_path / "nope", "127.0.0.1:1", check=4)
    assert b"give --bundle FILE" in p.stderr
