"""``check nats://...`` under faults, against nats-server instances of the tests' own (never the
shared service): ``Status`` headers, 900 KB and 15 MB messages, a server frozen, killed or
stopped, removal between shard runs, a work-queue stream, a stream at its consumer limit,
interruption.

Each scenario asserts the counts, the exit status, the completeness verdict, that the stream
is unchanged (its messages and their checksum) and the process's peak memory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._servers import PEAK_RSS_LIMIT, NatsServer, Run, nats_server, run_check, wait_until
from .conftest import need_module
from .tricky import BASE, render

nats = need_module("nats", "nats")

VALID = render(list(BASE.items())).encode()
MISSING = render([(k, v) for k, v in BASE.items() if k != "context"]).encode()
STREAM = "events"


async def _admin(server: str, action: Callable[[Any, Any], Any]) -> Any:
    # (bounded: nats-py retries a refused connection forever, whatever it is told)
    nc = await asyncio.wait_for(
        nats.connect(
            servers=[server], connect_timeout=3, allow_reconnect=False, max_reconnect_attempts=0
        ),
        10,
    )
    try:
        return await action(nc, nc.jetstream(timeout=30))
    finally:
        await nc.close()


def admin(server: NatsServer, action: Callable[[Any, Any], Any]) -> Any:
    return asyncio.run(_admin(server.url, action))


def create(server: NatsServer, name: str = STREAM, **config: Any) -> None:
    async def go(nc: Any, js: Any) -> None:
        await js.add_stream(name=name, subjects=[f"{name}.>"], **config)

    admin(server, go)


def publish(
    server: NatsServer,
    messages: list[bytes],
    headers: list[dict[str, str] | None] | None = None,
    name: str = STREAM,
) -> None:
    async def go(nc: Any, js: Any) -> None:
        for i, data in enumerate(messages):
            await js.publish(f"{name}.e", data, headers=headers[i] if headers else None)

    admin(server, go)


def publish_fast(server: NatsServer, messages: Iterator[bytes], name: str = STREAM) -> None:
    """Many messages without waiting for each acknowledgement."""

    async def go(nc: Any, js: Any) -> None:
        for data in messages:
            await nc.publish(f"{name}.e", data)
        await nc.flush(timeout=60)
        # every message stored before going on
        for _ in range(600):
            info = await js.stream_info(name)
            if info.state.messages == info.state.last_seq - info.state.first_seq + 1:
                break
            await asyncio.sleep(0.05)

    admin(server, go)


def state(server: NatsServer, name: str = STREAM) -> tuple[int, int, int, int, str]:
    """(messages, bytes, consumers, last sequence, checksum of every message: of the first
    1,000 only in a larger stream)."""

    async def go(nc: Any, js: Any) -> tuple[int, int, int, int, str]:
        info = await js.stream_info(name)
        digest = hashlib.sha256()
        last = min(info.state.last_seq, info.state.first_seq + 999)
        for seq in range(info.state.first_seq, last + 1):
            try:
                msg = await js.get_msg(name, seq)
            except Exception:  # a removed message
                continue
            digest.update(f"{seq}:".encode() + (msg.data or b""))
        return (
            info.state.messages,
            info.state.bytes,
            info.state.consumer_count,
            info.state.last_seq,
            digest.hexdigest(),
        )

    result: tuple[int, int, int, int, str] = admin(server, go)
    return result


def _report(run: Run) -> Any:
    assert "Traceback" not in run.err, run.err
    return json.loads(run.out)


@pytest.fixture
def server() -> Iterator[NatsServer]:
    with nats_server(max_payload=16 << 20) as s:
        yield s


def test_status_headers_are_user_headers(server: NatsServer, tmp_path: Path) -> None:
    values = ["404", "408", "409", "100", "503", "COMPLETED", "400 Bad Request"]
    messages = [VALID] * len(values) + [b"not json"] * len(values) + [MISSING]
    headers: list[dict[str, str] | None] = [{"Status": v} for v in values] * 2 + [
        {"Status": "404", "Description": "No Messages"}
    ]
    create(server)
    publish(server, messages, headers)
    before = state(server)
    run = run_check([f"{server.url}/{STREAM}", "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 1
    assert report["complete"] is True
    assert (report["total"], report["valid"], report["invalid"]) == (15, 7, 8)
    assert (
        report["sources"][0] | {"first_seq": 1, "last_seq": 15, "messages": 15}
        == (report["sources"][0])
    )
    assert state(server) == before  # no consumer left, nothing changed
    assert run.peak_rss < PEAK_RSS_LIMIT


def test_900_kb_messages(server: NatsServer, tmp_path: Path) -> None:
    body = render(
        [(k, json.dumps({"blob": "x" * 900_000}) if k == "context" else v) for k, v in BASE.items()]
    ).encode()
    create(server)
    publish(server, [body] * 60)
    before = state(server)
    run = run_check([f"{server.url}/{STREAM}", "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 0, run.err
    assert report["complete"] is True
    assert (report["total"], report["valid"]) == (60, 60)
    assert state(server) == before
    assert run.peak_rss < PEAK_RSS_LIMIT


def test_a_15_mb_message_is_too_large_and_the_read_goes_on(
    server: NatsServer, tmp_path: Path
) -> None:
    create(server)
    publish(server, [VALID, b"x" * (15 << 20), VALID, MISSING])
    before = state(server)
    run = run_check([f"{server.url}/{STREAM}", "--format", "json"], tmp_path)
    report = _report(run)
    assert run.status == 1
    assert report["complete"] is True
    assert (report["total"], report["valid"]) == (4, 2)
    assert report["by_kind"] == {"too_large": 1, "missing_field": 1}
    assert report["errors"][0]["line"] == "seq 2"
    assert state(server) == before
    assert run.peak_rss < PEAK_RSS_LIMIT


def _many(server: NatsServer, count: int) -> None:
    create(server)
    publish_fast(server, ((MISSING if i % 10 == 0 else VALID) for i in range(count)))


def _consumer_exists(server: NatsServer) -> bool:
    async def go(nc: Any, js: Any) -> int:
        info = await js.stream_info(STREAM)
        return int(info.state.consumer_count)

    return bool(admin(server, go))


@pytest.mark.parametrize("fault", ["freeze", "kill"])
def test_a_server_that_stops_answering_mid_read(
    server: NatsServer, tmp_path: Path, fault: str
) -> None:
    _many(server, 100_000)
    before = state(server)
    stopped: list[float] = []

    def strike(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: _consumer_exists(server) or proc.poll() is not None, step=0.005)
        time.sleep(0.2)
        stopped.append(time.monotonic())
        server.signal(signal.SIGSTOP if fault == "freeze" else signal.SIGKILL)

    began = time.monotonic()
    run = run_check(
        [f"{server.url}/{STREAM}", "--format", "json", "--timeout", "2"],
        tmp_path,
        during=strike,
    )
    report = _report(run)
    assert run.status == 3, run.err
    assert report["complete"] is False
    assert report["incomplete"]["partial"] is True
    assert 0 < report["total"] < 100_000
    assert report["sources"][0]["messages"] == 100_000
    assert began + run.seconds - stopped[0] < 2 + 2 + 5  # the timeout, the watchdog, slack
    if fault == "freeze":
        server.signal(signal.SIGCONT)
        wait_until(lambda: not _consumer_exists(server), seconds=90, step=1)
        assert state(server) == before


def test_a_server_that_is_down(tmp_path: Path) -> None:
    with nats_server() as server:
        url = f"{server.url}/{STREAM}"
        server.stop()
    output = tmp_path / "report.json"
    output.write_text('{"complete": true}')
    run = run_check([url, "--timeout", "2", "--format", "json", "--output", str(output)], tmp_path)
    assert run.status == 2
    assert "cannot connect" in run.err and len(run.err.split("cannot connect: ", 1)[1]) > 3
    assert "Traceback" not in run.err
    assert json.loads(output.read_text())["complete"] is False  # the old report is marked


def test_removal_between_shard_runs_keeps_shards_a_partition(
    server: NatsServer, tmp_path: Path
) -> None:
    create(server)
    publish(server, [MISSING if i % 3 == 0 else VALID for i in range(60)])
    url = f"{server.url}/{STREAM}"
    first = _report(run_check([url, "--format", "json", "--shard", "0/2"], tmp_path))

    async def remove(nc: Any, js: Any) -> None:
        await js.delete_msg(STREAM, 10)  # an invalid one, checked by shard 0
        await js.delete_msg(STREAM, 7)  # an invalid one not yet checked

    admin(server, remove)
    second = _report(run_check([url, "--format", "json", "--shard", "1/2"], tmp_path))
    checked = [e["line"] for e in first["errors"]] + [e["line"] for e in second["errors"]]
    assert len(checked) == len(set(checked))  # no message checked twice
    remaining = {f"seq {s}" for s in range(1, 61) if s % 3 == 1 and s != 7}
    assert set(checked) == remaining  # every remaining invalid message checked
    assert first["complete"] and second["complete"]


def test_a_work_queue_stream_is_refused_and_kept(server: NatsServer, tmp_path: Path) -> None:
    from nats.js.api import RetentionPolicy

    create(server, retention=RetentionPolicy.WORK_QUEUE)
    publish(server, [VALID] * 5)
    before = state(server)
    run = run_check([f"{server.url}/{STREAM}", "--timeout", "3"], tmp_path)
    assert run.status == 2
    assert "work-queue" in run.err
    assert "Traceback" not in run.err
    assert state(server) == before


def test_a_stream_at_its_consumer_limit(server: NatsServer, tmp_path: Path) -> None:
    from nats.js.api import ConsumerConfig

    create(server, max_consumers=1)
    publish(server, [VALID] * 5)

    async def take(nc: Any, js: Any) -> None:
        await js.add_consumer(STREAM, ConsumerConfig(durable_name="only"))

    admin(server, take)
    run = run_check([f"{server.url}/{STREAM}", "--timeout", "3"], tmp_path)
    assert run.status == 2
    assert "cannot create a consumer" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_removes_its_consumer(
    server: NatsServer, tmp_path: Path, sig: signal.Signals
) -> None:
    _many(server, 100_000)
    before = state(server)
    signalled: list[float] = []

    def interrupt(proc: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: _consumer_exists(server) or proc.poll() is not None, step=0.005)
        signalled.append(time.monotonic())
        proc.send_signal(sig)

    began = time.monotonic()
    run = run_check([f"{server.url}/{STREAM}", "--exact"], tmp_path, during=interrupt)
    assert run.status == 130, run.err
    assert "Traceback" not in run.err
    assert began + run.seconds - signalled[0] < 15  # (the figure: benchmarks/check.py)
    assert state(server) == before  # the consumer is gone at once


def test_a_frozen_server_at_connect_says_so(server: NatsServer, tmp_path: Path) -> None:
    create(server)
    publish(server, [VALID])
    server.signal(signal.SIGSTOP)
    try:
        run = run_check([f"{server.url}/{STREAM}", "--timeout", "1"], tmp_path, timeout=60)
    finally:
        server.signal(signal.SIGCONT)
    assert run.status == 2
    assert "cannot connect: no answer within 1s" in run.err
    assert "Traceback" not in run.err
    assert run.seconds < 1 + 2 + 8
