"""Issue 12: bad supply input fails cleanly, naming Sheet!Cell, exit 2, the input file unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from costmodel.cli import app
from costmodel.io.workbook import read_workbook
from tests.xlsx_tools import BASE

runner = CliRunner()


def _row(ws, **match) -> int:
    """First row (1-based) whose named columns hold the given values."""
    head = [c.value for c in ws[1]]
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(str(row[head.index(k)]) == str(v) for k, v in match.items()):
            return i
    raise AssertionError(f"no row {match}")


def _edited(tmp_path: Path, sheet: str, match: dict, column: str, value) -> tuple[Path, str]:
    wb = openpyxl.load_workbook(BASE)
    ws = wb[sheet]
    r = _row(ws, **match)
    col = [c.value for c in ws[1]].index(column)
    ws.cell(r, col + 1, value)
    path = tmp_path / "wb.xlsx"
    wb.save(path)
    return path, f"{sheet}!{openpyxl.utils.get_column_letter(col + 1)}{r}"


CASES = [
    ("Segments", {"segment": "two_wheeler", "property": "market"}, "value", -5, "negative market"),
    ("Segments", {"segment": "two_wheeler", "property": "penetration", "period": 2026}, "value", 1.5,
     "penetration 1.5 must lie between 0 and 1"),
    ("Capacity", {"material": "hc_coconut", "property": "nameplate"}, "unit", "GWh", "must be a mass per year"),
    ("Segments", {"segment": "storage", "property": "mix_pw"}, "property", "mix_nfp", "names an unknown design 'nfp'"),
    ("Reported production", {"stage": "cells", "period": 2025}, "stage", "widgets", "unknown stage 'widgets'"),
]


@pytest.mark.parametrize(("sheet", "match", "column", "value", "message"), CASES)
def test_bad_supply_input_names_its_cell(tmp_path, sheet, match, column, value, message) -> None:
    path, cell = _edited(tmp_path, sheet, match, column, value)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    res = runner.invoke(app, ["supply", str(path), "--years", "2025-2026"])
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.exit_code == 2, res.output
    assert cell in res.output and message in res.output, res.output
    assert "Traceback" not in res.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and cell in res.output


def test_workbook_without_supply_sheets_uses_the_bundled_tables(tmp_path) -> None:
    wb = openpyxl.load_workbook(BASE)
    for name in ("Segments", "Capacity", "Reported production"):
        del wb[name]
    path = tmp_path / "old.xlsx"
    wb.save(path)
    assert read_workbook(path).supply is None
    res = runner.invoke(app, ["supply", str(path), "--years", "2026", "--json"])
    assert res.exit_code == 0, res.output


def test_workbook_capacity_edit_is_used(tmp_path) -> None:
    path, _ = _edited(tmp_path, "Capacity", {"material": "coconut_charcoal", "property": "nameplate"}, "value", 1000)
    res = runner.invoke(app, ["supply", str(path), "--years", "2026", "--json"])
    assert res.exit_code == 0, res.output
    assert '"material": "coconut_charcoal"' not in res.output.split('"binding"')[1].split('"costs"')[0]


def test_scenario_sheet_supply_override_is_checked(tmp_path) -> None:
    wb = openpyxl.load_workbook(BASE)
    ws = wb["Scenarios"]
    r = ws.max_row + 1
    ws.cell(r, 1, "tw10")
    ws.cell(r, 2, "segment.two_wheeler.penetraton=0.1")
    path = tmp_path / "sc.xlsx"
    wb.save(path)
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and f"Scenarios!B{r}" in res.output and "penetraton" in res.output
