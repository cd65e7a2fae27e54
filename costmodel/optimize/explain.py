"""Why the path is what it is: the reduction split by driver, binding constraints, supplier shadow
prices and the cost–spend Pareto front. Every reported cost is the engine's."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from costmodel.optimize.coefficients import learning_g
from costmodel.optimize.context import Context, YearChoice, engine_cost, point_values, read_path
from costmodel.optimize.model import FAMILIES, Built, set_objective
from costmodel.optimize.solve import solve


def split(ctx: Context, final: YearChoice) -> dict[str, float]:
    """Exact Shapley split of (final-year engine cost − base cost) into three groups of changes (USD/kWh).

    Groups: scale and learning (plant size, cumulative output); energy density and process (levers);
    materials and routes (routes, supplier prices and the final year's price table).
    """
    model, d, sp = ctx.model, ctx.data.design, ctx.space
    final_year = ctx.years[-1]
    base = model.parameters(ctx.base_year)
    levers_only = tuple(final.point[i] if g.kind == "lever" else g.reference for i, g in enumerate(sp.groups))
    routes_only = tuple(final.point[i] if g.kind == "route" else g.reference for i, g in enumerate(sp.groups))
    lever_vals, _ = point_values(model, ctx.data, sp, final_year, levers_only)
    route_vals, route_ch = point_values(model, ctx.data, sp, final_year, routes_only)
    for item, usd in final.prices.items():
        route_vals[f"price.{item}"] = model.dataset.static.price_units[item].from_canonical(
            usd - ctx.globals.price_shift[(item, final_year)], route_vals["fx.cny_per_usd"])
    groups = {
        "scale and learning": {f"design.{d}.plant_capacity_gwh": final.plant, f"design.{d}.cumulative_output_gwh": final.cumulative},
        "energy density and process": {k: v for k, v in lever_vals.items() if v != base.values.get(k)},
        "materials and routes": {k: v for k, v in route_vals.items() if v != base.values.get(k)},
    }
    names = list(groups)

    def cost(coalition) -> float:
        v, ch = dict(base.values), dict(base.choices)
        for g in coalition:
            v.update(groups[g])
            if g == "materials and routes":
                ch.update(route_ch)
        return float(model.evaluate_arrays(v, ch, [d])[d].total)

    value = {s: cost(s) for r in range(len(names) + 1) for s in itertools.combinations(names, r)}
    n, out = len(names), {}
    for g in names:
        total = 0.0
        for r in range(n):
            for s in itertools.combinations([x for x in names if x != g], r):
                w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                total += w * (value[tuple(sorted((*s, g), key=names.index))] - value[s])
        out[g] = total
    return out


def binding(ctx: Context, built: Built, best: float) -> dict[str, float]:
    """Constraint families whose relaxation lowers the best final-year cost → that engine cost (USD/kWh).

    Each family is switched off in turn, phase 1 re-solved and the relaxed path costed by the engine.
    The learning floor is listed (as NaN) when cumulative output can reach it.
    """
    out = {}
    for family in FAMILIES:
        built.relax(family, True)
        try:
            set_objective(built, "final_cost")
            res = solve(built.model, ctx.solver, ctx.time_limit)
            if res.has_solution and res.objective < best * (1 - 1e-6) - 1e-9:
                path, _ = read_path(ctx, built)
                out[family] = engine_cost(ctx, ctx.years[-1], path[-1])
        finally:
            built.relax(family, False)
    g = ctx.globals
    if g.learning_floor > 0 and g.learning_share > 0:
        x_max = g.cumulative0 + sum(v[1] for v in ctx.data.demand.values()) + g.utilisation * max(ctx.data.scales) * len(ctx.years)
        if float(learning_g(g, x_max)) <= g.learning_floor * (1 + 1e-9):
            out["learning floor"] = float("nan")
    return out


def shadow_prices(ctx: Context, built: Built) -> pd.DataFrame:
    """Final-year cost change per extra kt/yr of each binding supplier cap, from the LP with every choice
    fixed at the path (finite difference of +1 kt/yr): USD/kWh per kt and M USD/yr per kt."""
    import pyomo.environ as pyo

    m = built.model
    T = len(ctx.years)
    was_fixed = {id(v) for v in built.earliest_fixed}
    free = [v for v in (*m.Y.values(), *m.Z.values()) if id(v) not in was_fixed]
    for v in free:
        v.fix(round(pyo.value(v)))
    rows = []
    try:
        set_objective(built, "final_cost")
        base = solve(m, ctx.solver)
        output = ctx.globals.utilisation * float(pyo.value(m.size[T - 1]))
        for n, s in enumerate(built.suppliers):
            if ctx.years[-1] < s.first_year or not base.has_solution:
                continue
            q = float(pyo.value(m.q[n, T - 1]))
            if q < s.capacity_kt - 1e-6:
                rows.append((s.name, s.item, q, s.capacity_kt, 0.0, 0.0))
                continue
            con = m.cap[n, T - 1]
            con.set_value(m.q[n, T - 1] <= s.capacity_kt + 1.0)
            res = solve(m, ctx.solver)
            con.set_value(m.q[n, T - 1] <= s.capacity_kt)
            delta = (res.objective - base.objective) if res.has_solution else float("nan")
            rows.append((s.name, s.item, q, s.capacity_kt, delta, delta * output))
    finally:
        for v in free:
            v.unfix()
    return pd.DataFrame(rows, columns=["supplier", "item", "quantity_kt", "capacity_kt", "usd_per_kwh_per_kt", "musd_per_year_per_kt"])


def pareto(ctx: Context, built: Built, points: int = 6) -> pd.DataFrame:
    """Final-year cost against total spend: the least spend (M USD) for a ladder of final-cost limits (USD/kWh),
    from the cheapest path (no spend limit on cost) to the best reachable cost."""
    import pyomo.environ as pyo

    m = built.model
    last = len(ctx.years) - 1
    set_objective(built, "final_cost")
    best = solve(m, ctx.solver, ctx.time_limit)
    set_objective(built, "spend", 1e9)
    least = solve(m, ctx.solver, ctx.time_limit)
    if not (best.has_solution and least.has_solution):
        return pd.DataFrame(columns=["final_cost_usd_per_kwh", "spend_musd"])
    worst = float(pyo.value(m.costs[last]))
    rows = []
    for level in np.linspace(worst, best.objective, points):
        set_objective(built, "spend", float(level) * (1 + 1e-9) + 1e-9)
        res = solve(m, ctx.solver, ctx.time_limit)
        if res.has_solution:
            rows.append((float(pyo.value(m.costs[last])), res.objective))
    return pd.DataFrame(rows, columns=["final_cost_usd_per_kwh", "spend_musd"]).drop_duplicates()
