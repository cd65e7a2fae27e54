"""The results workbook: live formulas carry the engine's numbers, LibreOffice recalculates them to the same
numbers, charts are drawn, and writing is atomic."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from costmodel import Model
from costmodel.io.results_workbook import write_results_workbook
from costmodel.runner import pick_scenarios, provenance, run_scenarios, scenario_frame
from costmodel.scenario import default_scenarios
from tests.libreoffice import recalculate, render_pdf, require_soffice

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    model = Model()
    run = run_scenarios(model, pick_scenarios(default_scenarios(), ["all"], "test"), [2025, 2026])
    path = tmp_path_factory.mktemp("res") / "results.xlsx"
    write_results_workbook(path, run.results, inputs=run.inputs, provenance=provenance(model, run, None, "test"),
                           scenarios=scenario_frame(run.scenarios))
    return path, run


def formula_cells(path: Path) -> dict[tuple[str, str], str]:
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    out[(ws.title, c.coordinate)] = c.value
    return out


def test_cached_values_are_the_engine_numbers(written):
    path, run = written
    book = openpyxl.load_workbook(path, data_only=True)
    ws = book["Summary"]
    heads = [c.value for c in ws[1]]
    summary = run.results.summary().set_index(["scenario", "design", "year"])
    n = 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(heads, row, strict=False))
        exp = summary.loc[(rec["scenario"], rec["design"], rec["year"])]
        assert rec["USD/kWh"] == pytest.approx(exp["usd_per_kwh"], rel=1e-12)
        assert rec["CNY/Wh"] == pytest.approx(exp["cny_per_wh"], rel=1e-12)
        assert rec["gap to lfp (USD/kWh)"] == pytest.approx(exp["gap_usd_per_kwh"], rel=1e-9, abs=1e-9)
        n += 1
    assert n == len(summary) == len(run.scenarios) * 2 * 4
    assert {"Summary", "Components", "Charts", "BOM", "FX", "Masses", "Metrics", "Inputs", "Scenarios", "Provenance"} <= set(
        book.sheetnames)
    prov = {r[0]: r[1] for r in book["Provenance"].iter_rows(min_row=2, values_only=True)}
    assert prov["tool"].startswith("costmodel ")
    assert "lithium_crash" in " ".join(prov)


def test_libreoffice_recalculation_reproduces_every_formula(written, tmp_path):
    require_soffice()
    path, _ = written
    cells = formula_cells(path)
    assert len(cells) > 1000
    assert not any(f for f in cells.values() if "XLOOKUP" in f or "LET(" in f)
    cached = openpyxl.load_workbook(path, data_only=True)
    recalc = openpyxl.load_workbook(recalculate(path, tmp_path), data_only=True)
    checked = 0
    for (sheet, coord), formula in cells.items():
        want = cached[sheet][coord].value
        got = recalc[sheet][coord].value
        assert isinstance(got, (int, float)), (sheet, coord, formula, got)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (sheet, coord, formula)
        checked += 1
    assert checked == len(cells)


def test_recalculation_really_recalculates(tmp_path):
    require_soffice()
    path = tmp_path / "wrong_cache.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write_formula(0, 0, "=1+1", None, 5)
    wb.close()
    assert openpyxl.load_workbook(path, data_only=True).active["A1"].value == 5
    assert openpyxl.load_workbook(recalculate(path, tmp_path / "out"), data_only=True).active["A1"].value == 2


def test_charts_are_native_and_drawn(written, tmp_path):
    require_soffice()
    path, _ = written
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    # one stacked bar chart per scenario, cost over the years, and a scenario x design comparison per year
    assert len(charts) == len(written[1].scenarios) + 1 + 2
    pdf = render_pdf(path, tmp_path)
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is required in CI to check the charts are drawn")
        pytest.skip("pdftoppm not installed")
    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=300)
    blue = 0
    for png in sorted(tmp_path.glob("page*.png")):
        rgb = np.asarray(Image.open(png).convert("RGB"), dtype=int)
        # the materials series is drawn in #4472C4: count pixels of that colour
        blue += int((np.abs(rgb - np.array([0x44, 0x72, 0xC4])) < 12).all(axis=-1).sum())
    assert blue > 2000


def test_crash_while_writing_leaves_existing_results_intact(written, tmp_path, monkeypatch):
    path, run = written
    target = tmp_path / "results.xlsx"
    shutil.copy(path, target)
    before = target.read_bytes()

    def boom(self):
        raise OSError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results_workbook(target, run.results, inputs=run.inputs, provenance={})
    assert target.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_refuses_to_write_the_input(written, tmp_path):
    path, run = written
    with pytest.raises(ValueError, match="input workbook"):
        write_results_workbook(path, run.results, inputs=run.inputs, provenance={}, protect=path)
