"""Lines where orjson and serde_json part ways (or nearly): the fast path must never call one
of them valid unless the reference agrees.

``tricky_lines()`` is a fixed list built around a valid envelope: every place a value can
stand (a known field, ``context``, ``meta``, an unknown key, the top level) gets every
troublesome token, plus whole-line oddities. ``strategies`` builds random variants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

BASE: dict[str, str] = {
    # key -> raw JSON text of the value, in the crate's field order
    "execution_id": "478775660589088776",
    "event_type": '"command.completed"',
    "step": '"fetch_calendar"',
    "status": '"COMPLETED"',
    "created_at": '"2026-05-31T03:14:15Z"',
    "context": '{"result":{"items":42}}',
    "event_id": "478775660589088777",
    "worker_id": '"worker-prod-7"',
    "meta": '{"attempts":3,"parent_event_id":"478775660589088770"}',
}

REQUEST_BASE: dict[str, str] = {
    "execution_id": '"478775660589088776"',
    "step": '"fetch_calendar"',
    "event_type": '"command.completed"',
    "payload": '{"result":{"items":42}}',
    "meta": '{"attempts":3}',
    "worker_id": '"worker-prod-7"',
    "result_kind": '"data"',
    "event_ids": "[1,2,3]",
    "actionable": "true",
    "informative": "false",
    "event_id": "478775660589088777",
    "status": '"COMPLETED"',
    "created_at": '"2026-05-31T03:14:15.5Z"',
}


def render(members: list[tuple[str, str]], sep: str = ",", colon: str = ":") -> str:
    """An object from raw members (a key starting with ``"`` is already quoted)."""
    parts = [f"{k if k.startswith(chr(34)) else json.dumps(k)}{colon}{v}" for k, v in members]
    return "{" + sep.join(parts) + "}"


def with_value(base: dict[str, str], key: str, value: str) -> str:
    members = [(k, value if k == key else v) for k, v in base.items()]
    if key not in base:
        members.append((key, value))
    return render(members)


def deep(depth: int, open_: str = "[", core: str = "0") -> str:
    close = {"[": "]", "{": "}"}
    if open_ == "{":
        return '{"a":' * depth + core + "}" * depth
    return open_ * depth + core + close[open_] * depth


NUMBERS = [
    "0",
    "-0",
    "-0.0",
    "0.0",
    "1",
    "-1",
    "1.0",
    "1.50",
    "1e5",
    "1E+5",
    "1e-5",
    "-1e-7",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1" + "0" * 30,
    "1" + "0" * 308,
    "1" + "0" * 309,
    "1e308",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "1e309",
    "1e400",
    "-1e400",
    "2.2250738585072011e-308",
    "5e-324",
    "1e-400",
    "0e400",
    "0e99999999999",
    "1e99999999999",
    "1e-99999999999",
    "7e-81",
    "0.1000000000000000055511151231257827",
    "123456789012345678901234567890e-10",
    "01",
    "1.",
    ".5",
    "+1",
    "1e",
    "--1",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "nan",
    "1_000",
]
STRINGS = [
    '""',
    '"plain"',
    '"\\u0041"',
    '"\\u00e9"',
    '"é"',
    '"\\ud83d\\ude00"',
    '"😀"',
    '"\\ud800"',
    '"\\udc00"',
    '"\\ud800\\u0041"',
    '"\\ud800x"',
    '"\\udbff\\udfff"',
    '"\\ud800\\ud800"',
    '"\\u003a"',
    '"a:b"',
    '"\\u003A"',
    '"\\""',
    '"\\\\"',
    '"\\/"',
    '"\\x"',
    '"\\u12"',
    '"\\u12g4"',
    '"\t"',
    '"\x01"',
    '"\x7f"',
    '"\u2028"',
    '"a\nb"',
    '"\\n"',
    '"unterminated',
    '"[{"',
    '"-0"',
    '"e+308"',
]
LITERALS = [
    "null",
    "true",
    "false",
    "tru",
    "nul",
    "True",
    "None",
    "[]",
    "{}",
    "[1,]",
    '{"a":1,}',
    "[1 2]",
    '{"a" 1}',
    "{1:2}",
    "'a'",
]
STAMPS = [
    "2026-05-31T03:14:15Z",
    "2026-05-31T03:14:15.5Z",
    "2026-05-31T03:14:15.123456789Z",
    "2026-05-31T03:14:15.1234567891Z",
    "2026-05-31t03:14:15z",
    "2026-05-31 03:14:15Z",
    "2026-05-31T03:14:15+00:00",
    "2026-05-31T03:14:15-00:00",
    "2026-05-31T03:14:15+0530",
    "2026-05-31T03:14:15",
    "2026-05-31T03:14:15+05",
    "2026-05-31T03:14:15GMT",
    "2026-05-31T03:14Z",
    "2026-05-31T03:14:15.Z",
    "2026-05-31T03:14:15,5Z",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-12-31T23:59:60Z",
    "2026-05-31T24:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "+2026-05-31T03:14:15Z",
    "12026-05-31T03:14:15Z",
    "+12026-05-31T03:14:15Z",
    " 2026-05-31T03:14:15Z ",
    "2026-5-31T3:4:5Z",
    "2026-05-31T03:14:15UTC",
    "2026-05-31T03:14:15 utc",
    "\uff12\uff10\uff12\uff16-05-31T03:14:15Z",
    "2026-05-31T03:14:15.٣Z",
    "",
]


def _values() -> list[str]:
    return [
        *NUMBERS,
        *STRINGS,
        *LITERALS,
        deep(99),
        deep(100),
        deep(101),
        deep(125),
        deep(126),
        deep(127),
        deep(200),
        deep(99, "{"),
        deep(126, "{"),
        deep(127, "{"),
        deep(125, "[", "[]"),
        deep(126, "[", "{}"),
        '{"a":1,"a":2}',
        '{"a":{"b":1,"b":2}}',
        '{"a":1,"\\u0061":2}',
        '[{"x":1},{"x":1,"x":2}]',
        '{"":0}',
        '{"a":1}' * 2,
    ]


def _whole_lines(base: dict[str, str]) -> Iterator[str]:
    valid = render(list(base.items()))
    yield valid
    yield ""
    yield " "
    yield "\t"
    yield "\r"
    yield valid + "\r"
    yield " " + valid + " "
    yield "\ufeff" + valid
    yield valid + ","
    yield valid + " x"
    yield valid + valid
    yield valid[:-1]
    yield valid[: len(valid) // 2]
    yield "[" + valid + "]"
    yield "null"
    yield "42"
    yield '"a string"'
    yield render(list(base.items()), sep=", ", colon=": ")
    yield render(list(base.items()), sep=" ,\t", colon=" :\r")
    yield render(list(reversed(base.items())))
    yield "{}"
    yield "[]"
    yield "garbage"
    # the crate's positional form
    values = list(base.values())
    for n in range(4, len(values) + 2):
        yield "[" + ",".join([*values, "null"][:n]) + "]"
    # every field dropped, duplicated, renamed, nulled
    for key in base:
        yield render([(k, v) for k, v in base.items() if k != key])
        yield render([*base.items(), (key, base[key])])
        yield render([(key, base[key]), *base.items()])
        yield render([(k, "null" if k == key else v) for k, v in base.items()])
        yield render([(k.upper() if k == key else k, v) for k, v in base.items()])
        escaped = '"' + "".join(f"\\u{ord(c):04x}" for c in key) + '"'
        yield render([*base.items(), (escaped, base[key])])
        yield render([(escaped if k == key else k, v) for k, v in base.items()])
    # aliases
    for alias, field in (("payload", "context"), ("context", "payload"), ("name", "event_type")):
        if field in base:
            yield render([(alias if k == field else k, v) for k, v in base.items()])
            yield render([*base.items(), (alias, base[field])])
            yield render([(alias, base[field]), *base.items()])


def tricky_lines(base: dict[str, str] | None = None) -> list[bytes]:
    """The fixed list (as UTF-8 bytes, plus raw invalid UTF-8 variants)."""
    base = base or BASE
    out: list[str] = list(_whole_lines(base))
    places = [*base, "unknown_key"]
    for key in places:
        for value in _values():
            out.append(with_value(base, key, value))
    for key in ("created_at",):
        for stamp in STAMPS:
            out.append(with_value(base, key, json.dumps(stamp, ensure_ascii=False)))
    lines = [s.encode("utf-8", "surrogatepass") for s in out]
    valid = render(list(base.items())).encode()
    for raw in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82"):
        for key in ("step", "unknown_key"):
            lines.append(with_value(base, key, '"@@"').encode().replace(b"@@", raw))
        lines.append(valid[:10] + raw + valid[10:])
    lines.append(bytes(range(256)))
    lines.append(b"\x00" * 10)
    return lines


# ---- hypothesis: random envelopes with tricky parts -------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)


def _json(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    return st.recursive(
        _json_scalars,
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4)
        ),
        max_leaves=max_leaves,
    )


_raw_tokens = st.sampled_from([*NUMBERS, *STRINGS, *LITERALS])


@st.composite
def _raw_value(draw: st.DrawFn) -> str:
    """A JSON-ish value's text: a real value (maybe spaced out), or a tricky token."""
    if draw(st.booleans()):
        return draw(_raw_tokens)
    value = draw(_json())
    return json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])),
    )


@st.composite
def envelope_lines(draw: st.DrawFn, request: bool = False) -> bytes:
    """A line close to an envelope: members dropped, repeated, reordered, retyped."""
    base = dict(REQUEST_BASE if request else BASE)
    members = list(base.items())
    if draw(st.booleans()):
        members = draw(st.permutations(members))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "repeat", "retype", "unknown", "stamp"]))
        if not members:
            break
        i = draw(st.integers(0, len(members) - 1))
        key = members[i][0]
        if action == "drop":
            members.pop(i)
        elif action == "repeat":
            members.insert(draw(st.integers(0, len(members))), (key, draw(_raw_value())))
        elif action == "retype":
            members[i] = (key, draw(_raw_value()))
        elif action == "unknown":
            members.insert(
                draw(st.integers(0, len(members))), (draw(st.text(max_size=6)), draw(_raw_value()))
            )
        else:
            members = [
                (k, json.dumps(draw(st.sampled_from(STAMPS))) if k == "created_at" else v)
                for k, v in members
            ]
    line = render(
        members, sep=draw(st.sampled_from([",", ", "])), colon=draw(st.sampled_from([":", ": "]))
    )
    return line.encode("utf-8", "surrogatepass")
