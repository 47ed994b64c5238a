"""One way to name an implementation, wherever the kit takes one.

``verify --impl SPEC``, the pytest plugin's ``--noetl-events-impl SPEC`` and
``matrix --impl NAME=SPEC`` all read SPEC here, in one of these forms:

- ``reference``: the kit's own reference, in process;
- ``python:module:callable``: ``callable(op, input, now)`` in process, returning an object with
  ``ok`` and ``output``, or ``kind`` and ``message`` (as the reference's ``run_op`` does);
- ``python-model:pkg.module:Class``: a pydantic v2 model, a dataclass or a msgspec Struct, with
  no adapter code (see :mod:`conformance.runner._models`);
- anything else: a command speaking runner protocol v1, split like a shell would.

Modules are imported as ``python -m`` would find them, the current folder included. A spec
that cannot work (a command that does not exist, a module that does not import, a class
that is not a model) is one :class:`SpecError` naming it, found before anything runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import shlex
import shutil
import sys
from typing import Any, Final, Literal

from ._models import MODEL_OPS, ModelError, load_model
from ._protocol import CONSUME
from ._runner import Driver, InProcessDriver, SubprocessDriver

__all__ = ["ImplSpec", "SpecError", "check_arguments", "parse_spec"]

Kind = Literal["reference", "python", "python-model", "command"]
_PYTHON: Final = "python:"
_MODEL: Final = "python-model:"


class SpecError(ValueError):
    """An implementation spec that cannot be run; the message names the spec and the problem."""


@dataclasses.dataclass(frozen=True)
class ImplSpec:
    """A resolved implementation spec: call :meth:`driver` for a fresh driver to run it."""

    text: str
    kind: Kind
    argv: tuple[str, ...] = ()
    target: Any = None

    @property
    def in_process(self) -> bool:
        return self.kind != "command"

    def driver(
        self,
        *,
        timeout: float = 10.0,
        run_timeout: float = 600.0,
        validate: bool = False,
        options: tuple[str, str | None] = ("--timeout", "--run-timeout"),
    ) -> Driver:
        """The driver that runs this implementation; ``options`` name the two timeouts as
        the user sets them, for the messages of a subprocess that exceeds one."""
        if self.kind == "reference":
            return InProcessDriver()
        if self.kind == "python":
            return InProcessDriver(self.target, {"name": self.text, "language": "python"})
        if self.kind == "python-model":
            model = self.target
            return InProcessDriver(
                model, model.implementation, ops=MODEL_OPS, roles=frozenset({"consumer"})
            )
        return SubprocessDriver(
            list(self.argv),
            timeout=timeout,
            run_timeout=run_timeout,
            validate=validate,
            options=options,
        )


def parse_spec(text: str) -> ImplSpec:
    """Resolve ``text``; raises :class:`SpecError` for a spec that cannot run."""
    if text == "reference":
        return ImplSpec(text, "reference")
    if text.startswith(_MODEL):
        target = _import(text, text.removeprefix(_MODEL))
        try:
            return ImplSpec(text, "python-model", target=load_model(target, text))
        except ModelError as e:
            raise SpecError(str(e)) from None
    if text.startswith(_PYTHON):
        target = _import(text, text.removeprefix(_PYTHON))
        if not callable(target):
            raise SpecError(f"{text}: {type(target).__name__} object is not callable")
        check_arguments(text, target)
        return ImplSpec(text, "python", target=target)
    try:
        argv = tuple(shlex.split(text))
    except ValueError as e:  # unbalanced quotes
        raise SpecError(f"{text!r}: {e}") from None
    if not argv:
        raise SpecError("an empty implementation command")
    program = argv[0]
    if os.sep in program:
        if os.path.isdir(program):
            raise SpecError(f"{text!r}: {program} is a folder, not a program")
        if not os.path.isfile(program):
            raise SpecError(f"{text!r}: no such file {program}")
        if not os.access(program, os.X_OK):
            raise SpecError(f"{text!r}: {program} is not executable")
        _check_script(text, program, hint=f" (`python3 {program}`)")
    else:
        found = shutil.which(program)
        if found is None:
            raise SpecError(
                f"{text!r}: no command {program!r} on PATH (a path needs a `/`; in-process "
                f"forms are `reference`, `{_PYTHON}module:callable` and `{_MODEL}module:Class`)"
            )
        _check_script(text, found)
    return ImplSpec(text, "command", argv=argv)


def _check_script(text: str, path: str, hint: str = "") -> None:
    """A program the system can run: a text without a ``#!`` line, or whose interpreter is
    not there, is refused (:class:`SpecError`; ``hint``: how to give its interpreter), as
    the adapter would error on every case. Its first bytes are read once."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:  # (unreadable but executable: the system says what it says)
        return
    if _text_without_shebang(head):
        raise SpecError(
            f"{text!r}: {path} is a script without a `#!` first line, so it cannot be "
            f"run as a program: add one (`#!/usr/bin/env python3`), or give its "
            f"interpreter{hint}"
        )
    if head.startswith(b"#!"):
        _check_interpreter(text, path, head.partition(b"\n")[0])


def _check_interpreter(text: str, path: str, first: bytes) -> None:
    """A script's ``#!`` interpreter (``first``: its first line) must be there: else the
    system says the script itself is missing (ENOENT). Read as the kernel reads it: the
    interpreter, then at most one argument, the rest of the line (a CR included)."""
    line = first[2:].lstrip(b" \t")
    interpreter, _, argument = (part.strip(b" \t") for part in line.partition(b" "))
    if b"\t" in interpreter:
        interpreter, _, argument = (part.strip(b" \t") for part in line.partition(b"\t"))
    if not interpreter:
        raise SpecError(f"{text!r}: the `#!` line of {path} names no interpreter")
    program = os.fsdecode(interpreter)
    if not os.path.isfile(program) or not os.access(program, os.X_OK):
        raise SpecError(
            f"{text!r}: the `#!` line of {path} names {program!r}, which is not a program here"
        )
    # `#!/usr/bin/env NAME`: env looks NAME up, the whole argument, as written (`-S` splits it)
    if os.path.basename(program) == "env" and argument and not argument.startswith(b"-"):
        name = os.fsdecode(argument)
        if shutil.which(name) is None:
            raise SpecError(
                f"{text!r}: the `#!` line of {path} runs {name!r}, which is not on PATH"
                + (
                    " (env takes its whole argument as one name: use -S to split it)"
                    if " " in name or "\t" in name
                    else ""
                )
            )


def _text_without_shebang(head: bytes) -> bool:
    """Whether a file starting with ``head`` is text without a ``#!`` line: the system
    refuses to run it (ENOEXEC). A binary file is left to the system."""
    if head.startswith(b"#!") or b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # (not merely a character cut at 512 bytes)
            return False
    return True


def check_arguments(text: str, target: Any) -> None:
    """A ``python:`` callable must take ``(op, input, now)``: one that cannot is a mistake in
    the spec, not an error of every case (:class:`SpecError`, ``text`` naming it). (One
    without a signature to read is called.)"""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    try:
        signature.bind("decode_event", "{}", None)
    except TypeError:
        dotted = text.removeprefix(_PYTHON)
        if inspect.isclass(target):
            raise SpecError(
                f"{text}: {target.__name__} is a class, not a callable taking (op, input, now): "
                f"a model is given as {_MODEL}{dotted}"
            ) from None
        raise SpecError(
            f"{text}: takes {signature}, but a {_PYTHON} callable is called as "
            "callable(op, input, now)"
        ) from None


def _import(text: str, dotted: str) -> Any:
    module, sep, name = dotted.partition(":")
    if not sep or not module or not name:
        raise SpecError(f"{text}: expected module:name after the prefix")
    if os.getcwd() not in sys.path:  # as `python -m` would: modules of the current folder
        sys.path.append(os.getcwd())
    try:
        target: Any = importlib.import_module(module)
    except Exception as e:  # any import-time failure is the spec's problem, not the kit's
        raise SpecError(f"{text}: cannot import {module}: {type(e).__name__}: {e}") from None
    for part in name.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise SpecError(f"{text}: module {module} has no attribute {name}") from None
    return target


def consumes(ops: frozenset[str]) -> bool:
    """Whether an implementation answers ``consume`` (else its decode_event output is read)."""
    return CONSUME in ops
