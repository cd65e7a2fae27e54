"""Layout of the planner's base workbook, shared by the template writer and the reader.

Each long table is one sheet with a header row and one record per row. Designs are wide
(one column per design, like BatPaC); their sources live in a long ``Design sources`` sheet.
The path optimizer's six tables are optional long sheets with the columns of the packaged
``optimizer_*.csv`` files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from costmodel.history.table import COLUMNS as HISTORY_COLUMNS
from costmodel.history.table import REQUIRED as HISTORY_REQUIRED
from costmodel.optimize.data import COLUMNS as OPTIMIZER_COLUMNS
from costmodel.optimize.data import REQUIRED as OPTIMIZER_REQUIRED
from costmodel.validation import Problem


@dataclass(frozen=True)
class SheetSpec:
    """A long-table sheet: its name, the dataset table it feeds, and its columns in order."""

    sheet: str
    table: str
    columns: tuple[str, ...]
    required: tuple[str, ...]


LONG_SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("Prices", "prices", ("item", "year", "value", "unit", "low", "high", "source", "date", "status"),
              ("item", "year", "value", "unit")),
    SheetSpec("FX", "fx", ("year", "cny_per_usd", "source", "date", "status"), ("year", "cny_per_usd")),
    SheetSpec("Items", "items", ("item", "dimension", "category", "density_g_cm3", "molar_mass_g_mol", "description"),
              ("item", "dimension", "category")),
    SheetSpec("Materials", "materials", ("material", "role", "property", "value", "source", "date", "status"),
              ("material", "role", "property", "value")),
    SheetSpec("Regions", "regions", ("region", "property", "value", "unit", "source", "date", "status"),
              ("region", "property", "value")),
    SheetSpec("Plant", "globals", ("name", "value", "unit", "description", "source", "date", "status"), ("name", "value")),
    SheetSpec("Price links", "links",
              ("target", "driver", "coefficient", "driver_ref", "driver_ref_unit", "source", "date", "status"),
              ("target", "driver", "coefficient", "driver_ref", "driver_ref_unit")),
    SheetSpec("Price history", "history", HISTORY_COLUMNS, HISTORY_REQUIRED),
)
OPTIONAL_TABLES: tuple[str, ...] = ("regions", "history")
"""Long tables a workbook may leave out: the bundled table is used (workbooks from before plant regions or price histories)."""
HISTORY_SHEET = "Price history"
DESIGNS_SHEET = "Designs"
DESIGN_FIXED_COLUMNS: tuple[str, ...] = ("parameter", "unit", "description")
DESIGN_SOURCES_SHEET = "Design sources"
DESIGN_SOURCE_COLUMNS: tuple[str, ...] = ("design", "parameter", "source", "date", "status")
SCENARIOS_SHEET = "Scenarios"
SCENARIO_COLUMNS: tuple[str, ...] = ("scenario", "change", "years", "description")
OPTIMIZER_SHEETS: tuple[SheetSpec, ...] = tuple(
    SheetSpec(sheet, table, OPTIMIZER_COLUMNS[table], OPTIMIZER_REQUIRED[table])
    for sheet, table in (("Levers", "levers"), ("Routes", "routes"), ("Suppliers", "suppliers"), ("Scale options", "scale"),
                         ("Demand", "demand"), ("Optimizer settings", "settings"))
)
"""The optimizer's tables (levers, routes, suppliers, scale, demand, settings): all six sheets or none."""
GUIDE_SHEET = "Guide"
LISTS_SHEET = "Lists"


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def norm_header(header: object) -> str:
    """A header cell as a column name: stripped, lower case, spaces as underscores."""
    return str(header).strip().lower().replace(" ", "_") if header is not None else ""


def long_frame(rows: list[tuple], sheet: str, columns: Iterable[str], problems: list[Problem]) -> tuple[pd.DataFrame, dict]:
    """DataFrame of a long sheet indexed by Excel row number, and column → letter map."""
    if not rows:
        problems.append(Problem(f"{sheet}!A1", "the sheet is empty: a header row is needed"))
        return pd.DataFrame(columns=list(columns)), {}
    headers = [norm_header(h) for h in rows[0]]
    letters: dict[str, str] = {}
    for j, h in enumerate(headers):
        if h in columns and h not in letters:
            letters[h] = column_letter(j)
    wanted = [c for c in columns if c in letters]
    index = {c: headers.index(c) for c in wanted}
    records, labels = [], []
    for i, row in enumerate(rows[1:], start=2):
        records.append({c: (row[index[c]] if index[c] < len(row) else None) for c in wanted})
        labels.append(i)
    return pd.DataFrame(records, index=labels, columns=wanted), letters


def cell_text(value: object) -> str:
    """A cell as the text a CSV field would hold: blank for None (or NaN), ``2026`` for 2026.0, ``0.95`` for 0.95."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
