"""Read the planner's workbook safely and validate it into a Dataset.

Reading never writes to the file. The safe open (size, zip and format checks, defusedxml)
comes first; then every sheet is read once in read-only mode with cached values, and once
for formulas, so that a formula without a cached value (a file saved by a program that does
not calculate) is reported instead of read as empty. All problems are reported at once,
each naming ``Sheet!Cell``.

The six optimizer sheets (Levers, Routes, Suppliers, Scale options, Demand, Optimizer settings)
are optional, all together or none; when present they are validated by the optimizer's own
validator (``costmodel.optimize.data.check_tables``) with a ``Sheet!Cell`` locator.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from costmodel.dataset import DERIVED_GLOBALS, DERIVED_MARK, Dataset, Locator, validate_tables
from costmodel.history.table import COLUMNS as HISTORY_COLUMNS
from costmodel.io.layout import (
    DESIGN_FIXED_COLUMNS,
    DESIGN_SOURCE_COLUMNS,
    DESIGN_SOURCES_SHEET,
    DESIGNS_SHEET,
    HISTORY_SHEET,
    LONG_SHEETS,
    OPTIMIZER_SHEETS,
    OPTIONAL_TABLES,
    SCENARIO_COLUMNS,
    SCENARIOS_SHEET,
    cell_text,
    column_letter,
    long_frame,
    norm_header,
)
from costmodel.io.safe_open import assert_defusedxml, check_workbook_file
from costmodel.io.supply_sheets import SHEET_NAMES as SUPPLY_SHEETS
from costmodel.io.xml_scan import bad_numbers, merged_problems, scan_package
from costmodel.optimize.data import OptimizerData, check_tables, from_tables
from costmodel.scenario import Scenario, check_scenarios, scenarios_from_rows
from costmodel.supply.data import SupplyData
from costmodel.validation import InputError, Problem, ambiguous_dot


@dataclass(frozen=True)
class WorkbookInput:
    """A validated workbook.

    Attributes:
        path: the file read.
        sha256: hex digest of the file's bytes (for provenance).
        dataset: the validated data.
        scenario_rows: (where, scenario, change, years, description) per Scenarios row; ``where`` maps each
            column to its cell (``{"change": "Scenarios!B7", "years": "Scenarios!C7", ...}``).
        optimizer_tables: the optimizer sheets as text tables (the columns of ``optimizer_*.csv``, index =
            Excel row), validated; None when the workbook has no optimizer sheets.
        locate: maps (table, row, column) to ``Sheet!Cell`` for every table read.
    """

    path: Path
    sha256: str
    dataset: Dataset
    scenario_rows: tuple[tuple[dict[str, str], str, str, str, str], ...]
    optimizer_tables: Mapping[str, pd.DataFrame] | None = field(default=None, repr=False, compare=False)
    locate: Locator | None = field(default=None, repr=False, compare=False)
    supply: SupplyData | None = field(default=None, repr=False, compare=False)
    """The supply tables (Segments, Capacity, Reported production; a missing sheet from the bundled table), validated;
    None when the workbook has none of the supply sheets."""

    def optimizer_data(self, design: str) -> OptimizerData | None:
        """The optimizer's data for ``design`` from the optimizer sheets; None when the workbook has none.

        Raises:
            InputError: a design without routes or scale options, named at its sheet.
        """
        if self.optimizer_tables is None:
            return None
        return from_tables(self.optimizer_tables, design, str(self.path), locate=self.locate, dataset=self.dataset)


TABLE_SHEETS = frozenset({spec.sheet for spec in LONG_SHEETS} | {spec.sheet for spec in OPTIMIZER_SHEETS}
                          | {DESIGNS_SHEET, DESIGN_SOURCES_SHEET, SCENARIOS_SHEET} | set(SUPPLY_SHEETS))
"""Sheets read as tables: size limits and the merged-cell check apply to them."""
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError, zipfile.BadZipFile)


def _cannot_read(path: Path, exc: Exception, sheet: str | None = None) -> Problem:
    what = f"cannot read the sheet {sheet!r}" if sheet else "cannot read the workbook"
    return Problem(sheet or path.name, f"{what}: {type(exc).__name__}: {exc}".split("\n")[0])


class _Sheets:
    """Cell values (cached) and formulas of every sheet, read in read-only mode after a raw scan of the XML
    (``xml_scan``): unsafe XML, oversized table sheets and merged cells are refused unread, and only sheets
    that hold formulas are read a second time for formulas without cached values."""

    def __init__(self, path: Path, skip: frozenset[str] = frozenset()) -> None:
        import openpyxl

        self.values: dict[str, list[tuple]] = {}
        self.problems: list[Problem] = []
        scans = scan_package(path, set(TABLE_SHEETS))
        self.problems.extend(merged_problems(scans, set(TABLE_SHEETS)))
        unreadable: list[Problem] = []
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except InputError:
            raise
        except Exception as exc:  # defusedxml and XML parser errors have no common base class
            raise InputError([_cannot_read(path, exc)], str(path)) from None
        try:
            for ws in wb.worksheets:
                if ws.title not in TABLE_SHEETS or ws.title in skip:
                    continue  # the Guide and the hidden Lists are never read (nor a sheet the command does not use)
                try:
                    if ws.title in FAST_SHEETS:
                        self.values[ws.title] = _fast_values(path, ws.title)
                        continue
                    ws.reset_dimensions()  # rows as stored: a forged <dimension> cannot pad every row
                    self.values[ws.title] = [tuple(r) for r in ws.iter_rows(values_only=True)]
                except Exception as exc:
                    scan = scans.get(ws.title)
                    found = bad_numbers(path, scan) if scan is not None and isinstance(exc, ValueError) else []
                    unreadable.extend(found or [_cannot_read(path, exc, ws.title)])
        finally:
            wb.close()
        if unreadable:
            raise InputError(unreadable, str(path))
        with_formulas = {t for t, sc in scans.items() if sc.formulas}
        if not with_formulas:
            return
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
            try:
                for ws in wb.worksheets:
                    if ws.title not in with_formulas or ws.title not in TABLE_SHEETS or ws.title in skip:
                        continue
                    ws.reset_dimensions()
                    cached = self.values.get(ws.title, [])
                    for i, row in enumerate(ws.iter_rows(values_only=True)):
                        for j, v in enumerate(row):
                            if isinstance(v, str) and v.startswith("="):
                                have = cached[i][j] if i < len(cached) and j < len(cached[i]) else None
                                if have is None and _derived_global(ws.title, cached, i, j):
                                    cached[i] = (*cached[i][:j], DERIVED_MARK, *cached[i][j + 1:])  # computed when validated
                                elif have is None:
                                    self.problems.append(Problem(
                                        f"{ws.title}!{column_letter(j)}{i + 1}",
                                        f"formula {v} has no cached value: the file was saved by a program that does not "
                                        "calculate; open it in Excel or LibreOffice and save it again",
                                    ))
            finally:
                wb.close()
        except InputError:
            raise
        except Exception as exc:  # defusedxml and XML parser errors have no common base class
            raise InputError([_cannot_read(path, exc)], str(path)) from None


def _derived_global(sheet: str, rows: list[tuple], i: int, j: int) -> bool:
    """Is cell (i, j) the value of a derived global on the Plant sheet (``dataset.DERIVED_GLOBALS``)?"""
    if sheet != PLANT_SHEET or not rows or i == 0 or i >= len(rows):
        return False
    head = [str(h).strip() if h is not None else "" for h in rows[0]]
    if "name" not in head or "value" not in head or j != head.index("value"):
        return False
    return str(rows[i][head.index("name")]).strip() in DERIVED_GLOBALS


PLANT_SHEET = next(spec.sheet for spec in LONG_SHEETS if spec.table == "globals")
FAST_SHEETS = frozenset({HISTORY_SHEET})
"""Long sheets whose cell values are read with calamine (Rust; 100,000 rows in about 0.6 s, 20x openpyxl), after the
same safe open and raw XML scan as every sheet. The formula check still reads their formulas with openpyxl."""


def _fast_values(path: Path, title: str) -> list[tuple]:
    """Cell values of sheet ``title`` as openpyxl gives them (None for an empty cell)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        try:
            rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        finally:
            close = getattr(book, "close", None)
            if close is not None:
                close()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic (pyo3's PanicException) is a BaseException
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    return [tuple(None if v == "" else v for v in r) for r in rows]


def _ambiguous_text(values: dict[str, list[tuple]]) -> list[Problem]:
    """Text cells of the table sheets such as ``98.000`` (98, or 98,000 in a locale with a dot as thousands separator)."""
    found = []
    for sheet in TABLE_SHEETS & values.keys():
        for i, row in enumerate(values[sheet][1:], start=2):
            for j, v in enumerate(row):
                if isinstance(v, str) and (msg := ambiguous_dot(v)):
                    found.append(Problem(f"{sheet}!{column_letter(j)}{i}", msg))
    return found


def _optimizer_frames(values: dict[str, list[tuple]], book: str, problems: list[Problem], letters: dict[str, dict[str, str]],
                      sheet_of: dict[str, str]) -> dict[str, pd.DataFrame] | None:
    """The optimizer sheets as text tables (index = Excel row), or None when the workbook has none of them."""
    present = [spec for spec in OPTIMIZER_SHEETS if spec.sheet in values]
    if not present:
        return None
    tables: dict[str, pd.DataFrame] = {}
    names = ", ".join(spec.sheet for spec in OPTIMIZER_SHEETS)
    for spec in OPTIMIZER_SHEETS:
        sheet_of[spec.table] = spec.sheet
        if spec.sheet not in values:
            problems.append(Problem(book, f"sheet {spec.sheet!r} is missing: the optimizer sheets ({names}) go together"))
            continue
        frame, letters[spec.table] = long_frame(values[spec.sheet], spec.sheet, spec.columns, problems)
        tables[spec.table] = frame.map(cell_text)
    return tables


def read_workbook(path: str | Path, history: bool = True) -> WorkbookInput:
    """Open, read and validate a planner workbook.

    Args:
        history: read and check the Price history sheet (a long one takes seconds); commands that do not use it pass
            False, and their dataset has an empty history (``history_source`` says it was not read).

    Raises:
        InputError: every problem found, each naming the file or ``Sheet!Cell``.
    """
    path = Path(path)
    check_workbook_file(path)
    assert_defusedxml()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    sheets = _Sheets(path, frozenset() if history else frozenset({HISTORY_SHEET}))
    problems = list(sheets.problems)
    problems += _ambiguous_text(sheets.values)
    raw: dict[str, pd.DataFrame] = {}
    letters: dict[str, dict[str, str]] = {}
    sheet_of: dict[str, str] = {}
    for spec in LONG_SHEETS:
        sheet_of[spec.table] = spec.sheet
        if spec.sheet not in sheets.values:
            if spec.table not in OPTIONAL_TABLES:
                problems.append(Problem(path.name, f"sheet {spec.sheet!r} is missing"))
            continue
        frame, cols = long_frame(sheets.values[spec.sheet], spec.sheet, spec.columns, problems)
        raw[spec.table], letters[spec.table] = frame, cols

    if not history:
        raw["history"] = pd.DataFrame(columns=list(HISTORY_COLUMNS))
    design_cells: dict[object, tuple[str, str]] = {}
    if DESIGNS_SHEET not in sheets.values:
        problems.append(Problem(path.name, f"sheet {DESIGNS_SHEET!r} is missing"))
    else:
        raw["designs"] = _designs_long(sheets.values[DESIGNS_SHEET], design_cells, problems)
        sources = sheets.values.get(DESIGN_SOURCES_SHEET)
        if sources:
            src, _ = long_frame(sources, DESIGN_SOURCES_SHEET, DESIGN_SOURCE_COLUMNS, problems)
            raw["designs"] = _merge_sources(raw["designs"], src)
    scenario_rows: list[tuple[dict[str, str], str, str, str, str]] = []
    if SCENARIOS_SHEET in sheets.values:
        frame, cols = long_frame(sheets.values[SCENARIOS_SHEET], SCENARIOS_SHEET, SCENARIO_COLUMNS, problems)
        for label, row in frame.iterrows():
            vals = ["" if v is None or (isinstance(v, float) and v != v) else str(v).strip() for v in
                    (row.get(c) for c in SCENARIO_COLUMNS)]
            if not vals[0] and not vals[1]:
                continue
            where = {c: f"{SCENARIOS_SHEET}!{cols[c]}{label}" for c in SCENARIO_COLUMNS if c in cols}
            where.setdefault("change", f"{SCENARIOS_SHEET}!row {label}")
            scenario_rows.append((where, *vals))  # type: ignore[arg-type]
    scenarios: dict[str, Scenario] | None = None
    try:
        scenarios = scenarios_from_rows(scenario_rows)
    except InputError as exc:
        problems.extend(exc.problems)
    optimizer = _optimizer_frames(sheets.values, path.name, problems, letters, sheet_of)

    def locate(table: str, row: object, column: str) -> str:
        if table == "designs":
            if row in design_cells:
                cell, param_cell = design_cells[row]
                return f"{DESIGNS_SHEET}!{param_cell if column == 'parameter' else cell}"
            return f"{DESIGNS_SHEET}"
        sheet = sheet_of.get(table, table)
        if row in ("", None):
            return sheet
        if row == "header":
            return f"{sheet}!1 (header row, column {column})"
        letter = letters.get(table, {}).get(column)
        return f"{sheet}!{letter}{row}" if letter else f"{sheet}!row {row}"

    # sheet-level problems first; row validation needs every sheet; the optimizer's rows are checked against
    # the dataset when it is valid (else without it), so that every problem is reported at once
    dataset = None
    try:
        if all(t in raw for t in ("prices", "fx", "items", "materials", "globals", "links", "designs")):
            dataset = validate_tables(raw, locate, path.name)
            if not history:
                dataset = replace(dataset, history_source="not read (the command does not use the price history)")
    except InputError as exc:
        problems.extend(exc.problems)
    if dataset is not None and scenarios is not None:
        try:
            check_scenarios(scenarios.values(), dataset.parameters, dataset.years, path.name)
        except InputError as exc:
            problems.extend(exc.problems)
    if optimizer is not None and len(optimizer) == len(OPTIMIZER_SHEETS):
        try:
            check_tables(optimizer, path.name, locate=locate, dataset=dataset)
        except InputError as exc:
            problems.extend(exc.problems)
    supply = None
    if dataset is not None:
        from costmodel.supply.workbook import read_supply

        supply = read_supply(sheets.values, path.name, problems, letters, sheet_of, locate, dataset,
                             scenarios.values() if scenarios is not None else ())
    if problems or dataset is None:
        raise InputError(problems, str(path))
    return WorkbookInput(path=path, sha256=digest, dataset=dataset, scenario_rows=tuple(scenario_rows),
                         optimizer_tables=optimizer, locate=locate, supply=supply)


def _designs_long(rows: list[tuple], cells: dict, problems: list[Problem]) -> pd.DataFrame:
    """Wide Designs sheet → long (design, parameter, value) rows; ``cells`` maps row label → (cell, parameter cell)."""
    if not rows:
        problems.append(Problem(f"{DESIGNS_SHEET}!A1", "the sheet is empty: a header row is needed"))
        return pd.DataFrame(columns=["design", "parameter", "value"])
    headers = [str(h).strip() if h is not None else "" for h in rows[0]]
    first = len(DESIGN_FIXED_COLUMNS)
    if [norm_header(h) for h in headers[:first]] != list(DESIGN_FIXED_COLUMNS):
        problems.append(Problem(f"{DESIGNS_SHEET}!A1", f"expected the columns {', '.join(DESIGN_FIXED_COLUMNS)} before the designs"))
    designs = {j: h for j, h in enumerate(headers) if j >= first and h}
    seen: dict[str, str] = {}
    for j, name in designs.items():
        if name in seen:
            problems.append(Problem(f"{DESIGNS_SHEET}!{column_letter(j)}1", f"duplicate design {name!r} (also {seen[name]})"))
        seen.setdefault(name, f"{DESIGNS_SHEET}!{column_letter(j)}1")
    records, labels = [], []
    for i, row in enumerate(rows[1:], start=2):
        param = row[0] if row else None
        if param is None or not str(param).strip():
            continue
        for j, name in designs.items():
            if seen.get(name) != f"{DESIGNS_SHEET}!{column_letter(j)}1":
                continue
            value = row[j] if j < len(row) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue  # a blank cell takes the catalog default (or is reported as missing)
            label = f"{column_letter(j)}{i}"
            cells[label] = (label, f"A{i}")
            records.append({"design": name, "parameter": str(param).strip(), "value": value})
            labels.append(label)
    return pd.DataFrame(records, index=labels, columns=["design", "parameter", "value"])


def _merge_sources(designs: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    if sources.empty or not {"design", "parameter"} <= set(sources.columns):
        return designs
    src = sources.dropna(subset=["design", "parameter"]).drop_duplicates(["design", "parameter"])
    src = src.astype({"design": str, "parameter": str})
    merged = designs.reset_index().merge(src, on=["design", "parameter"], how="left").set_index("index")
    merged.index.name = None
    return merged
