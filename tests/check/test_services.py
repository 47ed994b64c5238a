"""``scripts/services.sh`` and the rule for tests that need a service: skip locally, fail in CI."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import ROOT, service_down, service_url

SCRIPT = ROOT / "scripts" / "services.sh"


def test_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def test_env_prints_the_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOETL_EVENTS_PG_PORT", "6543")
    monkeypatch.setenv("NOETL_EVENTS_NATS_PORT", "7654")
    out = subprocess.run(
        ["bash", str(SCRIPT), "env"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        "export NOETL_EVENTS_TEST_PG=postgresql://noetl@127.0.0.1:6543/noetl",
        "export NOETL_EVENTS_TEST_NATS=nats://127.0.0.1:7654/noetl_events",
    ]


def test_usage() -> None:
    proc = subprocess.run(["bash", str(SCRIPT), "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_binds_loopback_only() -> None:
    text = SCRIPT.read_text()
    assert "listen_addresses=127.0.0.1" in text
    assert "nats-server -a 127.0.0.1" in text


def test_missing_service_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NOETL_EVENTS_TEST_PG", raising=False)
    with pytest.raises(pytest.skip.Exception, match="set NOETL_EVENTS_TEST_PG"):
        service_url("NOETL_EVENTS_TEST_PG", "PostgreSQL")
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        service_down("postgresql://x", "PostgreSQL", OSError("refused"))


def test_missing_service_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("NOETL_EVENTS_TEST_NATS", raising=False)
    with pytest.raises(pytest.fail.Exception, match="CI: nats-server is not configured"):
        service_url("NOETL_EVENTS_TEST_NATS", "nats-server")
    with pytest.raises(pytest.fail.Exception, match="CI: nats-server at nats://x is not"):
        service_down("nats://x", "nats-server", OSError("refused"))
