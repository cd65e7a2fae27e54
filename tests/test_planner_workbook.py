"""The planner's workbooks, used as a planner would through LibreOffice: a new design and a new material typed in the base
workbook can be picked in the dropdowns (fed from the tables) and run; pages print one sheet-width wide and charts whole;
a price outside its low/high range is a warning; ``run -d nfpp`` shows the gap to the reference."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table

from costmodel import Model
from costmodel.dataset import read_bundled_tables, validate_tables
from costmodel.io.results_workbook import write_results_workbook
from costmodel.runner import pick_scenarios, provenance, run_scenarios, scenario_frame
from costmodel.scenario import default_scenarios
from tests.libreoffice import recalculate, render_pdf, require_soffice
from tests.xlsx_tools import BASE

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def cli_json(args: list[str]) -> dict:
    out = subprocess.run([str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "costmodel"), *args, "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _grow_table(ws, name: str, last_row: int) -> None:
    table: Table = ws.tables[name]
    first, last = table.ref.split(":")
    col = re.sub(r"\d+", "", last)
    table.ref = f"{first}:{col}{last_row}"


def test_new_design_and_material_are_picked_from_the_tables_and_run(tmp_path):
    require_soffice()
    book = openpyxl.load_workbook(BASE)
    # a new cathode material: Items row, Materials rows, Prices rows (copies of nfpp's, 10 % more capacity)
    items = book["Items"]
    row = [c.value for c in next(r for r in items.iter_rows(min_row=2) if r[0].value == "nfpp")]
    items.append(["nfpp_hv", *row[1:]])
    _grow_table(items, "Items", items.max_row)
    mats = book["Materials"]
    for r in [list(c.value for c in r) for r in mats.iter_rows(min_row=2) if r[0].value == "nfpp"]:
        mats.append(["nfpp_hv", r[1], r[2], r[3] * 1.1 if r[2] == "capacity_ah_kg" else r[3], *r[4:]])
    _grow_table(mats, "Materials", mats.max_row)
    prices = book["Prices"]
    for r in [list(c.value for c in r) for r in prices.iter_rows(min_row=2) if r[0].value == "nfpp"]:
        prices.append(["nfpp_hv", *r[1:]])
    _grow_table(prices, "Prices", prices.max_row)
    # a new design column: a copy of nfpp with the new cathode
    designs = book["Designs"]
    heads = [c.value for c in designs[1]]
    src, new = heads.index("nfpp") + 1, len([h for h in heads if h]) + 1
    for r in range(1, designs.max_row + 1):
        designs.cell(r, new).value = designs.cell(r, src).value
    designs.cell(1, new).value = "nfpp2"
    cathode_row = next(r for r in range(2, designs.max_row + 1) if designs.cell(r, 1).value == "cathode_material")
    designs.cell(cathode_row, new).value = "nfpp_hv"
    typed = tmp_path / "typed.xlsx"
    book.save(typed)
    resaved = recalculate(typed, tmp_path / "lo")  # re-saved through LibreOffice: the Lists formulas recalculated
    book = openpyxl.load_workbook(resaved)
    # the cathode_material dropdown of the new column is fed by a Lists column whose formulas read the Materials table
    dv = next(d for d in book["Designs"].data_validations.dataValidation
              if f"{openpyxl.utils.get_column_letter(new)}{cathode_row}" in d.sqref)
    col = re.match(r"\$?Lists!\$?([A-Z]+)\$?2:", dv.formula1.lstrip("=")).group(1)
    lists = book["Lists"]
    formulas = [c.value for c in lists[col][1:] if c.value is not None]
    assert any("Materials!" in str(getattr(f, "text", f)) for f in formulas)
    picked = [c.value for c in openpyxl.load_workbook(resaved, data_only=True)["Lists"][col][1:] if c.value]
    assert "nfpp_hv" in picked and "nfpp" in picked and "hc_coconut" not in picked
    # the design lists (levers) read the Designs header: the new design is there
    design_col = next(c for c in lists[1] if c.value == "designs*").column_letter
    picked = [c.value for c in openpyxl.load_workbook(resaved, data_only=True)["Lists"][design_col][1:] if c.value]
    assert picked[:6] == ["*", "nfpp", "o3", "pw", "lfp", "nfpp2"]
    # the item dropdowns range over the Items table (with room for new rows)
    item_dv = next(d for d in book["Prices"].data_validations.dataValidation if "A" in str(d.sqref).split(":")[0])
    assert item_dv.formula1.lstrip("=").startswith("Items!$A$2:$A$")
    # and it runs: the new design is evaluated with its new cathode (10 % more capacity: cheaper than nfpp)
    out = cli_json(["run", str(resaved), "-d", "nfpp", "-d", "nfpp2"])
    cost = {r["design"]: r["usd_per_kwh"] for r in out["results"]}
    assert set(cost) == {"nfpp", "nfpp2"}
    assert cost["nfpp2"] < cost["nfpp"] * 0.99


def _pages(pdf: Path) -> list[tuple[str, str, float, float]]:
    """(sheet name from the page header, page text, width, height in points) per page."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    out = []
    for i, (w, h) in enumerate(sizes, start=1):
        text = subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        out.append((text.strip().split()[0] if text.strip() else "", text, w, h))
    return out


def _need_poppler() -> None:
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("pdfinfo/pdftotext (poppler-utils) are required in CI")
        pytest.skip("poppler-utils not installed")


def test_base_workbook_prints_one_sheet_width_per_page(tmp_path):
    require_soffice()
    _need_poppler()
    pages = _pages(render_pdf(BASE, tmp_path))
    assert len(pages) <= 45  # was 75 before the print layout
    by_sheet: dict[str, list[tuple[str, float, float]]] = {}
    for sheet, text, w, h in pages:
        by_sheet.setdefault(sheet, []).append((text, w, h))
    assert len(by_sheet["Guide"]) == 1
    # every page of Prices and Designs carries the first and the last column (fit to width, header row repeated)
    for sheet, first, last in (("Prices", "item", "status"), ("Designs", "parameter", "lfp")):
        assert by_sheet[sheet], sheet
        for text, w, h in by_sheet[sheet]:
            assert w > h, f"{sheet}: landscape pages"
            head = text.splitlines()[1:4]
            assert any(first in line and last in line for line in head), (sheet, head)
    # every priced item's row appears once (no sheet width split across pages)
    prices_text = "\n".join(t for t, _, _ in by_sheet["Prices"])
    assert prices_text.count("li2co3") >= 4


def test_results_charts_are_whole_on_their_pages(tmp_path):
    require_soffice()
    _need_poppler()
    model = Model()
    run = run_scenarios(model, pick_scenarios(default_scenarios(), ["base", "lithium_crash", "coconut_spike"], "t"), [2025])
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, run.results, inputs=run.inputs, provenance=provenance(model, run, None, "t"),
                           scenarios=scenario_frame(run.scenarios), static=model.dataset.static)
    pages = _pages(render_pdf(path, tmp_path))
    charts = [t for s, t, _, _ in pages if s == "Charts"]
    # one page per scenario block, each with its table and its whole chart (title and axis title on the same page)
    assert len(charts) == 3
    for sc, text in zip(["base", "lithium_crash", "coconut_spike"], charts, strict=True):
        assert f"scenario {sc}, 2025" in text and f"Cell cost by category, scenario {sc}" in text and "USD/kWh" in text
    comparison = [t for s, t, _, _ in pages if s == "Comparison"]
    assert len(comparison) == 1 and "Cell cost by scenario and design, 2025" in comparison[0]
    guide = [t for s, t, _, _ in pages if s == "Guide"]
    assert len(guide) == 1 and "whatif --set" in guide[0]


def test_a_price_outside_its_range_is_a_warning_that_widens_the_range():
    tables = read_bundled_tables()
    prices = tables["prices"].copy()
    i = prices.index[(prices["item"] == "coconut_charcoal") & (prices["year"].astype(str) == "2025")][0]
    new = float(prices.at[i, "high"]) * 1.5  # a new quote 50 % above the stored high
    prices.at[i, "value"] = str(new)
    checked = validate_tables({**tables, "prices": prices})
    row = checked.prices[(checked.prices["item"] == "coconut_charcoal") & (checked.prices["year"] == 2025)].iloc[0]
    assert row["value"] == new and row["high"] == new
    assert any("coconut_charcoal 2025" in w and "outside its low/high range" in w for w in checked.warnings)


def test_run_with_one_design_shows_the_gap_to_the_reference():
    out = cli_json(["run", "-d", "nfpp"])
    (rec,) = out["results"]
    assert rec["design"] == "nfpp" and rec["reference"] == "lfp"
    full = {r["design"]: r for r in cli_json(["run"])["results"]}
    assert rec["gap_usd_per_kwh"] == pytest.approx(full["nfpp"]["usd_per_kwh"] - full["lfp"]["usd_per_kwh"], rel=1e-12)
    assert rec["gap_usd_per_kwh"] > 10


def test_derived_plant_figures_are_formulas_and_computed_when_not_calculated(tmp_path):
    from costmodel.dataset import DERIVED_GLOBALS, load_default
    from costmodel.io.workbook import read_workbook

    book = openpyxl.load_workbook(BASE)
    plant = {r[0].value: r[1].value for r in book["Plant"].iter_rows(min_row=2)}
    assert all(str(plant[n]).startswith("=Derived!") for n in DERIVED_GLOBALS)
    bundled = load_default().globals.set_index("name")["value"]
    cached = read_workbook(BASE).dataset.globals.set_index("name")["value"]
    # saved by openpyxl (no calculation): the formulas lose their values, and the reader computes them from the design
    book.save(tmp_path / "uncalculated.xlsx")
    computed = read_workbook(tmp_path / "uncalculated.xlsx").dataset.globals.set_index("name")["value"]
    for name in DERIVED_GLOBALS:
        assert cached[name] == pytest.approx(bundled[name], rel=1e-14)
        assert computed[name] == pytest.approx(bundled[name], rel=1e-14)
    assert bundled["ref_cells_per_kwh"] == pytest.approx(0.99473, abs=1e-5)  # was typed as 0.9952 and had gone stale
