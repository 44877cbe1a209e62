"""The pages for people, as a browser shows them: headless Chromium
loads the history page and a release page from cabundled serve, and
what it renders (the DOM after parsing) must list the releases and the
added and removed roots the command line reports.  Screenshots are
kept in tests/artifacts/ (or $ARTIFACTS) for a person to look at."""
import os
import pathlib
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import ROOT, Server, approve, upstream

ARTIFACTS = pathlib.Path(os.environ.get("ARTIFACTS",
                                        ROOT / "tests" / "artifacts"))
WIDTH, HEIGHT = 1280, 1400


def chromium():
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed: make test installs it"
    return exe


def browse(tmp_path, url, *flags):
    p = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'chromium'}", *flags, url],
        capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    return p.stdout.decode()


def render(tmp_path, url):
    return browse(tmp_path, url, "--dump-dom")


def screenshot(tmp_path, url, name, dom=False, height=HEIGHT):
    """A PNG of the page's first `height` pixels kept in ARTIFACTS as
    name; its path, or with dom the page's DOM too (one browser run
    for both)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / name
    out.unlink(missing_ok=True)
    text = browse(tmp_path, url, f"--window-size={WIDTH},{height}",
                  f"--screenshot={out}", *(["--dump-dom"] if dom else []))
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n", out
    assert struct.unpack(">II", png[16:24]) == (WIDTH, height), out
    return (out, text) if dom else out


class Rows(HTMLParser):
    """Every table row: its class, its cells' text, its links."""

    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell = [], None, None
        self.title = ""
        self.in_h1 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self.row = {"class": a.get("class", ""), "cells": [],
                        "links": []}
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "a" and self.row is not None:
            self.row["links"].append(a.get("href"))
        elif tag == "h1":
            self.in_h1 = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row["cells"].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "h1":
            self.in_h1 = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.in_h1:
            self.title += data


def parse(dom):
    p = Rows()
    p.feed(dom)
    return p


@pytest.fixture
def churned(mirror):
    """mozilla 1 from the 2025.07.14 release, mozilla 2 from 2026.07.22:
    real roots added and removed."""
    mirror("import", upstream("2025.07.14"), check=5)
    approve(mirror, 1)
    mirror("import", upstream("2026.07.22"), check=5)
    approve(mirror, 2)
    return mirror


def test_history_page_lists_every_release(churned, tmp_path):
    hist = churned.json("history", "--json", "mozilla")
    assert [r["version"] for r in hist] == [1, 2]
    s = Server(churned)
    try:
        page = parse(render(tmp_path, s.base + "/p/mozilla"))
        screenshot(tmp_path, s.base + "/p/mozilla", "history-mozilla.png")
    finally:
        s.stop()
    assert page.title.strip() == "mozilla"
    head = page.rows[0]["cells"]
    body = [r for r in page.rows[1:]]
    assert len(body) == len(hist)
    col = {name: i for i, name in enumerate(head)}
    for row, rel in zip(body, sorted(hist, key=lambda r: -r["version"])):
        cells = row["cells"]
        v = rel["version"]
        assert cells[col["version"]] == str(v)
        assert cells[col["certificates"]] == str(rel["certificates"])
        assert cells[col["change"]].split() == \
            [f"+{rel['added']}", f"\u2212{rel['removed']}"]
        assert cells[col["key"]] == rel["key_id"]
        assert f"/p/mozilla/{v}" in row["links"]
        assert f"/v1/mozilla/{v}/cacert.pem" in row["links"]
        assert f"/v1/mozilla/{v}/cacert.pem.minisig" in row["links"]


def test_release_page_shows_added_and_removed_roots(churned, tmp_path):
    diff = churned.json("diff", "--json", "mozilla", "1", "2")
    assert diff["added"] and diff["removed"]
    s = Server(churned)
    try:
        page = parse(render(tmp_path, s.base + "/p/mozilla/2"))
        shot = screenshot(tmp_path, s.base + "/p/mozilla/2",
                          "release-mozilla-2.png")
    finally:
        s.stop()
    assert page.title.strip() == "mozilla version 2"
    added = [r for r in page.rows if r["class"] == "add"]
    removed = [r for r in page.rows if r["class"] == "rm"]
    assert [(r["cells"][0], r["cells"][1], r["cells"][2])
            for r in added] == \
        [("+", c["label"], c["sha256"]) for c in diff["added"]]
    assert [(r["cells"][0], r["cells"][1], r["cells"][2])
            for r in removed] == \
        [("-", c["label"], c["sha256"]) for c in diff["removed"]]
    for r in added + removed:
        assert f"/cert/{r['cells'][2]}" in r["links"]
    assert shot.stat().st_size > 10000
