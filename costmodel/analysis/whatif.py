"""What-if: base vs overridden inputs per design, with deltas and the gap to the reference design."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from costmodel.model import Model
from costmodel.scenario import Override, apply_overrides


def what_if(model: Model, overrides: Sequence[Override], year: int | None = None, designs: Sequence[str] | None = None) -> pd.DataFrame:
    """Per design: base and what-if cost (USD/kWh, CNY/Wh), delta (USD/kWh and %), gap to the reference in both."""
    pset = model.parameters(year)
    values, choices = apply_overrides(pset, overrides, where="--set")
    base = model.evaluate(pset.year, designs, "base").summary().set_index("design")
    new = model.evaluate(pset.year, designs, "whatif", values, choices).summary().set_index("design")
    out = pd.DataFrame({
        "base_usd_per_kwh": base["usd_per_kwh"],
        "whatif_usd_per_kwh": new["usd_per_kwh"],
        "delta_usd_per_kwh": new["usd_per_kwh"] - base["usd_per_kwh"],
        "delta_pct": 100 * (new["usd_per_kwh"] / base["usd_per_kwh"] - 1),
        "base_cny_per_wh": base["cny_per_wh"],
        "whatif_cny_per_wh": new["cny_per_wh"],
        "base_gap_usd_per_kwh": base["gap_usd_per_kwh"],
        "whatif_gap_usd_per_kwh": new["gap_usd_per_kwh"],
        "base_gap_pct": base["gap_pct"],
        "whatif_gap_pct": new["gap_pct"],
    })
    return out.reset_index()
