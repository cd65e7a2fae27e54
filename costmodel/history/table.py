"""The price history: one quote per row (date, item, price, unit, optional low/high, source, status).

A date is a month (``2025-11``: a monthly average or a month's assessment) or a day (``2025-11-06``: a spot
quote). The unit is any price unit of the item's dimension (``CNY/t``, ``USD/t``, ``USD/kg``); quotes are
converted to the item's Prices-table unit when months are priced (``history.grid``), with the FX of the month.
Status: ``quoted`` (blank means quoted), ``interpolated`` (a point between quotes, not a quote itself),
``derived`` or ``assumption``.

The checks are vectorized (pandas over whole columns); only failing cells are looked at one by one, so that a
100,000-row history is checked in well under a second and a bad one lists every failing cell at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.units import UnitError, parse_price_unit
from costmodel.validation import Problem, parse_number

COLUMNS: tuple[str, ...] = ("date", "item", "price", "unit", "low", "high", "source", "status")
REQUIRED: tuple[str, ...] = ("date", "item", "price", "unit")
STATUSES: tuple[str, ...] = ("quoted", "interpolated", "derived", "assumption")
FX_ITEM = "cny_per_usd"
"""A history row of this item is the month's exchange rate (unit ``CNY/USD``), used instead of the FX table's year rate."""
FX_UNIT = "CNY/USD"
YEARS = (1990, 2100)
DATE_RULE = "write YYYY-MM (a month) or YYYY-MM-DD (a day)"

Locate = Callable[[str, object, str], str]


@dataclass(frozen=True)
class History:
    """A validated price history.

    Attributes:
        quotes: one row per quote: date (text, ``YYYY-MM`` or ``YYYY-MM-DD``), month (``YYYY-MM``), item, price
            (in ``unit``), unit, low, high (NaN when not given), source, status, where (the row's cell or line).
        notes: what was tolerated (identical repeated quotes dropped, conflicts resolved last-wins).
    """

    quotes: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def items(self) -> tuple[str, ...]:
        """Items with at least one quote, in first-seen order."""
        return tuple(dict.fromkeys(self.quotes["item"]))

    @property
    def last_month(self) -> str | None:
        """The latest month quoted (``YYYY-MM``), or None for an empty history."""
        return str(self.quotes["month"].max()) if len(self.quotes) else None

    @property
    def first_month(self) -> str | None:
        """The earliest month quoted, or None."""
        return str(self.quotes["month"].min()) if len(self.quotes) else None


def empty_history() -> History:
    """A history without quotes."""
    return History(pd.DataFrame(columns=[*COLUMNS[:1], "month", *COLUMNS[1:], "where"]))


def _blank(s: pd.Series) -> np.ndarray:
    """True where a cell is empty (None, NaN or blank text)."""
    text = s.astype("string").str.strip()
    return (s.isna() | text.isna() | (text == "")).to_numpy()


def parse_dates(raw: pd.Series, fmt: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Dates of a column as text: (date ``YYYY-MM-DD`` or ``YYYY-MM``, problem message or "").

    Accepts date and datetime cells (as a spreadsheet stores them), ``YYYY-MM`` and ``YYYY-MM-DD`` text (a
    trailing ``00:00:00`` time is dropped), or, with ``fmt``, text in that ``strptime`` format (``%d/%m/%Y``).
    """
    out = pd.Series("", index=raw.index, dtype=object)
    err = pd.Series("", index=raw.index, dtype=object)
    is_dt = raw.map(lambda v: isinstance(v, (dt.date, pd.Timestamp)) and not pd.isna(v)).to_numpy(dtype=bool)
    if is_dt.any():
        out[is_dt] = [pd.Timestamp(v).strftime("%Y-%m-%d") for v in raw[is_dt]]
    text = raw[~is_dt].astype("string").str.strip().fillna("")
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        ok = parsed.notna()
        out[text.index[ok]] = parsed[ok].dt.strftime("%Y-%m-%d")
        bad = text.index[~ok]
        err[bad] = [f"cannot read the date {t!r} with the format {fmt!r}" for t in text[bad]]
    else:
        text = text.str.replace(r"[ T]00:00(:00)?$", "", regex=True)
        month = text.str.fullmatch(r"\d{4}-\d{2}")
        day = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        full = pd.Series(pd.NaT, index=text.index)
        full[month] = pd.to_datetime(text[month] + "-01", format="%Y-%m-%d", errors="coerce")
        full[day] = pd.to_datetime(text[day], format="%Y-%m-%d", errors="coerce")
        good = (month | day) & full.notna()
        out[text.index[good]] = text[good]
        shape = ~(month | day)
        err[text.index[shape]] = [f"cannot read the date {t!r}: {DATE_RULE}" if t else "the date is missing"
                                  for t in text[shape]]
        err[text.index[(month | day) & full.isna()]] = [f"{t!r} is not a calendar date"
                                                        for t in text[(month | day) & full.isna()]]
    years = pd.to_numeric(out.str[:4], errors="coerce")
    far = (out != "") & ((years < YEARS[0]) | (years > YEARS[1]))
    err[far] = [f"the date {d} lies outside {YEARS[0]}-{YEARS[1]}" for d in out[far]]
    out[far] = ""
    return out, err


def parse_numbers(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Numbers of a column (NaN where blank or bad) and a problem message per cell ("" when fine or blank).

    Numbers are taken as they are; numeric text through ``parse_number`` (locale-ambiguous text such as
    ``60,000`` and text such as ``n/a`` are refused with the rule).
    """
    logical = raw.map(lambda v: isinstance(v, bool)).to_numpy(dtype=bool)
    values = np.array(pd.to_numeric(raw.where(~logical), errors="coerce"), dtype=float)
    err = pd.Series("", index=raw.index, dtype=object)
    blank = _blank(raw)
    redo = np.flatnonzero(~blank & (~np.isfinite(values) | logical))
    for i in redo:
        try:
            values[i] = parse_number(raw.iloc[i])
        except ValueError as exc:
            values[i] = np.nan
            err.iloc[i] = str(exc)
    values[blank] = np.nan
    return values, err


def check_history(frame: pd.DataFrame, dimensions: Mapping[str, str], locate: Locate, *, table: str = "history",
                  last_wins: bool = False, date_format: str | None = None) -> tuple[History, list[Problem]]:
    """Validate a raw history table (index = row label for ``locate``).

    Args:
        frame: raw cells with (at least) the columns ``date, item, price, unit``.
        dimensions: known item → its dimension (``mass``, ``area``, ``count``, ``energy``).
        locate: (table, row label, column) → ``Sheet!Cell`` or ``file line N, column C``.
        last_wins: a conflicting quote for the same date and item replaces the earlier one (else an error).
        date_format: ``strptime`` format of text dates (None: ``YYYY-MM`` or ``YYYY-MM-DD``).

    Returns:
        The history (valid rows only) and every problem, each at its cell.
    """
    problems: list[Problem] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        return empty_history(), [Problem(locate(table, "header", c), f"column {c!r} is missing") for c in missing]
    frame = frame.loc[~np.logical_and.reduce([_blank(frame[c]) for c in REQUIRED])]
    labels = frame.index

    def add(mask: np.ndarray, column: str, messages) -> None:
        for label, msg in zip(labels[mask], messages, strict=True):
            problems.append(Problem(locate(table, label, column), msg))

    dates, date_err = parse_dates(frame["date"], date_format)
    bad_date = (date_err != "").to_numpy()
    add(bad_date, "date", date_err[bad_date])

    items = frame["item"].astype("string").str.strip().fillna("").to_numpy(dtype=object)
    known = {**dimensions, FX_ITEM: "fx"}
    unknown = np.array([i not in known for i in items], dtype=bool)
    hints = {i: _item_hint(i, known) for i in set(items[unknown])}
    add(unknown, "item", [hints[i] for i in items[unknown]])

    prices, price_err = parse_numbers(frame["price"])
    blank_price = np.isnan(prices) & (price_err == "").to_numpy()
    add(blank_price, "price", ["the price is missing"] * int(blank_price.sum()))
    bad_price = (price_err != "").to_numpy()
    add(bad_price, "price", price_err[bad_price])
    nonpos = ~np.isnan(prices) & (prices <= 0)
    add(nonpos, "price", [f"the price {p:g} must be positive" for p in prices[nonpos]])

    units = frame["unit"].astype("string").str.strip().fillna("").to_numpy(dtype=object)
    unit_ok = np.zeros(len(frame), dtype=bool)
    unit_err = np.full(len(frame), "", dtype=object)
    for u in set(units):
        rows = units == u
        for it in set(items[rows & ~unknown]):
            sel = rows & (items == it)
            msg = _unit_problem(u, it, known[it])
            unit_err[sel] = msg or ""
            unit_ok[sel] = msg is None
    bad_unit = ~unknown & ~unit_ok
    add(bad_unit, "unit", unit_err[bad_unit])

    bounds = {}
    for col in ("low", "high"):
        if col in frame.columns:
            vals, err = parse_numbers(frame[col])
            bad = (err != "").to_numpy()
            add(bad, col, err[bad])
            neg = ~np.isnan(vals) & (vals <= 0)
            add(neg, col, [f"{col} {v:g} must be positive" for v in vals[neg]])
            bounds[col] = np.where(bad | neg, np.nan, vals)
        else:
            bounds[col] = np.full(len(frame), np.nan)
    lo, hi = bounds["low"], bounds["high"]
    outside = ~np.isnan(prices) & (((~np.isnan(lo)) & (prices < lo)) | ((~np.isnan(hi)) & (prices > hi)))
    add(outside, "price", [f"the price {p:g} lies outside its own low/high range [{a:g}, {b:g}]"
                           for p, a, b in zip(prices[outside], lo[outside], hi[outside], strict=True)])

    source = _text_column(frame, "source")
    status = _text_column(frame, "status")
    status = np.where(status == "", "quoted", status)
    bad_status = ~np.isin(status, STATUSES)
    add(bad_status, "status", [f"unknown status {s!r}; expected one of {', '.join(STATUSES)}" for s in status[bad_status]])

    ok = ~(bad_date | unknown | np.isnan(prices) | bad_price | nonpos | bad_unit | outside | bad_status)
    quotes = pd.DataFrame({
        "date": dates.to_numpy(dtype=object)[ok], "month": dates.str[:7].to_numpy(dtype=object)[ok], "item": items[ok],
        "price": prices[ok], "unit": [_canonical_unit(u) for u in units[ok]], "low": lo[ok], "high": hi[ok],
        "source": source[ok], "status": status[ok], "where": [locate(table, label, "price") for label in labels[ok]],
    })
    quotes, dup_problems, notes = _duplicates(quotes, last_wins)
    problems += dup_problems
    quotes = quotes.sort_values(["item", "date"], kind="stable").reset_index(drop=True)
    return History(quotes, tuple(notes)), problems


def _text_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].astype("string").str.strip().fillna("").to_numpy(dtype=object)


def _item_hint(item: str, known: Mapping[str, str]) -> str:
    if not item:
        return "the item is missing"
    close = difflib.get_close_matches(item, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; add it to the items table first (or map it in the feed's TOML)"
    return f"unknown item {item!r}{hint}"


def _canonical_unit(text: str) -> str:
    return FX_UNIT if text.replace(" ", "").upper() == FX_UNIT else parse_price_unit(text).text


def _unit_problem(unit: str, item: str, dimension: str) -> str | None:
    """A problem with quoting ``item`` in ``unit``, or None."""
    if dimension == "fx":
        return None if unit.replace(" ", "").upper() == FX_UNIT else f"{FX_ITEM} is an exchange rate: its unit is {FX_UNIT}"
    if not unit:
        return "the unit is missing"
    try:
        parsed = parse_price_unit(unit)
    except UnitError as exc:
        return str(exc)
    if parsed.dimension != dimension:
        return f"{item} is priced per {dimension}, but {unit!r} is per {parsed.dimension}"
    return None


def _duplicates(quotes: pd.DataFrame, last_wins: bool) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Drop repeated identical quotes; a conflicting one is an error, or replaces the earlier one with ``last_wins``."""
    key = ["date", "item"]
    dup = quotes.duplicated(key, keep=False)
    if not dup.any():
        return quotes, [], []
    notes, problems = [], []
    same = quotes.duplicated([*key, "price", "unit"], keep="first")
    n_same = int(same.sum())
    quotes = quotes.loc[~same]
    if n_same:
        notes.append(f"{n_same} repeated identical quote{'s' if n_same != 1 else ''} dropped")
    later = quotes.duplicated(key, keep="first")
    if later.any():
        if last_wins:
            n = int(later.sum())
            notes.append(f"{n} conflicting quote{'s' if n != 1 else ''} for the same date and item: the last one kept (--last-wins)")
            quotes = quotes.loc[~quotes.duplicated(key, keep="last")]
        else:
            first = quotes.loc[~later].set_index(key)
            for r in quotes.loc[later].itertuples():
                f = first.loc[(r.date, r.item)]
                problems.append(Problem(r.where, f"conflicting quote for {r.item} on {r.date}: {r.price:g} {r.unit} here, "
                                                 f"{f['price']:g} {f['unit']} at {f['where']}; keep one, or import with --last-wins"))
            quotes = quotes.loc[~later]
    return quotes, problems, notes


def merge(existing: History, new: History, *, last_wins: bool = False) -> tuple[History, list[Problem]]:
    """``existing`` with ``new``'s quotes added: an identical repeat is dropped; a conflicting quote for the same date and
    item is a problem (at the new quote), or replaces the existing one with ``last_wins``."""
    both = pd.concat([existing.quotes, new.quotes], ignore_index=True)
    quotes, problems, notes = _duplicates(both, last_wins)
    quotes = quotes.sort_values(["item", "date"], kind="stable").reset_index(drop=True)
    return History(quotes, (*new.notes, *notes)), problems
