"""The base workbook: template, round trip, and a corpus of broken workbooks (row-level problems).

File-level hostile files (zip bombs, encrypted, truncated, ...) are in test_hostile_files.py.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from costmodel import Model
from costmodel.cli import main
from costmodel.dataset import load_default
from costmodel.io.template import write_template
from costmodel.io.workbook import read_workbook

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "workbooks" / "sodium_ion_base.xlsx"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    from costmodel.runner import scenario_frame
    from costmodel.scenario import default_scenarios

    path = tmp_path_factory.mktemp("tpl") / "base.xlsx"
    write_template(path, load_default(), scenario_frame(default_scenarios().values()))
    return path


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the console entry point in-process; returns (exit code, stdout, stderr)."""
    old = sys.argv
    sys.argv = ["costmodel", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_committed_base_workbook_is_not_stale(template):
    assert BASE.exists(), "run: costmodel template workbooks/sodium_ion_base.xlsx --force"
    assert entries(BASE) == entries(template), "workbooks/sodium_ion_base.xlsx is stale: regenerate it with costmodel template"


def test_template_round_trip_gives_the_bundled_results(template):
    wb = read_workbook(template)
    a = Model().evaluate(2025).summary().set_index("design")
    b = Model(wb.dataset).evaluate(2025).summary().set_index("design")
    assert list(a.index) == list(b.index)
    for col in ("usd_per_kwh", "cny_per_wh", "wh_per_kg", "gap_pct"):
        assert b[col].to_numpy() == pytest.approx(a[col].to_numpy(), rel=1e-12)
    assert len(wb.scenario_rows) >= 7
    assert len(wb.sha256) == 64


def test_template_has_tables_comments_dropdowns_and_frozen_headers(template):
    book = openpyxl.load_workbook(template)
    assert {"Guide", "Prices", "FX", "Materials", "Designs", "Plant", "Scenarios"} <= set(book.sheetnames)
    prices = book["Prices"]
    assert prices.freeze_panes == "A2"
    assert "Prices" in prices.tables
    designs = book["Designs"]
    assert designs.freeze_panes == "D2"
    assert designs["A2"].comment is not None
    lists = [dv.formula1 for dv in designs.data_validations.dataValidation]
    assert any("prismatic" in (f or "") for f in lists)
    assert any((f or "").startswith("Lists!") for f in lists)  # materials and items come from their tables (see test_planner_workbook)
    units = [dv.formula1 for dv in prices.data_validations.dataValidation]
    assert any("CNY/t" in (f or "") for f in units)


def test_validate_and_run_on_the_workbook(template, capsys, tmp_path):
    before = hashlib.sha256(template.read_bytes()).hexdigest()
    code, out, err = cli(["validate", str(template)], capsys)
    assert code == 0, err
    assert "OK" in out
    code, out, err = cli(["run", str(template), "--scenario", "lithium_crash", "--json"], capsys)
    assert code == 0, err
    assert '"lithium_crash"' in out
    assert hashlib.sha256(template.read_bytes()).hexdigest() == before


# ---------------------------------------------------------------------------------------------- hostile corpus


def _cell(ws, header: str, match: dict[str, str]) -> str:
    """Coordinate of the cell in column ``header`` of the first row whose columns equal ``match``."""
    heads = {c.value: c.column_letter for c in ws[1]}
    for row in range(2, ws.max_row + 1):
        if all(str(ws[f"{heads[k]}{row}"].value) == v for k, v in match.items()):
            return f"{heads[header]}{row}"
    raise KeyError(match)


def _design_cell(ws, param: str, design: str) -> str:
    col = next(c.column_letter for c in ws[1] if c.value == design)
    row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == param)
    return f"{col}{row}"


def _edit_price(value_col: str, value, item="li2co3", year="2025"):
    def edit(book):
        ws = book["Prices"]
        cell = _cell(ws, value_col, {"item": item, "year": year})
        ws[cell] = value
        return f"Prices!{cell}"

    return edit


def _edit_design(param: str, design: str, value, column_only: bool = False):
    def edit(book):
        cell = _design_cell(book["Designs"], param, design)
        book["Designs"][cell] = value
        # a sum rule is reported at the group's first cell: same design column, another row
        return f"Designs!{cell.rstrip('0123456789')}" if column_only else f"Designs!{cell}"

    return edit


def _drop_sheet(name):
    def edit(book):
        del book[name]
        return name

    return edit


def _rename_header(sheet, old, new):
    def edit(book):
        ws = book[sheet]
        cell = next(c for c in ws[1] if c.value == old)
        cell.value = new
        return f"{sheet}!1"

    return edit


def _duplicate_price(book):
    ws = book["Prices"]
    ws.append([c.value for c in ws[2]])
    return "duplicate price for li2co3 in 2025"


def _formula_without_cache(book):
    ws = book["Prices"]
    cell = _cell(ws, "value", {"item": "lfp", "year": "2025"})
    ws[cell] = "=35000+600"  # openpyxl writes formulas without cached values, like a non-calculating program
    return f"Prices!{cell}"


def _duplicate_design(book):
    ws = book["Designs"]
    col = ws.max_column + 1
    for r in range(1, ws.max_row + 1):
        ws.cell(r, col, ws.cell(r, 4).value)
    return "duplicate design 'nfpp'"


def _unknown_param(book):
    ws = book["Designs"]
    ws.append(["flux_capacitor", "-", "nonsense", 1.0])
    return "unknown design parameter 'flux_capacitor'"


def _bad_scenario(book):
    ws = book["Scenarios"]
    ws.append(["typo", "price.lithium=60000", "", "bad path"])
    return "price.lithium"


def _fx_gap(book):
    ws = book["FX"]
    cell = _cell(ws, "year", {"year": "2027"})
    ws[cell] = 2031
    return "no FX rate for 2027"


def _clear_designs(book):
    ws = book["Designs"]
    ws.delete_rows(2, ws.max_row)
    return "no designs"


CASES = {
    "text_in_number": (_edit_price("value", "abc"), "expected a number"),
    "negative_price": (_edit_price("value", -5), "expected a positive number"),
    "zero_price": (_edit_price("value", 0), "expected a positive number"),
    "tesla_unit": (_edit_price("unit", "USD/T"), "tesla"),
    "unknown_currency": (_edit_price("unit", "EUR/t"), "unknown currency"),
    "dimension_mismatch": (_edit_price("unit", "CNY/m2"), "priced per mass"),
    "unknown_item": (_edit_price("item", "unobtainium"), "unknown item 'unobtainium'"),
    "ambiguous_decimal_comma": (_edit_price("value", "98,5"), "decimal comma"),
    "year_as_text": (_edit_price("year", "twenty"), "expected a number"),
    "unknown_material": (_edit_design("cathode_material", "nfpp", "nmc811"), "unknown cathode_material 'nmc811'"),
    "unknown_route": (_edit_design("anode_material", "nfpp", "hc_unicorn"), "unknown anode_material 'hc_unicorn'"),
    "out_of_bounds": (_edit_design("np_ratio", "o3", 7), "outside [1, 1.5]"),
    "formulation_sum": (_edit_design("cathode_binder_fraction", "pw", 0.2, True), "cathode formulation sum to"),
    "text_in_design_number": (_edit_design("cathode_loading_mg_cm2", "nfpp", "twenty"), "expected a number"),
    "missing_sheet": (_drop_sheet("FX"), "sheet 'FX' is missing"),
    "missing_designs_sheet": (_drop_sheet("Designs"), "sheet 'Designs' is missing"),
    "missing_column": (_rename_header("Prices", "unit", "units"), "column 'unit' is missing"),
    "duplicate_price": (_duplicate_price, None),
    "formula_without_cached_value": (_formula_without_cache, "has no cached value"),
    "duplicate_design": (_duplicate_design, None),
    "unknown_design_parameter": (_unknown_param, None),
    "bad_scenario": (_bad_scenario, None),
    "fx_year_missing": (_fx_gap, None),
    "no_designs": (_clear_designs, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_workbook_is_reported_with_location(case, template, tmp_path, capsys):
    edit, message = CASES[case]
    book = openpyxl.load_workbook(template)
    where = edit(book)
    path = tmp_path / f"{case}.xlsx"
    book.save(path)
    before = path.read_bytes()
    code, out, err = cli(["validate", str(path)], capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert where in err
    if message:
        assert message in err
    assert path.read_bytes() == before


def test_percent_and_thousands_text_are_parsed(template, tmp_path):
    book = openpyxl.load_workbook(template)
    ws = book["Prices"]
    ws[_cell(ws, "value", {"item": "li2co3", "year": "2025"})] = "98,000.0"
    ws = book["Designs"]
    ws[_design_cell(ws, "utilisation", "nfpp")] = "70%"
    path = tmp_path / "text_numbers.xlsx"
    book.save(path)
    wb = read_workbook(path)
    a = Model().evaluate(2025).summary()["usd_per_kwh"].to_numpy()
    b = Model(wb.dataset).evaluate(2025).summary()["usd_per_kwh"].to_numpy()
    assert b == pytest.approx(a, rel=1e-12)


def test_blank_rows_and_extra_columns_are_tolerated(template, tmp_path):
    book = openpyxl.load_workbook(template)
    ws = book["Prices"]
    ws.insert_rows(5, 2)
    ws.cell(1, ws.max_column + 1, "planner note")
    ws.cell(3, ws.max_column, "checked with purchasing")
    path = tmp_path / "blank_rows.xlsx"
    book.save(path)
    wb = read_workbook(path)
    assert len(wb.dataset.prices) == len(load_default().prices)


def test_results_never_overwrite_the_input(template, tmp_path, capsys):
    copy = tmp_path / "mine.xlsx"
    shutil.copy(template, copy)
    code, _, err = cli(["run", str(copy), "--out", str(copy)], capsys)
    assert code == 2
    assert "never the input" in err
    assert copy.read_bytes() == template.read_bytes()
