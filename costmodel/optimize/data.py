"""Optimizer inputs: levers, routes, suppliers, scale options, demand and settings (tables with sources).

The tables are text DataFrames with the columns of the packaged ``optimizer_*.csv`` files, from the CSVs
(``read_default_tables``) or from the planner's workbook (``costmodel.io.workbook``). One validator,
``check_tables`` (and ``from_tables`` for one design), checks them and reports every problem at once,
each located by a ``locate(table, row, column)`` callback: ``optimizer_levers.csv line 5, column change``
for the CSVs, ``Levers!C5`` for a workbook.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from costmodel.dataset import Checker, Dataset, Locator, is_blank
from costmodel.scenario import Override, apply_overrides, parse_override
from costmodel.units import UnitError, parse_price_unit
from costmodel.validation import InputError

FILES = {
    "levers": "optimizer_levers.csv",
    "routes": "optimizer_routes.csv",
    "suppliers": "optimizer_suppliers.csv",
    "scale": "optimizer_scale.csv",
    "demand": "optimizer_demand.csv",
    "settings": "optimizer_settings.csv",
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "levers": ("lever", "design", "change", "earliest_year", "one_off_musd", "group", "source", "date", "status"),
    "routes": ("route", "family", "design", "change", "earliest_year", "switch_musd", "source", "date", "status"),
    "suppliers": ("supplier", "item", "capacity_kt", "price", "unit", "first_year", "source", "date", "status"),
    "scale": ("design", "plant_gwh", "source", "date", "status"),
    "demand": ("year", "design", "sellable_gwh", "industry_other_gwh", "source", "date", "status"),
    "settings": ("name", "value", "unit", "source", "date", "status"),
}
"""Columns of each table, in order (the CSV headers and the workbook sheets)."""
REQUIRED: dict[str, tuple[str, ...]] = {
    "levers": ("lever", "design", "change", "earliest_year", "one_off_musd"),
    "routes": ("route", "family", "design", "change", "earliest_year", "switch_musd"),
    "suppliers": ("supplier", "item", "capacity_kt", "price", "unit", "first_year"),
    "scale": ("design", "plant_gwh"),
    "demand": ("year", "design", "sellable_gwh", "industry_other_gwh"),
    "settings": ("name", "value"),
}
"""Columns that must be present (a lever's ``group`` defaults to its name; provenance is optional)."""
SETTINGS: tuple[str, ...] = ("ramp_gwh_per_year", "expansion_musd_per_gwh")
"""Settings the path model needs: new capacity per year (GWh/yr) and expansion capex (M USD per GWh)."""
OPTIONAL_SETTINGS: dict[str, float] = {"blend_step": 0.0}
"""Settings with a default when the table has no row: ``blend_step``, the grid of blend shares (fraction, -; 0 = no blends,
as in workbooks from before blends; see ``choices``)."""
BLEND_STEPS = (0.02, 0.5)
"""Smallest and largest blend step (fraction): 0.5 gives one 50/50 blend per pair of routes, 0.02 gives 49."""


def blend_step_problem(step: float) -> str | None:
    """Why ``step`` cannot be a blend step (0, or a fraction in ``BLEND_STEPS`` that divides 1 into whole steps), else None."""
    if step == 0:
        return None
    lo, hi = BLEND_STEPS
    n = round(1.0 / step) if step > 0 else 0
    if not lo <= step <= hi or abs(n * step - 1.0) > 1e-9:
        return (f"blend_step = {step:g} must be 0 (no blends) or a fraction from {lo:g} to {hi:g} that divides 1 into whole "
                "steps (0.5, 0.25, 0.2, 0.1, 0.05, ...)")
    return None
ALL_DESIGNS = "*"
"""A design cell that applies the row to every design."""
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class Lever:
    """An energy-density or process lever: its changes, earliest year, one-off cost (M USD), exclusivity group."""

    name: str
    changes: tuple[Override, ...]
    earliest: int
    one_off_musd: float
    group: str


@dataclass(frozen=True)
class Route:
    """A material route: one alternative of a family (e.g. ``hard_carbon``: coconut, bamboo, pitch; ``cathode``:
    NFPP, O3), its change, earliest year and switching cost (M USD, paid when the route is entered).

    One alternative per family is used each year: a route, or (``OptimizerData.blend_step`` > 0, for a family whose
    routes set the anode material) a blend of two of its routes on the share grid; the incumbent of a family is the route
    whose change matches the design's current choice.
    """

    name: str
    family: str
    change: Override
    earliest: int
    switch_musd: float


@dataclass(frozen=True)
class Supplier:
    """A supplier of one item: yearly capacity (kt/yr) and price (quoted unit) from ``first_year``."""

    name: str
    item: str
    capacity_kt: float
    price: float
    unit: str
    first_year: int


@dataclass(frozen=True)
class OptimizerData:
    """Everything the path model needs for one design."""

    design: str
    levers: tuple[Lever, ...]
    routes: tuple[Route, ...]
    suppliers: tuple[Supplier, ...]
    scales: tuple[float, ...]
    demand: dict[int, tuple[float, float]]
    ramp_gwh: float
    expansion_musd_per_gwh: float
    blend_step: float = 0.0


def read_default_tables() -> dict[str, pd.DataFrame]:
    """The packaged optimizer tables as text (``dtype=str``), indexed from 0 (CSV line = label + 2)."""
    pkg = resources.files("costmodel.data")
    out = {}
    for key, name in FILES.items():
        with pkg.joinpath(name).open("r", encoding="utf-8") as fh:
            out[key] = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return out


def csv_locator(table: str, row: object, column: str) -> str:
    """Locate a cell of a packaged optimizer CSV: ``optimizer_levers.csv line 5, column change``.

    Row labels are those of ``read_default_tables`` (0-based; line 1 is the header), ``""`` for the
    whole table and ``"header"`` for the header row.
    """
    name = FILES.get(table, table)
    if row in ("", None):
        return name
    if row == "header":
        return f"{name} header, column {column}"
    line = int(row) + 2 if isinstance(row, numbers.Integral) else row
    return f"{name} line {line}, column {column}" if column else f"{name} line {line}"


@dataclass(frozen=True)
class _Row:
    """One valid row: its label, its design (or ``*``) and what it holds."""

    label: object
    design: str
    value: Any


class _Rows:
    """Checks the rows of the optimizer tables; each problem is located by the checker's locator."""

    def __init__(self, ck: Checker, dataset: Dataset | None) -> None:
        self.ck = ck
        self.designs = dataset.design_names if dataset is not None else None
        self.dims = dict(zip(dataset.items["item"], dataset.items["dimension"])) if dataset is not None else None
        self.pset = dataset.parameters(dataset.years[0]) if dataset is not None else None

    def name(self, table: str, label: object, column: str, raw: object, what: str) -> str | None:
        """Non-empty text (a name, family, item)."""
        text = self.ck.text(raw)
        if not text:
            self.ck.add(table, label, column, f"expected {what}, found an empty cell")
            return None
        return text

    def design(self, table: str, label: object, raw: object) -> str | None:
        """A design of the dataset, or ``*``."""
        text = self.name(table, label, "design", raw, f"a design name or {ALL_DESIGNS} (every design)")
        if text is not None and self.designs is not None and text not in (*self.designs, ALL_DESIGNS):
            self.ck.add(table, label, "design",
                        f"unknown design {text!r}; expected one of {', '.join(self.designs)} or {ALL_DESIGNS} (every design)")
            return None
        return text

    def amount(self, table: str, label: object, column: str, raw: object, *, positive: bool = False) -> float | None:
        """A number that must not be negative (or must be positive)."""
        value = self.ck.number(table, label, column, raw, positive=positive)
        if value is not None and value < 0:
            self.ck.add(table, label, column, f"expected a number >= 0, found {value:g}")
            return None
        return value

    def year(self, table: str, label: object, column: str, raw: object) -> int | None:
        """A whole year in 1990-2100."""
        value = self.ck.number(table, label, column, raw)
        if value is None:
            return None
        if value != int(value) or not FIRST_YEAR <= value <= LAST_YEAR:
            self.ck.add(table, label, column, f"expected a year such as 2026, found {self.ck.text(raw)!r}")
            return None
        return int(value)

    def change(self, table: str, label: object, raw: object) -> Override | None:
        """A change in the Scenarios syntax that names a parameter of the dataset (when there is one)."""
        text = self.name(table, label, "change", raw, "a change such as design.nfpp.cell_yield=0.95")
        if text is None:
            return None
        try:
            change = parse_override(text)
        except ValueError as exc:
            self.ck.add(table, label, "change", str(exc))
            return None
        if self.pset is not None:
            try:
                apply_overrides(self.pset, [change], where=self.ck.locate(table, label, "change"))
            except InputError as exc:
                self.ck.problems.extend(exc.problems)
                return None
        return change

    def item(self, label: object, raw: object) -> str | None:
        """A supplier's item: an item of the dataset."""
        item = self.name("suppliers", label, "item", raw, "an item name")
        if item is not None and self.dims is not None and item not in self.dims:
            self.ck.add("suppliers", label, "item", f"unknown item {item!r}; expected an item of the Items table")
            return None
        return item

    def unit(self, label: object, raw: object, item: str | None) -> str | None:
        """A supplier's price unit (``CNY/t``) that fits its item's dimension."""
        text = self.ck.text(raw)
        try:
            unit = parse_price_unit(text)
        except UnitError as exc:
            self.ck.add("suppliers", label, "unit", str(exc))
            return None
        if item is not None and self.dims is not None and item in self.dims and unit.dimension != self.dims[item]:
            self.ck.add("suppliers", label, "unit", f"{item} is priced per {self.dims[item]}, but {text!r} is per {unit.dimension}")
            return None
        return text


def _rows(frame: pd.DataFrame, table: str):
    """(label, row) of the rows holding anything in a required column (blank rows are tolerated)."""
    for label, row in frame.iterrows():
        if not all(is_blank(row[c]) for c in REQUIRED[table]):
            yield label, row


def _show(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _complete(*values: object) -> bool:
    return all(v is not None for v in values)


@dataclass
class _Parsed:
    """The valid rows of every table, all designs (levers: one change per row; demand: (year, (sellable, other)))."""

    levers: list[_Row]
    routes: list[_Row]
    scales: list[_Row]
    demand: list[_Row]
    suppliers: list[Supplier]
    settings: dict[str, float]


def _parse(tables: Mapping[str, pd.DataFrame], rs: _Rows) -> _Parsed:
    """Check every row of every table (all designs); returns the valid rows."""
    ck = rs.ck
    out = _Parsed([], [], [], [], [], {})
    for label, r in _rows(tables["levers"], "levers"):
        name = rs.name("levers", label, "lever", r["lever"], "a lever name")
        design = rs.design("levers", label, r["design"])
        change = rs.change("levers", label, r["change"])
        earliest = rs.year("levers", label, "earliest_year", r["earliest_year"])
        cost = rs.amount("levers", label, "one_off_musd", r["one_off_musd"])
        group = ck.text(r.get("group")) or name
        if _complete(name, design, change, earliest, cost):
            out.levers.append(_Row(label, design, Lever(name, (change,), earliest, cost, group)))
    for label, r in _rows(tables["routes"], "routes"):
        name = rs.name("routes", label, "route", r["route"], "a route name")
        family = rs.name("routes", label, "family", r["family"], "a route family such as hard_carbon")
        design = rs.design("routes", label, r["design"])
        change = rs.change("routes", label, r["change"])
        earliest = rs.year("routes", label, "earliest_year", r["earliest_year"])
        cost = rs.amount("routes", label, "switch_musd", r["switch_musd"])
        if _complete(name, family, design, change, earliest, cost):
            out.routes.append(_Row(label, design, Route(name, family, change, earliest, cost)))
    seen: dict[str, str] = {}
    for label, r in _rows(tables["suppliers"], "suppliers"):
        name = rs.name("suppliers", label, "supplier", r["supplier"], "a supplier name")
        if name is not None and name in seen:
            ck.add("suppliers", label, "supplier", f"duplicate supplier {name!r} (also {seen[name]})")
            name = None
        elif name is not None:
            seen[name] = ck.locate("suppliers", label, "supplier")
        item = rs.item(label, r["item"])
        capacity = rs.amount("suppliers", label, "capacity_kt", r["capacity_kt"])
        price = rs.amount("suppliers", label, "price", r["price"], positive=True)
        unit = rs.unit(label, r["unit"], item)
        first = rs.year("suppliers", label, "first_year", r["first_year"])
        if _complete(name, item, capacity, price, unit, first):
            out.suppliers.append(Supplier(name, item, capacity, price, unit, first))
    for label, r in _rows(tables["scale"], "scale"):
        design = rs.design("scale", label, r["design"])
        plant = rs.amount("scale", label, "plant_gwh", r["plant_gwh"], positive=True)
        if _complete(design, plant):
            out.scales.append(_Row(label, design, plant))
    for label, r in _rows(tables["demand"], "demand"):
        year = rs.year("demand", label, "year", r["year"])
        design = rs.design("demand", label, r["design"])
        sellable = rs.amount("demand", label, "sellable_gwh", r["sellable_gwh"])
        other = rs.amount("demand", label, "industry_other_gwh", r["industry_other_gwh"])
        if _complete(year, design, sellable, other):
            out.demand.append(_Row(label, design, (year, (sellable, other))))
    where: dict[str, str] = {}
    for label, r in _rows(tables["settings"], "settings"):
        name = rs.name("settings", label, "name", r["name"], "a setting name")
        value = rs.amount("settings", label, "value", r["value"])
        if name is not None and name in where:
            ck.add("settings", label, "name", f"duplicate setting {name!r} (also {where[name]})")
            continue
        if name is not None:
            where[name] = ck.locate("settings", label, "name")
        if _complete(name, value) and name in OPTIONAL_SETTINGS and (msg := blend_step_problem(value)):
            ck.add("settings", label, "value", msg)
        elif _complete(name, value):
            out.settings[name] = value
    for key in SETTINGS:
        if key not in where:
            ck.add("settings", "", "", f"setting {key} is missing: add a row with name {key} and its value")
    return out


def _assemble(parsed: _Parsed, design: str, ck: Checker) -> OptimizerData | None:
    """The data of one design (its rows and the ``*`` rows); design-level problems go to ``ck``."""

    def mine(rows: list[_Row]) -> list[_Row]:
        return [r for r in rows if r.design in (design, ALL_DESIGNS)]

    def first_of(table: str, rows: list[_Row], key, column: str, what) -> dict:
        """Rows by ``key``; a repeated key is reported at ``column`` of the later row."""
        found: dict = {}
        for r in rows:
            k = key(r)
            if k in found:
                ck.add(table, r.label, column, f"duplicate {what(k)} for design {design} (also {ck.locate(table, found[k].label, column)})")
            else:
                found[k] = r
        return found

    levers: dict[str, Lever] = {}
    origin: dict[str, object] = {}
    for r in mine(parsed.levers):
        lv: Lever = r.value
        if lv.name not in levers:
            levers[lv.name], origin[lv.name] = lv, r.label
            continue
        first = levers[lv.name]
        for column, a, b in (("earliest_year", lv.earliest, first.earliest), ("one_off_musd", lv.one_off_musd, first.one_off_musd),
                             ("group", lv.group, first.group)):
            if a != b:
                ck.add("levers", r.label, column, f"lever {lv.name} has {column} {_show(a)} here but {_show(b)} in "
                       f"{ck.locate('levers', origin[lv.name], column)}; every row of a lever gives the same earliest year, "
                       "one-off cost and group")
        levers[lv.name] = Lever(first.name, (*first.changes, *lv.changes), first.earliest, first.one_off_musd, first.group)
    routes = first_of("routes", mine(parsed.routes), lambda r: r.value.name, "route", lambda k: f"route {k!r}")
    scales = first_of("scale", mine(parsed.scales), lambda r: r.value, "plant_gwh", lambda k: f"scale option {k:g} GWh")
    demand = first_of("demand", mine(parsed.demand), lambda r: r.value[0], "year", lambda k: f"demand for {k}")
    if not routes:
        ck.add("routes", "", "", f"no route for design {design}")
    if not scales:
        ck.add("scale", "", "", f"no scale options for design {design}")
    if not routes or not scales or not all(k in parsed.settings for k in SETTINGS):
        return None
    return OptimizerData(design, tuple(levers.values()), tuple(r.value for r in routes.values()), tuple(parsed.suppliers),
                         tuple(sorted(scales)), {y: r.value[1] for y, r in demand.items()},
                         parsed.settings["ramp_gwh_per_year"], parsed.settings["expansion_musd_per_gwh"],
                         parsed.settings.get("blend_step", OPTIONAL_SETTINGS["blend_step"]))


def table_designs(tables: Mapping[str, pd.DataFrame]) -> tuple[str, ...]:
    """Designs named in the design columns of the tables (``*`` aside), in order of appearance."""
    names: dict[str, None] = {}
    for table in ("levers", "routes", "scale", "demand"):
        frame = tables.get(table)
        if frame is not None and "design" in frame.columns:
            names.update((t, None) for t in ("" if is_blank(d) else str(d).strip() for d in frame["design"]) if t and t != ALL_DESIGNS)
    return tuple(names)


def check_tables(tables: Mapping[str, pd.DataFrame], source: str = "optimizer data", *, locate: Locator = csv_locator,
                 dataset: Dataset | None = None, designs: Iterable[str] | None = None) -> dict[str, OptimizerData]:
    """Validate the optimizer tables and build the data of each design; every problem is reported at once.

    Every row of every table is checked (all designs): names and families present; numbers where
    numbers belong (costs in M USD, capacities in kt/yr and demand in GWh/yr not negative; prices in
    the quoted unit and plant sizes in GWh/yr positive); years integers in 1990-2100; each ``change``
    in the Scenarios syntax. With a ``dataset`` also: designs are its designs or ``*``, each change
    names one of its parameters (and keeps it within bounds), supplier items are its items and
    their units fit the item. Then per design: no duplicate route, scale option or demand year, the
    rows of one lever agree, at least one route and one scale option, and the settings
    ``ramp_gwh_per_year`` and ``expansion_musd_per_gwh`` (``blend_step``, if given, 0 or a fraction that divides 1 into
    whole steps; without it 0, no blends).

    Args:
        tables: table name (``levers``, ``routes``, ``suppliers``, ``scale``, ``demand``, ``settings``)
            → DataFrame of cell values (text, as ``read_default_tables`` gives; index = row label for ``locate``).
        source: name of the input, used in the error report.
        locate: maps (table, row label, column) to a location (``optimizer_levers.csv line 5, column change``,
            ``Levers!C5``).
        dataset: the data the changes and items are checked against; None skips those checks.
        designs: the designs to build; default: those the tables name, else every design of ``dataset``.

    Raises:
        InputError: with every problem, each located by ``locate``.
    """
    ck = Checker(locate)
    for table, cols in REQUIRED.items():
        frame = tables.get(table)
        if frame is None:
            ck.add(table, "", "", f"table {table!r} is missing")
            continue
        for col in cols:
            if col not in frame.columns:
                ck.add(table, "header", col, f"column {col!r} is missing")
    if ck.problems:
        raise InputError(ck.problems, source)
    parsed = _parse(tables, _Rows(ck, dataset))
    if designs is None:
        known = dataset.design_names if dataset is not None else None
        designs = tuple(d for d in table_designs(tables) if known is None or d in known) or known or ()
    out = {d: _assemble(parsed, d, ck) for d in designs}
    if ck.problems:
        raise InputError(list(dict.fromkeys(ck.problems)), source)
    return out  # type: ignore[return-value]  # every value is set when there is no problem


def from_tables(tables: Mapping[str, pd.DataFrame], design: str, source: str = "optimizer data", *,
                locate: Locator = csv_locator, dataset: Dataset | None = None) -> OptimizerData:
    """Validate the tables (see ``check_tables``) and return the data of ``design``.

    Args:
        tables: the six optimizer tables as text.
        design: the design to optimise.
        source: name of the input, used in the error report.
        locate: where a problem is (default: the packaged CSV file and line).
        dataset: the data changes and supplier items are checked against (None: not checked).

    Raises:
        InputError: with every problem found.
    """
    return check_tables(tables, source, locate=locate, dataset=dataset, designs=[design])[design]


def load_default(design: str = "nfpp", dataset: Dataset | None = None) -> OptimizerData:
    """Optimizer data for ``design`` from the packaged tables, checked against ``dataset`` (default: the bundled data)."""
    from costmodel.dataset import load_default as bundled

    return from_tables(read_default_tables(), design, "bundled optimizer data", dataset=dataset or bundled())
