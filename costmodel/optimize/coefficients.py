"""Cost coefficients of the path model, computed by the engine.

At a point of the decision space (one alternative per lever group and route family) and in year t,
with the plant at the reference size and learning switched off, the engine gives
    YM   gross materials × Y, USD/kWh      (BOM lines, electrode and assembly scrap, import duty;
                                           Y: formation yield, SG&A and margin multiplier, -)
    YA   (capital + maintenance) × overhead × Y, USD/kWh at the reference plant size
    YB   labour × overhead × Y, USD/kWh at the reference plant size
    YE   energy × overhead × Y, USD/kWh
    Y    the multiplier itself (for supplier price premiums)
    mass:<item>  active-material mass of each supplied item, kg/kWh divided by its material yield (a blended anode's
                 two materials each at their share: ``anode_active`` and ``anode_active_2``)
and its cost at plant size P and mid-year cumulative output x is exactly
    YM + (YA s_c(P) + YB s_l(P) + YE) × LF(x),   s(P) = (P / P_ref)^(exponent − 1),
    LF(x) = 1 − φ + φ max((x / x_ref)^(−b), floor).

Each quantity F is expanded around an anchor point (one alternative per block, see ``choices``):
    F(point) = F(anchor) + Σ_i c_i m_i + Σ_{i<j} c_ij m_i m_j
with m_i = 1 when block i leaves its anchor alternative for the one named. Inside a block every
combination is its own alternative, so the expansion is exact when there are at most two blocks,
and exact at the anchor and at every point that differs from it in at most two blocks otherwise;
the path model re-anchors at its own answer so the reported path is costed exactly. The learning
curve's piecewise-linear envelope is then the only approximation (``tangents``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from costmodel.engine.blend import BLEND_LINE
from costmodel.engine.inputs import PriceBook
from costmodel.model import Model
from costmodel.optimize.choices import Space, label, route_changes
from costmodel.optimize.data import OptimizerData
from costmodel.scenario import apply_overrides
from costmodel.validation import InputError, Problem

QUANTITIES = ("YM", "YA", "YB", "YE", "Y")
#: relative size below which an expansion coefficient is treated as zero
PRUNE = 1e-6
#: BOM lines whose items' supply the model tracks: the active materials (both materials of a blended anode)
SUPPLIED = ("cathode_active", "anode_active", BLEND_LINE)


@dataclass(frozen=True)
class Globals:
    """Plant, learning and price figures the path model needs (units as in the catalog)."""

    ref_plant: float
    exp_capex: float
    exp_labour: float
    learning_share: float
    learning_rate: float
    learning_ref: float
    learning_floor: float
    cumulative0: float
    utilisation: float
    fx: dict[int, float]
    price_usd: dict[tuple[str, int], float]  # (item, year) → resolved table price, USD/kg
    price_shift: dict[tuple[str, int], float]  # (item, year) → price-link shift, USD/kg
    #: (item, year) → factor on every supplier's contract price of the item (a price future moves contracts with the
    #: market, ``stochastic``); 1 when absent
    contract_scale: dict[tuple[str, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Expansion:
    """Second-order expansion of the engine quantities in one year.

    Attributes:
        year: the year.
        anchor: anchor alternative per block.
        monomials: ``((b, a),)`` or ``((b, a), (b2, a2))``: block b at alternative a (≠ anchor).
        const: quantity → value at the anchor.
        coef: quantity → coefficient per monomial.
    """

    year: int
    anchor: tuple[int, ...]
    monomials: tuple[tuple[tuple[int, int], ...], ...]
    const: dict[str, float]
    coef: dict[str, np.ndarray]

    def value(self, picks: tuple[int, ...], quantity: str) -> float:
        """The expansion's value of ``quantity`` at one alternative per block."""
        if quantity not in self.coef:
            return self.const.get(quantity, 0.0)
        on = np.array([all(picks[b] == a for b, a in mono) for mono in self.monomials], dtype=bool)
        return float(self.const[quantity] + self.coef[quantity][on].sum())


def globals_of(model: Model, data: OptimizerData, years: tuple[int, ...], items: set[str]) -> Globals:
    """The plant and learning figures of ``data.design`` and the resolved prices of ``items``."""
    d = data.design
    g = model.parameters(years[0]).values
    price_usd, shift = {}, {}
    static = model.dataset.static
    for y in years:
        values = model.parameters(y).values
        book = PriceBook(values, static)
        for it in items:
            price_usd[(it, y)] = float(book[it])
            shift[(it, y)] = float(book[it]) - float(static.price_units[it].to_canonical(values[f"price.{it}"], values["fx.cny_per_usd"]))
    return Globals(
        ref_plant=g["global.capex_ref_plant_gwh"], exp_capex=g["global.capex_scale_exponent"],
        exp_labour=g["global.labour_scale_exponent"], learning_share=g[f"design.{d}.learning_share"],
        learning_rate=g["global.learning_rate"], learning_ref=g["global.learning_ref_cumulative_gwh"],
        learning_floor=g["global.learning_floor"], cumulative0=g[f"design.{d}.cumulative_output_gwh"],
        utilisation=g[f"design.{d}.utilisation"], fx={y: model.parameters(y).values["fx.cny_per_usd"] for y in years},
        price_usd=price_usd, price_shift=shift,
    )


def _effects(model: Model, data: OptimizerData, sp: Space, year: int) -> list[list[tuple[dict, dict]]]:
    """Changed (values, choices) of every alternative of every group in ``year``; groups must touch
    disjoint parameters, so any combination of alternatives is the union of their changes."""
    pset = model.parameters(year)
    lever = {lv.name: lv.changes for lv in data.levers}
    routes = {r.name: r for r in data.routes}
    out: list[list[tuple[dict, dict]]] = []
    touched: dict[str, str] = {}
    problems: list[Problem] = []
    for grp in sp.groups:
        effects = []
        for alt in grp.alternatives:
            if alt is None:
                effects.append(({}, {}))
                continue
            changes = lever[alt] if grp.kind == "lever" else route_changes(alt, routes, grp.blends)  # type: ignore[index]
            values, choices = apply_overrides(pset, changes, where=f"{grp.kind} {label(alt)}")
            dv = {k: v for k, v in values.items() if v != pset.values[k]}
            dc = {k: v for k, v in choices.items() if v != pset.choices[k]}
            for key in (*dv, *dc):
                other = touched.setdefault(key, grp.name)
                if other != grp.name:
                    problems.append(Problem(f"{grp.kind} {label(alt)}", f"changes {key}, which group {other!r} also changes; "
                                            "levers that change the same parameter belong in one exclusivity group"))
            effects.append((dv, dc))
        out.append(effects)
    if problems:
        raise InputError(problems, "optimizer data")
    return out


def evaluate_points(model: Model, data: OptimizerData, sp: Space, year: int, points: list[tuple[int, ...]],
                    effects: list[list[tuple[dict, dict]]] | None = None,
                    prices: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Engine quantities (see the module docstring) at ``points`` (alternative index per group), one
    vectorized engine call per combination of choices (routes).

    With ``prices`` (``price.<item>`` → N quoted prices, one per price future) every point is evaluated in every
    future and each quantity is an array points × N; without, an array over the points.
    """
    d = data.design
    pset = model.parameters(year)
    eff = effects if effects is not None else _effects(model, data, sp, year)
    n = len(points)
    nf = len(next(iter(prices.values()))) if prices else 1
    out = {q: np.zeros((n, nf)) for q in QUANTITIES}
    batches: dict[tuple, list[int]] = {}
    for i, pt in enumerate(points):
        ch = {}
        for g, a in enumerate(pt):
            ch.update(eff[g][a][1])
        batches.setdefault(tuple(sorted(ch.items())), []).append(i)
    for chosen, idx in batches.items():
        choices = {**pset.choices, **dict(chosen)}
        keys = sorted({k for g in range(len(sp.groups)) for a in {points[i][g] for i in idx} for k in eff[g][a][0]})
        values = dict(pset.values)
        for k in keys:
            col = np.full(len(idx), pset.values[k], dtype=float)
            for r, i in enumerate(idx):
                for g, a in enumerate(points[i]):
                    if k in eff[g][a][0]:
                        col[r] = eff[g][a][0][k]
            values[k] = np.repeat(col, nf)  # row r × nf + f: point idx[r] in future f
        for k, v in (prices or {}).items():  # a lever's change of a price (x1.3) stays a factor on the drawn price
            values[k] = np.tile(np.asarray(v, dtype=float), len(idx)) * (np.asarray(values[k], dtype=float) / pset.values[k])
        values[f"design.{d}.plant_capacity_gwh"] = values["global.capex_ref_plant_gwh"]
        values[f"design.{d}.learning_share"] = 0.0
        res = model.evaluate_arrays(values, choices, [d])[d]
        shape = (len(idx) * nf,)
        c = {k: np.broadcast_to(np.asarray(v, dtype=float), shape) for k, v in res.components.items()}
        over = 1.0 + np.asarray(values["global.plant_overhead_rate"], dtype=float)
        materials = np.broadcast_to(np.asarray(res.gross_materials, dtype=float), shape)
        a_, b_, e_ = (c["capital"] + c["maintenance"]) * over, c["labour"] * over, c["energy"] * over
        total = np.broadcast_to(np.asarray(res.total, dtype=float), shape)
        y = total / (materials + a_ + b_ + e_)
        for q, v in (("YM", y * materials), ("YA", y * a_), ("YB", y * b_), ("YE", y * e_), ("Y", y)):
            out[q][idx] = v.reshape(len(idx), nf)
        for comp in SUPPLIED:
            if comp not in res.bom:
                continue  # the blend line, in a design without a blend
            item, qty, _, _, yld = res.bom[comp]
            mass = np.broadcast_to(np.asarray(qty / yld, dtype=float), shape)
            out.setdefault(f"mass:{item}", np.zeros((n, nf)))[idx] += mass.reshape(len(idx), nf)
    return out if prices else {q: v[:, 0] for q, v in out.items()}


def expand(model: Model, data: OptimizerData, sp: Space, year: int, anchor: tuple[int, ...],
           prices: dict[str, np.ndarray] | None = None) -> Expansion | list[Expansion]:
    """Second-order expansion of the engine quantities around ``anchor`` (alternative per block) in ``year``.

    With ``prices`` (``price.<item>`` → N quoted prices, one per price future): one expansion per future, from one
    vectorized engine call per combination of choices.
    """
    nb = len(sp.blocks)
    singles = [((b, a),) for b in range(nb) for a in range(len(sp.alternatives[b])) if a != anchor[b]]
    pairs = [(s[0], t[0]) for s, t in itertools.combinations(singles, 2) if s[0][0] != t[0][0]]

    def point(monomial) -> tuple[int, ...]:
        picks = list(anchor)
        for b, a in monomial:
            picks[b] = a
        return sp.point(tuple(picks))

    monos = [(), *singles, *pairs]
    vals = evaluate_points(model, data, sp, year, [point(m) for m in monos], _effects(model, data, sp, year), prices)
    if prices:
        nf = len(next(iter(prices.values())))
        return [_expansion(year, anchor, singles, pairs, {q: v[:, f] for q, v in vals.items()}) for f in range(nf)]
    return _expansion(year, anchor, singles, pairs, vals)


def _expansion(year: int, anchor: tuple[int, ...], singles: list, pairs: list, vals: dict[str, np.ndarray]) -> Expansion:
    """The expansion from the engine quantities at the anchor, the singles and the pairs (in that order)."""
    monos = [(), *singles, *pairs]
    where = {m: i for i, m in enumerate(monos)}
    const = {q: float(v[0]) for q, v in vals.items()}
    coef: dict[str, np.ndarray] = {}
    for q, v in vals.items():
        single = v[1:1 + len(singles)] - v[0]
        pair = np.array([v[where[p]] - v[where[(p[0],)]] - v[where[(p[1],)]] + v[0] for p in pairs])
        coef[q] = np.concatenate([single, pair]) if pairs else single
    # effects below PRUNE (relative to the quantity) to zero: round-off noise and negligible interactions,
    # which would otherwise reach the solver as matrix entries under its 1e-9 drop tolerance; then drop
    # the pairs left without any interaction
    for q, cq in coef.items():
        cq[np.abs(cq) <= PRUNE * (1.0 + abs(const[q]))] = 0.0
    keep = list(range(len(singles))) + [len(singles) + j for j in range(len(pairs)) if any(coef[q][len(singles) + j] for q in coef)]
    monomials = tuple((*singles, *pairs)[i] for i in keep)
    return Expansion(year, tuple(anchor), monomials, const, {q: c[keep] for q, c in coef.items()})


def learning_g(c: Globals, x):
    """Learnable-part multiplier max((x / x_ref)^(−b), floor) (-)."""
    b = -np.log2(1.0 - c.learning_rate)
    return np.maximum((np.asarray(x, dtype=float) / c.learning_ref) ** (-b), c.learning_floor)


def tangents(c: Globals, lo: float, hi: float, n: int = 17) -> tuple[np.ndarray, np.ndarray, float]:
    """Tangent lines (slope, intercept) of the convex learning curve at geometric points in [lo, hi] (GWh).

    Their maximum is a lower envelope of the curve; returns the worst relative gap on [lo, hi]
    (the piecewise-linearization error bound of the learnable part).
    """
    b = -np.log2(1.0 - c.learning_rate)
    pts = np.geomspace(lo, hi, n)
    gv = (pts / c.learning_ref) ** (-b)
    slope = -b * gv / pts
    intercept = gv - slope * pts
    grid = np.geomspace(lo, hi, 4001)
    true = learning_g(c, grid)
    env = np.maximum((slope[None, :] * grid[:, None] + intercept[None, :]).max(axis=1), c.learning_floor)
    err = float(np.max((true - env) / true))
    return slope, intercept, err
