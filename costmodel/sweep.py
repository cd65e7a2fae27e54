"""Independent cases (optimizer solves per price draw, scenario or design) run serially or on Dask.

``run_cases`` runs each case's function on its own inputs and gathers one ``Outcome`` per case, in the order the
cases were given, so the table is the same whatever the number of workers: a case carries everything it needs
(its seed too), and nothing depends on which worker ran it or when. A case that raises is reported (``failed``, with
its message), never fatal to the sweep.

Where it runs: ``workers=1`` (or one case) runs in this process; otherwise a local Dask cluster
(``distributed.LocalCluster``: one single-threaded worker process per core, ``workers`` of them), or an existing
cluster at ``scheduler`` (``tcp://host:8786``). Dask is imported only when it is used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from costmodel.validation import InputError, Problem

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a scheduler given by address before saying it cannot be reached."""


@dataclass(frozen=True)
class Case:
    """One independent computation: ``fn(*args, **kwargs)`` under a name (``key``) shown in the results."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a case gave: ``status`` ``ok`` (``value`` is its result) or ``failed`` (``error`` says why); run time in s."""

    key: str
    status: str
    value: Any
    error: str | None
    seconds: float


def _guarded(case: Case) -> Outcome:
    """Run a case; an exception becomes a ``failed`` outcome with its last line (the traceback's tail kept short)."""
    t0 = time.perf_counter()
    try:
        value = case.fn(*case.args, **case.kwargs)
    except Exception as exc:  # a failing case is reported in the results, by design
        problems = getattr(exc, "problems", None)
        text = "; ".join(p.message for p in problems) if problems else " ".join(str(exc).split()) or type(exc).__name__
        return Outcome(case.key, "failed", None, f"{type(exc).__name__}: {text}"[:300], time.perf_counter() - t0)
    return Outcome(case.key, "ok", value, None, time.perf_counter() - t0)


def default_workers() -> int:
    """Workers of a local cluster by default: one per core."""
    return max(1, os.cpu_count() or 1)


def run_cases(cases: Sequence[Case], *, workers: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None, what: str = "sweep") -> list[Outcome]:
    """Run every case and return their outcomes in the cases' order.

    Args:
        workers: worker processes of a local cluster (default: one per core); 1 runs in this process.
        scheduler: address of an existing Dask scheduler; ``workers`` is then ignored.
        progress: called with (done, total) after each case.
        what: the run's name in error reports.

    Raises:
        InputError: ``workers`` below 1, duplicate case keys, or a scheduler that cannot be reached (exit 2 at the CLI).
    """
    cases = list(cases)
    keys = [c.key for c in cases]
    if len(set(keys)) != len(keys):
        raise InputError([Problem(what, "two cases have the same key")], what)
    if workers is not None and workers < 1:
        raise InputError([Problem("--workers", f"{workers} workers: give at least 1")], what)
    if scheduler is None and (workers == 1 or len(cases) <= 1):
        out = []
        for i, case in enumerate(cases, start=1):
            out.append(_guarded(case))
            if progress:
                progress(i, len(cases))
        return out
    return _on_dask(cases, workers or default_workers(), scheduler, progress, what)


def _connect(scheduler: str, what: str):
    """A client of the scheduler at ``scheduler``, or ``InputError`` when it cannot be reached in time."""
    from distributed import Client

    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError([Problem("--scheduler", f"cannot reach the Dask scheduler at {scheduler!r} within "
                                                 f"{CONNECT_TIMEOUT_S:g} s: {type(exc).__name__}: {exc}".split("\n")[0])],
                         what) from None


def check_scheduler(scheduler: str, what: str = "sweep") -> None:
    """Raise ``InputError`` now when the scheduler at ``scheduler`` cannot be reached (before any long work)."""
    _connect(scheduler, what).close()


def _on_dask(cases: list[Case], workers: int, scheduler: str | None, progress, what: str) -> list[Outcome]:
    import logging

    from distributed import Client, LocalCluster, as_completed

    if scheduler is not None:
        client = _connect(scheduler, what)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=min(workers, len(cases)), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = {client.submit(_guarded, case, key=f"case-{i}-{case.key}", pure=False): i for i, case in enumerate(cases)}
        out: list[Outcome | None] = [None] * len(cases)
        for done, fut in enumerate(as_completed(futures), start=1):
            i = futures[fut]
            try:
                out[i] = fut.result()
            except Exception as exc:  # a worker lost mid-case is a failed case
                out[i] = Outcome(cases[i].key, "failed", None, f"worker error: {type(exc).__name__}: {exc}"[:500], 0.0)
            if progress:
                progress(done, len(cases))
        return [o for o in out if o is not None]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
