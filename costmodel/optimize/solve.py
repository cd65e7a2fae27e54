"""Solver selection and one result type for every solver outcome.

HiGHS (highspy, through Pyomo's appsi interface) is the default; ``cbc`` runs the CBC binary that
ships inside PuLP's wheel. Interfaces disagree on how they report limits and failures (some raise,
some only log), so every outcome is mapped to a ``SolveResult``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

SOLVERS = ("highs", "cbc")


class SolverError(Exception):
    """A missing or failing solver (reported to the user as a clear message)."""


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve.

    Attributes:
        status: ``optimal``, ``feasible`` (stopped at a limit with a solution), ``infeasible``,
            ``unbounded``, ``limit`` (stopped at a limit without a solution) or ``error``.
        objective: objective value when a solution was loaded.
        gap: relative MIP gap when known.
        message: readable explanation.
        seconds: wall time of the solve.
    """

    status: str
    objective: float | None
    gap: float | None
    message: str
    seconds: float

    @property
    def has_solution(self) -> bool:
        """True when variable values were loaded."""
        return self.status in ("optimal", "feasible")


def cbc_path() -> str:
    """Path of the CBC binary bundled with PuLP."""
    try:
        import pulp
    except ImportError as exc:
        raise SolverError("CBC needs PuLP (pip install 'pulp<4'), which bundles the CBC binary") from exc
    path = Path(pulp.apis.PULP_CBC_CMD().path)
    if not path.exists():
        raise SolverError(f"PuLP's bundled CBC binary is missing ({path}); reinstall 'pulp<4'")
    return str(path)


def solve(model, solver: str = "highs", time_limit: float | None = None, mip_gap: float = 1e-6) -> SolveResult:
    """Solve a Pyomo model and load the solution when there is one.

    Args:
        solver: ``highs`` or ``cbc``.
        time_limit: seconds, or None for no limit.
        mip_gap: relative MIP gap (set explicitly for both solvers so they can be compared).
    """
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if solver == "highs":
        return _solve_highs(model, time_limit, mip_gap)
    import pyomo.environ as pyo  # the solver plugins (SolverFactory); HiGHS through appsi does without them
    from pyomo.opt import TerminationCondition

    opt = pyo.SolverFactory("cbc", executable=cbc_path())
    opt.options["ratioGap"] = mip_gap
    opt.options["allowableGap"] = 0
    if time_limit is not None:
        opt.options["seconds"] = max(1, int(time_limit))
    kwargs = {"load_solutions": False}
    t0 = time.perf_counter()
    try:
        results = opt.solve(model, **kwargs)
    except Exception as exc:  # solver interfaces raise many unrelated types
        msg = str(exc).lower()
        status = "infeasible" if "infeasible" in msg else "unbounded" if "unbounded" in msg else "error"
        return SolveResult(status, None, None, _message(status, solver, str(exc)), time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    tc = results.solver.termination_condition
    has = len(results.solution) > 0 if hasattr(results, "solution") else False
    if tc == TerminationCondition.optimal:
        status = "optimal"
    elif tc in (TerminationCondition.infeasible, TerminationCondition.infeasibleOrUnbounded):
        status = "infeasible" if tc == TerminationCondition.infeasible else "unbounded"
    elif tc == TerminationCondition.unbounded:
        status = "unbounded"
    elif tc in (TerminationCondition.maxTimeLimit, TerminationCondition.maxIterations, TerminationCondition.maxEvaluations):
        status = "feasible" if has else "limit"
    else:
        status = "error"
    if status in ("optimal", "feasible") and not _try_load(model, results):
        status = "limit" if status == "feasible" else "error"
    objective = None
    if status in ("optimal", "feasible"):
        obj = next(model.component_data_objects(pyo.Objective, active=True))
        objective = float(pyo.value(obj))
    gap = _gap(results, objective)
    return SolveResult(status, objective, gap, _message(status, solver, str(tc), gap), seconds)


def _solve_highs(model, time_limit: float | None, mip_gap: float) -> SolveResult:
    """HiGHS through Pyomo's appsi interface, one persistent instance per model (later phases send only changes)."""
    import pyomo.core as pyo
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers import Highs

    opt = getattr(model, "_costmodel_highs", None)
    if opt is None:
        opt = Highs()
        if not opt.available():
            raise SolverError("HiGHS is not available: pip install highspy")
        model._costmodel_highs = opt
    opt.config.mip_gap = mip_gap
    opt.config.time_limit = time_limit if time_limit is not None else 1e7  # the persistent instance keeps old limits
    opt.config.load_solution = False
    opt.config.warmstart = True  # a loaded solution (an earlier phase's) is the MIP start; HiGHS drops an infeasible one
    t0 = time.perf_counter()
    try:
        res = opt.solve(model)
    except Exception as exc:  # the interface raises on some failures
        return SolveResult("error", None, None, _message("error", "highs", str(exc)), time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    tc = res.termination_condition
    has = res.best_feasible_objective is not None
    status = {TC.optimal: "optimal", TC.infeasible: "infeasible", TC.unbounded: "unbounded",
              TC.infeasibleOrUnbounded: "unbounded"}.get(tc)
    if status is None:
        limits = (TC.maxTimeLimit, TC.maxIterations, TC.interrupted)
        status = ("feasible" if has else "limit") if tc in limits else "error"
    objective = gap = None
    if status in ("optimal", "feasible"):
        res.solution_loader.load_vars()
        objective = float(pyo.value(next(model.component_data_objects(pyo.Objective, active=True))))
        bound = res.best_objective_bound
        if bound is not None and abs(objective) > 1e-12:
            gap = abs(objective - bound) / abs(objective)
    return SolveResult(status, objective, gap, _message(status, "highs", str(tc), gap), seconds)


def _try_load(model, results) -> bool:
    import logging

    logging.getLogger("pyomo.core").setLevel(logging.ERROR)  # loading after a time limit logs a warning, reported in our message
    try:
        model.solutions.load_from(results)
        return True
    except Exception:
        return False


def _gap(results, objective) -> float | None:
    try:
        bound = results.problem.lower_bound
        if objective is None or bound is None or abs(objective) < 1e-12:
            return None
        return abs(objective - float(bound)) / abs(objective)
    except (AttributeError, TypeError, ValueError):
        return None


def _message(status: str, solver: str, detail: str, gap: float | None = None) -> str:
    if status == "optimal":
        return f"{solver}: optimal"
    if status == "feasible":
        g = f" (gap {gap:.2%})" if gap is not None else ""
        return f"{solver}: stopped at the time limit with a feasible path{g}; it may not be the best"
    if status == "limit":
        return f"{solver}: stopped at the time limit before finding any feasible path; allow more time (--time-limit)"
    if status == "infeasible":
        return f"{solver}: no path satisfies the constraints (infeasible): check demand, scale options, ramp and supply caps"
    if status == "unbounded":
        return f"{solver}: the model is unbounded: a cost or spend term has no limit; check the input data"
    return f"{solver}: the solver failed ({detail})"
