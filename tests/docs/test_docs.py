"""The docs that ship: links resolve inside the repository, commands in them parse, the CI
examples are valid for the tools that read them, and the hooks run as pre-commit runs them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.cli._main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
OWN_PAGES = (
    "index",
    "install",
    "wire-contract",
    "errors",
    "protocol",
    "schema",
    "pytest",
    "api",
    "ci",
    "operations",
    "callable",
    "check",
    "matrix",
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
GOOD = (
    '{"execution_id":7,"event_type":"call.done","step":"s","status":"COMPLETED",'
    '"created_at":"2026-05-31T00:00:00Z","payload":{"rows":3}}'
)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *(DOCS / f"{p}.md" for p in OWN_PAGES)]


def test_every_own_page_exists_and_the_index_links_each_page() -> None:
    index = (DOCS / "index.md").read_text("utf-8")
    for page in OWN_PAGES:
        assert (DOCS / f"{page}.md").is_file(), page
        if page != "index":
            assert f"]({page}.md)" in index, page


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.name)
def test_links_resolve_inside_the_repository(path: Path) -> None:
    text = path.read_text("utf-8")
    assert "shared/spec" not in text and "/work/" not in text
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{path.name}: no heading for #{anchor}"


def _command_lines(text: str) -> list[list[str]]:
    """Each `noetl-events-conformance ...` command of the shell blocks (and folded YAML)."""
    commands = []
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = line.split(" #")[0].strip()
        at = line.find("noetl-events-conformance ")
        if at < 0 or line.startswith(("#", "-")) or "`" in line:
            continue
        commands.append(shlex.split(line[at:])[1:])
    return commands


def _workflow_commands() -> list[list[str]]:
    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    return [c for s in steps if "run" in s for c in _command_lines(s["run"])]


def test_every_command_in_the_docs_and_examples_parses() -> None:
    commands = _workflow_commands()
    for page in OWN_PAGES:
        commands += _command_lines((DOCS / f"{page}.md").read_text("utf-8"))
    assert len(commands) >= 5
    for words in commands:
        parser = build_parser(words[0])
        try:
            parser.parse_args(words)
        except SystemExit as e:
            if e.code != 0:
                pytest.fail(f"does not parse: noetl-events-conformance {shlex.join(words)}")


def test_the_workflow_is_a_valid_github_actions_workflow() -> None:
    checker = shutil.which("check-jsonschema", path=os.path.dirname(sys.executable))
    assert checker, "check-jsonschema comes with the dev extra"
    proc = subprocess.run(
        [
            checker,
            "--builtin-schema",
            "vendor.github-workflows",
            str(ROOT / "examples" / "ci" / "github-actions.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plugin_options = set(re.findall(r"--noetl-events-[a-z-]+", _plugin_help()))
    workflow = (ROOT / "examples" / "ci" / "github-actions.yml").read_text()
    used = set(re.findall(r"--noetl-events-[a-z-]+", workflow))
    assert used and used <= plugin_options, used - plugin_options


def _plugin_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    assert found, "pre-commit comes with the dev extra"
    return found


def test_the_hook_definitions_and_the_example_config_are_valid() -> None:
    pre_commit = _pre_commit()
    for what, path in (
        ("validate-manifest", ROOT / ".pre-commit-hooks.yaml"),
        ("validate-config", ROOT / "examples" / "ci" / "pre-commit-config.yaml"),
    ):
        proc = subprocess.run(
            [pre_commit, what, str(path)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    config = yaml.safe_load((ROOT / "examples" / "ci" / "pre-commit-config.yaml").read_text())
    used = {h["id"] for repo in config["repos"] if repo["repo"] != "local" for h in repo["hooks"]}
    assert used == hooks  # (a local hook runs the kit from the project's own environment)


def _hook(hook_id: str) -> dict[str, object]:
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()):
        if hook["id"] == hook_id:
            return dict(hook)
    raise AssertionError(hook_id)


def _entry(hook_id: str) -> list[str]:
    words = shlex.split(str(_hook(hook_id)["entry"]))
    assert words[0] == "noetl-events-conformance"
    return [str(Path(sys.executable).parent / words[0]), *words[1:]]


def test_the_hook_entries_work_as_pre_commit_calls_them(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl.gz"
    good.write_text(GOOD + "\n")
    import gzip

    bad.write_bytes(gzip.compress(b'{"execution_id":"7"}\n'))
    check = _entry("noetl-events-check")
    pattern = re.compile(str(_hook("noetl-events-check")["files"]))
    assert pattern.search(good.name) and pattern.search(bad.name)
    assert not pattern.search("notes.json")
    ok = subprocess.run([*check, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    both = subprocess.run([*check, str(good), str(bad)], capture_output=True, text=True)
    assert both.returncode == 1 and "invalid_type" in both.stdout

    verify = _entry("noetl-events-verify")
    assert _hook("noetl-events-verify")["pass_filenames"] is False
    passing = subprocess.run(
        [*verify, "--impl", f"{sys.executable} -m noetl_events_ref"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert passing.returncode == 0, passing.stdout[-2000:] + passing.stderr[-2000:]
    wrong = subprocess.run(
        [*verify, "--impl", f"{sys.executable} -c 'import sys; sys.exit(4)'"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 3


def test_pre_commit_runs_the_check_hook_from_this_repository(tmp_path: Path) -> None:
    """The whole path a user takes: pre-commit installs the kit from the repository and runs
    the hook on staged files (needs git and the Python package index)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if tracked.returncode != 0:
        pytest.skip(".pre-commit-hooks.yaml is not committed yet")
    project = tmp_path / "project"
    project.mkdir()
    (project / "good.jsonl").write_text(GOOD + "\n")
    (project / "bad.jsonl").write_text('{"execution_id":"7"}\n')
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home")}
    env.pop("CI", None)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    proc = subprocess.run(
        [_pre_commit(), "try-repo", str(ROOT), "noetl-events-check", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 checked, 1 valid, 1 invalid" in proc.stdout, proc.stdout[-3000:]
    assert "bad.jsonl:1: invalid_type at $.execution_id" in proc.stdout


def test_errors_page_lists_every_syntax_message_the_kit_files_elsewhere() -> None:
    """An adapter written from errors.md must place each message as classify.rs does."""
    rules = (ROOT / "conformance" / "rust" / "classify.rs").read_text("utf-8")
    table = rules.split("const SYNTAX_RULES", 1)[1].split("];", 1)[0]
    pairs = re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",\s*"([a-z_]+)",?\s*\)', table)
    assert len(pairs) == 7
    page = (DOCS / "errors.md").read_text("utf-8")
    for prefix, kind in pairs:
        message = prefix.replace("\\\\", "\\")
        assert re.search(rf"\| `{re.escape(message)}`[^|]*\| `{kind}` \|", page), message
