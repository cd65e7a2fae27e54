"""Optimizer inputs: levers, routes, suppliers, scale options, demand and settings (tables with sources).

The tables are DataFrames so a workbook reader can feed them; ``load_default`` reads the packaged CSVs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from costmodel.scenario import Override, parse_override
from costmodel.units import UnitError, parse_price_unit
from costmodel.validation import InputError, Problem, parse_number

FILES = {
    "levers": "optimizer_levers.csv",
    "routes": "optimizer_routes.csv",
    "suppliers": "optimizer_suppliers.csv",
    "scale": "optimizer_scale.csv",
    "demand": "optimizer_demand.csv",
    "settings": "optimizer_settings.csv",
}


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

    Exactly one route per family is used each year; the incumbent of a family is the route whose change
    matches the design's current choice.
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


def read_default_tables() -> dict[str, pd.DataFrame]:
    """The packaged optimizer tables."""
    pkg = resources.files("costmodel.data")
    out = {}
    for key, name in FILES.items():
        with pkg.joinpath(name).open("r", encoding="utf-8") as fh:
            out[key] = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return out


def from_tables(tables: dict[str, pd.DataFrame], design: str, source: str = "optimizer data") -> OptimizerData:
    """Validate the tables for ``design``; every problem is reported at once (table and row)."""
    problems: list[Problem] = []

    def num(table: str, i: int, col: str, raw) -> float:
        try:
            return parse_number(raw)
        except ValueError as exc:
            problems.append(Problem(f"{table} row {i + 2}, column {col}", str(exc)))
            return float("nan")

    def mine(table: str) -> pd.DataFrame:
        frame = tables[table]
        return frame[frame["design"].isin([design, "*"])] if "design" in frame.columns else frame

    levers: dict[str, Lever] = {}
    for i, r in mine("levers").iterrows():
        try:
            change = parse_override(r["change"])
        except ValueError as exc:
            problems.append(Problem(f"levers row {i + 2}, column change", str(exc)))
            continue
        name = r["lever"]
        if name in levers:
            lv = levers[name]
            levers[name] = Lever(name, (*lv.changes, change), lv.earliest, lv.one_off_musd, lv.group)
        else:
            levers[name] = Lever(name, (change,), int(num("levers", i, "earliest_year", r["earliest_year"])),
                                 num("levers", i, "one_off_musd", r["one_off_musd"]), r["group"] or name)
    routes = []
    for i, r in mine("routes").iterrows():
        try:
            routes.append(Route(r["route"], r["family"] or "route", parse_override(r["change"]), int(num("routes", i, "earliest_year", r["earliest_year"])),
                                num("routes", i, "switch_musd", r["switch_musd"])))
        except ValueError as exc:
            problems.append(Problem(f"routes row {i + 2}, column change", str(exc)))
    suppliers = []
    for i, r in tables["suppliers"].iterrows():
        try:
            parse_price_unit(r["unit"])
        except UnitError as exc:
            problems.append(Problem(f"suppliers row {i + 2}, column unit", str(exc)))
        first = int(num("suppliers", i, "first_year", r["first_year"]))
        suppliers.append(Supplier(r["supplier"], r["item"], num("suppliers", i, "capacity_kt", r["capacity_kt"]),
                                  num("suppliers", i, "price", r["price"]), r["unit"], first))
    scales = tuple(sorted(num("scale", i, "plant_gwh", r["plant_gwh"]) for i, r in mine("scale").iterrows()))
    demand = {int(num("demand", i, "year", r["year"])): (num("demand", i, "sellable_gwh", r["sellable_gwh"]),
                                                         num("demand", i, "industry_other_gwh", r["industry_other_gwh"]))
              for i, r in mine("demand").iterrows()}
    settings = {r["name"]: num("settings", i, "value", r["value"]) for i, r in tables["settings"].iterrows()}
    for key in ("ramp_gwh_per_year", "expansion_musd_per_gwh"):
        if key not in settings:
            problems.append(Problem("settings", f"{key} is missing"))
    if not routes:
        problems.append(Problem("routes", f"no route for design {design}"))
    if not scales:
        problems.append(Problem("scale", f"no scale options for design {design}"))
    if problems:
        raise InputError(problems, source)
    return OptimizerData(design, tuple(levers.values()), tuple(routes), tuple(suppliers), scales, demand,
                         settings["ramp_gwh_per_year"], settings["expansion_musd_per_gwh"])


def load_default(design: str = "nfpp") -> OptimizerData:
    """Optimizer data for ``design`` from the packaged tables."""
    return from_tables(read_default_tables(), design, "bundled optimizer data")
