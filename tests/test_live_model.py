"""The live results workbook mirrors the engine: an input edited in the workbook and recalculated by LibreOffice
gives, for every design, the total and every component the engine gives for the same change (``whatif --set``)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.engine.cost import COMPONENTS
from costmodel.io import live_model
from costmodel.io.layout import column_letter
from costmodel.io.results_workbook import write_results_workbook
from costmodel.runner import pick_scenarios, provenance, run_scenarios, scenario_frame
from costmodel.scenario import default_scenarios
from costmodel.validation import InputError
from tests.libreoffice import recalculate_many, require_soffice
from tests.xlsx_tools import entries, pack, sheet_parts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
YEAR = 2025
COPIES = 3
"""Changed copies recalculated in one LibreOffice call; each changes one input in every scenario column (9 x 3 = 27)."""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    model = Model()
    run = run_scenarios(model, pick_scenarios(default_scenarios(), ["all"], "test"), [YEAR])
    path = tmp_path_factory.mktemp("live") / "results.xlsx"
    write_results_workbook(path, run.results, inputs=run.inputs, provenance=provenance(model, run, None, "test"),
                           scenarios=scenario_frame(run.scenarios), static=model.dataset.static)
    return model, run, path


def calc_values(book, sheet: str) -> dict[str, dict[str, float]]:
    """``scenario|year`` → quantity → value of a Calc sheet."""
    ws = book[sheet]
    rows = list(ws.iter_rows(values_only=True))
    keys = rows[live_model.KEY_ROW][live_model.FIRST_COL:]
    out: dict[str, dict[str, float]] = {k: {} for k in keys if k}
    for row in rows[live_model.FIRST_ROW:]:
        for k, v in zip(keys, row[live_model.FIRST_COL:], strict=False):
            if k and row[0] is not None and isinstance(v, (int, float)):
                out[k][row[0]] = float(v)
    return out


def engine_costs(model: Model, run, scenario: str, change: tuple[str, float] | None) -> dict[str, dict[str, float]]:
    """design → component → USD/kWh (and ``total``) of ``scenario`` with one flat parameter changed (``whatif --set``)."""
    snap = run.inputs[(run.inputs["scenario"] == scenario) & (run.inputs["year"] == YEAR)]
    values = {r.parameter: float(r.value) for r in snap.itertuples() if r.unit != "choice"}
    choices = {r.parameter: str(r.value) for r in snap.itertuples() if r.unit == "choice"}
    if change is not None:
        values[change[0]] = change[1]
    res = model.evaluate(YEAR, scenario=scenario, values=values, choices=choices)
    usd = res.costs[res.costs["unit"] == "USD/kWh"]
    out: dict[str, dict[str, float]] = {}
    for r in usd.itertuples():
        out.setdefault(r.design, {})[r.component] = float(r.value)
    summary = res.summary().set_index("design")
    for d in out:
        out[d]["total"] = float(summary.loc[d, "usd_per_kwh"])
        out[d]["Wh/kg"] = float(summary.loc[d, "wh_per_kg"])  # the physics too
        out[d]["Wh/L"] = float(summary.loc[d, "wh_per_l"])
    return out


def used_inputs(path: Path) -> list[str]:
    """Flat parameters looked up by some Calc sheet."""
    book = openpyxl.load_workbook(path, read_only=True)
    names = set()
    for ws in book.worksheets:
        if ws.title.startswith("Calc "):
            for row in ws.iter_rows(min_row=live_model.FIRST_ROW + 1, max_col=4, values_only=True):
                if row[3] == "Inputs":
                    names.add(row[0])
    return sorted(names)


def test_every_component_has_a_formula_and_the_total_is_their_sum(live):
    model, _, path = live
    book = openpyxl.load_workbook(path)
    calc = [ws for ws in book.worksheets if ws.title.startswith("Calc ")]
    assert len(calc) == len(model.dataset.design_names)
    for ws in calc:
        names = {r[0].value: r[0].row for r in ws.iter_rows(min_row=live_model.FIRST_ROW + 1, max_col=1)}
        assert set(COMPONENTS) <= set(names), set(COMPONENTS) - set(names)
        total = ws.cell(names["total"], live_model.FIRST_COL + 1).value
        refs = set(re.findall(r"[A-Z]+(\d+)", total))
        assert refs == {str(names[c]) for c in COMPONENTS}  # the total sums exactly the engine's components
        # no typed numbers among the cost lines: every value cell of the sheet is a formula
        for row in ws.iter_rows(min_row=live_model.FIRST_ROW + 1, min_col=live_model.FIRST_COL + 1):
            for cell in row:
                assert cell.value is None or str(cell.value).startswith("="), (ws.title, cell.coordinate, cell.value)
    # the Components and BOM lines are formulas into the Calc sheets, not typed numbers
    comp = book["Components"]
    assert all(str(c.value).startswith("=") for c in comp["F"][1:])
    bom = book["BOM"]
    for col in "FHIJ":
        assert all(str(c.value).startswith("=") for c in bom[col][1:])


def test_a_new_engine_term_without_its_formula_fails(live, monkeypatch, tmp_path):
    model = live[0]
    import costmodel.engine.cost as cost

    original = cost.evaluate_design

    def with_extra(*args, **kwargs):
        out = original(*args, **kwargs)
        out.components["sga"] = out.components["sga"] + 0.5  # an engine term the formulas do not know
        return out

    monkeypatch.setattr("costmodel.model.evaluate_design", with_extra)
    changed = run_scenarios(model, pick_scenarios(default_scenarios(), ["base"], "test"), [YEAR])
    with pytest.raises(RuntimeError, match="disagrees with the engine: sga"):
        write_results_workbook(tmp_path / "r.xlsx", changed.results, inputs=changed.inputs, provenance={},
                               static=model.dataset.static)


def _factor(name: str, rnd) -> float:
    if name.endswith("_yield") or name.endswith("utilisation"):
        return rnd.uniform(0.9, 0.999)
    if "density_g_cm3" in name:  # a denser coating could leave no pores: only lighter
        return rnd.uniform(0.85, 0.99)
    return rnd.choice([rnd.uniform(0.7, 0.95), rnd.uniform(1.05, 1.5)])


@settings(max_examples=1, derandomize=True, deadline=None, database=None)
@given(rnd=st.randoms(use_true_random=False))
def test_edited_inputs_recalculate_to_the_engine(live, tmp_path_factory, rnd):
    """>= 20 random inputs (prices, FX, a design dimension, a yield, the plant size among them), each changed in its
    own scenario column of a copy, recalculated by LibreOffice: every design's components and total as the engine."""
    require_soffice()
    model, run, path = live
    tmp = tmp_path_factory.mktemp("edits")
    inputs = run.inputs.reset_index(drop=True)
    scenarios = list(dict.fromkeys(inputs["scenario"]))
    used = used_inputs(path)
    must = ["fx.cny_per_usd", "price.nfpp", "price.li2co3", "design.nfpp.cell_length_mm", "design.nfpp.electrode_yield",
            "design.nfpp.plant_capacity_gwh", "global.capex_scale_exponent", "design.lfp.cathode_loading_mg_cm2"]
    assert set(must) <= set(used)
    pool = must + rnd.sample([u for u in used if u not in must], len(used) - len(must))
    sheet = openpyxl.load_workbook(path, read_only=True)["Inputs"]
    table = list(sheet.iter_rows(values_only=True))
    col_of = {k: column_letter(j) for j, k in enumerate(table[0]) if k and "|" in str(k)}
    row_of = {r[0]: i + 1 for i, r in enumerate(table) if i}
    value_of = {(r.scenario, r.parameter): float(r.value) for r in inputs.itertuples() if r.year == YEAR and r.unit != "choice"}
    data = path.read_bytes()
    part = sheet_parts(entries(data))["Inputs"]
    plans: list[dict[str, tuple[str, float]]] = []
    copies = []
    it = iter(pool)
    for k in range(COPIES):
        parts = entries(data)
        xml = parts[part]
        plan: dict[str, tuple[str, float]] = {}
        for sc in scenarios:
            for name in it:
                base = value_of[(sc, name)]
                new = base * _factor(name, rnd) if base != 0 else rnd.uniform(0.01, 0.05)
                try:
                    engine_costs(model, run, sc, (name, new))
                except InputError:
                    continue  # a change the engine refuses (e.g. a coating denser than its solids)
                plan[sc] = (name, new)
                ref = f"{col_of[f'{sc}|{YEAR}']}{row_of[name]}"
                xml, n = re.subn(rb'<c r="' + ref.encode() + rb'"([^>]*?)>.*?</c>',
                                 b'<c r="' + ref.encode() + rb'"\1><v>' + repr(new).encode() + b"</v></c>", xml, count=1,
                                 flags=re.DOTALL)
                assert n == 1
                break
        parts[part] = xml
        copy = tmp / f"copy{k}.xlsx"
        copy.write_bytes(pack(parts))
        copies.append(copy)
        plans.append(plan)
    changes = [c for plan in plans for c in plan.values()]
    assert len(changes) >= 20
    kinds = {n.split(".")[0] for n, _ in changes}
    assert {"price", "fx", "design", "global"} <= kinds
    recalculated = recalculate_many(copies, tmp / "out")
    checked = 0
    for plan, out in zip(plans, recalculated, strict=True):
        book = openpyxl.load_workbook(out, data_only=True, read_only=True)
        sheets = {ws.title: calc_values(book, ws.title) for ws in book.worksheets if ws.title.startswith("Calc ")}
        summary = {(r[0], r[1]): r[3] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
        for sc in scenarios:
            want = engine_costs(model, run, sc, plan.get(sc))
            for design, comps in want.items():
                got = sheets[f"Calc {design}"][f"{sc}|{YEAR}"]
                for name, value in comps.items():
                    assert math.isclose(got[name], value, rel_tol=1e-9, abs_tol=1e-12), (plan.get(sc), sc, design, name,
                                                                                          got[name], value)
                    checked += 1
                assert math.isclose(summary[(sc, design)], comps["total"], rel_tol=1e-9)
    assert checked >= 20 * len(COMPONENTS)
    # the base scenario's change, as `costmodel whatif --set` computes it
    from costmodel.analysis.whatif import what_if
    from costmodel.scenario import parse_override

    name, value = plans[0]["base"]
    frame = what_if(model, [parse_override(f"{name}={value!r}")], YEAR).set_index("design")
    book = openpyxl.load_workbook(recalculated[0], data_only=True, read_only=True)
    summary = {r[1]: r[3] for r in book["Summary"].iter_rows(min_row=2, values_only=True) if r[0] == "base"}
    for design, total in summary.items():
        assert math.isclose(total, float(frame.loc[design, "whatif_usd_per_kwh"]), rel_tol=1e-9), (name, design)
    # the changes really moved the costs (a change that moves nothing proves nothing)
    moved = sum(1 for plan in plans for sc, ch in plan.items()
                if not np.allclose([v["total"] for v in engine_costs(model, run, sc, ch).values()],
                                   [v["total"] for v in engine_costs(model, run, sc, None).values()], rtol=1e-12))
    assert moved >= 15
