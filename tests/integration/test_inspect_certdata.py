"""cabundled inspect on Mozilla's certdata.txt, checked against what the
file's own comments say (NSS's tooling writes them) and against openssl."""
import json
import re

import pytest

from conftest import CABUNDLED, FIXTURES, run

CD = FIXTURES / "certdata"


def readme_counts():
    """The README's table: file -> (certificates, server auth, dated)."""
    out = {}
    for line in (CD / "README.md").read_text().splitlines():
        m = re.match(r"\| (certdata-[0-9-]+\.txt) \| [0-9a-f]+ \| (\d+) \| "
                     r"(\d+) \| (\d+) \|", line)
        if m:
            out[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    assert len(out) == 4
    return out


def objects(path):
    """(comment lines, attribute lines) of each object after BEGINDATA."""
    body = path.read_text().split("\nBEGINDATA\n", 1)[1]
    for chunk in body.split("\n\n"):
        ls = chunk.splitlines()
        yield ([x for x in ls if x.startswith("#")],
               [x for x in ls if not x.startswith("#")])


def octal(attrs, name):
    """The bytes of a MULTILINE_OCTAL attribute, decoded here."""
    i = attrs.index(name + " MULTILINE_OCTAL")
    j = attrs.index("END", i)
    return bytes(int(x, 8) for x in
                 "".join(attrs[i + 1:j]).split("\\")[1:])


def utc(text):
    """NSS's comment date ("Sat Nov 30 23:59:59 2024") as ISO 8601."""
    return run("date", "-u", "-d", text + " UTC", "+%Y-%m-%dT%H:%M:%SZ",
               check=0).stdout.decode().strip()


@pytest.mark.parametrize("name", sorted(readme_counts()))
def test_counts_and_fingerprints(name):
    certs, server, _ = readme_counts()[name]
    path = CD / name
    p = run(CABUNDLED, "inspect", path, check=0)
    lines = p.stdout.decode().splitlines()
    assert lines[0].startswith(f"{path}: certdata.txt, {certs} "
                               f"certificates, {server} trusted for "
                               "server auth")
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=0).stdout)
    assert doc["format"] == "certdata"
    assert doc["count"] == certs and doc["server_auth"] == server
    assert doc["bytes"] == path.stat().st_size
    assert len(lines) == len(doc["certificates"]) + 1
    for line, c in zip(lines[1:], doc["certificates"]):
        assert line.startswith(c["sha256"] or "(no certificate) ")
        assert line.endswith("  " + c["label"])
    got = [c for c in doc["certificates"] if c["sha256"]]
    assert len(got) == certs
    assert sum(c["server"] == "trusted-delegator" for c in got) == server
    # Each certificate's "# Fingerprint (SHA-256):" comment, where NSS
    # wrote one (not for roots added before 2015 or so).
    certobjs = [comments for comments, attrs in objects(path)
                if "CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE" in attrs]
    assert len(certobjs) == certs
    compared = 0
    for c, comments in zip(got, certobjs):
        for x in comments:
            if x.startswith("# Fingerprint (SHA-256):"):
                assert c["sha256"] == re.sub(r"[^0-9a-f]", "",
                                             x.split(":", 1)[1].lower())
                compared += 1
    assert compared > 50


def test_distrust_dates_match_comments():
    """Every date equals the file's '# For Server Distrust After:'."""
    path = CD / "certdata-2024-11-15.txt"
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=0).stdout)
    by_label = {c["label"]: c for c in doc["certificates"]}
    seen = 0
    for comments, attrs in objects(path):
        if "CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE" not in attrs:
            continue
        label = [a for a in attrs if a.startswith("CKA_LABEL ")][0]
        c = by_label[label[len('CKA_LABEL UTF8 "'):-1]]
        when = [x.split(":", 1)[1].strip() for x in comments
                if x.startswith("# For Server Distrust After:")]
        assert c["server_distrust_after"] == (utc(when[0]) if when
                                              else None)
        seen += bool(when)
    assert seen == 9
    assert by_label["AffirmTrust Premium"]["server_distrust_after"] == \
        "2024-11-30T23:59:59Z"
    assert by_label["GLOBALTRUST 2020"]["server_distrust_after"] == \
        "2024-06-30T00:00:00Z"
    out = run(CABUNDLED, "inspect", path, check=0).stdout.decode()
    line = [x for x in out.splitlines() if x.endswith("  GLOBALTRUST 2020")]
    assert "server-distrust-after=2024-06-30T00:00:00Z" in line[0]


def test_fingerprint_by_openssl():
    """The DER inspect hashed is the certificate openssl reads."""
    path = CD / "certdata-2026-04-09.txt"
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=0).stdout)
    by_label = {c["label"]: c for c in doc["certificates"]}
    for comments, attrs in objects(path):
        if 'CKA_LABEL UTF8 "Izenpe.com"' in attrs and \
                "CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE" in attrs:
            der = octal(attrs, "CKA_VALUE")
    out = run("openssl", "x509", "-inform", "DER", "-noout",
              "-fingerprint", "-sha256", input=der, check=0).stdout.decode()
    fp = re.search(r"Fingerprint=([0-9A-F:]+)", out).group(1)
    izenpe = by_label["Izenpe.com"]
    assert fp.replace(":", "").lower() == izenpe["sha256"]
    # 2026 carries Izenpe's date on its trust object, not the certificate.
    assert izenpe["server_distrust_after"] == utc("Wed Apr 15 23:59:59 2026")
    assert izenpe["server"] == "trusted-delegator"


def test_trust_only_entries():
    """The 2019 file's seven distrusts have no certificate."""
    path = CD / "certdata-2019-11-26.txt"
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=0).stdout)
    alone = [c for c in doc["certificates"] if c["sha256"] is None]
    assert len(alone) == 7
    assert all(c["server"] == "not-trusted" for c in alone)
    out = run(CABUNDLED, "inspect", path, check=0).stdout.decode()
    assert sum(x.startswith("(no certificate)")
               for x in out.splitlines()) == 7


REFUSED = {
    "octal-short.txt": ("bad-octal", 2, 113),
    "orphan-trust.txt": ("orphan-trust", 4, 216),
    "label-latin1.txt": ("bad-utf8", 2, 88),
    "no-end.txt": ("no-end", 5, 366),
    "sha1-mismatch.txt": ("hash-mismatch", 3, 185),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name):
    code, obj, line = REFUSED[name]
    path = CD / "broken" / name
    p = run(CABUNDLED, "inspect", path, check=1)
    assert p.stdout == b""
    assert f"{path}: object {obj} (line {line}): ".encode() in p.stderr
    doc = json.loads(run(CABUNDLED, "inspect", "--json", path,
                         check=1).stdout)
    assert doc["error"]["code"] == code
    assert (doc["error"]["object"], doc["error"]["line"]) == (obj, line)


def test_vet_is_for_pem_only():
    p = run(CABUNDLED, "inspect", "--vet", CD / "small.txt", check=2)
    assert b"--vet judges PEM bundles only" in p.stderr
