"""Reading the supply sheets of a planner workbook (called by ``costmodel.io.workbook.read_workbook``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from costmodel.dataset import Dataset, Locator
from costmodel.scenario import Scenario
from costmodel.supply.data import COLUMNS, SHEETS, SupplyData, check_tables
from costmodel.supply.params import apply_supply, resolve, supply_overrides
from costmodel.validation import InputError, Problem


def read_supply(values: dict[str, list[tuple]], book: str, problems: list[Problem], letters: dict[str, dict[str, str]],
                sheet_of: dict[str, str], locate: Locator, dataset: Dataset, scenarios: Iterable[Scenario]) -> SupplyData | None:
    """Validate the workbook's supply sheets (a missing one: the bundled table) and the scenarios' supply overrides.

    Problems are appended to ``problems`` (each at its ``Sheet!Cell``); ``letters`` and ``sheet_of`` gain the
    supply tables so that ``locate`` names their cells. Returns None when the workbook has no supply sheet or a
    problem was found.
    """
    from costmodel.io.layout import cell_text, long_frame

    present = [(sheet, table) for sheet, table in SHEETS if sheet in values]
    if not present:
        return None
    tables: dict[str, pd.DataFrame] = {}
    for sheet, table in present:
        sheet_of[table] = sheet
        frame, letters[table] = long_frame(values[sheet], sheet, COLUMNS[table], problems)
        tables[table] = frame.map(cell_text)
    try:
        data = check_tables(tables, book, locate=locate, dataset=dataset)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    mine = [sc for sc in scenarios if supply_overrides(sc.overrides)]
    if mine:
        params = resolve(data, dataset.years)
        for sc in mine:
            try:
                apply_supply(params, sc.overrides, where=f"scenario {sc.name}")
            except InputError as exc:
                problems.extend(exc.problems)
    return data
