"""Derived figures of the base workbook as formulas: the reference plant's cell and the optimizer's expansion cost.

``Plant`` ref_area_m2_per_kwh, ref_cells_per_kwh and ref_ah_per_kwh are the reference (LFP) design's coated cathode
area, cells and Ah per kWh; ``Optimizer settings`` expansion_musd_per_gwh is the reference capex over the FX rate times
the optimizer design's conversion ratio. They used to be typed and went stale when a design changed. The base
workbook now computes them on a ``Derived`` sheet with the live model's own equations (``io.live_model``: one place
owns the mapping engine -> formula), looking the inputs up in the workbook's tables (Designs, Materials, Items,
Plant, FX); the Plant cells refer to it, and the bundled catalog holds the same numbers. The optimizer reads
numbers only, so Optimizer settings expansion_musd_per_gwh stays typed (39 in the bundled data) with a comment giving the
Derived sheet's figure (38.92 for the bundled data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from costmodel.catalog import scope_specs
from costmodel.dataset import Dataset
from costmodel.io.layout import DESIGN_FIXED_COLUMNS, DESIGNS_SHEET, column_letter
from costmodel.io.live_model import CalcSheet, conversion_ratio, design_physics

SHEET = "Derived"
ROOM = 300
"""Rows beyond the written tables the lookups cover (rows a planner adds)."""
REF_ROWS = {"ref_area_m2_per_kwh": "cathode coated area", "ref_cells_per_kwh": "cells per kWh", "ref_ah_per_kwh": "Ah per kWh"}
"""Plant globals taken from the reference design's rows."""


class TableResolver:
    """Inputs of the base workbook's tables as formulas: Designs (wide), Materials, Items, Plant and FX (long)."""

    def __init__(self, ds: Dataset) -> None:
        self.design_col = {d: column_letter(len(DESIGN_FIXED_COLUMNS) + j) for j, d in enumerate(ds.design_names)}
        self.n_design = len(scope_specs("design")) + 1
        self.n_mat = len(ds.materials) + 1 + ROOM
        self.n_items = len(ds.items) + 1 + ROOM
        self.n_plant = len(ds.globals) + 1
        self.n_fx = len(ds.fx) + 1 + ROOM
        self.year = ds.years[0]

    def plant(self, name: str) -> str:
        return f'INDEX(Plant!$B$2:$B${self.n_plant},MATCH("{name}",Plant!$A$2:$A${self.n_plant},0))'

    def fx(self) -> str:
        return f"INDEX(FX!$B$2:$B${self.n_fx},MATCH({self.year},FX!$A$2:$A${self.n_fx},0))"

    def lookup(self, key: str, param: str) -> str:
        scope, *rest = param.split(".")
        if scope == "design":
            col, n = self.design_col[rest[0]], self.n_design
            return f'INDEX({DESIGNS_SHEET}!${col}$2:${col}${n},MATCH("{rest[1]}",{DESIGNS_SHEET}!$A$2:$A${n},0))'
        if scope == "material":
            n = self.n_mat
            return (f'SUMIFS(Materials!$D$2:$D${n},Materials!$A$2:$A${n},"{rest[0]}",'
                    f'Materials!$C$2:$C${n},"{rest[1]}")')
        if scope == "global":
            return self.plant(rest[0])
        if param == "fx.cny_per_usd":
            return self.fx()
        raise ValueError(f"the Derived sheet has no lookup for {param}")

    def item(self, name: str, typed: str) -> str:
        _, item, prop = name.split(".")
        col = {"density_g_cm3": "D", "molar_mass_g_mol": "E"}[prop]
        return f'SUMIFS(Items!${col}$2:${col}${self.n_items},Items!$A$2:$A${self.n_items},"{item}")'


@dataclass(frozen=True)
class Derived:
    """Formulas (with ``=``) and values of the derived cells: Plant global name or ``expansion_musd_per_gwh``."""

    cells: dict[str, tuple[str, float]]


def optimizer_design(ds: Dataset) -> str:
    """The design the optimizer's expansion cost is computed for: nfpp when present, else the first design."""
    return "nfpp" if "nfpp" in ds.design_names else ds.design_names[0]


def write_derived_sheet(wb, ds: Dataset, fmt: Mapping[str, object]) -> Derived:
    """Write the Derived sheet (reference design's physics; the optimizer design's conversion ratio) and return the
    formulas of the Plant and Optimizer settings cells that refer to it."""
    pset = ds.parameters(ds.years[0])
    resolver = TableResolver(ds)
    ref, opt = ds.reference_design, optimizer_design(ds)
    ws = wb.add_worksheet(SHEET)
    ws.write_string(0, 0, "Derived figures: computed from the Designs, Materials, Items, Plant and FX sheets (do not type here)",
                    fmt["title"])
    for j, h in enumerate(("quantity", "unit", "equation", "from", "value")):
        ws.write_string(1, j, h, fmt["head"])
    cells: dict[str, tuple[str, float]] = {}
    row = 2
    blocks: list[tuple[str, CalcSheet, dict]] = []
    for design in dict.fromkeys((ref, opt)):
        sheet = CalcSheet(design)
        col = sheet.column(design, pset.values, pset.choices, ds.static, pset.units)
        ph = design_physics(col, design)
        if design == opt:
            conversion_ratio(col, ph["c_area"], ph["cells"], ph["ah"])  # type: ignore[arg-type]
        blocks.append((design, sheet, ph))
    for design, sheet, _ in blocks:
        ws.write_string(row, 0, f"design {design}" + (" (the reference plant's cell)" if design == ref else "")
                        + (" (the optimizer's design: conversion ratio)" if design == opt else ""), fmt["head"])
        rows, at = sheet.layout(row + 1)
        for r in rows:
            i = at[r.name]
            formula, value = sheet.render(r, 0, at, resolver, first_col=4)  # type: ignore[misc]
            ws.write_string(i, 0, r.name)
            ws.write_string(i, 1, r.unit)
            ws.write_string(i, 2, r.note)
            ws.write_string(i, 3, "table" if r.kind in ("input", "item") else "derived")
            ws.write_formula(i, 4, formula, fmt["derived"], value)
        if design == ref:
            for name, label in REF_ROWS.items():
                cells[name] = (f"={SHEET}!$E${at[label] + 1}", sheet.rows[label].cells[0][1])
        if design == opt:
            ratio = sheet.rows["conversion ratio"].cells[0][1]
            capex = float(pset.values["global.capex_ref_cny_per_kwh_yr"])
            fx = float(pset.values["fx.cny_per_usd"])
            cells["expansion_musd_per_gwh"] = (f"={resolver.plant('capex_ref_cny_per_kwh_yr')}/{resolver.fx()}*{SHEET}!$E$"
                                               f"{at['conversion ratio'] + 1}", capex / fx * ratio)
            i = row + 1 + len(rows)
            ws.write_string(i, 0, "expansion_musd_per_gwh")
            ws.write_string(i, 1, "M USD/GWh")
            ws.write_string(i, 2, "reference capex / FX x conversion ratio (Optimizer settings)")
            ws.write_string(i, 3, "derived")
            formula, value = cells["expansion_musd_per_gwh"]
            ws.write_formula(i, 4, formula, fmt["derived"], value)
            row += 1
        row = row + 2 + len(rows)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 60)
    ws.set_column(3, 4, 14)
    ws.freeze_panes(2, 0)
    return Derived(cells)
