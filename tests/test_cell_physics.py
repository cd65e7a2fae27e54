"""Cell physics: porosity-based electrolyte, cell formats, processing solvent, step yields, plant regions.

Hand-worked cells per format are in test_engine_hand.py; the real-cell validation table in
tests/validation/cells.py and test_validation_cells.py.
"""

from __future__ import annotations

import hashlib

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.engine.design import coating_porosity, dense_density
from costmodel.engine.formats import fit_problems
from costmodel.scenario import apply_overrides
from costmodel.validation import InputError
from tests.test_workbook import _design_cell, cli

MODEL = Model()
PSET = MODEL.parameters(2025)
DESIGNS = PSET.designs


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from costmodel.dataset import load_default
    from costmodel.io.template import write_template
    from costmodel.runner import scenario_frame
    from costmodel.scenario import default_scenarios

    path = tmp_path_factory.mktemp("physics") / "base.xlsx"
    write_template(path, load_default(), scenario_frame(default_scenarios().values()))
    return path


def evaluate(values=None, choices=None, designs=None):
    return MODEL.evaluate_arrays(values or PSET.values, choices or PSET.choices, designs)


# ----------------------------------------------------------------------------- porosity and electrolyte


def test_porosity_and_dense_density_by_hand():
    # NFPP coating 94/3/3 with NFPP 2.95, PVDF 1.78, carbon 1.9 g/cm3: solids 0.94/2.95 + 0.03/1.78 + 0.03/1.9 cm3/g
    solid = 0.94 / 2.95 + 0.03 / 1.78 + 0.03 / 1.9
    assert float(dense_density((0.94, 0.03, 0.03), (2.95, 1.78, 1.9))) == pytest.approx(1 / solid, rel=1e-12)
    assert float(coating_porosity(1.89, (0.94, 0.03, 0.03), (2.95, 1.78, 1.9))) == pytest.approx(1 - 1.89 * solid, rel=1e-12)


def test_bundled_porosities_are_those_of_commercial_electrodes():
    m = {d: {k: float(v) for k, v in r.metrics.items()} for d, r in evaluate().items()}
    # Stock et al. 2023 (CATL LFP prismatic): cathode and anode ~32 % porous; BatPaC energy cells 25 %, power 35 %;
    # sodium-ion teardown coatings (STEER) 26-41 % with hard carbon at its apparent density
    for d in DESIGNS:
        assert 0.2 <= m[d]["cathode_porosity"] <= 0.45, d
        assert 0.2 <= m[d]["anode_porosity"] <= 0.45, d
    # electrolyte per Ah: LFP 1.8-2.8 g/Ah; NFPP/hard carbon well above (STEER Vendor G7 geometry: 3.9-4.3 g/Ah of pores)
    assert 1.8 <= m["lfp"]["electrolyte_g_ah"] <= 2.8
    assert m["nfpp"]["electrolyte_g_ah"] > 1.5 * m["lfp"]["electrolyte_g_ah"]


@settings(max_examples=30, deadline=None)
@given(design=st.sampled_from(DESIGNS), factor=st.floats(1.01, 1.5))
def test_more_electrolyte_lowers_wh_per_kg_and_raises_cost(design, factor):
    key = f"design.{design}.electrolyte_fill_factor"
    base = evaluate(designs=[design])[design]
    more = evaluate({**PSET.values, key: PSET.values[key] * factor}, designs=[design])[design]
    assert float(more.metrics["wh_per_kg"]) < float(base.metrics["wh_per_kg"])
    assert float(more.total) > float(base.total)
    assert float(more.metrics["wh_per_l"]) == pytest.approx(float(base.metrics["wh_per_l"]), rel=1e-12)  # pores, not volume


@settings(max_examples=30, deadline=None)
@given(design=st.sampled_from(DESIGNS), factor=st.floats(1.01, 1.15))
def test_denser_cathode_has_fewer_pores_and_more_wh_per_l(design, factor):
    key = f"design.{design}.cathode_density_g_cm3"
    base = evaluate(designs=[design])[design]
    dense = evaluate({**PSET.values, key: PSET.values[key] * factor}, designs=[design])[design]
    assert float(dense.metrics["cathode_porosity"]) < float(base.metrics["cathode_porosity"])
    assert float(dense.metrics["electrolyte_g_ah"]) < float(base.metrics["electrolyte_g_ah"])
    assert float(dense.metrics["wh_per_l"]) > float(base.metrics["wh_per_l"])


def test_fill_override_below_the_pores_warns_with_the_cell(template, tmp_path, capsys):
    book = openpyxl.load_workbook(template)
    cell = _design_cell(book["Designs"], "electrolyte_fill_g_ah", "nfpp")
    book["Designs"][cell] = 1.0
    path = tmp_path / "low_fill.xlsx"
    book.save(path)
    code, out, err = cli(["run", str(path), "--json"], capsys)
    assert code == 0
    assert f"Designs!{cell}" in err and "below the pore volume" in err
    import json

    nfpp = next(r for r in json.loads(out)["results"] if r["design"] == "nfpp")
    assert nfpp["wh_per_kg"] > Model().evaluate(2025).summary().set_index("design").loc["nfpp", "wh_per_kg"]


# ----------------------------------------------------------------------------- overhang, formats


def test_overhang_adds_anode_mass_at_the_same_loading():
    key = "design.nfpp.anode_overhang"
    a = evaluate({**PSET.values, key: 0.0}, designs=["nfpp"])["nfpp"]
    b = evaluate({**PSET.values, key: 0.1}, designs=["nfpp"])["nfpp"]
    assert float(b.masses["anode_active"]) == pytest.approx(1.1 * float(a.masses["anode_active"]), rel=1e-12)
    assert float(b.metrics["anode_loading_mg_cm2"]) == pytest.approx(float(a.metrics["anode_loading_mg_cm2"]), rel=1e-12)


@pytest.mark.parametrize("design", ["nfpp", "o3"])
def test_a_taller_cell_packs_more_wh_per_l_and_less_housing_per_kwh(design):
    key = f"design.{design}.cell_height_mm"
    a = evaluate(designs=[design])[design]
    b = evaluate({**PSET.values, key: PSET.values[key] * 1.3}, designs=[design])[design]
    assert float(b.metrics["wh_per_l"]) > float(a.metrics["wh_per_l"])
    assert float(b.masses["housing"]) < float(a.masses["housing"])


def test_every_format_evaluates_with_finite_numbers():
    for fmt in ("prismatic", "pouch", "cylindrical"):
        choices = {**PSET.choices, **{f"design.{d}.cell_format": fmt for d in DESIGNS}}
        for d, r in evaluate(choices=choices).items():
            assert np.isfinite(float(r.total)) and float(r.total) > 0, (fmt, d)
            assert 50 < float(r.metrics["wh_per_l"]) < 700, (fmt, d)


def test_fit_problems_name_the_dimension():
    d = {k.split(".", 2)[2]: v for k, v in PSET.values.items() if k.startswith("design.o3.")}
    assert fit_problems("cylindrical", d) == []
    small = {**d, "cell_diameter_mm": 6.0, "can_wall_mm": 2.0}
    [(param, message)] = fit_problems("cylindrical", small)
    assert param == "cell_diameter_mm" and "too small" in message and "mandrel" in message
    n = {k.split(".", 2)[2]: v for k, v in PSET.values.items() if k.startswith("design.nfpp.")}
    assert fit_problems("prismatic", n) == []
    assert [p for p, _ in fit_problems("prismatic", {**n, "cell_height_mm": 10.0})] == ["cell_height_mm"]


def test_an_override_that_breaks_the_format_is_refused():
    with pytest.raises(InputError, match="too small"):
        apply_overrides(PSET, ["design.o3.cell_diameter_mm=6", "design.o3.can_wall_mm=2"])


# ----------------------------------------------------------------------------- solvent and yields


def test_nmp_make_up_is_coating_times_use_times_loss():
    r = evaluate(designs=["nfpp"])["nfpp"]
    v = PSET.values
    coating = float(r.masses["cathode_active"] + r.masses["cathode_binder"] + r.masses["cathode_carbon"])
    qty = float(r.bom["cathode_solvent"][1])
    assert qty == pytest.approx(coating * v["design.nfpp.cathode_solvent_kg_per_kg"] * (1 - v["design.nfpp.cathode_solvent_recovery"]),
                                rel=1e-12)
    no_recovery = evaluate({**v, "design.nfpp.cathode_solvent_recovery": 0.0}, designs=["nfpp"])["nfpp"]
    assert float(no_recovery.total) > float(r.total)


def test_scrap_lines_add_up_to_the_material_bought():
    for d, r in evaluate().items():
        bought = sum(float(q) * float(p) / float(y) for _, q, _, p, y in r.bom.values())
        net = sum(float(r.components[k]) for k in r.bom)
        scrap = float(r.components["scrap_electrode"] + r.components["scrap_assembly"])
        assert net + scrap == pytest.approx(bought, rel=1e-12), d
    perfect = {**PSET.values, **{f"design.{d}.{y}": 1.0 for d in DESIGNS for y in ("electrode_yield", "assembly_yield", "cell_yield")}}
    for d, r in evaluate(perfect).items():
        for k in ("scrap_electrode", "scrap_assembly", "scrap_formation"):
            assert float(r.components[k]) == 0.0, (d, k)


# ----------------------------------------------------------------------------- regions


def test_china_plant_pays_no_duty_and_uses_the_fx_table_rate():
    r = evaluate(designs=["nfpp"])["nfpp"]
    assert float(r.components["import_duty"]) == 0.0
    fx = {**PSET.values, "fx.cny_per_usd": PSET.values["fx.cny_per_usd"] * 1.1}
    labour = float(evaluate(fx, designs=["nfpp"])["nfpp"].components["labour"])
    assert labour == pytest.approx(float(r.components["labour"]) / 1.1, rel=1e-12)


def test_a_plant_abroad_costs_more_and_each_figure_moves_it():
    base = {d: float(r.total) for d, r in evaluate().items()}
    for region in ("de", "hu", "us", "in"):
        ch = {**PSET.choices, "global.region": region}
        abroad = {d: float(r.total) for d, r in evaluate(choices=ch).items()}
        assert all(abroad[d] > base[d] for d in DESIGNS), region
    ch = {**PSET.choices, "global.region": "us"}
    us = float(evaluate(choices=ch, designs=["nfpp"])["nfpp"].total)
    for prop in ("labour_per_h", "electricity_per_kwh", "capex_multiplier", "building_multiplier", "wacc", "duty_rate"):
        key = f"region.us.{prop}"
        up = float(evaluate({**PSET.values, key: PSET.values[key] * 1.2 + 0.01}, ch, ["nfpp"])["nfpp"].total)
        assert up > us, prop


def test_us_duty_is_rate_times_gross_materials():
    ch = {**PSET.choices, "global.region": "us"}
    r = evaluate(choices=ch, designs=["lfp"])["lfp"]
    gross = sum(float(r.components[k]) for k in r.bom) + float(r.components["scrap_electrode"] + r.components["scrap_assembly"])
    assert float(r.components["import_duty"]) == pytest.approx(PSET.values["region.us.duty_rate"] * gross, rel=1e-12)


def test_region_is_a_scenario_override_and_a_cli_option(capsys):
    _, choices = apply_overrides(PSET, ["global.region=de"])
    assert choices["global.region"] == "de"
    with pytest.raises(InputError, match="unknown region 'mars'"):
        apply_overrides(PSET, ["global.region=mars"])
    code, out, _ = cli(["run", "--region", "all", "--json"], capsys)
    assert code == 0
    import json

    rows = json.loads(out)["results"]
    assert {r["region"] for r in rows} == set(MODEL.dataset.region_names)
    by = {(r["region"], r["design"]): r["usd_per_kwh"] for r in rows}
    assert by[("cn", "nfpp")] == pytest.approx(float(evaluate(designs=["nfpp"])["nfpp"].total), rel=1e-12)
    code, _, err = cli(["run", "--region", "mars"], capsys)
    assert code == 2 and "unknown region 'mars'" in err
    for cmd in (["whatif", "--set", "price.li2co3=x2"], ["sensitivity", "--top", "3"], ["montecarlo", "-n", "500"],
                ["breakeven"], ["optimize", "--target", "0.9", "--by", "2026"]):
        code, _, err = cli([*cmd, "--region", "de", "--json"], capsys)
        assert code == 0, (cmd, err)


# ----------------------------------------------------------------------------- bad input, named by cell


def _edit(book, design, changes):
    ws = book["Designs"]
    cell = None
    for param, value in changes:
        cell = _design_cell(ws, param, design)
        ws[cell] = value
    return cell


PHYSICS_CASES = {
    "porosity_above_one": ("o3", [("separator_porosity", 1.5)], "separator_porosity", "outside [0.05, 0.95]"),
    "coating_denser_than_its_solids": ("nfpp", [("cathode_density_g_cm3", 3.5)], "cathode_density_g_cm3",
                                       "not below the density of its solids"),
    "cylinder_too_small": ("o3", [("can_wall_mm", 2.0), ("cell_diameter_mm", 6)], "cell_diameter_mm", "too small"),
    "prismatic_too_flat": ("nfpp", [("cell_height_mm", 10)], "cell_height_mm", "leaves no height"),
    "unknown_format": ("pw", [("cell_format", "coin")], "cell_format", "unknown cell_format 'coin'"),
}


@pytest.mark.parametrize("case", sorted(PHYSICS_CASES))
def test_bad_physics_is_reported_at_its_cell_and_the_file_is_untouched(case, template, tmp_path, capsys):
    design, changes, blamed, message = PHYSICS_CASES[case]
    book = openpyxl.load_workbook(template)
    _edit(book, design, changes)
    where = _design_cell(book["Designs"], blamed, design)
    path = tmp_path / f"{case}.xlsx"
    book.save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2, err
    assert f"Designs!{where}" in err and message in err, err
    assert "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_unknown_region_in_the_plant_sheet_is_named(template, tmp_path, capsys):
    book = openpyxl.load_workbook(template)
    ws = book["Plant"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "region")
    ws.cell(row, 2).value = "mars"
    path = tmp_path / "mars.xlsx"
    book.save(path)
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2 and f"Plant!B{row}" in err and "unknown region 'mars'" in err


def test_a_workbook_without_a_regions_sheet_uses_the_bundled_regions(template, tmp_path, capsys):
    book = openpyxl.load_workbook(template)
    del book["Regions"]
    path = tmp_path / "old.xlsx"
    book.save(path)
    code, _, err = cli(["run", str(path), "--region", "de", "--json"], capsys)
    assert code == 0, err


def test_regions_sheet_errors_name_the_cell(template, tmp_path, capsys):
    book = openpyxl.load_workbook(template)
    ws = book["Regions"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "de" and ws.cell(r, 2).value == "wacc")
    ws.cell(row, 3).value = 0.9
    path = tmp_path / "wacc.xlsx"
    book.save(path)
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2 and f"Regions!C{row}" in err and "wacc" in err


def test_a_material_without_true_density_is_reported_not_a_traceback():
    from costmodel.dataset import read_bundled_tables, validate_tables

    raw = read_bundled_tables()
    m = raw["materials"]
    raw["materials"] = m[~((m["material"] == "pw") & (m["property"] == "true_density_g_cm3"))]
    with pytest.raises(InputError, match="cathode pw has no true_density_g_cm3"):
        validate_tables(raw)


def test_an_override_pressing_a_coating_past_its_solids_is_refused():
    from typer.testing import CliRunner

    from costmodel.cli import app

    res = CliRunner().invoke(app, ["whatif", "--set", "design.nfpp.cathode_density_g_cm3=3.5"])
    assert res.exit_code == 2, res.output
    assert "cathode coating is denser than its solids" in res.output
    values, choices = apply_overrides(PSET, ["design.nfpp.cathode_density_g_cm3=3.5"])
    with pytest.raises(InputError, match="design nfpp: the cathode coating is denser than its solids"):
        MODEL.evaluate(2025, values=values, choices=choices)


def test_a_region_figure_out_of_bounds_is_reported_once_at_its_cell(template, tmp_path, capsys):
    book = openpyxl.load_workbook(template)
    ws = book["Regions"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "us" and ws.cell(r, 2).value == "duty_rate")
    ws.cell(row, 3).value = -1
    path = tmp_path / "duty.xlsx"
    book.save(path)
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2 and f"Regions!C{row}" in err and "1 problem found" in err and "has no duty_rate" not in err
