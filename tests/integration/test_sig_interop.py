"""Signatures across implementations: ours verified by the real minisign,
the real minisign's verified by cabundle verify, and every refusal a user
can meet from cabundle verify (exit 1 with the reason, files untouched).
"""
import hashlib
import shutil

import pytest

from conftest import (CABUNDLE, CABUNDLE_BIN, CABUNDLED_BIN, FIXTURES, SIGTOOL,
                      now, run)

BUNDLE = FIXTURES / "upstream" / "cacert-2026.07.22.pem"
DAY = 86400


def meta(body, profile="org", version=3, created=None, expires=None,
         fmt="cabundle/1"):
    """The SPEC 7 trusted comment, built independently of the C code."""
    created = int(now()) - 60 if created is None else created
    expires = created + 14 * DAY if expires is None else expires
    return (f"format:{fmt}\tprofile:{profile}\tversion:{version}\t"
            f"created:{created}\texpires:{expires}\tsize:{len(body)}\t"
            f"sha256:{hashlib.sha256(body).hexdigest()}")


@pytest.fixture
def work(tmp_path):
    """A bundle, our PKCS#8 key (0600) and a real minisign key pair."""
    shutil.copy(BUNDLE, tmp_path / "cacert.pem")
    key = tmp_path / "signing-key.pem"
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key, check=0)
    key.chmod(0o600)
    (tmp_path / "ours.pub").write_bytes(
        run(SIGTOOL, "pubkey", key, check=0).stdout)
    run("minisign", "-G", "-W", "-p", tmp_path / "theirs.pub", "-s",
        tmp_path / "theirs.key", check=0)
    return tmp_path


def sign_ours(work, body_path, comment, out, legacy=False):
    args = [SIGTOOL, "sign"] + (["-l"] if legacy else []) + [
        work / "signing-key.pem", body_path, comment]
    out.write_bytes(run(*args, check=0).stdout)


def sign_theirs(work, body_path, comment, out, legacy=False):
    run("minisign", "-S", *(["-l"] if legacy else []), "-s",
        work / "theirs.key", "-m", body_path, "-x", out, "-t", comment,
        check=0)


def test_minisign_accepts_ours(work):
    body = (work / "cacert.pem").read_bytes()
    t = meta(body)
    sign_ours(work, work / "cacert.pem", t, work / "cacert.pem.minisig")
    p = run("minisign", "-H", "-V", "-p", work / "ours.pub", "-m",
            work / "cacert.pem", check=0)
    assert f"Trusted comment: {t}".encode() in p.stdout
    # And our own client agrees, showing the signed metadata.
    p = run(CABUNDLE, "verify", "--key", work / "ours.pub", "--profile",
            "org", work / "cacert.pem", check=0)
    out = p.stdout.decode()
    assert "version: 3\n" in out and "certificates: 121\n" in out
    assert f"sha256: {hashlib.sha256(body).hexdigest()}\n" in out


def test_minisign_rejects_tampered_ours(work):
    body = bytearray((work / "cacert.pem").read_bytes())
    sign_ours(work, work / "cacert.pem", meta(bytes(body)),
              work / "cacert.pem.minisig")
    body[5000] ^= 1
    (work / "cacert.pem").write_bytes(bytes(body))
    run("minisign", "-H", "-V", "-p", work / "ours.pub", "-m",
        work / "cacert.pem", check=1)


def test_our_legacy_is_refused_by_minisign_H(work):
    body = (work / "cacert.pem").read_bytes()
    sign_ours(work, work / "cacert.pem", meta(body),
              work / "cacert.pem.minisig", legacy=True)
    # minisign -H demands prehashed signatures, as our client does.
    run("minisign", "-H", "-V", "-p", work / "ours.pub", "-m",
        work / "cacert.pem", check=1)
    run("minisign", "-V", "-p", work / "ours.pub", "-m",
        work / "cacert.pem", check=0)


def test_vector_with_minisign():
    run("minisign", "-H", "-V", "-p", FIXTURES / "vectors" / "test.pub",
        "-m", FIXTURES / "vectors" / "bundle.pem", check=0)


def test_we_accept_minisign(work):
    body = (work / "cacert.pem").read_bytes()
    sign_theirs(work, work / "cacert.pem", meta(body),
                work / "cacert.pem.minisig")
    run(CABUNDLE, "verify", "--key", work / "theirs.pub",
        work / "cacert.pem", check=0)
    # The key as an RW... string, as minisign -P takes it.
    rw = (work / "theirs.pub").read_text().splitlines()[1]
    p = run(CABUNDLE, "verify", "--key", rw, "-q", work / "cacert.pem",
            work / "cacert.pem.minisig", check=0)
    assert p.stdout == b""


def test_several_trusted_keys(work):
    body = (work / "cacert.pem").read_bytes()
    sign_theirs(work, work / "cacert.pem", meta(body),
                work / "cacert.pem.minisig")
    run(CABUNDLE, "verify", "--key", work / "ours.pub", "--key",
        work / "theirs.pub", work / "cacert.pem", check=0)


def refused(work, *extra, key="theirs.pub", words):
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    p = run(CABUNDLE, "verify", "--key", work / key, *extra, check=1)
    assert words in p.stderr.decode(), p.stderr.decode()
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before


def test_refusals(work):
    src = work / "cacert.pem"
    sig = work / "cacert.pem.minisig"
    body = src.read_bytes()
    when = int(now())

    sign_theirs(work, src, meta(body), sig, legacy=True)
    refused(work, src, words="legacy 'Ed' signature refused")

    sign_theirs(work, src, f"timestamp:{when}\tfile:cacert.pem\thashed", sig)
    refused(work, src, words="signed metadata refused")

    sign_theirs(work, src, meta(body, fmt="cabundle-keys/1"), sig)
    refused(work, src, words="another kind of signed document")

    sign_theirs(work, src, meta(body, profile="org-only"), sig)
    refused(work, "--profile", "org", src, words="not 'org'")

    sign_theirs(work, src, meta(body, created=when - 20 * DAY), sig)
    refused(work, src, words="expired")
    run(CABUNDLE, "verify", "--ignore-expiry", "--key", work / "theirs.pub",
        src, check=0)
    run(CABUNDLE, "verify", "--at", str(when - 19 * DAY), "--key",
        work / "theirs.pub", src, check=0)

    sign_theirs(work, src, meta(body, expires=when + 400 * DAY), sig)
    refused(work, src, words="more than the 31 allowed")

    sign_theirs(work, src, meta(body, created=when + DAY), sig)
    refused(work, src, words="in the future")

    sign_ours(work, src, meta(body), sig)
    refused(work, src, words="is not trusted")

    sign_theirs(work, src, meta(body), sig)
    tampered = work / "tampered.pem"
    t = bytearray(body)
    t[1000] ^= 0x20
    tampered.write_bytes(bytes(t))
    refused(work, tampered, sig, words="body sha256 is")
    tampered.write_bytes(body + b"\n")
    refused(work, tampered, sig, words="the signature says 240216")
    refused(work, work / "nothing.pem", words="nothing.pem.minisig")

    hello = work / "hello.pem"
    hello.write_bytes(b"hello\n")
    sign_theirs(work, hello, meta(b"hello\n"), work / "hello.pem.minisig")
    refused(work, hello, words="not a certificate bundle")

    # A signature line edited, a line added, the file cut short.
    good = sig.read_text()
    lines = good.splitlines(keepends=True)
    sig.write_text(lines[0] + lines[1] + lines[2].replace(
        "version:3", "version:4") + lines[3])
    refused(work, src, words="trusted comment is not signed")
    sig.write_text(good + "extra\n")
    refused(work, src, words="data after line 4")
    sig.write_text("".join(lines[:3]))
    refused(work, src, words="line 4")
    sig.write_bytes(b"<html>login</html>\n")
    refused(work, src, words="untrusted comment")
    sig.write_bytes(b"x" * (1 << 20))
    refused(work, src, words="larger than 16384")


def test_signed_size_above_hard_limit(work):
    huge = work / "huge.pem"
    with open(huge, "wb") as f:
        f.truncate(5 << 20)
    sign_theirs(work, huge, meta(b"", expires=None).replace(
        "size:0", f"size:{5 << 20}"), work / "huge.pem.minisig")
    refused(work, huge, words="above the 4194304 byte limit")


def test_usage(work):
    run(CABUNDLE, check=2)
    run(CABUNDLE, "verify", work / "cacert.pem", check=2)
    run(CABUNDLE, "verify", "--key", work / "nokey.pub", work / "cacert.pem",
        check=2)
    run(CABUNDLE, "verify", "--key", "RWnotakey", work / "cacert.pem",
        check=2)
    run(CABUNDLE, "verify", "--key", work / "theirs.pub", "--at", "soon",
        work / "cacert.pem", check=2)
    run(CABUNDLE, "verify", "--key", work / "theirs.pub", "--profile",
        "Bad Name", work / "cacert.pem", check=2)
    run(CABUNDLE, "fetch", check=2)


# Secret-key and signing code: what a verify-only client must not hold.
SIGNING = ("sig_sign", "seckey_load", "seckey_new", "seckey_write_at")
SIGNING_IMPORTS = ("EVP_DigestSign", "EVP_PKEY_keygen",
                   "PEM_read_PrivateKey", "PEM_write_bio_PrivateKey")


def symbols(binary, *flags):
    """The names nm lists, without symbol versions (@OPENSSL_3.0.0)."""
    return {ln.split()[-1].split("@")[0] for ln in run("nm", *flags, binary,
                                         check=0).stdout.decode().splitlines()
            if ln.strip()}


def test_the_client_is_verify_only():
    """As signify's VERIFYONLY build: the client can load no secret key
    and sign nothing (the server, which signs, has both)."""
    client = symbols(CABUNDLE_BIN)
    server = symbols(CABUNDLED_BIN)
    assert set(SIGNING) <= server
    assert not set(SIGNING) & client, set(SIGNING) & client
    imports = symbols(CABUNDLE_BIN, "-D", "--undefined-only")
    assert set(SIGNING_IMPORTS) <= symbols(CABUNDLED_BIN, "-D",
                                           "--undefined-only")
    assert not set(SIGNING_IMPORTS) & imports, set(SIGNING_IMPORTS) & imports
