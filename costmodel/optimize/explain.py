"""Why the path is what it is: the reduction split by driver, binding constraints, supplier shadow
prices and the cost–spend Pareto front. Every reported cost is the engine's."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from costmodel.optimize.coefficients import learning_g
from costmodel.optimize.context import Context, YearChoice, engine_cost, path_spend, point_values, read_path
from costmodel.optimize.model import FAMILIES, Built, set_objective
from costmodel.optimize.solve import solve
from costmodel.optimize.tolerance import COST_TOL, MIP_GAP, SPEND_DECIMALS, spend_limit


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


def binding(ctx: Context, built: Built, best: float, budget: float | None = None) -> dict[str, float]:
    """Constraint families whose relaxation lowers the best final-year cost → that engine cost (USD/kWh).

    Each family is switched off in turn, phase 1 re-solved (under the spend cap ``budget``, M USD, in budget mode:
    the budget is kept while another family is relaxed, and is itself listed as ``budget`` when it binds) and the
    relaxed path costed by the engine. The learning floor is listed (as NaN) when cumulative output can reach it.
    """
    out = {}
    families = (*FAMILIES, "budget") if budget is not None else FAMILIES
    for family in families:
        if family != "budget":
            built.relax(family, True)
        try:
            set_objective(built, "final_cost", None if family == "budget" else budget)
            res = solve(built.model, ctx.solver, ctx.time_limit, MIP_GAP)
            if res.has_solution and res.objective < best * (1 - 1e-6) - 1e-9:
                path, _ = read_path(ctx, built)
                out[family] = engine_cost(ctx, ctx.years[-1], path[-1])
        finally:
            if family != "budget":
                built.relax(family, False)
    g = ctx.globals
    if g.learning_floor > 0 and g.learning_share > 0:
        x_max = g.cumulative0 + sum(v[1] for v in ctx.data.demand.values()) + g.utilisation * max(ctx.data.scales) * len(ctx.years)
        if float(learning_g(g, x_max)) <= g.learning_floor * (1 + 1e-9):
            out["learning floor"] = float("nan")
    return out


def shadow_prices(ctx: Context, built: Built, decisions: list[tuple[object, int]], suppliers: pd.DataFrame) -> pd.DataFrame:
    """Final-year cost change per extra kt/yr of each binding supplier cap: a finite difference of +1 kt/yr on the
    LP with every choice fixed at the path. USD/kWh per kt and M USD/yr per kt.

    Args:
        decisions: (binary variable, value) of every choice of the path (plant sizes and block alternatives), taken
            before any other solve (the explanations' re-solves load other solutions into the model).
        suppliers: the path's supplier rows (year, supplier, item, quantity_kt, capacity_kt): the quantities and
            binding status reported are these, the unperturbed solution's.
    """
    import pyomo.core as pyo

    m = built.model
    T = len(ctx.years)
    last = suppliers[suppliers["year"] == ctx.years[-1]].set_index("supplier")
    was_fixed = {id(v) for v in built.earliest_fixed}
    free = [(v, x) for v, x in decisions if id(v) not in was_fixed]
    for v, x in free:
        v.fix(x)
    rows = []
    try:
        set_objective(built, "final_cost")
        base = solve(m, ctx.solver, None, MIP_GAP)
        output = ctx.globals.utilisation * float(pyo.value(m.size[T - 1]))
        for n, s in enumerate(built.suppliers):
            if ctx.years[-1] < s.first_year or not base.has_solution or s.name not in last.index:
                continue
            q = float(last.loc[s.name, "quantity_kt"])
            if q < s.capacity_kt - 1e-6:
                rows.append((s.name, s.item, q, s.capacity_kt, 0.0, 0.0))
                continue
            con = m.cap[n, T - 1]
            con.set_value(m.q[n, T - 1] <= s.capacity_kt + 1.0)
            res = solve(m, ctx.solver, None, MIP_GAP)
            con.set_value(m.q[n, T - 1] <= s.capacity_kt)
            delta = (res.objective - base.objective) if res.has_solution else float("nan")
            rows.append((s.name, s.item, q, s.capacity_kt, delta, delta * output))
    finally:
        for v, _ in free:
            v.unfix()
    return pd.DataFrame(rows, columns=["supplier", "item", "quantity_kt", "capacity_kt", "usd_per_kwh_per_kt", "musd_per_year_per_kt"])


def pareto_spends(ctx: Context, built: Built, points: int = 6) -> list[float]:
    """Spend levels of the cost–spend front (M USD): the least spend for a ladder of ``points`` final-cost limits
    (USD/kWh) from the lowest cost at the least spend to the best reachable cost, on the built model.

    Each level is then solved in budget mode by the caller (lowest final cost within the spend, then the least
    spend at that cost), so a point of the front is exactly the ``--budget`` answer at its spend.
    """
    m = built.model
    set_objective(built, "final_cost")
    best = solve(m, ctx.solver, ctx.time_limit, MIP_GAP)
    set_objective(built, "spend", 1e9)
    least = solve(m, ctx.solver, ctx.time_limit, MIP_GAP)
    if not (best.has_solution and least.has_solution):
        return []
    set_objective(built, "final_cost", spend_limit(least.objective))
    worst = solve(m, ctx.solver, ctx.time_limit, MIP_GAP)
    if not worst.has_solution:
        return []
    spends = []
    for level in np.linspace(worst.objective, best.objective, points):
        set_objective(built, "spend", float(level) * (1 + COST_TOL) + COST_TOL)
        res = solve(m, ctx.solver, ctx.time_limit, MIP_GAP)
        if res.has_solution:
            path, _ = read_path(ctx, built)
            spends.append(round(path_spend(ctx, path), SPEND_DECIMALS))
    return sorted(set(spends))
