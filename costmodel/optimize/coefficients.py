"""Cost coefficients for the path model, computed by the engine for every lever combination and route.

For option k = (set of adopted levers, route) and year t the engine gives, with the plant at the
reference size and learning switched off (so every scale and learning factor is 1):
    M[k,t]   materials, USD/kWh
    A[k,t]   capital + maintenance incl. plant overhead, USD/kWh at the reference plant size
    B[k,t]   labour incl. plant overhead, USD/kWh at the reference plant size
    E[k,t]   energy incl. plant overhead, USD/kWh
    Y[k]     cost multiplier for cell yield, SG&A and margin (total = Y × (M + conversion))
    m[k,i]   active-material mass of item i, kg/kWh (per electrode yield), for supplier volumes
The engine's cost at plant size P and cumulative output x is then exactly
    Y × (M + (A s_c(P) + B s_l(P) + E) × LF(x)),  s(P) = (P / P_ref)^(exponent − 1),
    LF(x) = 1 − φ + φ max((x / x_ref)^(−b), floor),
so the only approximation in the optimizer is the piecewise-linear learning curve.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from costmodel.model import Model
from costmodel.optimize.data import Lever, OptimizerData, Route
from costmodel.scenario import apply_overrides


@dataclass(frozen=True)
class Option:
    """One (lever set, route) option."""

    levers: tuple[str, ...]
    route: str


@dataclass(frozen=True)
class Coefficients:
    """Engine coefficients per option and year (see the module docstring for units)."""

    options: tuple[Option, ...]
    years: tuple[int, ...]
    M: np.ndarray  # (options, years)
    A: np.ndarray
    B: np.ndarray
    E: np.ndarray
    Y: np.ndarray  # (options, years)
    mass: dict[str, np.ndarray]  # item -> (options,) kg/kWh divided by electrode yield
    price_usd: dict[tuple[str, int], float]  # (item, year) -> table price USD/kg
    fx: dict[int, float]
    ref_plant: float
    exp_capex: float
    exp_labour: float
    learning_share: float
    learning_rate: float
    learning_ref: float
    learning_floor: float
    cumulative0: float
    utilisation: float


def lever_sets(levers: tuple[Lever, ...]) -> list[tuple[str, ...]]:
    """Every set of levers with at most one lever per exclusivity group."""
    groups: dict[str, list[str]] = {}
    for lv in levers:
        groups.setdefault(lv.group, []).append(lv.name)
    choices = [[None, *names] for names in groups.values()]
    return [tuple(sorted(x for x in combo if x)) for combo in itertools.product(*choices)]


def option_values(model: Model, data: OptimizerData, option: Option, year: int):
    """Flat (values, choices) of an option in a year (lever and route overrides applied), before plant size
    and learning are set."""
    lv = {x.name: x for x in data.levers}
    rt = {r.name: r for r in data.routes}
    overrides = [c for name in option.levers for c in lv[name].changes] + [rt[option.route].change]
    return apply_overrides(model.parameters(year), overrides, where=f"option {option}")


def compute(model: Model, data: OptimizerData, years: tuple[int, ...]) -> Coefficients:
    """Evaluate every option in every year with the engine (one vectorized call per route and lever pattern)."""
    d = data.design
    options = tuple(Option(s, r.name) for r in data.routes for s in lever_sets(data.levers))
    n, T = len(options), len(years)
    M, A, B, E, Y = (np.empty((n, T)) for _ in range(5))
    items = {"cathode_active", "anode_active"}
    mass: dict[str, np.ndarray] = {}
    price_usd: dict[tuple[str, int], float] = {}
    p0 = model.parameters(years[0])
    g = p0.values
    lv = {x.name: x for x in data.levers}
    rt = {r.name: r for r in data.routes}
    for j, year in enumerate(years):
        pset = model.parameters(year)
        # each lever's changed keys, computed once; levers in different groups must not touch the same key
        effect = {name: {k: v for k, v in apply_overrides(pset, x.changes, where=f"lever {name}")[0].items()
                         if v != pset.values[k]} for name, x in lv.items()}
        by_route: dict[str, list[int]] = {}
        for i, opt in enumerate(options):
            by_route.setdefault(opt.route, []).append(i)
        for route, idx in by_route.items():
            base, choices = apply_overrides(pset, [rt[route].change], where=f"route {route}")
            keys = sorted({k for name in lv for k in effect[name]})
            values = dict(base)
            for k in keys:
                col = np.full(len(idx), base[k])
                for r, i in enumerate(idx):
                    for name in options[i].levers:
                        if k in effect[name]:
                            col[r] = effect[name][k]
                values[k] = col
            values[f"design.{d}.plant_capacity_gwh"] = g["global.capex_ref_plant_gwh"]
            values[f"design.{d}.learning_share"] = 0.0
            res = model.evaluate_arrays(values, choices, [d])[d]
            c = {k: np.broadcast_to(np.asarray(v, dtype=float), (len(idx),)) for k, v in res.components.items()}
            over = 1.0 + values["global.plant_overhead_rate"]
            M[idx, j] = sum(c[k] for k in res.bom)
            A[idx, j] = (c["capital"] + c["maintenance"]) * over
            B[idx, j] = c["labour"] * over
            E[idx, j] = c["energy"] * over
            total = np.broadcast_to(np.asarray(res.total, dtype=float), (len(idx),))
            Y[idx, j] = total / (M[idx, j] + A[idx, j] + B[idx, j] + E[idx, j])
            for comp in items:
                item, qty, _, price, yld = res.bom[comp]
                if j == 0:
                    mass.setdefault(item, np.zeros(n))[idx] = np.broadcast_to(np.asarray(qty / yld, dtype=float), (len(idx),))
                price_usd[(item, year)] = float(np.asarray(price).reshape(-1)[0])
    return Coefficients(
        options=options, years=years, M=M, A=A, B=B, E=E, Y=Y, mass=mass, price_usd=price_usd,
        fx={y: model.parameters(y).values["fx.cny_per_usd"] for y in years},
        ref_plant=g["global.capex_ref_plant_gwh"], exp_capex=g["global.capex_scale_exponent"],
        exp_labour=g["global.labour_scale_exponent"], learning_share=g[f"design.{d}.learning_share"],
        learning_rate=g["global.learning_rate"], learning_ref=g["global.learning_ref_cumulative_gwh"],
        learning_floor=g["global.learning_floor"], cumulative0=g[f"design.{d}.cumulative_output_gwh"],
        utilisation=g[f"design.{d}.utilisation"],
    )


def learning_g(c: Coefficients, x):
    """Learnable-part multiplier max((x / x_ref)^(−b), floor) (-)."""
    b = -np.log2(1.0 - c.learning_rate)
    return np.maximum((np.asarray(x, dtype=float) / c.learning_ref) ** (-b), c.learning_floor)


def tangents(c: Coefficients, lo: float, hi: float, n: int = 17) -> tuple[np.ndarray, np.ndarray, float]:
    """Tangent lines (slope, intercept) of the convex learning curve at geometric points in [lo, hi].

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


def route_of(options: tuple[Option, ...], routes: tuple[Route, ...]) -> dict[str, list[int]]:
    """Option indices per route."""
    out: dict[str, list[int]] = {r.name: [] for r in routes}
    for i, o in enumerate(options):
        out[o.route].append(i)
    return out
