"""Break-even: the values of one parameter at which two designs cost the same.

A grid scan (``points`` values, one engine call) brackets every sign change of the gap
g(x) = cost_a(x) − cost_b(x). All brackets are then narrowed together: each round evaluates
``SECTIONS`` + 1 points inside every bracket in one engine call and keeps the sub-interval where
the sign changes (a many-way bisection), until a bracket is narrower than ``rtol`` relative to x;
the crossing is the secant (regula falsi) point of the final bracket. Price links apply, so a
Li2CO3 break-even moves LFP cathode and LiPF6 with lithium.

A gap that touches zero without changing sign between grid points is not found (say so when
the curve in the plot suggests it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.analysis.inputs import bounds, price_ranges
from costmodel.model import Model
from costmodel.validation import InputError, Problem

SECTIONS = 32
"""Sub-intervals per bracket and round of the refinement."""


@dataclass(frozen=True)
class BreakEven:
    """Result of a break-even search.

    Attributes:
        param, a, b, year: the question. base: the parameter's value in the data.
        lo, hi: the range searched (the parameter's unit).
        crossings: parameter values where cost(a) = cost(b), ascending.
        cost_at_crossings: the common cost at each crossing (USD/kWh).
        gap_lo, gap_hi, gap_base: cost(a) − cost(b) at the ends and at the base value (USD/kWh).
        curve: value, cost_<a>, cost_<b> over the grid (USD/kWh).
        extrapolated: without a crossing, where the gap's straight-line trend from the end nearer to
            zero would reach zero (outside the range), else None: a hint for a wider --lo/--hi.
    """

    param: str
    a: str
    b: str
    year: int
    base: float
    lo: float
    hi: float
    crossings: tuple[float, ...]
    cost_at_crossings: tuple[float, ...]
    gap_lo: float
    gap_hi: float
    gap_base: float
    curve: pd.DataFrame
    extrapolated: float | None = None


def default_range(model: Model, param: str, year: int | None = None) -> tuple[float, float]:
    """Search range: a price from a tenth of its low to ten times its high (of the data range); else 0.1x to 10x
    its value, within the parameter's catalog bounds."""
    pset = model.parameters(year)
    base = float(pset.values[param])
    if param.startswith("price."):
        r = price_ranges(model, pset.year)
        item = param[len("price."):]
        if item in r.index:
            lo, hi = float(r.at[item, "low"]), float(r.at[item, "high"])
            lo = lo if np.isfinite(lo) else base
            hi = hi if np.isfinite(hi) else base
            return min(lo, base) / 10.0, max(hi, base) * 10.0
    lo, hi = sorted((0.1 * base, 10.0 * base))
    if not lo < hi:
        lo, hi = -1.0, 1.0
    b_lo, b_hi = bounds(param)
    return max(lo, b_lo), min(hi, b_hi)


def break_even(model: Model, param: str, a: str, b: str, year: int | None = None, lo: float | None = None, hi: float | None = None,
               points: int = 513, rtol: float = 1e-10) -> BreakEven:
    """Every value of ``param`` in [lo, hi] at which designs ``a`` and ``b`` cost the same.

    Args:
        model: the model. param: a flat numeric parameter (``price.li2co3``, ``design.nfpp.cell_yield``).
        a, b: two designs. year: price year (the base year when omitted).
        lo, hi: search range in the parameter's unit (``default_range`` when omitted).
        points: grid points of the scan. rtol: relative width at which a bracket is final.

    Raises:
        InputError: unknown parameter or design, same design twice, empty or invalid range.
    """
    pset = model.parameters(year)
    source = model.dataset.source
    model.check_designs([a, b])
    if a == b:
        raise InputError([Problem("--a/--b", f"compare two different designs (both are {a!r})")], source)
    if param not in pset.values:
        if param in pset.choices:
            msg = f"{param!r} is a choice ({pset.choices[param]!r}), not a number; break-even needs a numeric parameter"
        else:
            import difflib

            close = difflib.get_close_matches(param, list(pset.values), n=3, cutoff=0.6)
            msg = f"unknown numeric parameter {param!r}" + (f"; did you mean {', '.join(close)}?" if close else "")
        raise InputError([Problem("--param", msg)], source)
    dlo, dhi = default_range(model, param, pset.year)
    lo = dlo if lo is None else float(lo)
    hi = dhi if hi is None else float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError([Problem("--lo/--hi", f"need a finite range with lo < hi; got [{lo:g}, {hi:g}]")], source)
    if param.split(".", 1)[0] in ("price", "fx") and lo <= 0:
        raise InputError([Problem("--lo", f"{param} must stay positive; got lo = {lo:g}")], source)

    def costs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        res = model.evaluate_arrays({**pset.values, param: x}, pset.choices, [a, b])
        shape = np.shape(x)
        return (np.broadcast_to(np.asarray(res[a].total, dtype=float), shape),
                np.broadcast_to(np.asarray(res[b].total, dtype=float), shape))

    grid = np.linspace(lo, hi, max(int(points), 3))
    base = float(pset.values[param])
    ca, cb = costs(np.append(grid, base))
    g, gap_base = ca[:-1] - cb[:-1], float(ca[-1] - cb[-1])
    ca, cb = ca[:-1], cb[:-1]
    found = [float(x) for x in grid[g == 0]]
    sign = np.sign(g)
    idx = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    found += _refine(costs, grid[idx], grid[idx + 1], g[idx], g[idx + 1], rtol)
    crossings = tuple(sorted(found))
    at = costs(np.array(crossings))[0] if crossings else ()
    curve = pd.DataFrame({"value": grid, f"cost_{a}": ca, f"cost_{b}": cb})
    return BreakEven(param, a, b, pset.year, base, lo, hi, crossings, tuple(float(v) for v in at), float(g[0]), float(g[-1]),
                     gap_base, curve, None if crossings else _trend(grid, g))


def _trend(grid: np.ndarray, g: np.ndarray) -> float | None:
    """Zero of the straight line through the last two grid points at the end where |gap| is smaller, if outside the grid."""
    if abs(g[-1]) <= abs(g[0]):
        x0, x1, g0, g1 = grid[-2], grid[-1], g[-2], g[-1]
    else:
        x0, x1, g0, g1 = grid[1], grid[0], g[1], g[0]
    if g1 == g0:
        return None
    x = x1 - g1 * (x1 - x0) / (g1 - g0)
    beyond = (x - x1) * (x1 - x0) > 0
    return float(x) if beyond and np.isfinite(x) else None


def _refine(costs, x0: np.ndarray, x1: np.ndarray, g0: np.ndarray, g1: np.ndarray, rtol: float) -> list[float]:
    """Narrow brackets [x0, x1] (g changes sign) together, ``SECTIONS``-way per round, one engine call per round."""
    x0, x1, g0, g1 = (np.array(v, dtype=float) for v in (x0, x1, g0, g1))
    done: list[float] = []
    for _ in range(200):
        if x0.size == 0:
            break
        scale = np.maximum(np.abs(x0), np.abs(x1))
        final = (x1 - x0) <= rtol * np.where(scale > 0, scale, 1.0)
        if final.any():
            done += [float(v) for v in _secant(x0[final], x1[final], g0[final], g1[final])]
            x0, x1, g0, g1 = x0[~final], x1[~final], g0[~final], g1[~final]
            if x0.size == 0:
                break
        t = np.linspace(0.0, 1.0, SECTIONS + 1)[1:-1]
        xs = x0[:, None] + (x1 - x0)[:, None] * t[None, :]
        ca, cb = costs(xs.ravel())
        gs = (ca - cb).reshape(xs.shape)
        xs = np.column_stack([x0, xs, x1])
        gs = np.column_stack([g0, gs, g1])
        exact = gs[:, 1:-1] == 0
        hit = exact.any(axis=1)
        if hit.any():
            done += [float(xs[i, 1 + np.argmax(exact[i])]) for i in np.flatnonzero(hit)]
        keep = ~hit
        xs, gs = xs[keep], gs[keep]
        j = np.argmax(np.sign(gs[:, :-1]) * np.sign(gs[:, 1:]) < 0, axis=1)
        rows = np.arange(len(j))
        x0, x1, g0, g1 = xs[rows, j], xs[rows, j + 1], gs[rows, j], gs[rows, j + 1]
    return done


def _secant(x0, x1, g0, g1) -> np.ndarray:
    """Regula-falsi point of a final bracket (its midpoint if the gap is flat)."""
    den = g1 - g0
    return np.where(den != 0, x0 - g0 * (x1 - x0) / np.where(den != 0, den, 1.0), 0.5 * (x0 + x1))
