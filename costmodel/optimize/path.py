"""Find the cheapest path to a cost target (or the best reachable cost) and explain it.

Two phases: phase 1 minimises the final-year cost (the best reachable reduction); phase 2 minimises
total one-off spend subject to final-year cost ≤ max(target, phase-1 result). An unreachable target
is an answer: the report gives the best reachable reduction and the constraint families that bind
(found by relaxing each family and re-solving phase 1). The chosen path is re-evaluated by the engine.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from costmodel.model import Model
from costmodel.optimize.coefficients import Coefficients, compute, option_values
from costmodel.optimize.data import OptimizerData
from costmodel.optimize.model import Built, Relax, build, set_objective
from costmodel.optimize.solve import SolverError, SolveResult, solve
from costmodel.units import parse_price_unit


@dataclass
class PathResult:
    """The optimizer's answer.

    Attributes:
        design, years, base_year, base_cost (USD/kWh), target_cost (USD/kWh), reached.
        best_cost: phase-1 final-year cost (best reachable, USD/kWh).
        path: per year: plant_gwh, output_gwh, cumulative_gwh, levers, route, cost_model, cost_engine,
            reduction_pct (vs base).
        suppliers: per year and supplier: quantity_kt, capacity_kt.
        spend_musd: total one-off spend of the chosen path (M USD).
        split: reduction of the final-year cost split into scale/learning, energy density and
            materials (USD/kWh, exact 3-player Shapley through the engine).
        binding: constraint family → final-year cost if relaxed (USD/kWh); only families that bind.
        shadow: supplier → USD/kWh of final-year cost per extra kt/yr of capacity, and M USD/yr per kt.
        learning_error: worst relative error of the piecewise learning curve (on its learnable part).
        status: solver results of both phases. timings: build and solve seconds.
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
    split: dict[str, float]
    binding: dict[str, float]
    shadow: pd.DataFrame
    learning_error: float
    status: dict[str, SolveResult]
    timings: dict[str, float] = field(default_factory=dict)
    pareto: pd.DataFrame | None = None


class NoSolution(Exception):
    """The solver returned no usable solution (with the solver's message)."""


def _checked(res: SolveResult) -> SolveResult:
    if not res.has_solution:
        raise NoSolution(res.message)
    return res


def _incumbent(model: Model, data: OptimizerData, year: int) -> str:
    current = model.parameters(year).choices[f"design.{data.design}.anode_material"]
    for r in data.routes:
        if r.change.value == current:
            return r.name
    return data.routes[0].name


def _chosen(built: Built, T: int) -> list[int]:
    import pyomo.environ as pyo

    m = built.model
    out = []
    for j in range(T):
        idx = built.by_year[j]
        vals = [pyo.value(m.V[i, j]) for i in idx]
        out.append(idx[int(np.argmax(vals))])
    return out


def engine_cost(model: Model, data: OptimizerData, c: Coefficients, year: int, option_index: int, plant: float,
                cumulative: float, supplier_prices: dict[str, float] | None = None) -> float:
    """The engine's cost (USD/kWh) of one year of a path: option overrides, plant size, cumulative output,
    and supplier-weighted prices (item → USD/kg)."""
    values, choices = option_values(model, data, c.options[option_index], year)
    d = data.design
    values[f"design.{d}.plant_capacity_gwh"] = plant
    values[f"design.{d}.cumulative_output_gwh"] = cumulative
    for item, usd in (supplier_prices or {}).items():
        unit = model.dataset.static.price_units[item]
        values[f"price.{item}"] = unit.from_canonical(usd, values["fx.cny_per_usd"])
    return float(model.evaluate_arrays(values, choices, [d])[d].total)


def optimize(model: Model, data: OptimizerData, start: int = 2026, end: int = 2028, target: float = 0.5,
             solver: str = "highs", budget: float | None = None, time_limit: float | None = None,
             explain: bool = True) -> PathResult:
    """Run the two-phase optimisation for ``data.design`` over ``start``..``end``.

    Args:
        target: final-year cost as a fraction of the base-year cost (0.5 = halve).
        budget: if given, minimise the final-year cost with total spend ≤ budget (M USD) instead.
        explain: also find binding constraints and supplier shadow prices.
    """
    import pyomo.environ as pyo

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
    timings = {}
    t0 = time.perf_counter()
    c = compute(model, data, years)
    incumbent = _incumbent(model, data, base_year)
    current = model.parameters(base_year).values[f"design.{d}.plant_capacity_gwh"]
    try:
        built = build(data, c, current, incumbent)
    except ValueError:
        raise SolverError("no plant size option is at or above the current plant; add scale options") from None
    set_objective(built, "final_cost", budget)
    timings["build"] = time.perf_counter() - t0
    status = {"phase 1": _checked(solve(built.model, solver, time_limit))}
    best = status["phase 1"].objective
    bound = max(target_cost, best * (1 + 1e-7) + 1e-7) if budget is None else best * (1 + 1e-7) + 1e-7
    if budget is None:
        set_objective(built, "spend", bound)
        status["phase 2"] = _checked(solve(built.model, solver, time_limit))
    spend = float(pyo.value(built.model.spend))
    # phase 3: same final cost and spend, benefits as early as possible (timing is otherwise arbitrary)
    set_objective(built, "all_years", bound, spend * (1 + 1e-7) + 1e-7)
    status["phase 3"] = _checked(solve(built.model, solver, time_limit))
    timings["solve"] = sum(s.seconds for s in status.values())
    m = built.model
    T = len(years)
    picks = _chosen(built, T)
    rows, sup_rows = [], []
    sup = [s for s in data.suppliers if s.item in c.mass]
    for j, y in enumerate(years):
        k, p = built.pairs[picks[j]]
        plant = data.scales[p]
        x = float(pyo.value(m.x[j]))
        prices = {}
        for it in {s.item for s in sup}:
            qs = [(s, float(pyo.value(m.q[n, j]))) for n, s in enumerate(sup) if s.item == it]
            total = sum(q for _, q in qs)
            if total > 1e-9:
                prices[it] = sum(q * parse_price_unit(s.unit).to_canonical(s.price, c.fx[y]) for s, q in qs) / total
            for s, q in qs:
                sup_rows.append((y, s.name, it, q, s.capacity_kt if y >= s.first_year else 0.0))
        cost_engine = engine_cost(model, data, c, y, k, plant, x, prices)
        final_prices = prices
        cost_model = float(pyo.value(m.cost[j]))
        rows.append((y, plant, c.utilisation * plant, x, ", ".join(c.options[k].levers) or "-", c.options[k].route,
                     cost_model, cost_engine, 100 * (cost_engine / base_cost - 1)))
    path = pd.DataFrame(rows, columns=["year", "plant_gwh", "output_gwh", "cumulative_gwh", "levers", "route", "cost_model",
                                       "cost_engine", "reduction_pct"])
    suppliers = pd.DataFrame(sup_rows, columns=["year", "supplier", "item", "quantity_kt", "capacity_kt"])
    result = PathResult(d, years, base_year, base_cost, target_cost, best, best <= target_cost * (1 + 1e-9), path, suppliers,
                        float(pyo.value(m.spend)), {}, {}, pd.DataFrame(), built.learning_error, status, timings)
    result.split = _split(model, data, c, base_year, built, picks[-1], float(pyo.value(m.x[T - 1])), final_prices)
    if explain:
        if not result.reached:
            result.binding = _binding(model, data, c, current, incumbent, best, solver, time_limit)
        result.shadow = _shadow(built, data, c, picks, solver)
    return result


def _split(model: Model, data: OptimizerData, c: Coefficients, base_year: int, built: Built, pick: int, x_final: float,
           prices: dict[str, float]) -> dict[str, float]:
    """Exact Shapley split of (final-year engine cost − base cost) into three groups of changes.

    Groups: scale and learning (plant size, cumulative output); energy density and process (levers);
    materials and routes (route, supplier prices and the final year's price table).
    """
    k, p = built.pairs[pick]
    final_year = c.years[-1]
    d = data.design
    base = model.parameters(base_year)
    opt = c.options[k]
    lever_vals, _ = option_values(model, data, type(opt)(opt.levers, _incumbent(model, data, base_year)), final_year)
    route_vals, route_ch = option_values(model, data, type(opt)((), opt.route), final_year)
    for item, usd in prices.items():
        route_vals[f"price.{item}"] = model.dataset.static.price_units[item].from_canonical(usd, route_vals["fx.cny_per_usd"])
    groups = {
        "scale and learning": {f"design.{d}.plant_capacity_gwh": data.scales[p], f"design.{d}.cumulative_output_gwh": x_final},
        "energy density and process": {k2: v for k2, v in lever_vals.items() if v != base.values.get(k2)},
        "materials and routes": {k2: v for k2, v in route_vals.items() if v != base.values.get(k2)},
    }
    names = list(groups)

    def cost(coalition) -> float:
        v = dict(base.values)
        ch = dict(base.choices)
        for g in coalition:
            v.update(groups[g])
            if g == "materials and routes":
                ch.update(route_ch)
        return float(model.evaluate_arrays(v, ch, [d])[d].total)

    value = {s: cost(s) for r in range(4) for s in itertools.combinations(names, r)}
    out = {}
    n = len(names)
    for g in names:
        total = 0.0
        for r in range(n):
            for s in itertools.combinations([x for x in names if x != g], r):
                w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                total += w * (value[tuple(sorted((*s, g), key=names.index))] - value[s])
        out[g] = total
    return out


def _binding(model, data, c, current, incumbent, best, solver, time_limit) -> dict[str, float]:
    out = {}
    for name, relax in (("supply caps", Relax(supply=True)), ("ramp limit", Relax(ramp=True)),
                        ("earliest years", Relax(earliest=True)), ("demand (sellable GWh)", Relax(demand=True))):
        b = build(data, c, current, incumbent, relax)
        set_objective(b, "final_cost")
        res = solve(b.model, solver, time_limit)
        if res.has_solution and res.objective < best * (1 - 1e-6) - 1e-9:
            out[name] = res.objective
    floor_hit = c.learning_floor > 0 and c.learning_share > 0
    if floor_hit:
        from costmodel.optimize.coefficients import learning_g

        x_max = c.cumulative0 + sum(v[1] for v in data.demand.values()) + c.utilisation * max(data.scales) * len(c.years)
        if float(learning_g(c, x_max)) <= c.learning_floor * (1 + 1e-9):
            out["learning floor"] = float("nan")
    return out


def _shadow(built: Built, data: OptimizerData, c: Coefficients, picks: list[int], solver: str) -> pd.DataFrame:
    """Final-year cost change per extra kt/yr of each supplier's cap, from the LP with the choices fixed."""
    import pyomo.environ as pyo

    m = built.model
    T = len(c.years)
    for j in range(T):
        for i in built.by_year[j]:
            m.V[i, j].fix(1.0 if picks[j] == i else 0.0)
    set_objective(built, "final_cost")
    base = solve(m, solver)
    rows = []
    sup = [s for s in data.suppliers if s.item in c.mass]
    _, p = built.pairs[picks[-1]]
    output = c.utilisation * data.scales[p]
    for n, s in enumerate(sup):
        con = m.cap[n, T - 1] if (n, T - 1) in m.cap else None
        if con is None or c.years[-1] < s.first_year or not base.has_solution:
            continue
        q = pyo.value(m.q[n, T - 1])
        if q < s.capacity_kt - 1e-6:
            rows.append((s.name, s.item, q, s.capacity_kt, 0.0, 0.0))
            continue
        con.set_value(m.q[n, T - 1] <= s.capacity_kt + 1.0)
        res = solve(m, solver)
        con.set_value(m.q[n, T - 1] <= s.capacity_kt)
        delta = (res.objective - base.objective) if res.has_solution else float("nan")
        rows.append((s.name, s.item, q, s.capacity_kt, delta, delta * output))
    for j in range(T):
        for i in built.by_year[j]:
            m.V[i, j].unfix()
    return pd.DataFrame(rows, columns=["supplier", "item", "quantity_kt", "capacity_kt", "usd_per_kwh_per_kt", "musd_per_year_per_kt"])


def pareto(model: Model, data: OptimizerData, start: int, end: int, points: int = 6, solver: str = "highs") -> pd.DataFrame:
    """Final-year cost against total spend: the least spend for a ladder of final-cost limits."""
    years = tuple(range(start, end + 1))
    base_year = start - 1 if start - 1 in model.dataset.years else start
    c = compute(model, data, years)
    inc = _incumbent(model, data, base_year)
    current = model.parameters(base_year).values[f"design.{data.design}.plant_capacity_gwh"]
    b = build(data, c, current, inc)
    set_objective(b, "final_cost")
    best = _checked(solve(b.model, solver)).objective
    set_objective(b, "spend", 1e9)
    _checked(solve(b.model, solver))
    import pyomo.environ as pyo

    worst = float(pyo.value(b.model.cost[len(years) - 1]))
    rows = []
    for level in np.linspace(worst, best, points):
        set_objective(b, "spend", float(level) * (1 + 1e-9) + 1e-9)
        res = solve(b.model, solver)
        if res.has_solution:
            rows.append((float(pyo.value(b.model.cost[len(years) - 1])), res.objective))
    return pd.DataFrame(rows, columns=["final_cost_usd_per_kwh", "spend_musd"]).drop_duplicates()


def optimize_sheet_frames(result: PathResult) -> dict[str, pd.DataFrame]:
    """Tables for a results workbook sheet (and for ``--json``)."""
    summary = pd.DataFrame([
        ("design", result.design), ("base year", result.base_year), ("base cost USD/kWh", result.base_cost),
        ("target cost USD/kWh", result.target_cost), ("best reachable USD/kWh", result.best_cost),
        ("target reached", result.reached), ("spend M USD", result.spend_musd),
        ("learning-curve error bound", result.learning_error),
        *[(f"split: {k}", v) for k, v in result.split.items()],
        *[(f"binding: {k}", v) for k, v in result.binding.items()],
        *[(f"solver {k}", v.message) for k, v in result.status.items()],
    ], columns=["key", "value"])
    summary["value"] = summary["value"].astype(str)
    frames = {"Optimizer": summary, "Path": result.path, "Suppliers": result.suppliers, "Shadow prices": result.shadow}
    if result.pareto is not None:
        frames["Pareto"] = result.pareto
    return frames


def plot_path(result: PathResult, path) -> None:
    """Cost path chart (PNG): engine cost per year against the base and the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from costmodel.analysis.plots import _save

    fig, ax = plt.subplots(figsize=(7, 4))
    years = [result.base_year, *result.path["year"]]
    costs = [result.base_cost, *result.path["cost_engine"]]
    ax.plot(years, costs, marker="o", label=f"{result.design} path")
    ax.axhline(result.target_cost, color="red", ls="--", label="target")
    ax.set_xticks(years)
    ax.set_ylabel("cell cost, USD/kWh")
    ax.set_title(f"Cost path: {result.design}")
    ax.legend()
    _save(fig, path)
    plt.close(fig)
