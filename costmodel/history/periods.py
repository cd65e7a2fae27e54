"""Months as a period axis: month arithmetic, and the flat engine inputs of a run of months.

A period is a year (an int, as elsewhere) or a month (``YYYY-MM`` text). A month takes the flat parameters of
its year (the Prices table, FX table, designs, plant; a year outside the data takes the nearest year's), then
the month's prices from the price grid, then the scenario's overrides active in that year or month. The result
is one array per parameter that moves across the months (a scalar otherwise), so that every month is evaluated
in one engine call.

A price link (``lfp`` follows ``li2co3``) is re-based on the history: in a month where the target is quoted, its
driver reference is the driver's price of that month (the quote already holds the driver's level); while the
target is carried forward, the reference is the driver's price of the month of the target's last quote, so the
carried price still follows its driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from costmodel.dataset import ParameterSet
from costmodel.history.grid import PriceGrid
from costmodel.model import Model
from costmodel.scenario import Override, apply_overrides


@dataclass(frozen=True)
class MonthlyInputs:
    """Flat engine inputs of consecutive months.

    Attributes:
        months: the months, ``YYYY-MM``.
        values: flat name → array over the months (or a float when it does not move).
        choices: choice parameters per month (one dict per month; usually all equal).
        years: the data year each month's non-price inputs come from.
        notes: what a reader should know (years outside the data, FX source).
    """

    months: tuple[str, ...]
    values: dict[str, np.ndarray | float]
    choices: tuple[dict[str, str], ...]
    years: tuple[int, ...]
    notes: tuple[str, ...] = ()

    def column(self, name: str) -> np.ndarray:
        """The parameter over the months (a scalar broadcast to the months' length)."""
        return np.broadcast_to(np.asarray(self.values[name], dtype=float), (len(self.months),))

    def at(self, i: int) -> tuple[dict[str, float], dict[str, str]]:
        """(values, choices) of month ``i``."""
        return {k: float(np.asarray(v)[i]) if np.ndim(v) else float(v) for k, v in self.values.items()}, dict(self.choices[i])


def data_year(model: Model, month: str) -> int:
    """The data year whose non-price inputs a month takes: its own year, or the nearest year in the data."""
    years = model.dataset.years
    y = int(month[:4])
    return min(max(y, years[0]), years[-1])


def monthly_inputs(model: Model, grid: PriceGrid, overrides: Sequence[Override] = (), where: str = "scenario") -> MonthlyInputs:
    """The flat inputs of every month of ``grid`` (see the module docstring).

    Raises:
        InputError: an override that fails in some month (unknown path, out of bounds), naming the month.
    """
    ds = model.dataset
    static = ds.static
    per_month: list[dict[str, float]] = []
    choices: list[dict[str, str]] = []
    years: list[int] = []
    notes: list[str] = []
    row = {item: i for i, item in enumerate(grid.items)}
    links = {link.target: link for link in static.links}
    outside = sorted({m[:4] for m in grid.months if int(m[:4]) not in ds.years})
    if outside:
        notes.append(f"months of {', '.join(outside)} take the non-price inputs (designs, plant, Prices-table items without "
                     f"history) of the nearest data year ({ds.years[0]}-{ds.years[-1]})")
    for j, month in enumerate(grid.months):
        year = data_year(model, month)
        pset = ds.parameters(year)
        values = pset.values
        if not np.isnan(grid.fx[j]):
            values["fx.cny_per_usd"] = float(grid.fx[j])
        for item, i in row.items():
            v = grid.values[i, j]
            if np.isnan(v) or f"price.{item}" not in values:
                continue
            values[f"price.{item}"] = float(v)
        for target, link in links.items():
            i = row.get(target)
            if i is None or np.isnan(grid.values[i, j]):
                continue
            at = grid.last_quote_month(target, j)
            driver = grid.price_at(link.driver, at) if link.driver in row else None
            driver = values[f"price.{link.driver}"] if driver is None or np.isnan(driver) else driver
            unit = static.price_units[link.driver]
            fx = values["fx.cny_per_usd"]
            values[f"link.{target}.driver_ref"] = float(link.driver_ref_unit.from_canonical(unit.to_canonical(driver, fx), fx))
        if overrides:
            values, chosen = apply_overrides(ParameterSet(year, values, pset.choices, pset.designs, pset.units), overrides,
                                             where=f"{where} ({month})", month=month)
        else:
            chosen = pset.choices
        per_month.append(values)
        choices.append(chosen)
        years.append(year)
    if grid.fx_quoted:
        notes.append("CNY/USD from the history's cny_per_usd series (carried forward between quotes), else the FX table's year")
    return MonthlyInputs(grid.months, _stack(per_month), tuple(choices), tuple(years), tuple(notes))


def _stack(per_month: list[dict[str, float]]) -> dict[str, np.ndarray | float]:
    """One array per parameter that moves across the months, a float for one that does not."""
    keys = per_month[0].keys()
    out: dict[str, np.ndarray | float] = {}
    for k in keys:
        col = np.fromiter((m[k] for m in per_month), dtype=float, count=len(per_month))
        out[k] = float(col[0]) if np.all(col == col[0]) else col
    return out
