"""Blended anodes: two hard carbons powder-blended in one coating.

Cell makers dual-source hard carbon (coconut-shell and bamboo grades, say) and blend the two powders
into one anode slurry, so a supplier's shortfall changes a share rather than the cell. A physical
powder blend has no chemistry of its own: each particle keeps its own properties, so the coating's
properties follow from the mass fractions w_i of its materials (w_2 = the blend share, w_1 = 1 − w_2):

    reversible capacity   q = Σ w_i q_i                              (Ah/kg: charge adds per kg)
    first-cycle loss      ICE = q / Σ (w_i q_i / ICE_i)              (-: the first-charge capacity q_i / ICE_i adds
                                                                      per kg, so the irreversible charge adds too)
    true density          1 / ρ = Σ w_i / ρ_i                        (g/cm³: solid volumes add)

The blend's anode active mass follows from q and ICE exactly as for one material (``engine.design``);
it is bought as two bill-of-materials lines, ``anode_active`` (1 − w of it, the first material's price)
and ``anode_active_2`` (w of it, the second material's price), so each material's mass and cost are
visible and the supply chain sees each material's demand.

A design without a second material (``anode_material_2 = none``, the default) is evaluated exactly as a
single-material design; at share 0 and share 1 the properties are those of the pure first and second
material bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

NO_MATERIAL = "none"
"""The value of ``anode_material_2`` meaning "no second material" (a blank cell in the workbook reads as this)."""
BLEND_LINE = "anode_active_2"
"""The bill-of-materials line (and cost component) of the second anode material; only designs with one have it."""
SECOND = "anode_material_2"
SHARE = "anode_blend_share"
"""Design parameters of a blend: the second material (a choice) and its mass share (0..1, -)."""


def blended(second: str | None) -> bool:
    """True when ``second`` (a design's ``anode_material_2``) names a material."""
    return bool(second) and second != NO_MATERIAL


def blend_capacity(share, capacity_1, capacity_2):
    """Reversible capacity of the blend (Ah/kg): (1 − w) q1 + w q2, mass-weighted.

    Args:
        share: mass share w of the second material in the anode active mass (0..1, -).
        capacity_1, capacity_2: reversible specific capacities of the two materials (Ah/kg).
    """
    w = np.asarray(share, dtype=float)
    return (1.0 - w) * capacity_1 + w * capacity_2


def blend_ice(share, capacity_1, ice_1, capacity_2, ice_2):
    """First-cycle (initial coulombic) efficiency of the blend (-): reversible over first-charge capacity,
    q / ((1 − w) q1 / ICE1 + w q2 / ICE2), the charge-weighted harmonic mean of the two ICEs.

    Args:
        share: mass share w of the second material (0..1, -).
        capacity_1, capacity_2: reversible specific capacities (Ah/kg).
        ice_1, ice_2: initial coulombic efficiencies of the two materials (-).
    """
    w = np.asarray(share, dtype=float)
    q = blend_capacity(w, capacity_1, capacity_2)
    ice = q / ((1.0 - w) * capacity_1 / ice_1 + w * capacity_2 / ice_2)
    return np.where(w == 0.0, ice_1, np.where(w == 1.0, ice_2, ice))  # the pure materials exactly, not to round-off


def blend_density(share, density_1, density_2):
    """True density of the blended powder (g/cm³): 1 / ((1 − w) / ρ1 + w / ρ2), volume-additive.

    Args:
        share: mass share w of the second material (0..1, -).
        density_1, density_2: true densities of the two materials (g/cm³).
    """
    w = np.asarray(share, dtype=float)
    rho = 1.0 / ((1.0 - w) / density_1 + w / density_2)
    return np.where(w == 0.0, density_1, np.where(w == 1.0, density_2, rho))


@dataclass(frozen=True)
class Anode:
    """The anode active material of a design: one material or a blend of two.

    Attributes:
        material: the first (or only) material.
        second: the second material, or None without a blend.
        share: mass share of the second material (-; 0 without a blend).
        capacity: reversible capacity (Ah/kg). ice: initial coulombic efficiency (-). density: true density (g/cm³).
    """

    material: str
    second: str | None
    share: object
    capacity: object
    ice: object
    density: object

    def split(self, mass):
        """The anode active mass (kg/kWh) as (first material, second material or None): (1 − w) m and w m."""
        if self.second is None:
            return mass, None
        w = np.asarray(self.share, dtype=float)
        return (1.0 - w) * mass, w * mass


def anode_of(values: Mapping[str, object], choices: Mapping[str, str], design: str) -> Anode:
    """The anode active material of ``design`` from flat parameters: its material(s), share and blended properties.

    Args:
        values: flat numeric parameters (``material.<m>.capacity_ah_kg``, ``design.<d>.anode_blend_share``).
        choices: flat choices (``design.<d>.anode_material``, ``design.<d>.anode_material_2``; a missing second
            material means none).
    """
    pre = f"design.{design}."
    first = choices[f"{pre}anode_material"]
    q1, ice1, rho1 = (values[f"material.{first}.{p}"] for p in ("capacity_ah_kg", "ice", "true_density_g_cm3"))
    second = choices.get(pre + SECOND, NO_MATERIAL)
    if not blended(second):
        return Anode(first, None, 0.0, q1, ice1, rho1)
    w = values.get(pre + SHARE, 0.0)
    q2, ice2, rho2 = (values[f"material.{second}.{p}"] for p in ("capacity_ah_kg", "ice", "true_density_g_cm3"))
    return Anode(first, second, w, blend_capacity(w, q1, q2), blend_ice(w, q1, ice1, q2, ice2), blend_density(w, rho1, rho2))
