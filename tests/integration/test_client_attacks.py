"""cabundle install against a hostile mirror: every attack of
ATTACKS.md sections 1-14 that a fake HTTP server can stage.

The mirror (fakemirror.py) serves genuine signatures made with our
sigtool (K1, K2 trusted; K3 not) over crafted bodies, or crafted
answers outright.  Each refusal must exit 1 (3 where the source is
merely unreachable), say why on stderr, and leave every target (bytes,
mtime, inode), every other file beside it (no backup, no temporary
file) and the state exactly as they were.
"""
import base64
import concurrent.futures
import hashlib
import json
import os
import pathlib
import time

import pytest

from conftest import (BODY_MAX, DAY, NOPROXY, ORIGINAL, SIG_PATH, ClientEnv,
                      asan_build, b64, body_of, body_path, run, tc)
from conftest import now as product_now
from fakemirror import (FakeMirror, closed_port_url, drip, endless,
                        gzip_bomb, redirect, silent, static, truncated)

def refused(env, snap, p, *words, codes=(1,)):
    """p is a refusal naming the attack; nothing on disk changed."""
    err = p.stderr.decode(errors="replace")
    print(f"exit {p.returncode}: {err}")
    assert p.returncode in codes, (
        f"exit {p.returncode}, want {codes}\nstdout: "
        f"{p.stdout.decode(errors='replace')[:2000]}\nstderr: {err}")
    if p.returncode == 1:
        assert "refused" in err.lower(), err
    for w in words:
        assert w.lower() in err.lower(), f"{w!r} not in stderr: {err}"
    env.unchanged(snap)


def attempt(env, *words, codes=(1,), **kw):
    snap = env.snapshot()
    p = env.install(**kw)
    refused(env, snap, p, *words, codes=codes)
    return p


def jout(p):
    return json.loads(p.stdout)


# -- a good install works (so every refusal below can be told apart) --

def test_good_install_and_json(env, keys):
    env.publish(3)
    p = env.install(check=0)
    out = jout(p)
    assert out["result"] == "installed" and out["version"] == 3, out
    for t in env.targets:
        assert t.read_bytes() == body_of(3)
        assert pathlib.Path(f"{t}-backup").read_bytes() == ORIGINAL
    assert env.m.hits(body_path(3)) == 1
    assert env.state.exists()


# -- 1. tampered body --

@pytest.mark.parametrize("how", ["flip", "append-announced",
                                 "append-unannounced", "bad-file-sig"])
def test_tampered_body(env, keys, how):
    b = body_of(3)
    env.publish(3, b)
    if how == "flip":
        bad = bytearray(b)
        bad[len(b) // 2] ^= 0x01
        env.m.routes[body_path(3)] = static(bytes(bad))
        words = ["sha256", "the signature says"]
    elif how.startswith("append"):
        env.m.routes[body_path(3)] = static(
            b + b"\n", length=how == "append-announced")
        words = [f"more than {len(b)} bytes"]
    else:
        # T names body v3 (size, sha256) but the ED signature covers
        # another file: only step 9's signature check can notice.
        other = body_of(4)
        sig = keys.k1.sign(other, tc(b, 3))
        env.m.routes[SIG_PATH] = static(sig)
        words = ["signature verification failed"]
    attempt(env, *words)


# -- 2. truncated body or signature --

@pytest.mark.parametrize("how", ["last-byte-dropped", "body-cut-short",
                                 "sig-after-line-3", "sig-cut-short"])
def test_truncated(env, keys, how):
    b = body_of(3)
    sig = env.publish(3, b)
    if how == "last-byte-dropped":
        env.m.routes[body_path(3)] = static(b[:-1])
        words = [f"body is {len(b) - 1} bytes, the signature says {len(b)}"]
    elif how == "body-cut-short":
        env.m.routes[body_path(3)] = truncated(b[:-100], len(b))
        words = ["truncated"]
    elif how == "sig-after-line-3":
        cut = b"".join(sig.splitlines(keepends=True)[:3])
        env.m.routes[SIG_PATH] = static(cut)
        words = ["line 4"]
    else:
        env.m.routes[SIG_PATH] = truncated(sig[:-30], len(sig))
        words = ["truncated"]
    attempt(env, *words)


# -- 3. endless data and slow retrieval --

@pytest.mark.parametrize("announced", [True, False])
def test_endless_body(env, keys, announced):
    b = body_of(3)
    env.publish(3, b)
    env.m.routes[body_path(3)] = static(b + b"\0" * (10 << 20),
                                        length=announced)
    attempt(env, f"more than {len(b)} bytes")


@pytest.mark.parametrize("announced", [True, False])
def test_huge_signature_file(env, keys, announced):
    env.publish(3)
    env.m.routes[SIG_PATH] = static(
        b"untrusted comment: " + b"A" * (1 << 20) + b"\n", length=announced)
    attempt(env, "more than 16384 bytes")
    assert env.m.hits(body_path(3)) == 0


@pytest.mark.parametrize("size", [BODY_MAX + 1, 5 << 20])
def test_signed_size_above_hard_limit(env, keys, size):
    big = (body_of(3) * 30)[:size]
    assert len(big) == size
    sig = keys.k1.sign(big, tc(big, 3))
    env.m.routes[SIG_PATH] = static(sig)
    env.m.routes[body_path(3)] = static(big)
    attempt(env, "above the 4194304-byte limit")
    assert env.m.hits(body_path(3)) == 0, "the body was requested"


@pytest.mark.parametrize("where", ["body", "sig"])
def test_endless_chunked_zeros(env, keys, where, tmp_path):
    b = body_of(3)
    env.publish(3, b)
    path = body_path(3) if where == "body" else SIG_PATH
    env.m.routes[path] = endless()
    rss = tmp_path / "rss"
    t0 = time.monotonic()
    attempt(env, "more than", timeout=5,
            wrap=("/usr/bin/time", "-o", rss, "-f", "%M"))
    assert time.monotonic() - t0 < 10
    if not asan_build():
        kib = int(rss.read_text().split()[-1])
        print(f"peak RSS {kib} KiB; server sent {env.m.sent}")
        assert kib < 100 * 1024, f"peak RSS {kib} KiB"


def test_drip_and_silence(tmp_path, keys):
    """Slow retrieval, three mirrors at once (to keep the suite short):
    --timeout 5 bounds a signature dripped at 1 byte/s; without
    --timeout the low-speed abort (256 B/s for 10 s) stops a body
    dripped at 1 byte/s; --timeout 3 bounds a mirror that never
    answers.  Each gives up in time (exit 3, or 1) and changes
    nothing."""
    cases = [("sig-drip", 5), ("body-drip", None), ("silent-sig", 3)]
    envs = []
    try:
        for name, timeout in cases:
            (tmp_path / name).mkdir()
            e = ClientEnv(tmp_path / name, keys)
            envs.append(e)
            b = body_of(3)
            sig = e.publish(3, b)
            if name == "sig-drip":
                e.m.routes[SIG_PATH] = drip(sig)
            elif name == "body-drip":
                e.m.routes[body_path(3)] = drip(b)
            else:
                e.m.routes[SIG_PATH] = silent()

        def one(e, timeout):
            snap = e.snapshot()
            t0 = time.monotonic()
            p = e.install(timeout=timeout)
            return snap, p, time.monotonic() - t0

        with concurrent.futures.ThreadPoolExecutor(len(cases)) as ex:
            futs = [ex.submit(one, e, t) for e, (_, t) in zip(envs, cases)]
            results = [f.result() for f in futs]
        for e, (name, timeout), (snap, p, elapsed) in zip(envs, cases,
                                                          results):
            print(f"{name}: gave up after {elapsed:.1f} s")
            refused(e, snap, p, codes=(1, 3))
            assert elapsed < (timeout + 5 if timeout else 20), (name,
                                                                elapsed)
        assert envs[1].m.hits(body_path(3)) == 1
    finally:
        for e in envs:
            e.close()


def test_gzip_content_encoding_not_decompressed(env, keys):
    b = body_of(3)
    env.publish(3, b)
    bomb = gzip_bomb(1024)          # 1 GiB of zeros, about 1 MiB
    assert len(bomb) > len(b)
    env.m.routes[body_path(3)] = static(
        bomb, headers=[("Content-Encoding", "gzip"),
                       ("Content-Type", "application/x-pem-file")],
        length=False)
    attempt(env, f"more than {len(b)} bytes")
    reqs = env.m.requests
    assert [p for p, _ in reqs] == [SIG_PATH, body_path(3)], reqs
    for p, h in reqs:
        assert "accept-encoding" not in h, (p, h)
        assert "te" not in h, (p, h)


# -- 4. rollback --

def test_rollback_and_same_version(env, keys):
    env.publish(2)
    env.installed(2)
    for t in env.targets:
        assert t.read_bytes() == body_of(2)
    snap = env.snapshot()
    # The old, genuinely signed and unexpired v1.
    env.publish(1)
    attempt(env, "rollback")
    assert env.m.hits(body_path(1)) == 0
    # Same v2 again: up to date, nothing rewritten, nothing fetched.
    env.publish(2)
    p = env.install(check=0)
    assert jout(p)["result"] == "current", jout(p)
    assert jout(p)["version"] == 2
    files, _ = snap
    now, _ = env.snapshot()
    assert now == files, "a target or a backup was rewritten"
    assert env.m.hits(body_path(2)) == 1


def test_same_version_changes_nothing_at_all(env, keys):
    """ATTACKS 4: the same v2 again is a success "without any change";
    SPEC 8 step 7: "up to date (stop, success)".  Nothing is rewritten,
    the state file included."""
    env.publish(2)
    env.installed(2)
    time.sleep(1.1)        # a rewrite would carry a new timestamp
    snap = env.snapshot()
    st_ino = env.state.stat().st_ino
    p = env.install(check=0)
    assert jout(p)["result"] == "current"
    env.unchanged(snap)
    assert env.state.stat().st_ino == st_ino, "state file replaced"


# -- 5. indefinite freeze --

@pytest.mark.parametrize("case", ["expired", "too-long", "future"])
def test_freeze(env, keys, case):
    now = int(product_now())
    kw = {"expired": dict(created=now - 8 * DAY, expires=now - 6 * DAY),
          "too-long": dict(created=now - 60, expires=now + 400 * DAY),
          "future": dict(created=now + DAY, expires=now + 7 * DAY)}[case]
    words = {"expired": "expired", "too-long": "more than the 31 allowed",
             "future": "in the future"}[case]
    env.publish(3, **kw)
    attempt(env, words)
    assert env.m.hits(body_path(3)) == 0


def test_frozen_mirror_reported_stale(env, keys):
    """v3 installed, then the mirror keeps serving it past expires."""
    now = int(product_now())
    env.publish(3, created=now - 60, expires=now + 2)
    env.installed(3)
    while product_now() < now + 3:
        time.sleep(0.1)
    attempt(env, "expired", "stale")


# -- 6. mix-and-match --

@pytest.mark.parametrize("case", ["sig3-body2", "sig2-body3",
                                  "pasted-comment"])
def test_mix_and_match(env, keys, case):
    sig2 = keys.k1.sign(body_of(2), tc(body_of(2), 2))
    sig3 = keys.k1.sign(body_of(3), tc(body_of(3), 3))
    if case == "sig3-body2":
        env.m.routes[SIG_PATH] = static(sig3)
        env.m.routes[body_path(3)] = static(body_of(2))
        assert len(body_of(2)) < len(body_of(3))
        words = [f"body is {len(body_of(2))} bytes, the signature says"]
    elif case == "sig2-body3":
        env.m.routes[SIG_PATH] = static(sig2)
        env.m.routes[body_path(2)] = static(body_of(3))
        assert len(body_of(3)) > len(body_of(2))
        words = [f"more than {len(body_of(2))} bytes"]
    else:
        l2, l3 = sig2.splitlines(True), sig3.splitlines(True)
        env.m.routes[SIG_PATH] = static(b"".join(l3[:2] + [l2[2]] + l3[3:]))
        env.m.routes[body_path(2)] = static(body_of(2))
        env.m.routes[body_path(3)] = static(body_of(3))
        words = ["signature verification failed"]
    attempt(env, *words)


def test_publication_between_the_two_requests(env, keys):
    """The latest signature moves from v3 to v4 after the client read
    it: the client fetches v3's body by its versioned URL."""
    sig3 = env.publish(3, latest=False)
    sig4 = env.publish(4, latest=False)
    env.m.routes[SIG_PATH] = [static(sig3), static(sig4)]
    out = env.installed(3)
    assert out["version"] == 3
    for t in env.targets:
        assert t.read_bytes() == body_of(3)
    # The constraints (doc/SPEC.md 12) by the verified version too.
    assert [p for p, _ in env.m.requests] == [
        SIG_PATH, body_path(3), "/v1/org/3/constraints.json.minisig"]
    # The mirror did move on: the next run gets v4.
    env.installed(4)
    for t in env.targets:
        assert t.read_bytes() == body_of(4)


# -- 7. wrong bundle from the same signer --

@pytest.mark.parametrize("case", ["profile", "format"])
def test_wrong_document(env, keys, case):
    if case == "profile":
        env.publish(3, profile="acme-only")
        attempt(env, "'acme-only'", "not 'org'")
    else:
        env.publish(3, fmt="cabundle-keys/1")
        attempt(env, "another kind of signed document")


# -- 8. wrong key --

def relabel(sig, keyid):
    """Put keyid on line 2 of sig (bytes 2..10 of the 74 decoded)."""
    lines = sig.splitlines(True)
    raw = base64.b64decode(lines[1].strip(), validate=True)
    assert len(raw) == 74
    raw = raw[:2] + keyid + raw[10:]
    lines[1] = b64(raw).encode() + b"\n"
    return b"".join(lines)


@pytest.mark.parametrize("case", ["untrusted-key", "relabelled",
                                  "key-file-mixing-ids"])
def test_wrong_key(env, keys, case):
    b = body_of(3)
    env.m.routes[body_path(3)] = static(b)
    kw = {}
    if case == "untrusted-key":
        env.m.routes[SIG_PATH] = static(keys.k3.sign(b, tc(b, 3)))
        words = ["not trusted"]
    elif case == "relabelled":
        sig = relabel(keys.k3.sign(b, tc(b, 3)), keys.k1.keyid)
        env.m.routes[SIG_PATH] = static(sig)
        words = ["signature verification failed"]
    else:
        # A trusted key "file" with K1's id over K3's key: K1's genuine
        # signature must not pass under it.
        rw = b64(b"Ed" + keys.k1.keyid + keys.k3.pk)
        env.m.routes[SIG_PATH] = static(keys.k1.sign(b, tc(b, 3)))
        kw["keys"] = [rw]
        words = ["signature verification failed"]
    attempt(env, *words, **kw)
    assert env.m.hits(body_path(3)) == 0


# -- 9. algorithm and format confusion --

def test_legacy_ed_signature(env, keys):
    b = body_of(3)
    env.m.routes[body_path(3)] = static(b)
    env.m.routes[SIG_PATH] = static(keys.k1.sign(b, tc(b, 3), legacy=True))
    attempt(env, "legacy 'ed' signature refused")


def test_untrusted_comment_is_ignored(env, keys):
    sig = env.publish(3)
    lines = sig.splitlines(True)
    lines[0] = b"untrusted comment: version:999 expires:never\n"
    env.m.routes[SIG_PATH] = static(b"".join(lines))
    out = env.installed(3)
    assert out["version"] == 3
    for t in env.targets:
        assert t.read_bytes() == body_of(3)
    st = json.loads(env.state.read_text())
    assert [f["version"] for f in st["floors"]] == [3]


def _b64_unused_bits(line):
    """The same 64 bytes with the unused low bits of the last base64
    digit set: a lenient decoder (minisign's) reads the same bytes."""
    alphabet = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                b"0123456789+/")
    assert line.endswith(b"==")
    c = line[-3:-2]
    v = alphabet.index(c) | 0x0f
    out = line[:-3] + alphabet[v:v + 1] + b"=="
    assert out != line
    return out


@pytest.mark.parametrize("case", ["data-after-line-4", "nul", "stray-cr",
                                  "non-canonical-base64", "relabelled-Ed",
                                  "crlf-ok"])
def test_signature_file_strictness(env, keys, case):
    """Unsigned parts of the .minisig: a strict parse (SPEC 3.2), ED
    only.  CR LF line ends are fine (the control case)."""
    b = body_of(3)
    sig = env.publish(3, b)
    lines = sig.splitlines(True)
    if case == "data-after-line-4":
        bad = sig + b"untrusted comment: more\n"
        words = ["data after line 4"]
    elif case == "nul":
        lines[0] = b"untrusted comment: a\0b\n"
        bad = b"".join(lines)
        words = ["nul"]
    elif case == "stray-cr":
        lines[0] = b"untrusted comment: a\rb\n"
        bad = b"".join(lines)
        words = ["carriage return"]
    elif case == "non-canonical-base64":
        lines[3] = _b64_unused_bits(lines[3].rstrip(b"\n")) + b"\n"
        bad = b"".join(lines)
        words = ["line 4 is not the canonical base64"]
    elif case == "relabelled-Ed":
        # ED relabelled Ed, with the BLAKE2b-512 digest posing as the
        # file (SPEC 3.1): minisign without -H accepts that.
        raw = base64.b64decode(lines[1].strip())
        lines[1] = b64(b"Ed" + raw[2:]).encode() + b"\n"
        bad = b"".join(lines)
        env.m.routes[body_path(3)] = static(
            hashlib.blake2b(b, digest_size=64).digest())
        words = ["legacy 'ed' signature refused"]
    else:
        env.m.routes[SIG_PATH] = static(sig.replace(b"\n", b"\r\n"))
        env.installed(3)
        for t in env.targets:
            assert t.read_bytes() == b
        return
    env.m.routes[SIG_PATH] = static(bad)
    attempt(env, *words)
    assert env.m.hits(body_path(3)) == 0


# -- 10. metadata that parses two ways --

GRAMMAR = {
    "leading-zero": lambda t: t.replace("\tversion:2\t", "\tversion:02\t"),
    "2^63": lambda t: t.replace("\tversion:2\t",
                                "\tversion:9223372036854775808\t"),
    "plus-sign": lambda t: t.replace("\tversion:2\t", "\tversion:+2\t"),
    "zero": lambda t: t.replace("\tversion:2\t", "\tversion:0\t"),
    "created-renamed-version": lambda t: t.replace("\tcreated:",
                                                   "\tversion:"),
    "space": lambda t: t.replace("\tversion:2\t", "\tversion: 2\t"),
    "sha256-twice": lambda t: t.replace("\tsha256:", "\tsha256:sha256:"),
    "missing-field": lambda t: "\t".join(
        f for f in t.split("\t") if not f.startswith("created:")),
    "eighth-field": lambda t: t + "\tnote:x",
    "trailing-tab": lambda t: t + "\t",
    "upper-hex": lambda t: t[:t.index("sha256:") + 7] +
    t[t.index("sha256:") + 7:].upper(),
    "empty-value": lambda t: t.replace("\tprofile:org\t", "\tprofile:\t"),
    "fields-swapped": lambda t: t.replace(
        "\tversion:2\t", "\tVERSION\t").replace(
        "\tprofile:org\t", "\tversion:2\t").replace(
        "\tVERSION\t", "\tprofile:org\t"),
}


@pytest.mark.parametrize("case", sorted(GRAMMAR))
def test_metadata_grammar(env, keys, case):
    b = body_of(2)
    good = tc(b, 2)
    bad = GRAMMAR[case](good)
    assert bad != good
    env.m.routes[body_path(2)] = static(b)
    env.m.routes[SIG_PATH] = static(keys.k1.sign(b, bad))
    attempt(env, "signed metadata refused")
    assert env.m.hits(body_path(2)) == 0


def test_metadata_non_ascii(env, keys):
    b = body_of(2)
    good = tc(b, 2)
    # The Python signer makes sigtool's bytes for a plain T...
    assert keys.k1.py_sign(b, good.encode()).splitlines()[1:] == \
        keys.k1.sign(b, good).splitlines()[1:]
    bad = good.replace("profile:org", "profile:org\u00e9").encode()
    env.m.routes[body_path(2)] = static(b)
    env.m.routes[SIG_PATH] = static(keys.k1.py_sign(b, bad))
    attempt(env, "not printable ascii")


# -- 11. equivocation --

def test_equivocation(env, keys):
    env.publish(2)
    env.installed(2)
    other = body_of(3)
    env.publish(2, body=other)
    attempt(env, "equivocation")


# -- 12. downgrade to unsigned --

def test_missing_signature(env, keys):
    env.m.routes[body_path(3)] = static(body_of(3))
    attempt(env, "http status 404", "there is no unsigned install")
    assert env.m.hits(body_path(3)) == 0


def test_html_instead_of_signature(env, keys):
    env.m.routes[body_path(3)] = static(body_of(3))
    env.m.routes[SIG_PATH] = static(
        b"<!DOCTYPE html>\n<html><body>Please log in to the Wi-Fi"
        b"</body></html>\n", headers=[("Content-Type", "text/html")])
    attempt(env, "line 1 must start with 'untrusted comment: '")
    assert env.m.hits(body_path(3)) == 0


@pytest.mark.parametrize("status,code", [(404, 1), (403, 1), (500, 3),
                                         (503, 3)])
def test_body_http_error(env, keys, status, code):
    """A good signature, then no body: refused (or unreachable)."""
    env.publish(3)
    env.m.routes[body_path(3)] = static(b"<html>nope</html>\n",
                                        status=status)
    attempt(env, f"http status {status}", codes=(code,))


def test_signature_http_500(env, keys):
    env.publish(3)
    env.m.routes[SIG_PATH] = static(b"oops\n", status=500)
    attempt(env, "http status 500", codes=(3,))


def _truncated_pem():
    b = body_of(2)
    end = b.index(b"-----END CERTIFICATE-----", len(b) // 2)
    return b[:end - 200]


@pytest.mark.parametrize("case", ["hello", "private-key", "no-certs",
                                  "truncated-block"])
def test_signed_but_not_a_bundle(env, keys, case):
    body = {"hello": lambda: b"hello\n",
            "private-key": lambda: body_of(2) + keys.k1.pem.read_bytes(),
            "no-certs": lambda: b"# nothing but a comment\n",
            "truncated-block": _truncated_pem}[case]()
    words = {"hello": ["not a certificate bundle"],
             "private-key": ['"private key"', "not a certificate"],
             "no-certs": [],
             "truncated-block": ["truncated"]}[case]
    env.publish(3, body=body)
    attempt(env, *words)
    assert env.m.hits(body_path(3)) == 1


# -- 13. key rotation, revocation and fast-forward --

def test_key_rotation(env, keys):
    both = [keys.k1, keys.k2.rw]
    env.publish(3, key=keys.k1)
    env.installed(3, keys=both)
    env.publish(4, key=keys.k2)
    env.installed(4, keys=both)
    for t in env.targets:
        assert t.read_bytes() == body_of(4)
    # K1 retired: its v5 is refused, K2's v5 accepted.
    env.publish(5, key=keys.k1)
    attempt(env, "not trusted", keys=[keys.k2])
    env.publish(5, key=keys.k2)
    env.installed(5, keys=[keys.k2])
    for t in env.targets:
        assert t.read_bytes() == body_of(5)


def test_fast_forward_and_recovery(env, keys):
    both = [keys.k1, keys.k2]
    env.publish(3, key=keys.k1)
    env.installed(3, keys=both)
    top = 2 ** 63 - 1
    evil = body_of(2)
    env.publish(top, body=evil, key=keys.k1)
    out = env.install(check=0, keys=both)
    assert jout(out)["version"] == top
    for t in env.targets:
        assert t.read_bytes() == evil
    # The honest v6 by K2 now looks like a rollback...
    env.publish(6, key=keys.k2)
    attempt(env, "rollback", keys=both)
    # ...until the stolen K1 is removed: its floor goes with it.
    env.installed(6, keys=[keys.k2])
    for t in env.targets:
        assert t.read_bytes() == body_of(6)


# -- 14. mirrors --

def test_all_mirrors_down(env, keys):
    url = closed_port_url()
    p = attempt(env, "unreachable", codes=(3,), url=url)
    assert p.returncode == 3


@pytest.mark.parametrize("where", ["sig", "body"])
def test_redirect_to_file_url(env, keys, where):
    """A redirect to file:// is refused, even to genuine files (which
    would install if it were followed)."""
    b = body_of(3)
    sig = env.publish(3, b)
    local = env.tmp / "local"
    local.mkdir()
    (local / "cacert.pem").write_bytes(b)
    (local / "cacert.pem.minisig").write_bytes(sig)
    if where == "sig":
        env.m.routes[SIG_PATH] = redirect(
            f"file://{local / 'cacert.pem.minisig'}")
    else:
        env.m.routes[body_path(3)] = redirect(
            f"file://{local / 'cacert.pem'}")
    attempt(env, "refused")


def test_redirect_loop(env, keys):
    env.publish(3)
    env.m.routes[SIG_PATH] = redirect(env.url + SIG_PATH)
    attempt(env, codes=(1, 3))


def test_redirect_to_another_http_mirror_is_checked_too(env, keys):
    """Redirects between http(s) are followed, and what comes back is
    judged the same way: a tampered body behind a redirect is refused."""
    b = body_of(3)
    env.publish(3, b)
    with FakeMirror() as other:
        bad = bytearray(b)
        bad[100] ^= 0x01
        other.routes[body_path(3)] = static(bytes(bad))
        env.m.routes[body_path(3)] = redirect(other.url + body_path(3))
        attempt(env, "sha256")
        assert other.hits(body_path(3)) == 1


# -- several targets, one transaction --

def _small_bundle(ncerts=25):
    """The first ncerts certificates of a real bundle, well under
    100 KiB."""
    b = body_of(6)
    end = 0
    for _ in range(ncerts):
        end = b.index(b"-----END CERTIFICATE-----\n", end) + 26
    return b[:end]


def test_targets_replaced_as_one_transaction(env, keys):
    """Target 1 is replaced first; writing target 2's backup (its
    original, 150 KB) hits the file size limit (ulimit -f 100: 100 KiB)
    and fails: target 1 is put back, no backup is left, the state is
    not written, exit 4."""
    small = _small_bundle()
    assert 20000 < len(small) < 90 * 1024
    big_original = body_of(2)[:150000]
    t1, t2 = env.targets
    t2.write_bytes(big_original)
    env.publish(7, body=small)
    snap = env.snapshot()
    limit = ("bash", "-c", 'ulimit -f 100; exec "$@"', "cabundle")
    p = env.install(wrap=limit)
    print(p.stderr.decode())
    assert p.returncode == 4, p.stderr.decode()
    assert "install failed" in p.stderr.decode().lower()
    assert t1.read_bytes() == ORIGINAL
    assert t2.read_bytes() == big_original
    files, st = snap
    assert os.stat(t2).st_mtime_ns == files[t2][1]
    assert os.stat(t2).st_ino == files[t2][2]
    now, st_now = env.snapshot()
    assert sorted(now) == sorted(files), sorted(set(now) ^ set(files))
    assert st is None and st_now is None
    # The limit did allow target 1's backup and replacement: alone, it
    # installs, so above it was replaced and then put back.
    p = run(*limit, *env.args(targets=[t1]), env=NOPROXY, check=0)
    assert jout(p)["result"] == "installed"
    assert t1.read_bytes() == small
