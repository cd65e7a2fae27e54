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


# ------------------------------------------------------------------------------------------ the optimizer's blends


@pytest.fixture(scope="module")
def bundled():
    """The bundled optimizer instance (blend_step 0.1): its data and its answer, explanations included."""
    from costmodel.optimize.data import load_default as optimizer_data
    from costmodel.optimize.path import optimize

    data = optimizer_data()
    return data, optimize(MODEL, data)


def _engine_final_year(data, result) -> tuple[float, float]:
    """The engine's cost of the path's final year built from scratch (the blend's overrides from its route shares, the
    levers, plant, cumulative output and supplier contract prices) and the bound the optimizer states for it: the
    learning envelope's error times the learnable part (after yields, SG&A and margin), plus the reported rounding."""
    from costmodel.optimize.coefficients import globals_of

    year, final = result.years[-1], result.choices[-1]
    material = {r.name: r.change.value for r in data.routes}
    route_change = {r.name: r.change for r in data.routes}
    shares = result.route_shares()[-1]
    sets = []
    for routes in shares.values():
        (first, _), *rest = sorted(routes.items(), key=lambda kv: -kv[1]) if len(routes) == 1 else list(routes.items())
        sets.append(route_change[first])
        if rest:
            second, w = rest[0]
            sets += [parse_override(f"design.{D}.anode_material_2={material[second]}"),
                     parse_override(f"design.{D}.anode_blend_share={w!r}")]
    levers = {lv.name: lv.changes for lv in data.levers}
    names = [n for n in str(result.path["levers"].iloc[-1]).split(", ") if n != "-"]
    v, c = apply_overrides(MODEL.parameters(year), [*sets, *(x for n in names for x in levers[n])])
    v[f"design.{D}.plant_capacity_gwh"] = final.plant
    v[f"design.{D}.cumulative_output_gwh"] = final.cumulative
    shift = globals_of(MODEL, data, result.years, set(final.prices)).price_shift
    for item, usd in final.prices.items():
        v[f"price.{item}"] = MODEL.dataset.static.price_units[item].from_canonical(usd - shift[(item, year)], v["fx.cny_per_usd"])
    r = MODEL.evaluate_arrays(v, c, [D])[D]
    comp = {k: float(x) for k, x in r.components.items()}
    conv = sum(comp[k] for k in ("capital", "maintenance", "labour", "energy", "plant_overhead"))
    lf, phi = float(r.metrics["learning_factor"]), v[f"design.{D}.learning_share"]
    y = float(r.total) / (float(r.total) - comp["scrap_formation"] - comp["sga"] - comp["margin"])
    learnable = y * conv * (lf - (1.0 - phi)) / lf
    return float(r.total), result.learning_error * learnable + 1e-4


def test_the_bundled_optimizer_chooses_a_blend_and_the_engine_confirms_its_cost(bundled):
    """The blend cross-check: the chosen blend path's final year, costed by the engine from its own overrides, equals the
    optimizer's model cost within the learning envelope's stated error."""
    data, r = bundled
    shares = r.route_shares()
    assert len(shares) == 3 and all(abs(sum(p.values()) - 1.0) < 1e-12 for s in shares for p in s.values())
    final = shares[-1]["hard_carbon"]
    assert len(final) == 2 and all(0 < w < 1 for w in final.values())  # a blend of two hard carbons
    assert shares[-1]["cathode"] == {"cathode_nfpp": 1.0}  # the cathode family does not blend
    first, second = final
    assert r.path["routes"].iloc[-1].startswith(f"{first} {100 * final[first]:.4g} % + {second} {100 * final[second]:.4g} %")
    engine, bound = _engine_final_year(data, r)
    assert engine == pytest.approx(float(r.path["cost_engine"].iloc[-1]), rel=1e-12)
    model = float(r.path["cost_model"].iloc[-1])
    assert 0 < bound < 0.05 and engine - bound <= model <= engine + 1e-4, (model, engine, bound)
    assert r.best_cost < 53.92 - 1.0  # better than the single-route answer (53.92 USD/kWh)
    # every supplier within its cap, and the blend's two materials bought in its shares (kt = GWh x kg/kWh)
    assert (r.suppliers["quantity_kt"] <= r.suppliers["capacity_kt"] + 1e-6).all()
    last = r.suppliers[r.suppliers["year"] == r.years[-1]].groupby("item")["quantity_kt"].sum()
    material = {x.name: x.change.value for x in data.routes}
    kt = {route: float(last.get(material[route], 0.0)) for route in final}
    assert kt[second] / (kt[first] + kt[second]) == pytest.approx(final[second], rel=1e-6)


def test_switching_costs_are_paid_when_a_route_is_first_used_at_any_share(bundled):
    data, r = bundled
    switch = {x.name: x.switch_musd for x in data.routes}
    used_before = {"hc_coconut", "cathode_nfpp"}
    spend = 0.0
    for year_shares in r.route_shares():
        now = {route for fam in year_shares.values() for route in fam}
        spend += sum(switch[x] for x in now - used_before)
        used_before = now
    one_off = {lv.name: lv.one_off_musd for lv in data.levers}
    spend += sum(one_off[n] for n in str(r.path["levers"].iloc[-1]).split(", ") if n != "-")
    spend += data.expansion_musd_per_gwh * (float(r.path["plant_gwh"].iloc[-1]) - 5.0)
    assert r.spend_musd == pytest.approx(spend, abs=1e-6)
    assert r.spend_musd == pytest.approx(72.0, abs=1e-6)  # 64 of levers, bamboo 3 and pitch 5 entered in blends


def test_a_routes_earliest_year_holds_for_every_blend_using_it():
    """hc_pitch waits for 2027: in 2026 every alternative holding it (pure or in a blend) is fixed at 0, the others free;
    route[r, t] sums the alternatives that use r."""
    import pyomo.core as pyo

    from costmodel.optimize.choices import Blend, incumbents, space, uses
    from costmodel.optimize.coefficients import expand, globals_of
    from costmodel.optimize.data import load_default as optimizer_data
    from costmodel.optimize.model import build

    data = optimizer_data()
    inc = incumbents(data, PSET.choices, PSET.values)
    assert inc == {"hard_carbon": "hc_coconut", "cathode": "cathode_nfpp"}
    sp = space(data, inc)
    years = (2026, 2027)
    ref = tuple(sp.block_alternative(b, sp.reference) for b in range(len(sp.blocks)))
    exps = [expand(MODEL, data, sp, y, ref) for y in years]
    built = build(data, sp, exps, globals_of(MODEL, data, years, {s.item for s in data.suppliers}), 5.0, inc)
    m = built.model
    b = next(i for i, blk in enumerate(sp.blocks) if sp.groups[blk[0]].name == "hard_carbon" and sp.groups[blk[0]].kind == "route")
    alts = sp.groups[sp.blocks[b][0]].alternatives
    assert len(alts) == 3 + 3 * 9 and sum(isinstance(a, Blend) for a in alts) == 27
    for a, alt in enumerate(alts):
        pitch = uses(alt, "hc_pitch")
        assert m.Y[b, a, 0].fixed == pitch and (not pitch or pyo.value(m.Y[b, a, 0]) == 0), alt
        assert not m.Y[b, a, 1].fixed, alt
    holding = {a for a, alt in enumerate(alts) if uses(alt, "hc_bamboo")}
    assert len(holding) == 1 + 2 * 9
    from pyomo.core.expr.visitor import identify_variables

    terms = [v.index() for v in identify_variables(m.route["hc_bamboo", 0].expr)]
    assert all(bb == b and j == 0 for bb, _, j in terms) and {a for _, a, _ in terms} == holding


def test_incumbent_blends_from_the_data_are_the_reference_alternative():
    from costmodel.optimize.choices import Blend, incumbents, space
    from costmodel.optimize.context import point_values
    from costmodel.optimize.data import load_default as optimizer_data

    data = optimizer_data()

    def with_blend(first, second, share):
        v, c = apply_overrides(PSET, [f"design.nfpp.anode_material={first}", f"design.nfpp.anode_material_2={second}",
                                      f"design.nfpp.anode_blend_share={share}"])
        return v, c

    v, c = with_blend("hc_coconut", "hc_bamboo", 0.4)
    assert incumbents(data, c, v)["hard_carbon"] == Blend("hc_coconut", "hc_bamboo", 0.4)
    v, c = with_blend("hc_bamboo", "hc_coconut", 0.25)  # the same powders named the other way round: table order
    inc = incumbents(data, c, v)
    assert inc["hard_carbon"] == Blend("hc_coconut", "hc_bamboo", 0.75)
    v, c = with_blend("hc_coconut", "hc_pitch", 0.37)  # off the 10 % grid: added to the family, as its reference
    inc = incumbents(data, c, v)
    sp = space(data, inc)
    group = next(g for g in sp.groups if g.name == "hard_carbon" and g.kind == "route")
    assert group.alternatives[group.reference] == Blend("hc_coconut", "hc_pitch", 0.37) and len(group.alternatives) == 31
    # doing nothing is the data's own blend: the reference point costs what the data cost
    vals, chs = point_values(MODEL, data, sp, 2025, sp.reference)
    want = float(MODEL.evaluate_arrays(v, c, [D])[D].total)
    assert float(MODEL.evaluate_arrays(vals, chs, [D])[D].total) == pytest.approx(want, rel=1e-12)
    # a pure route of a family with blends is pure, whatever the data's blend
    pure_point = tuple(group.alternatives.index("hc_bamboo") if g is group else g.reference for g in sp.groups)
    vals, chs = point_values(MODEL, data, sp, 2025, pure_point)
    assert float(MODEL.evaluate_arrays(vals, chs, [D])[D].total) == float(pure("hc_bamboo").total)


def _cap_case(blend_step: float):
    """Hard carbon from coconut (coconut_a, 6 kt/yr) or a cheaper bamboo (50,000 CNY/t; 2 kt/yr from 2026, 5 more from
    2027): neither alone covers a 10 GWh plant (about 9.6 kt/yr with the levers), both together do."""
    import dataclasses

    from costmodel.optimize.data import from_tables, read_default_tables
    from costmodel.optimize.path import optimize

    t = read_default_tables()
    t["routes"] = t["routes"][t["routes"]["route"].isin(["hc_coconut", "hc_bamboo", "cathode_nfpp"])]
    sup = t["suppliers"][t["suppliers"]["supplier"].isin(["coconut_a", "bamboo_a", "bamboo_b", "nfpp_a", "nfpp_b"])].copy()
    sup.loc[sup["supplier"] == "bamboo_b", "capacity_kt"] = "5"
    sup.loc[sup["supplier"].str.startswith("bamboo"), "price"] = "50000"
    t["suppliers"] = sup
    data = dataclasses.replace(from_tables(t, "nfpp", dataset=MODEL.dataset), blend_step=blend_step)
    return data, optimize(MODEL, data, explain=False)


def test_a_blend_lets_the_plant_grow_where_each_route_alone_is_capped():
    data, single = _cap_case(0.0)
    assert list(single.path["plant_gwh"]) == [5.0, 5.0, 5.0]  # one route at a time: the caps hold the plant at 5 GWh
    assert single.path["routes"].iloc[-1] == "hc_bamboo"  # the cheap route alone (the cathode family is no choice here)
    data, blend = _cap_case(0.1)
    assert float(blend.path["plant_gwh"].iloc[-1]) == 10.0
    final = blend.route_shares()[-1]["hard_carbon"]
    assert set(final) == {"hc_coconut", "hc_bamboo"} and 0 < final["hc_bamboo"] < 1
    last = blend.suppliers[blend.suppliers["year"] == 2028].set_index("supplier")
    assert (last["quantity_kt"] <= last["capacity_kt"] + 1e-6).all()
    hc = last[last["item"].isin(["hc_coconut", "hc_bamboo"])].groupby("item")["quantity_kt"].sum()
    assert hc.sum() > 7.0 and (hc > 2.0).all()  # more hard carbon than either route's suppliers have (6 and 7 kt/yr)
    assert blend.best_cost < single.best_cost - 0.5
    engine, bound = _engine_final_year(data, blend)
    model = float(blend.path["cost_model"].iloc[-1])
    assert engine - bound <= model <= engine + 1e-4


def test_blend_step_zero_gives_the_single_route_answer():
    """``optimizer.blend_step=0`` is the answer of one route per family (README before blends): 53.92 USD/kWh (-36.3 %) for
    259 M USD, the plant grown to 10 GWh on coconut hard carbon whose caps bind."""
    from costmodel.optimize.data import load_default as optimizer_data
    from costmodel.optimize.overrides import parse_sets, with_overrides
    from costmodel.optimize.path import optimize

    model, data = with_overrides(MODEL, optimizer_data(), parse_sets(["optimizer.blend_step=0"]), "--set")
    assert data.blend_step == 0
    r = optimize(model, data)
    assert round(r.best_cost, 2) == 53.92 and round(100 * (r.best_cost / r.base_cost - 1), 1) == -36.3
    assert r.spend_musd == pytest.approx(259.0, abs=1e-6)
    assert list(r.path["plant_gwh"]) == [5.0, 10.0, 10.0]
    assert set(r.path["routes"]) == {"hc_coconut, cathode_nfpp"} and r.blend_families == ()
    assert all(s == {"hard_carbon": {"hc_coconut": 1.0}, "cathode": {"cathode_nfpp": 1.0}} for s in r.route_shares())
    sh = r.shadow.set_index("supplier")
    assert sh.loc["coconut_a", "musd_per_year_per_kt"] * -1000 == pytest.approx(611, abs=5)  # USD per tonne a year


@pytest.mark.parametrize("value, message", [
    ("0.3", "blend_step = 0.3 must be 0 (no blends) or a fraction from 0.02 to 0.5 that divides 1 into whole steps"),
    ("0.75", "blend_step = 0.75 must be 0"),
    ("-0.1", "expected a number >= 0, found -0.1"),
])
def test_bad_blend_steps_are_located(value, message):
    from costmodel.optimize.data import from_tables, read_default_tables

    t = read_default_tables()
    s = t["settings"]
    s.loc[s["name"] == "blend_step", "value"] = value
    row = int(s.index[s["name"] == "blend_step"][0]) + 2
    with pytest.raises(InputError) as exc:
        from_tables(t, "nfpp")
    assert f"optimizer_settings.csv line {row}, column value: {message}" in str(exc.value)


def test_blend_step_overrides_and_a_table_without_the_setting():
    from costmodel.optimize.data import from_tables, read_default_tables
    from costmodel.optimize.overrides import parse_sets, with_overrides

    t = read_default_tables()
    t["settings"] = t["settings"][t["settings"]["name"] != "blend_step"]
    assert from_tables(t, "nfpp").blend_step == 0.0  # a workbook from before blends: one route per family
    data = from_tables(read_default_tables(), "nfpp")
    assert data.blend_step == 0.1
    _, half = with_overrides(MODEL, data, parse_sets(["optimizer.blend_step=0.25"]), "--set")
    assert half.blend_step == 0.25
    with pytest.raises(InputError, match=r"optimizer.blend_step=x3: blend_step = 0.3 must be 0"):
        with_overrides(MODEL, data, parse_sets(["optimizer.blend_step=x3"]), "--set")


def test_cli_json_shows_blends_readably_and_as_numbers(bundled):
    import json

    import jsonschema
    from typer.testing import CliRunner

    from costmodel.cli import app
    from costmodel.schemas import load_schema

    res = CliRunner().invoke(app, ["optimize", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, load_schema("optimize"))
    assert doc["blend_step"] == 0.1 and doc["blend_families"] == ["hard_carbon"]
    final = doc["results"][-1]
    hc = {s["route"]: s["share"] for s in final["route_shares"] if s["family"] == "hard_carbon"}
    assert hc == bundled[1].route_shares()[-1]["hard_carbon"]
    (a, wa), (b, wb) = hc.items()
    assert final["routes"][0] == f"{a} {100 * wa:.4g} % + {b} {100 * wb:.4g} %"
    assert doc["best"]["usd_per_kwh"] == pytest.approx(bundled[1].best_cost, rel=1e-9)
    text = CliRunner().invoke(app, ["optimize"])
    assert f"{a} {100 * wa:.4g} % +" in text.stdout and "Blends: hard_carbon may mix two routes in 10 % steps" in text.stdout


def test_a_bad_blend_step_in_the_workbook_names_its_cell(tmp_path):
    book = openpyxl.load_workbook("workbooks/sodium_ion_base.xlsx")
    ws = book["Optimizer settings"]
    row = next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == "blend_step")
    assert ws[f"B{row}"].value == 0.1
    ws[f"B{row}"] = 0.3
    path = tmp_path / "steps.xlsx"
    book.save(path)
    from costmodel.io.workbook import read_workbook as read

    with pytest.raises(InputError) as exc:  # validated with the workbook, like every optimizer sheet
        read(path)
    assert (f"Optimizer settings!B{row}: blend_step = 0.3 must be 0 (no blends) or a fraction from 0.02 to 0.5 that "
            "divides 1 into whole steps") in str(exc.value)
