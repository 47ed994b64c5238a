"""Reading envelopes from a NATS JetStream stream, without changing it.

``nats://host:port/STREAM`` (default stream ``noetl_events``): every message from the first
one, in stream order, one envelope per message (a message is judged whole, newlines included;
its headers, whatever they are, are not looked at).

The stream is read through an ephemeral pull consumer with ``AckPolicy.NONE``, in memory, named
by this reader (so that it can be deleted even when the answer to its creation never came),
that this reader deletes when done, on error and on interruption (the server also drops it after a
minute of inactivity): nothing is acknowledged, nothing is redelivered to anyone else, the
stream is untouched. A work-queue stream is refused: reading it through a consumer would
remove its messages.

The pull requests are made here, on an inbox of the reader's own, not through nats-py's
``fetch``: a stream message is told from the server's status messages by its ``$JS.ACK``
reply subject, never by its headers (a user header ``Status: 404`` is a message like any
other). Each request asks for at most 1,000 messages and at most ``max_item`` + 64 KiB bytes,
so a fetch never overruns the client; a message larger than that is fetched alone, judged
``too_large`` and dropped. Any message nats-py drops (a slow consumer) ends the run as
incomplete rather than going unnoticed.

Reading stops at the first of: the message that was the stream's last when reading began (the
report gives the stream's first and last sequence and message count then); ``max_messages``
messages; the end of what the stream still holds. No answer from the server for ``timeout``
seconds, or a lost connection, ends the run as incomplete.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from conformance.core._extras import install_hint

from ._sources import DEFAULT_MAX_ITEM, Block, MissingExtra, SourceError, SourceIncomplete

__all__ = ["DEFAULT_STREAM", "NatsSource"]

DEFAULT_STREAM: Final = "noetl_events"
_FETCH: Final = 1000
_HEADROOM: Final = 64 << 10  # subject, reply and headers on top of the payload


def _handle_signals(
    loop: asyncio.AbstractEventLoop, handler: Callable[[int], None]
) -> Callable[[], None]:
    """Route SIGINT and SIGTERM to ``handler`` through ``loop`` (main thread only); returns
    what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        loop.add_signal_handler(sig, handler, sig)

    def restore() -> None:
        for sig, old in previous.items():
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
            signal.signal(sig, old)

    return restore


def _sequence(reply: str) -> int | None:
    """The stream sequence in a ``$JS.ACK`` reply subject (both of its formats), else None."""
    if not reply.startswith("$JS.ACK."):
        return None
    tokens = reply.split(".")
    try:
        if len(tokens) == 9:  # $JS.ACK.stream.consumer.delivered.sseq.cseq.ts.pending
            return int(tokens[5])
        if len(tokens) >= 12:  # $JS.ACK.domain.hash.stream.consumer.delivered.sseq...
            return int(tokens[7])
    except ValueError:
        return None
    return None


@dataclasses.dataclass(slots=True)
class NatsSource:
    """The envelopes of one JetStream stream."""

    server: str
    stream: str
    name: str
    max_messages: int | None = None
    timeout: float = 10.0
    max_item: int = DEFAULT_MAX_ITEM
    unit: str = "messages"
    _total: int | None = None
    _seen: dict[str, object] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_url(
        cls,
        url: str,
        name: str,
        max_messages: int | None,
        timeout: float,
        max_item: int = DEFAULT_MAX_ITEM,
    ) -> NatsSource:
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
            _ = parts.port
        except ValueError as e:
            raise SourceError(f"{name}: not a valid URL: {e}") from None
        stream = parts.path.strip("/") or DEFAULT_STREAM
        if "/" in stream or not hostname:
            raise SourceError(f"{name}: expected nats://host:port/STREAM")
        server = f"nats://{parts.netloc}"
        return cls(server, stream, name, max_messages, timeout, max_item)

    @property
    def total(self) -> int | None:
        return self._total

    def info(self) -> dict[str, object]:
        return {"name": self.name, "kind": "nats", **self._seen}

    def blocks(self) -> Iterator[Block]:
        try:
            import nats
            from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
        except ImportError:
            raise MissingExtra(
                f"{self.name}: reading NATS needs nats-py: {install_hint('nats')}"
            ) from None
        loop = asyncio.new_event_loop()
        nc: Any = None
        js: Any = None
        consumer = f"noetl_events_check_{secrets.token_hex(8)}"
        created = False
        timeout = self.timeout
        errors: list[BaseException] = []
        interrupted: list[int] = []
        current: list[asyncio.Task[Any]] = []

        def on_signal(signum: int) -> None:
            # Ctrl-C or SIGTERM: stop the call in progress where it waits (never halfway
            # through nats-py's own bookkeeping), then leave as an interruption.
            interrupted.append(signum)
            for task in current:
                task.cancel()

        def run(coro: Any, seconds: float = timeout) -> Any:
            if interrupted:
                coro.close()
                raise KeyboardInterrupt
            task = loop.create_task(asyncio.wait_for(coro, seconds))
            current[:] = [task]
            try:
                return loop.run_until_complete(task)
            except asyncio.CancelledError:
                if interrupted:
                    raise KeyboardInterrupt from None
                raise
            finally:
                current.clear()

        def cleanup(coro: Any) -> None:
            # (quick when interrupted: Ctrl-C must end the run within a second or two)
            seconds = min(timeout, 2.0) if interrupted else timeout
            with contextlib.suppress(BaseException):
                loop.run_until_complete(asyncio.wait_for(coro, seconds))

        async def note(e: BaseException) -> None:  # instead of nats-py logging tracebacks
            errors.append(e)

        restore = _handle_signals(loop, on_signal)
        try:
            try:
                nc = run(
                    nats.connect(
                        servers=[self.server],
                        connect_timeout=timeout,
                        allow_reconnect=False,
                        max_reconnect_attempts=0,
                        error_cb=note,
                    )
                )
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:  # nats raises many kinds
                cause = errors[-1] if errors else e
                if isinstance(cause, TimeoutError):
                    why = f"no answer within {timeout:g}s"
                else:
                    why = str(cause) or type(cause).__name__
                raise SourceError(f"{self.name}: cannot connect: {why}") from None
            js = nc.jetstream(timeout=timeout)
            try:
                info = run(js.stream_info(self.stream))
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:
                raise SourceError(
                    f"{self.name}: no stream {self.stream!r}: {e or type(e).__name__}"
                ) from None
            retention = getattr(info.config.retention, "value", info.config.retention)
            if retention == "workqueue":
                raise SourceError(
                    f"{self.name}: {self.stream!r} is a work-queue stream: reading it through a "
                    "consumer would remove its messages, so it is not read"
                )
            state = info.state
            last = state.last_seq
            count = state.messages
            self._seen = {
                "first_seq": state.first_seq,
                "last_seq": last,
                "messages": count,
            }
            if self.max_messages is not None:
                count = min(count, self.max_messages)
            self._total = count
            if count == 0:
                return
            config = ConsumerConfig(
                name=consumer,
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL,
                inactive_threshold=60.0,
                mem_storage=True,
                num_replicas=1,
            )
            created = True  # (from here on, whatever happens, it is removed)
            try:
                run(js.add_consumer(self.stream, config))
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:
                raise SourceError(
                    f"{self.name}: cannot create a consumer to read {self.stream!r}: "
                    f"{e or type(e).__name__}"
                ) from None
            yield from self._read(run, nc, consumer, last, errors)
        finally:
            if created and nc is not None and not nc.is_closed:
                # else the server drops it after a minute without requests
                cleanup(js.delete_consumer(self.stream, consumer))
            if nc is not None:
                cleanup(nc.close())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                cleanup(asyncio.gather(*pending, return_exceptions=True))
            restore()
            loop.close()

    def _read(
        self, run: Any, nc: Any, consumer: str, last: int, errors: list[BaseException]
    ) -> Iterator[Block]:
        timeout = self.timeout
        inbox = nc.new_inbox()
        sub = run(
            nc.subscribe(
                f"{inbox}.*",
                pending_msgs_limit=4 * _FETCH,
                pending_bytes_limit=max(self.max_item + _HEADROOM, 64 << 20) * 2,
            )
        )
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{consumer}"
        expires = max(0.2, timeout / 2)
        budget = self.max_item + _HEADROOM
        read = 0
        request = 0
        alone = False  # the next message is larger than a fetch's budget

        def stop(why: str) -> SourceIncomplete:
            return SourceIncomplete(f"{self.name}: {why}: stopped after {read:,} message(s)")

        while True:
            want = _FETCH if self.max_messages is None else min(_FETCH, self.max_messages - read)
            if alone:
                want = 1
            request += 1
            ask: dict[str, Any] = {"batch": want, "expires": int(expires * 1e9)}
            if not alone:
                ask["max_bytes"] = budget
            alone = False
            try:
                run(nc.publish(subject, json.dumps(ask).encode(), reply=f"{inbox}.{request}"))
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:
                raise stop(f"cannot ask for messages: {e or type(e).__name__}") from None
            got = 0
            lines: list[bytes] = []
            keys: list[str] = []
            seqs: list[int] = []
            oversized: list[tuple[int, int]] = []
            finished = ended = False
            while not ended:
                try:
                    msg = run(sub.next_msg(timeout=timeout), timeout + 1)
                except (KeyboardInterrupt, MemoryError):
                    raise
                except Exception as e:
                    if errors:
                        raise stop(f"the connection failed: {errors[-1]}") from None
                    if isinstance(e, TimeoutError) or "timeout" in type(e).__name__.lower():
                        raise stop(f"no answer from the server for {timeout:g}s") from None
                    raise stop(f"the connection failed: {e or type(e).__name__}") from None
                if errors:  # e.g. nats-py dropped messages of a slow consumer
                    raise stop(f"the connection failed: {errors[-1]}")
                seq = _sequence(msg.reply or "")
                if seq is None:  # the server's status message for this request
                    if not msg.subject.endswith(f".{request}"):
                        continue  # the end of an earlier request
                    headers = msg.headers or {}
                    status = str(headers.get("Status", ""))
                    description = str(headers.get("Description", ""))
                    if status == "100":  # a heartbeat
                        continue
                    if status in ("404", "408"):  # no more messages for now
                        ended = True
                        if got == 0:
                            finished = self._drained(run, nc, consumer)
                        break
                    if status == "409" and "MaxBytes" in description.replace(" ", ""):
                        ended = True
                        alone = got == 0
                        break
                    raise stop(
                        f"the server ended the read: {status or 'no status'} {description}".strip()
                    )
                got += 1
                if seq > last:
                    finished = True
                    ended = True
                    break
                data = msg.data
                if len(data) > self.max_item:
                    oversized.append((len(lines), len(data)))
                    data = b""
                lines.append(bytes(data))
                keys.append(f"seq {seq}")
                seqs.append(seq)
                read += 1
                if seq == last or read == self.max_messages:
                    finished = True
                    break
                if got == want:
                    ended = True
            if lines:
                yield Block(
                    lines, read - len(lines) + 1, keys, read, tuple(oversized), shard_keys=seqs
                )
            if finished:
                self._seen["read"] = read
                with contextlib.suppress(Exception):
                    run(sub.unsubscribe(), min(timeout, 2.0))
                return

    def _drained(self, run: Any, nc: Any, consumer: str) -> bool:
        """Whether the consumer has nothing more to deliver (messages removed meanwhile)."""
        try:
            info = run(nc.jetstream(timeout=self.timeout).consumer_info(self.stream, consumer))
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as e:
            raise SourceIncomplete(
                f"{self.name}: cannot ask the server how much is left: {e or type(e).__name__}"
            ) from None
        return int(info.num_pending or 0) == 0
