"""Real peers side by side, none of them modelled: the reference, the Rust adapter on the real
crates, the adapter rebuilt on the pins of NoETL's published binaries, Node.js's JSON, a
Python server's request model, and the trail the real NoETL CLI writes.

What needs building or installing comes from scripts/test (scripts/peers.sh): missing, these
tests skip locally and fail when CI is set.
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conformance.cli._main import main
from tests._rust_adapter import rust_adapter_path

from .peers import cli_trail

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "noetl-events-conformance"
OUTPUT = Path(os.environ.get("NOETL_EVENTS_CI_OUTPUT", ROOT / "ci-output"))
RUST = rust_adapter_path()
NODE = ROOT / "adapters" / "node" / "consumer.js"
SERVER = "server=python-model:tests.matrix.models:ServerRequest"
# the published crate each pinned producer row reads its pins from
PUBLISHED = {
    "noetl-worker-5.52.0": "noetl-worker-5.52.0",
    "noetl-executor-0.13.2": "noetl-executor-0.13.2",
    "noetl-cli-5.3.2": "noetl-5.3.2",
}


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


def _producers() -> dict[str, str]:
    listing = Path(os.environ.get("NOETL_EVENTS_PRODUCERS_LIST", CACHE / "producers.txt"))
    if not listing.is_file():
        _missing(f"no producer list {listing}: run scripts/peers.sh")
    rows = dict(line.split("=", 1) for line in listing.read_text().split() if "=" in line)
    if set(rows) != {*PUBLISHED, "newest"}:
        _missing(f"{listing} lists {sorted(rows)}: run scripts/peers.sh")
    return rows


def _need(path: Path | str | None, what: str) -> str:
    if path is None or not Path(path).exists():
        _missing(f"{what} is missing ({path}): run scripts/test or scripts/peers.sh")
    return str(path)


def _matrix(capsys: pytest.CaptureFixture[str], *options: str, name: str) -> dict[str, Any]:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    main(["matrix", *options, "--format", "markdown", "--output", str(OUTPUT / f"{name}.md")])
    main(["matrix", *options, "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    (OUTPUT / f"{name}.json").write_text(json.dumps(report, indent=1))
    return report


def _cell(report: dict[str, Any], producer: str, consumer: str) -> dict[str, Any]:
    (cell,) = [
        c for c in report["cells"] if c["producer"] == producer and c["consumer"] == consumer
    ]
    return cell


def _published_pins(crate: str) -> dict[str, str]:
    """serde_json and chrono as the published crate's own Cargo.lock pins them, read here."""
    found = glob.glob(str(Path.home() / ".cargo" / "registry" / "src" / "*" / crate / "Cargo.lock"))
    if not found:
        _missing(f"the source of {crate} is not unpacked: run scripts/peers.sh")
    pins: dict[str, str] = {}
    name = None
    for line in Path(found[0]).read_text().splitlines():
        if line.startswith("name = "):
            name = line.split('"')[1]
        elif line.startswith("version = ") and name in ("serde_json", "chrono"):
            pins.setdefault(name, line.split('"')[1])
    return pins


@pytest.mark.rust
def test_published_pins_into_real_consumers(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _producers()
    rust = _need(RUST, "the Rust adapter")
    node = shutil.which("node") or _missing("node is not installed")
    impls = [f"rust={shlex.quote(rust)}"]
    impls += [f"{name}={shlex.quote(_need(path, name))}" for name, path in rows.items()]
    impls += [f"js={node} {shlex.quote(str(NODE))}", SERVER, "ref=reference"]
    options = [w for spec in impls for w in ("--impl", spec)]
    report = _matrix(capsys, *options, "--count", "300", "--seed", "12", name="matrix-peers")
    peers = {p["name"]: p for p in report["implementations"]}
    assert all(p["error"] is None for p in peers.values()), peers
    for name, crate in PUBLISHED.items():
        versions = peers[name]["implementation"]["versions"]
        pins = _published_pins(crate)
        assert versions["serde_json"] == pins["serde_json"], name
        assert versions["chrono"] == pins["chrono"], name
    for producer in (*rows, "rust", "ref"):
        assert _cell(report, producer, "rust")["verdict"] == "lossless", producer
        js = _cell(report, producer, "js")
        assert js["rejected"] == 0
        assert js["fields"]["execution_id"]["kinds"].get("precision-lost", 0) > 0
        server = _cell(report, producer, "server")
        assert server["fields"]["status"]["dropped"] == server["accepted"] > 0


def _noetl() -> str:
    found = os.environ.get("NOETL_EVENTS_NOETL_CLI") or str(
        CACHE / "noetl-cli-venv" / "bin" / "noetl"
    )
    return _need(found, "the NoETL CLI")


def _nats() -> str:
    url = os.environ.get("NOETL_EVENTS_TEST_NATS")
    if not url:
        _missing('NOETL_EVENTS_TEST_NATS is not set: eval "$(scripts/services.sh env)"')
    return str(url)


def test_the_noetl_cli_trail(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    noetl, nats = _noetl(), _nats()
    trail = tmp_path / "noetl-cli.jsonl"
    done = cli_trail.run(noetl, nats, trail)
    assert trail.is_file(), done.stderr[-2000:]
    lines = trail.read_text().splitlines()
    types = [json.loads(line)["event_type"] for line in lines]
    assert "playbook.failed" in types and "playbook.completed" in types, types
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trail, OUTPUT / "noetl-cli.jsonl")

    assert main(["check", str(trail)]) == 0
    capsys.readouterr()
    assert main(["check", "--census", "--format", "json", str(trail)]) == 0
    census = json.loads(capsys.readouterr().out)
    assert census["uncovered"] == 0, census["shapes"]  # the corpus has every shape it uses
    rust = _need(RUST, "the Rust adapter")
    report = _matrix(
        capsys,
        "--impl", f"rust={shlex.quote(rust)}",
        "--impl", SERVER,
        "--impl", f"js=node {shlex.quote(str(NODE))}",
        "--trail", str(trail),
        name="matrix-noetl-cli",
    )  # fmt: skip
    assert _cell(report, "noetl-cli", "rust")["lossless"] == len(lines)
    server = _cell(report, "noetl-cli", "server")
    assert server["accepted"] == len(lines)
    assert server["fields"]["status"]["dropped"] == len(lines)
    assert server["fields"]["created_at"]["dropped"] == len(lines)
    assert server["fields"]["execution_id"]["kinds"] == {"number-to-string": len(lines)}
    # JSON.stringify writes a double's shortest round-trip digits: an id is lost when those
    # digits, padded with zeros, are not the id (Python's float repr has the same digits)
    ids = [json.loads(line)["execution_id"] for line in lines]
    lost = sum(int(Decimal(repr(float(i)))) != i for i in ids)
    js = _cell(report, "noetl-cli", "js")
    assert lost > 0
    assert js["fields"]["execution_id"]["kinds"] == {"precision-lost": lost}
