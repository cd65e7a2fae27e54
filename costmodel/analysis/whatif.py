"""What-if: base vs overridden inputs per design, with deltas and the gap to the reference design."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from costmodel.model import Model


def what_if(model: Model, overrides: Sequence, year: int | None = None, designs: Sequence[str] | None = None,
            where: str = "--set") -> pd.DataFrame:
    """Per design: base and what-if cost, the change, and the gap to the reference design before and after.

    Args:
        model: the model. overrides: ``Override`` objects or their text (``price.li2co3=200000``,
            ``price.vc=x2``, ``price.fec=+20%``, ``design.nfpp.anode_material=hc_bamboo``).
        year: price year (the base year when omitted). designs: all when omitted.
        where: where the overrides come from, named in input problems.

    Returns:
        design, base_usd_per_kwh, whatif_usd_per_kwh, delta_usd_per_kwh, delta_pct, base_cny_per_wh,
        whatif_cny_per_wh, delta_cny_per_wh, base_gap_usd_per_kwh, whatif_gap_usd_per_kwh, base_gap_pct,
        whatif_gap_pct (gap = design − reference, % of the reference).

    Raises:
        InputError: an override that cannot be applied (unknown parameter, wrong kind of value, out of bounds).
    """
    from costmodel.scenario import apply_overrides

    pset = model.parameters(year)
    values, choices = apply_overrides(pset, overrides, where=where)
    base = model.evaluate(pset.year, designs, "base").summary().set_index("design")
    new = model.evaluate(pset.year, designs, "whatif", values, choices).summary().set_index("design")
    out = pd.DataFrame({
        "base_usd_per_kwh": base["usd_per_kwh"],
        "whatif_usd_per_kwh": new["usd_per_kwh"],
        "delta_usd_per_kwh": new["usd_per_kwh"] - base["usd_per_kwh"],
        "delta_pct": 100.0 * (new["usd_per_kwh"] / base["usd_per_kwh"] - 1.0),
        "base_cny_per_wh": base["cny_per_wh"],
        "whatif_cny_per_wh": new["cny_per_wh"],
        "delta_cny_per_wh": new["cny_per_wh"] - base["cny_per_wh"],
        "base_gap_usd_per_kwh": base["gap_usd_per_kwh"],
        "whatif_gap_usd_per_kwh": new["gap_usd_per_kwh"],
        "base_gap_pct": base["gap_pct"],
        "whatif_gap_pct": new["gap_pct"],
    })
    out.insert(0, "year", pset.year)
    return out.reset_index()
