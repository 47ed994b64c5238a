"""Reading envelopes back from PostgreSQL's ``noetl.event`` table (wire contract section 7).

The server stores an envelope as a row: ``node_name`` = ``step``, ``result`` =
``{"status": s, "context": payload-if-object}``, ``meta`` with ``actionable``/``informative``/
``worker_id`` merged in, ``created_at`` as ``timestamp without time zone`` (UTC, microseconds).
Each row is rebuilt into the ``ExecutorEvent`` it stands for, in field order::

    {"execution_id": execution_id, "event_type": event_type, "step": node_name,
     "status": status, "created_at": <RFC 3339, Z>, "context": result->context or null,
     "event_id": event_id, "worker_id": worker_id, "meta": meta}

SQL NULL becomes JSON ``null``; ``json``/``jsonb`` columns are embedded as the text PostgreSQL
gives (numbers keep their digits: a ``1e400`` stored in jsonb reaches serde as ``1e400``);
timestamps are read as text, so out-of-range values (``infinity``, BC) reach the check as they
are. ``--query`` runs any SELECT instead; its columns are taken by name (``step`` or
``node_name``; ``context``, or ``result`` to take its ``context`` from; ``event_id``,
``worker_id``, ``meta`` optional).

Reading is read-only and snapshot-consistent: one transaction set ``REPEATABLE READ, READ
ONLY``, a server-side (named) cursor fetched in batches of at most ``batch`` rows and about
``batch_bytes`` bytes. ``statement_timeout`` and ``lock_timeout`` are the run's ``--timeout``;
TCP keepalives and a watchdog end a read from a server that stopped answering.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import signal
import threading
import zlib
from collections.abc import Iterator, Sequence
from typing import Any, Final

from conformance.core._extras import install_hint
from noetl_events_ref._model import EVENT_SPEC

from ._sources import DEFAULT_MAX_ITEM, Block, MissingExtra, SourceError, SourceIncomplete

__all__ = [
    "APPLICATION_NAME",
    "DEFAULT_QUERY",
    "PostgresSource",
    "member_text",
    "rebuild_line",
    "timestamp_text",
]

_EVENT_FIELDS: Final = tuple(f.name for f in EVENT_SPEC.fields)  # in field order

DEFAULT_QUERY: Final = """\
SELECT execution_id, event_type, node_name AS step, status, created_at,
       result -> 'context' AS context, event_id, worker_id, meta
FROM noetl.event
ORDER BY execution_id, event_id"""

_JSON_OIDS: Final = frozenset({114, 3802})  # json, jsonb
_REQUIRED: Final = ("execution_id", "event_type", "status", "created_at")
_PG_TIMESTAMP: Final = re.compile(
    r"(\d{4,})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:\+00(?::00)?)?( BC)?"
)
_WS: Final = re.compile(r"\s*")
_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|[^\s,:\[\]{}"]+')


def timestamp_text(text: str) -> str:
    """PostgreSQL's ISO text of a timestamp (session time zone UTC) as RFC 3339 with ``Z``;
    anything else (``infinity``) is passed through for the check to judge."""
    m = _PG_TIMESTAMP.fullmatch(text)
    if m is None:
        return text
    year = int(m[1])
    if m[5]:  # 1 BC is year 0
        year = 1 - year
    if 0 <= year <= 9999:
        year_text = f"{year:04d}"
    else:
        year_text = f"{'-' if year < 0 else '+'}{abs(year):04d}"
    return f"{year_text}-{m[2]}-{m[3]}T{m[4]}Z"


def _value_end(text: str, i: int) -> int:
    """The end of the JSON value starting at ``text[i]`` (valid JSON, as PostgreSQL writes it),
    without recursion (jsonb nests deeper than Python recurses)."""
    depth = 0
    for m in _TOKEN.finditer(text, i):
        tok = m[0]
        if tok in ("[", "{"):
            depth += 1
        elif tok in ("]", "}"):
            depth -= 1
        if depth == 0:
            return m.end()
    raise ValueError("unterminated JSON value")


def member_text(text: str, key: str) -> str | None:
    """The text of member ``key`` of the JSON object ``text``, or None (not an object, or no
    such member). The last one wins, as in jsonb."""
    ws = _WS
    i = ws.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("{", i):
        return None
    i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
    found = None
    while i < len(text) and text[i] != "}":
        name, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = ws.match(text, i).end()  # type: ignore[union-attr]
        i = ws.match(text, i + 1).end()  # type: ignore[union-attr]  # the ':'
        end = _value_end(text, i)
        if name == key:
            found = text[i:end]
        i = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", i):
            i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
    return found


def _literal(value: Any, json_column: bool) -> str:
    """A column value as JSON text."""
    if value is None:
        return "null"
    if json_column:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "NaN"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)  # NaN / Infinity stay non-JSON: the check rejects them
    return json.dumps(str(value), ensure_ascii=False)


def rebuild_line(row: dict[str, tuple[Any, bool]]) -> bytes:
    """The envelope a row stands for; ``row`` maps column names to ``(value, is_json)``
    (timestamps already as text)."""
    parts = []
    for field in _EVENT_FIELDS:
        columns = ("step", "node_name") if field == "step" else (field,)
        column = next((c for c in columns if c in row), None)
        if column is None:
            if field == "context" and "result" in row:
                value, is_json = row["result"]
                text = member_text(value, "context") if is_json and value is not None else None
                parts.append(f'"context":{text if text is not None else "null"}')
            continue
        value, is_json = row[column]
        parts.append(f"{json.dumps(field)}:{_literal(value, is_json)}")
    return ("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass")


class _Watchdog(Exception):
    """A PostgreSQL call that took longer than the timeout allows."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`_Watchdog` in this thread if the block lasts more than ``seconds`` (a
    frozen server answers nothing, not even to a cancel). Only the main thread can have an
    alarm; elsewhere the server-side timeouts and TCP keepalives are all there is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise _Watchdog

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


APPLICATION_NAME: Final = "noetl-events-conformance check"
"""How the reading session shows in ``pg_stat_activity``."""

_KEYS: Final = frozenset({"execution_id", "event_id"})
_SIZE: Final = "__noetl_events_size"
_AHEAD_ROWS: Final = 31
"""How many rows ahead the server sizes: the most rows one fetch asks for."""
_AHEAD: Final = "__noetl_events_ahead"


@dataclasses.dataclass(slots=True)
class PostgresSource:
    """The envelopes stored in a PostgreSQL database.

    Read in one ``REPEATABLE READ``, ``READ ONLY`` transaction (one snapshot for the whole
    run), with ``statement_timeout`` and ``lock_timeout`` set to ``timeout``, TCP keepalives,
    and a watchdog that gives up on a call the server does not answer in ``timeout`` + 2 s.
    A row whose text is over ``max_item`` bytes is not sent (the server sends its size
    instead: it is judged ``too_large``); a fetch asks for as many rows as fit in
    ``batch_bytes``, from the sizes of the next rows that the server reports with each row."""

    url: str
    name: str
    query: str | None = None
    batch: int = 5000
    timeout: float = 10.0
    unit: str = "rows"
    max_item: int = DEFAULT_MAX_ITEM
    batch_bytes: int = 8 << 20
    _seen: dict[str, object] = dataclasses.field(default_factory=dict)

    @property
    def total(self) -> None:
        return None

    def info(self) -> dict[str, object]:
        return {"name": self.name, "kind": "postgresql", **self._seen}

    def blocks(self) -> Iterator[Block]:
        try:
            import psycopg
            from psycopg import sql
            from psycopg.types.string import TextLoader
        except ImportError:
            raise MissingExtra(
                f"{self.name}: reading PostgreSQL needs psycopg: {install_hint('postgres')}"
            ) from None
        ms = max(1, int(self.timeout * 1000))
        watch = self.timeout + 2.0
        late = f"{self.name}: the server did not answer within {self.timeout:g}s"
        try:
            with _deadline(watch):
                conn = psycopg.connect(
                    self.url,
                    connect_timeout=max(1, math.ceil(self.timeout)),
                    keepalives=1,
                    keepalives_idle=max(1, int(self.timeout / 2)),
                    keepalives_interval=1,
                    keepalives_count=3,
                    tcp_user_timeout=ms,
                    application_name=APPLICATION_NAME,
                )
        except _Watchdog:
            raise SourceError(f"{self.name}: cannot connect: no answer within {watch:g}s") from None
        except psycopg.Error as e:
            raise SourceError(f"{self.name}: cannot connect: {_pg_text(self.url, e)}") from None
        started = armed = False
        alarm: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        try:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            for name in ("json", "jsonb", "timestamp", "timestamptz"):
                conn.adapters.register_loader(name, TextLoader)
            alarm = _deadline(watch)  # (armed around calls only, never across a yield)
            alarm.__enter__()
            armed = True
            conn.execute("SET LOCAL TIME ZONE 'UTC'")
            conn.execute("SET LOCAL DateStyle TO 'ISO, YMD'")
            # (a lock wait is told apart: it gives up a little before the statement)
            conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(ms + 250))
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(ms))
            conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
            # (a line of its own: a query may end in a -- comment, which would hide the rest)
            inner = (self.query or DEFAULT_QUERY).strip().rstrip(";") + "\n"
            with self._query_failure(psycopg):
                # Prepared, so the server parses it as one statement: a query that closes the
                # parenthesis and goes on (`...) q; COMMIT; DELETE ...`) is refused before any
                # of it runs (the simple protocol would run each statement, COMMIT ending the
                # read-only transaction).
                described = conn.execute(
                    sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(sql.SQL(inner)),
                    prepare=True,
                ).description
            columns = [c.name for c in described or ()]
            self._check_columns(columns)
            snapshot = conn.execute("SELECT pg_current_snapshot()::text").fetchone()
            self._seen = {
                "isolation": "repeatable read",
                "snapshot": snapshot[0] if snapshot else None,
            }
            # Each row's size (the sum of its columns' text) is computed once (OFFSET 0
            # keeps the subqueries apart); a row over max_item is replaced by NULLs before
            # anything else holds it; the window gives the size of the next rows, to size
            # the next fetch by (a short frame: the server computes that far ahead).
            size = sql.SQL(" + ").join(
                sql.SQL("coalesce(octet_length(q.{}::text), 0)").format(sql.Identifier(c))
                for c in columns
            )
            # (the key columns stay when short: an oversized row is still named by its key,
            # and --shard still selects it by its event_id)
            capped = [
                sql.SQL(
                    "CASE WHEN s.{size} <= {limit}"
                    + (" OR octet_length(s.{c}::text) <= 1024" if c in _KEYS else "")
                    + " THEN s.{c} END AS {c}"
                ).format(size=sql.Identifier(_SIZE), limit=self.max_item, c=sql.Identifier(c))
                for c in columns
            ]
            wrapped = sql.SQL(
                "SELECT t.*, sum(t.{size}) OVER "
                "(ROWS BETWEEN CURRENT ROW AND {ahead} FOLLOWING) AS {ahead_name} "
                "FROM (SELECT {capped}, s.{size} FROM (SELECT q.*, {row_size} "
                "AS {size} FROM ({inner}) AS q OFFSET 0) AS s OFFSET 0) AS t"
            ).format(
                capped=sql.SQL(", ").join(capped),
                size=sql.Identifier(_SIZE),
                row_size=size,
                ahead=_AHEAD_ROWS,
                ahead_name=sql.Identifier(_AHEAD),
                inner=sql.SQL(inner),
            )
            cur = conn.cursor(name="noetl_events_check")
            with self._query_failure(psycopg):
                cur.execute(wrapped)
            armed = False
            alarm.__exit__(None, None, None)
            started = True
            yield from self._rows(cur, watch, psycopg)
            with _deadline(watch):
                cur.close()
                conn.rollback()  # (read only: nothing to commit)
        except _Watchdog:
            raise (SourceIncomplete if started else SourceError)(
                f"{late} (+2s): given up"
            ) from None
        except psycopg.errors.QueryCanceled:
            raise (SourceIncomplete if started else SourceError)(
                f"{late} (statement_timeout)"
            ) from None
        except psycopg.errors.LockNotAvailable:
            raise (SourceIncomplete if started else SourceError)(
                f"{late}: a lock was held (lock_timeout)"
            ) from None
        except psycopg.Error as e:
            raise (SourceIncomplete if started else SourceError)(
                f"{self.name}: {_pg_text(self.url, e)}"
            ) from None
        finally:
            if armed:
                with contextlib.suppress(BaseException):
                    alarm.__exit__(None, None, None)
            with contextlib.suppress(Exception), _deadline(2.0):
                conn.close()

    @contextlib.contextmanager
    def _query_failure(self, psycopg: Any) -> Iterator[None]:
        """The user's query failing is a source error (a timeout or lock wait is left to the
        caller, which says which)."""
        try:
            yield
        except (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable):
            raise
        except psycopg.Error as e:
            raise SourceError(f"{self.name}: the query failed: {_pg_text(self.url, e)}") from None

    def _check_columns(self, columns: list[str]) -> None:
        names = set(columns)
        missing = [c for c in _REQUIRED if c not in names]
        if not names & {"step", "node_name"}:
            missing.append("step (or node_name)")
        if not names & {"context", "result"}:
            missing.append("context (or result)")
        if missing:
            raise SourceError(f"{self.name}: the query gives no column {', '.join(missing)}")

    def _rows(self, cur: Any, watch: float, psycopg: Any) -> Iterator[Block]:
        done = 0
        want = 1  # the sizes ahead are known from the first row on
        safe = max(1, self.batch_bytes // max(1, self.max_item))
        columns: list[tuple[str, bool, int]] | None = None
        while True:
            # The first fetch runs the query (a server-side cursor): its failure is the query's
            # (as `nextval` in a read-only transaction), before any row was read.
            failure = self._query_failure(psycopg) if done == 0 else contextlib.nullcontext()
            with _deadline(watch), failure:
                rows: Sequence[Any] = cur.fetchmany(want)
            if not rows:
                self._seen["rows"] = done
                return
            if columns is None:
                columns = [
                    (c.name, c.type_code in _JSON_OIDS, c.type_code) for c in cur.description
                ][:-2]
            lines: list[bytes] = []
            keys: list[str] = []
            shard_keys: list[int] = []
            oversized: list[tuple[int, int]] = []
            for row in rows:
                done += 1
                size = row[-2]
                record = {
                    name: (timestamp_text(v) if oid in (1114, 1184) and v is not None else v, js)
                    for (name, js, oid), v in zip(columns, row[:-2], strict=True)
                }
                if size is not None and size > self.max_item:
                    oversized.append((len(lines), int(size)))
                    lines.append(b"")
                else:
                    lines.append(rebuild_line(record))
                keys.append(_row_key(done, record))
                shard_keys.append(_shard_key(record, lines[-1], done))
            last = rows[-1]
            ahead = int(last[-1] or 0) - int(last[-2] or 0)  # the next _AHEAD_ROWS rows
            want = min(self.batch, _AHEAD_ROWS) if ahead <= self.batch_bytes else safe
            del rows, last  # (not held while the next batch is fetched)
            block = Block(lines, done - len(lines) + 1, keys, done, tuple(oversized), shard_keys)
            del lines, keys, shard_keys, oversized
            yield block
            del block


def _pg_text(url: str, error: BaseException) -> str:
    """psycopg's message on one line (without the server's ``LINE n:`` excerpt of the query,
    which shows the kit's own wrapper around ``--query``), with the URL's secrets masked
    wherever it shows."""
    lines = [line.strip() for line in str(error).splitlines()]
    kept = [ln for ln in lines if ln and not ln.startswith("LINE ") and set(ln) != {"^"}]
    text = "; ".join(kept) or type(error).__name__
    for secret in _secrets_of(url):
        text = text.replace(secret, "***")
    return text


def _secrets_of(url: str) -> list[str]:
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        found = [parts.password] if parts.password else []
        found += [v for _, v in parse_qsl(parts.query) if v]
    except ValueError:
        return []
    return [s for s in {*found, *(unquote(f) for f in found)} if len(s) >= 3]


def _shard_key(record: dict[str, tuple[Any, bool]], line: bytes, n: int) -> int:
    """A row's stable key for ``--shard``: its ``event_id``, else a checksum of its envelope."""
    event_id = record.get("event_id", (None, False))[0]
    if isinstance(event_id, int):
        return event_id
    return zlib.crc32(line) if line else n


def _row_key(n: int, record: dict[str, tuple[Any, bool]]) -> str:
    pk = [
        f"{c}={'null' if record[c][0] is None else record[c][0]}"
        for c in ("execution_id", "event_id")
        if c in record
    ]
    return f"row {n} ({', '.join(pk)})" if pk else f"row {n}"
