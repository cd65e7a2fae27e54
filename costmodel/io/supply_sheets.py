"""The supply sheets of the base workbook (Segments, Capacity, Reported production): their header notes and dropdowns.

Each is a long Excel table with the columns of its ``supply_*.csv`` file, a comment on every header (meaning and
unit), dropdowns for names, properties, units and statuses, and numbers written as numbers (``io.template`` writes
them). The reader (``costmodel.io.workbook``) takes them as text tables; a workbook without one uses the bundled table.
"""

from __future__ import annotations

from costmodel.dataset import STATUSES, Dataset
from costmodel.supply.data import (
    ALL_MATERIALS,
    CAPACITY_PROPERTIES,
    SEGMENT_PROPERTIES,
    SHEETS,
    STAGES,
    material_dimensions,
    read_default_tables,
)

SHEET_NAMES: tuple[str, ...] = tuple(sheet for sheet, _ in SHEETS)
NOTES: dict[str, str] = {
    "segment": "End-use segment (two_wheeler, storage, ...). Each needs market, penetration, mix_<design> shares summing to 1, "
               "and kwh_per_unit when the market is in units.",
    "segments.period": "Year (e.g. 2026). Blank = every period. Dated figures are interpolated; after the last market figure "
                       "the market grows at growth per year.",
    "segments.property": "; ".join(f"{k}: {v}" for k, v in SEGMENT_PROPERTIES.items()) + "; mix_<design>: share of the segment's "
                         "cells of that design (0-1)",
    "segments.unit": "market: units, k units, M units or GWh; penetration, mix, growth: - (fraction) or %; kwh_per_unit: kWh",
    "material": "Material: an item of the Items sheet or a precursor (coconut_charcoal, bamboo_charcoal, li2co3, soda_ash, pitch); "
                "* = default supply curve of every material.",
    "capacity.period": "Year from which the figure holds (e.g. 2027; the start date of an expansion). Blank = every period.",
    "capacity.property": "; ".join(f"{k}: {v}" for k, v in CAPACITY_PROPERTIES.items()),
    "capacity.unit": "nameplate, expansion: kt/yr, t/yr or Mt/yr (metric tonnes a year; Mm2/yr for a separator); "
                     "ceiling, threshold: - or %; slopes and cap: -",
    "stage": "Chain stage: " + "; ".join(f"{k}: {v}" for k, v in STAGES.items()) + "; or a material (nfpp, hc_coconut, napf6, ...)",
    "reported.period": "Year of the reported output (e.g. 2025).",
    "reported.unit": "cells: GWh; stages and materials: t or kt; or a change: % yoy (on the previous year)",
    "value": "The figure, in the row's unit (column unit).",
    "source": "Where the figure comes from; ASSUMPTION: ... when it is an assumption.",
    "date": "Date of the source (a year or YYYY-MM).",
    "status": "sourced, assumption, derived or physical.",
}


def _note(table: str, column: str) -> str:
    return NOTES.get(f"{table}.{column}") or NOTES.get(column, "")


def _choices(table: str, column: str, ds: Dataset) -> tuple[tuple[str, ...], bool]:
    """Dropdown values of a column and whether other values are allowed (a warning only)."""
    if column == "status":
        return STATUSES, False
    if table == "segments":
        if column == "property":
            return (*SEGMENT_PROPERTIES, *(f"mix_{d}" for d in ds.design_names)), False
        if column == "unit":
            return ("units", "k units", "M units", "GWh", "-", "%", "kWh"), False
    if table == "capacity":
        if column == "property":
            return tuple(CAPACITY_PROPERTIES), False
        if column == "unit":
            return ("kt/yr", "t/yr", "Mt/yr", "Mm2/yr", "-", "%"), False
        if column == "material":
            dims = material_dimensions(ds, read_default_tables()["precursors"])
            return (ALL_MATERIALS, *dims), True
    if table == "reported":
        if column == "unit":
            return ("GWh", "t", "kt", "% yoy"), False
        if column == "stage":
            return tuple(STAGES), True
    return (), False


def supply_sheet_notes(table: str, column: str) -> str:
    """The header comment of a supply sheet's column (meaning and unit)."""
    return _note(table, column)


def supply_sheet_choices(table: str, column: str, ds: Dataset) -> tuple[tuple[str, ...], bool]:
    """Dropdown values of a supply sheet's column and whether other values are allowed (a warning only)."""
    return _choices(table, column, ds)
