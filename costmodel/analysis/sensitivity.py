"""One-at-a-time sensitivity (tornado) and elasticities, all swings in one vectorized engine call.

Prices swing between their low and high (from the Prices table; ±swing where none is given); design,
plant and global parameters swing ±swing (10 % by default), clipped to their catalog bounds. FX is not
swung: it converts the currency of the result rather than changing the cost. Elasticities are
d ln(cost) / d ln(x) by central differences at ±1 %.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from costmodel.analysis.inputs import design_inputs, price_ranges, totals
from costmodel.catalog import load_catalog
from costmodel.model import Model


def _bounds(name: str) -> tuple[float, float]:
    parts = name.split(".")
    scope = parts[0]
    key = (scope, parts[-1]) if scope in ("design", "material", "global") else None
    spec = load_catalog().get(key) if key else None
    return (spec.lower, spec.upper) if spec else (0.0, np.inf)


def swing_table(model: Model, year: int, designs: Sequence[str], swing: float = 0.1) -> pd.DataFrame:
    """Parameters to swing: name, base, low, high, how (``range`` from the data, or ``±swing``)."""
    pset = model.parameters(year)
    ranges = price_ranges(model, year)
    rows = []
    for item, r in ranges.iterrows():
        base = float(pset.values[f"price.{item}"])
        if np.isfinite(r["low"]) and np.isfinite(r["high"]) and r["high"] > r["low"]:
            rows.append((f"price.{item}", base, float(r["low"]), float(r["high"]), "range"))
        else:
            rows.append((f"price.{item}", base, base * (1 - swing), base * (1 + swing), f"±{swing:.0%}"))
    seen = {r[0] for r in rows}
    for d in designs:
        for name in design_inputs(model, d, pset.values, pset.choices):
            if name in seen:
                continue
            seen.add(name)
            base = float(pset.values[name])
            lo, hi = _bounds(name)
            rows.append((name, base, max(lo, base * (1 - swing)), min(hi, base * (1 + swing)), f"±{swing:.0%}"))
    return pd.DataFrame(rows, columns=["parameter", "base", "low", "high", "how"])


def tornado(model: Model, year: int | None = None, designs: Sequence[str] | None = None, swing: float = 0.1) -> pd.DataFrame:
    """Tornado table for every design: cost at each parameter's low and high, swing, elasticity.

    Returns:
        DataFrame with design, parameter, base, low, high, how, cost_low, cost_high, swing (USD/kWh,
        |high − low| cost), elasticity, rank (1 = largest swing per design); sorted by design and rank.
    """
    year = model.base_year if year is None else year
    designs = model.check_designs(designs)
    pset = model.parameters(year)
    table = swing_table(model, year, designs, swing)
    k = len(table)
    cols = {}
    # positions: [low..., high..., -1 %..., +1 %...]; every other parameter stays at its base
    for i, r in enumerate(table.itertuples()):
        arr = np.full(4 * k, r.base)
        arr[i], arr[k + i] = r.low, r.high
        arr[2 * k + i], arr[3 * k + i] = r.base * 0.99, r.base * 1.01
        cols[r.parameter] = arr
    out = totals(model, {**pset.values, **cols}, pset.choices, designs)
    base = totals(model, pset.values, pset.choices, designs)
    frames = []
    for d in designs:
        t = out[d]
        f = table.copy()
        f.insert(0, "design", d)
        f["base_cost"] = float(base[d])
        f["cost_low"], f["cost_high"] = t[:k], t[k:2 * k]
        f["swing"] = np.abs(f["cost_high"] - f["cost_low"])
        f["elasticity"] = (np.log(t[3 * k:]) - np.log(t[2 * k:3 * k])) / (np.log(1.01) - np.log(0.99))
        f = f.sort_values("swing", ascending=False, kind="stable")
        f["rank"] = np.arange(1, k + 1)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
