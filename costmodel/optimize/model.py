"""The Pyomo path model.

Decisions per year t: one alternative per block, Y[b, a, t] (binary; a block alternative fixes the
levers of its lever groups and the route, or blend of two routes, of its route families, see ``choices``),
one plant size, Z[p, t] (binary), and supplier quantities q[s, t] (kt/yr). Levers adopted stay adopted and
wait for their earliest year; a route is used in year t when any alternative holding it is chosen
(route[r, t] = Σ Y over the alternatives using r, alone or in a blend: 0 or 1, since a family takes one
alternative and a blend pairs two different routes); it waits for its earliest year (every blend using it
too) and its switching cost is paid when it is entered (enter ≥ route[r, t] − route[r, t−1], the incumbent
counting as used before the first year); the plant size is monotone and ramp-limited; output (utilisation ×
size) stays within sellable demand; supplier volumes cover each supplied item's need (both materials of a
blend, each at its share) within yearly caps.

Cost of year t (USD/kWh), with m_i the monomials of the engine expansion (``coefficients``):
    YM(m) + Σ_p Z_p (YA(m) s_c(P_p) + YB(m) s_l(P_p) + YE(m)) × LF_t + Y(m) × Σ_s q_s Δp_s / (u P)
    LF_t = 1 − φ + φ G_t,  G_t ≥ every tangent of the convex learning curve at x_t (lower envelope)
Every product of a binary (a monomial or Z_p) with a bounded continuous term (LF_t, the plant size,
the supplier premium) is linearized exactly by four inequalities, so for fixed choices the model
is the engine's cost up to the learning envelope. Cumulative output (mid-year)
x_t = x_0 + Σ_{τ<t} (others_τ + u size_τ) + (others_t + u size_t) / 2. Units: GWh, kt, M USD and USD/kWh.

A large block (``GROUP_MIN``: a route family with its blends, 30 alternatives at a 10 % grid) would make one pair
monomial, and its products, per alternative and per alternative of every other block. Its pairs are linearized per
alternative o of the smaller block instead: Σ_a c_ao Y_a Y_o X = Y_o × Σ_a c_ao (Y_a X), one product of the binary
Y_o with a sum over the large block's products Y_a X (X: 1, the plant size, the conversion factors s_c(P) LF, s_l(P) LF
and LF, the supplier premium), exact because one alternative a of the block is chosen. On the bundled instance this
halves the rows (2,887 instead of 7,828) and the solve time.
"""

from __future__ import annotations

# Pyomo is imported as pyomo.core, not pyomo.environ: the solver plugins cost 0.2 s of start-up and only CBC needs them
# (solve.py imports them there).
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from costmodel.optimize.choices import Blend, Space, parts, uses
from costmodel.optimize.coefficients import Expansion, Globals, tangents
from costmodel.optimize.data import OptimizerData
from costmodel.units import parse_price_unit

#: cost-only constraints (see ``Built.cost_only``) from which switching them off pays: each switch makes the persistent
#: HiGHS instance remove or re-add them (about 0.1 s per 500 on the default instance, which solves in 0.2 s)
COST_ONLY_MIN = 2000
#: pairs of blocks whose larger block has at least this many alternatives besides its anchor (a route family with blends)
#: are linearized per alternative of the smaller block (one product with a sum over the larger block), not per pair
GROUP_MIN = 4
#: constraint families that can be relaxed to find what binds
FAMILIES = ("supply caps", "ramp limit", "earliest years", "demand (sellable GWh)")


@dataclass
class Built:
    """A built model and what is needed to read it back and relax it.

    Attributes:
        model: the Pyomo model.
        space, expansions: the decision space and the per-year expansions it was built from.
        suppliers: the suppliers of supplied items, in the order of ``q``'s first index.
        learning_error: worst relative error of the learning envelope on its learnable part.
        earliest_fixed: (variable, ...) fixed to 0 by earliest years (unfixed to relax them).
        cost_only: constraints that only define the cost of a year before the final one (the learning envelope, the
            products of choices with learning and with supplier premiums): they constrain nothing else, so objectives
            that price only the final year (phases 1 and 2, relaxations, shadow prices, Pareto levels) switch them off
            and solve a model a fraction of the size, with the same optimum.
        earlier_costs: the same constraints, kept even when ``cost_only`` is emptied for a small model (the stochastic
            model switches them off in every price future).
    """

    model: object
    space: Space
    expansions: list[Expansion]
    suppliers: list
    learning_error: float
    earliest_fixed: list = field(default_factory=list)
    cost_only: list = field(default_factory=list)
    earlier_costs: list = field(default_factory=list)

    def relax(self, family: str, on: bool = True) -> None:
        """Switch a constraint family (one of ``FAMILIES``) off (``on``) or back on."""
        m = self.model
        if family == "earliest years":
            for v in self.earliest_fixed:
                v.unfix() if on else v.fix(0)
            return
        comp = {"supply caps": m.cap, "ramp limit": m.ramp, "demand (sellable GWh)": m.demand}[family]
        comp.deactivate() if on else comp.activate()


def _product(m, name: str, binary, cont, lo: float, hi: float):
    """A variable equal to ``binary × cont`` for ``cont`` in [lo, hi] (exact: four inequalities)."""
    import pyomo.core as pyo

    v = pyo.Var(bounds=(min(0.0, lo), max(0.0, hi)))
    m.add_component(name, v)
    c = pyo.ConstraintList()
    m.add_component(name + "_link", c)
    c.add(v <= hi * binary)
    c.add(v >= lo * binary)
    c.add(v <= cont - lo * (1 - binary))
    c.add(v >= cont - hi * (1 - binary))
    return v


def build(data: OptimizerData, sp: Space, exps: list[Expansion], gl: Globals, current_plant: float,
          incumbent: Mapping[str, str | Blend], into=None) -> Built:
    """Build the Pyomo model (objective left to the caller: see ``set_objective``).

    ``into``: a Pyomo block to build in (one price future of the stochastic model) instead of a new model.

    Raises:
        ValueError: when no plant size is at or above the current plant.
    """
    import pyomo.core as pyo

    years = [e.year for e in exps]
    T = len(years)
    u, phi = gl.utilisation, gl.learning_share
    scales = list(data.scales)
    if max(scales) < current_plant - 1e-9:
        raise ValueError("no plant size option is at or above the current plant")
    sc = [(P / gl.ref_plant) ** (gl.exp_capex - 1) for P in scales]
    sl = [(P / gl.ref_plant) ** (gl.exp_labour - 1) for P in scales]
    other = [data.demand.get(y, (np.inf, 0.0))[1] for y in years]
    x_lo = gl.cumulative0 + 0.5 * other[0]
    x_hi = gl.cumulative0 + sum(other) + u * max(scales) * T + 1.0
    slope, intercept, err = tangents(gl, x_lo, x_hi)
    g_max = float(max(intercept + slope * x_lo))
    lf_lo, lf_hi = 1 - phi + phi * gl.learning_floor, 1 - phi + phi * max(g_max, gl.learning_floor)

    m = into if into is not None else pyo.ConcreteModel(name="cost_path")
    idx = [(b, a, j) for j in range(T) for b in range(len(sp.blocks)) for a in range(len(sp.alternatives[b]))]
    m.Y = pyo.Var(idx, domain=pyo.Binary)
    m.one = pyo.Constraint(range(len(sp.blocks)), range(T), rule=lambda m, b, j: sum(
        m.Y[b, a, j] for a in range(len(sp.alternatives[b]))) == 1)
    m.Z = pyo.Var(range(len(scales)), range(T), domain=pyo.Binary)
    m.one_size = pyo.Constraint(range(T), rule=lambda m, j: sum(m.Z[p, j] for p in range(len(scales))) == 1)

    def using(g: int, alt: int) -> list[tuple[int, int]]:
        """(block, alternative) pairs whose combination puts group g at alternative alt."""
        b = next(i for i, blk in enumerate(sp.blocks) if g in blk)
        pos = sp.blocks[b].index(g)
        return [(b, a) for a, combo in enumerate(sp.alternatives[b]) if combo[pos] == alt]

    built = Built(m, sp, exps, [], err)
    # levers: adopt once, stay adopted, not before the earliest year; a route is used by its own alternative and by every
    # blend that holds it (at any share)
    lever_at: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for g, grp in enumerate(sp.groups):
        for k, alt in enumerate(grp.alternatives):
            for name, _ in parts(alt):
                lever_at.setdefault((grp.kind, name), []).extend(using(g, k))
    earliest = {lv.name: lv.earliest for lv in data.levers}
    lever_names = [lv.name for lv in data.levers if ("lever", lv.name) in lever_at]
    m.adopt = pyo.Expression(lever_names, range(T), rule=lambda m, n, j: sum(m.Y[b, a, j] for b, a in lever_at[("lever", n)]))
    m.keep = pyo.Constraint(lever_names, range(T - 1), rule=lambda m, n, j: m.adopt[n, j] <= m.adopt[n, j + 1])
    # routes: earliest year; switching cost when a route is entered
    route_names = [r.name for r in data.routes if ("route", r.name) in lever_at]
    route = {r.name: r for r in data.routes}
    m.route = pyo.Expression(route_names, range(T), rule=lambda m, r, j: sum(m.Y[b, a, j] for b, a in lever_at[("route", r)]))
    m.enter = pyo.Var(route_names, range(T), bounds=(0, 1))

    def was(r: str, j: int):
        return m.route[r, j - 1] if j else (1.0 if uses(incumbent.get(route[r].family), r) else 0.0)

    m.entering = pyo.Constraint(route_names, range(T), rule=lambda m, r, j: m.enter[r, j] >= m.route[r, j] - was(r, j))
    # enter = route AND NOT was exactly, so no solver can leave a switching cost on a route it does not enter
    # (HiGHS's persistent interface returned spurious entries at zero cost in phase 1 and kept them as optimal)
    m.entered_only = pyo.Constraint(route_names, range(T), rule=lambda m, r, j: m.enter[r, j] <= m.route[r, j])
    m.entered_new = pyo.Constraint(route_names, range(T), rule=lambda m, r, j: m.enter[r, j] <= 1 - was(r, j))
    for j, y in enumerate(years):
        blocked = [("lever", n) for n in lever_names if earliest[n] > y]
        blocked += [("route", r) for r in route_names if route[r].earliest > y and not uses(incumbent.get(route[r].family), r)]
        for key in blocked:
            for b, a in lever_at[key]:
                m.Y[b, a, j].fix(0)
                built.earliest_fixed.append(m.Y[b, a, j])
    # plant size: monotone, ramp-limited; output within sellable demand
    m.size = pyo.Expression(range(T), rule=lambda m, j: sum(scales[p] * m.Z[p, j] for p in range(len(scales))))

    def before(j: int):
        return m.size[j - 1] if j else current_plant

    m.grow = pyo.Constraint(range(T), rule=lambda m, j: m.size[j] >= before(j))
    m.ramp = pyo.Constraint(range(T), rule=lambda m, j: m.size[j] - before(j) <= data.ramp_gwh)
    sellable = [data.demand.get(y, (np.inf, 0.0))[0] for y in years]
    m.demand = pyo.Constraint(range(T), rule=lambda m, j: (
        u * m.size[j] <= sellable[j] if np.isfinite(sellable[j]) else pyo.Constraint.Skip))
    # cumulative output and the learning curve (lower envelope of tangents, floor as the bound)
    m.x = pyo.Expression(range(T), rule=lambda m, j: gl.cumulative0 + sum(other[:j]) + u * sum(m.size[i] for i in range(j))
                         + 0.5 * (other[j] + u * m.size[j]))
    m.G = pyo.Var(range(T), bounds=(gl.learning_floor, max(g_max, gl.learning_floor)))
    m.curve = pyo.Constraint(range(T), range(len(slope)), rule=lambda m, j, n: m.G[j] >= float(intercept[n]) + float(slope[n]) * m.x[j])
    m.LF = pyo.Expression(range(T), rule=lambda m, j: 1 - phi + phi * m.G[j])
    LFp = {(p, j): _product(m, f"LFp_{p}_{j}", m.Z[p, j], m.LF[j], lf_lo, lf_hi) for p in range(len(scales)) for j in range(T)}
    # suppliers of the tracked items: volumes cover the need within caps
    supplied = {s.item for s in data.suppliers}
    items = sorted({q[5:] for e in exps for q in e.coef if q.startswith("mass:")} & supplied)
    sup = [s for s in data.suppliers if s.item in items]
    built.suppliers = sup
    m.q = pyo.Var(range(len(sup)), range(T), bounds=(0, None))
    m.cap = pyo.Constraint(range(len(sup)), range(T), rule=lambda m, s, j: m.q[s, j] <= (
        sup[s].capacity_kt if years[j] >= sup[s].first_year else 0.0))
    dp = np.zeros((len(sup), T))
    for s, x in enumerate(sup):
        unit = parse_price_unit(x.unit)
        for j, y in enumerate(years):
            dp[s, j] = unit.to_canonical(x.price, gl.fx[y]) * gl.contract_scale.get((x.item, y), 1.0) - gl.price_usd[(x.item, y)]
            if abs(dp[s, j]) <= 1e-9 * abs(gl.price_usd[(x.item, y)]):  # a contract at the market price (round-off of the scale)
                dp[s, j] = 0.0
    m.need = pyo.ConstraintList()
    m.costs = pyo.Expression(range(T))
    big_mass = {it: max(e.const.get(f"mass:{it}", 0.0) + np.abs(e.coef.get(f"mass:{it}", np.zeros(1))).sum() for e in exps)
                for it in items}
    q_max = {s: u * max(scales) * big_mass[x.item] for s, x in enumerate(sup)}  # kt: the most any one item can need

    def lp(e: Expansion, i: int) -> list[float]:
        """Conversion coefficient of monomial i at each plant size (USD/kWh before learning)."""
        return [float(e.coef["YA"][i] * sc[p] + e.coef["YB"][i] * sl[p] + e.coef["YE"][i]) for p in range(len(scales))]

    # conversion factors of a year: capital s_c(P) LF, labour s_l(P) LF, energy LF (sums over the plant-size products)
    lf_parts = {"YA": (lambda j: sum(sc[p] * LFp[p, j] for p in range(len(scales))), min(sc) * lf_lo, max(sc) * lf_hi),
                "YB": (lambda j: sum(sl[p] * LFp[p, j] for p in range(len(scales))), min(sl) * lf_lo, max(sl) * lf_hi),
                "YE": (lambda j: m.LF[j], lf_lo, lf_hi)}
    big = {b for b in range(len(sp.blocks)) if len(sp.alternatives[b]) - 1 >= GROUP_MIN}

    def y_lf(j: int, key: tuple[int, int], q: str):
        """Alternative ``key`` (of a large block) × the conversion factor of quantity q in year j (exact), created once:
        its own conversion term and its pairs' (grouped) are sums of these three."""
        name = f"conv_{j}_v{key[0]}_{key[1]}_{q}"
        if hasattr(m, name):
            return getattr(m, name)
        expr, lo, hi = lf_parts[q]
        return _product(m, name, m.Y[key[0], key[1], j], expr(j), lo, hi)

    def y_r(j: int, i: int, binary, R, r_lo: float, r_hi: float):
        """Monomial i × the supplier premium R of year j (exact), created once."""
        name = f"prem_{j}_{i}"
        return getattr(m, name) if hasattr(m, name) else _product(m, name, binary, R, r_lo, r_hi)

    for j, e in enumerate(exps):
        plain, grouped = _aggregation(sp, e)
        mono = {i: _monomial(m, e, i, j) for i in plain}
        single = {mo[0]: i for i, mo in enumerate(e.monomials) if len(mo) == 1}
        Y = {key: m.Y[key[0], key[1], j] for key in single}
        # materials
        cost = e.const["YM"] + sum(float(e.coef["YM"][i]) * mono[i] for i in plain if e.coef["YM"][i] != 0)
        for k, ((outer, _), terms) in enumerate(grouped.items()):
            cost += _grouped(m, f"agg_{j}_{k}_ym", Y[outer], [(float(e.coef["YM"][i]), Y[inner], 0.0, 1.0) for i, inner in terms])
        # conversion × plant scale × learning
        L0 = [e.const["YA"] * sc[p] + e.const["YB"] * sl[p] + e.const["YE"] for p in range(len(scales))]
        cost += sum(L0[p] * LFp[p, j] for p in range(len(scales)))
        for i in plain:
            Lp = lp(e, i)
            if not any(abs(v) > 0 for v in Lp):
                continue
            key = e.monomials[i][0]
            if len(e.monomials[i]) == 1 and key[0] in big:  # an alternative of a large block: from its three products
                cost += sum(float(e.coef[q][i]) * y_lf(j, key, q) for q in lf_parts if e.coef[q][i] != 0)
                continue
            Q = sum(Lp[p] * LFp[p, j] for p in range(len(scales)))
            lo = min(min(v * lf_lo, v * lf_hi) for v in Lp)
            hi = max(max(v * lf_lo, v * lf_hi) for v in Lp)
            cost += _product(m, f"conv_{j}_{i}", mono[i], Q, lo, hi)
        for k, ((outer, _), terms) in enumerate(grouped.items()):
            values = [v * f for i, _ in terms for v in lp(e, i) for f in (lf_lo, lf_hi)]
            expr = sum(float(e.coef[q][i]) * y_lf(j, inner, q) for i, inner in terms for q in lf_parts if e.coef[q][i] != 0)
            if any(values):  # outer × Σ over the large block: at most one of its alternatives, at one plant size
                cost += _product(m, f"conv_{j}_agg{k}", Y[outer], expr, min(0.0, *values), max(0.0, *values))
        # supplied items: need = u × size × mass(m)
        for it in items:
            mass_c = e.coef.get(f"mass:{it}", np.zeros(len(e.monomials)))
            need = u * e.const.get(f"mass:{it}", 0.0) * m.size[j]
            for i in plain:
                if mass_c[i] != 0:
                    need += u * float(mass_c[i]) * _size_product(m, mono[i], i, j, min(scales), max(scales))
            for k, ((outer, _), terms) in enumerate(grouped.items()):
                need += u * _grouped(m, f"S_{j}_agg{k}_{it}", Y[outer], [
                    (float(mass_c[i]), _size_product(m, Y[inner], single[inner], j, min(scales), max(scales)), min(scales),
                     max(scales)) for i, inner in terms if mass_c[i] != 0])
            m.need.add(sum(m.q[s, j] for s, x in enumerate(sup) if x.item == it) == need)
        # supplier premium: Y(m) × Σ_s q_s Δp_s / (u P)   (kt × USD/kg / GWh = USD/kWh)
        if sup:
            D = sum(float(dp[s, j]) * m.q[s, j] for s in range(len(sup)))
            d_lo = sum(min(0.0, dp[s, j]) * q_max[s] for s in range(len(sup)))
            d_hi = sum(max(0.0, dp[s, j]) * q_max[s] for s in range(len(sup)))
            if d_hi > d_lo:
                Dp = [_product(m, f"Dp_{p}_{j}", m.Z[p, j], D, d_lo, d_hi) for p in range(len(scales))]
                R = sum(Dp[p] / (u * scales[p]) for p in range(len(scales)))
                r_lo, r_hi = d_lo / (u * min(scales)), d_hi / (u * min(scales))
                cost += e.const["Y"] * R
                for i in plain:
                    if e.coef["Y"][i] != 0:
                        cost += float(e.coef["Y"][i]) * y_r(j, i, mono[i], R, r_lo, r_hi)
                for k, ((outer, _), terms) in enumerate(grouped.items()):
                    cost += _grouped(m, f"prem_{j}_agg{k}", Y[outer], [
                        (float(e.coef["Y"][i]), y_r(j, single[inner], Y[inner], R, r_lo, r_hi), r_lo, r_hi) for i, inner in terms
                        if e.coef["Y"][i] != 0])
        m.costs[j] = cost
    # constraints defining only the cost of years before the last (switched off when only the final year is priced)
    for j in range(T - 1):
        built.cost_only += [m.curve[j, n] for n in range(len(slope))]
        for prefix in (f"conv_{j}_", f"prem_{j}_", f"agg_{j}_"):
            built.cost_only += [c for c in m.component_objects(pyo.Constraint) if c.name.startswith(prefix) and c.name.endswith("_link")]
        built.cost_only += [getattr(m, f"{kind}_{p}_{j}_link") for kind in ("LFp", "Dp") for p in range(len(scales))
                            if hasattr(m, f"{kind}_{p}_{j}_link")]
    built.earlier_costs = list(built.cost_only)
    if sum(len(c) if c.is_indexed() else 1 for c in built.cost_only) < COST_ONLY_MIN:
        built.cost_only = []  # a small model: switching them costs the persistent solver more than it saves
    one_off = {lv.name: lv.one_off_musd for lv in data.levers}
    m.spend = pyo.Expression(expr=sum(one_off[n] * m.adopt[n, T - 1] for n in lever_names)
                             + sum(route[r].switch_musd * m.enter[r, j] for r in route_names for j in range(T))
                             + data.expansion_musd_per_gwh * (m.size[T - 1] - current_plant))
    return built


def _aggregation(sp: Space, e: Expansion) -> tuple[list[int], dict[tuple[tuple[int, int], int], list[tuple[int, tuple[int, int]]]]]:
    """The monomials of ``e`` linearized one by one (``plain``: every single, and the pairs of small blocks), and the
    pairs grouped by their outer alternative: a pair of blocks whose larger block has at least ``GROUP_MIN``
    alternatives besides its anchor (a route family with blends) is linearized per alternative of the smaller block,
    outer × Σ over the larger block (inner), instead of per pair. Returns (plain, {(outer (b, a), inner block):
    [(monomial, inner (b, a))]})."""
    plain: list[int] = []
    grouped: dict[tuple[tuple[int, int], int], list[tuple[int, tuple[int, int]]]] = {}
    for i, mono in enumerate(e.monomials):
        if len(mono) == 2:
            (b1, _), (b2, _) = mono
            n1, n2 = len(sp.alternatives[b1]), len(sp.alternatives[b2])
            if max(n1, n2) - 1 >= GROUP_MIN:
                inner, outer = (mono[0], mono[1]) if n1 >= n2 else (mono[1], mono[0])
                grouped.setdefault((outer, inner[0]), []).append((i, inner))
                continue
        plain.append(i)
    return plain, grouped


def _grouped(m, name: str, outer, terms: list[tuple[float, object, float, float]]):
    """``outer × Σ c x`` (exact) for binary ``outer`` and terms (c, x, lo, hi) whose x lie in {0} ∪ [lo, hi] with at most one
    x nonzero (they are products of one block's alternatives, which exclude each other); 0 when every c is 0."""
    terms = [t for t in terms if t[0] != 0]
    if not terms:
        return 0.0
    lo = min(0.0, *(min(c * a, c * b) for c, _, a, b in terms))
    hi = max(0.0, *(max(c * a, c * b) for c, _, a, b in terms))
    return _product(m, name, outer, sum(c * x for c, x, _, _ in terms), lo, hi)


def _monomial(m, e: Expansion, i: int, j: int):
    """The binary (a Y variable) or product of two binaries (an exact continuous W) of monomial i in year j."""
    import pyomo.core as pyo

    mono = e.monomials[i]
    if len(mono) == 1:
        b, a = mono[0]
        return m.Y[b, a, j]
    (b1, a1), (b2, a2) = mono
    w = pyo.Var(bounds=(0, 1))
    m.add_component(f"W_{j}_{i}", w)
    c = pyo.ConstraintList()
    m.add_component(f"W_{j}_{i}_link", c)
    c.add(w <= m.Y[b1, a1, j])
    c.add(w <= m.Y[b2, a2, j])
    c.add(w >= m.Y[b1, a1, j] + m.Y[b2, a2, j] - 1)
    return w


def _size_product(m, mono, i: int, j: int, lo: float, hi: float):
    """monomial × plant size (GWh), created once per monomial and year."""
    name = f"S_{j}_{i}"
    if hasattr(m, name):
        return getattr(m, name)
    return _product(m, name, mono, m.size[j], lo, hi)


def set_objective(built: Built, kind: str, bound: float | None = None, spend_bound: float | None = None) -> None:
    """``final_cost`` (optionally with spend ≤ bound), ``spend`` (with final cost ≤ bound), or ``all_years``
    (sum of yearly costs with final cost ≤ bound and spend ≤ spend_bound: benefits as early as possible)."""
    import pyomo.core as pyo

    m = built.model
    for name in ("obj", "limit", "limit2"):
        if hasattr(m, name):
            m.del_component(name)
    last = len(m.costs) - 1
    for c in built.cost_only:  # earlier years' costs matter only to the sum of yearly costs
        c.activate() if kind == "all_years" else c.deactivate()
    if kind == "final_cost":
        m.obj = pyo.Objective(expr=m.costs[last], sense=pyo.minimize)
        if bound is not None:
            m.limit = pyo.Constraint(expr=m.spend <= bound)
    elif kind == "spend":
        m.obj = pyo.Objective(expr=m.spend, sense=pyo.minimize)
        m.limit = pyo.Constraint(expr=m.costs[last] <= bound)
    elif kind == "all_years":
        m.obj = pyo.Objective(expr=sum(m.costs[j] for j in range(last + 1)), sense=pyo.minimize)
        m.limit = pyo.Constraint(expr=m.costs[last] <= bound)
        m.limit2 = pyo.Constraint(expr=m.spend <= spend_bound)
    else:
        raise ValueError(kind)


def picks(built: Built) -> list[tuple[int, ...]]:
    """The chosen alternative per block, for every year, from the loaded solution."""
    import pyomo.core as pyo

    m, sp = built.model, built.space
    out = []
    for j in range(len(built.expansions)):
        out.append(tuple(max(range(len(sp.alternatives[b])), key=lambda a, b=b: pyo.value(m.Y[b, a, j]))
                         for b in range(len(sp.blocks))))
    return out
