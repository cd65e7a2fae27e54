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
        "c1": USD_KG,
        "a1": USD_KG,
        "bind": USD_KG,
        "cb": USD_KG,
        "fa": USD_KG,
        "fb": USD_KG,
        "sep": parse_price_unit("USD/m2"),
        "salt": USD_KG,
        "ec": USD_KG,
        "pc": USD_KG,
        "dmc": USD_KG,
        "emc": USD_KG,
        "fec": USD_KG,
        "vc": USD_KG,
        "dtd": USD_KG,
        "electrolyte_blending": USD_KG,
        "can": parse_price_unit("USD/cell"),
        "electricity": parse_price_unit("USD/kWh"),
    },
    categories={},
    foil_density={"fa": 2.5, "fb": 5.0},
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
    "cathode_loading_mg_cm2": 12.5,
    "cathode_density_g_cm3": 2.5,
    "anode_density_g_cm3": 1.25,
    "anode_overhang": 0.2,
    "separator_overhang": 0.2,
    "foil_margin": 0.2,
    "cathode_foil_um": 10,
    "anode_foil_um": 10,
    "separator_um": 12,
    "separator_g_m2": 10,
    "electrolyte_fill_g_ah": 2,
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
    "packing_efficiency": 0.638,
    "housing_mass_kg": 0.1,
    "electrode_yield": 0.8,
    "assembly_yield": 1.0,
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
    "wacc": 0.1,
    "plant_life_years": 1,
    "maintenance_rate": 0.02,
    "labour_ref_cny_per_kwh": 71.0,
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
}
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
    "electricity": 0.1,
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
    "separator": "sep",
    "housing": "can",
}


def values():
    v = {f"design.t.{k}": float(x) for k, x in DESIGN.items()}
    v.update({f"global.{k}": float(x) for k, x in GLOBALS.items()})
    v.update({f"price.{k}": float(x) for k, x in PRICES.items()})
    v.update(
        {
            "fx.cny_per_usd": 7.1,
            "material.c1.voltage_v": 4.0,
            "material.c1.capacity_ah_kg": 125.0,
            "material.a1.capacity_ah_kg": 300.0,
            "material.a1.ice": 0.8,
        }
    )
    return v


def evaluate():
    return evaluate_design(values(), {f"design.t.{k}": x for k, x in CHOICES.items()}, "t", STATIC)


def test_masses_areas_and_energy_density_by_hand():
    r = evaluate()
    m = r.masses
    # Ah/kWh = 1000/4 = 250; m_CAM = 1000/(4 × 125 × 0.8) = 2.5 kg
    assert m["cathode_active"] == pytest.approx(2.5, rel=1e-12)
    # anode Ah = 1.2 × 2.5 × 125 = 375 Ah; m_AAM = 375/300 = 1.25 kg
    assert m["anode_active"] == pytest.approx(1.25, rel=1e-12)
    # cathode coating 2.5/0.8 = 3.125 kg -> binder, carbon 0.3125 kg each; anode coating 1.5625 -> 0.15625 each
    assert m["cathode_binder"] == pytest.approx(0.3125, rel=1e-12)
    assert m["anode_carbon"] == pytest.approx(0.15625, rel=1e-12)
    # coated cathode area 3.125 / 0.125 kg/m2 = 25 m2; anode 25 × 1.2 = 30 m2
    # foil areas 25/2 × 1.2 = 15 m2 and 30/2 × 1.2 = 18 m2
    # foil masses 15 × 10e-6 × 2500 = 0.375 kg; 18 × 10e-6 × 5000 = 0.9 kg
    assert m["cathode_foil"] == pytest.approx(0.375, rel=1e-12)
    assert m["anode_foil"] == pytest.approx(0.9, rel=1e-12)
    # separator 25 × 1.2 = 30 m2 × 10 g/m2 = 0.3 kg; electrolyte 2 g/Ah × 250 Ah = 0.5 kg
    assert m["separator"] == pytest.approx(0.3, rel=1e-12)
    assert m["electrolyte"] == pytest.approx(0.5, rel=1e-12)
    # stack volume 3.125/2.5 + 1.5625/1.25 + (15+18) × 10 µm + 30 × 12 µm = 1.25+1.25+0.33+0.36 = 3.19 L
    # Wh/L = 1000/3.19 × 0.638 = 200; cell 1.0 L -> 200 Wh; 5 cells/kWh; housing 5 × 0.1 = 0.5 kg
    assert r.metrics["wh_per_l"] == pytest.approx(200.0, rel=1e-12)
    assert r.metrics["cells_per_kwh"] == pytest.approx(5.0, rel=1e-12)
    assert m["housing"] == pytest.approx(0.5, rel=1e-12)
    # total 3.125 + 1.5625 + 0.375 + 0.9 + 0.3 + 0.5 + 0.5 = 7.2625 kg -> 137.6936... Wh/kg
    assert r.metrics["wh_per_kg"] == pytest.approx(1000 / 7.2625, rel=1e-12)
    assert r.metrics["cell_ah"] == pytest.approx(50.0, rel=1e-12)


def test_cost_components_by_hand():
    c = evaluate().components
    hand = {
        # materials: mass × price / yield (electrode yield 0.8, assembly 1.0)
        "cathode_active": 2.5 * 10 / 0.8,  # 31.25
        "cathode_binder": 0.3125 * 20 / 0.8,  # 7.8125
        "cathode_carbon": 0.3125 * 5 / 0.8,  # 1.953125
        "anode_active": 1.25 * 8 / 0.8,  # 12.5
        "anode_binder": 0.15625 * 20 / 0.8,  # 3.90625
        "anode_carbon": 0.15625 * 5 / 0.8,  # 0.9765625
        "cathode_foil": 0.375 * 4 / 0.8,  # 1.875
        "anode_foil": 0.9 * 6 / 0.8,  # 6.75
        "separator": 30 * 1.0,  # 30
        # electrolyte: salt fraction 1.0 × 150 / 1250 = 0.12 -> 2.4 $/kg; additives 0.04 × 10 = 0.4;
        # solvents (1 - 0.12 - 0.04) × 2 = 1.68; blending 1; per kWh × 0.5 kg
        "electrolyte_salt": 1.2,
        "electrolyte_solvents": 0.84,
        "electrolyte_additives": 0.2,
        "electrolyte_blending": 0.5,
        "housing": 5 * 2.0,  # 10
        # ratio = 0.4 × 25/50 + 0.25 × 5/5 + 0.25 × 250/125 + 0.1 = 1.05
        # capex = 142/7.1 = 20 $/(kWh/yr) × 1.05 × (40/10)^(0.5-1) = 10.5; CRF(10 %, 1 yr) = 1.1
        # learning: b = 1 (LR 50 %), (25/100)^-1 = 4, LF = 0.75 + 0.25 × 4 = 1.75
        "capital": 10.5 * 1.1 / 0.5 * 1.75,  # 40.425
        "maintenance": 10.5 * 0.02 / 0.5 * 1.75,  # 0.735
        "labour": 71 / 7.1 * 1.05 / 0.5 * 1.75,  # 36.75
        "energy": 20 * 1.05 * 0.1 * 1.75,  # 3.675
        "plant_overhead": 0.1 * (40.425 + 0.735 + 36.75 + 3.675),  # 8.1585
    }
    direct = 109.7634375 + 81.585 + 8.1585  # materials + conversion + overhead = 199.5069375
    hand["yield_loss"] = direct * 0.25  # 1/0.8 - 1 -> 49.876734375
    hand["sga"] = (direct * 1.25) * 0.04  # 9.975346875
    hand["margin"] = 259.35901875 * 0.2 / 0.8  # 64.8397546875
    for name, value in hand.items():
        assert float(c[name]) == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert sum(float(c[k]) for k in list(c)[:14]) == pytest.approx(109.7634375, rel=1e-12)
    assert float(sum(c.values())) == pytest.approx(324.1987734375, rel=1e-9)


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
        foil_density={},
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
