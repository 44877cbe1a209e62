"""Corrections in place (issue 23): "profile edit" (and its alias
"profile set"), "profile remove", "org edit", and "org add" of a CA
that is already there with other attributes.  Checked as an operator
and an auditor would: each profile's bundle before and after, its
certificates fingerprinted by the openssl binary, the versions, the
audit rows and the release that cites each one (schema 009), the exit
codes, and what serve and export still hand out."""
import json
import shlex
import sqlite3

import pytest

from conftest import (CABUNDLED, Server, live_count, openssl, pem_blocks,
                      run, upstream)

UP = "2026.07.22"


def self_signed(d, name, cn):
    pem = d / f"{name}.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", d / f"{name}.key",
            "-out", pem, "-days", "3650", "-subj", f"/O=Acme Test/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return pem


def openssl_fp(pem_bytes):
    """openssl's SHA-256 fingerprint of one PEM certificate, as hex."""
    out = openssl("x509", "-noout", "-fingerprint", "-sha256",
                  input=pem_bytes)
    return out.strip().split("=", 1)[1].replace(":", "").lower()


@pytest.fixture(scope="module")
def cas(tmp_path_factory):
    d = tmp_path_factory.mktemp("corrpki")
    lab, web = self_signed(d, "lab", "Acme Lab Root"), \
        self_signed(d, "web", "Acme Web Root")
    return {"lab": lab, "web": web,
            "lab_fp": openssl_fp(lab.read_bytes()),
            "web_fp": openssl_fp(web.read_bytes())}


def releases(m, profile):
    with sqlite3.connect(m.db) as db:
        return db.execute(
            "SELECT r.version, y.data, c.audit FROM release r JOIN build b "
            "ON b.id = r.build JOIN body y ON y.sha256 = b.body_sha256 LEFT "
            "JOIN release_cause c ON c.profile = r.profile AND c.version = "
            "r.version WHERE r.profile = ? ORDER BY r.version",
            (profile,)).fetchall()


def bundle(m, profile):
    """(version, [openssl fingerprint of each certificate], body, cause)
    of the newest release, or None."""
    rels = releases(m, profile)
    if not rels:
        return None
    v, body, cause = rels[-1]
    return v, [openssl_fp(b) for b in pem_blocks(body)], body, cause


def audit(m):
    rows = m.json("audit", "--json")
    return rows.get("rows", rows) if isinstance(rows, dict) else rows


def history_versions(m, profile):
    return [h["version"] for h in m.json("history", "--json", profile)]


def test_profile_edit_publishes_what_changes(good, cas):
    m = good
    m("org", "add", "--tag", "lab", cas["lab"], check=0)
    m("org", "add", "--tag", "web", cas["web"], check=0)
    m("profile", "add", "--no-upstream", "--tag", "lab", "--actor", "ann",
      "team", check=0)
    v1, fps, _, _ = bundle(m, "team")
    assert fps == [cas["lab_fp"]]

    p = m("profile", "edit", "--tag", "lab", "--tag", "web", "--actor",
          "bob", "team", check=0)
    out = p.stdout.decode()
    assert "profile team: tags lab web (was lab)" in out, out
    assert f"team: version {v1 + 1} (new bundle; 2 certificates, +1 -0)" \
        in out, out
    v2, fps, _, cause = bundle(m, "team")
    assert v2 == v1 + 1
    assert sorted(fps) == sorted([cas["lab_fp"], cas["web_fp"]])
    row = [a for a in audit(m) if a["action"] == "profile-edit"][-1]
    assert row["actor"] == "bob" and row["object"] == "team"
    assert row["details"]["before"]["tags"] == ["lab"]
    assert row["details"]["after"]["tags"] == ["lab", "web"]
    assert row["details"]["before"]["upstream"] is False
    assert cause == row["id"], "the release cites the edit"
    assert history_versions(m, "team")[-1] == v2

    # The upstream roots come in, minus the exclusions (as profile add).
    p = m("profile", "edit", "--upstream", "yes", "--description",
          "the team's", "team", check=0)
    assert b"profile team: upstream yes (was no)" in p.stdout
    assert b"profile team: exclusions yes (was no)" in p.stdout
    assert b"profile team: description the team's (was (none))" in p.stdout
    v3, fps, _, _ = bundle(m, "team")
    assert v3 == v2 + 1
    assert len(fps) == live_count(upstream(UP)) + 2
    up = {openssl_fp(b) for b in pem_blocks(upstream(UP).read_bytes())}
    assert set(fps) - up == {cas["lab_fp"], cas["web_fp"]}
    prof = {p["name"]: p for p in m.json("profile", "list", "--json")}
    assert prof["team"]["description"] == "the team's"
    assert prof["team"]["upstream"] and prof["team"]["exclusions"]

    # A description alone: audited, no new bundle, no release.
    n = len(audit(m))
    m("profile", "edit", "--description", "ours", "team", check=0)
    assert bundle(m, "team")[0] == v3 and len(audit(m)) == n + 1
    # Nothing changes: exit 0, no audit row.
    p = m("profile", "edit", "--description", "ours", "team", check=0)
    assert b"profile team: unchanged" in p.stdout
    assert len(audit(m)) == n + 1

    # --org all: every organization CA; --org none drops them again.
    m("profile", "edit", "--org", "none", "team", check=0)
    v4, fps, _, _ = bundle(m, "team")
    assert v4 == v3 + 1 and set(fps) <= up

    # Refusals change nothing.
    before = (releases(m, "team"), len(audit(m)))
    p = m("profile", "edit", "--org", "all", "mozilla", check=1)
    assert b"a built-in profile keeps its rule" in p.stderr
    p = m("profile", "edit", "--upstream", "no", "team", check=1)
    assert b"would hold nothing" in p.stderr
    m("profile", "edit", "--upstream", "no", "--exclusions", "yes",
      "--org", "all", "team", check=1)
    m("profile", "edit", "--org", "tags", "team", check=1)
    m("profile", "edit", "--org", "none", "--tag", "lab", "team", check=1)
    m("profile", "edit", "--description", "x", "nosuch", check=2)
    p = m("profile", "edit", "team", check=2)
    assert b"nothing to change" in p.stderr
    m("profile", "edit", "--upstream", "maybe", "team", check=2)
    m("profile", "edit", "--org", "some", "team", check=2)
    m("profile", "edit", "--all-org", "team", check=2)
    assert (releases(m, "team"), len(audit(m))) == before

    # set is edit by its first name; built-ins take a policy.
    p = m("profile", "set", "--distrust-after", "keep", "mozilla", check=0)
    assert b"profile mozilla: distrust-after keep (was sunset)" in p.stdout


def test_profile_remove(good, cas, tmp_path):
    m = good
    m("org", "add", "--tag", "lab", cas["lab"], check=0)
    m("profile", "add", "--no-upstream", "--tag", "lab", "team", check=0)
    m("profile", "edit", "--tag", "lab", "--upstream", "yes", "team",
      check=0)
    last, fps, body, _ = bundle(m, "team")
    assert cas["lab_fp"] in fps
    for b in ("mozilla", "org", "org-only"):
        p = m("profile", "remove", "--reason", "tidy", b, check=1)
        assert b"a built-in profile; it cannot be removed" in p.stderr
    p = m("profile", "remove", "team", check=2)
    assert b"--reason TEXT is required" in p.stderr
    m("profile", "remove", "--reason", "x", "nosuch", check=2)

    p = m("profile", "remove", "--reason", "lab closed", "--actor", "carol",
          "team", check=0)
    assert b"profile team removed" in p.stdout
    assert p.stdout.count(b"\n") == 1, "nothing is published"
    row = audit(m)[-1]
    assert row["action"] == "profile-remove" and row["actor"] == "carol"
    assert row["details"]["reason"] == "lab closed"
    assert row["details"]["rule"]["tags"] == ["lab"]
    assert "team" not in {p["name"] for p in m.json("profile", "list",
                                                    "--json")}
    gone = {p["name"]: p for p in m.json("profile", "list", "--all",
                                          "--json")}["team"]
    assert gone["removed_by"] == "carol" and gone["version"] == last
    assert b"removed " in m("profile", "list", "--all", check=0).stdout

    # No longer composed, published or renewed: a forced re-signing
    # renews every other profile, not this one; a change that would
    # have changed it makes no release of it.
    vers = {p: bundle(m, p)[0] for p in ("mozilla", "org", "org-only")}
    p = m("publish", "--resign", check=0)
    assert b"team" not in p.stdout
    assert {p: bundle(m, p)[0] for p in vers} == \
        {p: v + 1 for p, v in vers.items()}
    m("org", "add", "--tag", "lab", cas["web"], check=0)
    m("org", "edit", "--tag", "lab", cas["web_fp"], check=0)
    assert bundle(m, "team")[0] == last
    p = m("publish", "--profile", "team", check=1)
    assert b"removed" in p.stderr
    # Its history stays as published.
    assert history_versions(m, "team")[-1] == last
    # The name is not given again, and a removed profile is not edited.
    p = m("profile", "add", "team", check=1)
    assert b"removed profile" in p.stderr
    m("profile", "edit", "--description", "x", "team", check=1)
    m("profile", "remove", "--reason", "again", "team", check=1)

    # serve and export keep serving its releases.
    s = Server(m)
    try:
        r = s.get("/v1/team/cacert.pem")
        assert r.status_code == 200 and r.content == body
        assert s.get(f"/v1/team/{last}/cacert.pem").content == body
        assert "team" not in {p["name"] for p in s.get(
            "/v1/profiles").json()}
    finally:
        s.stop()
    m("export", tmp_path / "x", check=0)
    assert (tmp_path / "x" / "v1" / "team" / "cacert.pem").read_bytes() \
        == body
    assert "team" not in {p["name"] for p in json.loads(
        (tmp_path / "x" / "v1" / "profiles").read_text())}


def test_org_edit(good, cas):
    m = good
    fp = cas["lab_fp"]
    m("org", "add", "--tag", "web", cas["lab"], check=0)
    m("profile", "add", "--no-upstream", "--tag", "lab", "lab", check=0)
    assert bundle(m, "lab") is None
    org_v = bundle(m, "org")[0]

    # A tag: the profiles that select it now hold the CA.
    p = m("org", "edit", "--tag", "lab", "--owner", "Lab team",
          "--actor", "dan", fp, check=0)
    out = p.stdout.decode()
    assert f"{fp}: owner \"Lab team\" (was unset)" in out, out
    assert f"{fp}: tags lab web (was web)" in out, out
    v, fps, _, cause = bundle(m, "lab")
    assert fps == [fp]
    row = [a for a in audit(m) if a["action"] == "org-edit"][-1]
    assert row["actor"] == "dan" and row["object"] == fp
    assert row["details"]["before"] == {"name": "Acme Lab Root",
                                        "owner": None, "note": None,
                                        "tags": ["web"]}
    assert row["details"]["after"]["owner"] == "Lab team"
    assert row["details"]["after"]["tags"] == ["lab", "web"]
    assert cause == row["id"]
    # The owner and tags change no bundle of org.
    assert bundle(m, "org")[0] == org_v

    # A rename is the label in every bundle that holds it.
    p = m("org", "edit", "--name", "Acme Lab Root 2024", fp, check=0)
    assert f'{fp}: name "Acme Lab Root 2024" (was "Acme Lab Root")' \
        .encode() in p.stdout
    for prof in ("org", "org-only", "lab"):
        _, fps, body, _ = bundle(m, prof)
        assert fp in fps and b"Acme Lab Root 2024" in body, prof
    assert bundle(m, "org")[0] == org_v + 1
    org = {o["sha256"]: o for o in m.json("org", "list", "--json")}[fp]
    assert org["name"] == "Acme Lab Root 2024" and org["tags"] == "lab web"

    # --untag: the profile that selected it holds nothing now.
    lab_v = bundle(m, "lab")[0]
    m("org", "edit", "--untag", "lab", fp, check=0)
    assert bundle(m, "lab")[0] == lab_v
    assert {o["sha256"]: o for o in m.json("org", "list", "--json")}[fp][
        "tags"] == "web"

    n = len(audit(m))
    p = m("org", "edit", "--untag", "lab", fp, check=0)
    assert b"unchanged" in p.stdout and len(audit(m)) == n
    p = m("org", "edit", "--tag", "x", cas["web_fp"], check=1)
    assert b"no current organization CA" in p.stderr
    m("org", "edit", fp, check=2)
    m("org", "edit", "--tag", "a", "--untag", "a", fp, check=2)
    m("org", "edit", "--untag", "Bad Tag", fp, check=2)
    m("org", "edit", "--tag", "a", "nothex", check=2)
    m("org", "add", "--untag", "a", cas["web"], check=2)
    assert len(audit(m)) == n


def org_row(m, fp):
    return {o["sha256"]: o for o in m.json("org", "list", "--json")}[fp]


def org_page(m):
    s = Server(m)
    try:
        return s.get("/org").text
    finally:
        s.stop()


def test_org_edit_clears_an_owner_and_a_note(good, cas):
    m = good
    fp = cas["lab_fp"]
    m("org", "add", "--tag", "web", "--owner", "Lab team", "--note",
      "ticket 42", cas["lab"], check=0)
    row = org_row(m, fp)
    assert row["owner"] == "Lab team" and row["note"] == "ticket 42"
    page = org_page(m)
    assert "Lab team" in page and "ticket 42" in page
    versions = {p: bundle(m, p)[0] for p in ("org", "org-only")}

    # --owner '': the owner is gone, audited before and after.
    p = m("org", "edit", "--owner", "", "--actor", "erin", fp, check=0)
    assert f'{fp}: owner unset (was "Lab team")'.encode() in p.stdout, \
        p.stdout
    row = [a for a in audit(m) if a["action"] == "org-edit"][-1]
    assert row["actor"] == "erin" and row["object"] == fp
    assert row["details"]["before"]["owner"] == "Lab team"
    assert row["details"]["after"] == {"name": "Acme Lab Root",
                                       "owner": None, "note": "ticket 42",
                                       "tags": ["web"]}
    assert org_row(m, fp).get("owner") is None
    # No bundle shows an owner: nothing is published.
    assert {p: bundle(m, p)[0] for p in versions} == versions

    # --note '' likewise; the page shows neither any more.
    p = m("org", "edit", "--note", "", fp, check=0)
    assert f'{fp}: note unset (was "ticket 42")'.encode() in p.stdout
    row = org_row(m, fp)
    assert row.get("owner") is None and row.get("note") is None
    assert row["tags"] == "web" and row["name"] == "Acme Lab Root"
    page = org_page(m)
    assert "Acme Lab Root" in page
    assert "Lab team" not in page and "ticket 42" not in page

    # Clearing what is unset changes nothing; an empty name or an
    # empty owner on add is a usage error.
    n = len(audit(m))
    p = m("org", "edit", "--owner", "", "--note", "", fp, check=0)
    assert b"unchanged" in p.stdout
    m("org", "edit", "--name", "", fp, check=2)
    p = m("org", "add", "--owner", "", cas["web"], check=2)
    assert b"org edit --owner ''" in p.stderr
    assert len(audit(m)) == n
    assert {p: bundle(m, p)[0] for p in versions} == versions


def test_org_add_of_a_current_ca_names_the_edit(good, cas):
    m = good
    fp = cas["lab_fp"]
    m("org", "add", "--tag", "web", cas["lab"], check=0)
    # The same again: exit 0, nothing changes.
    p = m("org", "add", "--tag", "web", cas["lab"], check=0)
    assert b"already an organization CA, as asked" in p.stdout
    before = (audit(m), {p: releases(m, p) for p in ("org", "org-only")})
    # Another tag and owner: exit 1, nothing changes, the command said.
    p = m("org", "add", "--tag", "lab", "--owner", "Bob's team", cas["lab"],
          check=1)
    err = p.stderr.decode()
    assert "already an organization CA" in err and "tags web" in err, err
    assert (audit(m), {p: releases(m, p) for p in ("org", "org-only")}) \
        == before
    cmd = [line.strip() for line in err.splitlines()
           if line.strip().startswith("cabundled ")]
    assert len(cmd) == 1, err
    argv = shlex.split(cmd[0])
    assert argv[1:3] == ["-d", str(m.datadir)] and argv[-1] == fp
    run(CABUNDLED, *argv[1:], check=0)
    org = {o["sha256"]: o for o in m.json("org", "list", "--json")}[fp]
    assert org["tags"] == "lab web" and org["owner"] == "Bob's team"
    p = m("org", "add", "--tag", "lab", "--owner", "Bob's team", cas["lab"],
          check=0)
    assert b"as asked" in p.stdout
    # A file with a new CA and one that differs: all or nothing.
    both = cas["lab"].parent / "both.pem"
    both.write_bytes(cas["web"].read_bytes() + cas["lab"].read_bytes())
    m("org", "add", "--tag", "other", both, check=1)
    assert cas["web_fp"] not in {o["sha256"] for o in m.json(
        "org", "list", "--json")}
