"""Analysis workbooks: numbers stored as numbers, years as integers, units in the headers, native charts; ``diff`` draws
a waterfall for each design whose cost moves and says which did not."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from costmodel.cli import app

runner = CliRunner()


def invoke(*args: str):
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def chart_kinds(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    return [k for x in xml for k in ("barChart", "lineChart") if f"<c:{k}>" in x]


def test_diff_workbook_has_a_waterfall_per_moving_design(tmp_path):
    out = tmp_path / "diff.xlsx"
    res = invoke("diff", "base", "lithium_crash", "--out", str(out))
    assert "did not move between base and lithium_crash: nfpp, o3, pw" in res.stderr
    book = openpyxl.load_workbook(out)
    assert [s for s in book.sheetnames if s.startswith("Waterfall")] == ["Waterfall lfp"]
    assert "nfpp, o3, pw: cost did not move" in book["Totals"]["A1"].value
    heads = [c.value for c in book["Totals"][2]]
    assert heads == ["design", "cost_a [USD/kWh]", "cost_b [USD/kWh]", "change [USD/kWh]"]
    parts = book["Parts"]
    heads = [c.value for c in parts[1]]
    row = next(r for r in parts.iter_rows(min_row=2, values_only=True) if r[0] == "lfp" and r[1] == "price.li2co3")
    rec = dict(zip(heads, row, strict=True))
    assert rec["a_value [input's unit]"] == 98000 and rec["b_value [input's unit]"] == 60000  # numbers, not text
    assert rec["usd_per_kwh [USD/kWh]"] == pytest.approx(-3.2534, abs=1e-3)
    wf = [r for r in book["Waterfall lfp"].iter_rows(min_row=3, values_only=True)]
    assert wf[0][0] == "cost base" and wf[-1][0] == "cost lithium_crash"
    assert wf[0][1] + sum(r[1] for r in wf[1:-1]) == pytest.approx(wf[-1][1], rel=1e-12)  # the steps add up
    assert len(book["Waterfall lfp"]._charts) == 1 and chart_kinds(out) == ["barChart"]


def test_diff_png_of_a_design_that_did_not_move_says_so(tmp_path):
    res = invoke("diff", "base", "lithium_crash", "-d", "nfpp", "--png", str(tmp_path / "w.png"))
    assert "the waterfall of nfpp is flat" in res.stderr


def test_sensitivity_workbook_is_typed_with_units_and_a_native_tornado(tmp_path):
    out = tmp_path / "sens.xlsx"
    invoke("sensitivity", "--out", str(out), "--top", "8")
    book = openpyxl.load_workbook(out)
    ws = book["Tornado"]
    heads = [c.value for c in ws[1]]
    assert {"unit", "base [input's unit]", "cost_low [USD/kWh]", "cost_high [USD/kWh]", "swing [USD/kWh]", "elasticity [-]"} <= set(heads)
    first = dict(zip(heads, [c.value for c in ws[2]], strict=True))
    assert isinstance(first["cost_low [USD/kWh]"], float) and isinstance(first["rank"], int | float)
    chart = book["Tornado chart"]
    rows = [r for r in chart.iter_rows(min_row=3, values_only=True)]
    assert len(rows) == 8 and all(isinstance(r[4], float) and isinstance(r[5], float) for r in rows)
    assert len(chart._charts) == 1 and "barChart" in chart_kinds(out)


def test_optimize_workbook_numbers_years_and_legend(tmp_path):
    out = tmp_path / "opt.xlsx"
    invoke("optimize", "--out", str(out))
    book = openpyxl.load_workbook(out)
    summary = {r[0]: r[1] for r in book["Optimizer"].iter_rows(min_row=2, values_only=True)}
    assert isinstance(summary["base cost USD/kWh"], float) and summary["base year"] == 2025
    assert isinstance(summary["base year"], int)
    path = book["Path"]
    heads = [c.value for c in path[1]]
    assert heads[0] == "year" and "cost_engine [USD/kWh]" in heads
    years = [r[0] for r in path.iter_rows(min_row=2, values_only=True)]
    assert years == [2025, 2026, 2027, 2028] and all(isinstance(y, int) for y in years)
    with zipfile.ZipFile(out) as z:
        xml = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert "nfpp: engine cost" in xml and "target" in xml and "cost_engine" not in xml  # readable legend
