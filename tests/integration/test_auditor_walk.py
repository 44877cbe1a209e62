"""An auditor's walk through the pages, in headless Chromium, on the
mirror itself and on its static export served by a real nginx (issue
23): from the index to a release, to the snapshot it published, to a
root that snapshot removed, and to the audit row that approved it.
Every step follows a link the page shows, and what each page shows is
compared with the JSON the same mirror serves.  A screenshot of each
page type, as nginx serves the export, is kept in tests/artifacts/
(or $ARTIFACTS) for a person to look at."""
from html.parser import HTMLParser

import requests

from conftest import fingerprint, pem_blocks, upstream
from test_browser import render, screenshot, parse
from test_chain import nginx  # noqa: F401 (a fixture)
from test_pages import audited  # noqa: F401 (a fixture)

PAGE_TYPES = ("index", "history", "release", "snapshot", "cert", "audit",
              "quarantine", "snapshots", "org", "exclusions", "search")


class Links(HTMLParser):
    """Every link of a page: (href, text)."""

    def __init__(self):
        super().__init__()
        self.links, self.href, self.text = [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href, self.text = dict(attrs).get("href"), []

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            self.links.append((self.href, "".join(self.text).strip()))
            self.href = None

    def handle_data(self, data):
        if self.href is not None:
            self.text.append(data)


def links(dom):
    p = Links()
    p.feed(dom)
    return p.links


def follow(dom, text=None, prefix=None):
    """The one link the page shows with that text, or whose target
    starts with prefix: an auditor clicks what is there."""
    hits = [h for h, t in links(dom)
            if (text is None or t == text) and
            (prefix is None or h.startswith(prefix))]
    assert len(hits) >= 1, (text, prefix, links(dom)[:40])
    return hits[0]


def walk(tmp_path, base, get, shots=None):
    """The walk on the mirror at base; get(path) fetches its JSON.
    Returns the paths visited, by page type."""
    seen = {}

    def visit(kind, path):
        seen[kind] = path
        if shots is None:
            return render(tmp_path, base + path)
        # Headless Chromium shoots a blank viewport for a page opened
        # at an anchor far down: the whole page is shot instead.
        png, dom = screenshot(tmp_path, base + path.split("#")[0],
                              f"{shots}-{kind}.png", dom=True)
        assert png.stat().st_size > 15000, f"{png}: blank?"
        return dom

    # The index lists the profiles; mozilla's page its releases.
    dom = visit("index", "/")
    profiles = get("/v1/profiles")
    for p in profiles:
        assert f"/p/{p['name']}" in [h for h, _ in links(dom)]
    dom = visit("history", follow(dom, text="mozilla", prefix="/p/"))
    hist = get("/v1/mozilla/history")
    rows = [r for r in parse(dom).rows if r["cells"] and
            r["cells"][0].isdigit()]
    assert [int(r["cells"][0]) for r in rows] == \
        sorted((r["version"] for r in hist), reverse=True)
    # The release that published snapshot 2: its page says why.
    rel = [r for r in hist if r["cause"] and
           r["cause"]["object"] == "snapshot:2"][0]
    dom = visit("release", follow(dom, text=str(rel["version"]),
                                  prefix="/p/mozilla/"))
    why = [r for r in parse(dom).rows if r["cells"][:1] == ["why"]][0]
    assert why["cells"][1].startswith(
        f"Upstream snapshot 2 approved by {rel['cause']['actor']}: "
        f"{rel['cause']['details']['reason']}.")
    audit_link = [h for h in why["links"] if h.startswith("/audit")][0]
    diff = get(f"/v1/mozilla/diff/{rel['version'] - 1}/{rel['version']}")
    page_rm = [r["cells"][2] for r in parse(dom).rows if r["class"] == "rm"]
    assert page_rm == [c["sha256"] for c in diff["removed"]] and page_rm

    # The snapshot: its report's removed roots are the JSON's.
    dom = visit("snapshot", follow(dom, text="snapshot 2"))
    snap = get("/v1/snapshots/2")
    removed = [r for r in parse(dom).rows if "removed" in r["class"]]
    assert [r["cells"][2] for r in removed] == \
        [c["sha256"] for c in snap["removed_roots"]]
    assert {c["sha256"] for c in diff["removed"]} <= \
        {c["sha256"] for c in snap["removed_roots"]}
    # A removed root the release dropped: its page says which releases
    # held it, up to the one before.
    gone = diff["removed"][0]
    dom = visit("cert", [h for h in removed[[r["cells"][2] for r in removed]
                                            .index(gone["sha256"])]["links"]
                         if h.startswith("/cert/")][0])
    assert parse(dom).title.strip() == gone["label"]
    held = [r for r in parse(dom).rows if r["cells"][:1] == ["mozilla"]][0]
    first = min(r["version"] for r in hist)
    assert held["cells"][1] == f"{first} to {rel['version'] - 1}"

    # The audit row that approved it, as /v1/audit has it.
    dom = visit("audit", audit_link)
    row_id = int(audit_link.split("#a")[1])
    rows = {int(r["cells"][0]): r for r in parse(dom).rows
            if r["cells"] and r["cells"][0].isdigit()}
    json_rows = {r["id"]: r for r in get("/v1/audit")["rows"]}
    row, want = rows[row_id], json_rows[row_id]
    assert row["cells"][2:5] == [want["actor"], want["action"],
                                 "snapshot 2"]
    assert want["object"] == "snapshot:2"
    assert want["details"]["reason"] in row["cells"][5]
    for fp in want["details"]["removed_roots"]:
        assert f"/cert/{fp}" in row["links"]
    assert gone["sha256"] in want["details"]["removed_roots"]

    # The other page types, each from the navigation bar.
    dom = render(tmp_path, base + "/")
    for kind, text in (("quarantine", "quarantine"),
                       ("snapshots", "snapshots"),
                       ("org", "organization CAs"),
                       ("exclusions", "exclusions"), ("search", "search")):
        visit(kind, follow(dom, text=text))
    return seen


def test_walk_on_the_mirror(audited, tmp_path):
    s = audited.server
    seen = walk(tmp_path, s.base,
                lambda p: requests.get(s.base + p, timeout=10).json())
    assert set(seen) == set(PAGE_TYPES)


def test_walk_on_the_export_served_by_nginx(audited, nginx, tmp_path):
    """The same walk on the export, served by nginx: the pages are the
    bytes serve sends (the audit log and /search made whole, since a
    static server answers no query), with the same headers."""
    root, base = nginx
    audited("export", "--all-versions", root, check=0)
    s = audited.server

    def get(path):
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, path
        return r.json()

    seen = walk(tmp_path, base, get, shots="export")
    assert set(seen) == set(PAGE_TYPES)
    for kind, path in seen.items():
        page = path.split("#")[0]
        r = requests.get(base + page, timeout=10)
        live = requests.get(s.base + page, timeout=10)
        assert r.status_code == 200 and live.status_code == 200, page
        assert r.headers["Content-Type"] == live.headers["Content-Type"]
        assert r.headers["Content-Security-Policy"] == \
            live.headers["Content-Security-Policy"]
        if kind not in ("audit", "search"):
            assert r.content == live.content, page
    # A static audit log is the whole log, newest first.
    ids = [int(r["cells"][0]) for r in parse(requests.get(
        base + "/audit", timeout=10).text).rows
        if r["cells"] and r["cells"][0].isdigit()]
    assert ids == sorted((r["id"] for r in get("/v1/audit")["rows"]),
                         reverse=True)
    # /search lists every certificate the mirror knows (both upstream
    # bundles' and the organization CAs), each linking to its page.
    page = requests.get(base + "/search?q=ignored", timeout=10).text
    hrefs = {h[len("/cert/"):] for h, _ in links(page)
             if h.startswith("/cert/")}
    known = {fingerprint(b) for v in ("2025.07.14", "2026.07.22")
             for b in pem_blocks(upstream(v).read_bytes())}
    assert hrefs == known | {audited.lab, audited.old}
    for fp in (audited.lab, audited.old, audited.excluded["sha256"]):
        assert requests.get(f"{base}/cert/{fp}", timeout=10).status_code \
            == 200
    assert "<form" not in page
    # The served search form can be submitted: its target is this
    # mirror, which the pages' policy allows.
    live = requests.get(s.base + "/search", timeout=10)
    assert "form-action 'self'" in live.headers["Content-Security-Policy"]
    assert '<form action="/search"' in live.text
