"""Shared helpers: which inputs an analysis varies, their ranges, and batch evaluation of designs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from costmodel.catalog import load_catalog
from costmodel.engine.blend import NO_MATERIAL, SECOND, SHARE, blended
from costmodel.model import Model

KEY_DESIGN_PARAMS: tuple[str, ...] = (
    "cathode_loading_mg_cm2", "cathode_density_g_cm3", "electrolyte_fill_factor", "np_ratio", "stack_fill", "cell_yield",
    "electrode_yield", "assembly_yield", "utilisation", "plant_capacity_gwh", "cumulative_output_gwh", "learning_share",
    "cell_extras_kg", "cathode_solvent_recovery",
)
"""Design and plant parameters swung by the sensitivity analysis (``design.<d>.<name>``, per design)."""

KEY_GLOBALS: tuple[str, ...] = (
    "global.capex_ref_cny_per_kwh_yr", "global.labour_hours_per_kwh", "global.learning_rate",
    "global.process_energy_kwh_per_kwh", "global.capex_scale_exponent", "global.sga_rate", "fx.cny_per_usd",
)
"""Plant, finance, learning and FX parameters swung by the sensitivity analysis (shared by all designs)."""

KEY_REGION_PARAMS: tuple[str, ...] = ("labour_per_h", "electricity_per_kwh", "wacc", "capex_multiplier")
"""Figures of the plant's region swung by the sensitivity analysis (``region.<r>.<name>``)."""


def price_ranges(model: Model, year: int) -> pd.DataFrame:
    """Price items of ``year`` (index) with their table value, low, high and unit; low/high NaN when not given."""
    p = model.dataset.prices
    return p[p["year"] == year].set_index("item")[["value", "low", "high", "unit"]]


def totals(model: Model, values: Mapping[str, object], choices: Mapping[str, str], designs: Sequence[str]) -> dict[str, np.ndarray]:
    """Total cost (USD/kWh) per design for (possibly vectorized) values."""
    return {d: np.asarray(r.total, dtype=float) for d, r in model.evaluate_arrays(values, choices, designs).items()}


def design_inputs(design: str, values: Mapping[str, float], choices: Mapping[str, str]) -> list[str]:
    """Flat names of the material, design, plant and global parameters swung for ``design``.

    Its cathode's capacity and voltage, its anode's capacity and first-cycle efficiency (and those of a blended anode's
    second material, with its share), the key
    design and plant parameters, then the shared globals and FX.
    """
    cam = choices[f"design.{design}.cathode_material"]
    aam = choices[f"design.{design}.anode_material"]
    names = [f"material.{cam}.capacity_ah_kg", f"material.{cam}.voltage_v", f"material.{aam}.capacity_ah_kg", f"material.{aam}.ice"]
    second = choices.get(f"design.{design}.{SECOND}", NO_MATERIAL)
    if blended(second):  # a blended anode: the second material and its share matter too
        names += [f"material.{second}.capacity_ah_kg", f"material.{second}.ice", f"design.{design}.{SHARE}"]
    names += [f"design.{design}.{p}" for p in KEY_DESIGN_PARAMS]
    region = choices.get("global.region")
    names += [f"region.{region}.{p}" for p in KEY_REGION_PARAMS]
    names += list(KEY_GLOBALS)
    return [n for n in names if n in values]


def bounds(name: str) -> tuple[float, float]:
    """Allowed range of a flat numeric parameter: its catalog bounds; prices and FX must stay positive."""
    parts = name.split(".")
    if parts[0] in ("design", "material", "region") and len(parts) == 3:
        spec = load_catalog().get((parts[0], parts[2]))
    elif parts[0] == "global" and len(parts) == 2:
        spec = load_catalog().get(("global", parts[1]))
    else:
        spec = None
    if spec is not None:
        return spec.lower, spec.upper
    return (float(np.nextafter(0.0, 1.0)), np.inf) if parts[0] in ("price", "fx") else (-np.inf, np.inf)
