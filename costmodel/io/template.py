"""Write the planner's base workbook from the parameter catalog and a dataset.

The workbook has Excel tables, dropdowns for units, routes, materials and statuses, a comment
explaining each parameter, frozen headers and number formats. The path optimizer's tables (levers,
routes, suppliers, scale options, demand, settings) are six more sheets, each column explained in
its header comment. Output is deterministic (fixed document dates), so the committed
``workbooks/sodium_ion_base.xlsx`` can be checked for staleness.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from costmodel.catalog import load_catalog, scope_specs
from costmodel.dataset import STATUSES, Dataset
from costmodel.history.table import STATUSES as HISTORY_STATUSES
from costmodel.io.atomic import atomic_path
from costmodel.io.layout import (
    DESIGN_FIXED_COLUMNS,
    DESIGN_SOURCE_COLUMNS,
    DESIGN_SOURCES_SHEET,
    DESIGNS_SHEET,
    GUIDE_SHEET,
    LISTS_SHEET,
    LONG_SHEETS,
    OPTIMIZER_SHEETS,
    SCENARIO_COLUMNS,
    SCENARIOS_SHEET,
    column_letter,
)
from costmodel.io.print_layout import print_layout
from costmodel.optimize.data import ALL_DESIGNS, FIRST_YEAR, LAST_YEAR, OPTIONAL_SETTINGS, SETTINGS, read_default_tables
from costmodel.units import QUANTITIES
from costmodel.validation import parse_number

PRICE_UNITS: tuple[str, ...] = tuple(f"{c}/{q}" for c in ("CNY", "USD") for q in QUANTITIES if q != "m²")
FIXED_DATE = dt.datetime(2025, 12, 31)

GUIDE = [
    "costmodel base workbook: sodium-ion and LFP cell cost inputs",
    "",
    "How to use it",
    "1. Copy this file and edit the copy. Change values in the white cells; keep the header rows.",
    "2. Every figure has a Source, Date and Status (sourced, assumption, derived, physical). Replace assumptions first.",
    "3. Prices: one row per item and year, in the unit you were quoted (CNY/t, USD/kg, CNY/m2, CNY/cell, ...).",
    "   t and MT are metric tonnes. FX converts CNY to USD per year.",
    "4. Designs: one column per cell design. Route switches are one cell (anode_material: hc_coconut, hc_bamboo, hc_pitch).",
    "   A blend of two hard carbons in one coating: anode_material_2 (the second material; none = no blend) and",
    "   anode_blend_share (its mass share of the anode active mass, 0-1); its cost is the BOM line anode_active_2.",
    "5. Scenarios: one row per change, e.g. price.li2co3 = 60000, price.lipf6 = +20%, price.vc = x2;",
    "   Years blank = every year, or 2026, or 2026-2028. Parameter names: price.<item>, design.<design>.<parameter>,",
    "   material.<material>.<property>, region.<region>.<property>, global.<parameter>, fx.cny_per_usd.",
    "   Plant location: the Plant sheet's region (cn, de, hu, us, ...) picks a row group of the Regions sheet (labour cost,",
    "   electricity, capex and building multipliers, WACC, import duty on materials, in the region's currency).",
    "   Cell format: a design's cell_format (prismatic, pouch, cylindrical) and its dimensions set the housing mass and",
    "   the electrode cavity; the electrolyte fills the pores of electrodes and separator (electrolyte_fill_factor).",
    "6. Optimizer sheets (read by: costmodel optimize this.xlsx --design nfpp): Levers, Routes, Suppliers, Scale options,",
    "   Demand, Optimizer settings. Design * means every design. The change column of Levers and Routes uses the",
    "   Scenarios syntax and must name a parameter of this workbook: design.nfpp.cathode_loading_mg_cm2=25,",
    "   material.hc_*.capacity_ah_kg=x1.1, design.nfpp.electrolyte_fill_factor=-10%. A lever with several changes is several",
    "   rows with the same lever name (and the same design, earliest year, one-off cost and group); at most one lever per",
    "   group is used. Routes: one route of each family (e.g. hard_carbon) is used each year, or, where the family's routes",
    "   set the anode material, a blend of two of them on the blend_step grid (Optimizer settings; 0 = no blends). Costs are M USD;",
    "   supplier capacity kt per year at a price in the row's unit; plant sizes and demand GWh per year.",
    "   Without these six sheets, costmodel optimize uses its bundled tables.",
    "7. Price history: one quote per row (date YYYY-MM or YYYY-MM-DD, item, price, unit, low/high, source, status).",
    "   costmodel index this.xlsx prints the cell cost per month, its index and the month-over-month change by item;",
    "   costmodel prices import FEED.csv --map MAP.toml --workbook this.xlsx --out new.xlsx merges a price feed into a copy.",
    "   A scenario change may hold a period: price.li2co3@2026=120000, price.li2co3@2026-06=+15% (a price path).",
    "8. Check the file:   costmodel validate this.xlsx",
    "   Run it:           costmodel run this.xlsx --scenario base --scenario lithium_crash --out results.xlsx",
    "   Results go to a new workbook; this file is never written.",
    "",
    "Hover over a parameter name to see what it means and its unit. Hidden sheet 'Lists' feeds the dropdowns from the",
    "tables themselves (Items, Materials, the Designs header): a row or design column you add can be picked at once.",
    "",
    "Colours: white cells are inputs you edit; grey italic cells are derived (formulas: do not type over them).",
    "Derived: Plant ref_area_m2_per_kwh, ref_cells_per_kwh and ref_ah_per_kwh are the reference design's cell, computed",
    "on the Derived sheet from the Designs, Materials and Items sheets (and by costmodel when a file was saved without",
    "calculating). The Derived sheet also shows the optimizer's expansion_musd_per_gwh (reference capex / FX x the",
    "design's conversion ratio): update Optimizer settings when it changes.",
    "A price outside its low/high range is accepted with a warning, and the range widens to include it.",
    "Printing: every sheet prints landscape, one page wide, with its header row repeated.",
]


YEAR_FORMAT = "0"
COLUMN_FORMATS: dict[str, str] = {"year": YEAR_FORMAT}
"""Number format of a column in every long sheet (others: ``_fmt_for`` the value)."""


@dataclass(frozen=True)
class ColumnDoc:
    """How a column of an optimizer sheet is explained and written.

    Attributes:
        note: the header comment (what the column means, with its unit).
        num_format: Excel number format of a number column; None for a text column.
        minimum: lowest value the cell's data validation accepts (number columns).
        above: the value must lie strictly above ``minimum``.
    """

    note: str
    num_format: str | None = None
    minimum: float | None = None
    above: bool = False


_MUSD, _AMOUNT, _PRICE = "#,##0.00", "#,##0.0##", "#,##0.00"
OPTIMIZER_DOCS: dict[str, ColumnDoc] = {
    "lever": ColumnDoc("Lever name. A lever with several changes is several rows with the same name, design, earliest year, "
                       "one-off cost and group."),
    "design": ColumnDoc(f"Design the row applies to (a column of the Designs sheet), or {ALL_DESIGNS} for every design."),
    "change": ColumnDoc("The change, in the Scenarios syntax: PATH=VALUE, PATH=+10%, PATH=-15% or PATH=x1.1, e.g. "
                        "design.nfpp.cathode_loading_mg_cm2=25 or material.hc_*.capacity_ah_kg=x1.1. "
                        "PATH must name a parameter of this workbook."),
    "earliest_year": ColumnDoc("Earliest year it can be used (a year, e.g. 2026).", YEAR_FORMAT),
    "one_off_musd": ColumnDoc("One-off cost of the lever, M USD (million US dollars), paid when it is adopted.", _MUSD, 0.0),
    "group": ColumnDoc("Exclusivity group: at most one lever of a group is used. Blank = the lever's own name."),
    "route": ColumnDoc("Route name: one alternative of its family."),
    "family": ColumnDoc("Route family (e.g. hard_carbon): one route of each family is used each year, or, when the routes set "
                        "the anode material and Optimizer settings blend_step is above 0, two of them blended (hard carbons "
                        "powder-blended in one coating, shares on the blend_step grid); the incumbent is the route whose change "
                        "matches the design's current choice. A new name starts a new family."),
    "switch_musd": ColumnDoc("Switching cost, M USD (million US dollars), paid when the route is entered.", _MUSD, 0.0),
    "supplier": ColumnDoc("Supplier name (unique)."),
    "item": ColumnDoc("Item supplied: an item of the Items sheet (e.g. hc_bamboo, nfpp)."),
    "capacity_kt": ColumnDoc("Most the supplier delivers, kt per year (thousand metric tonnes a year).", _AMOUNT, 0.0),
    "price": ColumnDoc("Supplier's price, in the row's quoted unit (column unit).", _PRICE, 0.0, above=True),
    "unit": ColumnDoc("Quoted unit of the price: CURRENCY/QUANTITY, e.g. CNY/t. t and MT are metric tonnes (never tesla)."),
    "first_year": ColumnDoc("First year the supplier delivers (a year).", YEAR_FORMAT),
    "plant_gwh": ColumnDoc("A plant size the optimizer may choose, GWh per year of capacity (above 0).", _AMOUNT, 0.0, above=True),
    "year": ColumnDoc("Year (e.g. 2026).", YEAR_FORMAT),
    "sellable_gwh": ColumnDoc("Most the plant can sell that year, GWh per year.", _AMOUNT, 0.0),
    "industry_other_gwh": ColumnDoc("Sodium-ion output of the rest of the industry that year, GWh per year: it adds to the "
                                    "cumulative output that drives learning.", _AMOUNT, 0.0),
    "settings.name": ColumnDoc("Setting: ramp_gwh_per_year (most new capacity commissioned per year, GWh per year) or "
                               "expansion_musd_per_gwh (cost of new capacity, M USD per GWh), both needed; blend_step (optional, "
                               "fraction: the grid of blend shares, e.g. 0.1 for 10 %...90 % of the second route; 0 or no row = "
                               "one route per family; a modelling setting, not data)."),
    "settings.value": ColumnDoc("Value of the setting, in its unit (column unit); not negative.", _AMOUNT, 0.0),
    "settings.unit": ColumnDoc("Unit of the setting (GWh/yr, M USD/GWh), for the reader; not checked."),
    "source": ColumnDoc("Where the figure comes from; ASSUMPTION: ... when it is an assumption."),
    "date": ColumnDoc("Date of the source (a year or YYYY-MM-DD)."),
    "status": ColumnDoc("sourced, assumption, derived or physical."),
}
"""Header comment, number format and bounds of each optimizer column (``table.column`` before ``column``)."""


def _doc(table: str, column: str) -> ColumnDoc:
    return OPTIMIZER_DOCS.get(f"{table}.{column}") or OPTIMIZER_DOCS[column]


def _fmt_for(value: object) -> str:
    if isinstance(value, float) and abs(value) >= 100:
        return "#,##0.##"
    return "General"


def write_template(path: Path, dataset: Dataset, scenarios: pd.DataFrame | None = None,
                   optimizer: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Write the base workbook for ``dataset`` to ``path`` atomically; returns ``path``.

    Args:
        path: output .xlsx path (a temp file in the same folder is renamed onto it).
        dataset: the data to write (usually the bundled defaults).
        scenarios: rows of scenario, change, years, description for the Scenarios sheet.
        optimizer: the optimizer tables as text (``read_default_tables()`` when None).
    """
    import xlsxwriter

    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False})
        wb.set_properties({"title": "costmodel base workbook", "created": FIXED_DATE, "author": "costmodel"})
        wb.set_calc_mode("auto")
        _write_all(wb, dataset, scenarios, read_default_tables() if optimizer is None else optimizer)
        wb.close()
    return path


def _write_all(wb, ds: Dataset, scenarios: pd.DataFrame | None, optimizer: Mapping[str, pd.DataFrame]) -> None:
    header = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True, "font_size": 14})
    guide = wb.add_worksheet(GUIDE_SHEET)
    guide.set_column(0, 0, 120)
    for i, line in enumerate(GUIDE):
        guide.write_string(i, 0, line, bold if i == 0 else None)

    lists = _lists(ds)
    catalog = load_catalog()
    frames = {
        "prices": ds.prices,
        "fx": ds.fx,
        "items": ds.items,
        "materials": ds.materials,
        "regions": ds.regions,
        "globals": _globals_frame(ds),
        "links": ds.links,
        "history": ds.history.quotes,
    }
    for spec in LONG_SHEETS:
        frame = frames[spec.table].reindex(columns=list(spec.columns))
        ws = wb.add_worksheet(spec.sheet)
        _table(wb, ws, spec.sheet, list(spec.columns), frame, header)
        for j, col in enumerate(spec.columns):
            source = {
                "unit": PRICE_UNITS, "driver_ref_unit": PRICE_UNITS, "item": lists["items"],
                "status": HISTORY_STATUSES if spec.table == "history" else STATUSES,
                "target": lists["items"], "driver": lists["items"], "role": ("cathode", "anode"),
                "dimension": ("mass", "area", "count", "energy"),
            }.get(col)
            if source and not (spec.table == "items" and col == "item"):
                _dropdown(ws, j, len(frame), col, lists, source, warn=spec.table == "history" and col in ("item", "unit"))
        if spec.table == "globals":
            for i, row in enumerate(frame.itertuples(index=False), start=1):
                s = catalog[("global", row.name)]
                ws.write_comment(i, 0, f"{s.description}\nUnit: {s.unit or '-'}; bounds [{s.lower:g}, {s.upper:g}]",
                                 {"x_scale": 2, "y_scale": 1.5})
        if spec.table == "regions":
            for i, row in enumerate(frame.itertuples(index=False), start=1):
                s = catalog[("region", row.property)]
                bounds = f"; bounds [{s.lower:g}, {s.upper:g}]" if s.kind == "number" else ""
                ws.write_comment(i, 1, f"{s.description}\nUnit: {s.unit or '-'}{bounds}", {"x_scale": 2, "y_scale": 1.5})
        if spec.table == "items":
            for i, row in enumerate(frame.itertuples(index=False), start=1):
                ws.write_comment(i, 0, str(row.description), {"x_scale": 2})
        if spec.table == "history":
            ws.write_comment(0, 0, "A month (2025-11: a monthly average) or a day (2025-11-06: a spot quote). Several quotes in a "
                             "month are averaged; a month without one carries the last quote forward (marked stale).",
                             {"x_scale": 2, "y_scale": 1.5})
            ws.write_comment(0, 3, "Any price unit of the item's dimension (CNY/t, USD/t, ...); converted to the Prices sheet's "
                             "unit at the month's rate. Item cny_per_usd (unit CNY/USD) gives a monthly exchange rate.",
                             {"x_scale": 2, "y_scale": 1.5})
            ws.write_comment(0, 7, "quoted (blank), interpolated (a point between quotes), derived or assumption")
        if spec.table == "prices":
            ws.write_comment(0, 3, "Quoted unit: CURRENCY/QUANTITY. t and MT are metric tonnes (never tesla).")
            ws.write_comment(0, 4, "Low and high: the range used by sensitivity and Monte Carlo.")

    _designs_sheet(wb, ds, header, lists)
    sources = ds.designs.reindex(columns=list(DESIGN_SOURCE_COLUMNS))
    sources = sources[sources["source"].astype(str).str.len() > 0]
    _table(wb, wb.add_worksheet(DESIGN_SOURCES_SHEET), "DesignSources", list(DESIGN_SOURCE_COLUMNS), sources, header)
    scen = scenarios if scenarios is not None else pd.DataFrame(columns=list(SCENARIO_COLUMNS))
    ws = wb.add_worksheet(SCENARIOS_SHEET)
    _table(wb, ws, SCENARIOS_SHEET, list(SCENARIO_COLUMNS), scen.reindex(columns=list(SCENARIO_COLUMNS)), header)
    ws.write_comment(0, 1, "PATH=VALUE, PATH=+20%, PATH=-15% or PATH=x1.5; e.g. price.li2co3=60000", {"x_scale": 2})
    ws.write_comment(0, 2, "Blank = every year; or 2026; or 2026, 2027; or 2026-2028")
    _optimizer_sheets(wb, ds, optimizer, header, lists)
    _supply_sheets(wb, ds, header, lists)
    _derived_cells(wb, ds, header, bold, optimizer)
    _lists_sheet(wb, lists)
    for ws in wb.worksheets():
        name = ws.get_name()
        if name == GUIDE_SHEET:
            print_layout(ws, header_rows=0, landscape=False)
        elif name != LISTS_SHEET:
            print_layout(ws, header_rows=1, repeat_columns=len(DESIGN_FIXED_COLUMNS) if name == DESIGNS_SHEET else 0)


def _supply_sheets(wb, ds: Dataset, header, lists: dict[str, tuple[str, ...]]) -> None:
    """The three supply sheets (Segments, Capacity, Reported production) from the bundled tables: numbers as numbers,
    a note on every header, dropdowns (long lists go to the Lists sheet, written after this)."""
    from costmodel.io.supply_sheets import supply_sheet_choices, supply_sheet_notes
    from costmodel.supply.data import COLUMNS as SUPPLY_COLUMNS
    from costmodel.supply.data import SHEETS as SUPPLY_SHEETS
    from costmodel.supply.data import read_default_tables as supply_tables

    tables = supply_tables()
    for sheet, table in SUPPLY_SHEETS:
        columns = list(SUPPLY_COLUMNS[table])
        frame = tables[table].reindex(columns=columns).copy()
        for col in ("period", "value"):
            frame[col] = frame[col].map(lambda v: _as_number(v) if str(v).strip() else None)
        ws = wb.add_worksheet(sheet)
        _table(wb, ws, sheet, columns, frame, header, {"period": YEAR_FORMAT})
        for j, col in enumerate(columns):
            ws.write_comment(0, j, supply_sheet_notes(table, col), {"x_scale": 2.5, "y_scale": 2})
            values, warn = supply_sheet_choices(table, col, ds)
            if values:
                lists.setdefault(f"{table}.{col}", values)
                _dropdown(ws, j, len(frame), col, lists, values, warn)


def _derived_cells(wb, ds: Dataset, header, title, optimizer: Mapping[str, pd.DataFrame]) -> None:
    """The Derived sheet, and its figures as formulas in Plant (reference cell) and Optimizer settings (expansion cost),
    shaded grey: derived, not typed."""
    from costmodel.io.derived_sheet import write_derived_sheet

    derived_fmt = wb.add_format({"bg_color": "#E7E6E6", "italic": True, "num_format": "#,##0.0####"})
    out = write_derived_sheet(wb, ds, {"head": header, "title": title, "derived": derived_fmt})
    plant = wb.get_worksheet_by_name(next(spec.sheet for spec in LONG_SHEETS if spec.table == "globals"))
    for i, name in enumerate(_globals_frame(ds)["name"], start=1):
        if name in out.cells:
            plant.write_formula(i, 1, out.cells[name][0], derived_fmt, out.cells[name][1])
            plant.write_comment(i, 1, "Derived: a formula over the Derived sheet (the reference design's cell); do not type")
    settings = next(spec for spec in OPTIMIZER_SHEETS if spec.table == "settings")
    ws = wb.get_worksheet_by_name(settings.sheet)
    names = list(optimizer["settings"]["name"])
    if ws is not None and "expansion_musd_per_gwh" in names:  # typed (the optimizer reads numbers): the Derived sheet computes it
        i = names.index("expansion_musd_per_gwh") + 1
        ws.write_comment(i, list(settings.columns).index("value"), f"Derived sheet: {out.cells['expansion_musd_per_gwh'][1]:.2f} "
                         "= reference capex / FX x the design's conversion ratio (update this cell when they change)",
                         {"x_scale": 2})


def _optimizer_sheets(wb, ds: Dataset, tables: Mapping[str, pd.DataFrame], header, lists: dict[str, tuple[str, ...]]) -> None:
    """The six optimizer sheets: numbers written as numbers, a comment on each header, dropdowns and bounds."""
    routes = tables["routes"]
    families = tuple(dict.fromkeys(f for f in routes["family"] if f)) if "family" in routes.columns else ()
    choices: dict[str, tuple[tuple[str, ...], bool]] = {  # column → (values, a warning only: other values are allowed)
        "design": ((ALL_DESIGNS, *ds.design_names), False), "family": (families, True), "item": (lists["items"], False),
        "unit": (PRICE_UNITS, False), "status": (STATUSES, False), "settings.name": ((*SETTINGS, *OPTIONAL_SETTINGS), True),
        "settings.unit": ((), False),
    }
    for spec in OPTIMIZER_SHEETS:
        columns = list(spec.columns)
        docs = {c: _doc(spec.table, c) for c in columns}
        frame = tables[spec.table].reindex(columns=columns)
        for col, doc in docs.items():
            if doc.num_format:
                frame[col] = frame[col].map(_as_number)
        ws = wb.add_worksheet(spec.sheet)
        _table(wb, ws, spec.sheet, columns, frame, header, {c: d.num_format for c, d in docs.items() if d.num_format})
        n = len(frame)
        for j, col in enumerate(columns):
            doc = docs[col]
            ws.write_comment(0, j, doc.note, {"x_scale": 2.5, "y_scale": 1.5})
            key = f"{spec.table}.{col}"
            values, warn = choices[key] if key in choices else choices.get(col, ((), False))
            if values:
                _dropdown(ws, j, n, col, lists, values, warn)
            elif doc.num_format == YEAR_FORMAT:
                ws.data_validation(1, j, max(n, 1) + 200, j, {
                    "validate": "integer", "criteria": "between", "minimum": FIRST_YEAR, "maximum": LAST_YEAR,
                    "error_title": col, "error_message": f"{col}: a year between {FIRST_YEAR} and {LAST_YEAR}."})
            elif doc.minimum is not None:
                ws.data_validation(1, j, max(n, 1) + 200, j, {
                    "validate": "decimal", "criteria": ">" if doc.above else ">=", "value": doc.minimum,
                    "error_title": col, "error_message": f"{col}: a number {'above' if doc.above else 'at least'} {doc.minimum:g}."})


def _as_number(text: object) -> object:
    """A table cell to write: the number in ``text``, or ``text`` itself when it is not a number (kept as written)."""
    try:
        return parse_number(text)
    except ValueError:
        return text


def _dropdown(ws, j: int, n: int, col: str, lists: dict[str, tuple[str, ...]], values, warn: bool = False) -> None:
    """A list validation on column ``j`` below the header (``n`` rows of data and 200 more); ``warn``: other values allowed."""
    options = {"validate": "list", "source": _list_ref(col, lists, values), "error_title": f"{col}",
               "error_message": f"Choose a {col} from the list."}
    if warn:
        options.update(error_type="warning", error_message=f"{col} is not in the list: keep it only if you mean a new one.")
    ws.data_validation(1, j, max(n, 1) + 200, j, options)


def _globals_frame(ds: Dataset) -> pd.DataFrame:
    catalog = load_catalog()
    g = ds.globals.copy()
    g["unit"] = [catalog[("global", n)].unit for n in g["name"]]
    g["description"] = [catalog[("global", n)].description for n in g["name"]]
    return g


def _lists(ds: Dataset) -> dict[str, tuple[str, ...]]:
    items = ds.items
    out = {"items": tuple(items["item"]), "units": PRICE_UNITS, "status": STATUSES}
    for cat in sorted(set(items["category"])):
        out[f"items:{cat}"] = tuple(items.loc[items["category"] == cat, "item"])
    for role in ("cathode", "anode"):
        out[f"materials:{role}"] = tuple(dict.fromkeys(ds.materials.loc[ds.materials["role"] == role, "material"]))
    out["designs"] = ds.design_names
    out["designs*"] = (ALL_DESIGNS, *ds.design_names)
    for spec in scope_specs("design"):  # a material choice that may also be a literal (anode_material_2: none first)
        kind, arg, literal = spec.choice_source() if spec.kind == "choice" else ("", "", ())
        if kind == "materials" and literal:
            out[spec.choices] = (*literal, *out[f"materials:{arg}"])
    _SIZES.update(items=len(items), materials=len(ds.materials), designs=len(ds.design_names))
    return out


LIST_ROOM = 300
"""Rows (or design columns) beyond the written data that the dropdowns' ranges cover, so new rows can be picked."""


def _table_source(key: str, ds_sizes: Mapping[str, int]) -> tuple[str, str] | None:
    """How a table-fed list is built: ("range", a range over the table column) or ("formula", a Lists-sheet formula with
    ``{k}`` for the 1-based position and ``{cell}`` for the range from the list's first row to this one); None when the
    list is not fed by a table."""
    n_items, n_mat = ds_sizes["items"] + LIST_ROOM, ds_sizes["materials"] + LIST_ROOM
    last_design = column_letter(len(DESIGN_FIXED_COLUMNS) + ds_sizes["designs"] + 40)
    first_design = column_letter(len(DESIGN_FIXED_COLUMNS))
    if key == "items":
        return "range", f"=Items!$A$2:$A${n_items}"
    if key == "designs":
        return "range", f"={DESIGNS_SHEET}!${first_design}$1:${last_design}$1"
    if key == "designs*":
        return "formula", (f'=IF({{k}}=1,"{ALL_DESIGNS}",INDEX({DESIGNS_SHEET}!${first_design}$1:${last_design}$1,1,{{k}}-1)&"")')
    if key.startswith("items:"):
        cat = key.split(":", 1)[1]
        return "formula", (f'=IFERROR(INDEX(Items!$A$1:$A${n_items},SMALL(IF(Items!$C$2:$C${n_items}="{cat}",'
                           f'ROW(Items!$C$2:$C${n_items})),{{k}})),"")')
    if key.startswith("materials:"):
        role, *literal = key.split(":", 1)[1].split("|")
        k = f"{{k}}-{len(literal)}" if literal else "{k}"
        formula = (f'IFERROR(INDEX(Materials!$A$1:$A${n_mat},SMALL(IF((Materials!$B$2:$B${n_mat}="{role}")*'
                   f'(Materials!$C$2:$C${n_mat}="capacity_ah_kg"),ROW(Materials!$B$2:$B${n_mat})),{k})),"")')
        for i, value in reversed(list(enumerate(literal, start=1))):  # the literal values first (none), then the table's
            formula = f'IF({{k}}={i},"{value}",{formula})'
        return "formula", "=" + formula
    return None


def _list_ref(name: str, lists: dict[str, tuple[str, ...]], values) -> object:
    """A dropdown source: a range over the table the values come from (items, materials, designs: a row added to the
    table can be picked), else a literal list when short, else a range on the Lists sheet."""
    values = tuple(values)
    keys = list(lists)
    key = next((k for k in keys if lists[k] == values), None)
    source = _table_source(key, _SIZES) if key is not None else None
    if source is not None and source[0] == "range":
        return source[1]
    if source is None and sum(len(v) + 1 for v in values) < 250:
        return list(values)
    key = key or "items"
    col = column_letter(keys.index(key))
    return f"={LISTS_SHEET}!${col}$2:${col}${len(lists[key]) + 1 + (LIST_ROOM // 10 if source else 0)}"


_SIZES: dict[str, int] = {"items": 0, "materials": 0, "designs": 0}
"""Row counts of the tables feeding the dropdowns (set by ``_lists`` for the workbook being written)."""


def _lists_sheet(wb, lists: dict[str, tuple[str, ...]]) -> None:
    """The hidden Lists sheet: lists fed by a table are formulas over that table (they grow with it); others are text."""
    ws = wb.add_worksheet(LISTS_SHEET)
    for j, (name, values) in enumerate(lists.items()):
        ws.write_string(0, j, name)
        source = _table_source(name, _SIZES)
        if source is not None and source[0] == "formula":
            for k in range(1, len(values) + 1 + LIST_ROOM // 10):
                cached = values[k - 1] if k <= len(values) else ""
                formula = source[1].replace("{k}", str(k))
                if "SMALL(IF(" in formula:
                    ws.write_array_formula(k, j, k, j, "{" + formula + "}", None, cached)
                else:
                    ws.write_formula(k, j, formula, None, cached)
            continue
        for i, v in enumerate(values, start=1):
            ws.write_string(i, j, v)
    ws.hide()


def _write_cell(ws, r: int, c: int, value: object, fmt) -> None:
    """Write ``value``: blank, a number (in ``fmt``, a format or a callable choosing one by value) or text."""
    if value is None or (isinstance(value, float) and value != value):
        ws.write_blank(r, c, None)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, float(value), fmt(float(value)) if callable(fmt) else fmt)
    else:
        ws.write_string(r, c, str(value))


def _table(wb, ws, name: str, columns: list[str], frame: pd.DataFrame, header, formats: Mapping[str, str] | None = None) -> None:
    """An Excel table of ``frame`` with a frozen header; ``formats``: number format by column (beside ``COLUMN_FORMATS``)."""
    fmts = {"#,##0.##": wb.add_format({"num_format": "#,##0.##"}), "General": None}
    by_column = {**COLUMN_FORMATS, **(formats or {})}
    for f in sorted(set(by_column.values()) - set(fmts)):
        fmts[f] = wb.add_format({"num_format": f})
    column_fmt = [fmts[by_column[c]] if c in by_column else (lambda v: fmts[_fmt_for(v)]) for c in columns]
    n = len(frame)
    ws.add_table(0, 0, max(n, 1), len(columns) - 1,
                 {"name": name.replace(" ", ""), "columns": [{"header": c, "header_format": header} for c in columns],
                  "style": "Table Style Light 9", "autofilter": True})
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            _write_cell(ws, i, j, value, column_fmt[j])
    widths = {"source": 70, "description": 60, "change": 40}
    for j, col in enumerate(columns):
        longest = max((len(str(v)) for v in frame[col] if v is not None and v == v), default=0) if n else 0
        ws.set_column(j, j, widths.get(col, min(40, max(12, len(col) + 2, longest + 2))))  # names fit their column
    ws.freeze_panes(1, 0)


def _designs_sheet(wb, ds: Dataset, header, lists: dict[str, tuple[str, ...]]) -> None:
    ws = wb.add_worksheet(DESIGNS_SHEET)
    designs = ds.design_names
    columns = [*DESIGN_FIXED_COLUMNS, *designs]
    for j, col in enumerate(columns):
        ws.write_string(0, j, col, header)
    wide = ds.designs.pivot(index="parameter", columns="design", values="value")
    number = wb.add_format({"num_format": "General", "bg_color": "#FFFFFF", "border": 1, "border_color": "#BFBFBF"})
    r = 1
    for spec in scope_specs("design"):
        ws.write_string(r, 0, spec.name)
        ws.write_string(r, 1, spec.unit)
        ws.write_string(r, 2, spec.description)
        bounds = f"; bounds [{spec.lower:g}, {spec.upper:g}]" if spec.kind == "number" else ""
        ws.write_comment(r, 0, f"{spec.description}\nUnit: {spec.unit or '-'}{bounds}", {"x_scale": 2, "y_scale": 1.5})
        for j, d in enumerate(designs, start=len(DESIGN_FIXED_COLUMNS)):
            value = wide.at[spec.name, d] if spec.name in wide.index else None
            if spec.kind == "number" and value is not None:
                ws.write_number(r, j, float(value), number)
            elif value is not None:
                ws.write_string(r, j, str(value), number)
        if spec.kind == "choice":
            choices = lists.get(spec.choices) or tuple(spec.choices.split("|"))
            ws.data_validation(r, len(DESIGN_FIXED_COLUMNS), r, len(columns) + 5,
                               {"validate": "list", "source": _list_ref(spec.choices, lists, choices)})
        elif spec.kind == "number":
            ws.data_validation(r, len(DESIGN_FIXED_COLUMNS), r, len(columns) + 5,
                               {"validate": "decimal", "criteria": "between", "minimum": spec.lower, "maximum": spec.upper,
                                "error_message": f"{spec.name}: between {spec.lower:g} and {spec.upper:g} {spec.unit}"})
        r += 1
    ws.set_column(0, 0, max(len(spec.name) for spec in scope_specs("design")) + 2)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 50)
    ws.set_column(3, 3 + len(designs), 22)
    ws.freeze_panes(1, 3)
