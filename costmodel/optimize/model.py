"""The Pyomo path model.

Decisions per year t: one option-and-scale choice v[k, p, t] (k = lever set and route, p = plant
size), supplier quantities q[s, t] (kt/yr). Levers adopted stay adopted and respect their earliest
year; routes respect theirs (switching costs are paid when a route is entered); plant size is
monotone and ramp-limited; output (utilisation × size) stays within sellable demand; supplier
volumes cover each item's need within yearly caps.

Cost of year t (USD/kWh), exact for each choice except the learning curve:
    Σ v[k,p,t] Y (M + (1 − φ) C_kp)  +  h_t  +  prem_t
    h_t ≥ Y φ C_kp G_t − BigM (1 − v[k,p,t])          (learnable part; G_t ≥ tangents of the convex curve)
    prem_t ≥ Y Σ_s q_s Δp_s / (u P_p) − BigM (1 − v)    (supplier prices relative to the table price)
with C_kp = A s_c(P) + B s_l(P) + E. Cumulative output (mid-year) x_t = x_0 + Σ_{τ<t} (others + own)
+ (others_t + own_t) / 2. Units: GWh, kt, M USD and USD/kWh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.optimize.coefficients import Coefficients, tangents
from costmodel.optimize.data import OptimizerData
from costmodel.units import parse_price_unit


@dataclass(frozen=True)
class Relax:
    """Constraint families switched off to find what binds."""

    supply: bool = False
    ramp: bool = False
    earliest: bool = False
    demand: bool = False


@dataclass(frozen=True)
class Built:
    """A built model with the index sets needed to read it back."""

    model: object
    pairs: list[tuple[int, int]]
    learning_error: float
    by_year: dict[int, list[int]]


def build(data: OptimizerData, c: Coefficients, current_plant: float, incumbent: str, relax: Relax = Relax()) -> Built:
    """Build the Pyomo model (objective left to the caller: see ``set_objective``)."""
    import pyomo.environ as pyo

    years = list(c.years)
    T = len(years)
    u = c.utilisation
    phi = c.learning_share
    scales = list(data.scales)
    nk = len(c.options)
    pairs = [(k, p) for k in range(nk) for p in range(len(scales))]
    sc = np.array([(P / c.ref_plant) ** (c.exp_capex - 1) for P in scales])
    sl = np.array([(P / c.ref_plant) ** (c.exp_labour - 1) for P in scales])
    conv = {(k, p, j): c.A[k, j] * sc[p] + c.B[k, j] * sl[p] + c.E[k, j] for k, p in pairs for j in range(T)}
    other = [data.demand.get(y, (np.inf, 0.0))[1] for y in years]
    x_lo = c.cumulative0 + 0.5 * other[0]
    x_hi = c.cumulative0 + sum(other) + u * max(scales) * T + 1.0
    slope, intercept, err = tangents(c, x_lo, x_hi)
    g_max = float(max(intercept + slope * x_lo))
    lever_names = [lv.name for lv in data.levers]
    routes = {r.name: r for r in data.routes}

    # prune choices that cannot be feasible in a year: levers or routes before their earliest year,
    # plant sizes below the current one or beyond what ramp and demand allow by then
    earliest_lever = {lv.name: lv.earliest for lv in data.levers}
    allowed = []
    for j, y in enumerate(years):
        reach = current_plant + (np.inf if relax.ramp else data.ramp_gwh * (j + 1))
        sellable = data.demand.get(y, (np.inf, 0.0))[0]
        cap = np.inf if relax.demand else sellable / u
        for i, (k, p) in enumerate(pairs):
            opt = c.options[k]
            if not relax.earliest and (any(earliest_lever[n] > y for n in opt.levers)
                                       or (opt.route != incumbent and routes[opt.route].earliest > y)):
                continue
            if scales[p] < current_plant - 1e-9 or scales[p] > min(reach, max(cap, current_plant)) + 1e-9:
                continue
            allowed.append((i, j))
    by_year = {j: [i for i, jj in allowed if jj == j] for j in range(T)}

    m = pyo.ConcreteModel(name="cost_path")
    m.V = pyo.Var(allowed, domain=pyo.Binary)
    m.one = pyo.Constraint(range(T), rule=lambda m, j: sum(m.V[i, j] for i in by_year[j]) == 1)

    def pick(j, cond):
        return sum(m.V[i, j] for i in by_year[j] if cond(*pairs[i]))

    # levers: adopt once, stay adopted, not before their earliest year
    m.adopt = pyo.Expression(lever_names, range(T), rule=lambda m, name, j: pick(j, lambda k, p: name in c.options[k].levers))
    m.keep = pyo.ConstraintList()
    for name in lever_names:
        earliest = next(lv.earliest for lv in data.levers if lv.name == name)
        for j in range(T):
            if j + 1 < T:
                m.keep.add(m.adopt[name, j] <= m.adopt[name, j + 1])
            if not relax.earliest and years[j] < earliest:
                m.keep.add(m.adopt[name, j] == 0)
    # routes: earliest year; switching cost when entering a route
    m.route = pyo.Expression(list(routes), range(T), rule=lambda m, r, j: pick(j, lambda k, p: c.options[k].route == r))
    m.enter = pyo.Var(list(routes), range(T), bounds=(0, 1))
    m.route_rules = pyo.ConstraintList()
    for r, route in routes.items():
        for j in range(T):
            prev = m.route[r, j - 1] if j else (1.0 if r == incumbent else 0.0)
            m.route_rules.add(m.enter[r, j] >= m.route[r, j] - prev)
            if not relax.earliest and years[j] < route.earliest and r != incumbent:
                m.route_rules.add(m.route[r, j] == 0)
    # plant size: monotone, ramp-limited; output within demand
    m.size = pyo.Expression(range(T), rule=lambda m, j: sum(scales[pairs[i][1]] * m.V[i, j] for i in by_year[j]))
    m.scale_rules = pyo.ConstraintList()
    for j in range(T):
        prev = m.size[j - 1] if j else current_plant
        m.scale_rules.add(m.size[j] >= prev)
        if not relax.ramp:
            m.scale_rules.add(m.size[j] - prev <= data.ramp_gwh)
        sellable = data.demand.get(years[j], (np.inf, 0.0))[0]
        if not relax.demand and np.isfinite(sellable):
            m.scale_rules.add(u * m.size[j] <= sellable)
    # cumulative output and the learning curve (lower envelope of tangents, floor)
    m.x = pyo.Expression(range(T), rule=lambda m, j: c.cumulative0 + sum(other[:j]) + u * sum(m.size[i] for i in range(j))
                         + 0.5 * (other[j] + u * m.size[j]))
    m.G = pyo.Var(range(T), bounds=(c.learning_floor, g_max))
    m.curve = pyo.ConstraintList()
    for j in range(T):
        for a, b in zip(slope, intercept, strict=True):
            m.curve.add(m.G[j] >= float(b) + float(a) * m.x[j])
    m.h = pyo.Var(range(T), bounds=(0, None))
    m.learn = pyo.ConstraintList()
    for j in range(T):
        for i in by_year[j]:
            k, p = pairs[i]
            coef = float(c.Y[k, j] * phi * conv[k, p, j])
            if coef > 0:
                m.learn.add(m.h[j] >= coef * m.G[j] - coef * g_max * (1 - m.V[i, j]))
    # suppliers: volumes cover each item's need within caps; price premium per kWh
    items = sorted({s.item for s in data.suppliers if s.item in c.mass})
    sup = [s for s in data.suppliers if s.item in items]
    m.q = pyo.Var(range(len(sup)), range(T), bounds=(0, None))
    m.need = pyo.ConstraintList()
    m.cap = pyo.Constraint(range(len(sup)), range(T), rule=lambda m, s, j: (
        pyo.Constraint.Skip if relax.supply and years[j] >= sup[s].first_year else
        m.q[s, j] <= (sup[s].capacity_kt if years[j] >= sup[s].first_year else 0.0)))
    dp = np.zeros((len(sup), T))
    for s, x in enumerate(sup):
        unit = parse_price_unit(x.unit)
        for j, y in enumerate(years):
            dp[s, j] = unit.to_canonical(x.price, c.fx[y]) - c.price_usd.get((x.item, y), unit.to_canonical(x.price, c.fx[y]))
    for it in items:
        for j in range(T):
            need = sum(float(u * scales[pairs[i][1]] * c.mass[it][pairs[i][0]]) * m.V[i, j] for i in by_year[j]
                       if c.mass[it][pairs[i][0]] > 0)
            m.need.add(sum(m.q[s, j] for s, x in enumerate(sup) if x.item == it) == need)
    m.prem = pyo.Var(range(T))
    m.premium = pyo.ConstraintList()
    # |premium| ≤ Y × Σ_items (mass per kWh × largest price difference of its suppliers)
    spread = {it: np.abs(dp[[s for s, x in enumerate(sup) if x.item == it]]).max(initial=0.0) for it in items}
    big_prem = float(2 * c.Y.max() * sum(c.mass[it].max() * spread[it] for it in items)) + 1e-6
    for j in range(T):
        spend = sum(float(dp[s, j]) * m.q[s, j] for s in range(len(sup)))
        for i in by_year[j]:
            k, p = pairs[i]
            f = float(c.Y[k, j] / (u * scales[p]))
            m.premium.add(m.prem[j] >= f * spend - big_prem * (1 - m.V[i, j]))
        m.premium.add(m.prem[j] >= -big_prem)
    # cost per year (USD/kWh) and one-off spend (M USD)
    m.cost = pyo.Expression(range(T), rule=lambda m, j: sum(
        float(c.Y[pairs[i][0], j] * (c.M[pairs[i][0], j] + (1 - phi) * conv[pairs[i][0], pairs[i][1], j])) * m.V[i, j]
        for i in by_year[j]) + m.h[j] + m.prem[j])
    one_off = {lv.name: lv.one_off_musd for lv in data.levers}
    m.spend = pyo.Expression(expr=sum(one_off[n] * (m.adopt[n, j] - (m.adopt[n, j - 1] if j else 0)) for n in lever_names for j in range(T))
                             + sum(routes[r].switch_musd * m.enter[r, j] for r in routes for j in range(T))
                             + data.expansion_musd_per_gwh * (m.size[T - 1] - current_plant))
    if any(not by_year[j] for j in range(T)):
        raise ValueError("no feasible choice in some year")
    return Built(m, pairs, err, by_year)


def set_objective(built: Built, kind: str, bound: float | None = None, spend_bound: float | None = None) -> None:
    """``final_cost`` (optionally with spend ≤ bound), ``spend`` (with final cost ≤ bound), or ``all_years``
    (sum of yearly costs with final cost ≤ bound and spend ≤ spend_bound: benefits as early as possible)."""
    import pyomo.environ as pyo

    m = built.model
    for name in ("obj", "limit", "limit2"):
        if hasattr(m, name):
            m.del_component(name)
    last = len(m.cost) - 1
    if kind == "final_cost":
        m.obj = pyo.Objective(expr=m.cost[last], sense=pyo.minimize)
        if bound is not None:
            m.limit = pyo.Constraint(expr=m.spend <= bound)
    elif kind == "spend":
        m.obj = pyo.Objective(expr=m.spend, sense=pyo.minimize)
        m.limit = pyo.Constraint(expr=m.cost[last] <= bound)
    elif kind == "all_years":
        m.obj = pyo.Objective(expr=sum(m.cost[j] for j in range(last + 1)), sense=pyo.minimize)
        m.limit = pyo.Constraint(expr=m.cost[last] <= bound)
        m.limit2 = pyo.Constraint(expr=m.spend <= spend_bound)
    else:
        raise ValueError(kind)
