"""A snapshot's whole content for an auditor (issue 23): /snapshots/ID
says where the snapshot came from (source, when fetched or imported,
the body's SHA-256) and, below its report, lists every certificate it
holds (label, SHA-256 linked to /cert/FP, expiry) in a <details> folded
as "All N certificates"; /v1/snapshots/ID has the same list as "roots".
Expectations come from the fixture bundles through openssl and
"cabundled inspect --json", never from counts written down here; the
page is checked as headless Chromium renders it."""
import calendar
import hashlib
import json
import os
import re
import shutil
import time

from conftest import (CABUNDLED, Server, approve, expired, fingerprint,
                      openssl, pem_blocks, run, upstream)
from test_browser import HEIGHT, parse, render, screenshot


def held(path):
    """[(sha256, label, notAfter as Unix seconds)] of a PEM file in body
    order: fingerprints and dates from openssl, labels as cabundled
    inspect reads the bundle's comments."""
    blocks = pem_blocks(path.read_bytes())
    doc = run(CABUNDLED, "inspect", "--json", path, check=0).stdout
    certs = json.loads(doc)["certificates"]
    assert [c["sha256"] for c in certs] == [fingerprint(b) for b in blocks]
    out = []
    for b, c in zip(blocks, certs):
        end = openssl("x509", "-noout", "-enddate", input=b).strip()
        t = calendar.timegm(time.strptime(end.split("=", 1)[1],
                                          "%b %d %H:%M:%S %Y %Z"))
        assert c["not_after"] == time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(t))
        out.append((c["sha256"], c["label"], t))
    return out


def section(dom, start, end):
    i = dom.index(start)
    return dom[i:dom.index(end, i) + len(end)]


def test_snapshot_page_lists_every_certificate_it_holds(mirror, tmp_path):
    # A hostile file name reaches the page escaped.
    evil = tmp_path / "x<b>&'.pem"
    shutil.copy(upstream("2025.07.14"), evil)
    mirror("import", upstream("2022.12.07"), check=5)
    approve(mirror, 1)
    mirror("import", evil, check=5)
    files = {1: upstream("2022.12.07"), 2: evil}
    want = {sid: held(p) for sid, p in files.items()}
    srv = Server(mirror)
    try:
        listed = {s["id"]: s for s in srv.get("/v1/snapshots").json()}
        js = {sid: srv.get(f"/v1/snapshots/{sid}").json() for sid in files}
        raw = srv.get("/snapshots/2").text
        doms = {sid: render(tmp_path, f"{srv.base}/snapshots/{sid}")
                for sid in files}
        # Tall enough to show the folded list below the report.
        shot = screenshot(tmp_path, srv.base + "/snapshots/2",
                          "snapshot-2.png", height=HEIGHT * 2)
        fp = want[2][0][0]
        assert srv.get(f"/cert/{fp}").status_code == 200
    finally:
        srv.stop()
    assert "x<b>" not in raw and "x&lt;b&gt;&amp;&#39;.pem" in raw
    for sid, path in files.items():
        j = js[sid]
        # The JSON: every certificate in body order, and where from.
        assert [(r["sha256"], r["label"], r["not_after"])
                for r in j["roots"]] == want[sid]
        assert j["certificates"] == len(want[sid]) == \
            listed[sid]["certificates"]
        assert {r["sha256"] for r in j["roots"] if r["dropped"]} == \
            expired(path)
        assert j["source"] == "file:" + os.path.realpath(path)
        assert j["created"] == listed[sid]["created"]
        assert j["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert mirror.report(sid)["created"] == j["created"]

        # The page as Chromium parsed it: the provenance table first.
        dom = doms[sid]
        prov = parse(section(dom, '<table class="provenance"', "</table>"))
        cells = {r["cells"][0]: r["cells"][1] for r in prov.rows}
        assert cells == {"source": j["source"], "imported": j["created"],
                         "body sha256": j["sha256"]}, cells
        # Below the report, folded: no "open", no script needed.
        det = section(dom, '<details class="held"', "</details>")
        assert dom.index('<details class="held"') > \
            dom.index("Removed roots")
        assert re.match(r'<details class="held" id="certificates">'
                        r'<summary>', det), det[:80]
        summary = re.search(r"<summary>(.*?)</summary>", det)[1]
        assert summary == f"All {len(want[sid])} certificates"
        page = parse(det)
        assert page.rows[0]["cells"] == ["#", "label", "sha256", "expires",
                                         "note"]
        rows = page.rows[1:]
        assert [(r["cells"][0], r["cells"][1], r["cells"][2],
                 r["cells"][3]) for r in rows] == \
            [(str(i + 1), label, f,
              time.strftime("%Y-%m-%d", time.gmtime(t)))
             for i, (f, label, t) in enumerate(want[sid])]
        assert all(r["links"] == [f"/cert/{r['cells'][2]}"] for r in rows)
        assert {r["cells"][2] for r in rows if r["cells"][4]} == \
            expired(path)
        assert all(r["cells"][4] in ("", "dropped by vetting: not served")
                   for r in rows)
    assert shot.stat().st_size > 10000

    # The list unfolded, as a person opening it sees it: the same DOM
    # with "open" set, from a file (the page runs no script to do it).
    opened = tmp_path / "snapshot-2-open.html"
    opened.write_text(doms[2].replace('<details class="held"',
                                      '<details class="held" open'))
    screenshot(tmp_path, opened.as_uri(), "snapshot-2-open.png",
               height=HEIGHT * 6)
