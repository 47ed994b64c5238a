"""Which hops must not lose data: the matrix's policy file.

A small YAML (or JSON) file, every key optional::

    # producer -> consumer, each side a glob over the names given to --impl (or a trail's name)
    required: ["* -> rust", "noetl-cli -> *"]
    # the canonical fields a consumer must keep (default: all nine)
    keep: [execution_id, event_type, step, status, created_at, context]
    # whether a rejected hop counts as lost data (default: true)
    rejection_is_loss: true

Without a file every pair is required, every field must be kept and a rejection is a loss.
A ``required`` pattern that matches no producer x consumer pair is a usage error (a typo must
not turn a CI gate off): :meth:`Policy.unmatched` names it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.core._extras import missing_extra
from conformance.runner._models import CANONICAL_FIELDS

__all__ = ["DEFAULT_POLICY", "Policy", "PolicyError", "load_policy"]


class PolicyError(ValueError):
    """A policy file that cannot be read; the message names the file and the JSON path."""


@dataclasses.dataclass(frozen=True)
class Policy:
    required: tuple[tuple[str, str], ...] = (("*", "*"),)
    keep: tuple[str, ...] = CANONICAL_FIELDS
    rejection_is_loss: bool = True
    source: str | None = None

    def requires(self, producer: str, consumer: str) -> bool:
        return any(
            fnmatch.fnmatchcase(producer, p) and fnmatch.fnmatchcase(consumer, c)
            for p, c in self.required
        )

    def unmatched(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """One line for each ``required`` pattern that matches none of ``pairs`` (producer,
        consumer), naming it (as ``$.required[N]`` of the file) and the names it could match.
        The default policy's ``* -> *`` is never reported."""
        if self.source is None:
            return []
        seen = list(dict.fromkeys(pairs))
        producers = ", ".join(dict.fromkeys(p for p, _ in seen)) or "none"
        consumers = ", ".join(dict.fromkeys(c for _, c in seen)) or "none"
        return [
            f"{self.source}: $.required[{i}]: `{p} -> {c}` matches no hop "
            f"(producers: {producers}; consumers: {consumers})"
            for i, (p, c) in enumerate(self.required)
            if not any(fnmatch.fnmatchcase(pp, p) and fnmatch.fnmatchcase(cc, c) for pp, cc in seen)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "required": [f"{p} -> {c}" for p, c in self.required],
            "keep": list(self.keep),
            "rejection_is_loss": self.rejection_is_loss,
        }


DEFAULT_POLICY = Policy()


def _strict_loader(yaml: Any) -> Any:
    """PyYAML's safe loader, refusing a key given twice in one mapping (it would keep the
    last one silently: a second `rejection_is_loss` must not turn the first off unseen)."""

    class Strict(yaml.SafeLoader):  # type: ignore[misc]
        pass

    def mapping(loader: Any, node: Any) -> Any:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice", key_node.start_mark
                    )
                seen.add(key)
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Strict


def load_policy(path: Path) -> Policy:
    try:
        import yaml
    except ModuleNotFoundError as e:  # a policy file needs the `matrix` extra
        raise missing_extra(e, "a --policy file") or e from None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_strict_loader(yaml))
    except OSError as e:
        raise PolicyError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise PolicyError(f"{path}: not UTF-8 text (byte {e.start + 1}: {e.reason})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{path}:{where} not YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise PolicyError(f"{path}: $: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - {"required", "keep", "rejection_is_loss"}
    if unknown:
        raise PolicyError(f"{path}: $.{sorted(unknown)[0]}: unknown key")
    required = DEFAULT_POLICY.required
    if "required" in data:
        required = tuple(_pair(path, i, p) for i, p in enumerate(_strings(path, "required", data)))
    keep = DEFAULT_POLICY.keep
    if "keep" in data:
        keep = tuple(_strings(path, "keep", data))
        for i, name in enumerate(keep):
            if name not in CANONICAL_FIELDS:
                raise PolicyError(
                    f"{path}: $.keep[{i}]: expected a canonical field "
                    f"({', '.join(CANONICAL_FIELDS)}), got {name!r}"
                )
    rejection = data.get("rejection_is_loss", True)
    if not isinstance(rejection, bool):
        raise PolicyError(f"{path}: $.rejection_is_loss: expected true or false, got {rejection!r}")
    return Policy(required, keep, rejection, str(path))


def _strings(path: Path, key: str, data: Mapping[str, Any]) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{path}: $.{key}: expected a list of strings, got {value!r}")
    return value


def _pair(path: Path, index: int, text: str) -> tuple[str, str]:
    producer, arrow, consumer = text.partition("->")
    if not arrow or not producer.strip() or not consumer.strip():
        raise PolicyError(
            f"{path}: $.required[{index}]: expected `PRODUCER -> CONSUMER`, got {text!r}"
        )
    return producer.strip(), consumer.strip()
