"""The live model: the engine's equations as Excel formulas, one calculation sheet per design.

This module owns the mapping from engine equations to spreadsheet formulas. Each equation of
``costmodel.engine`` (design physics, cell formats, electrolyte, price links and FX, regions,
conversion cost, learning, scrap, duty, SG&A and margin) is written once here, as an expression
over named rows; the expression yields both its Excel formula and its value, so the workbook
carries numbers computed by the very formulas it holds. Those numbers are then checked against
the engine (``check_against_engine``): an engine term without its formula here makes the writer
fail loudly instead of writing a workbook that silently disagrees with ``costmodel run``.

Sheet layout (``Calc <design>``): column A the quantity, B its unit, C the equation in words,
D the source (``Inputs`` lookup or ``derived``), then one column per scenario and year whose key
(``scenario|year``) is in row 3. Input rows look their value up in the Inputs sheet with
INDEX/MATCH on that key and the parameter name; derived rows refer to rows above them. Only
arithmetic, INDEX, MATCH, IF, MAX, LOG, PI and SUM are used: Excel and LibreOffice both evaluate
them; no macros, no XLOOKUP/LET.

Choices (materials, cell format, region) are written into the formulas (the item a line prices,
the format's housing equations): a changed choice needs a re-run of ``costmodel run``; every
number is live.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from costmodel.engine.blend import BLEND_LINE, NO_MATERIAL, SECOND, SHARE, blended
from costmodel.engine.cost import ALL_COMPONENTS, COMPONENTS, ELECTRODE_LINES
from costmodel.engine.electrolyte import ADDITIVES, SOLVENTS
from costmodel.engine.inputs import StaticData
from costmodel.io.layout import column_letter

KEY_ROW = 2
"""0-based row holding each value column's ``scenario|year`` key."""
FIRST_ROW = 4
"""0-based row of the first quantity."""
FIRST_COL = 4
"""0-based column of the first scenario/year."""
TOTAL = "total"
"""The row summing every component (USD/kWh): equal to the engine's total."""

_REF = re.compile(r"\x00([^\x00]+)\x00")


@dataclass(frozen=True)
class X:
    """An expression: its formula text (rows as placeholders) and its value.

    Attributes:
        f: formula text without ``=``; references to rows are ``\\x00name\\x00`` placeholders.
        v: its value (float).
        p: precedence of its outermost operator (1 + -, 2 * /, 3 ^, 9 atom) for parenthesising.
    """

    f: str
    v: float
    p: int = 9

    def _wrap(self, p: int, strict: bool) -> str:
        return f"({self.f})" if (self.p < p or (strict and self.p <= p)) else self.f

    def _bin(self, other: object, op: str, p: int, value: float, swap: bool = False) -> X:
        o = lit(other)
        a, b = (o, self) if swap else (self, o)
        return X(f"{a._wrap(p, p == 3)}{op}{b._wrap(p, True)}", value, p)

    def __add__(self, o: object) -> X:
        return self._bin(o, "+", 1, self.v + lit(o).v)

    def __radd__(self, o: object) -> X:
        return self._bin(o, "+", 1, lit(o).v + self.v, True)

    def __sub__(self, o: object) -> X:
        return self._bin(o, "-", 1, self.v - lit(o).v)

    def __rsub__(self, o: object) -> X:
        return self._bin(o, "-", 1, lit(o).v - self.v, True)

    def __mul__(self, o: object) -> X:
        return self._bin(o, "*", 2, self.v * lit(o).v)

    def __rmul__(self, o: object) -> X:
        return self._bin(o, "*", 2, lit(o).v * self.v, True)

    def __truediv__(self, o: object) -> X:
        return self._bin(o, "/", 2, self.v / lit(o).v)

    def __rtruediv__(self, o: object) -> X:
        return self._bin(o, "/", 2, lit(o).v / self.v, True)

    def __pow__(self, o: object) -> X:
        return self._bin(o, "^", 3, self.v ** lit(o).v)

    def __rpow__(self, o: object) -> X:
        return self._bin(o, "^", 3, lit(o).v ** self.v, True)

    def __gt__(self, o: object) -> X:  # a comparison for IF; its value is 1.0 or 0.0
        return self._bin(o, ">", 0, float(self.v > lit(o).v))


def lit(v: object) -> X:
    """A number as an expression (full precision; negative numbers parenthesised)."""
    if isinstance(v, X):
        return v
    x = float(v)  # type: ignore[arg-type]
    text = repr(x).upper().replace("INF", "1E308")
    if text.endswith(".0"):
        text = text[:-2]
    return X(text, x, 9 if x >= 0 else 0)


def fn(name: str, value: float, *args: object) -> X:
    """A spreadsheet function call with its value."""
    return X(f"{name}({','.join(lit(a).f for a in args)})", value)


def xif(cond: X, yes: X, no: X) -> X:
    """IF(cond, yes, no) (numpy ``where``)."""
    return fn("IF", yes.v if cond.v else no.v, cond, yes, no)


def xmax(a: X, b: X) -> X:
    """MAX(a, b) (numpy ``maximum``)."""
    return fn("MAX", max(a.v, b.v), a, b)


def xlog2(a: X) -> X:
    """LOG(a, 2)."""
    return fn("LOG", math.log2(a.v), a, 2)


def xpi() -> X:
    """PI()."""
    return X("PI()", math.pi)


class Resolver(Protocol):
    """Where a calculation sheet's inputs come from: ``lookup`` a flat parameter in a column, an ``item`` figure."""

    def lookup(self, key: str, param: str) -> str: ...

    def item(self, name: str, typed: str) -> str: ...


@dataclass
class Row:
    """One quantity of a calculation sheet (the same in every scenario/year column)."""

    name: str
    unit: str
    note: str
    kind: str  # "input" or "derived" or "component" or "total"
    cells: dict[int, tuple[str, float]] = field(default_factory=dict)


class CalcSheet:
    """Rows and cells of one design's calculation sheet, filled column by column."""

    def __init__(self, design: str) -> None:
        self.design = design
        self.rows: dict[str, Row] = {}
        self.keys: list[str] = []

    def column(self, key: str, values: Mapping[str, object], choices: Mapping[str, str], static: StaticData,
               units: Mapping[str, str]) -> Column:
        """The next value column (scenario|year ``key``) over the flat parameters of that scenario and year."""
        self.keys.append(key)
        return Column(self, len(self.keys) - 1, values, choices, static, units)

    def ordered(self) -> list[Row]:
        """Input rows first (in order of first use), then derived rows in the order they were computed."""
        order = {"input": 0, "item": 0, "derived": 1, "component": 2, "total": 3}
        return sorted(self.rows.values(), key=lambda r: order[r.kind])

    def layout(self, first_row: int = FIRST_ROW) -> tuple[list[Row], dict[str, int]]:
        """Ordered rows and the 0-based sheet row of each row name (from ``first_row`` on)."""
        rows = self.ordered()
        return rows, {r.name: first_row + i for i, r in enumerate(rows)}

    def render(self, row: Row, col: int, at: dict[str, int], inputs: Resolver, first_col: int = FIRST_COL) -> tuple[str, float] | None:
        """Formula (with ``=``) and cached value of ``row`` in value column ``col``; None when the column has no such cell."""
        cell = row.cells.get(col)
        if cell is None:
            return None
        text, value = cell
        letter = column_letter(first_col + col)
        if row.kind == "input":
            text = inputs.lookup(self.keys[col], row.name)
        elif row.kind == "item":
            text = inputs.item(row.name, text)
        else:
            text = _REF.sub(lambda m: f"{letter}{at[m.group(1)] + 1}", text)
        return "=" + text, value


class Column:
    """One scenario/year of a design: ``inp`` looks up an input, ``let`` defines a derived quantity."""

    def __init__(self, sheet: CalcSheet, col: int, values: Mapping[str, object], choices: Mapping[str, str],
                 static: StaticData, units: Mapping[str, str]) -> None:
        self.sheet, self.col, self.values, self.choices, self.static, self.units = sheet, col, values, choices, static, units

    def _row(self, name: str, unit: str, note: str, kind: str) -> Row:
        row = self.sheet.rows.get(name)
        if row is None:
            if kind == "input":
                note = parameter_description(name) or note
            row = self.sheet.rows[name] = Row(name, unit, note, kind)
        return row

    def inp(self, param: str) -> X:
        """The flat parameter ``param`` looked up in the Inputs sheet (its value from this scenario and year)."""
        value = float(self.values[param])  # type: ignore[arg-type]
        row = self.sheet.rows.get(param) or self._row(param, parameter_unit(param, self.static, self.units), "Inputs", "input")
        row.cells[self.col] = (param, value)
        return X(f"\x00{param}\x00", value)

    def let(self, name: str, unit: str, expr: object, note: str, kind: str = "derived") -> X:
        """Define the derived quantity ``name`` (in ``unit``) as ``expr``; ``note`` is its equation in words."""
        e = lit(expr)
        self._row(name, unit, note, kind).cells[self.col] = (e.f, e.v)
        return X(f"\x00{name}\x00", e.v)

    def ref(self, name: str) -> X:
        """The row ``name`` (already defined in this column) as an expression."""
        return X(f"\x00{name}\x00", self.sheet.rows[name].cells[self.col][1])

    def const(self, item: str, prop: str, unit: str, value: float) -> X:
        """A figure of the Items table (an item's true density or molar mass): not a flat parameter, so the results
        workbook types it (the base workbook looks it up in its Items sheet)."""
        name = f"item.{item}.{prop}"
        row = self.sheet.rows.get(name) or self._row(name, unit, "Items table", "item")
        row.cells[self.col] = (lit(value).f, float(value))
        return X(f"\x00{name}\x00", float(value))


# -- the equations --------------------------------------------------------------------------------------------------------


def usd_price(c: Column, item: str, fx: X) -> X:
    """Price of ``item`` in USD per canonical unit (kg, m², cell, kWh), price link applied (``engine.inputs.PriceBook``)."""
    name = f"usd.{item}"
    if name in c.sheet.rows and c.col in c.sheet.rows[name].cells:
        return X(f"\x00{name}\x00", c.sheet.rows[name].cells[c.col][1])
    unit = c.static.price_units[item]
    quoted = c.inp(f"price.{item}")
    price = quoted / unit.per_canonical if unit.per_canonical != 1.0 else quoted
    if unit.currency == "CNY":
        price = price / fx
    link = next((lk for lk in c.static.links if lk.target == item), None)
    canon = {"mass": "kg", "area": "m2", "count": "cell", "energy": "kWh"}[unit.dimension]
    note = f"quoted {unit.text} to USD/{canon}"
    if link is not None:
        driver = usd_price(c, link.driver, fx)
        ref_unit = link.driver_ref_unit
        ref = c.inp(f"link.{item}.driver_ref")
        ref = ref / ref_unit.per_canonical if ref_unit.per_canonical != 1.0 else ref
        if ref_unit.currency == "CNY":
            ref = ref / fx
        price = price + c.inp(f"link.{item}.coefficient") * (driver - ref)
        note += f" + coefficient x ({link.driver} - driver_ref): price link"
    return c.let(name, f"USD/{canon}", price, note)


def region_block(c: Column) -> dict[str, X]:
    """The plant region's figures in USD (``engine.region.region_inputs``)."""
    region = c.choices["global.region"]

    def r(p: str) -> X:
        return c.inp(f"region.{region}.{p}")

    currency = c.choices.get(f"region.{region}.currency", "CNY")
    if currency == "CNY":
        rfx = c.inp("fx.cny_per_usd")
    elif currency == "USD":
        rfx = lit(1.0)
    else:
        rfx = r("currency_per_usd")
    b = c.inp("global.building_share")
    return {
        "labour_per_h": c.let("region labour", "USD/h", r("labour_per_h") / rfx, f"{region} labour per hour / its currency per USD"),
        "electricity": c.let("region electricity", "USD/kWh_e", r("electricity_per_kwh") / rfx,
                             f"{region} electricity / its currency per USD"),
        "capex_multiplier": c.let("region capex multiplier", "-", (1.0 - b) * r("capex_multiplier") + b * r("building_multiplier"),
                                  "(1 - building share) x equipment + building share x building multiplier"),
        "wacc": r("wacc"),
        "duty_rate": r("duty_rate"),
    }


def housing_block(c: Column, fmt: str, d: Callable[[str], X]) -> tuple[X, X, X]:
    """Cavity (L), outer volume (L) and housing mass (kg) of one cell (``engine.formats``)."""
    extras = d("cell_extras_kg")
    if fmt == "prismatic":
        length, thick, height, wall = d("cell_length_mm"), d("cell_thickness_mm"), d("cell_height_mm"), d("can_wall_mm")
        lid, clear = d("lid_mm"), d("clearance_mm")
        inner_l = c.let("can inner length", "mm", length - 2.0 * wall, "length - 2 walls")
        inner_t = c.let("can inner thickness", "mm", thick - 2.0 * wall, "thickness - 2 walls")
        can_h = c.let("can height", "mm", height - lid, "height - lid")
        can = c.let("can volume", "mm3", length * thick * can_h - inner_l * inner_t * (can_h - wall), "four walls and a bottom")
        lid_v = c.let("lid volume", "mm3", length * thick * lid, "L x T x lid")
        cavity = (inner_l - 2.0 * clear) * (inner_t - 2.0 * clear) * (can_h - wall - d("headspace_mm"))
        housing = (can + lid_v) * d("can_density_g_cm3") * 1e-6 + extras
    elif fmt == "pouch":
        length, thick, height = d("cell_length_mm"), d("cell_thickness_mm"), d("cell_height_mm")
        lam = c.let("laminate thickness", "mm", d("laminate_um") * 1e-3, "um to mm")
        cavity = (length - 2.0 * d("seal_mm")) * (height - d("headspace_mm")) * (thick - 2.0 * lam)
        sheet = c.let("laminate area", "m2", 2.0 * (length * height + (length + height) * thick) * 1e-6, "two sheets wrapping the stack")
        housing = sheet * d("laminate_g_m2") * 1e-3 + extras
    elif fmt == "cylindrical":
        dia, height, wall = d("cell_diameter_mm"), d("cell_height_mm"), d("can_wall_mm")
        roll_d = c.let("roll diameter", "mm", dia - 2.0 * wall - 2.0 * d("clearance_mm"), "D - 2 walls - 2 clearances")
        roll_h = c.let("roll height", "mm", height - wall - d("headspace_mm"), "H - bottom - headspace")
        cavity = xpi() / 4.0 * (roll_d ** 2 - d("mandrel_mm") ** 2) * roll_h
        tube = c.let("can tube volume", "mm3", xpi() / 4.0 * (dia ** 2 - (dia - 2.0 * wall) ** 2) * height, "pi/4 (D^2 - (D-2w)^2) H")
        can = c.let("can volume", "mm3", tube + xpi() / 4.0 * dia ** 2 * (wall + d("lid_mm")), "tube + bottom + cap disc")
        housing = can * d("can_density_g_cm3") * 1e-6 + extras
    else:
        raise ValueError(f"unknown cell format {fmt!r}")
    outer = (length * thick * height if fmt != "cylindrical" else xpi() / 4.0 * dia ** 2 * height) / 1e6
    return (c.let("cell cavity", "L", cavity / 1e6, f"{fmt}: room for the electrode stack"),
            c.let("cell outer volume", "L", outer, f"{fmt}: outer dimensions"),
            c.let("housing per cell", "kg", housing, f"{fmt}: can or laminate, lid and extras"))


def anode_block(c: Column, design: str) -> tuple[X, X, X]:
    """Capacity (Ah/kg), first-cycle efficiency (-) and true density (g/cm³) of a design's anode active material: its
    material's, or those of a powder blend of two (``engine.blend``: mass-weighted capacity, charge-weighted first-cycle
    loss, volume-additive density)."""
    pre = f"design.{design}."
    first, second = c.choices[pre + "anode_material"], c.choices.get(pre + SECOND, NO_MATERIAL)

    def props(m: str) -> tuple[X, X, X]:
        return tuple(c.inp(f"material.{m}.{p}") for p in ("capacity_ah_kg", "ice", "true_density_g_cm3"))  # type: ignore[return-value]

    q1, ice1, rho1 = props(first)
    if not blended(second):
        return q1, ice1, rho1
    q2, ice2, rho2 = props(second)
    w = c.inp(pre + SHARE)
    q = c.let("anode blend capacity", "Ah/kg", (1.0 - w) * q1 + w * q2, f"(1 - w) q_{first} + w q_{second}, w = {SHARE}")
    ice = c.let("anode blend ICE", "-", q / ((1.0 - w) * q1 / ice1 + w * q2 / ice2),
                "q / ((1 - w) q1 / ICE1 + w q2 / ICE2): first-charge capacities add")
    rho = c.let("anode blend true density", "g/cm3", 1.0 / ((1.0 - w) / rho1 + w / rho2), "1 / ((1 - w) / rho1 + w / rho2)")
    return q, ice, rho


def design_physics(c: Column, design: str) -> dict[str, object]:
    """The physics of one design (``engine.design``, ``engine.formats``): stack masses, areas, pores and electrolyte, the
    cell in its housing, cells per kWh and energy densities. Returns the rows the cost equations use (by engine name)."""
    pre = f"design.{design}."
    ch = {k[len(pre):]: v for k, v in c.choices.items() if k.startswith(pre)}

    def d(name: str) -> X:
        return c.inp(pre + name)

    static = c.static
    cam = ch["cathode_material"]
    # -- stack (engine.design.build_stack) --
    voltage = c.inp(f"material.{cam}.voltage_v")
    q_c = c.inp(f"material.{cam}.capacity_ah_kg")
    q_a, ice, rho_a = anode_block(c, design)
    cfr = (d("cathode_active_fraction"), d("cathode_binder_fraction"), d("cathode_carbon_fraction"))
    afr = (d("anode_active_fraction"), d("anode_binder_fraction"), d("anode_carbon_fraction"))

    def dens(item: str) -> X:
        return c.const(item, "density_g_cm3", "g/cm3", static.density[item])

    c_rho = (c.inp(f"material.{cam}.true_density_g_cm3"), dens(ch["cathode_binder"]), dens(ch["conductive_carbon"]))
    a_rho = (rho_a, dens(ch["anode_binder"]), dens(ch["conductive_carbon"]))
    ah = c.let("Ah per kWh", "Ah/kWh", 1000.0 / voltage, "1000 / V")
    m_cam = c.let("cathode active", "kg/kWh", 1000.0 / (voltage * q_c * ice), "1000 / (V x q_cathode x ICE_anode)")
    c_coat = c.let("cathode coating", "kg/kWh", m_cam / cfr[0], "active / active fraction")
    a_facing = c.let("anode coating facing", "kg/kWh", d("np_ratio") * m_cam * q_c / q_a / afr[0],
                     "N/P x cathode Ah / q_anode / active fraction")
    c_area = c.let("cathode coated area", "m2/kWh", c_coat / (d("cathode_loading_mg_cm2") * 0.01), "coating / loading (both sides)")
    a_area = c.let("anode coated area", "m2/kWh", c_area * (1.0 + d("anode_overhang")), "cathode area x (1 + overhang)")
    a_coat = c.let("anode coating", "kg/kWh", a_facing * (1.0 + d("anode_overhang")), "facing coating x (1 + overhang)")
    c_foil_m2 = c.let("cathode foil area", "m2/kWh", c_area / 2.0 * (1.0 + d("cathode_foil_margin")), "coated area / 2 x (1 + margin)")
    a_foil_m2 = c.let("anode foil area", "m2/kWh", a_area / 2.0 * (1.0 + d("anode_foil_margin")), "coated area / 2 x (1 + margin)")
    c_foil = c.let("cathode foil", "kg/kWh", c_foil_m2 * d("cathode_foil_um") * 1e-3 * dens(ch["cathode_foil"]),
                   "area x thickness x density")
    a_foil = c.let("anode foil", "kg/kWh", a_foil_m2 * d("anode_foil_um") * 1e-3 * dens(ch["anode_foil"]), "area x thickness x density")
    sep_m2 = c.let("separator area", "m2/kWh", c_area * (1.0 + d("separator_overhang")), "cathode area x (1 + overhang)")
    sep = c.let("separator mass", "kg/kWh", sep_m2 * d("separator_g_m2") * 1e-3, "area x areal mass")
    v_c = c.let("cathode coating volume", "L/kWh", c_coat / d("cathode_density_g_cm3"), "mass / calendered density")
    v_a = c.let("anode coating volume", "L/kWh", a_coat / d("anode_density_g_cm3"), "mass / calendered density")
    v_sep = c.let("separator volume", "L/kWh", sep_m2 * d("separator_um") * 1e-3, "area x thickness")
    eps_c = c.let("cathode porosity", "-", 1.0 - d("cathode_density_g_cm3") * (cfr[0] / c_rho[0] + cfr[1] / c_rho[1] + cfr[2] / c_rho[2]),
                  "1 - density x sum(w / true density)")
    eps_a = c.let("anode porosity", "-", 1.0 - d("anode_density_g_cm3") * (afr[0] / a_rho[0] + afr[1] / a_rho[1] + afr[2] / a_rho[2]),
                  "1 - density x sum(w / true density)")
    pores = c.let("pore volume", "L/kWh", eps_c * v_c + eps_a * v_a + d("separator_porosity") * v_sep, "coatings and separator")
    footprint = 1.0 + d("separator_overhang")
    stack_l = c.let("stack volume", "L/kWh", footprint * (v_c + v_a * c_area / a_area + c_area / 2.0 * (d("cathode_foil_um")
                                                                                                     + d("anode_foil_um")) * 1e-3) + v_sep,
                    "layers on the separator's footprint")
    free_l = c.let("free volume", "L/kWh", stack_l * (1.0 / d("stack_fill") - 1.0), "stack volume x (1 / stack fill - 1)")
    from_pores = c.let("electrolyte from pores", "kg/kWh", (d("electrolyte_fill_factor") * pores + d("free_volume_fill") * free_l)
                       * d("electrolyte_density_g_cm3"), "(fill factor x pores + free-volume fill x free volume) x density")
    fill = d("electrolyte_fill_g_ah")
    ely_kg = c.let("electrolyte mass", "kg/kWh", xif(fill > 0, fill * ah * 1e-3, from_pores), "fill g/Ah x Ah if given, else from pores")
    # -- cell in its housing (engine.formats, engine.design.build_cell) --
    cavity, outer, housing_cell = housing_block(c, ch["cell_format"], d)
    cell_wh = c.let("cell energy", "Wh", cavity * d("stack_fill") / stack_l * 1000.0, "cavity x stack fill / stack volume")
    cells = c.let("cells per kWh", "1/kWh", 1000.0 / cell_wh, "1000 / cell Wh")
    housing_kg = c.let("housing mass", "kg/kWh", housing_cell * cells, "housing per cell x cells")
    total_mass = c.let("mass per kWh", "kg/kWh", c_coat + a_coat + c_foil + a_foil + sep + ely_kg + housing_kg, "sum of parts")
    metrics = {"wh_per_kg": c.let("Wh/kg", "Wh/kg", 1000.0 / total_mass, "1000 / mass per kWh"),
               "wh_per_l": c.let("Wh/L", "Wh/L", cell_wh / outer, "cell Wh / outer volume"),
               "cell_wh": cell_wh,
               "cell_ah": c.let("cell Ah", "Ah", cell_wh / voltage, "cell Wh / V"),
               "cell_mass_kg": c.let("cell mass", "kg", total_mass * cell_wh / 1000.0, "mass per kWh x cell Wh / 1000"),
               "cells_per_kwh": cells,
               "cathode_area_m2": c_area,
               "electrolyte_g_ah": c.let("electrolyte per Ah", "g/Ah", ely_kg / ah * 1000.0, "electrolyte / Ah per kWh"),
               "cathode_porosity": eps_c,
               "anode_porosity": eps_a,
               "anode_loading_mg_cm2": c.let("anode loading", "mg/cm2", a_facing / c_area / 0.01, "facing coating / cathode area")}
    return {"m_cam": m_cam, "c_coat": c_coat, "a_coat": a_coat, "cfr": cfr, "afr": afr, "c_foil": c_foil, "a_foil": a_foil,
            "sep_m2": sep_m2, "ely_kg": ely_kg, "cells": cells, "c_area": c_area, "ah": ah, "metrics": metrics}


def conversion_ratio(c: Column, c_area: X, cells: X, ah: X) -> X:
    """Conversion-effort ratio of a design to the reference plant's cell (``engine.manufacturing.driver_ratio``)."""

    def g(name: str) -> X:
        return c.inp(f"global.{name}")

    return c.let("conversion ratio", "-", g("driver_share_area") * c_area / g("ref_area_m2_per_kwh")
                 + g("driver_share_cells") * (cells / g("ref_cells_per_kwh")) ** g("cell_count_exponent")
                 + g("driver_share_ah") * ah / g("ref_ah_per_kwh") + g("driver_share_fixed"),
                 "area, cell-count, Ah and fixed shares against the reference cell")


MASS_ROWS: dict[str, str] = {
    "cathode_active": "cathode active", "cathode_binder": "cathode binder", "cathode_carbon": "cathode carbon",
    "anode_active": "anode active", "anode_binder": "anode binder", "anode_carbon": "anode carbon",
    "cathode_foil": "cathode foil", "anode_foil": "anode foil", "separator": "separator mass",
    "electrolyte": "electrolyte mass", "housing": "housing mass",
}
"""Engine mass part (``CellBuild.masses``) → its row on the calculation sheet."""


@dataclass(frozen=True)
class DesignRefs:
    """Where a design's figures are on its calculation sheet (expressions that are row references).

    Attributes:
        components: component → its row (USD/kWh).
        bom: BOM line → (quantity per kWh, USD per quantity unit, material yield) rows.
        metrics: every engine metric (``engine.cost.METRICS``) → its row.
        masses: every mass part of ``CellBuild.masses`` → its row (kg/kWh).
    """

    components: dict[str, X]
    bom: dict[str, tuple[X, X, X]]
    metrics: dict[str, X]
    masses: dict[str, X]


def design_column(c: Column, design: str) -> DesignRefs:
    """Every equation of ``engine.cost.evaluate_design`` for one design in one scenario/year."""
    pre = f"design.{design}."
    ch = {k[len(pre):]: v for k, v in c.choices.items() if k.startswith(pre)}

    def d(name: str) -> X:
        return c.inp(pre + name)

    def g(name: str) -> X:
        return c.inp(f"global.{name}")

    static = c.static
    fx = c.inp("fx.cny_per_usd")
    cam, aam = ch["cathode_material"], ch["anode_material"]
    second = ch.get(SECOND, NO_MATERIAL)
    ph = design_physics(c, design)
    m_cam, c_coat, a_coat, c_foil, a_foil = ph["m_cam"], ph["c_coat"], ph["a_coat"], ph["c_foil"], ph["a_foil"]
    cfr, afr, sep_m2, ely_kg, cells, c_area, ah = ph["cfr"], ph["afr"], ph["sep_m2"], ph["ely_kg"], ph["cells"], ph["c_area"], ph["ah"]
    metrics = ph["metrics"]
    # -- electrolyte price (engine.electrolyte) --
    salt = ch["salt"]
    rho_e = d("electrolyte_density_g_cm3")
    molar = c.const(salt, "molar_mass_g_mol", "g/mol", static.molar_mass[salt])
    w_salt = c.let("salt mass fraction", "-", d("salt_molarity_mol_l") * molar / (1000.0 * rho_e), "molarity x M / (1000 x density)")
    fr = [d(f"additive_{a}_fraction") for a in ADDITIVES]
    w_add = c.let("additive fraction", "-", fr[0] + fr[1] + fr[2], "sum of additive fractions")
    mix = None
    for s in SOLVENTS:
        term = d(f"solvent_{s}_share") * usd_price(c, s, fx)
        mix = term if mix is None else mix + term
    solv_mix = c.let("solvent blend price", "USD/kg", mix, "sum of share x price")
    add = None
    for a, f in zip(ADDITIVES, fr):
        term = f * usd_price(c, a, fx)
        add = term if add is None else add + term
    ely_salt = c.let("electrolyte salt price", "USD/kg", w_salt * usd_price(c, salt, fx), "w_salt x salt price")
    ely_solv = c.let("electrolyte solvents price", "USD/kg", (1.0 - w_salt - w_add) * solv_mix, "(1 - w_salt - w_add) x blend")
    ely_add = c.let("electrolyte additives price", "USD/kg", add, "sum of fraction x price")
    ely_blend = usd_price(c, "electrolyte_blending", fx)
    metrics["electrolyte_price"] = c.let("electrolyte price", "USD/kg", ely_salt + ely_solv + ely_add + ely_blend,
                                         "salt + solvents + additives + blending")
    # -- bill of materials (engine.cost.evaluate_design) --
    ey, ay, cy = d("electrode_yield"), d("assembly_yield"), d("cell_yield")
    eay = c.let("electrode x assembly yield", "-", ey * ay, "material yield of electrode lines")
    c_solvent = c.let("cathode solvent lost", "kg/kWh", c_coat * d("cathode_solvent_kg_per_kg") * (1.0 - d("cathode_solvent_recovery")),
                      "coating x solvent per kg x (1 - recovery)")
    a_solvent = c.let("anode solvent lost", "kg/kWh", a_coat * d("anode_solvent_kg_per_kg") * (1.0 - d("anode_solvent_recovery")),
                      "coating x solvent per kg x (1 - recovery)")
    lines: dict[str, tuple[X, X]] = {
        "cathode_active": (m_cam, usd_price(c, cam, fx)),
        "cathode_binder": (c.let("cathode binder", "kg/kWh", c_coat * cfr[1], "coating x binder fraction"),
                           usd_price(c, ch["cathode_binder"], fx)),
        "cathode_carbon": (c.let("cathode carbon", "kg/kWh", c_coat * cfr[2], "coating x carbon fraction"),
                           usd_price(c, ch["conductive_carbon"], fx)),
        "cathode_solvent": (c_solvent, usd_price(c, ch["cathode_solvent"], fx)),
        "anode_active": (c.let("anode active", "kg/kWh", a_coat * afr[0], "coating x active fraction"), usd_price(c, aam, fx)),
        **({BLEND_LINE: None} if blended(second) else {}),
        "anode_binder": (c.let("anode binder", "kg/kWh", a_coat * afr[1], "coating x binder fraction"),
                         usd_price(c, ch["anode_binder"], fx)),
        "anode_carbon": (c.let("anode carbon", "kg/kWh", a_coat * afr[2], "coating x carbon fraction"),
                         usd_price(c, ch["conductive_carbon"], fx)),
        "anode_solvent": (a_solvent, usd_price(c, ch["anode_solvent"], fx)),
        "cathode_foil": (c_foil, usd_price(c, ch["cathode_foil"], fx)),
        "anode_foil": (a_foil, usd_price(c, ch["anode_foil"], fx)),
        "separator": (sep_m2, usd_price(c, ch["separator"], fx)),
        "electrolyte_salt": (ely_kg, ely_salt),
        "electrolyte_solvents": (ely_kg, ely_solv),
        "electrolyte_additives": (ely_kg, ely_add),
        "electrolyte_blending": (ely_kg, ely_blend),
        "housing": (cells, usd_price(c, ch["housing"], fx)),
    }
    if blended(second):  # the blend's active mass bought as two lines, (1 - w) and w of it (engine.blend)
        active, w = lines["anode_active"][0], d(SHARE)
        first = c.let("anode active, first material", "kg/kWh", active * (1.0 - w), f"anode active x (1 - {SHARE}): {aam}")
        lines["anode_active"] = (first, lines["anode_active"][1])
        lines[BLEND_LINE] = (c.let("anode active, second material", "kg/kWh", active * w, f"anode active x {SHARE}: {second}"),
                             usd_price(c, second, fx))
    comp: dict[str, X] = {}
    for name, (qty, price) in lines.items():
        comp[name] = c.let(name, "USD/kWh", qty * price, "quantity x price (net, per kWh)", "component")
    mine = [comp[k] for k in ELECTRODE_LINES if k in comp]
    electrode = c.let("electrode materials", "USD/kWh", sum(mine[1:], mine[0]), "electrode lines")
    asm = [comp[k] for k in lines if k not in ELECTRODE_LINES]
    assembly = c.let("assembly materials", "USD/kWh", sum(asm[1:], asm[0]), "separator, electrolyte, housing")
    comp["scrap_electrode"] = c.let("scrap_electrode", "USD/kWh", electrode * (1.0 / ey - 1.0), "electrode x (1 / electrode yield - 1)",
                                    "component")
    comp["scrap_assembly"] = c.let("scrap_assembly", "USD/kWh", (electrode / ey + assembly) * (1.0 / ay - 1.0),
                                   "(electrode / electrode yield + assembly) x (1 / assembly yield - 1)", "component")
    gross = c.let("gross materials", "USD/kWh", (electrode / ey + assembly) / ay, "materials bought per kWh of good assembled cells")
    region = region_block(c)
    comp["import_duty"] = c.let("import_duty", "USD/kWh", gross * region["duty_rate"], "gross materials x duty rate", "component")
    # -- conversion (engine.manufacturing) --
    ratio = conversion_ratio(c, c_area, cells, ah)
    lr, share = g("learning_rate"), d("learning_share")
    b = c.let("learning exponent", "-", 0.0 - xlog2(1.0 - lr), "-log2(1 - learning rate)")
    learning = c.let("learning factor", "-", (1.0 - share) + share * xmax((d("cumulative_output_gwh")
                                                                           / g("learning_ref_cumulative_gwh")) ** (0.0 - b),
                                                                          g("learning_floor")),
                     "(1 - share) + share x max((x / x_ref)^-b, floor)")
    plant, ref_plant, util = d("plant_capacity_gwh"), g("capex_ref_plant_gwh"), d("utilisation")
    capex_ref = c.let("reference capex", "USD/(kWh/yr)", g("capex_ref_cny_per_kwh_yr") / fx * region["capex_multiplier"],
                      "CNY per kWh/yr / FX x region multiplier")
    capex = c.let("capex", "USD/(kWh/yr)", capex_ref * ratio * (plant / ref_plant) ** (g("capex_scale_exponent") - 1.0),
                  "reference capex x ratio x (plant / reference)^(exponent - 1)")
    wacc, life = region["wacc"], g("plant_life_years")
    growth = c.let("(1 + WACC)^life", "-", (1.0 + wacc) ** life, "")
    crf = c.let("capital recovery factor", "1/yr", xif(wacc > 0, wacc * growth / (growth - 1.0), 1.0 / life),
                "r (1+r)^n / ((1+r)^n - 1)")
    comp["capital"] = c.let("capital", "USD/kWh", capex * crf / util * learning, "capex x CRF / utilisation x learning", "component")
    comp["maintenance"] = c.let("maintenance", "USD/kWh", capex * g("maintenance_rate") / util * learning,
                                "capex x rate / utilisation x learning", "component")
    labour_ref = c.let("reference labour", "USD/kWh", g("labour_hours_per_kwh") * region["labour_per_h"], "hours per kWh x USD/h")
    comp["labour"] = c.let("labour", "USD/kWh", labour_ref * ratio * (plant / ref_plant) ** (g("labour_scale_exponent") - 1.0)
                           / util * learning, "reference labour x ratio x scale / utilisation x learning", "component")
    comp["energy"] = c.let("energy", "USD/kWh", g("process_energy_kwh_per_kwh") * ratio * region["electricity"] * learning,
                           "kWh_e per kWh x ratio x electricity x learning", "component")
    comp["plant_overhead"] = c.let("plant_overhead", "USD/kWh", g("plant_overhead_rate") * (comp["capital"] + comp["maintenance"]
                                                                                            + comp["labour"] + comp["energy"]),
                                   "rate x (capital + maintenance + labour + energy)", "component")
    direct = c.let("direct cost", "USD/kWh", gross + comp["import_duty"] + (comp["capital"] + comp["maintenance"] + comp["labour"]
                                                                          + comp["energy"] + comp["plant_overhead"]),
                   "gross materials + duty + conversion")
    comp["scrap_formation"] = c.let("scrap_formation", "USD/kWh", direct * (1.0 / cy - 1.0), "direct x (1 / cell yield - 1)",
                                    "component")
    cost = c.let("cost before SG&A", "USD/kWh", direct + comp["scrap_formation"], "direct + formation scrap")
    comp["sga"] = c.let("sga", "USD/kWh", cost * g("sga_rate"), "cost x SG&A rate", "component")
    mr = g("margin_rate")
    comp["margin"] = c.let("margin", "USD/kWh", (cost + comp["sga"]) * mr / (1.0 - mr), "cost x margin / (1 - margin)", "component")
    missing = [k for k in COMPONENTS if k not in comp]
    if missing:
        raise RuntimeError(f"live model: engine components without a formula: {', '.join(missing)}")
    total = None
    for k in ALL_COMPONENTS:  # in the engine's order, the blend line where there is one
        if k in comp:
            total = comp[k] if total is None else total + comp[k]
    c.let(TOTAL, "USD/kWh", total, "sum of the components", "total")
    bom = {k: (q, p, eay if k in ELECTRODE_LINES else ay) for k, (q, p) in lines.items()}
    metrics["conversion_ratio"], metrics["learning_factor"] = ratio, learning
    masses = {part: c.ref(row) for part, row in MASS_ROWS.items()}
    return DesignRefs(comp, bom, metrics, masses)


def check_against_engine(sheet: CalcSheet, col: int, components: Mapping[str, float], total: float, rel: float = 1e-9) -> None:
    """Raise if the formulas' values differ from the engine's (a new engine term without its formula).

    Args:
        components: engine component → USD/kWh. total: engine total (USD/kWh).
    """
    bad = []
    for name, want in (*components.items(), (TOTAL, total)):
        row = sheet.rows.get(name)
        got = None if row is None or col not in row.cells else row.cells[col][1]
        if got is None or not math.isclose(got, want, rel_tol=rel, abs_tol=1e-12):
            bad.append(f"{name}: formulas {got} vs engine {want}")
    if bad:
        raise RuntimeError(f"live model of {sheet.design} ({sheet.keys[col]}) disagrees with the engine: " + "; ".join(bad))


# -- the calculation sheets of a run ----------------------------------------------------------------------------------------


def sheet_name(design: str, taken: set[str]) -> str:
    """``Calc <design>``, cut to Excel's 31 characters and made unique."""
    base = re.sub(r"[\[\]:*?/\\']", "_", f"Calc {design}")[:31]
    name, i = base, 2
    while name.lower() in taken:
        name = f"{base[:28]}~{i}"
        i += 1
    taken.add(name.lower())
    return name


@dataclass
class LiveModel:
    """The calculation sheets of a run and where each design's figures are.

    Attributes:
        sheets: design → its calculation sheet.
        names: design → sheet name.
        refs: (scenario, design, year) → (value column index, its row references).
    """

    sheets: dict[str, CalcSheet]
    names: dict[str, str]
    refs: dict[tuple[str, str, int], tuple[int, DesignRefs]]
    _at: dict[str, dict[str, int]] = field(default_factory=dict)

    def cell(self, scenario: str, design: str, year: int, x: X) -> str:
        """A sheet-qualified reference (``'Calc nfpp'!E57``) to the row expression ``x`` in that scenario/year's column."""
        col, _ = self.refs[(scenario, design, year)]
        at = self._layout(design)
        letter = column_letter(FIRST_COL + col)
        return _REF.sub(lambda m: f"'{self.names[design]}'!${letter}${at[m.group(1)] + 1}", x.f)

    def _layout(self, design: str) -> dict[str, int]:
        if design not in self._at:
            self._at[design] = self.sheets[design].layout()[1]
        return self._at[design]


def build_live_model(results, inputs, static: StaticData, units: Mapping[str, str], taken: set[str]) -> LiveModel:
    """Run every design's equations for every scenario and year of a run, checked against the engine.

    Args:
        results: the run's Results (tidy costs, masses and metrics per scenario, design and year).
        inputs: the inputs snapshot (scenario, year, parameter, value, unit): the values each column starts from.
        static: items, units and price links of the dataset.
        units: flat parameter → unit (for the unit column).
        taken: sheet names already used (lower case); the new ones are added.

    Raises:
        RuntimeError: if the formulas' numbers differ from the engine's (an engine term without its formula).
    """
    usd = results.costs[results.costs["unit"] == "USD/kWh"]
    others: dict[tuple[str, str, int], dict[str, float]] = {}
    for frame, col in ((results.masses, "part"), (results.metrics, "metric")):
        for sc, dn, yr, name, value in zip(*(frame[c].tolist() for c in ("scenario", "design", "year", col, "value")), strict=True):
            others.setdefault((str(sc), str(dn), int(yr)), {})[f"{col}:{name}"] = float(value)
    engine: dict[tuple[str, str, int], dict[str, float]] = {}
    for r in usd.itertuples():
        engine.setdefault((str(r.scenario), str(r.design), int(r.year)), {})[str(r.component)] = float(r.value)
    snap: dict[tuple[str, int], tuple[dict[str, object], dict[str, str]]] = {}
    cols = [inputs[c].tolist() for c in ("scenario", "year", "parameter", "value", "unit")]
    for sc, year, param, value, unit in zip(*cols, strict=True):
        vals, chs = snap.setdefault((str(sc), int(year)), ({}, {}))
        if unit == "choice":
            chs[str(param)] = str(value)
        else:
            vals[str(param)] = value
    sheets: dict[str, CalcSheet] = {}
    names: dict[str, str] = {}
    refs: dict[tuple[str, str, int], tuple[int, DesignRefs]] = {}
    for (sc, design, year), comps in engine.items():
        if design not in sheets:
            sheets[design] = CalcSheet(design)
            names[design] = sheet_name(design, taken)
        sheet = sheets[design]
        values, choices = snap[(sc, year)]
        column = sheet.column(f"{sc}|{year}", values, choices, static, units)
        refs[(sc, design, year)] = (column.col, design_column(column, design))
        total = 0.0
        for k in ALL_COMPONENTS:
            if k in comps:  # anode_active_2 only in a blended design
                total = total + comps[k]
        check_against_engine(sheet, column.col, comps, total)
        mine = refs[(sc, design, year)][1]
        figures = {**{f"part:{k}": x for k, x in mine.masses.items()}, **{f"metric:{k}": x for k, x in mine.metrics.items()}}
        want = others.get((sc, design, year), {})
        bad = [f"{k}: formulas {figures[k].v if k in figures else None} vs engine {v}" for k, v in want.items()
               if k not in figures or not math.isclose(figures[k].v, v, rel_tol=1e-9, abs_tol=1e-12)]
        if bad:
            raise RuntimeError(f"live model of {design} ({sc}|{year}) disagrees with the engine: " + "; ".join(bad))
    return LiveModel(sheets, names, refs)


def write_calc_sheet(ws, live: LiveModel, design: str, inputs: InputsLayout, fmt: Mapping[str, object]) -> int:
    """Write one design's calculation sheet; returns the number of formulas written.

    Args:
        ws: an xlsxwriter worksheet.
        inputs: where the Inputs sheet holds each parameter and scenario/year.
        fmt: xlsxwriter formats ``head``, ``title``, ``lookup`` (input rows), ``derived``, ``component``, ``total``, ``text``.
    """
    sheet = live.sheets[design]
    rows, at = sheet.layout()
    ws.write_string(0, 0, f"Live model of design {design}: every figure is a formula back to the Inputs sheet "
                          "(edit the Inputs sheet, in this scenario's column; not here)", fmt["title"])
    heads = ["quantity", "unit", "equation", "from"]
    for j, h in enumerate(heads):
        ws.write_string(1, j, h, fmt["head"])
        ws.write_string(KEY_ROW, j, "key (scenario|year)" if j == 0 else "", fmt["head"])
    for k, key in enumerate(sheet.keys):
        sc, year = key.rsplit("|", 1)
        ws.write_string(1, FIRST_COL + k, f"{sc} {year}", fmt["head"])
        ws.write_string(KEY_ROW, FIRST_COL + k, key, fmt["head"])
    ws.write_string(3, 0, "Inputs looked up by name in the Inputs sheet (green), then the equations in engine order; "
                          "components in bold", fmt["text"])
    n = 0
    for row in rows:
        i = at[row.name]
        style = fmt["lookup"] if row.kind in ("input", "item") else fmt[row.kind]
        ws.write_string(i, 0, row.name, style if row.kind in ("component", "total") else None)
        ws.write_string(i, 1, row.unit)
        ws.write_string(i, 2, row.note)
        ws.write_string(i, 3, {"input": "Inputs", "item": "Items table"}.get(row.kind, "derived"))
        for k in range(len(sheet.keys)):
            cell = sheet.render(row, k, at, inputs)
            if cell is not None:
                ws.write_formula(i, FIRST_COL + k, cell[0], style, cell[1])
                n += 1
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 13)
    ws.set_column(2, 2, 46)
    ws.set_column(3, 3, 8)
    ws.set_column(FIRST_COL, FIRST_COL + max(len(sheet.keys) - 1, 0), max(14, max((len(k) for k in sheet.keys), default=0) + 2))
    ws.freeze_panes(FIRST_ROW - 1, FIRST_COL)
    return n


def _prepare_plain(formula: str, expand_future_functions: bool = False) -> str:
    return formula[1:] if formula.startswith("=") else formula


def fast_formulas(ws) -> None:
    """Skip xlsxwriter's future-function rewriting (about 30 regular expressions per formula) on a worksheet whose
    formulas use only INDEX, MATCH, SUMIFS, IF, MAX, LOG, PI and arithmetic, none of which it rewrites.

    This halves the time to write a results workbook of 50,000 formulas. It relies on a private method of
    xlsxwriter 3 and falls back to the normal path if that method is missing.
    """
    if hasattr(ws, "_prepare_formula"):
        ws._prepare_formula = _prepare_plain


# -- the Inputs sheet: one row per parameter, one column per scenario and year ------------------------------------------------

INPUT_FIXED = ("parameter", "unit", "description")
"""Leading columns of the Inputs sheet; the scenario|year columns follow."""


@dataclass(frozen=True)
class InputsLayout:
    """Where the inputs are: the Inputs sheet's parameter rows and scenario|year columns.

    Attributes:
        rows: parameter → 1-based sheet row. columns: ``scenario|year`` → column letter. last: last 1-based row.
    """

    rows: dict[str, int]
    columns: dict[str, str]
    last: int

    def lookup(self, key: str, param: str) -> str:
        """INDEX/MATCH of flat parameter ``param`` in the column of ``key`` (formula text without ``=``)."""
        col = self.columns[key]
        return f'INDEX(Inputs!${col}$2:${col}${self.last},MATCH("{param}",Inputs!$A$2:$A${self.last},0))'

    def item(self, name: str, typed: str) -> str:
        """An Items-table figure: typed (the results workbook has no Items sheet)."""
        return typed


def parameter_unit(param: str, static: StaticData, known: Mapping[str, str]) -> str:
    """Unit of a flat parameter: the catalog's, the item's quoted price unit, the link's driver unit."""
    from costmodel.catalog import load_catalog

    if known.get(param):
        return known[param]
    parts = param.split(".")
    if parts[0] == "price" and parts[1] in static.price_units:
        return static.price_units[parts[1]].text
    if parts[0] == "fx":
        return "CNY/USD"
    if parts[0] == "link" and len(parts) == 3:
        link = next((lk for lk in static.links if lk.target == parts[1]), None)
        if link is not None:
            if parts[2] == "driver_ref":
                return link.driver_ref_unit.text
            canon = {"mass": "kg", "area": "m2", "count": "cell", "energy": "kWh"}
            a, b = static.price_units[link.driver].dimension, static.price_units[link.target].dimension
            return f"{canon[a]} {link.driver} per {canon[b]} {link.target}"
    spec = load_catalog().get((parts[0], parts[-1]))
    if spec is not None:
        return spec.unit or "text"
    return "-"


def parameter_description(param: str) -> str:
    """The catalog's description of a flat parameter ('' when the catalog does not list it)."""
    from costmodel.catalog import load_catalog

    parts = param.split(".")
    if parts[0] == "price":
        return f"quoted price of {parts[1]}"
    if parts[0] == "link":
        return f"price link of {parts[1]}: target = table + coefficient x (driver - driver_ref)"
    spec = load_catalog().get((parts[0], parts[-1]))
    return spec.description if spec is not None else ""


def write_inputs_sheet(ws, inputs, static: StaticData, units: Mapping[str, str], fmt: Mapping[str, object]) -> InputsLayout:
    """Write the inputs snapshot wide: parameters down, ``scenario|year`` across; numbers are the input cells a planner edits.

    Args:
        inputs: the snapshot (scenario, year, parameter, value, unit).
        fmt: xlsxwriter formats ``head``, ``input`` (number a planner may edit), ``choice`` (text), ``text``.
    """
    keys = list(dict.fromkeys(f"{s}|{int(y)}" for s, y in zip(inputs["scenario"].tolist(), inputs["year"].tolist(), strict=True)))
    params = sorted(set(inputs["parameter"]))
    rows = {p: i + 2 for i, p in enumerate(params)}
    columns = {k: column_letter(len(INPUT_FIXED) + j) for j, k in enumerate(keys)}
    col_index = {k: len(INPUT_FIXED) + j for j, k in enumerate(keys)}
    for j, h in enumerate(INPUT_FIXED):
        ws.write_string(0, j, h, fmt["head"])
    for k, j in col_index.items():
        ws.write_string(0, j, k, fmt["head"])
    kinds: dict[str, str] = {}
    cols = [inputs[c].tolist() for c in ("parameter", "scenario", "year", "value", "unit")]
    for p, s, y, v, u in zip(*cols, strict=True):
        i, j = rows[p] - 1, col_index[f"{s}|{int(y)}"]
        if u == "choice" or isinstance(v, str):
            ws.write_string(i, j, str(v), fmt["choice"])
            kinds[p] = "choice"
        else:
            ws.write_number(i, j, float(v), fmt["input"])
            kinds.setdefault(p, "number")
    for p, r in rows.items():
        ws.write_string(r - 1, 0, p)
        ws.write_string(r - 1, 1, "choice" if kinds.get(p) == "choice" else parameter_unit(p, static, units))
        ws.write_string(r - 1, 2, parameter_description(p), fmt["text"])
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 50)
    ws.set_column(len(INPUT_FIXED), len(INPUT_FIXED) + len(keys) - 1, 15)
    ws.freeze_panes(1, len(INPUT_FIXED))
    ws.autofilter(0, 0, len(params), len(INPUT_FIXED) + len(keys) - 1)
    return InputsLayout(rows, columns, len(params) + 1)
