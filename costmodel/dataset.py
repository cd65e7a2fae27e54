"""The Dataset: validated input tables in canonical form, and the flat parameters of a year.

Tables (pandas DataFrames, one row per figure, each with source, date and status):
    prices     item, year, value, unit, low, high      quoted price per year
    fx         year, cny_per_usd                        exchange rate per year
    items      item, dimension, category, ...           what can be priced
    materials  material, role, property, value          active-material properties
    designs    design, parameter, value                 cell designs (long form)
    globals    name, value                              plant, finance, learning
    links      target, driver, coefficient, driver_ref  derived prices
    regions    region, property, value                  plant locations (labour, power, capex, WACC, duty)
    history    date, item, price, unit, low, high       the price history (months or days; ``history.table``)

``validate_tables`` checks raw tables (from the packaged CSV files or from a workbook) and
reports every problem at once, each located by a ``locate(table, row, column)`` callback
(``prices.csv line 12, column value`` or ``Prices!C12``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from costmodel.catalog import ParameterSpec, load_catalog, scope_specs
from costmodel.engine.blend import NO_MATERIAL, SECOND, SHARE, anode_of, blended
from costmodel.engine.cost import design_stack
from costmodel.engine.design import dense_density
from costmodel.engine.electrolyte import ADDITIVES, SOLVENTS
from costmodel.engine.formats import fit_problems
from costmodel.engine.inputs import PriceLink, StaticData
from costmodel.history.table import History, check_history, empty_history
from costmodel.units import UnitError, parse_price_unit
from costmodel.validation import InputError, Problem, parse_number

REQUIRED: dict[str, tuple[str, ...]] = {
    "prices": ("item", "year", "value", "unit"),
    "fx": ("year", "cny_per_usd"),
    "items": ("item", "dimension", "category"),
    "materials": ("material", "role", "property", "value"),
    "designs": ("design", "parameter", "value"),
    "globals": ("name", "value"),
    "links": ("target", "driver", "coefficient", "driver_ref", "driver_ref_unit"),
    "regions": ("region", "property", "value"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "prices": ("low", "high", "source", "date", "status"),
    "fx": ("source", "date", "status"),
    "items": ("density_g_cm3", "molar_mass_g_mol", "description"),
    "materials": ("source", "date", "status"),
    "designs": ("source", "date", "status"),
    "globals": ("source", "date", "status"),
    "links": ("source", "date", "status"),
    "regions": ("unit", "source", "date", "status"),
}
FX_RANGE = (0.01, 1000.0)
"""Plausible CNY per USD (about 7.1 in 2025): outside it an FX rate is a typo or a unit mix-up."""
STATUSES = ("sourced", "assumption", "derived", "physical")
DIMENSIONS = ("mass", "area", "count", "energy")
ROLES = ("cathode", "anode")
ENGINE_ITEMS = (*SOLVENTS, *ADDITIVES, "electrolyte_blending")
"""Items every electrolyte is priced from (their shares are design parameters)."""
DENSE_CATEGORIES = ("foil", "binder", "carbon")
"""Item categories that need a true density (foil mass; coating porosity)."""
SHARE_GROUPS = {
    "cathode formulation": ("cathode_active_fraction", "cathode_binder_fraction", "cathode_carbon_fraction"),
    "anode formulation": ("anode_active_fraction", "anode_binder_fraction", "anode_carbon_fraction"),
    "solvent shares": ("solvent_ec_share", "solvent_pc_share", "solvent_dmc_share", "solvent_emc_share"),
    "conversion driver shares": ("driver_share_area", "driver_share_cells", "driver_share_ah", "driver_share_fixed"),
}

DERIVED_GLOBALS: tuple[str, ...] = ("ref_area_m2_per_kwh", "ref_cells_per_kwh", "ref_ah_per_kwh")
"""Globals derived from the reference design's cell (coated cathode area, cells and Ah per kWh): formulas in the base
workbook; where a workbook holds the formula without a calculated value (saved by a program that does not calculate)
they are computed from the reference design here."""
DERIVED_MARK = "derived"
"""Value of a derived global to be computed (the reader's mark for an uncalculated formula)."""

Locator = Callable[[str, object, str], str]


def csv_locator(table: str, row: object, column: str) -> str:
    """Locate a cell of a packaged CSV table: ``prices.csv line 12, column value``."""
    return f"{table}.csv line {row}, column {column}" if column else f"{table}.csv line {row}"


@dataclass(frozen=True)
class ParameterSet:
    """Flat parameters of one year.

    Attributes:
        year: the year the prices and FX are taken from.
        values: numeric parameters by flat name (``price.li2co3``, ``design.nfpp.np_ratio``).
        choices: choice parameters by flat name (``design.nfpp.anode_material``).
        designs: design names in table order.
        units: unit of a flat parameter the catalog does not know (``price.<item>`` → its quoted unit, ``fx.cny_per_usd``).
    """

    year: int
    values: dict[str, float]
    choices: dict[str, str]
    designs: tuple[str, ...]
    units: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """Validated tables in canonical form (numbers as floats, units checked)."""

    prices: pd.DataFrame
    fx: pd.DataFrame
    items: pd.DataFrame
    materials: pd.DataFrame
    designs: pd.DataFrame
    globals: pd.DataFrame
    links: pd.DataFrame
    static: StaticData
    source: str = "bundled default data"
    regions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["region", "property", "value"]))
    warnings: tuple[str, ...] = ()
    history: History = field(default_factory=empty_history)
    history_source: str = "none"
    _psets: dict[int, ParameterSet] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def region_names(self) -> tuple[str, ...]:
        """Region names in table order."""
        return tuple(dict.fromkeys(self.regions["region"]))

    @property
    def region(self) -> str:
        """The plant's region (``global.region``)."""
        row = self.globals.loc[self.globals["name"] == "region", "value"]
        return str(row.iloc[0])

    def with_region(self, region: str) -> Dataset:
        """The same data with the plant in ``region`` (a row group of the Regions table).

        Raises:
            InputError: an unknown region, with the known ones.
        """
        if region not in self.region_names:
            raise InputError([Problem("--region", f"unknown region {region!r}; available: {', '.join(self.region_names)} "
                                                  "(or all, for run)")], self.source)
        globals_ = self.globals.copy()
        globals_.loc[globals_["name"] == "region", ["value", "source", "date", "status"]] = [region, "--region", "", ""]
        return replace(self, globals=globals_)

    @property
    def years(self) -> tuple[int, ...]:
        """Years with an FX rate, ascending."""
        return tuple(sorted(int(y) for y in self.fx["year"]))

    @property
    def design_names(self) -> tuple[str, ...]:
        """Design names in table order."""
        return tuple(dict.fromkeys(self.designs["design"]))

    @property
    def reference_design(self) -> str:
        """The design others are compared with (``global.reference_design``)."""
        row = self.globals.loc[self.globals["name"] == "reference_design", "value"]
        return str(row.iloc[0]) if len(row) else self.design_names[-1]

    def parameters(self, year: int) -> ParameterSet:
        """Flat parameters for ``year`` (prices and FX of that year, everything else as is).

        Raises:
            InputError: if the year is not in the data.
        """
        if year not in self.years:
            raise InputError(
                [Problem("year", f"{year} is not in the data; available years: {', '.join(map(str, self.years))}")],
                self.source,
            )
        if year not in self._psets:  # built once per year (the tables are never changed after validation)
            self._psets[year] = _parameters(self, year)
        p = self._psets[year]
        return ParameterSet(p.year, dict(p.values), dict(p.choices), p.designs, p.units)


def _parameters(ds: Dataset, year: int) -> ParameterSet:
    values: dict[str, float] = {}
    choices: dict[str, str] = {}
    prices = ds.prices[ds.prices["year"] == year]
    values.update({f"price.{r.item}": float(r.value) for r in prices.itertuples()})
    values["fx.cny_per_usd"] = float(ds.fx.loc[ds.fx["year"] == year, "cny_per_usd"].iloc[0])
    for r in ds.globals.itertuples():
        if isinstance(r.value, str):
            choices[f"global.{r.name}"] = r.value
        else:
            values[f"global.{r.name}"] = float(r.value)
    for r in ds.materials.itertuples():
        values[f"material.{r.material}.{r.property}"] = float(r.value)
    for r in ds.designs.itertuples():
        key = f"design.{r.design}.{r.parameter}"
        if isinstance(r.value, str):
            choices[key] = r.value
        else:
            values[key] = float(r.value)
    for r in ds.regions.itertuples():
        if isinstance(r.value, str):
            choices[f"region.{r.region}.{r.property}"] = r.value
        else:
            values[f"region.{r.region}.{r.property}"] = float(r.value)
    for r in ds.links.itertuples():
        values[f"link.{r.target}.coefficient"] = float(r.coefficient)
        values[f"link.{r.target}.driver_ref"] = float(r.driver_ref)
    units = {f"price.{item}": unit.text for item, unit in ds.static.price_units.items()}
    units["fx.cny_per_usd"] = "CNY/USD"
    return ParameterSet(year=year, values=values, choices=choices, designs=ds.design_names, units=units)


# ----------------------------------------------------------------------------- validation


class Checker:
    """Collects problems while converting raw tables."""

    def __init__(self, locate: Locator) -> None:
        self.locate = locate
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, table: str, row: object, column: str, message: str) -> None:
        self.problems.append(Problem(self.locate(table, row, column), message))

    def warn(self, table: str, row: object, column: str, message: str) -> None:
        """Note something worth a look that does not stop the run (``Dataset.warnings``)."""
        self.warnings.append(f"{self.locate(table, row, column)}: {message}")

    def number(self, table: str, row: object, column: str, raw: object, *, positive: bool = False) -> float | None:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
            self.add(table, row, column, "expected a number, found an empty cell")
            return None
        try:
            value = parse_number(raw)
        except ValueError as exc:
            self.add(table, row, column, str(exc))
            return None
        if positive and value <= 0:
            self.add(table, row, column, f"expected a positive number, found {value:g}")
            return None
        return value

    def text(self, raw: object) -> str:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return ""
        return str(raw).strip()


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip())


def validate_tables(raw: Mapping[str, pd.DataFrame], locate: Locator = csv_locator, source: str = "input") -> Dataset:
    """Check raw tables and build a Dataset, or raise ``InputError`` with ALL problems.

    Args:
        raw: table name → DataFrame of raw cell values (index = row label for ``locate``).
        locate: maps (table, row label, column) to a location string.
        source: name of the input (file path) used in the error report.
    """
    history_source = source
    if raw.get("regions") is None:  # a workbook from before plant regions: the bundled Regions table
        raw = {**raw, "regions": read_bundled_tables()["regions"]}
    if raw.get("history") is None:  # a workbook from before price histories: the bundled history, for the items it knows
        raw = {**raw, "history": read_bundled_tables()["history"]}
        locate, history_source = _history_fallback(locate), "bundled price history"
    ck = Checker(locate)
    for table, cols in REQUIRED.items():
        frame = raw.get(table)
        if frame is None:
            ck.problems.append(Problem(locate(table, "", ""), f"table {table!r} is missing"))
            continue
        for col in cols:
            if col not in frame.columns:
                ck.problems.append(Problem(locate(table, "header", col), f"column {col!r} is missing"))
    if ck.problems:
        raise InputError(ck.problems, source)

    items = _check_items(raw["items"], ck)
    missing = [i for i in ENGINE_ITEMS if i not in set(items["item"])]
    if missing and not ck.problems:
        ck.add("items", "", "", f"item(s) {', '.join(missing)} missing: every electrolyte is built from the solvents "
               f"{', '.join(SOLVENTS)}, the additives {', '.join(ADDITIVES)} and electrolyte_blending (a share may be 0)")
    fx = _check_fx(raw["fx"], ck)
    prices = _check_prices(raw["prices"], items, fx, ck)
    materials = _check_materials(raw["materials"], items, ck)
    links = _check_links(raw["links"], items, ck)
    regions = _check_regions(raw["regions"], ck)
    globals_ = _check_globals(raw["globals"], ck, set(regions["region"]))
    designs = _check_designs(raw["designs"], items, materials, ck)
    _check_reference(raw["globals"], globals_, designs, ck)
    history = _check_history_table(raw["history"], items, history_source != source, ck)
    if ck.problems:
        raise InputError(ck.problems, source)
    static = _static(items, prices, links)
    labels = {(r.design, r.parameter): r.label for r in designs.itertuples()}
    ds = Dataset(prices, fx, items, materials, designs.drop(columns="label"), globals_, links, static, source, regions,
                 history=history, history_source=history_source)
    ds = _derive_globals(ds)
    warnings = _check_physics(ds, labels, ck)
    if ck.problems:
        raise InputError(ck.problems, source)
    return replace(ds, warnings=(*ck.warnings, *warnings))


def _derive_globals(ds: Dataset) -> Dataset:
    """Fill derived globals left to compute (``DERIVED_MARK``) from the reference design's cell (first year's data)."""
    todo = [n for n, v in zip(ds.globals["name"], ds.globals["value"], strict=True)
            if n in DERIVED_GLOBALS and isinstance(v, float) and math.isnan(v)]
    if not todo:
        return ds
    from costmodel.engine.design import build_cell
    from costmodel.engine.formats import housing

    p = _parameters(ds, ds.years[0])
    ref = ds.reference_design
    stack = design_stack(p.values, p.choices, ref, ds.static)
    d = {k[len(f"design.{ref}."):]: v for k, v in p.values.items() if k.startswith(f"design.{ref}.")}
    cell = build_cell(stack, housing(p.choices[f"design.{ref}.cell_format"], d), d["stack_fill"])
    computed = {"ref_area_m2_per_kwh": stack.cathode_area_m2, "ref_cells_per_kwh": cell.cells_per_kwh, "ref_ah_per_kwh": stack.ah}
    globals_ = ds.globals.copy()
    for name in todo:
        globals_.loc[globals_["name"] == name, "value"] = float(np.asarray(computed[name]).reshape(-1)[0])
    return replace(ds, globals=globals_)


def _history_fallback(locate: Locator) -> Locator:
    """Locate the bundled history's rows in its CSV file, the other tables as the caller does."""
    def where(table: str, row: object, column: str) -> str:
        return csv_locator("price_history", row, column) if table == "history" else locate(table, row, column)
    return where


def _check_history_table(frame: pd.DataFrame, items: pd.DataFrame, bundled: bool, ck: Checker) -> History:
    """The price history, checked vectorized (``history.table``); the bundled one keeps only the items the data know."""
    dims = dict(zip(items["item"], items["dimension"]))
    if bundled:
        frame = frame[frame["item"].isin([*dims, "cny_per_usd"])]
    history, problems = check_history(frame, dims, ck.locate, table="history")
    ck.problems.extend(problems)
    return history


def _rows(frame: pd.DataFrame):
    """(row label, row as a dict) of the non-blank rows; dicts, not Series: 20x faster on large sheets."""
    cols = [c for c in frame.columns if any(c in REQUIRED[t] for t in REQUIRED)]
    for label, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if all(is_blank(row[c]) for c in cols):
            continue  # blank rows (and rows holding only notes in extra columns) are tolerated
        yield label, row


def _provenance(row: Mapping, table: str, label: object, ck: Checker) -> dict[str, str]:
    out = {k: ck.text(row.get(k)) for k in ("source", "date", "status")}
    if out["status"] and out["status"] not in STATUSES:
        ck.add(table, label, "status", f"unknown status {out['status']!r}; expected one of {', '.join(STATUSES)}")
    return out


def _check_items(frame: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    rows, seen = [], set()
    for label, r in _rows(frame):
        item = ck.text(r["item"])
        if not item:
            ck.add("items", label, "item", "expected an item name, found an empty cell")
            continue
        if item in seen:
            ck.add("items", label, "item", f"duplicate item {item!r}")
            continue
        seen.add(item)
        dim = ck.text(r["dimension"])
        if dim not in DIMENSIONS:
            ck.add("items", label, "dimension", f"unknown dimension {dim!r}; expected one of {', '.join(DIMENSIONS)}")
        rec = {"item": item, "dimension": dim, "category": ck.text(r["category"]), "description": ck.text(r.get("description"))}
        for col in ("density_g_cm3", "molar_mass_g_mol"):
            raw = r.get(col)
            rec[col] = math.nan if is_blank(raw) else ck.number("items", label, col, raw, positive=True)
        if rec["category"] in DENSE_CATEGORIES and (rec["density_g_cm3"] is None or math.isnan(rec["density_g_cm3"])):
            ck.add("items", label, "density_g_cm3", f"{rec['category']} {item!r} needs a true density (g/cm3)")
        if rec["category"] == "salt" and (rec["molar_mass_g_mol"] is None or math.isnan(rec["molar_mass_g_mol"])):
            ck.add("items", label, "molar_mass_g_mol", f"salt {item!r} needs a molar mass (g/mol)")
        rows.append(rec)
    return pd.DataFrame(rows, columns=["item", "dimension", "category", "density_g_cm3", "molar_mass_g_mol", "description"])


def _check_year(table: str, label: object, raw: object, ck: Checker) -> int | None:
    value = ck.number(table, label, "year", raw)
    if value is None:
        return None
    if value != int(value) or not 1990 <= value <= 2100:
        ck.add(table, label, "year", f"expected a year such as 2025, found {raw!r}")
        return None
    return int(value)


def _check_fx(frame: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    rows, seen = [], set()
    for label, r in _rows(frame):
        year = _check_year("fx", label, r["year"], ck)
        rate = ck.number("fx", label, "cny_per_usd", r["cny_per_usd"], positive=True)
        if rate is not None and not FX_RANGE[0] <= rate <= FX_RANGE[1]:
            ck.add("fx", label, "cny_per_usd", f"expected CNY per USD between {FX_RANGE[0]:g} and {FX_RANGE[1]:g} (about 7.1), "
                                               f"found {rate:g}")
        if year is not None and year in seen:
            ck.add("fx", label, "year", f"duplicate FX year {year}")
            continue
        if year is None or rate is None:
            continue
        seen.add(year)
        rows.append({"year": year, "cny_per_usd": rate, **_provenance(r, "fx", label, ck)})
    if not rows and not ck.problems:
        ck.add("fx", "", "", "no FX rate given: at least one year is needed")
    return pd.DataFrame(rows, columns=["year", "cny_per_usd", "source", "date", "status"])


def _check_prices(frame: pd.DataFrame, items: pd.DataFrame, fx: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    dims = dict(zip(items["item"], items["dimension"]))
    years = set(fx["year"])
    rows, seen, units = [], {}, {}
    for label, r in _rows(frame):
        item = ck.text(r["item"])
        year = _check_year("prices", label, r["year"], ck)
        value = ck.number("prices", label, "value", r["value"], positive=True)
        unit_text = ck.text(r["unit"])
        unit = None
        try:
            unit = parse_price_unit(unit_text)
        except UnitError as exc:
            ck.add("prices", label, "unit", str(exc))
        if item not in dims:
            ck.add("prices", label, "item", f"unknown item {item!r}; add it to the items table first")
            continue
        if unit is not None and unit.dimension != dims[item]:
            ck.add("prices", label, "unit", f"{item} is priced per {dims[item]}, but {unit_text!r} is per {unit.dimension}")
            unit = None
        if unit is not None and units.setdefault(item, unit.text) != unit.text:
            ck.add("prices", label, "unit", f"{item} uses {units[item]} in another row; use one unit per item")
        if year is not None:
            if (item, year) in seen:
                ck.add("prices", label, "item", f"duplicate price for {item} in {year} (also {seen[(item, year)]})")
                continue
            seen[(item, year)] = ck.locate("prices", label, "item")
            if year not in years:
                ck.add("prices", label, "year", f"no FX rate for {year}; add it to the FX table")
        bounds = {}
        for col in ("low", "high"):
            raw = r.get(col)
            bounds[col] = math.nan if is_blank(raw) else ck.number("prices", label, col, raw, positive=True)
        lo, hi = bounds["low"], bounds["high"]
        if value is not None and lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi)):
            if not lo <= value <= hi:  # the range describes uncertainty: a new quote outside it widens it, it is not refused
                ck.warn("prices", label, "value", f"{item} {year}: value {value:g} lies outside its low/high range [{lo:g}, {hi:g}]; "
                                                  f"the range is widened to [{min(lo, value):g}, {max(hi, value):g}]")
                lo, hi = min(lo, value), max(hi, value)
        if value is None or unit is None or year is None:
            continue
        rows.append(
            {"item": item, "year": year, "value": value, "unit": unit.text, "low": lo, "high": hi, **_provenance(r, "prices", label, ck)}
        )
    out = pd.DataFrame(rows, columns=["item", "year", "value", "unit", "low", "high", "source", "date", "status"])
    for item in items["item"]:
        have = set(out.loc[out["item"] == item, "year"])
        missing = sorted(years - have)
        if have and missing:
            ck.add("prices", "", "", f"{item} has no price for {', '.join(map(str, missing))}")
        elif not have and not ck.problems:
            ck.add("prices", "", "", f"{item} has no price in any year")
    return out


def _check_materials(frame: pd.DataFrame, items: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    cats = dict(zip(items["item"], items["category"]))
    specs = {s.name: s for s in scope_specs("material")}
    rows, seen = [], set()
    for label, r in _rows(frame):
        mat, role, prop = ck.text(r["material"]), ck.text(r["role"]), ck.text(r["property"])
        if role not in ROLES:
            ck.add("materials", label, "role", f"unknown role {role!r}; expected cathode or anode")
            continue
        if cats.get(mat) != role:
            ck.add("materials", label, "material", f"unknown {role} material {mat!r}: it must be an item of category {role}")
            continue
        spec = specs.get(prop)
        if spec is None:
            ck.add("materials", label, "property", f"unknown property {prop!r}; expected one of {', '.join(specs)}")
            continue
        if (mat, prop) in seen:
            ck.add("materials", label, "property", f"duplicate {prop} for {mat}")
            continue
        seen.add((mat, prop))
        value = ck.number("materials", label, "value", r["value"])
        if value is not None and (msg := spec.check(value)):
            ck.add("materials", label, "value", msg)
            continue
        if value is not None:
            rows.append({"material": mat, "role": role, "property": prop, "value": value, **_provenance(r, "materials", label, ck)})
    out = pd.DataFrame(rows, columns=["material", "role", "property", "value", "source", "date", "status"])
    needed = {"cathode": ("capacity_ah_kg", "voltage_v", "true_density_g_cm3"), "anode": ("capacity_ah_kg", "ice", "true_density_g_cm3")}
    for (mat, role), grp in out.groupby(["material", "role"]):
        for prop in needed[role]:
            if prop not in set(grp["property"]):
                ck.add("materials", "", "", f"{role} {mat} has no {prop}")
    return out


def _check_links(frame: pd.DataFrame, items: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    known = set(items["item"])
    rows, seen = [], set()
    for label, r in _rows(frame):
        target, driver = ck.text(r["target"]), ck.text(r["driver"])
        for col, name in (("target", target), ("driver", driver)):
            if name not in known:
                ck.add("links", label, col, f"unknown item {name!r}")
        if target in seen:
            ck.add("links", label, "target", f"{target} already has a price link")
        seen.add(target)
        coef = ck.number("links", label, "coefficient", r["coefficient"])
        ref = ck.number("links", label, "driver_ref", r["driver_ref"], positive=True)
        unit_text = ck.text(r["driver_ref_unit"])
        try:
            parse_price_unit(unit_text)
        except UnitError as exc:
            ck.add("links", label, "driver_ref_unit", str(exc))
            continue
        if coef is not None and coef < 0:
            ck.add("links", label, "coefficient", "a price link coefficient must not be negative")
        if None in (coef, ref) or target not in known or driver not in known:
            continue
        rows.append(
            {
                "target": target,
                "driver": driver,
                "coefficient": coef,
                "driver_ref": ref,
                "driver_ref_unit": unit_text,
                **_provenance(r, "links", label, ck),
            }
        )
    out = pd.DataFrame(rows, columns=["target", "driver", "coefficient", "driver_ref", "driver_ref_unit", "source", "date", "status"])
    # a link chain must not loop
    graph = dict(zip(out["target"], out["driver"]))
    for start in graph:
        node, path = start, [start]
        while node in graph:
            node = graph[node]
            if node in path:
                ck.add("links", "", "", f"price links loop: {' -> '.join([*path, node])}")
                break
            path.append(node)
    return out


MOVED = {
    "wacc": "the cost of capital now depends on the plant's region: set it in the Regions table (property wacc)",
    "labour_ref_cny_per_kwh": "labour is now labour_hours_per_kwh times the region's labour cost per hour (Regions table)",
}
"""Parameters of earlier versions, with where they went."""


def _check_globals(frame: pd.DataFrame, ck: Checker, regions: set[str] | None = None) -> pd.DataFrame:
    specs = {s.name: s for s in scope_specs("global")}
    rows, seen = {}, {}
    for label, r in _rows(frame):
        name = ck.text(r["name"])
        spec = specs.get(name)
        if spec is None:
            ck.add("globals", label, "name", f"unknown parameter {name!r}" + (f": {MOVED[name]}" if name in MOVED else ""))
            continue
        if name in seen:
            ck.add("globals", label, "name", f"duplicate parameter {name!r}")
            continue
        seen[name] = label
        if name in DERIVED_GLOBALS and isinstance(r["value"], str) and r["value"].strip().lower() == DERIVED_MARK:
            rows[name] = {"name": name, "value": math.nan, "source": "computed from the reference design (Derived sheet)",
                          "date": "", "status": "derived"}
            continue
        value = _spec_value(spec, r["value"], "globals", label, ck)
        if value is not None:
            rows[name] = {"name": name, "value": value, **_provenance(r, "globals", label, ck)}
    for spec in specs.values():
        if spec.name not in rows:
            if spec.default is None:
                ck.add("globals", "", "", f"parameter {spec.name!r} is missing")
                continue
            rows[spec.name] = {"name": spec.name, "value": spec.default, "source": spec.source, "date": spec.date, "status": spec.status}
    total = sum(rows[n]["value"] for n in SHARE_GROUPS["conversion driver shares"] if n in rows)
    if abs(total - 1.0) > 1e-6:
        ck.add("globals", "", "", f"conversion driver shares sum to {total:g}; they must sum to 1")
    region = rows.get("region", {}).get("value")
    if regions and region is not None and region not in regions:
        ck.add("globals", seen.get("region", ""), "value",
               f"unknown region {region!r}; expected one of {', '.join(sorted(regions))} (the Regions table)")
    for key in ("margin_rate", "learning_rate", "building_share"):
        if key in rows and rows[key]["value"] >= 1:
            ck.add("globals", seen.get(key, ""), "value", f"{key} must be below 1")
    return pd.DataFrame(list(rows.values()), columns=["name", "value", "source", "date", "status"])


def _check_regions(frame: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    """Regions table (long form): every region needs every region property of the catalog, within bounds."""
    specs = {s.name: s for s in scope_specs("region")}
    rows, seen, first = [], set(), {}
    for label, r in _rows(frame):
        region, prop = ck.text(r["region"]), ck.text(r["property"])
        if not region:
            ck.add("regions", label, "region", "expected a region name, found an empty cell")
            continue
        first.setdefault(region, label)
        spec = specs.get(prop)
        if spec is None:
            ck.add("regions", label, "property", f"unknown region property {prop!r}; expected one of {', '.join(specs)}")
            continue
        if (region, prop) in seen:
            ck.add("regions", label, "property", f"duplicate {prop} for region {region}")
            continue
        seen.add((region, prop))
        value = _spec_value(spec, r["value"], "regions", label, ck)
        if value is None:
            continue
        if spec.kind == "choice" and value not in spec.choices.split("|"):
            ck.add("regions", label, "value", f"unknown {prop} {value!r} for region {region}; expected one of "
                   f"{', '.join(spec.choices.split('|'))}")
            continue
        rows.append({"region": region, "property": prop, "value": value, "unit": ck.text(r.get("unit")) or spec.unit,
                     **_provenance(r, "regions", label, ck)})
    out = pd.DataFrame(rows, columns=["region", "property", "value", "unit", "source", "date", "status"])
    for region, grp in out.groupby("region", sort=False):
        for spec in specs.values():  # a property given with a bad value is reported at its cell, not as missing
            if (region, spec.name) not in seen and not (spec.name == "currency_per_usd" and
                                                        (grp.loc[grp["property"] == "currency", "value"].isin(["CNY", "USD"])).any()):
                ck.add("regions", first.get(region, ""), "region", f"region {region} has no {spec.name}")
    if out.empty and not ck.problems:
        ck.add("regions", "", "", "no regions given: at least the plant's region is needed")
    return out


def _check_physics(ds: Dataset, labels: Mapping[tuple[str, str], object], ck: Checker) -> list[str]:
    """Cross-parameter physics of each design: coatings not denser than their solids, a format that fits its
    dimensions; returns warnings (an electrolyte fill below the pore volume)."""
    pset = ds.parameters(ds.years[0])
    v, c = pset.values, pset.choices
    warnings = []
    for design in ds.design_names:
        def where(param: str, design: str = design) -> object:
            return labels.get((design, param), "")

        d = {k.split(".", 2)[2]: x for k, x in v.items() if k.startswith(f"design.{design}.")}
        ch = {k.split(".", 2)[2]: x for k, x in c.items() if k.startswith(f"design.{design}.")}
        anode = anode_of(v, c, design)
        for side, material, active in (("cathode", ch["cathode_material"], v[f"material.{ch['cathode_material']}.true_density_g_cm3"]),
                                       ("anode", _anode_label(anode), float(anode.density))):
            fractions = [d[f"{side}_{part}_fraction"] for part in ("active", "binder", "carbon")]
            rho = [active, ds.static.density[ch[f"{side}_binder"]], ds.static.density[ch["conductive_carbon"]]]
            dense = dense_density(fractions, rho)
            if d[f"{side}_density_g_cm3"] >= dense:
                ck.add("designs", where(f"{side}_density_g_cm3"), "value",
                       f"design {design}: {side} coating density {d[f'{side}_density_g_cm3']:g} g/cm3 is not below the "
                       f"density of its solids without pores ({dense:.3g} g/cm3 from {material} {rho[0]:g}, binder "
                       f"{rho[1]:g}, carbon {rho[2]:g} g/cm3): the porosity would be zero or negative")
        for param, message in fit_problems(ch["cell_format"], d):
            ck.add("designs", where(param), "value", f"design {design} ({ch['cell_format']}): {message}")
        if ck.problems or d["electrolyte_fill_g_ah"] <= 0:
            continue
        stack = design_stack({**v, f"design.{design}.electrolyte_fill_g_ah": 0.0, f"design.{design}.electrolyte_fill_factor": 1.0},
                             c, design, ds.static)
        pores_g_ah = float(stack.electrolyte / stack.ah * 1000.0)
        if d["electrolyte_fill_g_ah"] < pores_g_ah:
            warnings.append(f"{ck.locate('designs', where('electrolyte_fill_g_ah'), 'value')}: design {design}: electrolyte fill "
                            f"{d['electrolyte_fill_g_ah']:g} g/Ah is below the pore volume of its electrodes and separator "
                            f"({pores_g_ah:.2f} g/Ah): the cell would not be wetted")
    return warnings


def _anode_label(anode) -> str:
    """An anode's material for messages: ``hc_coconut``, or ``hc_coconut/hc_bamboo blend (40 %)``."""
    if anode.second is None:
        return anode.material
    return f"{anode.material}/{anode.second} blend ({100 * float(anode.share):g} %)"


def _check_reference(raw: pd.DataFrame, globals_: pd.DataFrame, designs: pd.DataFrame, ck: Checker) -> None:
    """The reference design (``reference_design``, LFP by default) must be one of the designs: every gap is
    measured against it."""
    names = list(dict.fromkeys(designs["design"]))
    ref = globals_.loc[globals_["name"] == "reference_design", "value"]
    if not names or not len(ref) or str(ref.iloc[0]) in names:
        return
    label = next((lab for lab, r in _rows(raw) if ck.text(r.get("name")) == "reference_design"), "")
    ck.add("globals", label, "value" if label != "" else "",
           f"the reference design {ref.iloc[0]!r} (reference_design) is not among the designs ({', '.join(names)}): "
           "every gap is measured against it; add its column to Designs or set reference_design to one of them")


def _spec_value(spec: ParameterSpec, raw: object, table: str, label: object, ck: Checker):
    if spec.kind == "text":
        return ck.text(raw)
    if spec.kind == "choice":
        value = ck.text(raw)
        if not value and NO_MATERIAL in spec.choice_source()[2]:
            return NO_MATERIAL  # a choice that may be none (anode_material_2): a blank cell means none
        if not value:
            ck.add(table, label, "value", f"{spec.name}: expected a choice, found an empty cell")
            return None
        return value
    value = ck.number(table, label, "value", raw)
    if value is not None and (msg := spec.check(value)):
        ck.add(table, label, "value", msg)
        return None
    return value


def _allowed(spec: ParameterSpec, items: pd.DataFrame, materials: pd.DataFrame, designs: set[str]) -> set[str]:
    kind, arg, literal = spec.choice_source()
    if kind == "items":
        return set(items.loc[items["category"] == arg, "item"]) | set(literal)
    if kind == "materials":
        return set(materials.loc[materials["role"] == arg, "material"]) | set(literal)
    if kind == "designs":
        return designs | set(literal)
    return set(literal)


def _check_designs(frame: pd.DataFrame, items: pd.DataFrame, materials: pd.DataFrame, ck: Checker) -> pd.DataFrame:
    specs = {s.name: s for s in scope_specs("design")}
    values: dict[str, dict[str, dict]] = {}
    allowed_of: dict[str, set[str]] = {}  # the allowed values of a choice list, computed once
    for label, r in _rows(frame):
        design, param = ck.text(r["design"]), ck.text(r["parameter"])
        if not design:
            ck.add("designs", label, "design", "expected a design name, found an empty cell")
            continue
        spec = specs.get(param)
        if spec is None:
            ck.add("designs", label, "parameter", f"unknown design parameter {param!r}")
            continue
        entry = values.setdefault(design, {})
        if param in entry:
            ck.add("designs", label, "parameter", f"duplicate {param} for design {design}")
            continue
        value = _spec_value(spec, r["value"], "designs", label, ck)
        if value is None:
            continue
        if spec.kind == "choice":
            if spec.choices not in allowed_of:
                allowed_of[spec.choices] = _allowed(spec, items, materials, set())
            allowed = allowed_of[spec.choices]
            if value not in allowed:
                expected = ", ".join(sorted(allowed))
                ck.add("designs", label, "value", f"unknown {param} {value!r} for design {design}; expected one of {expected}")
                continue
        entry[param] = {"design": design, "parameter": param, "value": value, "label": label, **_provenance(r, "designs", label, ck)}
    rows = []
    for design, entry in values.items():
        for spec in specs.values():
            if spec.name in entry:
                continue
            if spec.default is None:
                if spec.kind != "text":
                    ck.add("designs", "", "", f"design {design} has no {spec.name}")
                continue
            entry[spec.name] = {
                "design": design,
                "parameter": spec.name,
                "value": spec.default,
                "label": "",
                "source": spec.source or "catalog default",
                "date": spec.date,
                "status": spec.status,
            }
        _check_blend(design, entry, ck)
        for group, names in SHARE_GROUPS.items():
            if all(n in entry for n in names):
                total = sum(entry[n]["value"] for n in names)
                if abs(total - 1.0) > 1e-6:
                    ck.add("designs", entry[names[0]]["label"], "value", f"design {design}: {group} sum to {total:g}; they must sum to 1")
        rows.extend(entry[s] for s in specs if s in entry)
    if not values and not ck.problems:
        ck.add("designs", "", "", "no designs given")
    return pd.DataFrame(rows, columns=["design", "parameter", "value", "label", "source", "date", "status"])


def _check_blend(design: str, entry: Mapping[str, dict], ck: Checker) -> None:
    """A blend share above 0 needs a second anode material (``engine.blend``); reported at the share's cell."""
    share, second = entry.get(SHARE), entry.get(SECOND)
    if share is None or second is None or blended(second["value"]) or share["value"] <= 0:
        return
    ck.add("designs", share["label"], "value", f"design {design}: {SHARE} = {share['value']:g} needs a second anode material, "
           f"but {SECOND} is {NO_MATERIAL}: name the material blended in (e.g. hc_bamboo) or set the share to 0")


def _static(items: pd.DataFrame, prices: pd.DataFrame, links: pd.DataFrame) -> StaticData:
    units = {r.item: parse_price_unit(r.unit) for r in prices.drop_duplicates("item").itertuples()}
    density = {r.item: float(r.density_g_cm3) for r in items.itertuples() if r.category in DENSE_CATEGORIES}
    molar = {r.item: float(r.molar_mass_g_mol) for r in items.itertuples() if r.category == "salt"}
    return StaticData(
        price_units=units,
        categories=dict(zip(items["item"], items["category"])),
        density=density,
        molar_mass=molar,
        links=tuple(PriceLink(r.target, r.driver, parse_price_unit(r.driver_ref_unit)) for r in links.itertuples()),
    )


# ----------------------------------------------------------------------------- bundled data

DATA_FILES = {"prices": "prices", "fx": "fx", "items": "items", "materials": "materials", "designs": "designs", "links": "price_links",
              "regions": "regions", "history": "price_history"}


def read_bundled_tables() -> dict[str, pd.DataFrame]:
    """Raw tables of the packaged default data, indexed by CSV line number."""
    tables: dict[str, pd.DataFrame] = {}
    pkg = resources.files("costmodel.data")
    for table, stem in DATA_FILES.items():
        with pkg.joinpath(f"{stem}.csv").open("r", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        frame.index = frame.index + 2  # line 1 is the header
        tables[table] = frame
    globals_ = [s for s in load_catalog().values() if s.scope == "global"]
    tables["globals"] = pd.DataFrame(
        [{"name": s.name, "value": s.default, "source": s.source, "date": s.date, "status": s.status} for s in globals_]
    )
    return tables


def _bundled_locator(table: str, row: object, column: str) -> str:
    if table == "globals":
        return f"catalog.csv parameter {row}" if row != "" else "catalog.csv"
    return csv_locator(DATA_FILES.get(table, table), row, column)


@lru_cache(maxsize=1)
def load_default() -> Dataset:
    """The bundled default dataset (validated once per process)."""
    return validate_tables(read_bundled_tables(), _bundled_locator, "bundled default data")
