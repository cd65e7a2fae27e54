"""Monthly prices from the price history: one value per item and month, with its status.

Quotes are converted to the item's Prices-table unit at the month's CNY/USD rate; several quotes in one month
are averaged (a monthly mean). A month without a quote carries the last quote forward (status ``carried``,
i.e. stale, with the month of that quote and its age), or, with ``fill="linear"``, takes the straight line
between the quotes around it (status ``interpolated``; this looks ahead, so it suits history, not a month's
index as it was known then). Before an item's first quote the Prices table's value of the year is used
(status ``table``; the grid holds NaN there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.history.months import month_range
from costmodel.history.table import FX_ITEM, History
from costmodel.units import PriceUnit, parse_price_unit

FILLS = ("carry", "linear")


@dataclass(frozen=True)
class PriceGrid:
    """Prices per item (rows) and month (columns) over ``months``; lookups reach back to the first quote.

    Attributes:
        months: the months priced, ``YYYY-MM``.
        items: items with history (and a Prices-table unit).
        values: items × months, in each item's Prices-table unit; NaN before its first quote.
        status: items × months: ``quoted``, ``interpolated``, ``carried`` or ``table``.
        last_quote: items × months: the month of the last quote used ('' before the first).
        age: items × months: months since that quote (0 when quoted in the month; -1 before the first).
        fx: CNY per USD per month from the history's ``cny_per_usd`` series (NaN where it has none yet).
        units: item → its Prices-table unit text.
        notes: what the reader should know (quotes of items the data do not price, ignored).
    """

    months: tuple[str, ...]
    items: tuple[str, ...]
    values: np.ndarray
    status: np.ndarray
    last_quote: np.ndarray
    age: np.ndarray
    fx: np.ndarray
    units: Mapping[str, str]
    notes: tuple[str, ...]
    _span: tuple[str, ...] = ()
    _full: np.ndarray | None = None

    @property
    def fx_quoted(self) -> bool:
        """True when the history gives the exchange rate in some month."""
        return bool(np.any(~np.isnan(self.fx)))

    def last_quote_month(self, item: str, j: int) -> str:
        """The month of ``item``'s last quote used in month ``j`` ('' before its first)."""
        return str(self.last_quote[self.items.index(item), j])

    def price_at(self, item: str, month: str) -> float:
        """``item``'s grid price in ``month`` (any month from its first quote on; NaN outside)."""
        if self._full is None or month not in self._span or item not in self.items:
            return float("nan")
        return float(self._full[self.items.index(item), self._span.index(month)])

    def frame(self) -> pd.DataFrame:
        """Long table: month, item, price, unit, status, last_quote, age_months."""
        n_i, n_m = self.values.shape
        return pd.DataFrame({
            "month": np.tile(np.array(self.months, dtype=object), n_i),
            "item": np.repeat(np.array(self.items, dtype=object), n_m),
            "price": self.values.reshape(-1),
            "unit": np.repeat(np.array([self.units[i] for i in self.items], dtype=object), n_m),
            "status": self.status.reshape(-1),
            "last_quote": self.last_quote.reshape(-1),
            "age_months": self.age.reshape(-1),
        })


def build_grid(history: History, units: Mapping[str, PriceUnit], fx_of_year: Callable[[int], float],
               months: Sequence[str], fill: str = "carry") -> PriceGrid:
    """Monthly prices over ``months`` (see the module docstring).

    Args:
        history: validated quotes.
        units: item → its Prices-table unit (the unit the engine's ``price.<item>`` is in).
        fx_of_year: CNY per USD of a year (the FX table; used where the history has no rate yet).
        months: consecutive months, ``YYYY-MM``.
        fill: ``carry`` (stale quotes carried forward) or ``linear`` (straight line between quotes).
    """
    if fill not in FILLS:
        raise ValueError(f"unknown fill {fill!r}; expected one of {', '.join(FILLS)}")
    months = tuple(months)
    q = history.quotes
    q = q[q["month"] <= months[-1]]
    first = min(months[0], str(q["month"].min())) if len(q) else months[0]
    span = month_range(first, months[-1])
    pos = {m: j for j, m in enumerate(span)}
    off = pos[months[0]]

    fx_q = q[q["item"] == FX_ITEM]
    fx_span = np.full(len(span), np.nan)
    if len(fx_q):
        mean = fx_q.groupby("month")["price"].mean()
        fx_span[[pos[m] for m in mean.index]] = mean.to_numpy()
        fx_span = pd.Series(fx_span).ffill().to_numpy()
    years = np.array([int(m[:4]) for m in span])
    year_fx = {y: fx_of_year(int(y)) for y in set(years)}
    rate = np.where(np.isnan(fx_span), [year_fx[y] for y in years], fx_span)

    prices = q[q["item"] != FX_ITEM]
    skipped = sorted(set(prices["item"]) - set(units))
    notes = [f"history of {', '.join(skipped)} ignored: the data do not price {'them' if len(skipped) > 1 else 'it'}"] if skipped else []
    prices = prices[prices["item"].isin(list(units))]
    converted = np.empty(len(prices))
    month_pos = prices["month"].map(pos).to_numpy(dtype=int)
    for (unit_text, item), idx in prices.groupby(["unit", "item"]).indices.items():
        src, dst = parse_price_unit(unit_text), units[item]
        fx = rate[month_pos[idx]]
        converted[idx] = dst.from_canonical(src.to_canonical(prices["price"].to_numpy()[idx], fx), fx)
    agg = (pd.DataFrame({"item": prices["item"].to_numpy(), "pos": month_pos, "price": converted,
                         "interp": (prices["status"] == "interpolated").to_numpy()})
           .groupby(["item", "pos"], sort=True).agg(price=("price", "mean"), interp=("interp", "all")))
    items = tuple(i for i in units if i in set(agg.index.get_level_values(0)))
    n = len(span)
    full = np.full((len(items), n), np.nan)
    status = np.full((len(items), n), "table", dtype=object)
    last = np.full((len(items), n), "", dtype=object)
    age = np.full((len(items), n), -1, dtype=int)
    span_arr = np.array(span, dtype=object)
    for i, item in enumerate(items):
        sub = agg.loc[item]
        p = sub.index.to_numpy(dtype=int)
        full[i, p] = sub["price"].to_numpy()
        status[i, p] = np.where(sub["interp"].to_numpy(), "interpolated", "quoted")
        seen = np.full(n, -1)
        seen[p] = p
        seen = np.maximum.accumulate(seen)
        have = seen >= 0
        last[i, have] = span_arr[seen[have]]
        age[i, have] = np.arange(n)[have] - seen[have]
        gap = have & (age[i] > 0)
        if fill == "linear" and len(p) > 1:
            inside = gap & (np.arange(n) < p[-1])
            full[i, inside] = np.interp(np.flatnonzero(inside), p, sub["price"].to_numpy())
            status[i, inside] = "interpolated"
            gap &= ~inside
        full[i, gap] = full[i, seen[gap]]
        status[i, gap] = "carried"
    sl = slice(off, off + len(months))
    return PriceGrid(months, items, full[:, sl].copy(), status[:, sl].copy(), last[:, sl].copy(), age[:, sl].copy(),
                     fx_span[sl].copy(), {i: units[i].text for i in items}, tuple(notes), span, full)
