"""Material intensity of each design, read from the engine's bill of materials (no cell physics here).

For every bill-of-materials line of ``DesignCost.bom`` (item, net quantity per kWh, unit, price, material yield)
the material bought per kWh of good cells is

    gross = net / material_yield / cell_yield        (kg/kWh, m²/kWh or cells/kWh)

because the engine scraps electrode lines at the electrode and assembly yields (``material_yield``) and the whole
cell at the cell yield. The electrolyte (one mass, priced as salt, solvents, additives and blending lines) is
split by the design's recipe: salt mass fraction w = c × M / (1000 ρ) (``engine.electrolyte.salt_mass_fraction``),
additive fractions f_a, solvents (1 − w − Σ f_a) × share_s.

Precursors follow the price links' physical ratios (t driver per t target: lfp and lipf6 ← li2co3,
hc_coconut ← coconut_charcoal, ...) and the precursor table (pitch, soda ash): with R[i, j] tonnes of i per
tonne of j, total demand t = direct + R t, so t = (I − R)⁻¹ direct.

Units: kg/kWh equals kt per GWh; m²/kWh equals million m² (Mm²) per GWh; cells/kWh equals million cells per GWh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.engine.blend import BLEND_LINE
from costmodel.engine.cost import DesignCost
from costmodel.engine.electrolyte import ADDITIVES, SOLVENTS, salt_mass_fraction
from costmodel.engine.inputs import StaticData

ELECTROLYTE_LINE = "electrolyte_salt"
"""The bill-of-materials line whose quantity is the electrolyte mass (the other electrolyte lines repeat it)."""
SKIPPED_LINES = ("electrolyte_solvents", "electrolyte_additives", "electrolyte_blending")
UNITS = {"kg": "kt", "m2": "Mm2", "cell": "Mcells"}
"""Quantity unit per kWh → demand unit per GWh."""


@dataclass(frozen=True)
class Intensity:
    """Material bought per kWh of good cells, by design, material and period.

    Attributes:
        designs, materials: the axes; materials are the items of the bills of materials, then their precursors.
        units: material → demand unit per GWh (``kt``, ``Mm2``, ``Mcells``).
        direct: (D, M, P) gross material per kWh (kg/kWh = kt/GWh) of each design, precursors zero.
        total: (D, M, P) direct plus precursors through ``closure``.
        closure: (M, M) (I − R)⁻¹: total = closure @ direct.
        stages: stage (``cathode``, ``anode``, ``electrolyte``) → (D, P) gross kg/kWh of the design's cathode active,
            anode active and finished electrolyte.
    """

    designs: tuple[str, ...]
    materials: tuple[str, ...]
    units: Mapping[str, str]
    direct: np.ndarray
    total: np.ndarray
    closure: np.ndarray
    stages: Mapping[str, np.ndarray]

    def index(self, material: str) -> int:
        """Position of ``material`` on the material axis."""
        return self.materials.index(material)


def electrolyte_shares(values: Mapping[str, object], design: str, salt: str, static: StaticData) -> dict[str, object]:
    """Mass fraction of each electrolyte ingredient of ``design`` (salt, solvents, additives), summing to 1."""
    d = f"design.{design}."
    w_salt = salt_mass_fraction(values[f"{d}salt_molarity_mol_l"], static.molar_mass[salt], values[f"{d}electrolyte_density_g_cm3"])
    adds = {a: values[f"{d}additive_{a}_fraction"] for a in ADDITIVES}
    w_solvent = 1.0 - w_salt - sum(adds.values())
    out = {salt: w_salt, **adds}
    for s in SOLVENTS:
        out[s] = w_solvent * values[f"{d}solvent_{s}_share"]
    return out


def design_lines(cost: DesignCost, values: Mapping[str, object], design: str, static: StaticData) -> dict[str, np.ndarray]:
    """Gross material per kWh of good cells of one design: item → quantity (shape of the engine's arrays)."""
    cell_yield = np.asarray(values[f"design.{design}.cell_yield"], dtype=float)
    out: dict[str, np.ndarray] = {}
    for line, (item, qty, _unit, _price, yld) in cost.bom.items():
        if line in SKIPPED_LINES:
            continue
        gross = qty / yld / cell_yield
        if line == ELECTROLYTE_LINE:
            for ingredient, share in electrolyte_shares(values, design, item, static).items():
                out[ingredient] = out.get(ingredient, 0.0) + gross * share
        else:
            out[item] = out.get(item, 0.0) + gross
    return out


def stage_lines(cost: DesignCost, values: Mapping[str, object], design: str) -> dict[str, np.ndarray]:
    """Gross cathode active, anode active (both materials of a blend) and finished electrolyte per kWh of good cells of one
    design (kg/kWh)."""
    cell_yield = np.asarray(values[f"design.{design}.cell_yield"], dtype=float)
    lines = {"cathode": ("cathode_active",), "anode": ("anode_active", BLEND_LINE), "electrolyte": (ELECTROLYTE_LINE,)}
    # a blended anode is bought as two lines (engine.blend): the anode stage is both materials
    return {stage: sum(cost.bom[line][1] / cost.bom[line][4] for line in names if line in cost.bom) / cell_yield
            for stage, names in lines.items()}


def closure_matrix(materials: tuple[str, ...], precursors: pd.DataFrame) -> np.ndarray:
    """(I − R)⁻¹ for the precursor ratios R[i, j] (t of precursor i per t of product j) among ``materials``."""
    n = len(materials)
    pos = {m: i for i, m in enumerate(materials)}
    r = np.zeros((n, n))
    for row in precursors.itertuples():
        if row.product in pos and row.precursor in pos:
            r[pos[row.precursor], pos[row.product]] += row.t_per_t
    return np.linalg.inv(np.eye(n) - r)


def material_axis(items: list[str], precursors: pd.DataFrame) -> tuple[str, ...]:
    """The items of the bills of materials, then every precursor reachable from them (breadth first)."""
    out = list(dict.fromkeys(items))
    by_product: dict[str, list[str]] = {}
    for row in precursors.itertuples():
        by_product.setdefault(row.product, []).append(row.precursor)
    i = 0
    while i < len(out):
        for pre in by_product.get(out[i], []):
            if pre not in out:
                out.append(pre)
        i += 1
    return tuple(out)


def build(lines: Mapping[str, Mapping[str, np.ndarray]], stages: Mapping[str, Mapping[str, np.ndarray]],
          units: Mapping[str, str], precursors: pd.DataFrame, n_periods: int) -> Intensity:
    """Assemble the intensity arrays from per-design lines (item → (P,) kg/kWh) and stages.

    Args:
        lines: design → item → gross quantity per kWh over the periods.
        stages: design → stage → gross kg/kWh over the periods.
        units: item → quantity unit per kWh (``kg``, ``m2``, ``cell``); precursors are ``kg``.
        precursors: product, precursor, t_per_t.
    """
    designs = tuple(lines)
    materials = material_axis([i for d in designs for i in lines[d]], precursors)
    direct = np.zeros((len(designs), len(materials), n_periods))
    pos = {m: i for i, m in enumerate(materials)}
    for k, d in enumerate(designs):
        for item, q in lines[d].items():
            direct[k, pos[item]] += np.broadcast_to(np.asarray(q, dtype=float), (n_periods,))
    closure = closure_matrix(materials, precursors)
    total = np.einsum("ij,djp->dip", closure, direct)
    stage_arrays = {s: np.array([np.broadcast_to(np.asarray(stages[d][s], dtype=float), (n_periods,)) for d in designs])
                    for s in ("cathode", "anode", "electrolyte")}
    out_units = {m: UNITS.get(units.get(m, "kg"), "kt") for m in materials}
    return Intensity(designs, materials, out_units, direct, total, closure, stage_arrays)
