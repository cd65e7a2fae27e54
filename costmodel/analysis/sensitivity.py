"""One-at-a-time sensitivity (tornado) and elasticities, every swing of every design in one engine call.

Swings. Every price swings between its low and high from the Prices table (±swing around the value
when the table gives no range); the key design and plant parameters of each design (its materials'
capacity, voltage and first-cycle efficiency, loading, electrolyte fill, N/P ratio, packing, yields,
utilisation, plant size, cumulative output, learning share, housing mass) and the shared plant, finance
and learning globals swing ±swing (10 % by default), clipped to their catalog bounds (a yield of 0.95
+ 10 % stops at 1). FX is available (``kinds`` with ``fx``) but not in the default tornado: it converts
the currency of the result rather than changing what the cell costs to make.

Elasticities are d ln(cost) / d ln(x) by central differences at ±1 % (one-sided where a bound cuts
in; undefined for a parameter whose base value is 0).

Vectorization: with k parameters the engine sees arrays of 4k + 1 scenarios (low, high, −1 %, +1 %
of each parameter, and the base), and all designs are evaluated in that one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from costmodel.analysis.inputs import bounds, design_inputs, price_ranges, totals
from costmodel.model import Model

STEP = 0.01
"""Relative step of the central difference behind the elasticities."""


def _kind(name: str) -> str:
    return name.split(".", 1)[0]


KINDS = ("price", "design", "material", "global", "fx")
DEFAULT_KINDS = ("price", "design", "material", "global")
"""Kinds of parameter (the first part of the flat name)."""


def swing_table(model: Model, year: int | None = None, designs: Sequence[str] | None = None, swing: float = 0.1,
                kinds: Sequence[str] = DEFAULT_KINDS) -> pd.DataFrame:
    """Parameters to swing: parameter, kind, base, low, high, how (``range`` from the data, or ``±10%``).

    ``kinds`` restricts the table, e.g. ``("price",)`` for a market-risk tornado of prices only.
    """
    pset = model.parameters(year)
    designs = model.check_designs(designs)
    ranges = price_ranges(model, pset.year)
    tag = f"±{swing:.0%}"
    rows = []
    for item, r in ranges.iterrows():
        name = f"price.{item}"
        base = float(pset.values[name])
        if np.isfinite(r["low"]) and np.isfinite(r["high"]) and r["high"] > r["low"]:
            rows.append((name, "price", base, min(float(r["low"]), base), max(float(r["high"]), base), "range"))
        else:
            rows.append((name, "price", base, base * (1 - swing), base * (1 + swing), tag))
    seen = {r[0] for r in rows}
    for d in designs:
        for name in design_inputs(d, pset.values, pset.choices):
            if name in seen:
                continue
            seen.add(name)
            base = float(pset.values[name])
            lo_b, hi_b = bounds(name)
            lo, hi = max(lo_b, base * (1 - swing)), min(hi_b, base * (1 + swing))
            clipped = lo != base * (1 - swing) or hi != base * (1 + swing)
            rows.append((name, _kind(name), base, lo, hi, tag + (" (bound)" if clipped else "")))
    frame = pd.DataFrame(rows, columns=["parameter", "kind", "base", "low", "high", "how"])
    return frame[frame["kind"].isin(kinds)].reset_index(drop=True)


def tornado(model: Model, year: int | None = None, designs: Sequence[str] | None = None, swing: float = 0.1,
            kinds: Sequence[str] = DEFAULT_KINDS) -> pd.DataFrame:
    """Tornado table for every design: cost at each parameter's low and high, the swing, the elasticity.

    Args:
        model: the model. year: price year (the base year when omitted). designs: all when omitted.
        swing: relative swing of parameters without a low/high range (0.1 = ±10 %).
        kinds: kinds of parameter to include (``price``, ``design``, ``material``, ``global``, ``fx``).

    Returns:
        One row per design and parameter: design, parameter, kind, base, low, high, how, base_cost,
        cost_low, cost_high (USD/kWh), swing (|cost_high − cost_low|), elasticity, affects (False when
        the design does not depend on the parameter) and rank (1 = largest swing of the design).
        Sorted by design, then by swing; parameters a design does not depend on come last.
    """
    if not 0 < swing < 1:
        raise ValueError("swing must lie between 0 and 1")
    pset = model.parameters(year)
    designs = model.check_designs(designs)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise ValueError(f"kinds must be among {', '.join(KINDS)}; got {', '.join(unknown) or 'none'}")
    table = swing_table(model, pset.year, designs, swing, kinds)
    k = len(table)
    base = table["base"].to_numpy(float)
    lo_b, hi_b = np.array([bounds(p) for p in table["parameter"]]).T
    down = np.clip(base * (1 - STEP), lo_b, hi_b)
    up = np.clip(base * (1 + STEP), lo_b, hi_b)
    # scenario j: [low of each parameter | high | −1 % | +1 % | base]; everything else at its base value
    values = dict(pset.values)
    for i, name in enumerate(table["parameter"]):
        arr = np.full(4 * k + 1, base[i])
        arr[i], arr[k + i] = table["low"].iat[i], table["high"].iat[i]
        arr[2 * k + i], arr[3 * k + i] = down[i], up[i]
        values[name] = arr
    out = totals(model, values, pset.choices, designs)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlnx = np.log(up) - np.log(down)
    frames = []
    for d in designs:
        t = np.broadcast_to(out[d], (4 * k + 1,))
        f = table.copy()
        f.insert(0, "design", d)
        f["base_cost"] = t[-1]
        f["cost_low"], f["cost_high"] = t[:k], t[k:2 * k]
        f["swing"] = np.abs(f["cost_high"] - f["cost_low"])
        with np.errstate(divide="ignore", invalid="ignore"):
            el = (np.log(t[3 * k:4 * k]) - np.log(t[2 * k:3 * k])) / dlnx
        f["elasticity"] = np.where((dlnx > 0) & np.isfinite(el), el, np.nan)
        f["affects"] = f["swing"] > 1e-12 * t[-1]
        f = f.sort_values(["affects", "swing"], ascending=[False, False], kind="stable")
        f["rank"] = np.arange(1, k + 1)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
