"""cabundled serve over https, with libmicrohttpd's own TLS: a client
that trusts the site's CA gets the same signed files; a wrong pair of
files stops serve at startup with the file and the rule named."""
import hashlib
import os
import ssl
import socket

import pytest

from conftest import (CABUNDLED, Server, free_port, make_site_pki, minisign_ok,
                      openssl, run, trusted)


@pytest.fixture
def site_pki(tmp_path):
    """A CA and a certificate for 127.0.0.1 it issued, made by openssl."""
    d = make_site_pki(tmp_path / "pki", "/CN=Site Test CA")
    # Another key, for the mismatched pair.
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", d / "other.key")
    for k in ("site.key", "other.key", "ca.key"):
        os.chmod(d / k, 0o600)
    return d


def tls_opts(cert, key):
    return (f"http.tls_cert={cert}", f"http.tls_key={key}")


def test_https_serves_the_same_signed_files(good, site_pki, tmp_path):
    s = Server(good, *tls_opts(site_pki / "site.pem", site_pki / "site.key"),
               ca=site_pki / "ca.pem")
    try:
        body = s.get("/v1/org/cacert.pem")
        sig = s.get("/v1/org/cacert.pem.minisig")
        pub = s.get("/v1/pubkey")
        assert body.status_code == sig.status_code == 200
        t = trusted(sig.text)
        assert t["sha256"] == hashlib.sha256(body.content).hexdigest()
        assert minisign_ok(tmp_path, body.content, sig.content,
                           pub.content).returncode == 0
        # 304s work over TLS too.
        r = s.get("/v1/org/cacert.pem",
                  headers={"If-None-Match": body.headers["ETag"]})
        assert r.status_code == 304 and r.content == b""
        # The certificate presented is the configured one.
        ctx = ssl.create_default_context(cafile=str(site_pki / "ca.pem"))
        with socket.create_connection(("127.0.0.1", s.port), 10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as c:
                der = c.getpeercert(binary_form=True)
        want = run("openssl", "x509", "-in", site_pki / "site.pem",
                   "-outform", "DER", check=0).stdout
        assert der == want
        # Plain HTTP to the TLS port gets no HTTP answer.
        with socket.create_connection(("127.0.0.1", s.port), 10) as c:
            c.sendall(b"GET /v1/pubkey HTTP/1.1\r\nHost: x\r\n\r\n")
            c.settimeout(10)
            try:
                got = c.recv(4096)
            except ConnectionResetError:
                got = b""
            assert not got.startswith(b"HTTP/1.1 200")
        # And the server is still serving TLS clients.
        assert s.get("/healthz").status_code == 200
    finally:
        out = s.stop()
    assert f"serving https://127.0.0.1:{s.port}/" in out


def serve_fails(mirror, *overrides):
    r = run(CABUNDLED, "-d", mirror.datadir,
            "-o", f"http.port={free_port()}",
            "-o", "upstream.fetch_interval=0",
            *[x for o in overrides for x in ("-o", o)], "serve")
    assert r.returncode != 0
    return r.stderr.decode()


def test_a_key_that_is_not_the_certificates_is_refused(good, site_pki):
    err = serve_fails(good, *tls_opts(site_pki / "site.pem",
                                      site_pki / "other.key"))
    assert f"{site_pki / 'other.key'}: key does not belong" in err
    assert str(site_pki / "site.pem") in err


def test_a_key_others_can_read_is_refused(good, site_pki):
    os.chmod(site_pki / "site.key", 0o644)
    err = serve_fails(good, *tls_opts(site_pki / "site.pem",
                                      site_pki / "site.key"))
    assert "accessible to other users (mode 0644)" in err
    assert str(site_pki / "site.key") in err


@pytest.mark.parametrize("which", ["cert", "key"])
def test_not_pem_is_refused(good, site_pki, which):
    bad = site_pki / "bad"
    bad.write_text("not a pem file\n")
    os.chmod(bad, 0o600)
    cert = bad if which == "cert" else site_pki / "site.pem"
    key = bad if which == "key" else site_pki / "site.key"
    err = serve_fails(good, *tls_opts(cert, key))
    assert (f"{bad}: no PEM certificate" if which == "cert" else
            f"{bad}: not an unencrypted PEM private key") in err


def test_an_encrypted_key_is_refused_without_a_prompt(good, site_pki):
    enc = site_pki / "enc.key"
    openssl("pkey", "-in", site_pki / "site.key", "-aes256", "-passout",
            "pass:secret", "-out", enc)
    os.chmod(enc, 0o600)
    err = serve_fails(good, *tls_opts(site_pki / "site.pem", enc))
    assert "not an unencrypted PEM private key" in err


def test_cert_without_key_is_a_configuration_error(good, site_pki):
    err = serve_fails(good, f"http.tls_cert={site_pki / 'site.pem'}")
    assert "tls_cert and tls_key go together" in err
