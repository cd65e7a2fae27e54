"""Manufacturing (conversion) cost: plant scale, capital recovery, labour, energy, learning.

Process cost is driven by what it scales with: coating, calendering and slitting by
electrode area; stacking, welding and filling by cell count; formation and grading by Ah;
a fixed remainder per kWh. The reference plant's costs (capex, labour, energy per kWh)
are scaled by the design's driver ratio, so a denser cell (less area, fewer cells per
kWh) also costs less to make.

References:
    Wright, "Factors affecting the cost of airplanes", J. Aeronaut. Sci. 3 (1936): learning.
    BatPaC (Argonne ANL-12/55): process-step cost drivers (area, cell count, capacity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def capital_recovery_factor(wacc, life_years):
    """Capital recovery factor (1/yr): r (1+r)^n / ((1+r)^n − 1); 1/n when r = 0.

    Example: 8 % over 10 years gives 0.14903.
    """
    wacc = np.asarray(wacc, dtype=float)
    growth = (1.0 + wacc) ** life_years
    safe = np.where(wacc > 0, wacc, 1.0)
    return np.where(wacc > 0, safe * growth / np.where(wacc > 0, growth - 1.0, 1.0), 1.0 / life_years)


def driver_ratio(
    *,
    area_m2,
    cells,
    ah,
    ref_area_m2,
    ref_cells,
    ref_ah,
    share_area,
    share_cells,
    share_ah,
    share_fixed,
    cells_exponent=1.0,
):
    """Conversion-effort ratio of a design to the reference plant's cell (-).

    r = s_area × A/A_ref + s_cells × (n/n_ref)^p + s_Ah × Ah/Ah_ref + s_fixed, with the shares
    summing to 1, so the reference design has r = 1. A in m² coated cathode area per kWh,
    n cells per kWh, Ah per kWh; p < 1 because equipment handling more, smaller cells per year
    runs faster per cell (process-rate scaling of equipment cost).
    """
    return (share_area * area_m2 / ref_area_m2 + share_cells * (cells / ref_cells) ** cells_exponent + share_ah * ah / ref_ah
            + share_fixed)


def scale_factor(plant_gwh, ref_plant_gwh, exponent):
    """Per-kWh scale factor (-): (plant / reference)^(exponent − 1).

    With capex ∝ size^exponent, capex per unit of capacity ∝ size^(exponent − 1): an
    exponent of 0.85 makes a plant twice the size 10 % cheaper per GWh.
    """
    return (plant_gwh / ref_plant_gwh) ** (exponent - 1.0)


def learning_factor(cumulative_gwh, ref_cumulative_gwh, learning_rate, learning_share, floor=0.0):
    """Learning multiplier on conversion cost (-), Wright's law on the learnable share.

    LF = (1 − φ) + φ × max((x / x_ref)^(−b), floor), b = −log2(1 − LR): each doubling of
    cumulative output x cuts the learnable part φ by the learning rate LR, down to ``floor``
    (a fraction of its reference level). LF = 1 at x = x_ref and LF > 1 below it (an
    immature process costs more than the reference plant's).
    """
    b = -np.log2(1.0 - learning_rate)
    return (1.0 - learning_share) + learning_share * np.maximum((cumulative_gwh / ref_cumulative_gwh) ** (-b), floor)


@dataclass(frozen=True)
class Conversion:
    """Conversion-cost components per kWh of good output (base currency/kWh)."""

    capital: np.ndarray
    maintenance: np.ndarray
    labour: np.ndarray
    energy: np.ndarray
    overhead: np.ndarray

    def components(self) -> dict[str, np.ndarray]:
        """Components by name."""
        return {
            "capital": self.capital,
            "maintenance": self.maintenance,
            "labour": self.labour,
            "energy": self.energy,
            "plant_overhead": self.overhead,
        }


def conversion_cost(
    *,
    ratio,
    plant_gwh,
    utilisation,
    capex_ref_per_kwh_yr,
    ref_plant_gwh,
    capex_exponent,
    wacc,
    life_years,
    maintenance_rate,
    labour_ref_per_kwh,
    labour_exponent,
    energy_kwh_per_kwh,
    electricity_price,
    overhead_rate,
    learning,
) -> Conversion:
    """Conversion cost per kWh of output before cell yield (currency/kWh).

    - capex per kWh/yr = capex_ref × r × scale(capex exponent); capital = capex × CRF / u;
      maintenance = capex × rate / u.
    - labour = labour_ref × r × scale(labour exponent) / u.
    - energy = kWh per kWh × r × electricity price.
    - each multiplied by the learning factor; overhead = rate × their sum.

    Args:
        ratio: conversion-effort ratio to the reference design (-).
        plant_gwh: nameplate capacity (GWh/yr). utilisation: share of nameplate used (-).
        capex_ref_per_kwh_yr: reference capex (currency per kWh/yr of capacity).
        labour_ref_per_kwh: reference labour at full utilisation (currency/kWh).
        energy_kwh_per_kwh: process electricity (kWh_e per kWh of cells).
        electricity_price: currency per kWh_e.
        learning: learning factor (-).
    """
    capex = capex_ref_per_kwh_yr * ratio * scale_factor(plant_gwh, ref_plant_gwh, capex_exponent)
    capital = capex * capital_recovery_factor(wacc, life_years) / utilisation * learning
    maintenance = capex * maintenance_rate / utilisation * learning
    labour = labour_ref_per_kwh * ratio * scale_factor(plant_gwh, ref_plant_gwh, labour_exponent) / utilisation * learning
    energy = energy_kwh_per_kwh * ratio * electricity_price * learning
    overhead = overhead_rate * (capital + maintenance + labour + energy)
    return Conversion(capital, maintenance, labour, energy, overhead)
