"""Cell cost of one design: bill of materials + conversion, yield, overhead and margin.

Cost per kWh of good cells (base currency USD/kWh):
    materials   Σ_i mass_i × price_i / yield_i
    conversion  capital, maintenance, labour, energy, plant overhead (see manufacturing)
    yield_loss  (materials + conversion) × (1 / cell_yield − 1)
    sga         rate × (materials + conversion + yield_loss)
    margin      price − cost with price = cost / (1 − margin_rate)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from costmodel.engine.design import CellBuild, build_cell
from costmodel.engine.electrolyte import ADDITIVES, SOLVENTS, electrolyte_price
from costmodel.engine.inputs import PriceBook, StaticData, design_view
from costmodel.engine.manufacturing import conversion_cost, driver_ratio, learning_factor

COMPONENTS: dict[str, str] = {
    "cathode_active": "materials",
    "cathode_binder": "materials",
    "cathode_carbon": "materials",
    "anode_active": "materials",
    "anode_binder": "materials",
    "anode_carbon": "materials",
    "cathode_foil": "materials",
    "anode_foil": "materials",
    "separator": "materials",
    "electrolyte_salt": "materials",
    "electrolyte_solvents": "materials",
    "electrolyte_additives": "materials",
    "electrolyte_blending": "materials",
    "housing": "materials",
    "capital": "manufacturing",
    "maintenance": "manufacturing",
    "labour": "manufacturing",
    "energy": "manufacturing",
    "plant_overhead": "manufacturing",
    "yield_loss": "yield",
    "sga": "overhead",
    "margin": "margin",
}
"""Cost components in report order, with their category."""

METRICS: dict[str, str] = {
    "wh_per_kg": "Wh/kg",
    "wh_per_l": "Wh/L",
    "cell_wh": "Wh",
    "cell_ah": "Ah",
    "cells_per_kwh": "1/kWh",
    "cathode_area_m2": "m2/kWh",
    "electrolyte_price": "USD/kg",
    "conversion_ratio": "-",
    "learning_factor": "-",
    "anode_loading_mg_cm2": "mg/cm2",
}
"""Design metrics reported beside the cost, with units."""


@dataclass(frozen=True)
class DesignCost:
    """Result of one design over n scenarios (arrays of shape (n,) or scalars).

    Attributes:
        components: component → USD/kWh.
        masses: part → kg/kWh.
        metrics: metric → value (units in ``METRICS``).
        bom: material component → (priced item, quantity per kWh, quantity unit, price in USD
            per quantity unit, yield); component = quantity × price / yield. Electrolyte lines
            are priced per kg of electrolyte (salt, solvent, additive shares of its price).
    """

    components: dict[str, np.ndarray]
    masses: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    bom: dict[str, tuple[str, np.ndarray, str, np.ndarray, np.ndarray]]

    @property
    def total(self) -> np.ndarray:
        """Total cost or price (USD/kWh)."""
        return sum(self.components.values())


def evaluate_design(
    values: Mapping[str, object],
    choices: Mapping[str, str],
    design: str,
    static: StaticData,
    prices: PriceBook | None = None,
) -> DesignCost:
    """Evaluate one design on flat parameter values (floats or arrays that broadcast).

    Args:
        values: flat numeric parameters (see ``costmodel.engine.inputs``).
        choices: flat choice parameters, e.g. ``design.nfpp.anode_material`` → ``hc_coconut``.
        design: design name.
        static: items, units and links.
        prices: a PriceBook on the same values, shared between designs to convert each price once.
    """
    d = design_view(values, design)
    c = {k[len(f"design.{design}.") :]: v for k, v in choices.items() if k.startswith(f"design.{design}.")}
    price = prices if prices is not None else PriceBook(values, static)
    fx = price.fx

    def g(name: str):
        return values[f"global.{name}"]

    cam, aam = c["cathode_material"], c["anode_material"]
    cell_volume_l = d["cell_length_mm"] * d["cell_thickness_mm"] * d["cell_height_mm"] * 1e-6
    build: CellBuild = build_cell(
        voltage_v=values[f"material.{cam}.voltage_v"],
        cathode_capacity_ah_kg=values[f"material.{cam}.capacity_ah_kg"],
        anode_capacity_ah_kg=values[f"material.{aam}.capacity_ah_kg"],
        anode_ice=values[f"material.{aam}.ice"],
        np_ratio=d["np_ratio"],
        cathode_active_fraction=d["cathode_active_fraction"],
        cathode_binder_fraction=d["cathode_binder_fraction"],
        cathode_carbon_fraction=d["cathode_carbon_fraction"],
        anode_active_fraction=d["anode_active_fraction"],
        anode_binder_fraction=d["anode_binder_fraction"],
        anode_carbon_fraction=d["anode_carbon_fraction"],
        cathode_loading_mg_cm2=d["cathode_loading_mg_cm2"],
        cathode_density_g_cm3=d["cathode_density_g_cm3"],
        anode_density_g_cm3=d["anode_density_g_cm3"],
        anode_overhang=d["anode_overhang"],
        separator_overhang=d["separator_overhang"],
        foil_margin=d["foil_margin"],
        cathode_foil_um=d["cathode_foil_um"],
        anode_foil_um=d["anode_foil_um"],
        cathode_foil_density_g_cm3=static.foil_density[c["cathode_foil"]],
        anode_foil_density_g_cm3=static.foil_density[c["anode_foil"]],
        separator_um=d["separator_um"],
        separator_g_m2=d["separator_g_m2"],
        electrolyte_fill_g_ah=d["electrolyte_fill_g_ah"],
        packing_efficiency=d["packing_efficiency"],
        cell_volume_l=cell_volume_l,
        housing_mass_kg=d["housing_mass_kg"],
    )
    ely = electrolyte_price(
        salt_price=price[c["salt"]],
        salt_molar_mass_g_mol=static.molar_mass[c["salt"]],
        molarity_mol_l=d["salt_molarity_mol_l"],
        density_g_cm3=d["electrolyte_density_g_cm3"],
        solvent_prices={s: price[s] for s in SOLVENTS},
        solvent_shares={s: d[f"solvent_{s}_share"] for s in SOLVENTS},
        additive_prices={a: price[a] for a in ADDITIVES},
        additive_fractions={a: d[f"additive_{a}_fraction"] for a in ADDITIVES},
        blending_price=price["electrolyte_blending"],
    )

    ey, ay = d["electrode_yield"], d["assembly_yield"]
    # bill of materials: component -> (priced item, quantity per kWh, quantity unit, USD per unit, yield)
    bom = {
        "cathode_active": (cam, build.cathode_active, "kg", price[cam], ey),
        "cathode_binder": (c["cathode_binder"], build.cathode_binder, "kg", price[c["cathode_binder"]], ey),
        "cathode_carbon": (c["conductive_carbon"], build.cathode_carbon, "kg", price[c["conductive_carbon"]], ey),
        "anode_active": (aam, build.anode_active, "kg", price[aam], ey),
        "anode_binder": (c["anode_binder"], build.anode_binder, "kg", price[c["anode_binder"]], ey),
        "anode_carbon": (c["conductive_carbon"], build.anode_carbon, "kg", price[c["conductive_carbon"]], ey),
        "cathode_foil": (c["cathode_foil"], build.cathode_foil, "kg", price[c["cathode_foil"]], ey),
        "anode_foil": (c["anode_foil"], build.anode_foil, "kg", price[c["anode_foil"]], ey),
        "separator": (c["separator"], build.separator_m2, "m2", price[c["separator"]], ay),
        "electrolyte_salt": (c["salt"], build.electrolyte, "kg", ely.salt, ay),
        "electrolyte_solvents": ("solvents", build.electrolyte, "kg", ely.solvents, ay),
        "electrolyte_additives": ("additives", build.electrolyte, "kg", ely.additives, ay),
        "electrolyte_blending": ("electrolyte_blending", build.electrolyte, "kg", ely.blending, ay),
        "housing": (c["housing"], build.cells_per_kwh, "cell", price[c["housing"]], ay),
    }
    materials = {name: qty * unit_price / yld for name, (_, qty, _, unit_price, yld) in bom.items()}

    ratio = driver_ratio(
        area_m2=build.cathode_area_m2,
        cells=build.cells_per_kwh,
        ah=build.ah,
        ref_area_m2=g("ref_area_m2_per_kwh"),
        ref_cells=g("ref_cells_per_kwh"),
        ref_ah=g("ref_ah_per_kwh"),
        share_area=g("driver_share_area"),
        share_cells=g("driver_share_cells"),
        share_ah=g("driver_share_ah"),
        share_fixed=g("driver_share_fixed"),
    )
    learning = learning_factor(d["cumulative_output_gwh"], g("learning_ref_cumulative_gwh"), g("learning_rate"), d["learning_share"],
                               g("learning_floor"))
    conv = conversion_cost(
        ratio=ratio,
        plant_gwh=d["plant_capacity_gwh"],
        utilisation=d["utilisation"],
        capex_ref_per_kwh_yr=g("capex_ref_cny_per_kwh_yr") / fx,
        ref_plant_gwh=g("capex_ref_plant_gwh"),
        capex_exponent=g("capex_scale_exponent"),
        wacc=g("wacc"),
        life_years=g("plant_life_years"),
        maintenance_rate=g("maintenance_rate"),
        labour_ref_per_kwh=g("labour_ref_cny_per_kwh") / fx,
        labour_exponent=g("labour_scale_exponent"),
        energy_kwh_per_kwh=g("process_energy_kwh_per_kwh"),
        electricity_price=price["electricity"],
        overhead_rate=g("plant_overhead_rate"),
        learning=learning,
    )
    components = dict(materials)
    components.update(conv.components())
    direct = sum(components.values())
    components["yield_loss"] = direct * (1.0 / d["cell_yield"] - 1.0)
    cost = direct + components["yield_loss"]
    components["sga"] = cost * g("sga_rate")
    cost = cost + components["sga"]
    margin_rate = g("margin_rate")
    components["margin"] = cost * margin_rate / (1.0 - margin_rate)

    shape = np.broadcast(*components.values(), *build.masses().values()).shape
    metrics = {
        "wh_per_kg": build.wh_per_kg,
        "wh_per_l": build.wh_per_l,
        "cell_wh": build.cell_wh,
        "cell_ah": build.cell_wh / values[f"material.{cam}.voltage_v"],
        "cells_per_kwh": build.cells_per_kwh,
        "cathode_area_m2": build.cathode_area_m2,
        "electrolyte_price": ely.total,
        "conversion_ratio": ratio,
        "learning_factor": learning,
        "anode_loading_mg_cm2": build.anode_loading_mg_cm2,
    }

    def full(a):
        return np.broadcast_to(np.asarray(a, dtype=float), shape)

    return DesignCost(
        components={k: full(components[k]) for k in COMPONENTS},
        masses={k: full(v) for k, v in build.masses().items()},
        metrics={k: full(metrics[k]) for k in METRICS},
        bom={k: (item, full(q), u, full(p), full(y)) for k, (item, q, u, p, y) in bom.items()},
    )
