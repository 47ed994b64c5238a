"""The matrix's reports: json (with a schema), text, markdown, and a self-contained HTML page."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any, Final

from conformance.core._text import visible
from conformance.report._views import markdown_cell, one_line
from conformance.runner._models import CANONICAL_FIELDS

from ._run import Cell, Matrix

__all__ = ["FORMATS", "matrix_schema", "render", "to_json_object"]

FORMATS: Final = ("text", "markdown", "json", "html")
FORMAT: Final = "noetl-events-conformance matrix"
VERSION: Final = 1


@cache
def matrix_schema() -> dict[str, Any]:
    path = resources.files("conformance") / "schemas" / "matrix.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _fields(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in sorted(cell.fields, key=CANONICAL_FIELDS.index):
        counter = cell.fields[field]
        entry: dict[str, Any] = {"dropped": 0, "derived": 0, "changed": 0, "renamed": 0}
        kinds: dict[str, int] = {}
        for label, n in sorted(counter.items()):
            loss, _, kind = label.partition(":")
            entry[loss] += n
            if kind:
                name = f"to {kind}" if loss == "renamed" else kind
                kinds[name] = kinds.get(name, 0) + n
        entry["kinds"] = kinds
        out[field] = entry
    return out


def _status(matrix: Matrix) -> str:
    if matrix.errored:
        return "errored"
    return "failed" if matrix.failed else "passed"


def to_json_object(matrix: Matrix) -> dict[str, Any]:
    policy = matrix.policy
    return {
        "format": FORMAT,
        "version": VERSION,
        "status": _status(matrix),
        "implementations": matrix.peers,
        "trails": matrix.trails,
        "counts": dict(matrix.counts),
        "policy": policy.to_json(),
        "cells": [
            {
                "producer": c.producer,
                "consumer": c.consumer,
                "required": c.required,
                "verdict": c.verdict(policy),
                "hops": c.hops,
                "accepted": c.accepted,
                "rejected": c.rejected,
                "lossless": c.lossless,
                "losing": c.losing,
                "errored": c.errored,
                "fields": _fields(c),
                "examples": list(c.examples.values()),
            }
            for c in matrix.cells
        ],
        "differential": [
            {
                "role": d.role,
                "a": d.a,
                "b": d.b,
                "compared": d.compared,
                "disagreements": d.disagreements,
                "examples": d.examples,
            }
            for d in matrix.differential
        ],
        "seconds": round(matrix.seconds, 3),
    }


def _loss_summary(fields: dict[str, Any]) -> str:
    parts = []
    for field, entry in fields.items():
        bits = [f"dropped {entry['dropped']}"] if entry["dropped"] else []
        bits += [f"{kind} {n}" for kind, n in entry["kinds"].items()]
        parts.append(f"{field}: {', '.join(bits)}")
    return "; ".join(parts)


def _rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for c in report["cells"]:
        rows.append(
            (
                _shown(c["producer"]),
                _shown(c["consumer"]),
                c["verdict"] + (" (required)" if c["required"] else ""),
                str(c["hops"]),
                str(c["accepted"]),
                str(c["rejected"]),
                str(c["lossless"]),
                _loss_summary(c["fields"]) or "-",
            )
        )
    return rows


def _why(cell: dict[str, Any], policy: dict[str, Any]) -> list[str]:
    """Why a failing cell fails: each kind of loss the policy forbids, with its first
    example."""
    reasons = []
    if not cell["hops"]:
        reasons.append(
            "no hop: the consumer read nothing the producer emitted (it skipped every "
            "emission, or there was none): a required pair that tested nothing fails"
        )
    if cell["losing"]:
        keep = set(policy["keep"])
        first = next(
            (
                x
                for x in cell["examples"]
                if x.get("field") in keep and x.get("kind") != "defaulted"
            ),
            None,
        )
        reason = f"{cell['losing']} of {cell['accepted']} accepted hops lost data of a kept field"
        if first is not None:
            kind = f" ({first['kind']})" if first["kind"] else ""
            reason += f"; first: {first['field']} {first['loss']}{kind} at {first['at']}"
        reasons.append(reason)
    if cell["rejected"] and policy["rejection_is_loss"]:
        reason = (
            f"{cell['rejected']} of {cell['hops']} hops rejected "
            "(the policy counts a rejection as a loss)"
        )
        first = next((x for x in cell["examples"] if x.get("loss") == "rejected"), None)
        if first is not None:
            error = first["error"]
            kind, message = str(error["kind"]), str(error["message"])
            # (a message that begins with its kind, "not UTF-8: ...", says it once)
            said = message if message.startswith(f"{kind}:") else f"{kind}: {message}"
            reason += f"; first at {first['at']}: {said}"
        reasons.append(reason)
    return reasons


def _shown(text: str) -> str:
    """Text in the text report: one line, control characters escaped."""
    return visible(one_line(text))


_HEAD: Final = ("producer", "consumer", "verdict", "hops", "accepted", "rejected", "lossless")


def _text(report: dict[str, Any], markdown: bool) -> str:
    head = (*_HEAD, "losses per field")
    rows = _rows(report)
    out: list[str] = []
    title = f"compatibility matrix: {report['status']}"
    out.append(f"# {title}\n" if markdown else title)
    shown = markdown_cell if markdown else _shown  # what peers and files say: seen, not obeyed
    for p in report["implementations"]:
        roles = "/".join(p["roles"]) or "no role"
        error = f"  ERRORED: {shown(p['error'])}" if p["error"] else ""
        out.append(
            f"{'- ' if markdown else '  '}{shown(p['name'])} ({roles}): {shown(p['spec'])}{error}"
        )
    for t in report["trails"]:
        emissions = f"{t['emissions']} emission{'' if t['emissions'] == 1 else 's'}"
        out.append(
            f"{'- ' if markdown else '  '}{shown(t['name'])} (trail): {shown(t['path'])}, "
            f"{emissions} (non-blank lines) of {t['lines']} line{'' if t['lines'] == 1 else 's'}"
        )
    out.append("")
    if markdown:
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        out.extend("| " + " | ".join(map(markdown_cell, r)) + " |" for r in rows)
    else:
        widths = [
            max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
            for i, h in enumerate(head[:-1])
        ]
        out.append(
            "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)) + "  " + head[-1]
        )
        for r in rows:
            out.append(
                "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1]
            )
    failing = [(c, _why(c, report["policy"])) for c in report["cells"] if c["verdict"] == "fails"]
    if failing:
        out.append("")
        out.append("## why cells fail\n" if markdown else "why cells fail:")
        for c, reasons in failing:
            pair = f"{c['producer']} -> {c['consumer']}"
            for reason in reasons:
                if markdown:
                    out.append(f"- **{markdown_cell(pair)}**: {markdown_cell(reason)}")
                else:
                    out.append(f"  {_shown(pair)}: {_shown(reason)}")
    out.append("")
    out.append("## differential\n" if markdown else "differential (same role, case by case):")
    for d in report["differential"]:
        line = f"{d['role']}s {d['a']} vs {d['b']}: {d['disagreements']} of {d['compared']} differ"
        out.append(("- " if markdown else "  ") + line)
    if not report["differential"]:
        out.append(("- " if markdown else "  ") + "no two implementations share a role")
    return "\n".join(out) + "\n"


def render(matrix: Matrix, fmt: str, *, status: str | None = None) -> str:
    """The report as ``fmt``, UTF-8 text whatever it holds (a lone surrogate, from a file name
    that is not UTF-8, as its ``\\uXXXX`` escape, as ``verify`` writes it). ``status``: the
    report's status instead of the matrix's own (a run refused after it ran is ``failed``)."""
    from conformance.core._diff import escape_surrogates

    report = to_json_object(matrix)
    if status is not None:
        report["status"] = status
    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "html":
        text = to_html(report)
    else:
        text = _text(report, markdown=fmt == "markdown")
    return escape_surrogates(text)


_STYLE: Final = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}
th,td{border:1px solid #bbb;padding:.4em .6em;vertical-align:top}
th{background:#eee}
td.lossless{background:#c8f0c8}
td.lossy{background:#fbeeb8}
td.fails{background:#f7c1c1}
td.empty{background:#eee;color:#888}
td.missing{background:#fff;color:#aaa}
pre{white-space:pre-wrap;word-break:break-all;max-width:60em;font-size:12px;background:#f7f7f7;padding:.3em}
summary{cursor:pointer}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def to_html(report: dict[str, Any]) -> str:
    """A producer x consumer table, one colour per verdict, each cell opening onto its
    examples. Self-contained: inline style, no script, nothing fetched at view time."""
    producers = list(dict.fromkeys(c["producer"] for c in report["cells"]))
    consumers = list(dict.fromkeys(c["consumer"] for c in report["cells"]))
    by_pair = {(c["producer"], c["consumer"]): c for c in report["cells"]}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>compatibility matrix</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>compatibility matrix: <span id='status'>{_e(report['status'])}</span></h1>",
        "<p>Rows: producers (implementations and trails). Columns: consumers. Green: every hop "
        "accepted and lossless; yellow: some hop rejected or lost data; red: a required hop "
        "lost data, or a required pair had no hop. Open a cell for its first example of each "
        "loss.</p>",
        "<table id='matrix'><thead><tr><th>producer \\ consumer</th>",
        *(f"<th scope='col'>{_e(c)}</th>" for c in consumers),
        "</tr></thead><tbody>",
    ]
    for p in producers:
        parts.append(f"<tr><th scope='row'>{_e(p)}</th>")
        for c in consumers:
            cell = by_pair.get((p, c))
            if cell is None:
                parts.append("<td class='missing'>-</td>")
                continue
            parts.append(_html_cell(cell))
        parts.append("</tr>")
    parts.append("</tbody></table>")
    parts.append("<h2>differential</h2><ul id='differential'>")
    for d in report["differential"]:
        parts.append(
            f"<li>{_e(d['role'])}s {_e(d['a'])} vs {_e(d['b'])}: "
            f"{d['disagreements']} of {d['compared']} differ"
        )
        if d["examples"]:
            parts.append("<details><summary>examples</summary>")
            parts.extend(
                f"<pre>{_e(json.dumps(x, ensure_ascii=False))}</pre>" for x in d["examples"]
            )
            parts.append("</details>")
        parts.append("</li>")
    parts.append("</ul></body></html>\n")
    return "".join(parts)


def _html_cell(cell: dict[str, Any]) -> str:
    attrs = (
        f"class='{_e(cell['verdict'])}' data-producer='{_e(cell['producer'])}' "
        f"data-consumer='{_e(cell['consumer'])}' data-hops='{cell['hops']}' "
        f"data-accepted='{cell['accepted']}' data-rejected='{cell['rejected']}' "
        f"data-lossless='{cell['lossless']}'"
    )
    summary = (
        f"{cell['verdict']}{' (required)' if cell['required'] else ''}<br>"
        f"{cell['hops']} hops: {cell['accepted']} accepted, {cell['rejected']} rejected, "
        f"{cell['lossless']} lossless"
    )
    out = [f"<td {attrs}><details><summary>{_e(summary).replace('&lt;br&gt;', '<br>')}</summary>"]
    losses = _loss_summary(cell["fields"])
    if losses:
        out.append(f"<p>{_e(losses)}</p>")
    out.extend(
        f"<pre>{_e(json.dumps(x, ensure_ascii=False, indent=1))}</pre>" for x in cell["examples"]
    )
    out.append("</details></td>")
    return "".join(out)
