"""Find the cheapest path to a cost target (or the best reachable cost), costed by the engine.

Phases on one model: (1) minimise the final-year cost (the best reachable reduction); (2) minimise
total one-off spend subject to final-year cost ≤ max(target, phase-1 result); (3) same final cost and
spend, least sum of yearly costs (benefits as early as possible; adoption timing is otherwise
arbitrary). With ``budget``, phase 1 minimises the final-year cost under the spend cap and phase 2 is
skipped. An unreachable target is an answer, not an error (``explain`` says what binds).

When the decision space has more than two blocks (the compact formulation for many levers) the
engine coefficients are a second-order expansion around an anchor; the model is rebuilt around its
own answer until the expansion is exact on the chosen path (``anchor_rounds``), so the reported
costs differ from the engine only by the learning envelope.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from costmodel.model import Model
from costmodel.optimize.choices import Space, blend_families, incumbents, label, parts, space, uses
from costmodel.optimize.coefficients import Expansion, evaluate_points, expand, globals_of
from costmodel.optimize.context import Context, YearChoice, engine_cost, path_spend, read_path
from costmodel.optimize.data import OptimizerData
from costmodel.optimize.model import build, picks, set_objective
from costmodel.optimize.solve import SolverError, SolveResult, solve
from costmodel.optimize.tolerance import COST_DECIMALS, COST_TOL, MIP_GAP, SPEND_DECIMALS, spend_limit

#: relative mismatch of the expansion on the chosen path below which it counts as exact
EXACT_TOL = 1e-5


class NoSolution(Exception):
    """The solver returned no usable solution (with the solver's message)."""


@dataclass
class PathResult:
    """The optimizer's answer.

    Attributes:
        design, years, base_year, base_cost (USD/kWh), target_cost (USD/kWh), reached.
        best_cost: phase-1 final-year cost (best reachable, USD/kWh).
        path: per year: plant_gwh, output_gwh, cumulative_gwh, levers, routes (a blend reads
            ``hc_coconut 60 % + hc_bamboo 40 %``; ``route_shares`` has the numbers), cost_model, cost_engine, reduction_pct
            (vs base).
        suppliers: per year and supplier: quantity_kt, capacity_kt.
        spend_musd: total one-off spend of the chosen path (M USD).
        split: reduction of the final-year cost split into scale/learning, energy density and
            materials (USD/kWh, exact 3-player Shapley through the engine).
        binding: constraint family → final-year engine cost if relaxed (USD/kWh); only families that bind.
        shadow: supplier → USD/kWh of final-year cost per extra kt/yr of capacity, and M USD/yr per kt.
        learning_error: worst relative error of the piecewise learning curve (on its learnable part).
        formulation: ``exact`` (every combination enumerated) or ``pairwise`` (second-order expansion).
        anchor_rounds: model builds until the expansion was exact on the chosen path.
        status: solver results of every phase. timings: seconds for coefficients, build and solve.
        pareto: least spend per final-year cost level when traced. choices: the path per year (decision
            point, plant, cumulative output, supplier prices) for re-evaluation. budget: the spend cap of
            budget mode (M USD), else None. space: the decision space the points index (``point_values`` turns a
            year's point into the engine's parameters). blend_step: the share grid of blends (0: none);
            blend_families: the route families that may blend (their routes set the anode material; ``choices``).
    """

    design: str
    years: tuple[int, ...]
    base_year: int
    base_cost: float
    target_cost: float
    best_cost: float
    reached: bool
    path: pd.DataFrame
    suppliers: pd.DataFrame
    spend_musd: float
    learning_error: float
    formulation: str
    anchor_rounds: int
    status: dict[str, SolveResult]
    split: dict[str, float] = field(default_factory=dict)
    binding: dict[str, float] = field(default_factory=dict)
    shadow: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)
    pareto: pd.DataFrame | None = None
    choices: list[YearChoice] = field(default_factory=list)
    budget: float | None = None
    space: Space | None = None
    blend_step: float = 0.0
    blend_families: tuple[str, ...] = ()

    def route_shares(self) -> list[dict[str, dict[str, float]]]:
        """Per path year: family → route → mass share (1.0 for a single route; two routes of a blend, e.g. hc_coconut 0.6
        and hc_bamboo 0.4). Empty without the decision space."""
        if self.space is None:
            return []
        return [self.space.shares(c.point) for c in self.choices]


def _checked(res: SolveResult) -> SolveResult:
    if not res.has_solution:
        raise NoSolution(res.message)
    return res


def _available(ctx: Context, year: int, picks: tuple[int, ...]) -> tuple[int, ...]:
    """Block alternatives of ``picks`` (the final year's choice) with what ``year`` cannot have yet (a lever or route before
    its earliest year) at the do-nothing alternative: the likely choice of an earlier year, to anchor its expansion."""
    sp = ctx.space
    earliest = {("lever", lv.name): lv.earliest for lv in ctx.data.levers}
    earliest |= {("route", r.name): r.earliest for r in ctx.data.routes}
    point = list(sp.point(picks))
    for g, grp in enumerate(sp.groups):
        alt = grp.alternatives[point[g]]
        inc = ctx.incumbent.get(grp.name) if grp.kind == "route" else None
        if any(earliest.get((grp.kind, name), 0) > year and not uses(inc, name) for name, _ in parts(alt)):
            point[g] = grp.reference
    return tuple(sp.block_alternative(b, tuple(point)) for b in range(len(sp.blocks)))


def expansion_mismatch(ctx: Context, exps: list[Expansion], chosen: list[tuple[int, ...]]) -> list[float]:
    """Per year, the largest relative difference between the expansion and the engine's quantities on the
    chosen alternatives (0 where the expansion is exact)."""
    out = []
    for e, pk in zip(exps, chosen, strict=True):
        exact = evaluate_points(ctx.model, ctx.data, ctx.space, e.year, [ctx.space.point(pk)])
        worst = 0.0
        for q, v in exact.items():
            ref, approx = float(v[0]), e.value(pk, q)
            worst = max(worst, abs(approx - ref) / max(abs(ref), 1e-12) if ref or approx else 0.0)
        out.append(worst)
    return out


def optimize(model: Model, data: OptimizerData, start: int = 2026, end: int = 2028, target: float = 0.5,
             solver: str = "highs", budget: float | None = None, time_limit: float | None = None,
             explain: bool = True, formulation: str = "auto", pareto_points: int = 0, max_rounds: int = 6,
             progress: Callable[[str], None] | None = None, _cache: dict | None = None) -> PathResult:
    """Run the phased optimisation for ``data.design`` over ``start``..``end``.

    Args:
        target: final-year cost as a fraction of the base-year cost (0.5 = halve).
        budget: if given, minimise the final-year cost with total spend ≤ budget (M USD) instead.
        explain: also find binding constraints, supplier shadow prices and the split by driver.
        formulation: ``auto``, ``exact`` or ``pairwise`` (see ``choices.space``).
        pareto_points: if > 0, also trace the final-year cost against spend: the least spend for that many final-cost
            levels, each point then solved as ``budget`` = its spend (so every point is the ``--budget`` answer).
        max_rounds: most model builds while re-anchoring the expansion.
        progress: called with a short description of each step as it starts (expansion, build, each solve
            phase, explanations), for progress output.

    Raises:
        SolverError: bad years, a missing solver. NoSolution: no feasible path (with the solver's message).
    """
    import pyomo.core as pyo

    if end < start:
        raise SolverError(f"--by {end} is before the start year {start}")
    years = tuple(range(start, end + 1))
    missing = [y for y in years if y not in model.dataset.years]
    if missing:
        raise SolverError(f"no prices for {', '.join(map(str, missing))}; the data covers {model.dataset.years}")
    base_year = start - 1 if start - 1 in model.dataset.years else start
    d = data.design
    base_cost = float(model.evaluate(base_year, designs=[d]).summary()["usd_per_kwh"].iloc[0])
    target_cost = target * base_cost
    timings = {"coefficients": 0.0, "build": 0.0, "solve": 0.0}
    t0 = time.perf_counter()
    p0 = model.parameters(base_year)
    inc = incumbents(data, p0.choices, p0.values)
    try:
        sp = space(data, inc, formulation)
    except ValueError as exc:
        raise SolverError(str(exc)) from None
    ctx = Context(model, data, sp, globals_of(model, data, years, {s.item for s in data.suppliers}), years, base_year,
                  p0.values[f"design.{d}.plant_capacity_gwh"], inc, solver, time_limit)
    reference = tuple(sp.block_alternative(b, sp.reference) for b in range(len(sp.blocks)))
    cache = _cache if _cache is not None else {}  # (year, anchor) → expansion, anchors → model; shared with the Pareto runs
    anchors = [reference for _ in years]
    exact_space = len(sp.blocks) <= 2
    timings["coefficients"] += time.perf_counter() - t0
    say = progress or (lambda step: None)
    size = (f"{'exact' if exact_space else 'pairwise'} formulation, {sp.combinations:,} lever and route combinations "
            f"x {len(years)} years")
    for rounds in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        say(f"round {rounds}: engine coefficients ({size})")
        exps = [cache[(y, a)] if (y, a) in cache else cache.setdefault((y, a), expand(model, data, sp, y, a))
                for y, a in zip(years, anchors, strict=True)]
        say(f"round {rounds}: building the model ({size})")
        t1 = time.perf_counter()
        key = ("built", solver, tuple(anchors))
        try:  # the Pareto points' runs share models built on the same anchors (and their solver instances)
            built = cache[key] if key in cache else cache.setdefault(key, build(data, sp, exps, ctx.globals, ctx.current_plant, inc))
        except ValueError as exc:
            raise SolverError(f"{exc}; add scale options") from None
        set_objective(built, "final_cost", budget)
        t2 = time.perf_counter()
        timings["coefficients"] += t1 - t0
        timings["build"] += t2 - t1
        say(f"round {rounds}: solving phase 1, lowest final-year cost ({size}; --time-limit caps each solve)")
        status = {"phase 1": _checked(solve(built.model, solver, time_limit, MIP_GAP))}
        last = rounds == max_rounds or exact_space
        # phase 1 prices only the final year: re-anchor there first if its expansion is off
        if not last and expansion_mismatch(ctx, exps[-1:], picks(built)[-1:])[0] > EXACT_TOL:
            anchors = [_available(ctx, y, picks(built)[-1]) for y in years]  # earlier years: what they can of it
            timings["solve"] += status["phase 1"].seconds
            continue
        best = status["phase 1"].objective
        bound = best * (1 + COST_TOL) + COST_TOL
        if budget is None:
            bound = max(target_cost, bound)
        # phase 2 in both modes: the least spend at that final cost (in budget mode the phase-1 solution may spend
        # anything up to the budget on ties; the least spend makes the answer the same Pareto point as --pareto's)
        set_objective(built, "spend", bound)
        say(f"round {rounds}: solving phase 2, least spend")
        status["phase 2"] = _checked(solve(built.model, solver, time_limit, MIP_GAP))
        spend_bound = spend_limit(float(pyo.value(built.model.spend)))
        set_objective(built, "all_years", bound, spend_bound)
        say(f"round {rounds}: solving phase 3, benefits as early as the spend allows")
        status["phase 3"] = _checked(solve(built.model, solver, time_limit, MIP_GAP))
        timings["solve"] += sum(s.seconds for s in status.values())
        if last:
            break
        chosen = picks(built)
        off = [j for j, v in enumerate(expansion_mismatch(ctx, exps, chosen)) if v > EXACT_TOL]
        if not off:
            break
        for j in off:
            anchors[j] = chosen[j]
    path, sup_rows = read_path(ctx, built)
    # the path's choices, before the explanations' re-solves load other solutions into the model
    decisions = [(v, round(pyo.value(v))) for v in (*built.model.Y.values(), *built.model.Z.values())]
    rows = []
    for j, (y, yc) in enumerate(zip(years, path, strict=True)):
        cost_engine = engine_cost(ctx, y, yc)
        rows.append((y, yc.plant, ctx.globals.utilisation * yc.plant, yc.cumulative, ", ".join(sp.levers(yc.point)) or "-",
                     ", ".join(map(label, sp.routes(yc.point).values())) or "-",
                     round(float(pyo.value(built.model.costs[j])), COST_DECIMALS),
                     cost_engine, 100 * (cost_engine / base_cost - 1)))
    frame = pd.DataFrame(rows, columns=["year", "plant_gwh", "output_gwh", "cumulative_gwh", "levers", "routes", "cost_model",
                                        "cost_engine", "reduction_pct"])
    suppliers = pd.DataFrame(sup_rows, columns=["year", "supplier", "item", "quantity_kt", "capacity_kt"])
    suppliers["quantity_kt"] = suppliers["quantity_kt"].clip(lower=0.0).round(SPEND_DECIMALS)  # kt: 1 kg
    result = PathResult(
        d, years, base_year, base_cost, target_cost, round(best, COST_DECIMALS), best <= target_cost * (1 + 1e-9), frame,
        suppliers, round(path_spend(ctx, path), SPEND_DECIMALS), built.learning_error, "exact" if exact_space else "pairwise",
        rounds, status, timings=timings, choices=path, budget=budget, space=sp, blend_step=data.blend_step,
        blend_families=blend_families(data) if data.blend_step > 0 else ())
    if explain:
        from costmodel.optimize.explain import binding, shadow_prices, split

        say("explaining the answer: split by driver, binding constraints, shadow prices")

        result.split = split(ctx, path[-1])
        if budget is not None or not result.reached:
            result.binding = binding(ctx, built, best, budget)
        result.shadow = shadow_prices(ctx, built, decisions, result.suppliers)
    if pareto_points > 0:
        from costmodel.optimize.explain import pareto_spends

        say("tracing the Pareto front: least spend per final-year cost level, then --budget at each spend")
        rows = []
        for level in pareto_spends(ctx, built, pareto_points):
            r = optimize(model, data, start, end, target, solver, level, time_limit, explain=False, formulation=formulation,
                         max_rounds=max_rounds, _cache=cache)
            rows.append((r.best_cost, r.spend_musd))
        result.pareto = (pd.DataFrame(rows, columns=["final_cost_usd_per_kwh", "spend_musd"])
                         .drop_duplicates().sort_values("spend_musd", ignore_index=True))
    return result
