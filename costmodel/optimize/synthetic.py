"""Synthetic optimizer instances for scaling checks (benchmark, time-limit tests).

``large_tables`` builds optimizer tables with G exclusive groups of 3 levers (each lever scales one
design parameter by 3, 6 or 9 %, earliest 2026-2028), 50 suppliers, 4 hard-carbon routes (with the bundled
blend_step of 0.1 they and their blends are 49 alternatives a year; hc_bamboo2 is hc_bamboo again, so the two are
not blended) and demand over 10 years; ``extended_model`` holds the bundled prices and FX at their last year's level so
the horizon can run past the price table. The figures are invented for timing, not for answers.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from costmodel.model import Model
from costmodel.optimize.data import read_default_tables

PARAMS = ("cathode_loading_mg_cm2", "electrolyte_fill_factor", "cathode_foil_um", "anode_foil_um", "separator_um",
          "cell_extras_kg", "cathode_foil_margin", "separator_overhang", "anode_overhang", "np_ratio")


def large_tables(groups: int = 10, suppliers: int = 50, start: int = 2026, years: int = 10) -> dict[str, pd.DataFrame]:
    """Optimizer tables for design nfpp: ``groups`` (≤ 10) × 3 levers, ``suppliers`` suppliers, 4 routes."""
    t = read_default_tables()
    levers = []
    for g, p in enumerate(PARAMS[:groups]):
        for s in range(3):
            factor = 1 + (0.03 * (s + 1)) * (1 if p == "cathode_loading_mg_cm2" else -1)
            levers.append((f"l{g}_{s}", "nfpp", f"design.nfpp.{p}=x{factor:.3f}", str(start + s), str(2 + 3 * s), f"g{g}",
                           "synthetic", "", "assumption"))
    t["levers"] = pd.DataFrame(levers, columns=t["levers"].columns)
    routes = t["routes"][t["routes"]["family"] == "hard_carbon"]
    extra = routes[routes["route"] == "hc_bamboo"].assign(route="hc_bamboo2", switch_musd="4")
    t["routes"] = pd.concat([routes, extra], ignore_index=True)
    items = ("hc_coconut", "hc_bamboo", "hc_pitch", "nfpp", "nfpp")
    t["suppliers"] = pd.DataFrame([(f"s{n}", items[n % 5], str(4 + n % 7), str(20000 + 900 * n), "CNY/t", str(start + (n // 5) % 3),
                                    "synthetic", "", "assumption") for n in range(suppliers)], columns=t["suppliers"].columns)
    t["demand"] = pd.DataFrame([(str(y), "nfpp", str(8 * 1.5 ** (y - start)), str(9 * 1.6 ** (y - start)), "synthetic", "", "assumption")
                                for y in range(start, start + years)], columns=t["demand"].columns)
    return t


def extended_model(model: Model, last: int) -> Model:
    """``model``'s data with prices and FX of its last year repeated up to ``last``."""
    ds = model.dataset
    final = max(ds.years)
    prices = [ds.prices[ds.prices["year"] == final].assign(year=y) for y in range(final + 1, last + 1)]
    fx = [ds.fx[ds.fx["year"] == final].assign(year=y) for y in range(final + 1, last + 1)]
    return Model(dataclasses.replace(ds, prices=pd.concat([ds.prices, *prices]), fx=pd.concat([ds.fx, *fx])))
