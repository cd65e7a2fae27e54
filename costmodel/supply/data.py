"""Supply-chain input tables: end-use segments, capacity, reported production and precursor yields.

The tables are long (one figure per row, each with source, date and status), as text DataFrames with the
columns of the packaged ``supply_*.csv`` files, from the CSVs (``read_default_tables``) or from the planner's
workbook sheets Segments, Capacity and Reported production (``costmodel.io.workbook``; a workbook without a
sheet uses the bundled table). One validator, ``check_tables``, reports every problem at once, each located
by a ``locate(table, row, column)`` callback (``supply_segments.csv line 5, column value`` or ``Segments!D5``).

Units (canonical after validation):
    segments   market in units (``units``, ``k units``, ``M units``) or GWh; penetration, mix and growth as
               fractions (``-`` or ``%``); kwh_per_unit in kWh (``Wh`` accepted)
    capacity   nameplate and expansion in kt per year of a mass material (``t/yr``, ``kt/yr``, ``Mt/yr``;
               ``Mm2/yr`` for a separator); ceiling, threshold as fractions; slopes as price multiplier per
               unit of utilisation
    reported   cells in GWh; materials and stages in kt (``t``, ``kt``); or a change in ``% yoy`` (``% mom``
               needs monthly periods)

Periods are integers: a year (2026) now; a month (202604) once monthly periods land. A blank period means
every period.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from costmodel.dataset import STATUSES, Checker, Dataset, Locator, csv_locator, is_blank
from costmodel.validation import InputError

FILES = {"segments": "supply_segments.csv", "capacity": "supply_capacity.csv", "reported": "supply_reported.csv",
         "precursors": "supply_precursors.csv"}
COLUMNS: dict[str, tuple[str, ...]] = {
    "segments": ("segment", "period", "property", "value", "unit", "source", "date", "status"),
    "capacity": ("material", "period", "property", "value", "unit", "source", "date", "status"),
    "reported": ("stage", "period", "value", "unit", "source", "date", "status"),
    "precursors": ("product", "precursor", "t_per_t", "source", "date", "status"),
}
"""Columns of each table, in order (the CSV headers and the workbook sheets)."""
REQUIRED: dict[str, tuple[str, ...]] = {
    "segments": ("segment", "property", "value"),
    "capacity": ("material", "property", "value"),
    "reported": ("stage", "period", "value", "unit"),
    "precursors": ("product", "precursor", "t_per_t"),
}
SHEETS: tuple[tuple[str, str], ...] = (("Segments", "segments"), ("Capacity", "capacity"), ("Reported production", "reported"))
"""Workbook sheet → table (each optional: a workbook without it uses the bundled table)."""

SEGMENT_PROPERTIES: dict[str, str] = {
    "market": "market size per period: units (units, k units, M units) or GWh",
    "penetration": "share of the market served by the segment's chemistry mix (0-1; the sodium-ion penetration)",
    "kwh_per_unit": "battery energy per unit sold (kWh); unused when the market is in GWh",
    "growth": "market growth per year after the last period with a market figure (fraction, 0.2 = +20 %/yr)",
    "cost_elasticity": "demand response: % fall of the segment's demand per % rise of its cell cost (0 = none)",
}
"""Segment properties besides ``mix_<design>`` (share of the segment's cells of that design, 0-1, summing to 1)."""
CAPACITY_PROPERTIES: dict[str, str] = {
    "nameplate": "nameplate capacity per year (kt/yr; Mm2/yr for a separator) from the period on",
    "expansion": "announced expansion (kt/yr) added from its period (start date) on",
    "ceiling": "utilisation ceiling: most of nameplate that can be run (0-1); demand above it is a shortfall",
    "threshold": "utilisation above which the price starts to rise (0-1, at most the ceiling)",
    "price_slope": "price multiplier rise per unit utilisation between threshold and ceiling (assumption)",
    "shortage_slope": "price multiplier rise per unit utilisation above the ceiling (assumption)",
    "price_cap": "highest price multiplier, where substitutes take the demand (at least 1; assumption)",
}
CURVE_PROPERTIES = ("ceiling", "threshold", "price_slope", "shortage_slope", "price_cap")
"""Capacity properties a ``*`` row may give as the default of every material."""
ALL_MATERIALS = "*"
STAGES: dict[str, str] = {
    "cells": "sodium-ion cell output (GWh)",
    "cathode": "sodium-ion cathode active material (kt): NFPP, O3, Prussian white",
    "anode": "sodium-ion anode active material (kt): hard carbon of every route",
    "electrolyte": "sodium-ion finished electrolyte (kt)",
}
"""Chain stages a reported-production row may name besides any material of the balance."""
MARKET_UNITS = {"units": 1.0, "k units": 1e3, "m units": 1e6, "gwh": None}
MASS_UNITS = {"t": 1e-3, "kt": 1.0, "mt": 1e3}
AREA_UNITS = {"mm2": 1.0, "m2": 1e-6, "bn m2": 1e3}
FIRST_PERIOD, LAST_PERIOD = 1990, 2100


@dataclass(frozen=True)
class SupplyData:
    """Validated supply tables in canonical units (see the module docstring).

    Attributes:
        segments: segment, period (int or None = every period), property, value, unit, where.
        capacity: material, period, property, value, where (nameplate/expansion in kt/yr or Mm2/yr).
        reported: stage, period, value, kind (``level`` in kt or GWh, ``yoy`` in %), where.
        precursors: product, precursor, t_per_t (price links' physical ratios and the precursor table).
        market_units: segment → ``units`` or ``gwh``.
        designs: the designs a mix may name.
        materials: material → dimension (mass, area, count) of every material a capacity may name.
    """

    segments: pd.DataFrame
    capacity: pd.DataFrame
    reported: pd.DataFrame
    precursors: pd.DataFrame
    market_units: Mapping[str, str]
    designs: tuple[str, ...]
    materials: Mapping[str, str]

    @property
    def segment_names(self) -> tuple[str, ...]:
        """Segments in table order."""
        return tuple(dict.fromkeys(self.segments["segment"]))


def read_default_tables() -> dict[str, pd.DataFrame]:
    """The packaged supply tables as text (``dtype=str``), indexed by CSV line number."""
    pkg = resources.files("costmodel.data")
    out = {}
    for key, name in FILES.items():
        with pkg.joinpath(name).open("r", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        frame.index = frame.index + 2
        out[key] = frame
    return out


def bundled_locator(table: str, row: object, column: str) -> str:
    """``supply_segments.csv line 5, column value``."""
    return csv_locator(FILES.get(table, table).removesuffix(".csv"), row, column)


def _norm_unit(text: str) -> str:
    t = re.sub(r"\s+", " ", text.strip().lower().replace("²", "2"))
    return re.sub(r"\s*(/|per )\s*(yr|year|a)$", "", t)


class _Rows:
    def __init__(self, ck: Checker) -> None:
        self.ck = ck

    def period(self, table: str, label: object, raw: object, required: bool = False) -> int | bool | None:
        """A period (int); None when blank (every period); False when bad (reported)."""
        if is_blank(raw):
            if required:
                self.ck.add(table, label, "period", "expected a period (a year such as 2026), found an empty cell")
                return False
            return None
        text = str(raw).strip()
        if re.fullmatch(r"\d{4}(\.0+)?", text):
            year = int(float(text))
            if FIRST_PERIOD <= year <= LAST_PERIOD:
                return year
        self.ck.add(table, label, "period", f"cannot read the period {text!r}: write a year such as 2026 (blank for every period)")
        return False

    def value(self, table: str, label: object, raw: object) -> float | None:
        v = self.ck.number(table, label, "value", raw)
        if v is not None and not math.isfinite(v):
            self.ck.add(table, label, "value", f"expected a finite number, found {v}")
            return None
        return v

    def status(self, table: str, label: object, raw: object) -> None:
        s = self.ck.text(raw)
        if s and s not in STATUSES:
            self.ck.add(table, label, "status", f"unknown status {s!r}; expected one of {', '.join(STATUSES)}")


def _records(frame: pd.DataFrame, table: str):
    cols = [c for c in REQUIRED[table] if c in frame.columns]
    for label, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if all(is_blank(row.get(c)) for c in cols):
            continue
        yield label, row


def _fraction(value: float, unit: str) -> float | None:
    """A fraction in ``-``/blank or ``%``; None for another unit."""
    u = _norm_unit(unit)
    if u in ("", "-", "fraction", "share"):
        return value
    if u == "%":
        return value / 100.0
    return None


def _check_segments(frame: pd.DataFrame, designs: tuple[str, ...], rs: _Rows) -> tuple[pd.DataFrame, dict[str, str]]:
    ck, rows, units, seen = rs.ck, [], {}, {}
    for label, r in _records(frame, "segments"):
        seg, prop = ck.text(r.get("segment")), ck.text(r.get("property"))
        if not seg:
            ck.add("segments", label, "segment", "expected a segment name, found an empty cell")
            continue
        if prop.startswith("mix_"):
            design = prop[4:]
            if design not in designs:
                ck.add("segments", label, "property", f"segment {seg}: {prop} names an unknown design {design!r}; expected "
                       f"mix_<design> with a design of the Designs table ({', '.join(designs)})")
                continue
        elif prop not in SEGMENT_PROPERTIES:
            ck.add("segments", label, "property", f"unknown segment property {prop!r}; expected one of "
                   f"{', '.join(SEGMENT_PROPERTIES)} or mix_<design>")
            continue
        period = rs.period("segments", label, r.get("period"))
        value = rs.value("segments", label, r.get("value"))
        rs.status("segments", label, r.get("status"))
        if period is False or value is None:
            continue
        unit = ck.text(r.get("unit"))
        key = (seg, prop, period)
        if key in seen:
            ck.add("segments", label, "period", f"duplicate {prop} of segment {seg} for {period or 'every period'} "
                   f"(also {seen[key]})")
            continue
        seen[key] = ck.locate("segments", label, "period")
        if prop == "market":
            u = _norm_unit(unit)
            if u not in MARKET_UNITS:
                ck.add("segments", label, "unit", f"unknown market unit {unit!r}; expected units, k units, M units or GWh")
                continue
            kind = "gwh" if u == "gwh" else "units"
            if units.setdefault(seg, kind) != kind:
                ck.add("segments", label, "unit", f"segment {seg}: the market is in {units[seg]} in another row; use one unit")
                continue
            if value < 0:
                ck.add("segments", label, "value", f"segment {seg}: negative market {value:g}; demand cannot be negative")
                continue
            value = value if kind == "gwh" else value * MARKET_UNITS[u]
        elif prop == "kwh_per_unit":
            u = _norm_unit(unit)
            if u not in ("kwh", "wh", ""):
                ck.add("segments", label, "unit", f"kwh_per_unit must be in kWh (or Wh), not {unit!r}")
                continue
            value = value / 1000.0 if u == "wh" else value
            if value <= 0:
                ck.add("segments", label, "value", f"segment {seg}: kwh_per_unit must be positive, found {value:g}")
                continue
        else:
            frac = _fraction(value, unit)
            if frac is None:
                ck.add("segments", label, "unit", f"{prop} is a fraction: unit - (0.1) or % (10), not {unit!r}")
                continue
            value = frac
            if prop == "penetration" and not 0 <= value <= 1:
                ck.add("segments", label, "value", f"segment {seg}: penetration {value:g} must lie between 0 and 1 (write 0.1 or 10 %)")
                continue
            if prop.startswith("mix_") and not 0 <= value <= 1:
                ck.add("segments", label, "value", f"segment {seg}: {prop} {value:g} must lie between 0 and 1")
                continue
            if prop == "cost_elasticity" and value < 0:
                ck.add("segments", label, "value", f"segment {seg}: cost_elasticity must not be negative, found {value:g}")
                continue
            if prop == "growth" and value <= -1:
                ck.add("segments", label, "value", f"segment {seg}: growth {value:g} would make the market negative")
                continue
        rows.append({"segment": seg, "period": period, "property": prop, "value": float(value),
                     "where": ck.locate("segments", label, "value")})
    out = pd.DataFrame(rows, columns=["segment", "period", "property", "value", "where"])
    for seg, grp in out.groupby("segment", sort=False):
        props = set(grp["property"])
        for prop in grp["property"].unique():
            periods = grp.loc[grp["property"] == prop, "period"]
            if periods.isna().any() and periods.notna().any():
                ck.add("segments", "", "", f"segment {seg}: {prop} is given both for every period (blank period) and for "
                       "some periods; give one or the other")
        missing = [p for p in ("market", "penetration") if p not in props]
        if units.get(seg) == "units" and "kwh_per_unit" not in props:
            missing.append("kwh_per_unit")
        if not any(p.startswith("mix_") for p in props):
            missing.append("mix_<design>")
        if missing:
            ck.add("segments", "", "", f"segment {seg} has no {', '.join(missing)}")
    return out, units


def _check_capacity(frame: pd.DataFrame, materials: Mapping[str, str], rs: _Rows) -> pd.DataFrame:
    ck, rows, seen = rs.ck, [], {}
    for label, r in _records(frame, "capacity"):
        mat, prop = ck.text(r.get("material")), ck.text(r.get("property"))
        if not mat:
            ck.add("capacity", label, "material", "expected a material name, found an empty cell")
            continue
        if mat != ALL_MATERIALS and mat not in materials:
            ck.add("capacity", label, "material", f"unknown material {mat!r}; expected an item of the Items table, a "
                   f"precursor ({', '.join(sorted(k for k, v in materials.items() if v == 'precursor'))}) or * for every material")
            continue
        if prop not in CAPACITY_PROPERTIES:
            ck.add("capacity", label, "property", f"unknown capacity property {prop!r}; expected one of {', '.join(CAPACITY_PROPERTIES)}")
            continue
        if mat == ALL_MATERIALS and prop not in CURVE_PROPERTIES:
            ck.add("capacity", label, "material", f"* (every material) may give {', '.join(CURVE_PROPERTIES)}, not {prop}")
            continue
        period = rs.period("capacity", label, r.get("period"), required=prop == "expansion")
        value = rs.value("capacity", label, r.get("value"))
        rs.status("capacity", label, r.get("status"))
        if period is False or value is None:
            continue
        key = (mat, prop, period)
        if key in seen:
            ck.add("capacity", label, "period", f"duplicate {prop} of {mat} for {period or 'every period'} (also {seen[key]})")
            continue
        seen[key] = ck.locate("capacity", label, "period")
        unit = ck.text(r.get("unit"))
        if prop in ("nameplate", "expansion"):
            dim = "area" if materials.get(mat) == "area" else "mass"
            table = AREA_UNITS if dim == "area" else MASS_UNITS
            u = _norm_unit(unit)
            if materials.get(mat) == "count" or u not in table:
                want = "Mm2/yr (million m2 a year)" if dim == "area" else "kt/yr, t/yr or Mt/yr (metric tonnes a year)"
                ck.add("capacity", label, "unit", f"{prop} of {mat} must be a {dim} per year: {want}; {unit!r} is not"
                       + (" (capacity is of material, not of cells)" if "wh" in u else ""))
                continue
            value *= table[u]
            if value < 0 and prop == "nameplate":
                ck.add("capacity", label, "value", f"nameplate capacity of {mat} must not be negative, found {value:g}")
                continue
        else:
            fractional = prop in ("ceiling", "threshold")
            frac = _fraction(value, unit) if fractional else (value if _norm_unit(unit) in ("", "-") else None)
            if frac is None:
                ck.add("capacity", label, "unit", f"{prop} is a number without unit (-){' or %' if fractional else ''}, not {unit!r}")
                continue
            value = frac
            if prop == "ceiling" and not 0 < value <= 1:
                ck.add("capacity", label, "value", f"ceiling of {mat} must lie in (0, 1], found {value:g}")
                continue
            if prop == "threshold" and not 0 <= value <= 1:
                ck.add("capacity", label, "value", f"threshold of {mat} must lie in [0, 1], found {value:g}")
                continue
            if prop == "price_cap" and value < 1:
                ck.add("capacity", label, "value", f"price_cap of {mat} must be at least 1 (no price fall), found {value:g}")
                continue
            if prop.endswith("slope") and value < 0:
                ck.add("capacity", label, "value", f"{prop} of {mat} must not be negative (prices may not fall as supply "
                       f"tightens), found {value:g}")
                continue
        rows.append({"material": mat, "period": period, "property": prop, "value": float(value),
                     "where": ck.locate("capacity", label, "value")})
    return pd.DataFrame(rows, columns=["material", "period", "property", "value", "where"])


def _check_reported(frame: pd.DataFrame, materials: Mapping[str, str], rs: _Rows) -> pd.DataFrame:
    ck, rows, seen = rs.ck, [], {}
    for label, r in _records(frame, "reported"):
        stage = ck.text(r.get("stage"))
        if stage not in STAGES and stage not in materials:
            ck.add("reported", label, "stage", f"unknown stage {stage!r}; expected one of {', '.join(STAGES)} or a material "
                   "of the balance (e.g. nfpp, hc_coconut, napf6)")
            continue
        period = rs.period("reported", label, r.get("period"), required=True)
        value = rs.value("reported", label, r.get("value"))
        rs.status("reported", label, r.get("status"))
        if period is False or value is None:
            continue
        unit = ck.text(r.get("unit"))
        u = _norm_unit(unit).replace(" ", "")
        if u in ("%mom", "%m/m", "mom%"):
            ck.add("reported", label, "unit", "month-on-month changes need monthly periods; give the change year on year "
                   "(% yoy) or the output (t, kt) for a year")
            continue
        if u in ("%yoy", "%y/y", "yoy%"):
            kind = "yoy"
            if value <= -100:
                ck.add("reported", label, "value", f"a change of {value:g} % would make the output negative")
                continue
        elif stage == "cells":
            if u != "gwh":
                ck.add("reported", label, "unit", f"cell output is in GWh (or % yoy), not {unit!r}")
                continue
            kind = "level"
        else:
            if u not in MASS_UNITS or materials.get(stage) == "area":
                ck.add("reported", label, "unit", f"output of {stage} is in t or kt (or % yoy), not {unit!r}")
                continue
            kind, value = "level", value * MASS_UNITS[u]
        if kind == "level" and value < 0:
            ck.add("reported", label, "value", f"reported output must not be negative, found {value:g}")
            continue
        key = (stage, period)
        if key in seen:
            ck.add("reported", label, "period", f"duplicate {stage} output for {period} (also {seen[key]})")
            continue
        seen[key] = ck.locate("reported", label, "period")
        rows.append({"stage": stage, "period": period, "value": float(value), "kind": kind,
                     "where": ck.locate("reported", label, "value")})
    return pd.DataFrame(rows, columns=["stage", "period", "value", "kind", "where"])


def _check_precursors(frame: pd.DataFrame, dataset: Dataset | None, rs: _Rows) -> pd.DataFrame:
    ck, rows = rs.ck, {}
    if dataset is not None:  # the price links' physical ratios: t driver per t target
        for r in dataset.links.itertuples():
            rows[(r.target, r.driver)] = {"product": r.target, "precursor": r.driver, "t_per_t": float(r.coefficient)}
    for label, r in _records(frame, "precursors"):
        prod, pre = ck.text(r.get("product")), ck.text(r.get("precursor"))
        v = ck.number("precursors", label, "t_per_t", r.get("t_per_t"), positive=True)
        if not prod or not pre or v is None:
            if not prod or not pre:
                ck.add("precursors", label, "product", "expected a product and a precursor name")
            continue
        rows[(prod, pre)] = {"product": prod, "precursor": pre, "t_per_t": v}
    return pd.DataFrame(list(rows.values()), columns=["product", "precursor", "t_per_t"])


def material_dimensions(dataset: Dataset | None, precursors: pd.DataFrame | None = None) -> dict[str, str]:
    """Every material the balance knows, with its dimension: the dataset's items (mass, area, count) and the
    precursors (mass; ``precursor`` marks one that is not an item)."""
    out = dict(zip(dataset.items["item"], dataset.items["dimension"])) if dataset is not None else {}
    if precursors is not None:
        for p in precursors.get("precursor", []):
            p = str(p).strip()
            if p and p not in out:
                out[p] = "precursor"
    return out


def check_tables(tables: Mapping[str, pd.DataFrame], source: str = "supply data", *, locate: Locator = bundled_locator,
                 dataset: Dataset | None = None) -> SupplyData:
    """Validate the supply tables; every problem is reported at once.

    Args:
        tables: table name → raw DataFrame (index = row label for ``locate``); a missing table is the bundled one.
        locate: maps (table, row, column) to a place (``Segments!D5``).
        dataset: the cost data: designs a mix may name, items a capacity may name, price links as precursor ratios.

    Raises:
        InputError: every problem, each at its cell.
    """
    bundled: dict[str, pd.DataFrame] | None = None
    raw: dict[str, pd.DataFrame] = {}
    locators: dict[str, Locator] = {}
    for table in COLUMNS:
        if tables.get(table) is None:
            bundled = bundled if bundled is not None else read_default_tables()
            raw[table], locators[table] = bundled[table], bundled_locator
        else:
            raw[table], locators[table] = tables[table], locate
    ck = Checker(lambda t, r, c: locators.get(t, locate)(t, r, c))
    for table, cols in REQUIRED.items():
        missing = [c for c in cols if c not in raw[table].columns]
        for col in missing:
            ck.add(table, "header", col, f"column {col!r} is missing")
    if ck.problems:
        raise InputError(ck.problems, source)
    rs = _Rows(ck)
    designs = dataset.design_names if dataset is not None else ()
    precursors = _check_precursors(raw["precursors"], dataset, rs)
    materials = material_dimensions(dataset, precursors)
    segments, units = _check_segments(raw["segments"], designs, rs)
    capacity = _check_capacity(raw["capacity"], materials, rs)
    reported = _check_reported(raw["reported"], materials, rs)
    if ck.problems:
        raise InputError(ck.problems, source)
    return SupplyData(segments, capacity, reported, precursors, units, designs, materials)


def load_default(dataset: Dataset) -> SupplyData:
    """The bundled supply tables, checked against ``dataset``."""
    return check_tables({}, "bundled supply data", dataset=dataset)

