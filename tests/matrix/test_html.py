"""The HTML report in a real headless browser: the page opens with nothing fetched, its table
holds the cells the json report holds, and a screenshot goes to CI's output folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.cli._main import main

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("NOETL_EVENTS_CI_OUTPUT", ROOT / "ci-output"))
IMPLS = (
    "--impl", "ref=reference",
    "--impl", "server=python-model:tests.matrix.models:ServerRequest",
    "--impl", f"js=node {ROOT / 'adapters' / 'node' / 'consumer.js'}",
)  # fmt: skip


def _browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "chromium is not installed (scripts/test installs Debian's `chromium`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI: {message}", pytrace=False)
        pytest.skip(message)
    if shutil.which("node") is None:
        pytest.fail("node is not installed") if os.environ.get("CI") else pytest.skip("no node")
    return found


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, Any]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "td" and "data-producer" in found:
            self.cells.append(found)
        for key in ("src", "href"):
            if found.get(key):
                self.links.append(str(found[key]))


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_the_html_report_in_a_browser(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    browser = _browser()
    page = tmp_path / "matrix.html"
    assert main(["matrix", *IMPLS, "--format", "html", "--output", str(page)]) == 1
    assert main(["matrix", *IMPLS, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)

    dom = _chromium(browser, "--dump-dom", page.as_uri()).stdout
    parsed = _Cells()
    parsed.feed(dom)
    assert parsed.links == []  # nothing to fetch at view time
    shown = {
        (c["data-producer"], c["data-consumer"]): (
            c["class"], int(c["data-hops"]), int(c["data-accepted"]),
            int(c["data-rejected"]), int(c["data-lossless"]),
        )
        for c in parsed.cells
    }  # fmt: skip
    expected = {
        (c["producer"], c["consumer"]): (
            c["verdict"],
            c["hops"],
            c["accepted"],
            c["rejected"],
            c["lossless"],
        )
        for c in report["cells"]
    }
    assert shown == expected
    assert shown[("ref", "ref")][0] == "lossless"
    assert shown[("ref", "server")][0] == "fails"
    assert "status: dropped" in dom

    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "matrix.png"
    _chromium(browser, f"--screenshot={shot}", "--window-size=1400,900", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copyfile(page, OUTPUT / "matrix.html")
