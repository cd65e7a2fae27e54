"""Electrolyte price built from salt, solvents and additives.

A finished electrolyte's price per kg is the mass-weighted sum of its ingredients plus a
blending charge (formulation, purification, packing, margin). Additives such as FEC, VC and
DTD are shared by sodium-ion and lithium-ion electrolytes, so one additive price moves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOLVENTS: tuple[str, ...] = ("ec", "pc", "dmc", "emc")
ADDITIVES: tuple[str, ...] = ("fec", "vc", "dtd")


def salt_mass_fraction(molarity_mol_l, molar_mass_g_mol, density_g_cm3):
    """Salt mass fraction of an electrolyte (-).

    w = c × M / (1000 × ρ): c in mol/L, M in g/mol, ρ in g/cm³ (1000 ρ = g/L of solution).
    Example: 1.0 M NaPF6 (167.95 g/mol) at 1.25 g/cm³ gives w = 0.134.
    """
    return molarity_mol_l * molar_mass_g_mol / (1000.0 * density_g_cm3)


@dataclass(frozen=True)
class ElectrolytePrice:
    """Price of one kg of finished electrolyte split by ingredient group (USD/kg)."""

    salt: np.ndarray
    solvents: np.ndarray
    additives: np.ndarray
    blending: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Price of finished electrolyte (USD/kg)."""
        return self.salt + self.solvents + self.additives + self.blending


def electrolyte_price(
    *,
    salt_price,
    salt_molar_mass_g_mol,
    molarity_mol_l,
    density_g_cm3,
    solvent_prices: dict[str, object],
    solvent_shares: dict[str, object],
    additive_prices: dict[str, object],
    additive_fractions: dict[str, object],
    blending_price,
) -> ElectrolytePrice:
    """Build the finished-electrolyte price (USD/kg) from its ingredients.

    Mass balance per kg of electrolyte: salt w_s (from molarity), additives Σ f_i, solvents
    1 − w_s − Σ f_i split by the solvent shares (which should sum to 1).

    Args:
        salt_price: salt price (USD/kg).
        salt_molar_mass_g_mol: salt molar mass (g/mol).
        molarity_mol_l: salt concentration (mol/L).
        density_g_cm3: electrolyte density (g/cm³).
        solvent_prices, solvent_shares: per solvent, price (USD/kg) and mass share of the blend.
        additive_prices, additive_fractions: per additive, price (USD/kg) and mass fraction
            of the electrolyte.
        blending_price: formulation charge (USD/kg of finished electrolyte).
    """
    w_salt = salt_mass_fraction(molarity_mol_l, salt_molar_mass_g_mol, density_g_cm3)
    w_add = sum(additive_fractions[a] for a in additive_fractions)
    w_solvent = 1.0 - w_salt - w_add
    solvent_mix = sum(solvent_shares[s] * solvent_prices[s] for s in solvent_shares)
    additives = sum(additive_fractions[a] * additive_prices[a] for a in additive_fractions)
    return ElectrolytePrice(
        salt=w_salt * salt_price,
        solvents=w_solvent * solvent_mix,
        additives=additives,
        blending=np.asarray(blending_price, dtype=float),
    )
