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

Reading is read-only: one transaction set ``READ ONLY``, a server-side (named) cursor fetched in
batches of ``batch`` rows.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

from noetl_events_ref._model import EVENT_SPEC

from ._sources import Block, MissingExtra, SourceError

__all__ = ["DEFAULT_QUERY", "PostgresSource", "member_text", "rebuild_line", "timestamp_text"]

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


@dataclasses.dataclass(slots=True)
class PostgresSource:
    """The envelopes stored in a PostgreSQL database."""

    url: str
    name: str
    query: str | None = None
    batch: int = 5000
    timeout: float = 10.0
    unit: str = "rows"

    @property
    def total(self) -> None:
        return None

    def blocks(self) -> Iterator[Block]:
        try:
            import psycopg
            from psycopg.types.string import TextLoader
        except ImportError:
            raise MissingExtra(
                f"{self.name}: reading PostgreSQL needs psycopg: "
                "pip install 'noetl-events-conformance[postgres]'"
            ) from None
        try:
            conn = psycopg.connect(self.url, connect_timeout=max(1, int(self.timeout)))
        except psycopg.Error as e:
            raise SourceError(f"{self.name}: cannot connect: {e}".strip()) from None
        try:
            conn.read_only = True
            for name in ("json", "jsonb", "timestamp", "timestamptz"):
                conn.adapters.register_loader(name, TextLoader)
            with conn.transaction():
                conn.execute("SET LOCAL TIME ZONE 'UTC'")
                conn.execute("SET LOCAL DateStyle TO 'ISO, YMD'")
                with conn.cursor(name="noetl_events_check") as cur:
                    try:
                        cur.execute(self.query or DEFAULT_QUERY)
                    except psycopg.Error as e:
                        raise SourceError(f"{self.name}: the query failed: {e}".strip()) from None
                    yield from self._rows(cur)
        except psycopg.Error as e:
            raise SourceError(f"{self.name}: {e}".strip()) from None
        finally:
            conn.close()

    def _rows(self, cur: Any) -> Iterator[Block]:
        columns = [(c.name, c.type_code in _JSON_OIDS, c.type_code) for c in cur.description]
        names = {c[0] for c in columns}
        missing = [c for c in _REQUIRED if c not in names]
        if not names & {"step", "node_name"}:
            missing.append("step (or node_name)")
        if not names & {"context", "result"}:
            missing.append("context (or result)")
        if missing:
            raise SourceError(f"{self.name}: the query gives no column {', '.join(missing)}")
        done = 0
        while True:
            rows: Sequence[Any] = cur.fetchmany(self.batch)
            if not rows:
                return
            lines, keys = [], []
            for row in rows:
                done += 1
                record = {
                    name: (timestamp_text(v) if oid in (1114, 1184) and v is not None else v, js)
                    for (name, js, oid), v in zip(columns, row, strict=True)
                }
                lines.append(rebuild_line(record))
                keys.append(_row_key(done, record))
            yield Block(lines, done - len(lines) + 1, keys, done)


def _row_key(n: int, record: dict[str, tuple[Any, bool]]) -> str:
    pk = [f"{c}={record[c][0]}" for c in ("execution_id", "event_id") if c in record]
    return f"row {n} ({', '.join(pk)})" if pk else f"row {n}"
