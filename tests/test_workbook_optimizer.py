"""The optimizer's six sheets in the planner's workbook: template, round trip to the bundled data, broken cells.

The optimizer itself is not run here (its model has its own tests); these tests stop at the ``OptimizerData``.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from costmodel.cli.optimize import _optimizer_data
from costmodel.dataset import load_default as load_dataset
from costmodel.io.layout import OPTIMIZER_SHEETS
from costmodel.io.template import write_template
from costmodel.io.workbook import read_workbook
from costmodel.model import Model
from costmodel.optimize.data import COLUMNS, from_tables, load_default, read_default_tables, table_designs
from costmodel.runner import scenario_frame
from costmodel.scenario import default_scenarios
from costmodel.validation import InputError
from tests.test_workbook import _cell, cli

SHEETS = {spec.table: spec.sheet for spec in OPTIMIZER_SHEETS}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A freshly written base workbook (bundled data, scenarios and optimizer tables), as ``costmodel template`` writes it."""
    path = tmp_path_factory.mktemp("opt") / "base.xlsx"
    return write_template(path, load_dataset(), scenario_frame(default_scenarios().values()))


@pytest.fixture(scope="module")
def base_input(base):
    return read_workbook(base)


def _save(book, path: Path) -> Path:
    book.save(path)
    return path


def _without_optimizer_sheets(base: Path, path: Path) -> Path:
    book = openpyxl.load_workbook(base)
    for sheet in SHEETS.values():
        del book[sheet]
    return _save(book, path)


# ---------------------------------------------------------------------------------------------- template


def test_template_writes_the_six_sheets_with_tables_comments_and_frozen_headers(base):
    book = openpyxl.load_workbook(base)
    names = book.sheetnames
    first = names.index("Scenarios") + 1
    assert names[first:first + len(SHEETS)] == list(SHEETS.values())  # then the supply sheets (issue 12), then Lists
    bundled = read_default_tables()
    for table, sheet in SHEETS.items():
        ws = book[sheet]
        assert ws.freeze_panes == "A2"
        assert sheet.replace(" ", "") in ws.tables
        assert [c.value for c in ws[1]] == list(COLUMNS[table])
        assert ws.max_row == len(bundled[table]) + 1
        assert all(c.comment is not None and c.comment.text for c in ws[1]), sheet
    notes = {c.value: c.comment.text for sheet in SHEETS.values() for c in book[sheet][1]}
    assert "M USD" in notes["one_off_musd"] and "M USD" in notes["switch_musd"]
    assert "kt per year" in notes["capacity_kt"]
    assert "GWh per year" in notes["plant_gwh"] and "GWh per year" in notes["sellable_gwh"]
    assert "design.nfpp.cathode_loading_mg_cm2=25" in notes["change"]
    guide = "\n".join(str(c.value) for c in book["Guide"]["A"] if c.value)
    assert "Optimizer settings" in guide and "several" in guide and "x1.1" in guide


def test_template_numbers_are_numbers_with_formats(base):
    book = openpyxl.load_workbook(base)
    levers = book["Levers"]
    cost = levers[_cell(levers, "one_off_musd", {"lever": "loading_25"})]
    year = levers[_cell(levers, "earliest_year", {"lever": "loading_25"})]
    assert (cost.value, cost.number_format) == (6, "#,##0.00")
    assert (year.value, year.number_format) == (2026, "0")
    suppliers = book["Suppliers"]
    price = suppliers[_cell(suppliers, "price", {"supplier": "bamboo_a"})]
    capacity = suppliers[_cell(suppliers, "capacity_kt", {"supplier": "bamboo_a"})]
    assert (price.value, capacity.value) == (40000, 2)
    settings = book["Optimizer settings"]
    assert settings[_cell(settings, "value", {"name": "ramp_gwh_per_year"})].value == 15
    assert book["Prices"]["B2"].number_format == "0"  # a year reads 2025, not 2,025.


def test_template_dropdowns(base):
    book = openpyxl.load_workbook(base)

    def lists(sheet: str) -> dict[str, tuple[str, str | None]]:
        ws = book[sheet]
        heads = {c.column_letter: c.value for c in ws[1]}
        return {heads[str(dv.sqref)[0]]: (dv.formula1, dv.errorStyle) for dv in ws.data_validations.dataValidation
                if dv.type == "list"}

    levers, routes, suppliers = lists("Levers"), lists("Routes"), lists("Suppliers")
    assert levers["design"][0].startswith("Lists!")  # fed from the Designs sheet's header: a new design can be picked
    assert levers["status"][0] == '"sourced,assumption,derived,physical"'
    assert "hard_carbon" in routes["family"][0] and routes["family"][1] == "warning"
    assert suppliers["item"][0].startswith("Items!$A$2")  # a range over the Items table: a new item can be picked
    assert "CNY/t" in suppliers["unit"][0] and "USD/kg" in suppliers["unit"][0]
    assert "ramp_gwh_per_year" in lists("Optimizer settings")["name"][0]
    years = [dv for dv in book["Demand"].data_validations.dataValidation if dv.type == "whole"]
    assert [(dv.formula1, dv.formula2) for dv in years] == [("1990", "2100")]


def test_layout_columns_are_the_csv_headers():
    bundled = read_default_tables()
    for spec in OPTIMIZER_SHEETS:
        assert tuple(bundled[spec.table].columns) == spec.columns == COLUMNS[spec.table]


# ---------------------------------------------------------------------------------------------- reading


def test_the_sheets_read_back_to_exactly_the_bundled_data(base_input):
    tables = base_input.optimizer_tables
    assert tables is not None and set(tables) == set(SHEETS)
    designs = table_designs(tables)
    assert designs == table_designs(read_default_tables()) and "nfpp" in designs
    for design in designs:
        assert base_input.optimizer_data(design) == load_default(design)
    data = base_input.optimizer_data("nfpp")
    foil = next(lv for lv in data.levers if lv.name == "thin_al_foil")
    assert [c.text for c in foil.changes] == ["design.nfpp.cathode_foil_um=10", "design.nfpp.anode_foil_um=10"]
    assert (foil.earliest, foil.one_off_musd, foil.group) == (2026, 3.0, "foil")
    assert (data.ramp_gwh, data.expansion_musd_per_gwh) == (15.0, 39.0)
    assert data.demand[2028] == (30.0, 36.0)
    # text tables like read_default_tables(): same columns, one row per CSV row, Excel row numbers as the index
    for table, frame in tables.items():
        assert list(frame.columns) == list(COLUMNS[table])
        assert list(frame.index) == list(range(2, len(read_default_tables()[table]) + 2))
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_an_edited_lever_cost_changes_what_from_tables_returns(base, tmp_path):
    book = openpyxl.load_workbook(base)
    ws = book["Levers"]
    ws[_cell(ws, "one_off_musd", {"lever": "loading_25"})] = 7.5
    ws[_cell(ws, "earliest_year", {"lever": "loading_25"})] = 2027
    wb = read_workbook(_save(book, tmp_path / "edited.xlsx"))
    edited = from_tables(wb.optimizer_tables, "nfpp", locate=wb.locate, dataset=wb.dataset)
    bundled = load_default("nfpp")
    changed = {lv.name: lv for lv in edited.levers}["loading_25"]
    assert (changed.one_off_musd, changed.earliest) == (7.5, 2027)
    assert [lv for lv in edited.levers if lv.name != "loading_25"] == [lv for lv in bundled.levers if lv.name != "loading_25"]
    assert (edited.routes, edited.suppliers, edited.scales) == (bundled.routes, bundled.suppliers, bundled.scales)


def test_a_workbook_without_the_optimizer_sheets_still_validates(base, tmp_path, capsys):
    path = _without_optimizer_sheets(base, tmp_path / "older.xlsx")
    code, out, err = cli(["validate", str(path)], capsys)
    assert code == 0, err
    assert "no optimizer sheets" in out
    wb = read_workbook(path)
    assert wb.optimizer_tables is None and wb.optimizer_data("nfpp") is None


def test_validate_reports_the_optimizer_sheets(base, capsys):
    code, out, err = cli(["validate", str(base)], capsys)
    assert code == 0, err
    assert "optimizer sheets for nfpp" in out


def test_star_rows_apply_to_every_design(base, tmp_path, capsys):
    book = openpyxl.load_workbook(base)
    for table in ("levers", "routes", "scale", "demand"):
        ws = book[SHEETS[table]]
        col = next(c.column_letter for c in ws[1] if c.value == "design")
        for row in range(2, ws.max_row + 1):
            ws[f"{col}{row}"] = "*"
    path = _save(book, tmp_path / "star.xlsx")
    code, out, err = cli(["validate", str(path)], capsys)
    assert code == 0, err
    nfpp = load_default("nfpp")
    counts = f"({len(nfpp.levers)} levers, {len(nfpp.routes)} routes, {len(nfpp.suppliers)} suppliers)"
    assert f"optimizer sheets for nfpp {counts}, o3 {counts}, pw {counts}, lfp {counts}" in out
    wb = read_workbook(path)
    o3 = wb.optimizer_data("o3")
    assert o3.design == "o3"
    assert (o3.levers, o3.routes, o3.scales, o3.demand) == (nfpp.levers, nfpp.routes, nfpp.scales, nfpp.demand)


def test_optimize_falls_back_to_the_bundled_tables_with_one_note(base, tmp_path, capsys):
    wb = read_workbook(_without_optimizer_sheets(base, tmp_path / "older.xlsx"))
    data = _optimizer_data(Model(wb.dataset), wb, "nfpp")
    assert data == load_default("nfpp")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "older.xlsx has no optimizer sheets; using the bundled optimizer tables" in err


def test_optimize_reads_the_workbook_sheets(base, base_input, capsys):
    assert _optimizer_data(Model(base_input.dataset), base_input, "nfpp") == load_default("nfpp")
    assert capsys.readouterr().err == ""
    with pytest.raises(InputError) as exc:  # the bundled tables have no rows for the LFP reference cell
        _optimizer_data(Model(base_input.dataset), base_input, "lfp")
    assert [str(p) for p in exc.value.problems] == ["Routes: no route for design lfp", "Scale options: no scale options for design lfp"]


def test_bundled_tables_are_located_by_csv_file_and_line():
    tables = read_default_tables()
    tables["levers"].loc[1, "one_off_musd"] = "-6"
    tables["suppliers"].loc[0, "unit"] = "USD/T"
    with pytest.raises(InputError) as exc:
        from_tables(tables, "nfpp", "bundled")
    where = [p.where for p in exc.value.problems]
    assert where == ["optimizer_levers.csv line 3, column one_off_musd", "optimizer_suppliers.csv line 2, column unit"]


# ---------------------------------------------------------------------------------------------- broken corpus


def _edit(sheet: str, column: str, match: dict[str, str], value):
    def edit(book):
        ws = book[sheet]
        cell = _cell(ws, column, match)
        ws[cell] = value
        return f"{sheet}!{cell}"

    return edit


def _duplicate(sheet: str, match: dict[str, str], column: str):
    """Append a copy of the row matching ``match``; the problem is at ``column`` of the new row."""
    def edit(book):
        ws = book[sheet]
        row = int(_cell(ws, column, match).lstrip("ABCDEFGHIJ"))
        ws.append([c.value for c in ws[row]])
        letter = next(c.column_letter for c in ws[1] if c.value == column)
        return f"{sheet}!{letter}{ws.max_row}"

    return edit


def _second_foil_row_cost(book):
    ws = book["Levers"]
    rows = [r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "thin_al_foil"]
    ws[f"E{rows[1]}"] = 4
    return f"Levers!E{rows[1]}"


def _drop_setting(book):
    ws = book["Optimizer settings"]
    row = int(_cell(ws, "name", {"name": "ramp_gwh_per_year"})[1:])
    ws.delete_rows(row)
    return "Optimizer settings"


def _drop_sheet(book):
    del book["Demand"]
    return None


def _rename_change_header(book):
    ws = book["Levers"]
    next(c for c in ws[1] if c.value == "change").value = "chnage"
    return "Levers!1 (header row, column change)"


def _formula_in_capacity(book):
    ws = book["Suppliers"]
    cell = _cell(ws, "capacity_kt", {"supplier": "coconut_b"})
    ws[cell] = "=2+2"  # openpyxl writes no cached value
    return f"Suppliers!{cell}"


LEVER = {"lever": "loading_25"}
CASES = {
    "text_in_capacity": (_edit("Suppliers", "capacity_kt", {"supplier": "coconut_a"}, "lots"), "expected a number, found text 'lots'"),
    "negative_capacity": (_edit("Suppliers", "capacity_kt", {"supplier": "coconut_a"}, -2), "expected a number >= 0, found -2"),
    "negative_one_off": (_edit("Levers", "one_off_musd", LEVER, -6), "expected a number >= 0, found -6"),
    "negative_switch": (_edit("Routes", "switch_musd", {"route": "hc_bamboo"}, -1), "expected a number >= 0, found -1"),
    "zero_price": (_edit("Suppliers", "price", {"supplier": "bamboo_a"}, 0), "expected a positive number, found 0"),
    "zero_plant": (_edit("Scale options", "plant_gwh", {"plant_gwh": "10"}, 0), "expected a positive number, found 0"),
    "negative_demand": (_edit("Demand", "sellable_gwh", {"year": "2027"}, -16), "expected a number >= 0, found -16"),
    "text_in_setting": (_edit("Optimizer settings", "value", {"name": "expansion_musd_per_gwh"}, "a lot"), "expected a number"),
    "fractional_year": (_edit("Levers", "earliest_year", {"lever": "loading_30"}, 2027.5), "expected a year such as 2026, found '2027.5'"),
    "year_as_text": (_edit("Demand", "year", {"year": "2028"}, "next year"), "expected a number, found text 'next year'"),
    "unknown_parameter": (_edit("Levers", "change", LEVER, "design.nfpp.flux_capacitor=1"),
                          "unknown parameter 'design.nfpp.flux_capacitor'"),
    "unreadable_change": (_edit("Levers", "change", LEVER, "design.nfpp.cathode_loading_mg_cm2 25"), "cannot read"),
    "empty_change": (_edit("Levers", "change", LEVER, None), "expected a change such as"),
    "change_out_of_bounds": (_edit("Levers", "change", {"lever": "cell_yield_95"}, "design.nfpp.cell_yield=1.5"), "cell_yield"),
    "unknown_route_material": (_edit("Routes", "change", {"route": "hc_pitch"}, "design.nfpp.anode_material=hc_unicorn"),
                               "unknown material 'hc_unicorn'"),
    "tesla_unit": (_edit("Suppliers", "unit", {"supplier": "bamboo_b"}, "USD/T"), "'T' is the tesla; write 't' or 'MT'"),
    "unit_of_another_dimension": (_edit("Suppliers", "unit", {"supplier": "bamboo_b"}, "CNY/m2"), "hc_bamboo is priced per mass"),
    "unknown_item": (_edit("Suppliers", "item", {"supplier": "coconut_b"}, "unobtainium"), "unknown item 'unobtainium'"),
    "unknown_design": (_edit("Scale options", "design", {"plant_gwh": "20"}, "nfpx"), "unknown design 'nfpx'"),
    "route_without_family": (_edit("Routes", "family", {"route": "hc_bamboo"}, None), "expected a route family"),
    "duplicate_route": (_duplicate("Routes", {"route": "hc_bamboo"}, "route"), "duplicate route 'hc_bamboo' for design nfpp"),
    "duplicate_scale": (_duplicate("Scale options", {"plant_gwh": "10"}, "plant_gwh"), "duplicate scale option 10 GWh for design nfpp"),
    "duplicate_demand_year": (_duplicate("Demand", {"year": "2027"}, "year"), "duplicate demand for 2027 for design nfpp"),
    "duplicate_supplier": (_duplicate("Suppliers", {"supplier": "pitch_a"}, "supplier"), "duplicate supplier 'pitch_a'"),
    "lever_rows_disagree": (_second_foil_row_cost, "every row of a lever gives the same earliest year, one-off cost and group"),
    "missing_settings_key": (_drop_setting, "setting ramp_gwh_per_year is missing"),
    "missing_optimizer_sheet": (_drop_sheet, "sheet 'Demand' is missing: the optimizer sheets"),
    "missing_column": (_rename_change_header, "column 'change' is missing"),
    "formula_without_cached_value": (_formula_in_capacity, "has no cached value"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_optimizer_sheet_is_reported_at_its_cell(case, base, tmp_path, capsys):
    edit, message = CASES[case]
    book = openpyxl.load_workbook(base)
    where = edit(book)
    path = _save(book, tmp_path / f"{case}.xlsx")
    before = path.read_bytes()
    code, out, err = cli(["validate", str(path)], capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    if where is not None:
        assert f"  - {where}: " in err, err
    assert message in err, err
    assert path.read_bytes() == before


def test_every_problem_is_reported_at_once(base, tmp_path, capsys):
    book = openpyxl.load_workbook(base)
    wheres = [CASES[c][0](book) for c in ("text_in_capacity", "unknown_parameter", "tesla_unit", "negative_one_off", "zero_plant",
                                          "unknown_item", "duplicate_route")]
    path = _save(book, tmp_path / "many.xlsx")
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2
    assert all(f"  - {w}: " in err for w in wheres), err
    assert "7 problems found" in err


def test_optimizer_problems_are_reported_beside_the_other_sheets_problems(base, tmp_path, capsys):
    """With a broken Prices sheet there is no dataset to check changes and items against; the rest is still checked."""
    book = openpyxl.load_workbook(base)
    wheres = [_edit("Prices", "value", {"item": "li2co3", "year": "2025"}, "abc")(book), CASES["text_in_capacity"][0](book),
              CASES["tesla_unit"][0](book)]
    path = _save(book, tmp_path / "both.xlsx")
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2
    assert all(f"  - {w}: " in err for w in wheres), err
