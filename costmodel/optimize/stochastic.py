"""Decisions under price uncertainty (``optimize --uncertain N``): a two-stage stochastic MILP in extensive form.

Futures. N price futures are drawn from the Monte Carlo copula (``analysis.montecarlo.price_draws``: the marginals
and rank correlations of ``montecarlo``), once per year of the path with the same seed, so a future keeps its ranks
from year to year (a persistent market) and takes each year's own marginals. Suppliers' contract prices move with
their item's market price in proportion (a contract keeps its premium or discount, as in ``futures``). A lever that
changes a price (``price.housing_71173=x1.3``) scales the drawn price by its own factor.

Stages. The first stage is the first year's plant size, levers and routes: decided now, the same in every future
(non-anticipativity constraints tie each future's first-year binaries to future 0's). Later years' plant, levers,
routes and every year's supplier volumes are recourse: each future chooses its own, knowing its prices.

Model. Each future is the deterministic path model (``model.build``) built in its own Pyomo block from engine
coefficients computed in that future's prices (``coefficients.expand`` with ``prices``: one vectorized engine call
per combination of routes for all futures), anchored on the deterministic answer's choices. Only the final-year cost
is priced, so the constraints that define earlier years' costs are switched off. The objective is the expected
final-year cost (``mean``) or its CVaR at 90 % (``cvar90``: the mean of the worst 10 % of futures, through the
Rockafellar-Uryasev linearization η + Σ_f max(0, c_f − η) / (N (1 − 0.9))), then, at that value, the least expected
one-off spend. With ``budget`` the spend of every future is capped.

Solution. By default a scenario decomposition (after Ahmed's for 0-1 stochastic programs): each future alone, with
perfect foresight, bounds the answer from below (the risk measure of the perfect-foresight costs, WS); candidate
first years are costed with their optimal recourse in every future: the deterministic plan's; the least commitment
(its plant and routes, no lever); the same at each plant size the first year can have; and, when those stay more than
0.1 % from the bound, the plant and routes of the first years perfect foresight takes most often (``CANDIDATES``).
The best candidate is the plan: at the bound it is proven optimal, otherwise its gap to the bound is reported. These
solves are independent per future and go to Dask. ``method="extensive"`` solves the extensive form instead, one MILP,
by HiGHS (or CBC) to ``EF_GAP``, with the solver's bound when a time limit stops it; it proves the optimum in every
case but grows fast with the futures (about 20 s for 10 futures of the bundled instance with blends). mpi-sppy is not
used: its extensive form is the same construction, and its progressive hedging (which needs MPI) gives no proven
bound on these mixed-integer models. When only the final-year cost is priced, waiting costs nothing (a lever can be
taken in any later year at the same one-off cost), so the first year needs to commit only what cannot wait: the
plant, which drives learning, and the routes that supply it.

Measures, each on the per-future optimal recourse of a first stage (N independent solves per first stage, farmed out
by ``sweep.run_cases``: in this process or on Dask):
    RP   the risk measure of the stochastic plan's final-year costs
    EEV  the same for the deterministic plan's first year (the ``optimize`` answer's) with recourse
    WS   the same for the perfect-foresight costs (each future solved alone)
    VSS = EEV − RP ≥ 0 (value of the stochastic solution), EVPI = RP − WS ≥ 0 (value of perfect information),
and regret per future = a plan's cost − the perfect-foresight cost. The deterministic path without recourse (every
year as ``optimize`` chose) is also costed in every future. Both inequalities hold exactly because the risk measure
is monotone and each recourse is optimal per future (to the MIP gap). Costs are the model's (the engine's up to the
learning envelope and, away from the anchors, the second-order expansion: ``engine_check`` gives the largest
difference from the engine on the plans' final years). Units: USD/kWh, M USD, GWh.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from costmodel.analysis.montecarlo import price_draws
from costmodel.engine.inputs import PriceBook
from costmodel.model import Model
from costmodel.optimize.choices import Space, incumbents, space
from costmodel.optimize.coefficients import Expansion, Globals, expand, globals_of
from costmodel.optimize.context import Context, YearChoice, point_values, read_path
from costmodel.optimize.data import OptimizerData
from costmodel.optimize.model import Built, build, set_objective
from costmodel.optimize.path import NoSolution, PathResult, optimize
from costmodel.optimize.solve import SolverError, SolveResult, solve
from costmodel.optimize.tolerance import COST_TOL, MIP_GAP
from costmodel.sweep import Case, Outcome, default_workers, run_cases
from costmodel.validation import InputError, Problem

RISKS = ("mean", "cvar90")
"""Risk measures of the final-year cost: its expectation, or its CVaR at 90 %."""
ALPHA = 0.9
"""Confidence level of ``cvar90``."""
PLANS = ("stochastic plan", "deterministic plan", "deterministic path", "perfect foresight")
"""Rows of the regret table: the stochastic first year with recourse, the deterministic first year with recourse, the
deterministic path fixed in every year, and each future's own optimum."""
EF_GAP = 1e-4
"""Relative MIP gap of the extensive form (about 0.005 USD/kWh on 50): the first stage is proven within it, and the
solver's bound is reported; the per-future recourse solves, which give RP, EEV, WS and the regrets, use the optimizer's
``MIP_GAP``."""
METHODS = ("auto", "extensive")
"""How the first stage is found: scenario decomposition over candidate first years, or the extensive form."""
LEAST = "least commitment"
"""The candidate first year that commits only what the deterministic plan's first year needs to run: its plant and
routes, no lever (levers stay adopted; routes can be left at a switching cost): the usual winner when waiting costs
nothing."""
DECOMPOSITION_TOL = 1e-5
CANDIDATES = 2
"""More candidate first years taken from the futures' perfect-foresight plans (their plant and routes, the most frequent
first) when the first candidates stay more than ``REFINE_GAP`` from the bound."""
REFINE_GAP = 1e-3
"""Relative gap to the perfect-foresight bound (0.1 %, about 0.05 USD/kWh) above which more candidates are costed; a
smaller gap is reported as it is."""
"""Relative gap between a candidate's risk measure and the perfect-foresight bound under which the candidate is taken
as proven optimal (the per-future solves' MIP gap)."""
SPEND_PHASE_S = 10.0
"""Seconds the extensive form's second phase (least expected spend at the least risk) may take."""
LOCAL_CLUSTER_FROM = 20
"""Futures from which the per-future solves go to a local Dask cluster by default (fewer run in this process)."""


def risk_value(costs, risk: str) -> float:
    """The risk measure of equally likely costs: ``mean``, or ``cvar90`` = the mean of the worst 10 % (a future on the
    boundary counted in part), which is the minimum over η of η + mean(max(0, c − η)) / (1 − 0.9)."""
    x = np.sort(np.asarray(costs, dtype=float))[::-1]
    if risk == "mean":
        return float(x.mean())
    if risk != "cvar90":
        raise ValueError(risk)
    tail = (1.0 - ALPHA) * len(x)
    full = int(np.floor(tail + 1e-12))
    part = tail - full
    total = x[:full].sum() + (part * x[full] if full < len(x) and part > 1e-12 else 0.0)
    return float(total / tail)


def check_inputs(draws: int, risk: str) -> None:
    """Raise ``InputError`` for fewer than one future or an unknown risk measure (exit 2 at the CLI)."""
    problems = []
    if draws < 1:
        problems.append(Problem("--uncertain", f"{draws} price futures: give at least 1"))
    if risk not in RISKS:
        problems.append(Problem("--risk", f"unknown risk measure {risk!r}; choose {' or '.join(RISKS)}"))
    if problems:
        raise InputError(problems, "optimize --uncertain")


# -- price futures --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Futures:
    """N price futures: year → ``price.<item>`` → N quoted prices (each item's quoted unit)."""

    draws: int
    seed: int
    dist: str
    prices: dict[int, dict[str, np.ndarray]]

    def of(self, year: int, f: int) -> dict[str, float]:
        """The quoted prices of future ``f`` in ``year``."""
        return {k: float(v[f]) for k, v in self.prices[year].items()}


def draw_futures(model: Model, years: tuple[int, ...], draws: int, seed: int, dist: str = "triangular") -> Futures:
    """``draws`` futures: each year's marginals, the same ranks every year (one seed)."""
    out = {}
    for y in years:
        items, x = price_draws(model, draws, seed, y, dist)
        out[y] = {f"price.{it}": x[i] for i, it in enumerate(items)}
    return Futures(draws, seed, dist, out)


def apply_draws(values: dict, table: dict, drawn: dict[str, object]) -> dict:
    """``values`` with drawn prices: each drawn price times the factor by which ``values`` already differ from the
    table (a lever's ``x1.3`` on a price stays a factor on the drawn price)."""
    out = dict(values)
    for k, v in drawn.items():
        out[k] = np.asarray(v, dtype=float) * (np.asarray(values[k], dtype=float) / table[k])
    return out


def future_globals(model: Model, gl: Globals, years: tuple[int, ...], futures: Futures, items: set[str]) -> list[Globals]:
    """Per future: the resolved market price of every supplied item (links applied, USD/kg), its link shift, and the
    factor on its suppliers' contract prices (market in the future / market in the table)."""
    static = model.dataset.static
    n = futures.draws
    market, shift = {}, {}
    for y in years:
        values = {**model.parameters(y).values, **futures.prices[y]}
        book = PriceBook(values, static)
        for it in items:
            m = np.broadcast_to(np.asarray(book[it], dtype=float), (n,))
            quote = np.broadcast_to(np.asarray(static.price_units[it].to_canonical(values[f"price.{it}"], values["fx.cny_per_usd"]),
                                               dtype=float), (n,))
            market[(it, y)], shift[(it, y)] = m, m - quote
    return [replace(gl, price_usd={k: float(v[f]) for k, v in market.items()},
                    price_shift={k: float(v[f]) for k, v in shift.items()},
                    contract_scale={k: float(v[f]) / gl.price_usd[k] for k, v in market.items()})
            for f in range(n)]


def engine_final(model: Model, data: OptimizerData, sp: Space, year: int, choice: YearChoice, gl: Globals,
                 drawn: dict[str, float]) -> float:
    """The engine's cost (USD/kWh) of one year of a path in one future: its levers and routes, plant and cumulative
    output, drawn prices, and the supplied items at the future's contract prices."""
    d = data.design
    values, choices = point_values(model, data, sp, year, choice.point)
    values = apply_draws(values, model.parameters(year).values, drawn)
    values = {k: (float(v) if isinstance(v, np.ndarray) and v.ndim == 0 else v) for k, v in values.items()}
    values[f"design.{d}.plant_capacity_gwh"] = choice.plant
    values[f"design.{d}.cumulative_output_gwh"] = choice.cumulative
    for item, usd in choice.prices.items():
        unit = model.dataset.static.price_units[item]
        values[f"price.{item}"] = unit.from_canonical(usd - gl.price_shift[(item, year)], values["fx.cny_per_usd"])
    return float(model.evaluate_arrays(values, choices, [d])[d].total)


# -- first stages and the per-future recourse ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixing:
    """Decisions held fixed in a future: year index → (alternative per block, plant option index)."""

    name: str
    years: dict[int, tuple[tuple[int, ...], int]]


def _fix(built: Built, fixing: Fixing) -> list:
    """Hold the decisions of ``fixing`` through their bounds (a persistent solver updates bounds in place, where fixing a
    variable makes it rebuild every constraint the variable is in); returns the variables held, for ``_release``. A
    decision that the earliest years forbid raises ``ValueError``."""
    m, sp = built.model, built.space
    held = []
    for j, (picks, plant) in fixing.years.items():
        pairs = [(m.Y[b, a, j], a == picks[b]) for b in range(len(sp.blocks)) for a in range(len(sp.alternatives[b]))]
        pairs += [(m.Z[p, j], p == plant) for p in range(len(m.Z) // len(built.expansions))]
        for v, on in pairs:
            if v.fixed:
                if on and v.value < 0.5:
                    raise ValueError(f"{fixing.name}: a decision of year {built.expansions[j].year} is not available then")
                continue
            v.setlb(1 if on else 0)
            v.setub(1 if on else 0)
            held.append(v)
    return held


def _release(held: list) -> None:
    """Free binaries held by ``_fix``."""
    for v in held:
        v.setlb(0)
        v.setub(1)


def first_stage(built: Built) -> tuple[tuple[int, ...], int]:
    """The loaded solution's first-year alternative per block and plant option index."""
    import pyomo.core as pyo

    m, sp = built.model, built.space
    picks = tuple(max(range(len(sp.alternatives[b])), key=lambda a, b=b: pyo.value(m.Y[b, a, 0])) for b in range(len(sp.blocks)))
    n_sizes = len(m.Z) // len(built.expansions)
    return picks, max(range(n_sizes), key=lambda p: pyo.value(m.Z[p, 0]))


def recourse_case(data: OptimizerData, sp: Space, exps: list[Expansion], gl: Globals, current_plant: float,
                  incumbent, budget: float | None, fixings: tuple[Fixing, ...], solver: str,
                  time_limit: float | None, foresight: bool = True) -> dict:
    """One future: its perfect-foresight optimum (when ``foresight``), then the optimal recourse under each of ``fixings``.
    A fixing the future's constraints cannot follow gets ``cost`` inf (a candidate first stage that does not fit).

    Returns:
        ``{name: {"cost", "spend", "first", "final", "gap", "status"}}`` with ``perfect foresight`` first; ``cost`` is the
        final-year model cost (USD/kWh), ``spend`` the one-off spend of a path fixed in every year (M USD; None for a
        recourse, whose spend among recourses of equal cost is arbitrary), ``first`` the first
        stage (alternatives per block, plant option), ``final`` the final year (``YearChoice``).

    Raises:
        NoSolution: a solve without a solution (reported as a failed future).
    """
    import pyomo.core as pyo

    built = build(data, sp, exps, gl, current_plant, incumbent)
    set_objective(built, "final_cost", budget)
    ctx = Context(None, data, sp, gl, tuple(e.year for e in exps), 0, current_plant, incumbent, solver, time_limit)  # type: ignore[arg-type]
    out = {}
    for fixing in ((Fixing(PLANS[3], {}),) if foresight else ()) + tuple(fixings):
        try:
            changed = _fix(built, fixing)
        except ValueError:
            out[fixing.name] = {"cost": float("inf"), "spend": None, "first": None, "final": None, "gap": None, "status": "infeasible"}
            continue
        res = solve(built.model, solver, time_limit, MIP_GAP)
        if not res.has_solution:
            _release(changed)
            if fixing.name == PLANS[3] or res.status != "infeasible":
                raise NoSolution(f"{fixing.name}: {res.message}")
            out[fixing.name] = {"cost": float("inf"), "spend": None, "first": None, "final": None, "gap": None, "status": "infeasible"}
            continue
        cost = float(pyo.value(built.model.costs[len(exps) - 1]))
        spend = float(pyo.value(built.model.spend)) if fixing.name == PLANS[2] else None  # a fixed path's own spend
        path, _ = read_path(ctx, built)
        out[fixing.name] = {"cost": cost, "spend": spend, "first": first_stage(built), "final": path[-1], "gap": res.gap,
                            "status": res.status}
        _release(changed)
    return out


# -- the extensive form -------------------------------------------------------------------------------------------------


@dataclass
class Extensive:
    """The extensive-form model: one block per future, non-anticipativity, the risk and spend expressions."""

    model: object
    futures: list[Built]
    risk: str


def build_extensive(data: OptimizerData, sp: Space, exps: list[list[Expansion]], gls: list[Globals], current_plant: float,
                    incumbent: dict[str, str], risk: str, budget: float | None) -> Extensive:
    """The extensive form over the futures (``exps[f]``: future f's expansion per year)."""
    import pyomo.core as pyo

    n, T = len(exps), len(exps[0])
    ef = pyo.ConcreteModel(name="cost_path_stochastic")
    builts = []
    for f in range(n):
        blk = pyo.Block()
        ef.add_component(f"future{f}", blk)
        b = build(data, sp, exps[f], gls[f], current_plant, incumbent, into=blk)
        for c in b.earlier_costs:  # only the final year is priced
            c.deactivate()
        b.cost_only = []
        if budget is not None:
            blk.budget = pyo.Constraint(expr=blk.spend <= budget)
        builts.append(b)
    ef.nonanticipativity = pyo.ConstraintList()
    m0 = builts[0].model
    first = [k for k in m0.Y if k[2] == 0]
    sizes = [k for k in m0.Z if k[1] == 0]
    for b in builts[1:]:
        for k in first:
            if not (b.model.Y[k].fixed and m0.Y[k].fixed):
                ef.nonanticipativity.add(b.model.Y[k] == m0.Y[k])
        for k in sizes:
            ef.nonanticipativity.add(b.model.Z[k] == m0.Z[k])
    costs = [b.model.costs[T - 1] for b in builts]
    if risk == "mean":
        ef.risk = pyo.Expression(expr=sum(costs) / n)
    else:
        ef.eta = pyo.Var(bounds=(0, None))  # the VaR of a cost (USD/kWh)
        ef.excess = pyo.Var(range(n), bounds=(0, None))
        ef.tail = pyo.Constraint(range(n), rule=lambda m, f: m.excess[f] >= costs[f] - m.eta)
        ef.risk = pyo.Expression(expr=ef.eta + sum(ef.excess[f] for f in range(n)) / (n * (1 - ALPHA)))
    ef.spend = pyo.Expression(expr=sum(b.model.spend for b in builts) / n)
    return Extensive(ef, builts, risk)


def solve_extensive(ext: Extensive, solver: str, time_limit: float | None) -> dict[str, SolveResult]:
    """Phase 1: the least risk measure; phase 2: the least expected spend at that value, from phase 1's solution and
    for at most ``SPEND_PHASE_S`` (or ``time_limit`` when shorter): it only breaks ties between first stages of the same
    risk, so a phase 2 stopped at its limit keeps a plan of proven least risk (its status says so)."""
    import pyomo.core as pyo

    ef = ext.model
    ef.obj = pyo.Objective(expr=ef.risk, sense=pyo.minimize)
    status = {"phase 1": solve(ef, solver, time_limit, EF_GAP)}
    if not status["phase 1"].has_solution:
        raise NoSolution(status["phase 1"].message)
    best = status["phase 1"].objective
    ef.del_component(ef.obj)
    ef.limit = pyo.Constraint(expr=ef.risk <= best * (1 + COST_TOL) + COST_TOL)
    ef.obj = pyo.Objective(expr=ef.spend, sense=pyo.minimize)
    cap = SPEND_PHASE_S if time_limit is None else min(SPEND_PHASE_S, time_limit)
    status["phase 2"] = solve(ef, solver, cap, EF_GAP)  # without a solution, phase 1's stays loaded
    return status


# -- the whole run ------------------------------------------------------------------------------------------------------


@dataclass
class StochasticResult:
    """The answer of ``optimize --uncertain``.

    Attributes:
        design, years, base_cost, target_cost (USD/kWh), risk, draws, seed.
        deterministic: the deterministic ``optimize`` answer (its path anchors the expansions).
        plans: one row per plan of ``PLANS``: first-year decisions, expected and CVaR-90 final-year cost, P5/P50/P95,
            P(target), expected spend (the stochastic model's, and the fixed path's; none for a recourse solved for cost
            only), mean / P90 / max regret (USD/kWh, M USD).
        costs: futures × plans: the final-year cost (USD/kWh) of each plan in each future (failed futures dropped).
        decisions: first-year decisions (plant size, each lever, each non-incumbent route): taken by the stochastic and by
            the deterministic plan, and the share of futures whose perfect-foresight plan takes them.
        rp, eev, ws: the risk measure of the stochastic plan, the deterministic plan and perfect foresight (USD/kWh).
        objective, bound: the extensive form's phase-1 value and the solver's bound on it (equal when proven optimal).
        status: solver results of the extensive form. failed: future → why its recourse failed.
        engine_check: the largest |model − engine| final-year cost over the plans' recourse paths in all futures (USD/kWh).
        timings: seconds for the deterministic run, drawing, coefficients, build, solve (extensive form), recourse.
        workers: where the recourse solves ran (``in process``, ``local cluster of K``, or the scheduler).
        first_stage: ``stochastic`` and ``deterministic`` → the first year: plant_gwh, levers, non-incumbent routes.
    """

    design: str
    years: tuple[int, ...]
    base_cost: float
    target_cost: float
    risk: str
    draws: int
    seed: int
    deterministic: PathResult
    plans: pd.DataFrame
    costs: pd.DataFrame
    decisions: pd.DataFrame
    rp: float
    eev: float
    ws: float
    objective: float
    bound: float | None
    status: dict[str, SolveResult]
    engine_check: float
    timings: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    workers: str = "in process"
    first_stage: dict[str, dict] = field(default_factory=dict)

    @property
    def vss(self) -> float:
        """Value of the stochastic solution, EEV − RP (USD/kWh; below the solver's tolerance, 0)."""
        return _clean(self.eev - self.rp)

    @property
    def evpi(self) -> float:
        """Expected value of perfect information, RP − WS (USD/kWh; the risk measure's, for ``cvar90``; below the solver's
        tolerance, 0)."""
        return _clean(self.rp - self.ws)


def _clean(difference: float) -> float:
    """A difference of two solved costs (USD/kWh), 0 within their round-off (1e-9 USD/kWh)."""
    return 0.0 if abs(difference) < 1e-9 else difference


def _describe(sp: Space, scales: tuple[float, ...], picks: tuple[int, ...], plant: int, incumbent) -> dict:
    point = sp.point(picks)
    routes = sp.routes(point)
    return {"plant_gwh": scales[plant], "levers": list(sp.levers(point)),
            "routes": [str(r) for fam, r in sorted(routes.items()) if incumbent.get(fam) != r]}  # a blend as its label


def describe_text(desc: dict) -> str:
    """A first stage as one line: plant, levers, routes."""
    parts = [f"plant {desc['plant_gwh']:g} GWh", *desc["levers"], *(f"route {r}" for r in desc["routes"])]
    return ", ".join(parts)


@dataclass
class Instance:
    """The stochastic instance: the deterministic answer, the decision space, every future's globals and expansions."""

    data: OptimizerData
    deterministic: PathResult
    space: Space
    futures: Futures
    globals: list[Globals]
    expansions: list[list[Expansion]]
    anchors: list[tuple[int, ...]]
    current_plant: float
    incumbent: dict[str, str]

    def case_args(self, f: int, budget: float | None, fixings: tuple[Fixing, ...], solver: str, time_limit: float | None) -> tuple:
        """The arguments of ``recourse_case`` for future ``f``."""
        return (self.data, self.space, self.expansions[f], self.globals[f], self.current_plant, self.incumbent, budget, fixings,
                solver, time_limit)

    def plant_index(self, plant: float) -> int:
        """The plant option of ``plant`` GWh."""
        return self.data.scales.index(plant)


def prepare(model: Model, data: OptimizerData, start: int, end: int, target: float, draws: int, seed: int, solver: str,
            budget: float | None, time_limit: float | None, dist: str = "triangular", futures: Futures | None = None,
            timings: dict[str, float] | None = None, say: Callable[[str], None] = lambda step: None) -> Instance:
    """Solve the deterministic path, draw the futures (or take ``futures``) and expand the engine in each of them around
    the deterministic path's choices."""
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    say("the deterministic path (anchor and comparison)")
    det = optimize(model, data, start, end, target, solver, budget, time_limit, explain=False)
    timings["deterministic"] = time.perf_counter() - t0
    years = det.years
    p0 = model.parameters(det.base_year)
    inc = incumbents(data, p0.choices)
    sp = space(data, inc, "auto")
    t0 = time.perf_counter()
    say(f"drawing {draws} price futures (seed {seed})")
    fut = futures if futures is not None else draw_futures(model, years, draws, seed, dist)
    items = {s.item for s in data.suppliers}
    gls = future_globals(model, globals_of(model, data, years, items), years, fut, items)
    timings["draws"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    say(f"engine coefficients in {fut.draws} futures x {len(years)} years")
    anchors = [tuple(sp.block_alternative(b, yc.point) for b in range(len(sp.blocks))) for yc in det.choices]
    per_year = [expand(model, data, sp, y, a, fut.prices[y]) for y, a in zip(years, anchors, strict=True)]
    exps = [[per_year[j][f] for j in range(len(years))] for f in range(fut.draws)]
    timings["coefficients"] = time.perf_counter() - t0
    return Instance(data, det, sp, fut, gls, exps, anchors, p0.values[f"design.{data.design}.plant_capacity_gwh"], inc)


def optimize_uncertain(model: Model, data: OptimizerData, start: int = 2026, end: int = 2028, target: float = 0.5,
                       draws: int = 50, seed: int = 0, risk: str = "mean", solver: str = "highs", budget: float | None = None,
                       time_limit: float | None = None, dist: str = "triangular", workers: int | None = 1,
                       scheduler: str | None = None, progress: Callable[[str], None] | None = None,
                       futures: Futures | None = None, method: str = "auto") -> StochasticResult:
    """The stochastic plan over ``draws`` price futures and how it compares (see the module docstring).

    Args:
        workers, scheduler: where the per-future recourse solves run (``sweep.run_cases``; 1 = in this process; None = a
            local cluster on every core from ``LOCAL_CLUSTER_FROM`` futures, else this process).
        progress: called with a short description of each step.
        futures: given price futures instead of ``draws`` from the copula (``draws`` and ``seed`` are then theirs).
        method: ``auto`` (scenario decomposition, with its gap to the perfect-foresight bound) or ``extensive`` (the
            extensive form).

    Raises:
        InputError: fewer than one future, an unknown risk measure, an unreachable scheduler.
        SolverError, NoSolution: as ``optimize``.
    """
    import pyomo.core as pyo

    if futures is not None:
        draws, seed = futures.draws, futures.seed
    check_inputs(draws, risk)
    if method not in METHODS:
        raise InputError([Problem("--method", f"unknown method {method!r}; choose {' or '.join(METHODS)}")], "optimize --uncertain")
    say = progress or (lambda step: None)
    timings: dict[str, float] = {}
    inst = prepare(model, data, start, end, target, draws, seed, solver, budget, time_limit, dist, futures, timings, say)
    det, sp = inst.deterministic, inst.space
    if workers is None:  # a local cluster's start-up (a few seconds) pays only for many futures
        workers = default_workers() if draws >= LOCAL_CLUSTER_FROM else 1
    where = ("in process" if scheduler is None and (workers == 1 or draws == 1) else
             f"Dask scheduler {scheduler}" if scheduler else f"local Dask cluster of {min(workers, draws)} workers")

    def solve_futures(fixings: tuple[Fixing, ...], foresight: bool, futures_: list[int], what: str) -> list[Outcome]:
        t0 = time.perf_counter()
        say(f"{what} in each of {len(futures_)} futures")
        cases = [Case(f"future{f + 1}", recourse_case, (*inst.case_args(f, budget, fixings, solver, time_limit), foresight))
                 for f in futures_]
        out = run_cases(cases, workers=workers, scheduler=scheduler, what="optimize --uncertain",
                        progress=lambda done, total: say(f"{what}: {done}/{total} futures solved"))
        timings["recourse"] = timings.get("recourse", 0.0) + time.perf_counter() - t0
        return out

    det_first = (inst.anchors[0], inst.plant_index(det.choices[0].plant))
    least = _least(sp, det_first)
    fixings = [Fixing(PLANS[1], {0: det_first}),
               Fixing(PLANS[2], {j: (inst.anchors[j], inst.plant_index(yc.plant)) for j, yc in enumerate(det.choices)})]
    plants: dict[str, tuple] = {}
    if method == "auto":
        if least != det_first:
            fixings.append(Fixing(LEAST, {0: least}))
        t0 = time.perf_counter()
        say("candidate first years: the least commitment at each first-year plant size")
        for i, c in enumerate(c for c in _plant_candidates(model, inst, budget, solver, time_limit) if c not in (least, det_first)):
            plants[f"plant option {i + 1}"] = c
            fixings.append(Fixing(f"plant option {i + 1}", {0: c}))
        timings["candidates"] = time.perf_counter() - t0
    outcomes = solve_futures(tuple(fixings), True, list(range(draws)), "perfect foresight and the candidate first years")
    values = {f: o.value for f, o in enumerate(outcomes) if o.status == "ok"}
    failed = {o.key: o.error or "failed" for o in outcomes if o.status != "ok"}
    if not values:
        raise NoSolution("no future could be solved: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
    status: dict[str, SolveResult] = {}
    spend = None
    sto_first = None
    if method == "auto":  # scenario decomposition: the best candidate first year, against the perfect-foresight bound
        t0 = time.perf_counter()
        firsts = {PLANS[1]: det_first, LEAST: least, **plants}
        tally = Counter(_least(sp, v[PLANS[3]]["first"]) for v in values.values())
        more = [c for c, _ in tally.most_common() if c not in firsts.values()][:CANDIDATES]
        _, value, bound = _best(values, risk, firsts)
        if more and value - bound > REFINE_GAP * abs(value):
            extra = tuple(Fixing(f"candidate {i + 1}", {0: c}) for i, c in enumerate(more))
            seen = time.perf_counter() - t0
            again = solve_futures(extra, False, sorted(values), "the first years perfect foresight takes")
            t0 = time.perf_counter() - seen
            for f, o in zip(sorted(values), again, strict=True):
                if o.status == "ok":
                    values[f].update(o.value)
                else:
                    failed[o.key] = o.error or "failed"
            values = {f: v for f, v in values.items() if all(x.name in v for x in extra)}
            firsts |= {x.name: x.years[0] for x in extra}
        best, value, bound = _best(values, risk, firsts)
        gap = max(0.0, (value - bound) / max(abs(value), 1e-12))
        sto_first = firsts[best]
        for v in values.values():
            v[PLANS[0]] = v[best]
        proven = gap <= DECOMPOSITION_TOL
        status["decomposition"] = SolveResult(
            "optimal" if proven else "feasible", value, gap,
            f"scenario decomposition over {len(firsts)} candidate first years: " + (
                "the best reaches the perfect-foresight bound, so no first year does better" if proven else
                f"the best is within {100 * gap:.3f} % of the perfect-foresight bound (not proven optimal; "
                "--uncertain-method extensive solves the extensive form)"), time.perf_counter() - t0)
    if sto_first is None:
        t0 = time.perf_counter()
        say(f"building the extensive form ({draws} futures)")
        try:
            ext = build_extensive(data, sp, inst.expansions, inst.globals, inst.current_plant, inst.incumbent, risk, budget)
        except ValueError as exc:
            raise SolverError(f"{exc}; add scale options") from None
        timings["build"] = time.perf_counter() - t0
        say(f"solving the extensive form ({draws} futures, {risk}; --time-limit caps each solve)")
        status.update(solve_extensive(ext, solver, time_limit))
        timings["solve"] = sum(s.seconds for k, s in status.items() if k.startswith("phase"))
        sto_first = first_stage(ext.futures[0])
        spend = float(pyo.value(ext.model.spend))
        more = solve_futures((Fixing(PLANS[0], {0: sto_first}),), False, sorted(values), "the stochastic plan's recourse")
        for f, o in zip(sorted(values), more, strict=True):
            if o.status == "ok":
                values[f][PLANS[0]] = o.value[PLANS[0]]
            else:
                failed[o.key] = o.error or "failed"
        values = {f: v for f, v in values.items() if PLANS[0] in v}
    return _summarise(model, inst, values, failed, status, timings, risk, sto_first, det_first, where, spend)


def _least(sp: Space, first: tuple[tuple[int, ...], int]) -> tuple[tuple[int, ...], int]:
    """A first stage without its levers: its plant and routes only (levers stay adopted once taken; routes can be left)."""
    point = list(sp.point(first[0]))
    for g, grp in enumerate(sp.groups):
        if grp.kind == "lever":
            point[g] = grp.reference
    return tuple(sp.block_alternative(b, tuple(point)) for b in range(len(sp.blocks))), first[1]


def _plant_candidates(model: Model, inst: Instance, budget: float | None, solver: str,
                      time_limit: float | None) -> list[tuple[tuple[int, ...], int]]:
    """For each plant size the first year can have, the deterministic answer's first year (table prices) with that
    size, without its levers: the plant and the routes that supply it (sizes that cannot be built or supplied are left
    out)."""
    years = inst.deterministic.years
    exps = [expand(model, inst.data, inst.space, y, a) for y, a in zip(years, inst.anchors, strict=True)]
    gl = globals_of(model, inst.data, years, {s.item for s in inst.data.suppliers})
    built = build(inst.data, inst.space, exps, gl, inst.current_plant, inst.incumbent)
    set_objective(built, "final_cost", budget)
    z = built.model.Z
    out = []
    for p in range(len(inst.data.scales)):
        for q in range(len(inst.data.scales)):
            z[q, 0].setlb(1 if q == p else 0)
            z[q, 0].setub(1 if q == p else 0)
        if solve(built.model, solver, time_limit, MIP_GAP).has_solution:
            out.append(_least(inst.space, first_stage(built)))
    return out


def _best(values: dict[int, dict], risk: str, firsts: dict[str, tuple]) -> tuple[str, float, float]:
    """(candidate, its risk measure, the perfect-foresight bound): the best candidate, the least commitment on ties."""
    bound = risk_value([v[PLANS[3]]["cost"] for v in values.values()], risk)
    cands = {n: risk_value([v[n]["cost"] for v in values.values()], risk) for n in firsts}
    low = min(cands.values())
    ties = [n for n in firsts if cands[n] <= low + DECOMPOSITION_TOL * abs(low)]  # equal to the solves' tolerance
    best = LEAST if LEAST in ties else ties[0]
    return best, cands[best], bound


def _summarise(model: Model, inst: Instance, values: dict[int, dict], failed: dict[str, str], status: dict[str, SolveResult],
               timings: dict[str, float], risk: str, sto_first, det_first, where: str, spend: float | None) -> StochasticResult:
    """The tables and measures from the per-future results (future index → plan → result)."""
    data, sp, det, fut, gls, inc = inst.data, inst.space, inst.deterministic, inst.futures, inst.globals, inst.incumbent
    ok = sorted(values.items())
    if not ok:
        raise NoSolution("no future's recourse could be solved: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
    final_year = det.years[-1]
    costs = pd.DataFrame({p: [v[p]["cost"] for _, v in ok] for p in PLANS}, index=[f"future{f + 1}" for f, _ in ok])
    costs.index.name = "future"
    # expected spend: the stochastic model's (its second phase) and the fixed path's own; a plan's recourse is solved for
    # the final-year cost only, so its spend among equal-cost recourses is not reported
    spends = {PLANS[0]: spend, PLANS[1]: None, PLANS[2]: float(np.mean([v[PLANS[2]]["spend"] for _, v in ok])), PLANS[3]: None}
    worst = 0.0
    for f, v in ok:
        drawn = fut.of(final_year, f)
        for p in PLANS:
            e = engine_final(model, data, sp, final_year, v[p]["final"], gls[f], drawn)
            worst = max(worst, abs(e - v[p]["cost"]))
    ws = costs[PLANS[3]].to_numpy()
    rows = []
    firsts = {PLANS[0]: sto_first, PLANS[1]: det_first, PLANS[2]: det_first}
    for p in PLANS:
        c = costs[p].to_numpy()
        regret = c - ws
        first = describe_text(_describe(sp, data.scales, *firsts[p], inc)) if p in firsts else "each future's own"
        p5, p50, p95 = np.percentile(c, [5, 50, 95])
        rows.append({"plan": p, "first_year": first, "expected_usd_per_kwh": float(c.mean()),
                     "cvar90_usd_per_kwh": risk_value(c, "cvar90"), "p5_usd_per_kwh": float(p5), "p50_usd_per_kwh": float(p50),
                     "p95_usd_per_kwh": float(p95), "p_target": float(np.mean(c <= det.target_cost * (1 + 1e-9))),
                     "expected_spend_musd": spends[p],
                     "mean_regret_usd_per_kwh": float(regret.mean()),
                     "p90_regret_usd_per_kwh": float(np.percentile(regret, 90)), "max_regret_usd_per_kwh": float(regret.max())})
    plans = pd.DataFrame(rows)
    # first-year decisions: who takes them
    descs = {p: _describe(sp, data.scales, *firsts[p], inc) for p in PLANS[:2]}
    ws_descs = [_describe(sp, data.scales, *v[PLANS[3]]["first"], inc) for _, v in ok]

    def items(d: dict) -> set[str]:
        return {f"plant {d['plant_gwh']:g} GWh", *(f"lever {n}" for n in d["levers"]), *(f"route {r}" for r in d["routes"])}

    every = sorted(set().union(*(items(d) for d in (*descs.values(), *ws_descs))))
    decisions = pd.DataFrame([{"decision": k, "stochastic_plan": k in items(descs[PLANS[0]]),
                               "deterministic_plan": k in items(descs[PLANS[1]]),
                               "share_perfect_foresight": float(np.mean([k in items(d) for d in ws_descs]))} for k in every])
    phase1 = status.get("phase 1", status.get("decomposition"))
    bound = None
    if "decomposition" in status:
        bound = risk_value(ws, risk)  # the perfect-foresight bound the plan reaches
    elif phase1.gap is not None:
        bound = phase1.objective * (1 - phase1.gap)
    elif phase1.status == "optimal":
        bound = phase1.objective
    return StochasticResult(
        data.design, det.years, det.base_cost, det.target_cost, risk, fut.draws, fut.seed, det, plans, costs, decisions,
        risk_value(costs[PLANS[0]], risk), risk_value(costs[PLANS[1]], risk), risk_value(ws, risk), phase1.objective, bound,
        status, worst, timings, failed, where, {"stochastic": descs[PLANS[0]], "deterministic": descs[PLANS[1]]})
