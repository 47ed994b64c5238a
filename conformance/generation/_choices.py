"""Choices: the one thing the domain builders draw from.

One description of the domain (:mod:`conformance.generation._domain`, its hazard tables
included) serves two drivers:

- :class:`HypothesisSource`, behind the public strategies (shrinking, the example database);
- :class:`RandomSource`, a seeded ``random.Random``: ``generate`` uses it, so a seed gives the
  same cases on every machine and run, whatever Hypothesis's settings or database hold.

:func:`boolean`, :func:`choice`, :func:`weighted` and :func:`permutation` are built on
``integer`` alone, and shrink towards the first option (so tables list the simplest first).
"""

from __future__ import annotations

import bisect
import functools
import random
import struct
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, TypeVar

from hypothesis import strategies as st

__all__ = [
    "HypothesisSource",
    "RandomSource",
    "Source",
    "boolean",
    "choice",
    "permutation",
    "weighted",
]

T = TypeVar("T")


class Source(Protocol):
    """Where a builder's choices come from."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]`` (shrinks towards ``lo``)."""
        ...

    def real(self) -> float:
        """Any finite float."""
        ...

    def note(self, tag: str) -> None:
        """Record that the value being built exercises hazard ``tag``."""
        ...


@functools.lru_cache(maxsize=4096)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    """``st.integers(lo, hi)``, built once: Hypothesis's own cache costs more per draw."""
    return st.integers(lo, hi)


_FLOATS: Final = st.floats(allow_nan=False, allow_infinity=False)


class HypothesisSource:
    """Choices drawn by Hypothesis (inside ``st.composite``)."""

    __slots__ = ("_draw", "tags")

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw
        self.tags: set[str] = set()

    def integer(self, lo: int, hi: int) -> int:
        return int(self._draw(_integers(lo, hi)))

    def real(self) -> float:
        return float(self._draw(_FLOATS))

    def note(self, tag: str) -> None:
        self.tags.add(tag)


class RandomSource:
    """Choices from a seeded ``random.Random``: the same seed, the same values, everywhere."""

    __slots__ = ("_rng", "tags")

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(seed)
        self.tags: set[str] = set()

    def integer(self, lo: int, hi: int) -> int:
        return self._rng.randint(lo, hi)

    def real(self) -> float:
        while True:
            (x,) = struct.unpack("<d", self._rng.getrandbits(64).to_bytes(8, "little"))
            if x - x == 0.0:  # finite
                return float(x)

    def note(self, tag: str) -> None:
        self.tags.add(tag)


def boolean(src: Source, p: float = 0.5) -> bool:
    """True with probability ``p`` (shrinks to False)."""
    return src.integer(0, 999) >= 1000 - round(p * 1000)


def choice(src: Source, options: Sequence[T]) -> T:
    """One of ``options`` (shrinks to the first)."""
    return options[src.integer(0, len(options) - 1)]


def weighted(src: Source, table: Sequence[tuple[int, T]]) -> T:
    """One entry of a ``(weight, value)`` table."""
    bounds: list[int] = []
    total = 0
    for weight, _ in table:
        total += weight
        bounds.append(total)
    return table[bisect.bisect_right(bounds, src.integer(0, total - 1))][1]


def permutation(src: Source, items: Sequence[T]) -> list[T]:
    """``items`` shuffled (Fisher-Yates on the source's choices)."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = src.integer(0, i)
        out[i], out[j] = out[j], out[i]
    return out
