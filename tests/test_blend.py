"""Blended anodes (issue 16): two hard carbons powder-blended in one coating, in the engine, the data, the overrides, the
live results workbook and the supply chain.

Hand figures of a 60/40 coconut/bamboo blend (w = 0.4 of hc_bamboo; coconut 300 Ah/kg, ICE 0.88; bamboo 290 Ah/kg,
ICE 0.87, materials.csv):
    capacity  q   = 0.6 x 300 + 0.4 x 290                     = 296 Ah/kg
    first charge  = 0.6 x 300 / 0.88 + 0.4 x 290 / 0.87        = 2250/11 + 400/3 = 11150/33 Ah/kg
    ICE           = 296 / (11150/33) = 9768/11150              = 0.876053811659...
    density (bamboo at 1.8 g/cm3): 1 / (0.6 / 1.5 + 0.4 / 1.8) = 45/28 g/cm3
"""

from __future__ import annotations

import math
import re

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.analysis.inputs import design_inputs
from costmodel.dataset import read_bundled_tables, validate_tables
from costmodel.engine.blend import BLEND_LINE, blend_capacity, blend_density, blend_ice
from costmodel.engine.cost import ALL_COMPONENTS, COMPONENTS
from costmodel.io.workbook import read_workbook
from costmodel.scenario import apply_overrides, parse_override
from costmodel.supply.intensity import design_lines, stage_lines
from costmodel.validation import InputError

MODEL = Model()
PSET = MODEL.parameters(2025)
D = "nfpp"


def evaluate(share, second: str = "hc_bamboo", first: str = "hc_coconut", **values):
    """The nfpp design in 2025 with ``first`` blended with ``second`` at ``share`` (flat ``values`` on top)."""
    v, c = dict(PSET.values), dict(PSET.choices)
    c[f"design.{D}.anode_material"] = first
    c[f"design.{D}.anode_material_2"] = second
    v[f"design.{D}.anode_blend_share"] = share
    v.update(values)
    return MODEL.evaluate_arrays(v, c, [D])[D]


def pure(material: str):
    """The nfpp design on one anode material (no blend)."""
    c = dict(PSET.choices)
    c[f"design.{D}.anode_material"] = material
    return MODEL.evaluate_arrays(dict(PSET.values), c, [D])[D]


# ------------------------------------------------------------------------------------------ mixing rules, by hand


def test_mixing_rules_by_hand_for_a_60_40_blend():
    assert blend_capacity(0.4, 300.0, 290.0) == pytest.approx(296.0, rel=1e-15)
    assert blend_ice(0.4, 300.0, 0.88, 290.0, 0.87) == pytest.approx(9768 / 11150, rel=1e-14)
    assert blend_density(0.4, 1.5, 1.8) == pytest.approx(45 / 28, rel=1e-14)
    # the irreversible charge adds: (1 - ICE) x first charge = sum of each material's loss per kg of blend
    first_charge = 0.6 * 300 / 0.88 + 0.4 * 290 / 0.87
    loss = 0.6 * 300 * (1 / 0.88 - 1) + 0.4 * 290 * (1 / 0.87 - 1)
    assert (1 - blend_ice(0.4, 300.0, 0.88, 290.0, 0.87)) * first_charge == pytest.approx(loss, rel=1e-13)
    # the pure materials exactly at the ends
    assert blend_ice(0.0, 300.0, 0.88, 290.0, 0.87) == 0.88 and blend_ice(1.0, 300.0, 0.88, 290.0, 0.87) == 0.87
    assert blend_density(0.0, 1.5, 1.8) == 1.5 and blend_density(1.0, 1.5, 1.8) == 1.8


def test_engine_blend_masses_and_bom_lines_by_hand():
    """Cathode mass from the blend's ICE, anode mass from its capacity, split 60/40 into two priced BOM lines."""
    v = PSET.values
    r = evaluate(0.4, **{"material.hc_bamboo.true_density_g_cm3": 1.8})
    ice, q_a = 9768 / 11150, 296.0
    volt, q_c = v["material.nfpp.voltage_v"], v["material.nfpp.capacity_ah_kg"]
    m_cam = 1000 / (volt * q_c * ice)
    assert float(r.masses["cathode_active"]) == pytest.approx(m_cam, rel=1e-13)
    m_aam = v[f"design.{D}.np_ratio"] * m_cam * q_c / q_a * (1 + v[f"design.{D}.anode_overhang"])
    assert float(r.masses["anode_active"]) == pytest.approx(m_aam, rel=1e-13)
    item1, q1, unit1, p1, _ = r.bom["anode_active"]
    item2, q2, unit2, p2, y2 = r.bom[BLEND_LINE]
    assert (item1, item2, unit1, unit2) == ("hc_coconut", "hc_bamboo", "kg", "kg")
    assert float(q1) == pytest.approx(0.6 * m_aam, rel=1e-13) and float(q2) == pytest.approx(0.4 * m_aam, rel=1e-13)
    assert float(r.components["anode_active"]) == pytest.approx(0.6 * m_aam * float(p1), rel=1e-13)
    assert float(r.components[BLEND_LINE]) == pytest.approx(0.4 * m_aam * float(p2), rel=1e-13)
    assert float(p2) == pytest.approx(float(pure("hc_bamboo").bom["anode_active"][3]), rel=1e-15)  # bamboo's own price
    assert float(y2) == float(r.bom["anode_binder"][4])  # an electrode line: scrapped at the electrode and assembly yields
    # the coating's porosity from the blended true density 45/28
    a = [v[f"design.{D}.anode_{p}_fraction"] for p in ("active", "binder", "carbon")]
    rho = [45 / 28, MODEL.dataset.static.density["cmc_sbr"], MODEL.dataset.static.density["carbon_black"]]
    eps = 1 - v[f"design.{D}.anode_density_g_cm3"] * sum(w / x for w, x in zip(a, rho, strict=True))
    assert float(r.metrics["anode_porosity"]) == pytest.approx(eps, rel=1e-13)
    assert list(r.components)[:6] == ["cathode_active", "cathode_binder", "cathode_carbon", "cathode_solvent", "anode_active",
                                      BLEND_LINE]
    assert float(r.total) == pytest.approx(sum(float(x) for x in r.components.values()), rel=1e-14)


# ---------------------------------------------------------------------------------------------- invariants


def test_share_zero_is_the_first_material_and_share_one_the_second_exactly():
    coconut, bamboo = pure("hc_coconut"), pure("hc_bamboo")
    at0, at1 = evaluate(0.0), evaluate(1.0)
    for blend, ref in ((at0, coconut), (at1, bamboo)):
        assert float(blend.total) == float(ref.total)
        assert float(blend.metrics["wh_per_kg"]) == float(ref.metrics["wh_per_kg"])
        assert float(blend.metrics["wh_per_l"]) == float(ref.metrics["wh_per_l"])
        for k in COMPONENTS:
            if k in ("anode_active", "scrap_electrode", "scrap_assembly", "import_duty", "scrap_formation", "sga", "margin"):
                continue  # the anode line is split in two (below); the lines built on the sum agree to round-off
            assert float(blend.components[k]) == float(ref.components[k]), k
        both = float(blend.components["anode_active"]) + float(blend.components[BLEND_LINE])
        assert both == pytest.approx(float(ref.components["anode_active"]), rel=1e-15)
    assert float(at0.components[BLEND_LINE]) == 0.0 and float(at1.components["anode_active"]) == 0.0
    # no second material: no blend line at all, and the bundled figures as before (84.64 USD/kWh, 110.7 Wh/kg)
    base = MODEL.evaluate_arrays(PSET.values, PSET.choices, [D])[D]
    assert BLEND_LINE not in base.components and BLEND_LINE not in base.bom
    assert round(float(base.total), 2) == 84.64 and round(float(base.metrics["wh_per_kg"]), 1) == 110.7
    assert float(base.total) == float(coconut.total)


def test_cost_falls_monotonically_from_coconut_to_bamboo_on_a_vector_of_shares():
    """Bamboo is cheaper (40 vs 60 kCNY/t) and barely weaker: the cost falls with its share, smoothly (one engine call)."""
    shares = np.linspace(0.0, 1.0, 101)
    r = evaluate(shares)
    total = np.asarray(r.total)
    assert total[0] == float(pure("hc_coconut").total) and total[-1] == float(pure("hc_bamboo").total)
    steps = np.diff(total)
    assert np.all(steps < 0)
    assert np.max(np.abs(np.diff(steps))) < 0.05 * np.max(np.abs(steps))  # smooth: no kinks between grid points
    assert np.allclose(np.asarray(r.bom[BLEND_LINE][1]) / np.asarray(r.masses["anode_active"]), shares, rtol=1e-13, atol=1e-16)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(share=st.floats(0.0, 1.0), second=st.sampled_from(["hc_bamboo", "hc_pitch", "hc_coconut"]),
       h=st.floats(1e-6, 1e-3))
def test_any_share_lies_between_the_pure_materials_and_is_continuous(share, second, h):
    """Cost and Wh/kg of a blend lie between its two pure materials (cost rises and falls with capacity, ICE and price,
    each monotone in the share), and a small change of share moves the cost by little (Lipschitz in the share)."""
    a, b = pure("hc_coconut"), pure(second)
    r = evaluate(share, second)
    lo, hi = sorted((float(a.total), float(b.total)))
    assert lo - 1e-9 <= float(r.total) <= hi + 1e-9
    lo, hi = sorted((float(a.metrics["wh_per_kg"]), float(b.metrics["wh_per_kg"])))
    assert lo - 1e-9 <= float(r.metrics["wh_per_kg"]) <= hi + 1e-9
    nxt = evaluate(min(1.0, share + h), second)
    assert abs(float(nxt.total) - float(r.total)) <= 2.0 * max(abs(float(a.total) - float(b.total)), 0.5) * h + 1e-9


def test_blend_with_a_graphite_changes_density_and_mass_lines_consistently():
    """Two materials of different true density (hard carbon 1.5, graphite 2.26): the solids' volume adds."""
    r = evaluate(0.25, second="graphite")
    want = 1 / (0.75 / 1.5 + 0.25 / 2.26)
    v = PSET.values
    a = [v[f"design.{D}.anode_{p}_fraction"] for p in ("active", "binder", "carbon")]
    rho = [want, MODEL.dataset.static.density["cmc_sbr"], MODEL.dataset.static.density["carbon_black"]]
    eps = 1 - v[f"design.{D}.anode_density_g_cm3"] * sum(w / x for w, x in zip(a, rho, strict=True))
    assert float(r.metrics["anode_porosity"]) == pytest.approx(eps, rel=1e-13)
    assert r.bom[BLEND_LINE][0] == "graphite"


# ------------------------------------------------------------------------------------------ data and overrides


def _bundled_with(rows: list[tuple[str, str, str]]):
    tables = read_bundled_tables()
    designs = tables["designs"]
    for design, param, value in rows:
        designs.loc[designs.index.max() + 1] = {"design": design, "parameter": param, "value": value, "source": "",
                                                "date": "", "status": ""}
    return tables


def test_bundled_tables_with_a_blend_validate_and_evaluate():
    ds = validate_tables(_bundled_with([("nfpp", "anode_material_2", "hc_bamboo"), ("nfpp", "anode_blend_share", "0.4")]))
    res = Model(ds).evaluate(2025, designs=[D])
    assert float(res.summary()["usd_per_kwh"].iloc[0]) == pytest.approx(float(evaluate(0.4).total), rel=1e-14)
    bom = res.bom.set_index("component")
    assert bom.loc[BLEND_LINE, "item"] == "hc_bamboo"
    assert bom.loc[BLEND_LINE, "quantity"] == pytest.approx(0.4 * res.masses.set_index("part").loc["anode_active", "value"])


@pytest.mark.parametrize("rows, message", [
    ([("nfpp", "anode_blend_share", "1.2")], r"designs\.csv line \d+, column value: anode_blend_share = 1\.2 is outside \[0, 1\]"),
    ([("nfpp", "anode_blend_share", "-0.1")], r"anode_blend_share = -0\.1 is outside \[0, 1\]"),
    ([("nfpp", "anode_material_2", "nfpp")], r"designs\.csv line \d+, column value: unknown anode_material_2 'nfpp' for "
                                             r"design nfpp; expected one of graphite, hc_bamboo, hc_coconut, hc_pitch, none"),
    ([("nfpp", "anode_blend_share", "0.4")], r"designs\.csv line \d+, column value: design nfpp: anode_blend_share = 0\.4 "
                                             r"needs a second anode material, but anode_material_2 is none"),
])
def test_bad_blends_in_the_data_are_located(rows, message):
    with pytest.raises(InputError) as exc:
        validate_tables(_bundled_with(rows))
    assert re.search(message, str(exc.value)), str(exc.value)


@pytest.mark.parametrize("sets, message", [
    (["design.nfpp.anode_blend_share=0.3"], "design.nfpp.anode_blend_share=0.3: design nfpp: anode_blend_share = 0.3 needs a "
                                            "second anode material, but anode_material_2 is none"),
    (["design.nfpp.anode_material_2=nfpp"], "nfpp is not an anode material, so it cannot be design.nfpp.anode_material_2; "
                                            "expected one of graphite, hc_bamboo, hc_coconut, hc_pitch, none"),
    (["design.nfpp.anode_material_2=hc_bambo"], "unknown material 'hc_bambo' for design.nfpp.anode_material_2; did you mean "
                                                "hc_bamboo"),
    (["design.nfpp.anode_material_2=hc_bamboo", "design.nfpp.anode_blend_share=1.5"], "anode_blend_share = 1.5 is outside [0, 1]"),
    (["design.nfpp.anode_material=nfpp"], "nfpp is not an anode material, so it cannot be design.nfpp.anode_material"),
])
def test_bad_blend_overrides_are_located(sets, message):
    with pytest.raises(InputError) as exc:
        apply_overrides(PSET, [parse_override(s, where="Scenarios!B7") for s in sets])
    assert all(p.where == "Scenarios!B7" for p in exc.value.problems)
    assert message in str(exc.value)


def test_blend_overrides_apply_and_none_switches_it_off():
    v, c = apply_overrides(PSET, ["design.nfpp.anode_material_2=hc_bamboo", "design.nfpp.anode_blend_share=40%"])
    assert (c["design.nfpp.anode_material_2"], v["design.nfpp.anode_blend_share"]) == ("hc_bamboo", 0.4)
    v2, c2 = apply_overrides(PSET, ["design.nfpp.anode_material_2=hc_bamboo", "design.nfpp.anode_material_2=none"])
    assert c2["design.nfpp.anode_material_2"] == "none"
    assert float(MODEL.evaluate_arrays(v2, c2, [D])[D].total) == float(pure("hc_coconut").total)
    assert float(MODEL.evaluate_arrays(v, c, [D])[D].total) == pytest.approx(float(evaluate(0.4).total), rel=1e-15)


def _workbook_with(tmp_path, edits: dict[str, object]):
    """A copy of the base workbook with nfpp's Designs cells set (parameter → value); returns the path and the cells."""
    book = openpyxl.load_workbook("workbooks/sodium_ion_base.xlsx")
    ws = book["Designs"]
    col = next(c.column_letter for c in ws[1] if c.value == D)
    cells = {}
    for param, value in edits.items():
        row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == param)
        ws[f"{col}{row}"] = value
        cells[param] = f"Designs!{col}{row}"
    path = tmp_path / "blend.xlsx"
    book.save(path)
    return path, cells


def test_workbook_blend_reads_and_a_blank_second_material_is_none(tmp_path):
    path, _ = _workbook_with(tmp_path, {"anode_material_2": "hc_bamboo", "anode_blend_share": 0.4})
    wb = read_workbook(path)
    got = Model(wb.dataset).evaluate(2025, designs=[D]).summary()["usd_per_kwh"].iloc[0]
    assert got == pytest.approx(float(evaluate(0.4).total), rel=1e-12)
    path, _ = _workbook_with(tmp_path, {"anode_material_2": None})
    wb = read_workbook(path)
    assert wb.dataset.parameters(2025).choices[f"design.{D}.anode_material_2"] == "none"


@pytest.mark.parametrize("edits, where, message", [
    ({"anode_blend_share": 1.2}, "anode_blend_share", "anode_blend_share = 1.2 is outside [0, 1]"),
    ({"anode_material_2": "nfpp"}, "anode_material_2", "unknown anode_material_2 'nfpp' for design nfpp"),
    ({"anode_blend_share": 0.4}, "anode_blend_share", "design nfpp: anode_blend_share = 0.4 needs a second anode material"),
])
def test_bad_workbook_blends_name_their_cell(tmp_path, edits, where, message):
    path, cells = _workbook_with(tmp_path, edits)
    with pytest.raises(InputError) as exc:
        read_workbook(path)
    assert f"{cells[where]}: {message}" in str(exc.value)


# ------------------------------------------------------------------------------------------ supply chain, sensitivity


def test_supply_chain_splits_hard_carbon_demand_by_the_blend():
    r = evaluate(0.4)
    v = {**PSET.values, f"design.{D}.anode_blend_share": 0.4}
    lines = design_lines(r, v, D, MODEL.dataset.static)
    hc = float(lines["hc_coconut"]) + float(lines["hc_bamboo"])
    assert float(lines["hc_bamboo"]) / hc == pytest.approx(0.4, rel=1e-13)
    gross = float(r.masses["anode_active"]) / float(r.bom["anode_active"][4]) / v[f"design.{D}.cell_yield"]
    assert hc == pytest.approx(gross, rel=1e-13)  # kg of hard carbon bought per kWh of good cells, both materials
    assert float(stage_lines(r, v, D)["anode"]) == pytest.approx(hc, rel=1e-13)


def test_sensitivity_swings_the_second_material_of_a_blend():
    c = {**PSET.choices, f"design.{D}.anode_material_2": "hc_bamboo"}
    names = design_inputs(D, PSET.values, c)
    assert {"material.hc_bamboo.capacity_ah_kg", "material.hc_bamboo.ice", f"design.{D}.anode_blend_share"} <= set(names)
    assert "material.hc_bamboo.ice" not in design_inputs(D, PSET.values, PSET.choices)


# ------------------------------------------------------------------------------------------ live results workbook


YEAR = 2025


@pytest.fixture(scope="module")
def blend_run(tmp_path_factory):
    from costmodel.io.results_workbook import write_results_workbook
    from costmodel.runner import provenance, run_scenarios, scenario_frame
    from costmodel.scenario import Scenario

    sc = Scenario("blend", "40 % bamboo", tuple(parse_override(s) for s in (
        "design.*.anode_material_2=hc_bamboo", "design.*.anode_blend_share=0.4")))
    base = Scenario("base", "", ())
    run = run_scenarios(MODEL, [base, sc], [YEAR])
    path = tmp_path_factory.mktemp("blend") / "results.xlsx"
    write_results_workbook(path, run.results, inputs=run.inputs, provenance=provenance(MODEL, run, None, "test"),
                           scenarios=scenario_frame(run.scenarios), static=MODEL.dataset.static)  # checked against the engine
    return run, path


def test_results_workbook_has_the_blend_line_only_where_there_is_a_blend(blend_run):
    run, path = blend_run
    bom = run.results.bom
    blend = bom[(bom["scenario"] == "blend") & (bom["component"] == BLEND_LINE)]
    assert set(blend["design"]) == {"nfpp", "o3", "pw", "lfp"} and set(blend["item"]) == {"hc_bamboo"}
    assert not (bom[bom["scenario"] == "base"]["component"] == BLEND_LINE).any()
    book = openpyxl.load_workbook(path)
    names = [r[0].value for r in book["Calc nfpp"].iter_rows(min_row=5, max_col=1)]
    assert {"anode blend capacity", "anode blend ICE", "anode blend true density", BLEND_LINE} <= set(names)
    assert list(ALL_COMPONENTS).index(BLEND_LINE) == list(ALL_COMPONENTS).index("anode_active") + 1


def test_edited_blend_inputs_recalculate_to_the_engine(blend_run, tmp_path):
    """The share, the second material's price and ICE edited in copies of the live workbook and recalculated by
    LibreOffice: every design's components, total, Wh/kg and Wh/L as the engine gives them."""
    from tests.libreoffice import recalculate_many, require_soffice
    from tests.test_live_model import calc_values, engine_costs
    from tests.xlsx_tools import entries, pack, sheet_parts

    require_soffice()
    run, path = blend_run
    sheet = openpyxl.load_workbook(path, read_only=True)["Inputs"]
    table = list(sheet.iter_rows(values_only=True))
    col = next(j for j, k in enumerate(table[0]) if k == f"blend|{YEAR}")
    row_of = {r[0]: i + 1 for i, r in enumerate(table) if i}
    edits = [("design.nfpp.anode_blend_share", 0.7), ("price.hc_bamboo", 52000.0), ("material.hc_bamboo.ice", 0.83),
             ("design.pw.anode_blend_share", 0.15)]
    data = path.read_bytes()
    part = sheet_parts(entries(data))["Inputs"]
    copies = []
    for k, (name, value) in enumerate(edits):
        parts = entries(data)
        ref = f"{openpyxl.utils.get_column_letter(col + 1)}{row_of[name]}"
        parts[part], n = re.subn(rb'<c r="' + ref.encode() + rb'"([^>]*?)>.*?</c>',
                                 b'<c r="' + ref.encode() + rb'"\1><v>' + repr(value).encode() + b"</v></c>", parts[part],
                                 count=1, flags=re.DOTALL)
        assert n == 1
        copies.append(tmp_path / f"copy{k}.xlsx")
        copies[-1].write_bytes(pack(parts))
    checked = 0
    for (name, value), out in zip(edits, recalculate_many(copies, tmp_path / "out"), strict=True):
        book = openpyxl.load_workbook(out, data_only=True, read_only=True)
        want = engine_costs(MODEL, run, "blend", (name, value))
        unchanged = engine_costs(MODEL, run, "blend", None)
        assert want["nfpp" if "pw" not in name else "pw"]["total"] != pytest.approx(
            unchanged["nfpp" if "pw" not in name else "pw"]["total"], rel=1e-6)  # the edit moves the cost
        for design, comps in want.items():
            got = calc_values(book, f"Calc {design}")[f"blend|{YEAR}"]
            assert BLEND_LINE in comps
            for k, v in comps.items():
                assert math.isclose(got[k], v, rel_tol=1e-9, abs_tol=1e-12), (name, design, k, got[k], v)
                checked += 1
    assert checked >= 4 * 4 * len(COMPONENTS)
