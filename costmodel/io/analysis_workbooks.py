"""Workbooks of the analysis commands (``optimize --out``, ``sensitivity --out``, ``diff --out``): typed cells, units in
every header, native charts (a cost path line, a tornado, a waterfall per design) and a print layout.

Numbers are stored as numbers (text such as ``"98000"`` or ``"2025.0"`` from a table of mixed values is converted),
years as integers, and each header names its unit: ``cost_low [USD/kWh]``. A PNG, when one was drawn, goes on its own
sheet beside the native charts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from costmodel.io.atomic import atomic_path
from costmodel.io.print_layout import print_layout

UNIT_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|_)usd_per_kwh$|^cost(_|$)|^cost_|_cost$|^swing$|^base_cost$|^stderr$|^change$|^cost_[ab]$", "USD/kWh"),
    (r"_musd$|^spend|musd", "M USD"),
    (r"_gwh$|^gwh", "GWh"),
    (r"_kt$|^kt", "kt"),
    (r"_pct$|_percent$", "%"),
    (r"^elasticity$", "-"),
    (r"^year$|_year$|^first_year$|^rank$", ""),
)
"""Column name pattern → unit (first match wins); '' for a count or a year."""
YEAR_COLUMNS = re.compile(r"(^|_)year$")


def column_unit(name: str) -> str | None:
    """Unit of a column from its name (None when unknown: the column holds text or mixed units)."""
    for pattern, unit in UNIT_RULES:
        if re.search(pattern, name):
            return unit
    return None


def typed(value: object) -> object:
    """A cell value as stored: numbers as numbers (numeric text converted), integral years as int, NaN as blank."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    text = str(value).strip()
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return text
    return number if math.isfinite(number) else text


@dataclass(frozen=True)
class Sheet:
    """A table to write: its frame, units by column (beside the name rules) and an optional chart builder.

    Attributes:
        frame: the table.
        units: column → unit, overriding ``column_unit``.
        chart: called with (workbook, worksheet, frame, first data row) after the table is written.
        note: a line written above the table (the table then starts one row lower).
    """

    frame: pd.DataFrame
    units: Mapping[str, str] | None = None
    chart: Callable | None = None
    note: str = ""


def write_analysis_workbook(path: Path, sheets: Mapping[str, Sheet], images: Mapping[str, Path] | None = None,
                            protect: Path | None = None) -> Path:
    """Write ``sheets`` (name → Sheet) and PNG ``images`` (sheet name → file) to a new .xlsx, atomically."""
    import xlsxwriter

    with atomic_path(Path(path), protect) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
        fmt = {"head": wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"}),
               "num": wb.add_format({"num_format": "#,##0.0####"}), "int": wb.add_format({"num_format": "0"}),
               "note": wb.add_format({"italic": True})}
        for name, sheet in sheets.items():
            ws = wb.add_worksheet(name[:31])
            top = 0
            if sheet.note:
                ws.write_string(0, 0, sheet.note, fmt["note"])
                top = 1
            _write_table(ws, sheet, fmt, top)
            if sheet.chart is not None:
                sheet.chart(wb, ws, sheet.frame, top + 1)
            print_layout(ws, header_rows=top + 1)
        for name, png in (images or {}).items():
            ws = wb.add_worksheet(name[:31])
            ws.insert_image(1, 1, str(png))
            print_layout(ws, header_rows=0)
        wb.close()
    return Path(path)


def _write_table(ws, sheet: Sheet, fmt: Mapping[str, object], top: int) -> None:
    frame = sheet.frame
    units = dict(sheet.units or {})
    for j, col in enumerate(frame.columns):
        unit = units.get(str(col), column_unit(str(col)))
        head = f"{col} [{unit}]" if unit else str(col)
        ws.write_string(top, j, head, fmt["head"])
        width = max(12, min(60, len(head) + 2, max((len(str(v)) for v in frame[col].head(200)), default=0) + 2))
        ws.set_column(j, j, width)
    for i, row in enumerate(frame.itertuples(index=False), start=top + 1):
        for j, v in enumerate(row):
            cell = typed(v)
            col = str(frame.columns[j])
            if cell is None:
                ws.write_blank(i, j, None)
            elif isinstance(cell, bool):
                ws.write_boolean(i, j, cell)
            elif isinstance(cell, (int, float)):
                if YEAR_COLUMNS.search(col) and float(cell).is_integer():
                    ws.write_number(i, j, int(cell), fmt["int"])
                else:
                    ws.write_number(i, j, float(cell), fmt["num"])
            else:
                ws.write_string(i, j, cell)
    ws.freeze_panes(top + 1, 0)
    if len(frame.columns):
        ws.autofilter(top, 0, top + max(len(frame), 1), len(frame.columns) - 1)


# -- optimize -------------------------------------------------------------------------------------------------------------


def optimize_sheets(frames: Mapping[str, pd.DataFrame], design: str) -> dict[str, Sheet]:
    """The optimizer's tables, with a native line chart of the cost path (engine cost and target per year)."""
    labels = {"cost_engine": f"{design}: engine cost", "cost_model": f"{design}: optimizer cost",
              "target_usd_per_kwh": "target"}

    def path_chart(wb, ws, frame: pd.DataFrame, first: int) -> None:
        cols = list(frame.columns)
        n = len(frame)
        chart = wb.add_chart({"type": "line"})
        for y in ("cost_engine", "target_usd_per_kwh"):
            if y in cols:
                c = cols.index(y)
                chart.add_series({"name": labels[y], "categories": [ws.get_name(), first, cols.index("year"), first + n - 1,
                                                                    cols.index("year")],
                                  "values": [ws.get_name(), first, c, first + n - 1, c], "marker": {"type": "circle"}})
        chart.set_title({"name": f"Cost path: {design}"})
        chart.set_y_axis({"name": "USD/kWh", "min": 0, "major_gridlines": {"visible": True}})
        chart.set_x_axis({"name": "year"})
        ws.insert_chart(first + n + 2, 0, chart, {"object_position": 3})

    out: dict[str, Sheet] = {}
    for name, frame in frames.items():
        out[name] = Sheet(frame, chart=path_chart if name == "Path" and "year" in frame.columns else None)
    return out


# -- sensitivity ----------------------------------------------------------------------------------------------------------


def tornado_sheets(table: pd.DataFrame, design: str, top: int, unit_of: Callable[[str], str]) -> dict[str, Sheet]:
    """The tornado table (units: the inputs' own in a unit column) and a native tornado chart of the ``top`` inputs."""
    frame = table.copy()
    frame.insert(frame.columns.get_loc("base"), "unit", [unit_of(p) for p in frame["parameter"]])
    used = frame[(frame["design"] == design) & frame["affects"]].sort_values("rank").head(top)
    base_cost = float(used["base_cost"].iloc[0]) if len(used) else float("nan")
    chart_frame = pd.DataFrame({
        "parameter": used["parameter"], "unit": used["unit"], "low": used["low"], "high": used["high"],
        "cost_at_low_minus_base": used["cost_low"] - base_cost, "cost_at_high_minus_base": used["cost_high"] - base_cost,
    }).iloc[::-1]  # the largest swing on top of a bar chart

    def tornado_chart(wb, ws, frame: pd.DataFrame, first: int) -> None:
        n = len(frame)
        if not n:
            return
        chart = wb.add_chart({"type": "bar"})
        for c, name, colour in ((4, "input at its low", "#4472C4"), (5, "input at its high", "#ED7D31")):
            chart.add_series({"name": name, "categories": [ws.get_name(), first, 0, first + n - 1, 0],
                              "values": [ws.get_name(), first, c, first + n - 1, c], "fill": {"color": colour},
                              "overlap": 100, "gap": 40})
        chart.set_title({"name": f"Tornado {design}: change of cost from {base_cost:.2f} USD/kWh"})
        chart.set_x_axis({"name": "change of cell cost, USD/kWh", "major_gridlines": {"visible": True}})
        chart.set_y_axis({"reverse": False, "label_position": "low"})
        chart.set_size({"width": 820, "height": max(320, 26 * n + 120)})
        ws.insert_chart(1, 7, chart, {"object_position": 3})

    units = {"base": "input's unit", "low": "input's unit", "high": "input's unit"}
    return {"Tornado": Sheet(frame, units), "Tornado chart": Sheet(chart_frame, {**units, "cost_at_low_minus_base": "USD/kWh",
                                                                                   "cost_at_high_minus_base": "USD/kWh"},
                                                                   tornado_chart, f"Tornado of {design}: top {len(used)} inputs")}


# -- diff -----------------------------------------------------------------------------------------------------------------


def moved_designs(totals: pd.DataFrame, parts: pd.DataFrame, tol: float = 1e-12) -> tuple[list[str], list[str]]:
    """(designs whose cost changes, designs that did not move) between the two sides."""
    moved = [str(d) for d, c in zip(totals["design"], totals["change"], strict=True) if abs(float(c)) > tol
             or (not parts.empty and (parts.loc[parts["design"] == d, "usd_per_kwh"].abs() > tol).any())]
    still = [str(d) for d in totals["design"] if str(d) not in moved]
    return moved, still


def waterfall_frame(totals: pd.DataFrame, parts: pd.DataFrame, design: str, a: str, b: str, tol: float = 1e-12) -> pd.DataFrame:
    """Waterfall rows of one design: cost A, each input's part (non-zero), cost B; with the invisible base, rise and fall
    columns a stacked column chart draws (USD/kWh)."""
    t = totals[totals["design"] == design].iloc[0]
    rows = [(f"cost {a}", float(t.cost_a), 0.0, float(t.cost_a), 0.0, 0.0)]
    running = float(t.cost_a)
    mine = parts[(parts["design"] == design) & (parts["usd_per_kwh"].abs() > tol)]
    for r in mine.reindex(mine["usd_per_kwh"].abs().sort_values(ascending=False).index).itertuples():
        v = float(r.usd_per_kwh)
        base = running + min(v, 0.0)
        rows.append((str(r.input), v, base, 0.0, max(v, 0.0), max(-v, 0.0)))
        running += v
    rows.append((f"cost {b}", float(t.cost_b), 0.0, float(t.cost_b), 0.0, 0.0))
    return pd.DataFrame(rows, columns=["step", "usd_per_kwh", "base_usd_per_kwh", "total_usd_per_kwh", "rise_usd_per_kwh",
                                       "fall_usd_per_kwh"])


def diff_sheets(totals: pd.DataFrame, parts: pd.DataFrame, a: str, b: str) -> dict[str, Sheet]:
    """Totals, parts, and one native waterfall per design whose cost changes; a note names the designs that did not move."""
    moved, still = moved_designs(totals, parts)
    note = (f"{', '.join(still)}: cost did not move between {a} and {b}" if still else "") + \
        ("" if moved else f"; no design's cost moves between {a} and {b}")
    parts = parts.copy()
    for col in ("a_value", "b_value"):
        if col in parts.columns:
            parts[col] = [typed(v) for v in parts[col]]
    out = {"Totals": Sheet(totals, note=note.strip("; ")), "Parts": Sheet(parts, {"a_value": "input's unit",
                                                                                "b_value": "input's unit"})}

    def chart_for(design: str) -> Callable:
        def waterfall(wb, ws, frame: pd.DataFrame, first: int) -> None:
            n = len(frame)
            chart = wb.add_chart({"type": "column", "subtype": "stacked"})
            for c, name, fill in ((2, "base", {"none": True}), (3, "cost", {"color": "#7F7F7F"}),
                                  (4, "rise", {"color": "#C00000"}), (5, "fall", {"color": "#70AD47"})):
                chart.add_series({"name": name, "categories": [ws.get_name(), first, 0, first + n - 1, 0],
                                  "values": [ws.get_name(), first, c, first + n - 1, c], "fill": fill, "gap": 50,
                                  **({"border": {"none": True}} if name == "base" else {})})
            chart.set_title({"name": f"Cost change {a} -> {b}: {design}"})
            chart.set_y_axis({"name": "USD/kWh", "major_gridlines": {"visible": True}})
            chart.set_legend({"delete_series": [0]})
            chart.set_size({"width": 760, "height": 400})
            ws.insert_chart(first + n + 2, 0, chart, {"object_position": 3})
        return waterfall

    for design in moved:
        out[f"Waterfall {design}"[:31]] = Sheet(waterfall_frame(totals, parts, design, a, b), chart=chart_for(design),
                                                note=f"Waterfall of {design}: cost {a}, each input's part, cost {b}")
    return out
