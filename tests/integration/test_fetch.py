"""cabundled fetch against a fake mkcert.org over real HTTPS (a test CA
made with openssl): good answers, hostile answers, and a network that
misbehaves.  Whatever goes wrong, the accepted snapshot stays."""
import hashlib
import time

import pytest

from conftest import (FIXTURES, HOSTILE_EXPECT, RELEASES, Mirror, approve,
                      checks, sha256, upstream)
from upstream import FakeUpstream, make_test_pki, pubkey_pin

HOSTILE = FIXTURES / "hostile"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def up(pki):
    with FakeUpstream(pki) as u:
        yield u


def mirror_for(tmp_path, pki, url, *extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    m = Mirror(tmp_path / "data")
    m.overrides = ["upstream.url=" + url, "upstream.ca_file=%s" % pki.ca,
                   "upstream.retries=0", "upstream.timeout=20",
                   "upstream.connect_timeout=5", *extra]
    m("init", "--actor", "tester", check=0)
    return m


@pytest.fixture
def mirror(tmp_path, pki, up):
    return mirror_for(tmp_path, pki, up.url)


@pytest.fixture
def good(mirror, up):
    """Accepted: the newest real release, fetched and approved."""
    up.body = upstream("2026.07.22").read_bytes()
    mirror("fetch", check=5)
    approve(mirror, 1)
    return mirror


def unchanged(m, before):
    """Nothing a failed fetch may touch has moved."""
    assert m.accepted() == before["accepted"]
    assert len(m.snapshots()) == before["count"]
    m("audit", "verify", check=0)


def state(m):
    return {"accepted": m.accepted(), "count": len(m.snapshots())}


def test_six_releases_fetched_in_date_order(mirror, up):
    """The same verdicts as imports (test_store explains each): every
    real release adds roots, so each waits for a human; approve moves
    the accepted set forward, 2026.07.22's 22% removal included."""
    for version in RELEASES:
        up.body = upstream(version).read_bytes()
        p = mirror("fetch", check=5)
        assert b"quarantined" in p.stdout
        snap = mirror.snapshots()[-1]
        assert snap["source"] == up.url
        assert snap["sha256"] == sha256(upstream(version))
        approve(mirror, snap["id"])
    assert mirror.accepted()["sha256"] == sha256(upstream("2026.07.22"))
    assert len(up.requests) == len(RELEASES)
    # mkcert.org sends no validators: each fetch is a plain GET.
    assert all("If-None-Match" not in h for _, _, h in up.requests)


@pytest.mark.parametrize("name", sorted(HOSTILE_EXPECT))
def test_hostile_answers(good, up, name):
    code, verdict, why = HOSTILE_EXPECT[name]
    before = state(good)
    up.body = (HOSTILE / name).read_bytes()
    good("fetch", check=code)
    snap = good.snapshots()[-1]
    assert snap["status"] == verdict
    level = "error" if verdict == "rejected" else "quarantine"
    assert checks(good.report(snap["id"]), level) == why
    assert good.accepted() == before["accepted"]


def test_captive_portal_as_html_and_disguised(good, up):
    up.body = (HOSTILE / "captive-portal.html").read_bytes()
    for ctype in ("text/html; charset=utf-8", "application/x-pem-file"):
        up.content_type = ctype
        before = state(good)
        p = good("fetch", check=1)
        assert b"rejected" in p.stdout and b"html" in p.stdout
        assert good.accepted() == before["accepted"]


def test_crosscheck_source_refuses_the_evil_root(tmp_path, pki, up):
    with FakeUpstream(pki) as curl:
        curl.body = upstream("2026.07.22").read_bytes()
        m = mirror_for(tmp_path, pki, up.url,
                       "upstream.crosscheck_url=" + curl.url)
        up.body = curl.body
        # The second source vouches for every root: no first-use wait.
        p = m("fetch", check=0)
        assert b"accepted (121 certificates, 121 added" in p.stdout
        up.body = (HOSTILE / "evil-root-added.pem").read_bytes()
        p = m("fetch", check=1)
        assert b"new root missing from the cross-check source" in p.stdout
        assert len(curl.requests) == 2
        assert m.accepted()["id"] == 1


def test_pinned_public_key(tmp_path, pki, up):
    up.body = upstream("2026.07.22").read_bytes()
    bad = mirror_for(tmp_path / "a", pki, up.url,
                     "upstream.pinned_pubkey=" + pubkey_pin(pki.wrong_cert),
                     "upstream.retries=2", "upstream.retry_delay=1")
    t = time.monotonic()
    p = bad("fetch", check=3)
    assert b"pinned public key" in p.stderr, p.stderr
    assert time.monotonic() - t < 1.0, "a pin failure is not retried"
    assert up.requests == [] and bad.snapshots() == []
    ok = mirror_for(tmp_path / "b", pki, up.url, "upstream.pinned_pubkey="
                    + pubkey_pin(pki.cert))
    ok("fetch", check=5)


def test_wrong_host_name(tmp_path, pki):
    with FakeUpstream(pki, cert="wrong") as wrong:
        wrong.body = upstream("2026.07.22").read_bytes()
        m = mirror_for(tmp_path, pki, wrong.url)
        p = m("fetch", check=3)
        assert b"localhost" in p.stderr and b"name" in p.stderr, p.stderr
        assert m.snapshots() == []


def test_unknown_ca_is_refused(tmp_path, pki, up):
    up.body = upstream("2026.07.22").read_bytes()
    m = mirror_for(tmp_path, pki, up.url, "upstream.ca_file=/etc/ssl/certs/"
                   "ca-certificates.crt")
    p = m("fetch", check=3)
    assert b"certificate" in p.stderr


def test_http_500_is_retried_then_unreachable(good, up):
    before = state(good)
    up.status = 500
    good.overrides += ["upstream.retries=2", "upstream.retry_delay=0"]
    p = good("fetch", check=3)
    assert b"500" in p.stderr
    assert len(up.requests) == 1 + 3
    unchanged(good, before)


def test_connection_refused(tmp_path, pki):
    with FakeUpstream(pki) as gone:
        url = gone.url
    m = mirror_for(tmp_path, pki, url)
    p = m("fetch", check=3)
    assert url.encode() in p.stderr
    assert m.snapshots() == []


@pytest.mark.parametrize("sized", [False, True])
def test_body_over_the_cap(good, up, sized):
    before = state(good)
    good.overrides.append("upstream.max_bytes=100000")
    up.body = upstream("2025.07.14").read_bytes()
    up.content_length = sized
    p = good("fetch", check=1)
    assert b"larger than 100000 bytes" in p.stderr, p.stderr
    unchanged(good, before)


def test_endless_chunked_body_stops_at_the_cap(good, up):
    before = state(good)
    up.body = upstream("2026.07.22").read_bytes()
    up.mode = "endless"
    t = time.monotonic()
    p = good("fetch", check=1)
    assert time.monotonic() - t < 30
    assert b"larger than 4194304 bytes" in p.stderr
    unchanged(good, before)


def test_one_byte_per_second_drip_is_abandoned(good, up):
    before = state(good)
    good.overrides += ["upstream.low_speed_limit=100",
                       "upstream.low_speed_time=2"]
    up.body = upstream("2026.07.22").read_bytes()
    up.mode = "drip"
    t = time.monotonic()
    p = good("fetch", check=3)
    assert time.monotonic() - t < 10
    assert up.url.encode() in p.stderr
    unchanged(good, before)


def test_plain_http_needs_allow_insecure_http(tmp_path, pki):
    with FakeUpstream(tls=False) as plain:
        plain.body = upstream("2026.07.22").read_bytes()
        m = mirror_for(tmp_path, pki, plain.url)
        p = m("fetch", check=2)
        assert b"allow_insecure_http" in p.stderr, p.stderr
        assert plain.requests == []
        m.overrides.append("upstream.allow_insecure_http=yes")
        m("fetch", check=5)


def test_no_downgrade_after_a_redirect_from_https(tmp_path, pki, up):
    with FakeUpstream(tls=False) as plain:
        plain.body = upstream("2026.07.22").read_bytes()
        up.redirect = plain.url
        m = mirror_for(tmp_path, pki, up.base + "/generate",
                       "upstream.allow_insecure_http=yes")
        m("fetch", check=3)
        assert plain.requests == []
        # The same-scheme redirect mkcert.org really sends is followed.
        up.redirect = "/generate/"
        up.body = plain.body
        m("fetch", check=5)


def test_conditional_request_costs_one_304(good, up):
    up.etag = '"v1"'
    up.body = (HOSTILE / "duplicate-cert.pem").read_bytes()
    good("fetch", check=5)      # new body, remembered with its ETag
    good("reject", "--reason", "dup", "2", check=0)
    up.body = upstream("2026.07.22").read_bytes()
    up.etag = '"v2"'
    good("fetch", check=0)      # back to the accepted body: unchanged
    n = len(up.requests)
    p = good("fetch", check=0)
    assert b"unchanged (HTTP 304)" in p.stdout
    assert len(up.requests) == n + 1
    assert up.requests[-1][2].get("If-None-Match") == '"v2"'
    assert len(good.snapshots()) == 2


def test_unchanged_body_without_validators(good, up):
    p = good("fetch", check=0)
    assert b"unchanged" in p.stdout
    assert len(good.snapshots()) == 1


def test_serve_once_runs_one_scheduled_fetch(mirror, up):
    up.body = upstream("2026.07.22").read_bytes()
    p = mirror("serve", "--once", check=5)
    assert b"fetch " + up.url.encode() in p.stdout
    assert len(mirror.snapshots()) == 1


def test_serve_publishes_what_a_scheduled_fetch_accepted(mirror, up):
    body = upstream("2026.07.22").read_bytes()
    up.body = body
    mirror.overrides.append("vet.pinned_digest=" +
                            hashlib.sha256(body).hexdigest())
    p = mirror("serve", "--once", check=0)
    assert b"mozilla: version 1 (new bundle" in p.stdout
    assert [h["version"] for h in mirror.json("history", "--json",
                                              "mozilla")] == [1]
    # Nothing changed upstream (a 304 or the same body): nothing new.
    p = mirror("serve", "--once", check=0)
    assert b"version 2" not in p.stdout
    assert len(mirror.json("history", "--json", "org")) == 1


def test_a_failed_fetch_keeps_the_age_of_the_last_good_one(good, up):
    # A monitor alerts on cabundle_last_fetch_age_seconds growing: a
    # failed fetch must leave it counting from the last good answer,
    # not make it disappear.
    from test_http import Server
    up.status = 500
    good("fetch", check=3)
    s = Server(good)
    try:
        text = s.get("/metrics").text
    finally:
        s.stop()
    age = [ln for ln in text.splitlines()
           if ln.startswith("cabundle_last_fetch_age_seconds ")]
    assert age and 0 <= int(age[0].split()[1]) < 300, text
