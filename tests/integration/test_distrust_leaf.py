"""The issue's proof for distrust-after: `openssl verify` of a TLS leaf
issued before and one issued after a root's server distrust-after date,
against the bundle each policy (keep, sunset, drop) serves, before and
after the sunset.  The root is ours (a key the test holds), written into
a small certdata.txt the way Mozilla writes its objects, imported with
the product and published at fixed dates (clock_env(at=...)), so every
expectation holds on any day and under TEST_DATE."""
import calendar
import hashlib
import json
import time

import pytest

from conftest import FIXTURES, Mirror, Server, clock_env, openssl, run

DAY = 86400
SUNSET = 398 * DAY              # CA/B Forum BR 6.3.2


def at(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%S"))


# Fixed epochs, none of them today.
T_ROOTS = at("2030-01-01T00:00:00")         # the roots are made
DISTRUST = at("2031-03-01T00:00:00")        # the dated root's date
T_LEAF_OLD = DISTRUST - 60 * DAY            # issued before the date
T_LEAF_NEW = DISTRUST + 30 * DAY            # issued after it
T_CHECK = DISTRUST + 90 * DAY               # inside both leaves' life
T_IMPORT = DISTRUST - 90 * DAY
T_BEFORE = DISTRUST + SUNSET - DAY          # sunset still serves it
T_AFTER = DISTRUST + SUNSET + DAY           # sunset has left it out


def octal(data):
    """MULTILINE_OCTAL lines, 16 bytes a line, as certdata.txt has."""
    return ["".join("\\%03o" % b for b in data[i:i + 16])
            for i in range(0, len(data), 16)]


def der_next(der, i):
    """(content start, end) of the DER TLV at offset i."""
    n, j = der[i + 1], i + 2
    if n & 0x80:
        n, j = int.from_bytes(der[j:j + (n & 0x7f)], "big"), j + (n & 0x7f)
    return j, j + n


def der_names(der):
    """The certificate's serial number (a whole DER INTEGER), issuer and
    subject, the bytes certdata.txt carries."""
    i, _ = der_next(der, 0)             # Certificate
    i, end = der_next(der, i)           # tbsCertificate
    fields = []
    while i < end:
        _, e = der_next(der, i)
        fields.append(der[i:e])
        i = e
    if fields[0][0] == 0xa0:            # [0] version
        fields = fields[1:]
    serial, _, issuer, _, subject = fields[:5]
    return serial, issuer, subject


def certdata_objects(der, label, server_after=None):
    """The CKO_CERTIFICATE and CKO_NSS_TRUST objects of one root trusted
    for server auth, its distrust-after date a UTCTime or none."""
    serial, issuer, subject = der_names(der)

    def multi(name, data):
        return [f"{name} MULTILINE_OCTAL", *octal(data), "END"]

    head = ["CKA_TOKEN CK_BBOOL CK_TRUE", "CKA_PRIVATE CK_BBOOL CK_FALSE",
            "CKA_MODIFIABLE CK_BBOOL CK_FALSE", f'CKA_LABEL UTF8 "{label}"']
    if server_after is None:
        dated = ["CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_FALSE"]
    else:
        dated = multi("CKA_NSS_SERVER_DISTRUST_AFTER",
                      time.strftime("%y%m%d%H%M%SZ",
                                    time.gmtime(server_after)).encode())
    cert = ["CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE", *head,
            "CKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509",
            *multi("CKA_SUBJECT", subject),
            'CKA_ID UTF8 "0"',
            *multi("CKA_ISSUER", issuer),
            *multi("CKA_SERIAL_NUMBER", serial),
            *multi("CKA_VALUE", der),
            "CKA_NSS_MOZILLA_CA_POLICY CK_BBOOL CK_TRUE",
            *dated,
            "CKA_NSS_EMAIL_DISTRUST_AFTER CK_BBOOL CK_FALSE"]
    trust = [f'# Trust for "{label}"',
             "CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST", *head,
             *multi("CKA_CERT_SHA1_HASH", hashlib.sha1(der).digest()),
             *multi("CKA_CERT_MD5_HASH", hashlib.md5(der).digest()),
             *multi("CKA_ISSUER", issuer),
             *multi("CKA_SERIAL_NUMBER", serial),
             "CKA_TRUST_SERVER_AUTH CK_TRUST CKT_NSS_TRUSTED_DELEGATOR",
             "CKA_TRUST_EMAIL_PROTECTION CK_TRUST CKT_NSS_MUST_VERIFY_TRUST",
             "CKA_TRUST_CODE_SIGNING CK_TRUST CKT_NSS_MUST_VERIFY_TRUST",
             "CKA_TRUST_STEP_UP_APPROVED CK_BBOOL CK_FALSE"]
    return "\n".join(cert) + "\n\n" + "\n".join(trust) + "\n"


def write_certdata(path, roots):
    """certdata.txt with small.txt's header and root list object, then
    the objects of roots [(der, label, server_after or None), ...]."""
    small = (FIXTURES / "certdata" / "small.txt").read_text()
    head, body = small.split("\nBEGINDATA\n", 1)
    root_list = body.split("\n\n", 1)[0]
    path.write_text(head + "\nBEGINDATA\n" + root_list + "\n\n" +
                    "\n".join(certdata_objects(*r) for r in roots))


def make_root(d, name):
    """A self-signed CA made at T_ROOTS, valid twenty years; returns its
    key, PEM and DER paths."""
    key, pem, der = (d / f"{name}.key", d / f"{name}.pem", d / f"{name}.der")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            pem, "-days", "7300", "-subj", f"/O=cabundle test/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", at=T_ROOTS)
    openssl("x509", "-in", pem, "-outform", "DER", "-out", der)
    return key, pem, der


def issue_leaf(d, name, ca_key, ca_pem, when):
    """A TLS server leaf signed by the CA at `when` (its notBefore),
    valid 200 days."""
    key, csr, pem = (d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", f"/CN={name}.example")
    ext = d / f"{name}.ext"
    ext.write_text(f"subjectAltName=DNS:{name}.example\n"
                   "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
            "-set_serial", "0x" + hashlib.sha1(name.encode()).hexdigest(),
            "-days", "200", "-extfile", ext, "-out", pem, at=when)
    start = openssl("x509", "-in", pem, "-noout", "-startdate")
    assert time.strftime("%b %e %H:%M", time.gmtime(when)) in start, start
    return pem


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    dated_key, dated_pem, dated_der = make_root(d, "Dated Test Root")
    _, plain_pem, plain_der = make_root(d, "Undated Test Root")
    certdata = d / "certdata.txt"
    # The undated root keeps every bundle non-empty.
    write_certdata(certdata, [
        (plain_der.read_bytes(), "Undated Test Root", None),
        (dated_der.read_bytes(), "Dated Test Root", DISTRUST)])
    return {
        "certdata": certdata,
        "dated_sha256": hashlib.sha256(dated_der.read_bytes()).hexdigest(),
        "old": issue_leaf(d, "old", dated_key, dated_pem, T_LEAF_OLD),
        "new": issue_leaf(d, "new", dated_key, dated_pem, T_LEAF_NEW),
    }


def verify(bundle, leaf):
    """openssl verify's exit status for the leaf against the bundle alone,
    at T_CHECK, for a TLS server."""
    return run("openssl", "verify", "-no-CApath", "-no-CAstore", "-CAfile",
               bundle, "-purpose", "sslserver", "-attime", str(T_CHECK),
               leaf).returncode


# What each policy's bundle lets openssl accept (0) or refuse (2), for
# both leaves: a flat PEM has no room for the date, so whatever it
# holds, it trusts for every leaf; keep therefore accepts the leaf
# issued after the date too (constraints.json carries the date to
# consumers that can honour it), sunset does until the last leaf issued
# before the date has expired, and drop never serves the root.
EXPECT = {
    ("keeper", T_BEFORE): 0, ("keeper", T_AFTER): 0,
    ("mozilla", T_BEFORE): 0, ("mozilla", T_AFTER): 2,
    ("dropper", T_BEFORE): 2, ("dropper", T_AFTER): 2,
}


def test_leaves_before_and_after_the_date_under_each_policy(pki, tmp_path,
                                                            monkeypatch):
    m = Mirror(tmp_path / "data")
    m("init", "--actor", "tester", check=0, env=clock_env(at=T_IMPORT))
    for name, policy in (("keeper", "keep"), ("dropper", "drop")):
        m("profile", "add", "--distrust-after", policy, name, check=0,
          env=clock_env(at=T_IMPORT))
    # A first snapshot: quarantined (5) until someone approves it.
    m("import", pki["certdata"], check=5, env=clock_env(at=T_IMPORT))
    sid = m.snapshots()[-1]["id"]
    m("approve", "--reason", "reviewed", "--actor", "alice", str(sid),
      check=0, env=clock_env(at=T_IMPORT))
    assert m.accepted()["id"] == sid

    for when in (T_BEFORE, T_AFTER):
        m("publish", check=0, env=clock_env(at=when))
    hist = {p: m.json("history", "--json", p)
            for p in ("keeper", "mozilla", "dropper")}

    for k, val in clock_env(at=T_AFTER + 3600).items():
        monkeypatch.setenv(k, val)
    s = Server(m)
    try:
        seen = set()
        for p, rows in hist.items():
            for when in (T_BEFORE, T_AFTER):
                # The release serving at `when`: the newest made by then.
                row = [x for x in rows if x["created"] <= when][-1]
                got = s.get(f"/v1/{p}/{row['version']}/cacert.pem")
                assert got.status_code == 200
                bundle = tmp_path / f"{p}-{row['version']}.pem"
                bundle.write_bytes(got.content)
                for leaf in ("old", "new"):
                    assert verify(bundle, pki[leaf]) == EXPECT[p, when], \
                        (p, when, leaf, row)
                seen.add((p, when))
        assert seen == set(EXPECT)

        # keep's constraints.json names the root with the date we chose.
        v = hist["keeper"][-1]["version"]
        got = s.get(f"/v1/keeper/{v}/constraints.json")
        assert got.status_code == 200
        doc = json.loads(got.content)
        assert doc["policy"] == "keep"
        assert doc["roots"] == [{
            "label": "Dated Test Root",
            "served_until": None,
            "server_distrust_after": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(DISTRUST)),
            "sha256": pki["dated_sha256"]}]
    finally:
        s.stop()
