"""A small design worked out by hand; the engine must match it to 1e-9.

Every number below is computed in the comments from the inputs, not by the engine.
"""

import math

import pytest

from costmodel.engine.cost import evaluate_design
from costmodel.engine.inputs import PriceBook, PriceLink, StaticData
from costmodel.engine.manufacturing import capital_recovery_factor, learning_factor
from costmodel.units import parse_price_unit

USD_KG = parse_price_unit("USD/kg")
STATIC = StaticData(
    price_units={
        **{k: USD_KG for k in ("c1", "a1", "bind", "cb", "fa", "fb", "salt", "ec", "pc", "dmc", "emc", "fec", "vc", "dtd",
                               "electrolyte_blending", "nmp", "water")},
        "sep": parse_price_unit("USD/m2"),
        "can": parse_price_unit("USD/cell"),
    },
    categories={},
    density={"fa": 2.5, "fb": 5.0, "bind": 2.0, "cb": 2.0},
    molar_mass={"salt": 150.0},
)

DESIGN = {
    "np_ratio": 1.2,
    "cathode_active_fraction": 0.8,
    "cathode_binder_fraction": 0.1,
    "cathode_carbon_fraction": 0.1,
    "anode_active_fraction": 0.8,
    "anode_binder_fraction": 0.1,
    "anode_carbon_fraction": 0.1,
    "cathode_solvent_kg_per_kg": 0.6,
    "cathode_solvent_recovery": 0.9,
    "anode_solvent_kg_per_kg": 1.0,
    "anode_solvent_recovery": 0.0,
    "cathode_loading_mg_cm2": 12.5,
    "cathode_density_g_cm3": 2.5,
    "anode_density_g_cm3": 1.25,
    "anode_overhang": 0.2,
    "separator_overhang": 0.2,
    "cathode_foil_margin": 0.2,
    "anode_foil_margin": 0.1,
    "cathode_foil_um": 10,
    "anode_foil_um": 10,
    "separator_um": 12,
    "separator_g_m2": 10,
    "separator_porosity": 0.5,
    "electrolyte_fill_factor": 1.25,
    "electrolyte_fill_g_ah": 0.0,
    "free_volume_fill": 0.0,
    "electrolyte_density_g_cm3": 1.25,
    "salt_molarity_mol_l": 1.0,
    "solvent_ec_share": 0.25,
    "solvent_pc_share": 0.25,
    "solvent_dmc_share": 0.25,
    "solvent_emc_share": 0.25,
    "additive_fec_fraction": 0.02,
    "additive_vc_fraction": 0.01,
    "additive_dtd_fraction": 0.01,
    "cell_length_mm": 100,
    "cell_thickness_mm": 50,
    "cell_height_mm": 200,
    "cell_diameter_mm": 20,
    "can_wall_mm": 1.0,
    "can_density_g_cm3": 2.0,
    "lid_mm": 2.0,
    "clearance_mm": 0.5,
    "headspace_mm": 17.0,
    "mandrel_mm": 3.0,
    "seal_mm": 5.0,
    "laminate_um": 150.0,
    "laminate_g_m2": 200.0,
    "cell_extras_kg": 0.05,
    "stack_fill": 0.9,
    "electrode_yield": 0.8,
    "assembly_yield": 0.9,
    "cell_yield": 0.8,
    "plant_capacity_gwh": 40,
    "utilisation": 0.5,
    "cumulative_output_gwh": 25,
    "learning_share": 0.25,
}
GLOBALS = {
    "capex_ref_cny_per_kwh_yr": 142.0,
    "capex_ref_plant_gwh": 10,
    "capex_scale_exponent": 0.5,
    "building_share": 0.25,
    "plant_life_years": 1,
    "maintenance_rate": 0.02,
    "labour_hours_per_kwh": 0.2,
    "labour_scale_exponent": 1.0,
    "process_energy_kwh_per_kwh": 20,
    "plant_overhead_rate": 0.1,
    "sga_rate": 0.04,
    "margin_rate": 0.2,
    "learning_rate": 0.5,
    "learning_floor": 0.0,
    "learning_ref_cumulative_gwh": 100,
    "driver_share_area": 0.4,
    "driver_share_cells": 0.25,
    "driver_share_ah": 0.25,
    "driver_share_fixed": 0.1,
    "ref_area_m2_per_kwh": 50,
    "ref_cells_per_kwh": 5,
    "ref_ah_per_kwh": 125,
    "cell_count_exponent": 0.5,
}
REGION = {"currency_per_usd": 1.0, "labour_per_h": 50.0, "electricity_per_kwh": 0.1, "capex_multiplier": 1.5,
          "building_multiplier": 2.5, "wacc": 0.1, "duty_rate": 0.1}
PRICES = {
    "c1": 10,
    "a1": 8,
    "bind": 20,
    "cb": 5,
    "fa": 4,
    "fb": 6,
    "sep": 1,
    "salt": 20,
    "ec": 2,
    "pc": 2,
    "dmc": 2,
    "emc": 2,
    "fec": 10,
    "vc": 10,
    "dtd": 10,
    "electrolyte_blending": 1,
    "can": 2,
    "nmp": 3,
    "water": 0.01,
}
CHOICES = {
    "cathode_material": "c1",
    "anode_material": "a1",
    "salt": "salt",
    "cathode_binder": "bind",
    "anode_binder": "bind",
    "conductive_carbon": "cb",
    "cathode_foil": "fa",
    "anode_foil": "fb",
    "cathode_solvent": "nmp",
    "anode_solvent": "water",
    "separator": "sep",
    "housing": "can",
    "cell_format": "prismatic",
}

# -- the worked cell (prismatic), by hand --------------------------------------------------------------
# Ah/kWh = 1000/4 = 250; m_CAM = 1000/(4 × 125 × 0.8) = 2.5 kg; cathode coating 2.5/0.8 = 3.125 kg
# anode facing the cathode: 1.2 × 2.5 × 125 / 300 = 1.25 kg active, 1.5625 kg coating; the 20 % overhang
# adds 20 %: anode coating 1.875 kg (active 1.5, binder and carbon 0.1875 each)
# cathode area 3.125 / 0.125 kg/m² = 25 m²; anode 30 m²; anode loading 1.5625/25 = 0.0625 kg/m² = 6.25 mg/cm²
# foils 25/2 × 1.2 = 15 m² × 10 µm × 2.5 = 0.375 kg; 30/2 × 1.1 = 16.5 m² × 10 µm × 5.0 = 0.825 kg
# separator 25 × 1.2 = 30 m², 0.3 kg, 30 × 12 µm = 0.36 L
# porosity: cathode 1 − 2.5 × (0.8/5 + 0.1/2 + 0.1/2) = 0.35 of 3.125/2.5 = 1.25 L -> 0.4375 L of pores
#           anode 1 − 1.25 × (0.8/2 + 0.1/2 + 0.1/2) = 0.375 of 1.875/1.25 = 1.5 L -> 0.5625 L
#           separator 0.5 × 0.36 = 0.18 L; pores 1.18 L × fill 1.25 × 1.25 kg/L = 1.84375 kg electrolyte
# stack: every layer spans the separator footprint 12.5 × 1.2 = 15 m² per cathode sheet; cathode 2 × 50 µm
# (1.25 L over 25 m²), anode 2 × 50 µm (1.5 L over 30 m²), foils 10 + 10 µm, separators 2 × 12 µm:
# 15 m² × (100 + 100 + 20 + 24) µm = 3.66 L/kWh
# can: 100 × 50 × 198 − 98 × 48 × 197 = 63,312 mm³, lid 10,000 mm³ -> 73,312 mm³ × 2 g/cm³ = 0.146624 kg + 0.05
# cavity (98 − 1)(48 − 1)(198 − 1 − 17) = 820,620 mm³; cell = 0.82062 L × 0.9 / 3.66 L/kWh
CELL_WH = 0.82062 * 0.9 / 3.66 * 1000  # 201.79 Wh
CELLS = 1000 / CELL_WH
HOUSING = (63_312 + 10_000) * 2.0e-6 + 0.05  # 0.196624 kg per cell


def values():
    v = {f"design.t.{k}": float(x) for k, x in DESIGN.items()}
    v.update({f"global.{k}": float(x) for k, x in GLOBALS.items()})
    v.update({f"price.{k}": float(x) for k, x in PRICES.items()})
    v.update({f"region.r.{k}": float(x) for k, x in REGION.items()})
    v.update(
        {
            "fx.cny_per_usd": 7.1,
            "material.c1.voltage_v": 4.0,
            "material.c1.capacity_ah_kg": 125.0,
            "material.c1.true_density_g_cm3": 5.0,
            "material.a1.capacity_ah_kg": 300.0,
            "material.a1.ice": 0.8,
            "material.a1.true_density_g_cm3": 2.0,
        }
    )
    return v


def choices(**changes):
    return {**{f"design.t.{k}": x for k, x in {**CHOICES, **changes}.items()}, "global.region": "r", "region.r.currency": "USD"}


def evaluate(**changes):
    return evaluate_design(values(), choices(**changes), "t", STATIC)


def test_masses_areas_and_energy_density_by_hand():
    r = evaluate()
    m = r.masses
    assert m["cathode_active"] == pytest.approx(2.5, rel=1e-12)
    assert m["anode_active"] == pytest.approx(1.5, rel=1e-12)
    assert m["cathode_binder"] == pytest.approx(0.3125, rel=1e-12)
    assert m["anode_carbon"] == pytest.approx(0.1875, rel=1e-12)
    assert r.metrics["anode_loading_mg_cm2"] == pytest.approx(6.25, rel=1e-12)
    assert m["cathode_foil"] == pytest.approx(0.375, rel=1e-12)
    assert m["anode_foil"] == pytest.approx(0.825, rel=1e-12)
    assert m["separator"] == pytest.approx(0.3, rel=1e-12)
    assert r.metrics["cathode_porosity"] == pytest.approx(0.35, rel=1e-12)
    assert r.metrics["anode_porosity"] == pytest.approx(0.375, rel=1e-12)
    assert m["electrolyte"] == pytest.approx(1.84375, rel=1e-12)
    assert r.metrics["electrolyte_g_ah"] == pytest.approx(7.375, rel=1e-12)
    assert r.metrics["cell_wh"] == pytest.approx(CELL_WH, rel=1e-12)
    assert r.metrics["wh_per_l"] == pytest.approx(CELL_WH / 1.0, rel=1e-12)  # outer 100 × 50 × 200 mm = 1 L
    assert m["housing"] == pytest.approx(HOUSING * CELLS, rel=1e-12)
    total = 3.125 + 1.875 + 0.375 + 0.825 + 0.3 + 1.84375 + HOUSING * CELLS
    assert r.metrics["wh_per_kg"] == pytest.approx(1000 / total, rel=1e-12)
    assert r.metrics["cell_mass_kg"] == pytest.approx(total / CELLS, rel=1e-12)
    assert r.metrics["cell_ah"] == pytest.approx(CELL_WH / 4.0, rel=1e-12)


def test_fill_override_replaces_the_pore_volume():
    v = values()
    v["design.t.electrolyte_fill_g_ah"] = 2.0
    r = evaluate_design(v, choices(), "t", STATIC)
    assert r.masses["electrolyte"] == pytest.approx(0.5, rel=1e-12)  # 2 g/Ah × 250 Ah


def test_free_volume_takes_electrolyte():
    v = values()
    v["design.t.free_volume_fill"] = 0.5
    r = evaluate_design(v, choices(), "t", STATIC)
    # free volume 3.66 × (1/0.9 − 1) = 0.40667 L/kWh, half of it flooded: + 0.5 × 0.40667 × 1.25 kg
    assert r.masses["electrolyte"] == pytest.approx(1.84375 + 0.5 * 3.66 * (1 / 0.9 - 1) * 1.25, rel=1e-12)
    assert float(r.metrics["cell_wh"]) == pytest.approx(CELL_WH, rel=1e-12)


def test_cost_components_by_hand():
    c = evaluate().components
    electrolyte = 1.84375  # kg/kWh; price per kg: salt 1.0 × 150/1250 = 0.12 × 20 = 2.4, additives 0.04 × 10 = 0.4,
    # solvents (1 − 0.12 − 0.04) × 2 = 1.68, blending 1
    hand = {
        # net lines: quantity × price
        "cathode_active": 2.5 * 10,
        "cathode_binder": 0.3125 * 20,
        "cathode_carbon": 0.3125 * 5,
        "cathode_solvent": 3.125 * 0.6 * (1 - 0.9) * 3,  # 0.1875 kg NMP lost
        "anode_active": 1.5 * 8,
        "anode_binder": 0.1875 * 20,
        "anode_carbon": 0.1875 * 5,
        "anode_solvent": 1.875 * 1.0 * 0.01,
        "cathode_foil": 0.375 * 4,
        "anode_foil": 0.825 * 6,
        "separator": 30 * 1.0,
        "electrolyte_salt": electrolyte * 2.4,
        "electrolyte_solvents": electrolyte * 1.68,
        "electrolyte_additives": electrolyte * 0.4,
        "electrolyte_blending": electrolyte * 1.0,
        "housing": CELLS * 2.0,
    }
    e = sum(hand[k] for k in ("cathode_active", "cathode_binder", "cathode_carbon", "cathode_solvent", "anode_active",
                              "anode_binder", "anode_carbon", "anode_solvent", "cathode_foil", "anode_foil"))
    assert e == pytest.approx(56.53125, rel=1e-12)
    a = sum(hand[k] for k in ("separator", "electrolyte_salt", "electrolyte_solvents", "electrolyte_additives",
                              "electrolyte_blending", "housing"))
    hand["scrap_electrode"] = e * (1 / 0.8 - 1)
    hand["scrap_assembly"] = (e / 0.8 + a) * (1 / 0.9 - 1)
    gross = (e / 0.8 + a) / 0.9
    hand["import_duty"] = 0.1 * gross
    # region r (USD): capex multiplier 0.75 × 1.5 + 0.25 × 2.5 = 1.75; labour 0.2 h/kWh × 50 USD/h = 10 USD/kWh
    ratio = 0.4 * 25 / 50 + 0.25 * (CELLS / 5) ** 0.5 + 0.25 * 250 / 125 + 0.1
    capex = 142 / 7.1 * 1.75 * ratio * (40 / 10) ** (0.5 - 1)
    lf = 0.75 + 0.25 * (25 / 100) ** -1  # b = 1 (LR 50 %): 1.75
    hand["capital"] = capex * 1.1 / 0.5 * lf  # CRF(10 %, 1 yr) = 1.1
    hand["maintenance"] = capex * 0.02 / 0.5 * lf
    hand["labour"] = 10 * ratio / 0.5 * lf
    hand["energy"] = 20 * ratio * 0.1 * lf
    conv = hand["capital"] + hand["maintenance"] + hand["labour"] + hand["energy"]
    hand["plant_overhead"] = 0.1 * conv
    direct = gross + hand["import_duty"] + 1.1 * conv
    hand["scrap_formation"] = direct * 0.25
    hand["sga"] = direct * 1.25 * 0.04
    hand["margin"] = direct * 1.25 * 1.04 * 0.2 / 0.8
    for name, value in hand.items():
        assert float(c[name]) == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert set(hand) == set(c)
    assert float(sum(c.values())) == pytest.approx(direct * 1.25 * 1.04 / 0.8, rel=1e-12)


def test_cylindrical_cell_by_hand():
    from costmodel.engine.formats import cylindrical

    h = cylindrical(diameter_mm=20, height_mm=70, wall_mm=0.5, can_density_g_cm3=8.0, lid_mm=1.0, mandrel_mm=3, clearance_mm=0.25,
                    headspace_mm=5.5, extras_kg=0.01)
    # roll 20 − 1 − 0.5 = 18.5 mm across, 70 − 0.5 − 5.5 = 64 mm tall: π/4 (18.5² − 3²) × 64 = 5332 π mm³
    assert float(h.cavity_l) == pytest.approx(5332 * math.pi * 1e-6, rel=1e-12)
    # tube π/4 (400 − 361) × 70 + bottom and cap π/4 × 400 × (0.5 + 1.0) = (682.5 + 150) π mm³ × 8 g/cm³
    assert float(h.housing_kg) == pytest.approx(832.5 * math.pi * 8e-6 + 0.01, rel=1e-12)
    assert float(h.outer_l) == pytest.approx(7000 * math.pi * 1e-6, rel=1e-12)
    # the same cell through the engine: energy = cavity × fill / 3.66 L/kWh
    d = {**DESIGN, "cell_height_mm": 70, "can_wall_mm": 0.5, "can_density_g_cm3": 8.0, "lid_mm": 1.0, "clearance_mm": 0.25,
         "headspace_mm": 5.5, "cell_extras_kg": 0.01}
    v = {**values(), **{f"design.t.{k}": float(x) for k, x in d.items()}}
    r = evaluate_design(v, choices(cell_format="cylindrical"), "t", STATIC)
    wh = 5332 * math.pi * 1e-6 * 0.9 / 3.66 * 1000
    assert float(r.metrics["cell_wh"]) == pytest.approx(wh, rel=1e-12)
    assert float(r.metrics["wh_per_l"]) == pytest.approx(wh / (7000 * math.pi * 1e-6), rel=1e-12)
    assert float(r.masses["housing"]) == pytest.approx((832.5 * math.pi * 8e-6 + 0.01) * 1000 / wh, rel=1e-12)


def test_pouch_cell_by_hand():
    from costmodel.engine.formats import pouch

    h = pouch(length_mm=100, thickness_mm=10, height_mm=200, laminate_um=150, laminate_g_m2=200, seal_mm=5, headspace_mm=20,
              extras_kg=0.02)
    # cavity (100 − 10)(200 − 20)(10 − 0.3) = 157,140 mm³; laminate 2 × (100 × 200 + 300 × 10) mm² = 0.046 m² × 200 g/m²
    assert float(h.cavity_l) == pytest.approx(0.15714, rel=1e-12)
    assert float(h.housing_kg) == pytest.approx(0.0092 + 0.02, rel=1e-12)
    assert float(h.outer_l) == pytest.approx(0.2, rel=1e-12)


def test_crf_and_learning_reference_values():
    # 8 % over 10 years: 0.08 × 1.08^10 / (1.08^10 - 1) = 0.1490295
    assert float(capital_recovery_factor(0.08, 10)) == pytest.approx(0.14902949, rel=1e-7)
    assert float(capital_recovery_factor(0.0, 10)) == pytest.approx(0.1)
    # LR 20 %: one doubling beyond the reference cuts the learnable part to 80 %
    assert float(learning_factor(200, 100, 0.2, 1.0)) == pytest.approx(0.8)
    assert float(learning_factor(50, 100, 0.2, 0.5)) == pytest.approx(0.5 + 0.5 / 0.8)


def test_price_link_moves_target_with_driver():
    static = StaticData(
        price_units={"li2co3": parse_price_unit("CNY/t"), "lfp": parse_price_unit("CNY/t")},
        categories={},
        density={},
        molar_mass={},
        links=(PriceLink("lfp", "li2co3", parse_price_unit("CNY/t")),),
    )
    base = {
        "fx.cny_per_usd": 7.0,
        "price.li2co3": 90_000.0,
        "price.lfp": 35_600.0,
        "link.lfp.coefficient": 0.234,
        "link.lfp.driver_ref": 80_000.0,
    }
    # lfp = 35,600 + 0.234 × (90,000 - 80,000) = 37,940 CNY/t = 37.94/7 USD/kg
    assert PriceBook(base, static)["lfp"] == pytest.approx(37.94 / 7.0, rel=1e-12)
    assert math.isclose(PriceBook({**base, "price.li2co3": 80_000.0}, static)["lfp"], 35.6 / 7.0)


def test_learning_stops_at_the_floor_in_the_engine():
    # LR 20 %, floor 0.5: beyond (1/0.5)^(1/b) = 2^(1/0.3219) ≈ 8.6 doublings the learnable part stays at half
    assert float(learning_factor(1e6, 100, 0.2, 0.4, floor=0.5)) == pytest.approx(0.6 + 0.4 * 0.5)
    from costmodel import Model

    model = Model()
    p = model.parameters(2025)
    share, floor = p.values["design.nfpp.learning_share"], p.values["global.learning_floor"]
    values = {**p.values, "design.nfpp.cumulative_output_gwh": 1e7}
    lf = float(model.evaluate_arrays(values, p.choices, ["nfpp"])["nfpp"].metrics["learning_factor"])
    assert lf == pytest.approx(1 - share + share * floor, rel=1e-12)
