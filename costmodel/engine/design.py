"""Cell design physics: masses, areas, volumes and pores per kWh of nominal cell energy.

Every function is pure and vectorized: arguments are floats or numpy arrays that broadcast
together, one element per scenario. Units are given per argument; "per kWh" always means
per kWh of nominal cell energy (capacity × average voltage).

Cathode capacity has one definition throughout: ``capacity_ah_kg`` is the material's reversible
specific capacity in a half cell against sodium (lithium) metal, as material suppliers quote it.
In a full cell the anode's first-cycle loss (its initial coulombic efficiency, ICE) consumes
cyclable ions that only the cathode supplies, so the full cell delivers q × ICE per kg of
cathode: m_CAM = Ah / (q × ICE).

References:
    Nelson, Ahmed, Gallagher, Dees, "Modeling the Performance and Cost of Lithium-Ion
    Batteries for Electric-Drive Vehicles" (BatPaC), Argonne ANL-12/55, 3rd ed. 2019:
    the per-kWh bottom-up structure (active mass from capacity and voltage, coating from
    formulation, area from loading, foils and separator from area, electrolyte from the pore
    volume of electrodes and separator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.engine.formats import Housing

KG_PER_M2_PER_MG_CM2 = 0.01
"""1 mg/cm² = 10 g/m² = 0.01 kg/m²."""


def ah_per_kwh(voltage_v):
    """Nominal Ah per kWh at an average voltage ``voltage_v`` (V): 1000 / V."""
    return 1000.0 / voltage_v


def cathode_active_mass(voltage_v, capacity_ah_kg, anode_ice):
    """Cathode active mass per kWh (kg/kWh).

    m_CAM = 1000 / (V × q_CAM × ICE_anode): q_CAM is the half-cell reversible capacity and
    the anode's first-cycle loss (initial coulombic efficiency, 0..1) consumes cyclable ions
    that only the cathode supplies.

    Args:
        voltage_v: average cell voltage (V).
        capacity_ah_kg: cathode reversible specific capacity in a half cell (Ah/kg = mAh/g).
        anode_ice: anode initial coulombic efficiency (-).
    """
    return 1000.0 / (voltage_v * capacity_ah_kg * anode_ice)


def anode_active_mass(cathode_mass_kg, cathode_capacity_ah_kg, np_ratio, anode_capacity_ah_kg):
    """Anode active mass facing the cathode per kWh (kg/kWh): N/P × cathode charge Ah / q_anode."""
    return np_ratio * cathode_mass_kg * cathode_capacity_ah_kg / anode_capacity_ah_kg


def coating_porosity(coating_density_g_cm3, fractions, true_densities_g_cm3):
    """Porosity of a dry calendered coating (-).

    ε = 1 − ρ_coating × Σ_i w_i / ρ_i: the solid volume per gram of coating is the mass
    fractions over the true densities of active material, binder and carbon.

    Args:
        coating_density_g_cm3: calendered (compaction) density of the coating (g/cm³).
        fractions: mass fractions of the coating's constituents (-), summing to 1.
        true_densities_g_cm3: their true (skeletal) densities (g/cm³), in the same order.
    """
    solid = sum(w / rho for w, rho in zip(fractions, true_densities_g_cm3))
    return 1.0 - coating_density_g_cm3 * solid


def dense_density(fractions, true_densities_g_cm3):
    """Density of a coating without pores (g/cm³): 1 / Σ w_i / ρ_i; no coating can be denser."""
    return 1.0 / sum(w / rho for w, rho in zip(fractions, true_densities_g_cm3))


@dataclass(frozen=True)
class Stack:
    """The electrode stack per kWh (arrays per scenario).

    Masses in kg/kWh, areas in m²/kWh, volumes in L/kWh, loadings in mg/cm², porosities (-).
    """

    ah: np.ndarray
    cathode_active: np.ndarray
    cathode_binder: np.ndarray
    cathode_carbon: np.ndarray
    anode_active: np.ndarray
    anode_binder: np.ndarray
    anode_carbon: np.ndarray
    cathode_coating: np.ndarray
    anode_coating: np.ndarray
    cathode_area_m2: np.ndarray
    anode_area_m2: np.ndarray
    cathode_foil_m2: np.ndarray
    anode_foil_m2: np.ndarray
    cathode_foil: np.ndarray
    anode_foil: np.ndarray
    separator_m2: np.ndarray
    separator: np.ndarray
    cathode_porosity: np.ndarray
    anode_porosity: np.ndarray
    pore_volume_l: np.ndarray
    electrolyte: np.ndarray
    stack_volume_l: np.ndarray
    anode_loading_mg_cm2: np.ndarray


def build_stack(
    *,
    voltage_v,
    cathode_capacity_ah_kg,
    anode_capacity_ah_kg,
    anode_ice,
    np_ratio,
    cathode_fractions,
    anode_fractions,
    cathode_true_densities,
    anode_true_densities,
    cathode_loading_mg_cm2,
    cathode_density_g_cm3,
    anode_density_g_cm3,
    anode_overhang,
    separator_overhang,
    cathode_foil_margin,
    anode_foil_margin,
    cathode_foil_um,
    anode_foil_um,
    cathode_foil_density_g_cm3,
    anode_foil_density_g_cm3,
    separator_um,
    separator_g_m2,
    separator_porosity,
    electrolyte_density_g_cm3,
    electrolyte_fill_factor,
    electrolyte_fill_g_ah,
    stack_fill=1.0,
    free_volume_fill=0.0,
) -> Stack:
    """Masses, areas, volumes and pores of the electrode stack, per kWh.

    Equations (per kWh of nominal energy):
      - Ah = 1000 / V; m_CAM = Ah / (q_c × ICE_a); anode facing the cathode
        m_AAM = N/P × m_CAM × q_c / q_a.
      - cathode coating = m_CAM / active fraction; its coated area (both sides)
        A_c = coating / (loading × 0.01 kg/m² per mg/cm²); the anode loading is the facing
        anode coating over A_c; the anode coated area A_a = A_c × (1 + overhang) carries that
        loading, so the overhang adds anode mass (area × loading).
      - foil area = coated area / 2 × (1 + that electrode's foil margin) (double-side coating);
        foil mass = area × thickness × density.
      - separator area = A_c × (1 + separator overhang) (two layers per cathode sheet).
      - coating volume = mass / calendered density; porosity ε = 1 − ρ Σ w_i / ρ_i.
      - pores = ε_c V_c + ε_a V_a + ε_s × separator volume; the cavity's free volume (not taken
        by the layers) = stack volume × (1 / stack fill − 1); electrolyte = (fill factor × pores
        + free-volume fill × free volume) × electrolyte density, unless a fill in g/Ah is given
        (> 0): then fill × Ah / 1000.
      - stack volume: the roll or stack is as wide as its separator, so every layer occupies the
        separator's footprint A_c / 2 × (1 + separator overhang) at its own thickness (coating
        thickness = volume / coated area); the uncoated foil margin sits in the headspace as tabs.

    Units: capacities Ah/kg, loading mg/cm² (dry coating per side), densities g/cm³
    (= kg/L), thicknesses µm, separator g/m², fill g/Ah (0: from the pores); stack fill (share
    of the cavity the layers occupy) and free-volume fill (share of the rest flooded) are (-).
    Fractions are (active, binder, carbon) mass fractions of the dry coating; true densities in
    the same order.
    """
    ah = ah_per_kwh(voltage_v)
    cam = cathode_active_mass(voltage_v, cathode_capacity_ah_kg, anode_ice)
    c_coat = cam / cathode_fractions[0]
    a_facing = anode_active_mass(cam, cathode_capacity_ah_kg, np_ratio, anode_capacity_ah_kg) / anode_fractions[0]
    c_area = c_coat / (cathode_loading_mg_cm2 * KG_PER_M2_PER_MG_CM2)
    a_area = c_area * (1.0 + anode_overhang)
    a_coat = a_facing * (1.0 + anode_overhang)
    c_foil_m2 = c_area / 2.0 * (1.0 + cathode_foil_margin)
    a_foil_m2 = a_area / 2.0 * (1.0 + anode_foil_margin)
    # area (m²) × thickness (µm → 1e-6 m) × density (g/cm³ → 1000 kg/m³) = kg
    c_foil = c_foil_m2 * cathode_foil_um * 1e-3 * cathode_foil_density_g_cm3
    a_foil = a_foil_m2 * anode_foil_um * 1e-3 * anode_foil_density_g_cm3
    sep_m2 = c_area * (1.0 + separator_overhang)
    sep = sep_m2 * separator_g_m2 * 1e-3
    # volumes in L/kWh: kg / (g/cm³ = kg/L); m² × µm = 1e-6 m³ = 1e-3 L
    v_c = c_coat / cathode_density_g_cm3
    v_a = a_coat / anode_density_g_cm3
    v_sep = sep_m2 * separator_um * 1e-3
    eps_c = coating_porosity(cathode_density_g_cm3, cathode_fractions, cathode_true_densities)
    eps_a = coating_porosity(anode_density_g_cm3, anode_fractions, anode_true_densities)
    pores = eps_c * v_c + eps_a * v_a + separator_porosity * v_sep
    # the roll (or stack) is as wide as its separator: each cathode-anode pair occupies the separator's footprint
    # (c_area / 2 × (1 + separator overhang)) times its layer thicknesses; the anode is spread over a_area
    footprint = 1.0 + separator_overhang
    stack_l = footprint * (v_c + v_a * c_area / a_area + c_area / 2.0 * (cathode_foil_um + anode_foil_um) * 1e-3) + v_sep
    free_l = stack_l * (1.0 / stack_fill - 1.0)
    from_pores = (electrolyte_fill_factor * pores + free_volume_fill * free_l) * electrolyte_density_g_cm3
    electrolyte = np.where(np.asarray(electrolyte_fill_g_ah) > 0, electrolyte_fill_g_ah * ah * 1e-3, from_pores)
    return Stack(
        ah=ah * np.ones_like(stack_l),
        cathode_active=cam,
        cathode_binder=c_coat * cathode_fractions[1],
        cathode_carbon=c_coat * cathode_fractions[2],
        anode_active=a_coat * anode_fractions[0],
        anode_binder=a_coat * anode_fractions[1],
        anode_carbon=a_coat * anode_fractions[2],
        cathode_coating=c_coat,
        anode_coating=a_coat,
        cathode_area_m2=c_area,
        anode_area_m2=a_area,
        cathode_foil_m2=c_foil_m2,
        anode_foil_m2=a_foil_m2,
        cathode_foil=c_foil,
        anode_foil=a_foil,
        separator_m2=sep_m2,
        separator=sep,
        cathode_porosity=eps_c,
        anode_porosity=eps_a,
        pore_volume_l=pores,
        electrolyte=electrolyte,
        stack_volume_l=stack_l,
        anode_loading_mg_cm2=a_facing / c_area / KG_PER_M2_PER_MG_CM2,
    )


@dataclass(frozen=True)
class CellBuild:
    """A stack in its housing: per-cell figures and energy densities (arrays per scenario)."""

    stack: Stack
    housing: np.ndarray
    cell_wh: np.ndarray
    cells_per_kwh: np.ndarray
    wh_per_l: np.ndarray
    wh_per_kg: np.ndarray
    total_mass: np.ndarray
    electrolyte_g_ah: np.ndarray

    def masses(self) -> dict[str, np.ndarray]:
        """Mass breakdown (kg/kWh) by cell part."""
        s = self.stack
        return {
            "cathode_active": s.cathode_active,
            "cathode_binder": s.cathode_binder,
            "cathode_carbon": s.cathode_carbon,
            "anode_active": s.anode_active,
            "anode_binder": s.anode_binder,
            "anode_carbon": s.anode_carbon,
            "cathode_foil": s.cathode_foil,
            "anode_foil": s.anode_foil,
            "separator": s.separator,
            "electrolyte": s.electrolyte,
            "housing": self.housing,
        }


def build_cell(stack: Stack, geometry: Housing, stack_fill) -> CellBuild:
    """Put a stack into a cell housing.

    cell energy (Wh) = cavity (L) × stack fill / stack volume (L/kWh) × 1000; cells per kWh =
    1000 / cell Wh; Wh/L = cell Wh / outer volume; housing per kWh = housing per cell × cells;
    Wh/kg = 1000 / total mass per kWh.
    """
    cell_wh = geometry.cavity_l * stack_fill / stack.stack_volume_l * 1000.0
    cells = 1000.0 / cell_wh
    housing = geometry.housing_kg * cells
    s = stack
    total = (s.cathode_coating + s.anode_coating + s.cathode_foil + s.anode_foil + s.separator + s.electrolyte + housing)
    return CellBuild(
        stack=stack,
        housing=housing,
        cell_wh=cell_wh,
        cells_per_kwh=cells,
        wh_per_l=cell_wh / geometry.outer_l,
        wh_per_kg=1000.0 / total,
        total_mass=total,
        electrolyte_g_ah=s.electrolyte / s.ah * 1000.0,
    )
