"""The pages an auditor works from (issue 23): each release page says
why it exists, /cert/FP says when a root is excluded or is an
organization CA, /org, /exclusions and /search list what the command
line's --json lists, and /audit reads newest first with paging.  Every
page is checked against the command line's JSON; headless Chromium
checks what a browser shows, and keeps a screenshot of each page type
(the path is printed)."""
import html
import os
import pathlib
import re
import urllib.parse

import pytest

from conftest import (Server, make_site_pki, openssl, pem_blocks,
                      fingerprint, upstream)
from test_browser import browse, parse, render

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fp_of(pem):
    out = openssl("x509", "-in", pem, "-noout", "-fingerprint", "-sha256")
    return out.split("=")[1].strip().replace(":", "").lower()


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Two approved snapshots, two organization CAs (one removed), two
    exclusions (one lifted) and a key rotation: every kind of cause."""
    from conftest import Mirror
    tmp = tmp_path_factory.mktemp("audited")
    m = Mirror(tmp / "data")
    m("init", "--actor", "tester", check=0)
    m("import", upstream("2025.07.14"), check=5)
    m("approve", "--reason", "first look", "--actor", "alice", "1", check=0)
    m("import", upstream("2026.07.22"), check=5)
    m("approve", "--reason", "second <look> & co", "--actor", "bob", "2",
      check=0)
    lab = make_site_pki(tmp / "lab", "/O=Lab/CN=Lab Root CA", days=3650)
    old = make_site_pki(tmp / "old", "/O=Old/CN=Old Root CA", days=3650)
    m("org", "add", "--name", "Lab Root CA", "--owner", "pki-team",
      "--tag", "lab", "--tag", "test", "--note", "the lab's own root",
      "--actor", "dave", lab / "ca.pem", check=0)
    m("org", "add", "--name", "Old Root CA", "--actor", "dave",
      old / "ca.pem", check=0)
    m("org", "remove", "--reason", "decommissioned", "--actor", "erin",
      fp_of(old / "ca.pem"), check=0)
    added = m.json("diff", "--json", "mozilla", "1", "2")["added"]
    m("exclude", "add", "--reason", "policy <b>says</b> no", "--actor",
      "carol", added[0]["sha256"], check=0)
    m("exclude", "add", "--reason", "briefly", "--actor", "carol",
      added[1]["sha256"], check=0)
    m("exclude", "remove", "--reason", "false alarm", "--actor", "carol",
      added[1]["sha256"], check=0)
    m("key", "generate", "--standby", check=0)
    m("key", "rotate", check=0)
    m.lab = fp_of(lab / "ca.pem")
    m.old = fp_of(old / "ca.pem")
    m.excluded = added[0]
    m.lifted = added[1]
    s = Server(m)
    m.server = s
    yield m
    s.stop()


def why(page):
    """The text of a release page's "why" cell, tags dropped."""
    cell = re.search(r'<td class="why">(.*?)</td></tr>', page, re.S)
    assert cell, page
    return cell.group(1)


def test_history_json_cites_each_cause(audited):
    """history --json and /v1/{profile}/history carry the same cause,
    the audit row as audit --json lists it (without the hash)."""
    hist = audited.json("history", "--json", "org")
    assert audited.server.get("/v1/org/history").json() == hist
    rows = {r["id"]: r for r in audited.json("audit", "--json")}
    actions = [r["cause"]["action"] if r["cause"] else None for r in hist]
    assert actions == ["approve", "approve", "org-add", "org-add",
                       "org-remove", "exclude-add", "exclude-add",
                       "exclude-remove", "key-rotate"]
    for r in hist:
        row = dict(rows[r["cause"]["id"]])
        del row["hash"]
        assert r["cause"] == row
        assert r["reason"] in ("inputs", "key")
    # The mozilla profile applies no exclusions: no release for them.
    moz = audited.json("history", "--json", "mozilla")
    assert [r["cause"]["action"] for r in moz] == \
        ["approve", "approve", "key-rotate"]


def test_release_pages_say_why(audited):
    s = audited.server
    hist = audited.json("history", "--json", "org")
    words = []
    for r in hist:
        page = s.get(f"/p/org/{r['version']}").text
        text = why(page)
        c = r["cause"]
        assert f'href="/audit?before={c["id"] + 1}#a{c["id"]}"' in text
        assert iso_in(text, c["time"])
        a = c["action"]
        if a == "approve":
            sid = int(c["object"].split(":")[1])
            assert f'href="/snapshots/{sid}"' in text
            assert f"<strong>{html.escape(c['actor'])}</strong>" in text
            assert html.escape(c["details"]["reason"], quote=True) in text
            # approve's details: counts stay counts, roots are links.
            d = c["details"]
            assert f'>added:</span> {d["added"]}<' in text, text
            assert f'>removed:</span> {d["removed"]}<' in text, text
            for fp in d["added_roots"] + d["removed_roots"]:
                assert f'href="/cert/{fp}"' in text
        elif a == "org-add":
            assert html.escape(c["details"]["name"]) in text
            assert 'href="/org"' in text
            assert f'href="/cert/{c["object"]}"' in text
            if c["details"].get("owner"):
                assert "(owner: pki-team)" in text
        elif a.startswith("exclude-"):
            assert html.escape(c["details"]["reason"], quote=True) in text
            assert "carol" in text and 'href="/exclusions"' in text
            assert f'href="/cert/{c["object"]}"' in text
        elif a == "org-remove":
            assert "decommissioned" in text and "erin" in text
        elif a == "key-rotate":
            assert f"new key <code>{c['details']['key_id']}</code>" in text
            assert f"old key <code>{c['details']['retired']}</code>" in text
        # Hostile text stays text.
        assert "<look>" not in text and "<b>says" not in text
        words.append(a)
    history = parse(s.get("/p/org").text)
    col = history.rows[0]["cells"].index("reason")
    shown = [row["cells"][col] for row in history.rows[1:]][::-1]
    assert shown == ["snapshot 1 approved", "snapshot 2 approved",
                     "organization CA added", "organization CA added",
                     "organization CA removed", "root excluded",
                     "root excluded", "exclusion lifted", "key rotated"]


def iso_in(text, when):
    assert ISO.match(when), when
    return when in text


def test_org_and_exclusions_pages_list_what_the_cli_lists(audited):
    s = audited.server
    orgs = audited.json("org", "list", "--all", "--json")
    page = parse(s.get("/org").text)
    head = page.rows[0]["cells"]
    assert head[:3] == ["name", "owner", "tags"]
    body = page.rows[1:]
    assert len(body) == len(orgs)
    # Which profiles hold each CA: from the served bundles themselves.
    held = {}
    for p in ("mozilla", "org", "org-only"):
        for b in pem_blocks(s.get(f"/v1/{p}/cacert.pem").content):
            held.setdefault(fingerprint(b), []).append(p)
    for row, o in zip(body, orgs):
        cells = dict(zip(head, row["cells"]))
        removed = o["removed"] is not None
        assert cells["name"] == o["name"] + (" (removed)" if removed else "")
        assert (row["class"] == "rm") == removed
        assert cells["owner"] == (o["owner"] or "")
        assert cells["tags"] == (o["tags"] or "")
        assert cells["expires"] == iso(o["not_after"])
        assert f"/cert/{o['sha256']}" in row["links"]
        want = held.get(o["sha256"], []) if not removed else []
        assert cells["held by"] == (" ".join(want) or "none")
        assert cells["added"] == f"{iso(o['added'])} by {o['added_by']}"
        if removed:
            assert cells["removed"] == \
                f"{iso(o['removed'])} by {o['removed_by']}"
    assert held.get(audited.lab) == ["org", "org-only"]

    excls = audited.json("exclude", "list", "--all", "--json")
    page = parse(s.get("/exclusions").text)
    body = page.rows[1:]
    assert len(body) == len(excls) == 2
    for row, e in zip(body, excls):
        lifted = e["removed"] is not None
        assert row["cells"][0] == e["label"] + (" (lifted)" if lifted
                                                 else "")
        assert row["cells"][1] == e["reason"]
        assert row["cells"][2] == f"{iso(e['added'])} by {e['added_by']}"
        assert row["cells"][3] == (f"{iso(e['removed'])} by "
                                   f"{e['removed_by']}" if lifted else "")
        assert f"/cert/{e['sha256']}" in row["links"]
    assert "&lt;b&gt;says&lt;/b&gt;" in s.get("/exclusions").text
    index = s.get("/").text
    for href in ("/org", "/exclusions", "/search", "/audit"):
        assert f'href="{href}"' in index


def test_cert_page_says_excluded_and_organization(audited):
    s = audited.server
    e = [x for x in audited.json("exclude", "list", "--all", "--json")
         if x["sha256"] == audited.excluded["sha256"]][0]
    page = s.get(f"/cert/{e['sha256']}").text
    assert "<h2 class=\"rm\">Excluded</h2>" in page
    assert 'href="/exclusions"' in page
    assert html.escape(e["reason"], quote=True) in page
    assert f"{iso(e['added'])} by carol" in page
    page = s.get(f"/cert/{audited.lab}").text
    o = [x for x in audited.json("org", "list", "--json")
         if x["sha256"] == audited.lab][0]
    assert "<h2>Organization CA</h2>" in page and 'href="/org"' in page
    for text in ("pki-team", "lab test", "the lab&#39;s own root",
                 iso(o["not_after"])):
        assert text in page, text
    assert '<a href="/p/org">org</a> <a href="/p/org-only">org-only</a>' \
        in page
    # An upstream root neither excluded nor organization: neither says so.
    other = audited.json("history", "--json", "mozilla")[0]
    plain = s.get(f"/cert/{audited.lifted['sha256']}").text
    assert "(lifted)" in plain and "Organization CA</h2>" not in plain
    assert other


def test_search_by_fingerprint_and_label(audited):
    s = audited.server
    fp = audited.excluded["sha256"]
    colons = ":".join(fp[i:i + 2] for i in range(0, 16, 2)).upper()
    for q in (fp, fp[:8], fp[:8].upper(), colons):
        page = parse(s.get("/search?q=" + urllib.parse.quote(q)).text)
        hits = [r for r in page.rows[1:]]
        assert f"/cert/{fp}" in [h for r in hits for h in r["links"]], q
        assert all(r["cells"][1].startswith(fp[:8]) for r in hits), q
    # Seven hex digits are no fingerprint prefix: only labels match.
    page = parse(s.get("/search?q=" + fp[:7]).text)
    assert all(fp[:7] in r["cells"][0].lower() for r in page.rows[1:])
    label = audited.excluded["label"]
    word = label.split()[0].lower()
    page = parse(s.get("/search?q=" + urllib.parse.quote(word)).text)
    labels = [r["cells"][0] for r in page.rows[1:]]
    assert label in labels
    assert all(word in x.lower() for x in labels)
    page = parse(s.get("/search?q=lab+root").text)
    assert [r["cells"][0] for r in page.rows[1:]] == ["Lab Root CA"]
    assert page.rows[1]["cells"][3] == "organization"
    # The query is hostile: escaped, bounded.
    evil = "<script>alert(1)</script>\"'"
    r = s.get("/search", params={"q": evil})
    assert r.status_code == 200 and "<script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;" in r.text
    r = s.get("/search", params={"q": "a" * 129})
    assert r.status_code == 400 and "a" * 129 not in r.text
    assert s.get("/search", params={"q": "a" * 128}).status_code == 200
    assert s.get("/search").status_code == 200


def audit_page(s, path):
    page = parse(s.get(path).text)
    rows = [r for r in page.rows[1:]]
    ids = [int(r["cells"][0]) for r in rows]
    text = s.get(path).text
    older = re.search(r'href="(/audit\?before=[^"]+)">older', text)
    newer = re.search(r'href="(/audit\?after=[^"]+)">&larr; newer', text)
    return (ids, rows, older and html.unescape(older.group(1)),
            newer and html.unescape(newer.group(1)))


def test_audit_page_newest_first_with_paging(audited):
    s = audited.server
    log = audited.json("audit", "--json")
    want = [r["id"] for r in log][::-1]
    # The first page: the newest 100 (all of them here), newest first.
    ids, rows, older, newer = audit_page(s, "/audit")
    assert ids == want[:100] and newer is None
    # Walk the older links five at a time: every row once, in order.
    seen, path, pages = [], "/audit?limit=5", []
    while path:
        ids, rows, older, newer = audit_page(s, path)
        assert 0 < len(ids) <= 5
        pages.append((path, ids, newer))
        seen += ids
        path = older
    assert seen == want
    assert pages[0][2] is None
    # A newer link leads back to the page before.
    for (p1, ids1, _), (p2, ids2, newer2) in zip(pages, pages[1:]):
        assert audit_page(s, newer2)[0] == ids1
    # Readable details: key: value lines, ISO times, objects linked.
    by_id = {r["id"]: r for r in log}
    ids, rows, _, _ = audit_page(s, "/audit?limit=1000")
    for r in rows:
        row = by_id[int(r["cells"][0])]
        assert ISO.match(r["cells"][1]) and r["cells"][1] == row["time"]
        assert r["cells"][2:4] == [row["actor"], row["action"]]
        assert not r["cells"][5].startswith("{")
        for k in row["details"]:
            assert f"{k}:" in r["cells"][5], (k, r["cells"][5])
        obj = row["object"]
        if obj.startswith("snapshot:"):
            assert f"/snapshots/{obj[9:]}" in r["links"]
        elif row["action"] in ("release", "relay", "carry"):
            assert f"/p/{obj}" in r["links"]
            # A body's digest is no certificate: not linked as one.
            assert not [x for x in r["links"] if x.startswith("/cert/")]
        elif row["action"].startswith("org-"):
            assert f"/cert/{obj}" in r["links"] and "/org" in r["links"]
        elif row["action"].startswith("exclude-"):
            assert "/exclusions" in r["links"]
        if "expires" in row["details"]:
            assert f"expires: {iso(row['details']['expires'])}" in \
                r["cells"][5]
    for bad in ("before=x", "after=1&before=2", "limit=0", "limit=1001",
                "before=<script>"):
        r = s.get("/audit?" + bad)
        assert r.status_code == 400 and "<script>" not in r.text, bad
    # /v1/audit keeps its contract: oldest first, after= cursor.
    v1 = s.get("/v1/audit?after=0&limit=3").json()
    assert [r["id"] for r in v1["rows"]] == [1, 2, 3] and v1["next"] == 3


def shots_dir(tmp_path):
    d = pathlib.Path(os.environ.get("ARTIFACTS", tmp_path)) / "pages"
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_browser_walks_from_a_release_to_its_cause(audited, tmp_path):
    """What Chromium shows: the release that added the organization CA
    says so and links to /org; the first release links its snapshot
    and names the approver; a screenshot of each page type."""
    s = audited.server
    hist = audited.json("history", "--json", "org")
    org_add = [r for r in hist if r["cause"]["action"] == "org-add"][0]
    dom = render(tmp_path, f"{s.base}/p/org/{org_add['version']}")
    page = parse(dom)
    row = [r for r in page.rows if r["cells"][:1] == ["why"]][0]
    assert "/org" in row["links"]
    assert row["cells"][1].startswith(
        f"Organization CA {org_add['cause']['details']['name']} "
        f"(owner: pki-team) added by dave")
    dom = render(tmp_path, f"{s.base}/p/org/1")
    row = [r for r in parse(dom).rows if r["cells"][:1] == ["why"]][0]
    assert "/snapshots/1" in row["links"]
    assert row["cells"][1].startswith(
        "Upstream snapshot 1 approved by alice: first look.")
    d = shots_dir(tmp_path)
    fp = audited.excluded["sha256"]
    for name, path in (("release-org-add", f"/p/org/{org_add['version']}"),
                       ("release-approve", "/p/org/1"),
                       ("history-org", "/p/org"), ("org", "/org"),
                       ("exclusions", "/exclusions"),
                       ("search", "/search?q=lab"),
                       ("audit", "/audit?limit=12"),
                       ("cert-excluded", f"/cert/{fp}"),
                       ("cert-org", f"/cert/{audited.lab}")):
        out = d / f"{name}.png"
        browse(tmp_path, s.base + path, "--window-size=1280,1000",
               f"--screenshot={out}")
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert out.stat().st_size > 10000, out
    print(f"screenshots: {d}")
