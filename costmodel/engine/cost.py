"""Cell cost of one design: bill of materials + conversion, scrap, overhead and margin.

Cost per kWh of good cells (base currency USD/kWh), with E the electrode lines and A the
assembly lines (separator, electrolyte, housing) of the bill of materials at net quantities:
    materials        Σ_i mass_i × price_i (net: what ends up in a good cell)
    scrap_electrode  E × (1 / electrode_yield − 1)
    scrap_assembly   (E / electrode_yield + A) × (1 / assembly_yield − 1)
    import_duty      duty rate of the plant's region × gross materials
                     (gross = (E / electrode_yield + A) / assembly_yield)
    conversion       capital, maintenance, labour, energy, plant overhead (see manufacturing)
    scrap_formation  (gross materials + duty + conversion) × (1 / cell_yield − 1)
    sga              rate × everything above
    margin           price − cost with price = cost / (1 − margin_rate)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from costmodel.engine.blend import BLEND_LINE, anode_of
from costmodel.engine.design import CellBuild, Stack, build_cell, build_stack
from costmodel.engine.electrolyte import ADDITIVES, SOLVENTS, electrolyte_price
from costmodel.engine.formats import housing
from costmodel.engine.inputs import PriceBook, StaticData, design_view
from costmodel.engine.manufacturing import conversion_cost, driver_ratio, learning_factor
from costmodel.engine.region import region_inputs

COMPONENTS: dict[str, str] = {
    "cathode_active": "materials",
    "cathode_binder": "materials",
    "cathode_carbon": "materials",
    "cathode_solvent": "materials",
    "anode_active": "materials",
    "anode_binder": "materials",
    "anode_carbon": "materials",
    "anode_solvent": "materials",
    "cathode_foil": "materials",
    "anode_foil": "materials",
    "separator": "materials",
    "electrolyte_salt": "materials",
    "electrolyte_solvents": "materials",
    "electrolyte_additives": "materials",
    "electrolyte_blending": "materials",
    "housing": "materials",
    "import_duty": "materials",
    "capital": "manufacturing",
    "maintenance": "manufacturing",
    "labour": "manufacturing",
    "energy": "manufacturing",
    "plant_overhead": "manufacturing",
    "scrap_electrode": "scrap",
    "scrap_assembly": "scrap",
    "scrap_formation": "scrap",
    "sga": "overhead",
    "margin": "margin",
}
"""Cost components every design has, in report order, with their category."""


def _with_blend_line(components: dict[str, str]) -> dict[str, str]:
    """``components`` with the blend line (``anode_active_2``, a material) right after ``anode_active``."""
    out: dict[str, str] = {}
    for name, category in components.items():
        out[name] = category
        if name == "anode_active":
            out[BLEND_LINE] = "materials"
    return out


ALL_COMPONENTS: dict[str, str] = _with_blend_line(COMPONENTS)
"""``COMPONENTS`` and ``anode_active_2`` (the second material of a blended anode, ``engine.blend``; only designs with a
blend have it), in report order: a ``DesignCost``'s components follow this order."""

ELECTRODE_LINES = ("cathode_active", "cathode_binder", "cathode_carbon", "cathode_solvent", "anode_active", BLEND_LINE,
                   "anode_binder", "anode_carbon", "anode_solvent", "cathode_foil", "anode_foil")
"""Bill-of-materials lines consumed in electrode making (scrapped at the electrode yield, then at assembly); the
blend line only where a design has it."""

MATERIAL_SCRAP = ("scrap_electrode", "scrap_assembly", "import_duty")
"""Components that scale with the bill of materials alone (with the BOM lines: the gross material cost)."""

METRICS: dict[str, str] = {
    "wh_per_kg": "Wh/kg",
    "wh_per_l": "Wh/L",
    "cell_wh": "Wh",
    "cell_ah": "Ah",
    "cell_mass_kg": "kg",
    "cells_per_kwh": "1/kWh",
    "cathode_area_m2": "m2/kWh",
    "electrolyte_g_ah": "g/Ah",
    "cathode_porosity": "-",
    "anode_porosity": "-",
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
        bom: material component → (priced item, net quantity per kWh, quantity unit, price in USD
            per quantity unit, material yield); component = quantity × price, the material bought
            is quantity / yield (its scrap is in the scrap components). Electrolyte lines are
            priced per kg of electrolyte (salt, solvent, additive shares of its price).
    """

    components: dict[str, np.ndarray]
    masses: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    bom: dict[str, tuple[str, np.ndarray, str, np.ndarray, np.ndarray]]

    @property
    def total(self) -> np.ndarray:
        """Total cost or price (USD/kWh)."""
        return sum(self.components.values())

    @property
    def gross_materials(self) -> np.ndarray:
        """Materials bought per kWh of good assembled cells, duty included (USD/kWh): BOM lines plus material scrap."""
        return sum(self.components[k] for k in (*self.bom, *MATERIAL_SCRAP))


def design_stack(values: Mapping[str, object], choices: Mapping[str, str], design: str, static: StaticData) -> Stack:
    """The electrode stack of ``design`` per kWh (masses, areas, pores, electrolyte), from flat parameters."""
    d = design_view(values, design)
    c = {k[len(f"design.{design}.") :]: v for k, v in choices.items() if k.startswith(f"design.{design}.")}
    cam = c["cathode_material"]
    anode = anode_of(values, choices, design)  # one material, or two powder-blended (engine.blend)
    voltage = values[f"material.{cam}.voltage_v"]
    return build_stack(
        voltage_v=voltage,
        cathode_capacity_ah_kg=values[f"material.{cam}.capacity_ah_kg"],
        anode_capacity_ah_kg=anode.capacity,
        anode_ice=anode.ice,
        np_ratio=d["np_ratio"],
        cathode_fractions=(d["cathode_active_fraction"], d["cathode_binder_fraction"], d["cathode_carbon_fraction"]),
        anode_fractions=(d["anode_active_fraction"], d["anode_binder_fraction"], d["anode_carbon_fraction"]),
        cathode_true_densities=(values[f"material.{cam}.true_density_g_cm3"], static.density[c["cathode_binder"]],
                                static.density[c["conductive_carbon"]]),
        anode_true_densities=(anode.density, static.density[c["anode_binder"]],
                              static.density[c["conductive_carbon"]]),
        cathode_loading_mg_cm2=d["cathode_loading_mg_cm2"],
        cathode_density_g_cm3=d["cathode_density_g_cm3"],
        anode_density_g_cm3=d["anode_density_g_cm3"],
        anode_overhang=d["anode_overhang"],
        separator_overhang=d["separator_overhang"],
        cathode_foil_margin=d["cathode_foil_margin"],
        anode_foil_margin=d["anode_foil_margin"],
        cathode_foil_um=d["cathode_foil_um"],
        anode_foil_um=d["anode_foil_um"],
        cathode_foil_density_g_cm3=static.density[c["cathode_foil"]],
        anode_foil_density_g_cm3=static.density[c["anode_foil"]],
        separator_um=d["separator_um"],
        separator_g_m2=d["separator_g_m2"],
        separator_porosity=d["separator_porosity"],
        electrolyte_density_g_cm3=d["electrolyte_density_g_cm3"],
        electrolyte_fill_factor=d["electrolyte_fill_factor"],
        electrolyte_fill_g_ah=d["electrolyte_fill_g_ah"],
        stack_fill=d["stack_fill"],
        free_volume_fill=d["free_volume_fill"],
    )


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

    cam = c["cathode_material"]
    anode = anode_of(values, choices, design)
    voltage = values[f"material.{cam}.voltage_v"]
    stack = design_stack(values, choices, design, static)
    anode_1, anode_2 = anode.split(stack.anode_active)
    build: CellBuild = build_cell(stack, housing(c["cell_format"], d), d["stack_fill"])
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

    ey, ay, cy = d["electrode_yield"], d["assembly_yield"], d["cell_yield"]
    eay = ey * ay
    # solvent lost per kWh: coating × kg solvent per kg coating × (1 − recovery)
    c_solvent = stack.cathode_coating * d["cathode_solvent_kg_per_kg"] * (1.0 - d["cathode_solvent_recovery"])
    a_solvent = stack.anode_coating * d["anode_solvent_kg_per_kg"] * (1.0 - d["anode_solvent_recovery"])
    # bill of materials: component -> (priced item, net quantity per kWh, quantity unit, USD per unit, material yield);
    # the line is quantity × price, the material bought is quantity / yield
    bom = {
        "cathode_active": (cam, stack.cathode_active, "kg", price[cam], eay),
        "cathode_binder": (c["cathode_binder"], stack.cathode_binder, "kg", price[c["cathode_binder"]], eay),
        "cathode_carbon": (c["conductive_carbon"], stack.cathode_carbon, "kg", price[c["conductive_carbon"]], eay),
        "cathode_solvent": (c["cathode_solvent"], c_solvent, "kg", price[c["cathode_solvent"]], eay),
        "anode_active": (anode.material, anode_1, "kg", price[anode.material], eay),
        "anode_binder": (c["anode_binder"], stack.anode_binder, "kg", price[c["anode_binder"]], eay),
        "anode_carbon": (c["conductive_carbon"], stack.anode_carbon, "kg", price[c["conductive_carbon"]], eay),
        "anode_solvent": (c["anode_solvent"], a_solvent, "kg", price[c["anode_solvent"]], eay),
        "cathode_foil": (c["cathode_foil"], stack.cathode_foil, "kg", price[c["cathode_foil"]], eay),
        "anode_foil": (c["anode_foil"], stack.anode_foil, "kg", price[c["anode_foil"]], eay),
        "separator": (c["separator"], stack.separator_m2, "m2", price[c["separator"]], ay),
        "electrolyte_salt": (c["salt"], stack.electrolyte, "kg", ely.salt, ay),
        "electrolyte_solvents": ("solvents", stack.electrolyte, "kg", ely.solvents, ay),
        "electrolyte_additives": ("additives", stack.electrolyte, "kg", ely.additives, ay),
        "electrolyte_blending": ("electrolyte_blending", stack.electrolyte, "kg", ely.blending, ay),
        "housing": (c["housing"], build.cells_per_kwh, "cell", price[c["housing"]], ay),
    }
    if anode.second is not None:  # a blended anode: the second material's share of the active mass, at its price
        bom[BLEND_LINE] = (anode.second, anode_2, "kg", price[anode.second], eay)
        bom = {k: bom[k] for k in ALL_COMPONENTS if k in bom}  # in report order (after anode_active)
    components = {name: qty * unit_price for name, (_, qty, _, unit_price, _) in bom.items()}
    electrode = sum(components[k] for k in ELECTRODE_LINES if k in components)
    assembly = sum(v for k, v in components.items() if k not in ELECTRODE_LINES)
    components["scrap_electrode"] = electrode * (1.0 / ey - 1.0)
    components["scrap_assembly"] = (electrode / ey + assembly) * (1.0 / ay - 1.0)
    gross = (electrode / ey + assembly) / ay
    region = region_inputs(values, choices, choices["global.region"])
    components["import_duty"] = gross * region.duty_rate

    ratio = driver_ratio(
        area_m2=stack.cathode_area_m2,
        cells=build.cells_per_kwh,
        ah=stack.ah,
        ref_area_m2=g("ref_area_m2_per_kwh"),
        ref_cells=g("ref_cells_per_kwh"),
        ref_ah=g("ref_ah_per_kwh"),
        share_area=g("driver_share_area"),
        share_cells=g("driver_share_cells"),
        share_ah=g("driver_share_ah"),
        share_fixed=g("driver_share_fixed"),
        cells_exponent=g("cell_count_exponent"),
    )
    learning = learning_factor(d["cumulative_output_gwh"], g("learning_ref_cumulative_gwh"), g("learning_rate"), d["learning_share"],
                               g("learning_floor"))
    conv = conversion_cost(
        ratio=ratio,
        plant_gwh=d["plant_capacity_gwh"],
        utilisation=d["utilisation"],
        capex_ref_per_kwh_yr=g("capex_ref_cny_per_kwh_yr") / fx * region.capex_multiplier,
        ref_plant_gwh=g("capex_ref_plant_gwh"),
        capex_exponent=g("capex_scale_exponent"),
        wacc=region.wacc,
        life_years=g("plant_life_years"),
        maintenance_rate=g("maintenance_rate"),
        labour_ref_per_kwh=g("labour_hours_per_kwh") * region.labour_per_h,
        labour_exponent=g("labour_scale_exponent"),
        energy_kwh_per_kwh=g("process_energy_kwh_per_kwh"),
        electricity_price=region.electricity,
        overhead_rate=g("plant_overhead_rate"),
        learning=learning,
    )
    components.update(conv.components())
    direct = gross + components["import_duty"] + sum(conv.components().values())
    components["scrap_formation"] = direct * (1.0 / cy - 1.0)
    cost = direct + components["scrap_formation"]
    components["sga"] = cost * g("sga_rate")
    cost = cost + components["sga"]
    margin_rate = g("margin_rate")
    components["margin"] = cost * margin_rate / (1.0 - margin_rate)

    shape = np.broadcast(*components.values(), *build.masses().values()).shape
    metrics = {
        "wh_per_kg": build.wh_per_kg,
        "wh_per_l": build.wh_per_l,
        "cell_wh": build.cell_wh,
        "cell_ah": build.cell_wh / voltage,
        "cell_mass_kg": build.total_mass * build.cell_wh / 1000.0,
        "cells_per_kwh": build.cells_per_kwh,
        "cathode_area_m2": stack.cathode_area_m2,
        "electrolyte_g_ah": build.electrolyte_g_ah,
        "cathode_porosity": stack.cathode_porosity,
        "anode_porosity": stack.anode_porosity,
        "electrolyte_price": ely.total,
        "conversion_ratio": ratio,
        "learning_factor": learning,
        "anode_loading_mg_cm2": stack.anode_loading_mg_cm2,
    }

    def full(a):
        return np.broadcast_to(np.asarray(a, dtype=float), shape)

    return DesignCost(
        components={k: full(components[k]) for k in ALL_COMPONENTS if k in components},
        masses={k: full(v) for k, v in build.masses().items()},
        metrics={k: full(metrics[k]) for k in METRICS},
        bom={k: (item, full(q), u, full(p), full(y)) for k, (item, q, u, p, y) in bom.items()},
    )
