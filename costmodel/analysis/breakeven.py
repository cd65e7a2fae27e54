"""Break-even: the value of one parameter at which two designs cost the same.

A vectorized grid scan (one engine call) brackets every sign change of cost(a) − cost(b); each
bracket is refined by bisection to a relative width of 1e-12. Price links apply, so a Li2CO3
break-even moves LFP cathode and LiPF6 with lithium.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.analysis.inputs import price_ranges
from costmodel.model import Model
from costmodel.validation import InputError, Problem


@dataclass(frozen=True)
class BreakEven:
    """Result of a break-even search.

    Attributes:
        param, a, b, year: the question. lo, hi: the range searched (parameter units).
        crossings: parameter values where cost(a) = cost(b), ascending.
        gap_lo, gap_hi: cost(a) − cost(b) at the ends (USD/kWh).
        curve: parameter, cost_a, cost_b over the grid (USD/kWh).
    """

    param: str
    a: str
    b: str
    year: int
    lo: float
    hi: float
    crossings: tuple[float, ...]
    gap_lo: float
    gap_hi: float
    curve: pd.DataFrame


def default_range(model: Model, param: str, year: int) -> tuple[float, float]:
    """A wide search range: prices from a tenth of their low to ten times their high; others 0.1x to 10x."""
    base = model.parameters(year).values[param]
    if param.startswith("price."):
        r = price_ranges(model, year).loc[param[6:]]
        lo = r["low"] if np.isfinite(r["low"]) else base
        hi = r["high"] if np.isfinite(r["high"]) else base
        return float(lo) / 10, float(hi) * 10
    return base * 0.1, base * 10


def break_even(model: Model, param: str, a: str, b: str, year: int | None = None,
               lo: float | None = None, hi: float | None = None, points: int = 513) -> BreakEven:
    """Find every value of ``param`` in [lo, hi] where designs ``a`` and ``b`` cost the same."""
    year = model.base_year if year is None else year
    model.check_designs([a, b])
    pset = model.parameters(year)
    if param not in pset.values:
        raise InputError([Problem("--param", f"unknown numeric parameter {param!r}")], model.dataset.source)
    dlo, dhi = default_range(model, param, year)
    lo = dlo if lo is None else lo
    hi = dhi if hi is None else hi
    if not lo < hi:
        raise InputError([Problem("--lo/--hi", f"empty range [{lo:g}, {hi:g}]")], model.dataset.source)

    def gap(x):
        res = model.evaluate_arrays({**pset.values, param: x}, pset.choices, [a, b])
        return np.asarray(res[a].total, dtype=float), np.asarray(res[b].total, dtype=float)

    grid = np.linspace(lo, hi, points)
    ca, cb = gap(grid)
    g = ca - cb
    crossings = []
    for i in np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) <= 0):
        x0, x1, g0 = grid[i], grid[i + 1], g[i]
        if g0 == 0:
            crossings.append(float(x0))
            continue
        for _ in range(200):
            mid = 0.5 * (x0 + x1)
            a_mid, b_mid = gap(mid)
            gm = float(a_mid - b_mid)
            if gm == 0 or (x1 - x0) <= 1e-12 * max(abs(mid), 1e-300):
                break
            if np.sign(gm) == np.sign(g0):
                x0, g0 = mid, gm
            else:
                x1 = mid
        crossings.append(float(0.5 * (x0 + x1)))
    crossings = sorted(set(crossings))
    curve = pd.DataFrame({"value": grid, f"cost_{a}": ca, f"cost_{b}": cb})
    return BreakEven(param, a, b, year, float(lo), float(hi), tuple(crossings), float(g[0]), float(g[-1]), curve)
