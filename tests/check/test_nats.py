"""``check nats://...`` against a real nats-server with JetStream (``NOETL_EVENTS_TEST_NATS``;
started by ``scripts/services.sh start``). Each test publishes to a stream of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.audit._nats import DEFAULT_STREAM, NatsSource

from .conftest import Result, need_module, service_down, service_url
from .tricky import BASE, render

Check = Callable[..., Result]
nats = need_module("nats", "nats")

VALID = render(list(BASE.items())).encode()
MISSING = render([(k, v) for k, v in BASE.items() if k != "context"]).encode()


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"nats://{parts.netloc}"


async def _admin(server: str, action: Callable[[Any], Any]) -> Any:
    # (bounded: nats-py retries a refused connection forever, whatever it is told)
    nc = await asyncio.wait_for(
        nats.connect(
            servers=[server], connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=0
        ),
        10,
    )
    try:
        return await action(nc.jetstream())
    finally:
        await nc.close()


@pytest.fixture(scope="module")
def server() -> str:
    url = service_url("NOETL_EVENTS_TEST_NATS", "nats-server")
    try:
        asyncio.run(_admin(_server(url), lambda js: js.account_info()))
    except Exception as e:  # nats raises many kinds
        service_down(url, "nats-server (JetStream)", e)
    return _server(url)


@pytest.fixture
def stream(server: str) -> Iterator[tuple[str, Callable[[list[bytes]], None]]]:
    """``(url of a new stream, publish)``; the stream is deleted after the test."""
    name = f"check_test_{uuid.uuid4().hex[:10]}"

    async def create(js: Any) -> None:
        await js.add_stream(name=name, subjects=[f"{name}.>"])

    asyncio.run(_admin(server, create))

    def publish(messages: list[bytes]) -> None:
        async def send(js: Any) -> None:
            for i, data in enumerate(messages):
                await js.publish(f"{name}.events.{i % 3}", data)

        asyncio.run(_admin(server, send))

    yield f"{server}/{name}", publish
    asyncio.run(_admin(server, lambda js: js.delete_stream(name)))


def _stream_state(server: str, url: str) -> tuple[int, int]:
    name = url.rsplit("/", 1)[1]

    async def info(js: Any) -> tuple[int, int]:
        si = await js.stream_info(name)
        return si.state.messages, si.state.consumer_count

    result: tuple[int, int] = asyncio.run(_admin(server, info))
    return result


def test_messages_are_checked(server: str, stream: Any, check: Check) -> None:
    url, publish = stream
    multi_line = VALID.replace(b",", b",\n")  # a message is judged whole
    publish([VALID, MISSING, b"", multi_line, b"\xff"])
    result = check(url, "--format", "json")
    assert result.status == 1, result.err
    report = result.json()
    assert (report["total"], report["valid"], report["invalid"]) == (5, 2, 3)
    assert [(e["line"], e["kind"]) for e in report["errors"]] == [
        ("seq 2", "missing_field"),
        ("seq 3", "syntax"),
        ("seq 5", "syntax"),
    ]
    # read-only: every message is still there, no consumer is left behind
    assert _stream_state(server, url) == (5, 0)


def test_max_messages(server: str, stream: Any, check: Check) -> None:
    url, publish = stream
    publish([VALID] * 2500)
    report = check(url, "--format", "json", "--max-messages", "1234").json()
    assert report["total"] == 1234
    assert check(url, "--format", "json").json()["total"] == 2500
    assert _stream_state(server, url) == (2500, 0)


def test_jobs_and_shards(stream: Any, check: Check) -> None:
    url, publish = stream
    publish([VALID if i % 7 else MISSING for i in range(3000)])
    one = check(url, "--format", "json", "--max-errors", "0")
    assert one.json()["invalid"] == 429
    assert check(url, "--format", "json", "--max-errors", "0", "--jobs", "2").out == one.out
    parts = [check(url, "--format", "json", "--shard", f"{i}/3").json()["total"] for i in range(3)]
    assert parts == [1000, 1000, 1000]


def test_empty_stream(stream: Any, check: Check) -> None:
    url, _ = stream
    result = check(url, "--format", "json")
    assert result.status == 0
    assert result.json()["total"] == 0


def test_missing_stream(server: str, check: Check) -> None:
    result = check(f"{server}/no_such_stream_{uuid.uuid4().hex[:6]}", "--timeout", "3")
    assert result.status == 2
    assert "no stream" in result.err


def test_unreachable_server(check: Check) -> None:
    result = check("nats://127.0.0.1:1/noetl_events", "--timeout", "1")
    assert result.status == 2
    assert "cannot connect" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("url", "server", "stream"),
    [
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222", DEFAULT_STREAM),
        ("nats://127.0.0.1:4222/", "nats://127.0.0.1:4222", DEFAULT_STREAM),
        ("nats://h:1/s", "nats://h:1", "s"),
        ("nats://user:pw@h:1/s", "nats://user:pw@h:1", "s"),
    ],
)
def test_url(url: str, server: str, stream: str) -> None:
    source = NatsSource.from_url(url, url, None, 1.0)
    assert (source.server, source.stream) == (server, stream)
