"""cabundled inspect, as an operator runs it, checked against openssl."""
import json
import re

import pytest

from conftest import CABUNDLED, FIXTURES, expired, pem_blocks, run

UPSTREAM = {
    "cacert-2019.11.28.pem": 137,
    "cacert-2021.05.30.pem": 128,
    "cacert-2022.12.07.pem": 137,
    "cacert-2024.02.02.pem": 147,
    "cacert-2025.07.14.pem": 146,
    "cacert-2026.07.22.pem": 121,
}

REFUSED = {
    "truncated-mid-cert.pem": ("truncated", "block 121 (line 3934)"),
    "captive-portal.html": ("html", "line 1: HTML"),
    "corrupted-base64.pem": ("bad-base64",
                             "block 60 (line 2020): invalid base64"),
    "empty.pem": ("empty", "empty input"),
    "der-instead-of-pem.der": ("der-not-pem", "binary DER data"),
}

PARSED = {
    "leaf-appended.pem": 122,
    "duplicate-cert.pem": 122,
    "only-3-certs.pem": 3,
    "evil-root-added.pem": 122,
}


@pytest.mark.parametrize("name,count", sorted(UPSTREAM.items()))
def test_upstream_counts(name, count):
    path = FIXTURES / "upstream" / name
    p = run(CABUNDLED, "inspect", path, check=0)
    lines = p.stdout.decode().splitlines()
    assert lines[0] == f"{path}: {count} certificates"
    assert len(lines) == count + 1
    doc = json.loads(run(CABUNDLED, "inspect", path, "--json",
                         check=0).stdout)
    assert doc["count"] == count == len(doc["certificates"])
    assert doc["bytes"] == path.stat().st_size


def test_fields_match_openssl():
    """Fingerprint, expiry and serial of every root agree with openssl."""
    path = FIXTURES / "upstream" / "cacert-2026.07.22.pem"
    doc = json.loads(run(CABUNDLED, "inspect", path, "--json",
                         check=0).stdout)
    blocks = pem_blocks(path.read_bytes())
    assert len(blocks) == len(doc["certificates"])
    for block, cert in zip(blocks, doc["certificates"]):
        out = run("openssl", "x509", "-noout", "-fingerprint", "-sha256",
                  "-enddate", "-serial", input=block,
                  check=0).stdout.decode()
        fp = re.search(r"Fingerprint=([0-9A-F:]+)", out).group(1)
        assert fp.replace(":", "").lower() == cert["sha256"]
        end = run("date", "-u", "-d",
                  re.search(r"notAfter=(.*)", out).group(1),
                  "+%Y-%m-%dT%H:%M:%SZ", check=0).stdout.decode().strip()
        assert end == cert["not_after"]
        serial = int(re.search(r"serial=([0-9A-F]+)", out).group(1), 16)
        assert int(cert["serial"]) in (serial, serial - (1 << (4 * len(
            re.search(r"serial=([0-9A-F]+)", out).group(1)))))
        assert cert["self_signed"] and cert["ca"]


def test_text_line_shows_label_and_key():
    path = FIXTURES / "upstream" / "cacert-2026.07.22.pem"
    out = run(CABUNDLED, "inspect", path, check=0).stdout.decode()
    isrg = [ln for ln in out.splitlines() if ln.endswith("  ISRG Root X1")]
    assert len(isrg) == 1
    assert isrg[0].split()[:4] == [
        "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6",
        "2035-06-04", "CA", "RSA"]


def test_v1_root_and_expired_are_shown():
    path = FIXTURES / "upstream" / "cacert-2019.11.28.pem"
    doc = json.loads(run(CABUNDLED, "inspect", path, "--json",
                         check=0).stdout)
    v1 = [c for c in doc["certificates"] if c["version"] == 1]
    assert [c["label"] for c in v1] == [
        "Verisign Class 3 Public Primary Certification Authority - G3"]
    assert not v1[0]["ca"]
    shown = {c["sha256"] for c in doc["certificates"] if c["expired"]}
    # What openssl says has expired by the clock the product runs under
    # (14 roots on 2026-11-22, one more every few months).
    assert shown == expired(path)
    assert ("687fa451382278fff0c8b11f8d43d576671c6eb2bceab413fb83d965d06d"
            "2ff2") in shown


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_refused(name):
    code, words = REFUSED[name]
    path = FIXTURES / "hostile" / name
    p = run(CABUNDLED, "inspect", path, check=1)
    err = p.stderr.decode()
    assert f"{path}: " in err and words in err, err
    assert p.stdout == b""
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=1).stdout)
    assert doc["error"]["code"] == code
    assert "certificates" not in doc


@pytest.mark.parametrize("name,count", sorted(PARSED.items()))
def test_hostile_bundles_parse(name, count):
    doc = json.loads(run(CABUNDLED, "inspect", "--json",
                         FIXTURES / "hostile" / name, check=0).stdout)
    assert doc["count"] == count


def test_leaf_is_visible():
    doc = json.loads(run(CABUNDLED, "inspect", "--json",
                         FIXTURES / "hostile" / "leaf-appended.pem",
                         check=0).stdout)
    leaf = doc["certificates"][-1]
    assert not leaf["ca"] and not leaf["self_signed"]


def test_utf8_sample():
    doc = json.loads(run(CABUNDLED, "inspect", "--json",
                         FIXTURES / "edge" / "mkcert-utf8-sample.pem",
                         check=0).stdout)
    assert doc["certificates"][0]["label"] == \
        "NetLock Arany (Class Gold) F\u0151tan\xfas\xedtv\xe1ny"


def test_usage_and_local_errors(tmp_path):
    assert run(CABUNDLED, check=2).stderr.startswith(b"usage:")
    run(CABUNDLED, "inspect", check=2)
    run(CABUNDLED, "inspect", "--bogus", "x", check=2)
    run(CABUNDLED, "frobnicate", check=2)
    p = run(CABUNDLED, "inspect", tmp_path / "missing.pem", check=4)
    assert b"missing.pem" in p.stderr
    run(CABUNDLED, "inspect", tmp_path, check=4)
    big = tmp_path / "big.pem"
    big.write_bytes(b"#\n" * (5 << 20))
    p = run(CABUNDLED, "inspect", big, check=1)
    assert b"larger than" in p.stderr
