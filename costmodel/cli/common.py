"""What every command shares: the bad-input exit, error handling, output checks and the stdout console.

Every command of the ``costmodel`` app is a ``GuardedCommand``: an ``InputError`` (bad workbook, bad
override, a result that may not be written) or a ``UnitError`` becomes its report on stderr and exit
code 2, so a typer ``CliRunner``, ``python -m costmodel`` and the console script behave the same.
Flags (bool options) are shown in ``--help`` without a ``<bool>`` value: they take none.
Only typer is imported at module level, so that ``costmodel --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

EXIT_BAD_INPUT = 2
"""Exit code of bad input (a message on stderr names the file, sheet, cell or option)."""
PIPE_WIDTH = 120
"""Width of tables printed when stdout is not a terminal (a file, a pipe, a CI log)."""


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr and return the bad-input exit (``raise fail(...)``)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


class GuardedCommand(TyperCommand):
    """A command whose input errors end with their report on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; ``InputError`` and ``UnitError`` become exit code 2."""
        from costmodel.units import UnitError
        from costmodel.validation import InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            typer.echo(exc.report(), err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except UnitError as exc:
            raise fail(str(exc)) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Refuse an option that takes one value given more than once (``--year 2025 --year 2026`` would silently keep the
        last)."""
        single = {}
        for p in self.get_params(ctx):
            if getattr(p, "param_type_name", "") == "option" and not p.multiple and not getattr(p, "is_flag", False):
                for name in p.opts:
                    single[name] = p.opts
        seen: dict[tuple, list[str]] = {}
        for a in args:
            if a == "--":
                break
            name = a.split("=", 1)[0] if a.startswith("--") else a
            if name in single:
                seen.setdefault(tuple(single[name]), []).append(name)
        for opts, uses in seen.items():
            if len(uses) > 1:
                raise fail(f"{max(opts, key=len)} is given {len(uses)} times; give it once")
        return super().parse_args(ctx, args)

    def get_params(self, ctx: Any) -> list:
        """The parameters, flags without a value placeholder in ``--help`` (``--json``, not ``--json <bool>``)."""
        return _flags_without_value(super().get_params(ctx))


def _flags_without_value(params: list) -> list:
    for p in params:
        if getattr(p, "is_flag", False) and getattr(p, "metavar", None) is None:
            p.metavar = ""
    return params


class FlagGroup(TyperGroup):
    """A command group whose flags (``--help``) show no value placeholder."""

    def get_params(self, ctx: Any) -> list:
        """The group's parameters, flags without ``<bool>``."""
        return _flags_without_value(super().get_params(ctx))


class App(typer.Typer):
    """``typer.Typer`` whose commands are ``GuardedCommand`` unless told otherwise (and whose own flags show no value)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", FlagGroup)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Register a command (see ``typer.Typer.command``) as a ``GuardedCommand``."""
        kwargs.setdefault("cls", GuardedCommand)
        return super().command(*args, **kwargs)


def check_output(path: Path | None, suffix: str, force: bool, option: str = "--out", protect: Path | None = None) -> None:
    """Refuse, before any work, a result path that cannot or may not be written (see ``io.atomic.check_output``).

    Raises:
        typer.Exit: code 2, with the reason on stderr.
    """
    if path is None:
        return
    from costmodel.io.atomic import OutputError
    from costmodel.io.atomic import check_output as check

    try:
        check(path, suffix=suffix, force=force, option=option, protect=protect)
    except OutputError as exc:
        raise fail(exc.problems[0].message) from None


_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})


def check_workbook_arg(path: Path | None) -> None:
    """Explain ``run --json true``: a flag's would-be value is taken as the workbook argument.

    Raises:
        typer.Exit: code 2 when ``path`` does not exist and reads like a flag's value.
    """
    if path is not None and not Path(path).exists() and str(path).lower() in _FLAG_WORDS:
        raise fail(f"{str(path)!r} is not a workbook (no such file); flags take no value: write --json, not --json {path}")


def load_model(workbook: Path | None = None, region: str | None = None, history: bool = False):
    """The model on the bundled data, or on a validated workbook (with its input record); the plant in ``region``.

    ``history``: read the workbook's Price history sheet (index, prices import, validate); other commands skip it.
    """
    from costmodel.dataset import load_default
    from costmodel.model import Model

    wb = None
    if workbook is None:
        dataset = load_default()
    else:
        check_workbook_arg(workbook)
        from costmodel.io.workbook import read_workbook

        wb = read_workbook(workbook, history=history)
        dataset = wb.dataset
    for warning in dataset.warnings:
        typer.echo(f"warning: {warning}", err=True)
    return Model(dataset.with_region(region) if region else dataset), wb


def available_scenarios(wb, files: list[Path] | None) -> dict:
    """Scenarios available to a run: the workbook's Scenarios sheet (or the bundled set) plus TOML files."""
    from costmodel.scenario import default_scenarios, load_scenarios, scenarios_from_rows

    found = dict(scenarios_from_rows(wb.scenario_rows)) if wb is not None else dict(default_scenarios())
    if files:
        found.update(load_scenarios(files))
    return found


def stdout_console(min_width: int = 100):
    """A rich console on stdout: at least ``min_width`` wide on a terminal, ``PIPE_WIDTH`` when stdout is not one."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(file=sys.stdout, width=max(min_width, Console().width))
    return Console(file=sys.stdout, width=PIPE_WIDTH)


def progress_echo(message: str) -> None:
    """A progress line on stderr (long-running commands)."""
    typer.echo(message, err=True)


class Heartbeat:
    """Progress of a long computation on stderr: each step when it starts, and every ``interval`` seconds a
    line saying which step is still running and for how long (a solver gives no progress of its own).

    Use as a context manager; pass ``update`` as the computation's ``progress`` callback. The lines go to a
    duplicate of the stderr file descriptor taken on entry, because solver interfaces (Pyomo's HiGHS) capture
    the process's stdout and stderr while they run.
    """

    def __init__(self, name: str, interval: float = 15.0, quiet_for: float = 5.0) -> None:
        import threading
        import time

        self._stream = sys.stderr
        self._fd: int | None = None
        self.name = name
        self.interval = interval
        self.quiet_for = quiet_for
        self._clock = time.monotonic
        self._start = self._clock()
        self._step = "starting"
        self._step_start = self._start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def update(self, step: str) -> None:
        """A new step begins; printed once the computation has run ``quiet_for`` seconds (fast runs stay quiet)."""
        self._step, self._step_start = step, self._clock()
        if self._step_start - self._start >= self.quiet_for:
            self._say(f"{self.name}: {step} ({self._step_start - self._start:.0f} s)")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = self._clock()
            self._say(f"{self.name}: still {self._step}: {now - self._step_start:.0f} s in this step, "
                          f"{now - self._start:.0f} s in all")

    def _say(self, line: str) -> None:
        if self._fd is not None:
            try:
                os.write(self._fd, (line + "\n").encode())
                return
            except OSError:
                pass
        print(line, file=self._stream, flush=True)

    def __enter__(self) -> Heartbeat:
        try:
            self._stream.flush()
            self._fd = os.dup(self._stream.fileno())
        except (AttributeError, OSError, ValueError):  # a captured stream (tests) has no file descriptor
            self._fd = None
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def json_text(obj: Any) -> str:
    """``obj`` as strict JSON (indented): NaN and infinities become null, numpy and pandas scalars plain numbers."""
    import json
    import math

    def clean(o: Any) -> Any:
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        if isinstance(o, bool) or o is None or isinstance(o, str):
            return o
        if isinstance(o, int):
            return o
        if isinstance(o, float):
            return o if math.isfinite(o) else None
        if hasattr(o, "item"):  # numpy and pandas scalars
            return clean(o.item())
        if isinstance(o, Path):
            return str(o)
        return o

    return json.dumps(clean(obj), indent=2, allow_nan=False)
