"""Tidy result tables: cost components, masses and metrics per scenario, design and year.

Costs are reported in USD/kWh and CNY/Wh (1 USD/kWh = fx/1000 CNY/Wh).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.engine.cost import ALL_COMPONENTS, METRICS, DesignCost

KEYS = ["scenario", "design", "year"]


@dataclass(frozen=True)
class Results:
    """Results of one or more evaluations.

    Attributes:
        costs: scenario, design, year, component, category, value, unit (USD/kWh and CNY/Wh rows).
        masses: scenario, design, year, part, value, unit (kg/kWh).
        metrics: scenario, design, year, metric, value, unit.
        bom: scenario, design, year, component, item, quantity, quantity_unit, price_usd, yield,
            usd_per_kwh (quantity × price_usd: the net line; the scrap of the material, quantity / yield − quantity,
            is in the scrap components), the material lines behind ``costs``.
        fx: scenario, year, cny_per_usd.
        reference: the design others are compared with.
    """

    costs: pd.DataFrame
    masses: pd.DataFrame
    metrics: pd.DataFrame
    bom: pd.DataFrame
    fx: pd.DataFrame
    reference: str

    def breakdown(self, unit: str = "USD/kWh") -> pd.DataFrame:
        """Components as rows, (scenario, design, year) as columns, in ``unit``."""
        frame = self.costs[self.costs["unit"] == unit]
        wide = frame.pivot_table(index=["category", "component"], columns=KEYS, values="value", sort=False)
        return wide

    def summary(self) -> pd.DataFrame:
        """One row per scenario, design and year: cost, energy density, gap to the reference."""
        usd = self.costs[self.costs["unit"] == "USD/kWh"]
        cny = self.costs[self.costs["unit"] == "CNY/Wh"]
        out = usd.groupby(KEYS, sort=False)["value"].sum().rename("usd_per_kwh").to_frame()
        out["cny_per_wh"] = cny.groupby(KEYS, sort=False)["value"].sum()
        by_cat = usd.pivot_table(index=KEYS, columns="category", values="value", aggfunc="sum", sort=False)
        for cat in ("materials", "manufacturing"):
            out[f"{cat}_usd_per_kwh"] = by_cat[cat]
        met = self.metrics.pivot_table(index=KEYS, columns="metric", values="value", sort=False)
        for m in ("wh_per_kg", "wh_per_l", "cell_ah", "cell_wh"):
            out[m] = met[m]
        out = out.reset_index()
        ref = out[out["design"] == self.reference][["scenario", "year", "usd_per_kwh", "cny_per_wh"]]
        ref = ref.rename(columns={"usd_per_kwh": "ref_usd", "cny_per_wh": "ref_cny"})
        out = out.merge(ref, on=["scenario", "year"], how="left")
        out["gap_usd_per_kwh"] = out["usd_per_kwh"] - out["ref_usd"]
        out["gap_cny_per_wh"] = out["cny_per_wh"] - out["ref_cny"]
        out["gap_pct"] = 100.0 * out["gap_usd_per_kwh"] / out["ref_usd"]
        return out.drop(columns=["ref_usd", "ref_cny"])

    def top_components(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` largest components per scenario, design and year (USD/kWh)."""
        usd = self.costs[self.costs["unit"] == "USD/kWh"]
        return usd.sort_values("value", ascending=False, kind="stable").groupby(KEYS, sort=False).head(n)


def build_results(
    evaluated: Mapping[tuple[str, str, int], DesignCost],
    fx: Mapping[tuple[str, int], float],
    reference: str,
) -> Results:
    """Tidy tables from scalar evaluations keyed by (scenario, design, year).

    Args:
        evaluated: one DesignCost with scalar (0-d or 1-element) arrays per key.
        fx: CNY per USD per (scenario, year), for the CNY/Wh rows.
        reference: the reference design.
    """
    costs, masses, metrics, bom = [], [], [], []
    for (scenario, design, year), res in evaluated.items():
        rate = fx[(scenario, year)]
        for comp, arr in res.components.items():  # in ALL_COMPONENTS order; anode_active_2 only in a blended design
            cat = ALL_COMPONENTS[comp]
            v = float(np.asarray(arr).reshape(-1)[0])
            costs.append((scenario, design, year, comp, cat, v, "USD/kWh"))
            costs.append((scenario, design, year, comp, cat, v * rate / 1000.0, "CNY/Wh"))
        for part, arr in res.masses.items():
            masses.append((scenario, design, year, part, float(np.asarray(arr).reshape(-1)[0]), "kg/kWh"))
        for comp, (item, qty, qunit, price, yld) in res.bom.items():
            q, p, y = (float(np.asarray(a).reshape(-1)[0]) for a in (qty, price, yld))
            bom.append((scenario, design, year, comp, item, q, qunit, p, y, q * p))
        for m, unit in METRICS.items():
            metrics.append((scenario, design, year, m, float(np.asarray(res.metrics[m]).reshape(-1)[0]), unit))
    return Results(
        costs=pd.DataFrame(costs, columns=[*KEYS, "component", "category", "value", "unit"]),
        masses=pd.DataFrame(masses, columns=[*KEYS, "part", "value", "unit"]),
        metrics=pd.DataFrame(metrics, columns=[*KEYS, "metric", "value", "unit"]),
        bom=pd.DataFrame(bom, columns=[*KEYS, "component", "item", "quantity", "quantity_unit", "price_usd", "yield", "usd_per_kwh"]),
        fx=pd.DataFrame([(s, y, r) for (s, y), r in fx.items()], columns=["scenario", "year", "cny_per_usd"]),
        reference=reference,
    )


def concat_results(parts: list[Results]) -> Results:
    """Stack several Results (e.g. one per scenario) into one; the first part's reference is kept."""
    if not parts:
        raise ValueError("nothing to combine")
    tables = {}
    for name in ("costs", "masses", "metrics", "bom", "fx"):
        tables[name] = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
    return Results(**tables, reference=parts[0].reference)
