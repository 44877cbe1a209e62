"""The clock the suite says the product runs under is the one it sees.

Without TEST_DATE that is today; with TEST_DATE=YYYY-MM-DD it is that
date (README, "Testing as of another date").  If the shift did not
reach the server, the client, OpenSSL's chain checks or the openssl
that makes the tests' certificates, these fail before anything else
does: the rest of the suite would otherwise pass for the wrong reason.
"""
import datetime
import socket
import ssl
import threading

from conftest import (CABUNDLE, SHIFT_DAYS, TEST_DATE, Key, make_site_pki, now,
                      openssl, run, tc, trusted, upstream)


def day_of(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).date().isoformat()


def test_now_is_the_test_date():
    if TEST_DATE is None:
        assert SHIFT_DAYS == 0
    # A run across midnight UTC may see the next day.
    assert TEST_DATE is None or day_of(now()) in (
        TEST_DATE, day_of(now() - 120))


def test_the_server_signs_with_the_product_clock(good, tmp_path):
    exp = tmp_path / "export"
    good("export", exp, check=0)
    t = trusted((exp / "v1" / "mozilla" / "cacert.pem.minisig").read_text())
    assert abs(int(t["created"]) - now()) < 600, (t["created"], now())


def test_the_client_judges_expiry_by_the_product_clock(tmp_path):
    """A signature made now by the product's clock, valid for a week,
    verifies; under TEST_DATE, at the real time it would not have been
    made yet (or would have expired)."""
    key = Key(tmp_path, "k")
    body = upstream("2026.07.22").read_bytes()
    (tmp_path / "b.pem").write_bytes(body)
    (tmp_path / "b.pem.minisig").write_bytes(key.sign(body, tc(body, 1)))
    run(CABUNDLE, "verify", "--key", key.pub, tmp_path / "b.pem", check=0)
    # --at moves the clock explicitly: 8 days on, it has expired.
    p = run(CABUNDLE, "verify", "--at", str(int(now()) + 8 * 86400),
            "--key", key.pub, tmp_path / "b.pem", check=1)
    assert b"expired" in p.stderr


def test_openssl_makes_certificates_by_the_product_clock(tmp_path):
    d = make_site_pki(tmp_path / "pki", "/CN=Clock Test CA", days=2)
    key = tmp_path / "k.pem"
    openssl("genpkey", "-algorithm", "ed25519", "-out", key)
    pem = tmp_path / "c.pem"
    openssl("req", "-x509", "-key", key, "-subj", "/CN=clock", "-days", "1",
            "-out", pem)
    # Valid now by the product's clock: openssl verify says so under
    # the same clock, for the site PKI and a one-day certificate.
    assert openssl("verify", "-CAfile", d / "ca.pem", d / "site.pem") \
        .strip().endswith(": OK")
    assert openssl("verify", "-CAfile", pem, pem).strip().endswith(": OK")
    start = openssl("x509", "-in", pem, "-noout", "-startdate").strip()
    start = datetime.datetime.strptime(start.split("=", 1)[1],
                                       "%b %d %H:%M:%S %Y %Z")
    t = start.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(t - now()) < 600


def test_the_clients_tls_checks_use_the_product_clock(tmp_path):
    """doctor completes a handshake with a server whose certificate is
    valid for one day of the product's time only: under TEST_DATE that
    day is not the real one, so OpenSSL in the client must see it."""
    key = tmp_path / "k.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            tmp_path / "c.pem", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", key)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def accept():
        for _ in range(2):
            try:
                c, _ = srv.accept()
                with ctx.wrap_socket(c, server_side=True) as s:
                    s.recv(1)
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        p = run(CABUNDLE, "doctor", "--bundle", tmp_path / "c.pem",
                f"127.0.0.1:{port}", check=None)
        assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    finally:
        srv.close()
