"""The built wheel, installed in a fresh virtual environment, used by a small downstream
project exactly as a user would: the pytest11 entry point, the bundled corpus and schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DOWNSTREAM_EVENT = (
    '{"execution_id":7,"event_type":"call.done","step":"s","status":"COMPLETED",'
    '"created_at":"2026-05-31T00:00:00Z","payload":{"rows":3}}'
)

DOWNSTREAM_TEST = """
from noetl_events_ref import decode_event

def test_my_event(noetl_golden):
    noetl_golden.check(decode_event(
        '{"execution_id":7,"event_type":"call.done","step":"s","status":"COMPLETED",'
        '"created_at":"2026-05-31T00:00:00Z","payload":{"rows":3}}'))
"""

WRONG = """
import sys, json
from noetl_events_ref._ops import run_op
for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "start":
        print(json.dumps({"ready": True, "protocol": 1, "implementation": {"name": "wrong"},
              "ops": ["decode_event"]}), flush=True)
    elif req["cmd"] == "stop":
        break
    else:
        out = run_op(req["op"], req["input"], req.get("now"))
        if out.ok and '"payload"' in req["input"]:
            print(json.dumps({"seq": req["seq"], "ok": False,
                  "error": {"kind": "missing_field", "message": "missing field `context`"}}), flush=True)
        elif out.ok:
            print(json.dumps({"seq": req["seq"], "ok": True, "output": out.output}), flush=True)
        else:
            print(json.dumps({"seq": req["seq"], "ok": False,
                  "error": {"kind": out.kind, "message": out.message}}), flush=True)
"""


def sh(
    *args: str | Path, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(map(str, args)), cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT)
    (built,) = (base / "dist").glob("noetl_events_conformance-*.whl")
    return built


def _venv_with(wheel: Path, base: Path, extras: str = "") -> Path:
    sh(sys.executable, "-m", "venv", base / "venv")
    python = base / "venv" / "bin" / "python"
    sh(python, "-m", "pip", "install", "-q", f"{wheel}{extras}")
    return python


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed plainly: no extra."""
    return _venv_with(wheel, tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def plugin_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel with the ``pytest`` extra, as a project testing with the plugin installs it."""
    return _venv_with(wheel, tmp_path_factory.mktemp("plugin"), "[pytest]")


OPTIONAL = {"pytest", "hypothesis", "deepdiff", "rich", "jsonschema", "pyyaml", "orjson"}


def test_a_plain_install_carries_only_what_verify_and_check_need(
    venv: Path, tmp_path: Path
) -> None:
    listed = json.loads(sh(venv, "-m", "pip", "list", "--format", "json").stdout)
    assert not OPTIONAL & {p["name"].lower() for p in listed}, listed
    cli = venv.parent / "noetl-events-conformance"
    total = len(list((ROOT / "fixtures" / "cases").rglob("*.json")))
    text = sh(cli, "verify", cwd=tmp_path).stdout
    assert f"PASSED: {total} passed" in text, text[-500:]
    assert "canonical_value" in text
    events = tmp_path / "events.jsonl"
    events.write_text(DOWNSTREAM_EVENT + "\n")
    assert sh(cli, "check", events, cwd=tmp_path).returncode == 0
    assert sh(cli, "schema", "event", cwd=tmp_path).stdout.startswith("{")
    api = "import conformance; r = conformance.verify(); print(r.ok, r.summary.total)"
    assert sh(venv, "-c", api, cwd=tmp_path).stdout.split() == ["True", str(total)]
    assert "diff" in sh(cli, "--help", cwd=tmp_path).stdout
    for args, extra in (
        (("diff", events, events), "diff"),
        (("corpus", "lint"), "lint"),
        (("generate", "--seed", "1", "--count", "1", "--out", tmp_path / "gen"), "strategies"),
    ):
        refused = sh(cli, *args, cwd=tmp_path, check=False)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert f"pip install 'noetl-events-conformance[{extra}]'" in refused.stderr, args
        assert "Traceback" not in refused.stderr
    # pytest installed on its own: the plugin loads, and says which extra its items need
    sh(venv, "-m", "pip", "install", "-q", "pytest")
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    assert sh(venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path).returncode == 0
    plugin = sh(
        venv,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--noetl-events-impl",
        f"{venv} -m noetl_events_ref",
        cwd=tmp_path,
        check=False,
    )
    assert plugin.returncode == 4, plugin.stdout + plugin.stderr
    assert "pip install 'noetl-events-conformance[pytest]'" in plugin.stderr


def test_the_wheel_carries_the_corpus_and_schemas(venv: Path, tmp_path: Path) -> None:
    out = sh(
        venv,
        "-c",
        "import json; from conformance.corpus._case import default_corpus_dir, load_corpus;"
        "d = default_corpus_dir(); print(json.dumps([str(d), len(load_corpus(d))]))",
        cwd=tmp_path,
    ).stdout
    where, count = json.loads(out)
    assert "site-packages" in where and count == len(
        list((ROOT / "fixtures" / "cases").rglob("*.json"))
    )
    cli = venv.parent / "noetl-events-conformance"
    assert sh(cli, "verify", "--schema", "report", cwd=tmp_path).stdout.startswith("{")
    report = json.loads(sh(cli, "verify", "--format", "json", cwd=tmp_path).stdout)
    assert report["summary"]["passed"] == count


def test_downstream_project_runs_the_corpus_in_its_pytest(
    plugin_venv: Path, tmp_path: Path
) -> None:
    venv = plugin_venv
    project = tmp_path / "downstream"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_app.py").write_text(DOWNSTREAM_TEST)
    (project / "pytest.ini").write_text(
        f"[pytest]\nnoetl_events_impl = {venv} -m noetl_events_ref\n"
    )
    (project / "wrong.py").write_text(WRONG)
    env_ci = ["env", "-u", "CI"]
    total = len(list((ROOT / "fixtures" / "cases").rglob("*.json")))

    first = sh(
        *env_ci, venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False
    )
    assert f"1 failed, {total} passed" in first.stdout, first.stdout[-2000:]
    assert "golden file created" in first.stdout
    second = sh(
        *env_ci, venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False
    )
    assert f"{total + 1} passed" in second.stdout, second.stdout[-2000:]

    wrong = sh(
        venv,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--noetl-events-impl",
        f"{venv} wrong.py",
        "-k",
        "decode_event",
        cwd=project,
        check=False,
    )
    assert wrong.returncode == 1
    failed = sorted(
        line.split("::")[2].split(" ")[0]
        for line in wrong.stdout.splitlines()
        if line.startswith("FAILED")
    )
    assert failed and all(
        "payload" in line or "alias" in line or "legacy" in line or "dup" in line for line in failed
    ), failed


DOCS = sorted(p.name for p in (ROOT / "docs").glob("*.md"))


def test_the_wheel_and_the_sdist_ship_the_docs_and_the_licence(
    venv: Path, wheel: Path, tmp_path: Path
) -> None:
    code = (
        "import json, importlib.metadata as m, importlib.resources as r;"
        "d = r.files('conformance') / 'docs';"
        "e = r.files('conformance') / 'examples' / 'ci';"
        "print(json.dumps([sorted(p.name for p in d.iterdir()),"
        " [str(f) for f in m.files('noetl-events-conformance') if f.name == 'LICENSE'],"
        " m.metadata('noetl-events-conformance')['License-Expression'],"
        " sorted(p.name for p in e.iterdir())]))"
    )
    names, licences, expression, examples = json.loads(sh(venv, "-c", code, cwd=tmp_path).stdout)
    assert names == DOCS and "index.md" in names
    # docs/ci.md links ../examples/ci/: the link holds in the installed package too
    assert examples == ["github-actions.yml", "pre-commit-config.yaml"]
    assert licences and expression == "MIT"
    sh(sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path / "sdist", ROOT)
    (sdist,) = (tmp_path / "sdist").glob("noetl_events_conformance-*.tar.gz")
    with tarfile.open(sdist) as tar:
        members = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for needed in (
        "LICENSE",
        ".pre-commit-hooks.yaml",
        "examples/ci/github-actions.yml",
        "examples/ci/pre-commit-config.yaml",
        "tests/schema/node/package-lock.json",
        *(f"docs/{name}" for name in DOCS),
    ):
        assert needed in members, needed
    assert not any("node_modules" in m for m in members)
