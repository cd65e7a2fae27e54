"""Shared helpers: which inputs an analysis varies, and batch evaluation of all designs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from costmodel.model import Model

KEY_DESIGN_PARAMS: tuple[str, ...] = (
    "cathode_loading_mg_cm2", "electrolyte_fill_g_ah", "np_ratio", "packing_efficiency", "cell_yield", "electrode_yield",
    "utilisation", "plant_capacity_gwh", "cumulative_output_gwh", "learning_share", "housing_mass_kg",
)
"""Design and plant parameters swung by the sensitivity analysis (per design)."""

KEY_GLOBALS: tuple[str, ...] = (
    "capex_ref_cny_per_kwh_yr", "labour_ref_cny_per_kwh", "wacc", "learning_rate", "process_energy_kwh_per_kwh",
    "capex_scale_exponent", "sga_rate",
)
"""Global plant, finance and learning parameters swung by the sensitivity analysis."""


def price_ranges(model: Model, year: int) -> pd.DataFrame:
    """Price items of ``year`` with their value, low and high (quoted units); low/high NaN when not given."""
    p = model.dataset.prices
    return p[p["year"] == year].set_index("item")[["value", "low", "high", "unit"]]


def totals(model: Model, values: Mapping[str, object], choices: Mapping[str, str], designs: Sequence[str]) -> dict[str, np.ndarray]:
    """Total cost (USD/kWh) per design for (possibly vectorized) values."""
    return {d: np.asarray(r.total) for d, r in model.evaluate_arrays(values, choices, designs).items()}


def design_inputs(model: Model, design: str, values: Mapping[str, float], choices: Mapping[str, str]) -> list[str]:
    """Flat names of the material, design and plant parameters that matter to ``design``."""
    cam = choices[f"design.{design}.cathode_material"]
    aam = choices[f"design.{design}.anode_material"]
    names = [f"material.{cam}.capacity_ah_kg", f"material.{cam}.voltage_v", f"material.{aam}.capacity_ah_kg", f"material.{aam}.ice"]
    names += [f"design.{design}.{p}" for p in KEY_DESIGN_PARAMS]
    names += [f"global.{g}" for g in KEY_GLOBALS]
    return [n for n in names if n in values]
