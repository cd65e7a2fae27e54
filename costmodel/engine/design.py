"""Cell design physics: masses, areas and volumes per kWh of nominal cell energy.

Every function is pure and vectorized: arguments are floats or numpy arrays that broadcast
together, one element per scenario. Units are given per argument; "per kWh" always means
per kWh of nominal cell energy (capacity × average voltage).

References:
    Nelson, Ahmed, Gallagher, Dees, "Modeling the Performance and Cost of Lithium-Ion
    Batteries for Electric-Drive Vehicles" (BatPaC), Argonne ANL-12/55, 3rd ed. 2019:
    the per-kWh bottom-up structure (active mass from capacity and voltage, coating from
    formulation, area from loading, foils and separator from area).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KG_PER_M2_PER_MG_CM2 = 0.01
"""1 mg/cm² = 10 g/m² = 0.01 kg/m²."""


def ah_per_kwh(voltage_v):
    """Nominal Ah per kWh at an average voltage ``voltage_v`` (V): 1000 / V."""
    return 1000.0 / voltage_v


def cathode_active_mass(voltage_v, capacity_ah_kg, anode_ice):
    """Cathode active mass per kWh (kg/kWh).

    m_CAM = 1000 / (V × q_CAM × ICE_anode): the anode's first-cycle loss (initial
    coulombic efficiency, 0..1) consumes cyclable ions that only the cathode supplies.

    Args:
        voltage_v: average cell voltage (V).
        capacity_ah_kg: deliverable cathode specific capacity (Ah/kg = mAh/g).
        anode_ice: anode initial coulombic efficiency (-).
    """
    return 1000.0 / (voltage_v * capacity_ah_kg * anode_ice)


def anode_active_mass(cathode_mass_kg, cathode_capacity_ah_kg, np_ratio, anode_capacity_ah_kg):
    """Anode active mass per kWh (kg/kWh): N/P × cathode first-charge Ah / q_anode."""
    return np_ratio * cathode_mass_kg * cathode_capacity_ah_kg / anode_capacity_ah_kg


@dataclass(frozen=True)
class CellBuild:
    """Everything the bill of materials and the plant need, per kWh (arrays per scenario).

    Masses in kg/kWh, areas in m²/kWh, volumes in L/kWh, per-cell figures per cell.
    """

    ah: np.ndarray
    cathode_active: np.ndarray
    cathode_binder: np.ndarray
    cathode_carbon: np.ndarray
    anode_active: np.ndarray
    anode_binder: np.ndarray
    anode_carbon: np.ndarray
    cathode_area_m2: np.ndarray
    anode_area_m2: np.ndarray
    cathode_foil_m2: np.ndarray
    anode_foil_m2: np.ndarray
    cathode_foil: np.ndarray
    anode_foil: np.ndarray
    separator_m2: np.ndarray
    separator: np.ndarray
    electrolyte: np.ndarray
    housing: np.ndarray
    stack_volume_l: np.ndarray
    cell_wh: np.ndarray
    cells_per_kwh: np.ndarray
    wh_per_l: np.ndarray
    wh_per_kg: np.ndarray
    total_mass: np.ndarray
    anode_loading_mg_cm2: np.ndarray

    def masses(self) -> dict[str, np.ndarray]:
        """Mass breakdown (kg/kWh) by cell part."""
        return {
            "cathode_active": self.cathode_active,
            "cathode_binder": self.cathode_binder,
            "cathode_carbon": self.cathode_carbon,
            "anode_active": self.anode_active,
            "anode_binder": self.anode_binder,
            "anode_carbon": self.anode_carbon,
            "cathode_foil": self.cathode_foil,
            "anode_foil": self.anode_foil,
            "separator": self.separator,
            "electrolyte": self.electrolyte,
            "housing": self.housing,
        }


def build_cell(
    *,
    voltage_v,
    cathode_capacity_ah_kg,
    anode_capacity_ah_kg,
    anode_ice,
    np_ratio,
    cathode_active_fraction,
    cathode_binder_fraction,
    cathode_carbon_fraction,
    anode_active_fraction,
    anode_binder_fraction,
    anode_carbon_fraction,
    cathode_loading_mg_cm2,
    cathode_density_g_cm3,
    anode_density_g_cm3,
    anode_overhang,
    separator_overhang,
    foil_margin,
    cathode_foil_um,
    anode_foil_um,
    cathode_foil_density_g_cm3,
    anode_foil_density_g_cm3,
    separator_um,
    separator_g_m2,
    electrolyte_fill_g_ah,
    packing_efficiency,
    cell_volume_l,
    housing_mass_kg,
) -> CellBuild:
    """Masses, areas, volumes and energy density of a cell design, per kWh.

    Equations (per kWh of nominal energy):
      - Ah = 1000 / V; m_CAM = Ah / (q_c × ICE_a); m_AAM = N/P × m_CAM × q_c / q_a.
      - coating = active / active_fraction; binder, carbon = coating × fraction.
      - cathode coated area (sum of both sides) A_c = coating / (loading × 0.01 kg/m² per mg/cm²);
        anode coated area A_a = A_c × (1 + overhang).
      - foil area = coated area / 2 × (1 + margin) (double-side coating);
        foil mass = area × thickness × density.
      - separator area = A_c × (1 + separator overhang) (one layer per cathode face).
      - electrolyte = fill × Ah / 1000.
      - stack volume = coatings / densities + foils + separator (L/kWh); cell Wh/L = 1000 /
        stack volume × packing efficiency; cell energy = Wh/L × cell volume; housing per kWh
        = housing mass per cell × cells per kWh; Wh/kg = 1000 / total mass.

    Units: capacities Ah/kg, loading mg/cm² (dry coating per side), densities g/cm³
    (= kg/L), thicknesses µm, separator g/m², fill g/Ah, cell volume L, housing kg/cell.
    """
    ah = ah_per_kwh(voltage_v)
    cam = cathode_active_mass(voltage_v, cathode_capacity_ah_kg, anode_ice)
    aam = anode_active_mass(cam, cathode_capacity_ah_kg, np_ratio, anode_capacity_ah_kg)
    c_coat = cam / cathode_active_fraction
    a_coat = aam / anode_active_fraction
    c_area = c_coat / (cathode_loading_mg_cm2 * KG_PER_M2_PER_MG_CM2)
    a_area = c_area * (1.0 + anode_overhang)
    c_foil_m2 = c_area / 2.0 * (1.0 + foil_margin)
    a_foil_m2 = a_area / 2.0 * (1.0 + foil_margin)
    # area (m²) × thickness (µm → 1e-6 m) × density (g/cm³ → 1000 kg/m³) = kg
    c_foil = c_foil_m2 * cathode_foil_um * 1e-3 * cathode_foil_density_g_cm3
    a_foil = a_foil_m2 * anode_foil_um * 1e-3 * anode_foil_density_g_cm3
    sep_m2 = c_area * (1.0 + separator_overhang)
    sep = sep_m2 * separator_g_m2 * 1e-3
    electrolyte = electrolyte_fill_g_ah * ah * 1e-3
    # volumes in L/kWh: kg / (g/cm³ = kg/L); m² × µm = 1e-6 m³ = 1e-3 L
    stack_l = (
        c_coat / cathode_density_g_cm3
        + a_coat / anode_density_g_cm3
        + (c_foil_m2 * cathode_foil_um + a_foil_m2 * anode_foil_um + sep_m2 * separator_um) * 1e-3
    )
    wh_per_l = 1000.0 / stack_l * packing_efficiency
    cell_wh = wh_per_l * cell_volume_l
    cells = 1000.0 / cell_wh
    housing = housing_mass_kg * cells
    total = c_coat + a_coat + c_foil + a_foil + sep + electrolyte + housing
    return CellBuild(
        ah=ah * np.ones_like(total),
        cathode_active=cam,
        cathode_binder=c_coat * cathode_binder_fraction,
        cathode_carbon=c_coat * cathode_carbon_fraction,
        anode_active=aam,
        anode_binder=a_coat * anode_binder_fraction,
        anode_carbon=a_coat * anode_carbon_fraction,
        cathode_area_m2=c_area,
        anode_area_m2=a_area,
        cathode_foil_m2=c_foil_m2,
        anode_foil_m2=a_foil_m2,
        cathode_foil=c_foil,
        anode_foil=a_foil,
        separator_m2=sep_m2,
        separator=sep,
        electrolyte=electrolyte,
        housing=housing,
        stack_volume_l=stack_l,
        cell_wh=cell_wh,
        cells_per_kwh=cells,
        wh_per_l=wh_per_l,
        wh_per_kg=1000.0 / total,
        total_mass=total,
        anode_loading_mg_cm2=a_coat / a_area / KG_PER_M2_PER_MG_CM2,
    )
