"""Reading envelopes from a NATS JetStream stream, without changing it.

``nats://host:port/STREAM`` (default stream ``noetl_events``): every message from the first
one, in stream order, one envelope per message (a message is judged whole, newlines included).
The stream is read through an ephemeral pull consumer with ``AckPolicy.NONE``, in memory, that
this reader deletes when done (the server also drops it after a minute of inactivity): nothing
is acknowledged, nothing is redelivered to anyone else, the stream is untouched.

Reading stops at the first of: the message that was the stream's last when reading began;
``max_messages`` messages; ``timeout`` seconds without an answer from the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from ._sources import Block, MissingExtra, SourceError

__all__ = ["DEFAULT_STREAM", "NatsSource"]

DEFAULT_STREAM: Final = "noetl_events"
_FETCH: Final = 1000


@dataclasses.dataclass(slots=True)
class NatsSource:
    """The envelopes of one JetStream stream."""

    server: str
    stream: str
    name: str
    max_messages: int | None = None
    timeout: float = 10.0
    unit: str = "messages"
    _total: int | None = None

    @classmethod
    def from_url(cls, url: str, name: str, max_messages: int | None, timeout: float) -> NatsSource:
        parts = urlsplit(url)
        stream = parts.path.strip("/") or DEFAULT_STREAM
        if "/" in stream or not parts.hostname:
            raise SourceError(f"{name}: expected nats://host:port/STREAM")
        server = f"nats://{parts.netloc}"
        return cls(server, stream, name, max_messages, timeout)

    @property
    def total(self) -> int | None:
        return self._total

    def blocks(self) -> Iterator[Block]:
        try:
            import nats
            from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        except ImportError:
            raise MissingExtra(
                f"{self.name}: reading NATS needs nats-py: "
                "pip install 'noetl-events-conformance[nats]'"
            ) from None
        loop = asyncio.new_event_loop()
        nc: Any = None
        js: Any = None
        consumer: str | None = None

        def run(coro: Any) -> Any:
            return loop.run_until_complete(coro)

        errors: list[BaseException] = []

        async def note(e: BaseException) -> None:  # instead of nats-py logging tracebacks
            errors.append(e)

        try:
            try:
                nc = run(
                    asyncio.wait_for(
                        nats.connect(
                            servers=[self.server],
                            connect_timeout=self.timeout,
                            allow_reconnect=False,
                            max_reconnect_attempts=1,
                            error_cb=note,
                        ),
                        self.timeout,
                    )
                )
            except Exception as e:  # nats raises many kinds
                cause = errors[-1] if errors else e
                raise SourceError(
                    f"{self.name}: cannot connect: {cause or type(cause).__name__}"
                ) from None
            js = nc.jetstream(timeout=self.timeout)
            try:
                info = run(js.stream_info(self.stream))
            except Exception as e:
                raise SourceError(f"{self.name}: no stream {self.stream!r}: {e}") from None
            last = info.state.last_seq
            count = info.state.messages
            if self.max_messages is not None:
                count = min(count, self.max_messages)
            self._total = count
            if count == 0:
                return
            config = ConsumerConfig(
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL,
                inactive_threshold=60.0,
                mem_storage=True,
                num_replicas=1,
            )
            created = run(js.add_consumer(self.stream, config))
            consumer = created.name
            sub = run(js.pull_subscribe_bind(consumer=consumer, stream=self.stream))
            read = 0
            while True:
                want = (
                    _FETCH if self.max_messages is None else min(_FETCH, self.max_messages - read)
                )
                try:
                    msgs = run(sub.fetch(want, timeout=self.timeout))
                except Exception as e:
                    if isinstance(e, TimeoutError):  # nats.errors.TimeoutError is one too
                        print(
                            f"noetl-events-conformance: {self.name}: no message for "
                            f"{self.timeout:g}s: stopped after {read} message(s)",
                            file=sys.stderr,
                        )
                        return
                    raise SourceError(f"{self.name}: {e}") from None
                lines, keys, finished = [], [], False
                for msg in msgs:
                    seq = msg.metadata.sequence.stream
                    if seq > last:
                        finished = True
                        break
                    lines.append(bytes(msg.data))
                    keys.append(f"seq {seq}")
                    read += 1
                    if seq == last or read == self.max_messages:
                        finished = True
                        break
                if lines:
                    yield Block(lines, read - len(lines) + 1, keys, read)
                if finished:
                    return
        finally:
            if js is not None and consumer is not None:
                with contextlib.suppress(Exception):  # else the server drops it when idle
                    run(js.delete_consumer(self.stream, consumer))
            if nc is not None:
                with contextlib.suppress(Exception):
                    run(nc.close())
            loop.close()
