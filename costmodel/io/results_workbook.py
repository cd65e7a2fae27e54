"""The results workbook: summary, component breakdown with native charts, masses, inputs, provenance.

Material-cost lines and totals are live Excel formulas (quantity × price on the BOM sheet,
INDEX/MATCH from Components into BOM and FX, SUMIFS for totals) that carry the engine's numbers as
cached values, so a planner can trace and tweak them in Excel, and any spreadsheet that recalculates
(LibreOffice in the tests) gets the engine's numbers back. Only INDEX/MATCH/SUMIFS/IFERROR are used.

The file is written atomically: a temporary file in the same folder, then ``os.replace``; a failure
leaves any existing results file untouched.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from costmodel.engine.cost import COMPONENTS
from costmodel.engine.inputs import StaticData
from costmodel.io.atomic import atomic_path, write_frame
from costmodel.io.live_model import FIRST_ROW, LiveModel, build_live_model, fast_formulas, write_calc_sheet, write_inputs_sheet
from costmodel.io.print_layout import print_layout
from costmodel.results import Results

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(COMPONENTS.values()))
CATEGORY_LABELS = {"materials": "materials", "manufacturing": "manufacturing (conversion)", "scrap": "yield loss (scrap)",
                   "overhead": "SG&A overhead", "margin": "margin"}
"""Chart and table labels of the component categories: what each is."""
GUIDE = (
    "costmodel results workbook: a live model of the cell cost",
    "",
    "What is where",
    "  Summary       cost per scenario, design and year (USD/kWh, CNY/Wh), energy density, gap to the reference design.",
    "  Comparison    scenarios down, designs across, and a clustered bar chart on one axis scale.",
    "  Components    every cost component; Charts: cost by category per scenario (one axis scale for all).",
    "  BOM           bill of materials: quantity per kWh x price (USD per unit); the yield-loss of each line is in the scrap",
    "                components.",
    "  Calc <design> the live model of each design: the engine's equations, one row each, one column per scenario and year.",
    "  Inputs        every input of every scenario and year: parameters down, scenario|year across, with unit and meaning.",
    "  Masses, Metrics: masses per kWh and cell metrics, linked to the Calc sheets; Scenarios, Provenance: what was run.",
    "",
    "A live model",
    "  Every cost line is a formula chain back to the Inputs sheet: prices and FX (price links applied), the design's",
    "  physics (masses, areas, porosity and electrolyte, housing of its cell format, cells per kWh), conversion (capex with",
    "  plant scale and region, labour, energy, maintenance, overhead, utilisation, learning), scrap at each yield, import",
    "  duty, SG&A and margin. Edit a number in the Inputs sheet (yellow cells, blue text) and the workbook recalculates to",
    "  the numbers `costmodel whatif --set PARAMETER=VALUE` gives for that change in that scenario and year.",
    "  Choices (materials, cell format, plant region) are written into the formulas: change them with costmodel run.",
    "  Item densities and molar masses come from the Items table (typed on the Calc sheets, marked 'Items table').",
    "",
    "Colours",
    "  yellow cell, blue text = input you may edit (Inputs sheet); green text = an input looked up by name;",
    "  black = derived (a formula); bold = a cost component; a total has a line above it.",
    "",
    "Categories",
    "  materials = bill of materials and import duty; manufacturing (conversion) = capital, maintenance, labour, energy,",
    "  plant overhead; yield loss (scrap) = material and cell scrap at the electrode, assembly and cell yields;",
    "  SG&A overhead; margin.",
    "",
    "The formulas use INDEX, MATCH, SUMIFS, IF, MAX, LOG, PI and arithmetic only (Excel and LibreOffice); no macros.",
)
"""The Guide sheet of the results workbook."""
CHART_COLOURS = {"materials": "#4472C4", "manufacturing": "#ED7D31", "scrap": "#A5A5A5", "overhead": "#FFC000", "margin": "#70AD47"}


def _key(*parts: object) -> str:
    return "|".join(str(p) for p in parts)


def write_results_workbook(
    path: Path,
    results: Results,
    *,
    inputs: pd.DataFrame,
    provenance: dict[str, str],
    scenarios: pd.DataFrame | None = None,
    protect: Path | None = None,
    static: StaticData | None = None,
) -> Path:
    """Write the results workbook to ``path`` atomically; returns ``path``.

    Args:
        path: new .xlsx file (replaced atomically if it exists).
        results: evaluated scenarios x designs x years.
        inputs: inputs snapshot (scenario, year, parameter, value, unit).
        provenance: key/value rows (input hash, tool version, time, FX, scenario definitions).
        scenarios: scenario definitions (scenario, change, years, description).
        protect: the input workbook, which must never be written.
        static: the dataset's items, units and price links (the live model's price conversions); the bundled
            dataset's when omitted.

    Raises:
        ValueError: if ``path`` is the protected input file.
    """
    import xlsxwriter

    with atomic_path(path, protect) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"title": "costmodel results", "author": "costmodel"})
        if static is None:
            from costmodel.dataset import load_default

            static = load_default().static
        _Writer(wb, results, inputs, provenance, scenarios, static).write()
        wb.close()
    return path


class _Writer:
    def __init__(self, wb, results: Results, inputs: pd.DataFrame, provenance: dict[str, str], scenarios: pd.DataFrame | None,
                 static: StaticData):
        self.wb, self.r, self.inputs, self.prov, self.scen, self.static = wb, results, inputs, provenance, scenarios, static
        self.head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
        self.usd = wb.add_format({"num_format": "0.000"})
        self.cny = wb.add_format({"num_format": "0.0000"})
        self.num = wb.add_format({"num_format": "0.0####"})
        self.pct = wb.add_format({"num_format": "0.0"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.units = {str(p): str(u) for p, u in zip(inputs["parameter"], inputs["unit"], strict=True) if u and u != "choice"}
        self.input_formats = {
            "head": self.head, "text": wb.add_format({"font_color": "#595959"}),
            "input": wb.add_format({"num_format": "0.0####", "font_color": "#0000FF", "bg_color": "#FFF2CC"}),
            "choice": wb.add_format({"font_color": "#0000FF", "bg_color": "#F2F2F2"}),
        }
        self.calc_formats = {
            "head": self.head, "title": self.title, "text": wb.add_format({"italic": True, "font_color": "#595959"}),
            "lookup": wb.add_format({"num_format": "0.0####", "font_color": "#00803C"}),
            "derived": wb.add_format({"num_format": "0.0####"}),
            "component": wb.add_format({"num_format": "0.0####", "bold": True}),
            "total": wb.add_format({"num_format": "0.000", "bold": True, "top": 1}),
        }

    def write(self) -> None:
        taken = {"summary", "components", "charts", "bom", "fx", "masses", "metrics", "inputs", "scenarios", "provenance",
                 "over the years", "guide", "comparison"}
        self.live: LiveModel = build_live_model(self.r, self.inputs, self.static, self.units, taken)
        guide = self.wb.add_worksheet("Guide")
        summary = self.wb.add_worksheet("Summary")
        comparison = self.wb.add_worksheet("Comparison")
        components = self.wb.add_worksheet("Components")
        charts = self.wb.add_worksheet("Charts")
        bom = self.wb.add_worksheet("BOM")
        years = self.wb.add_worksheet("Over the years") if self.r.fx["year"].nunique() > 1 else None
        calc = {design: self.wb.add_worksheet(name) for design, name in self.live.names.items()}
        fx = self.wb.add_worksheet("FX")
        masses, metrics, inputs = (self.wb.add_worksheet(n) for n in ("Masses", "Metrics", "Inputs"))
        self.at = write_inputs_sheet(inputs, self.inputs, self.static, self.units, self.input_formats)
        for ws in (summary, comparison, components, charts, bom, fx, *calc.values()):
            fast_formulas(ws)
        for design, ws in calc.items():
            write_calc_sheet(ws, self.live, design, self.at, self.calc_formats)
        self._fx(fx)
        self._bom(bom)
        self._components(components)
        self._summary(summary)
        self._comparison(comparison)
        self._charts(charts)
        self._guide(guide)
        if years is not None:
            fast_formulas(years)
            self._years(years)
        self._linked(masses, self.r.masses, "part")
        self._linked(metrics, self.r.metrics, "metric")
        if self.scen is not None:
            self._frame("Scenarios", self.scen)
        self._frame("Provenance", pd.DataFrame(list(self.prov.items()), columns=["key", "value"]))
        for ws in self.wb.worksheets():
            if ws.get_name() not in ("Guide", "Charts", "Comparison", "Over the years"):
                print_layout(ws, header_rows=FIRST_ROW if ws.get_name() in self.live.names.values() else 1,
                             repeat_columns=2 if ws.get_name() in self.live.names.values() else 0)

    # -- sheets ------------------------------------------------------------------------------------

    def _header(self, ws, columns: list[str], widths: dict[int, int] | None = None) -> None:
        for j, c in enumerate(columns):
            ws.write_string(0, j, c, self.head)
            ws.set_column(j, j, (widths or {}).get(j, max(12, len(c) + 2)))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, 0, len(columns) - 1)

    def _fx(self, ws) -> None:
        self._header(ws, ["scenario", "year", "cny_per_usd", "key"])
        for i, r in enumerate(self.r.fx.drop_duplicates(["scenario", "year"]).itertuples(), start=1):
            ws.write_string(i, 0, str(r.scenario))
            ws.write_number(i, 1, int(r.year))
            ws.write_formula(i, 2, "=" + self.at.lookup(_key(r.scenario, r.year), "fx.cny_per_usd"), None, float(r.cny_per_usd))
            ws.write_string(i, 3, _key(r.scenario, r.year))

    def _bom(self, ws) -> None:
        cols = ["scenario", "design", "year", "component", "item", "quantity", "quantity_unit", "price_usd", "yield",
                "usd_per_kwh", "key", "quoted price (Inputs)", "quoted unit"]
        self._header(ws, cols, {10: 40})
        ws.write_comment(0, 9, "= quantity (net, per kWh) x price (USD per quantity unit); what is lost at the yield is in the scrap "
                               "components")
        ws.write_comment(0, 11, "The item's price as quoted in the inputs snapshot (before unit conversion and price links)")
        snap = self._snapshot_index()
        for i, r in enumerate(self.r.bom.rename(columns={"yield": "yld"}).itertuples(), start=1):
            row = i + 1
            ws.write_string(i, 0, str(r.scenario))
            ws.write_string(i, 1, str(r.design))
            ws.write_number(i, 2, int(r.year))
            ws.write_string(i, 3, str(r.component))
            ws.write_string(i, 4, str(r.item))
            _, refs = self.live.refs[(str(r.scenario), str(r.design), int(r.year))]
            qty, price, yld = refs.bom[str(r.component)]
            at = (str(r.scenario), str(r.design), int(r.year))
            ws.write_formula(i, 5, "=" + self.live.cell(*at, qty), self.num, float(r.quantity))
            ws.write_string(i, 6, str(r.quantity_unit))
            ws.write_formula(i, 7, "=" + self.live.cell(*at, price), self.num, float(r.price_usd))
            ws.write_formula(i, 8, "=" + self.live.cell(*at, yld), self.num, float(r.yld))
            ws.write_formula(i, 9, f"=F{row}*H{row}", self.usd, float(r.usd_per_kwh))
            ws.write_string(i, 10, _key(r.scenario, r.design, r.year, r.component))
            quoted = snap.get(_key(r.scenario, r.year, f"price.{r.item}"))
            if quoted is not None:
                ws.write_formula(i, 11, "=" + self.at.lookup(_key(r.scenario, r.year), f"price.{r.item}"), self.num, quoted[0])
                ws.write_string(i, 12, quoted[1])

    def _components(self, ws) -> None:
        self._header(ws, ["scenario", "design", "year", "component", "category", "USD/kWh", "CNY/Wh", "key"], {7: 40})
        usd = self.r.costs[self.r.costs["unit"] == "USD/kWh"].reset_index(drop=True)
        bom_keys = {_key(b.scenario, b.design, b.year, b.component): b.usd_per_kwh for b in self.r.bom.itertuples()}
        rates = {(r.scenario, r.year): float(r.cny_per_usd) for r in self.r.fx.itertuples()}
        for i, u in enumerate(usd.itertuples(), start=1):
            row = i + 1
            key = _key(u.scenario, u.design, u.year, u.component)
            ws.write_string(i, 0, str(u.scenario))
            ws.write_string(i, 1, str(u.design))
            ws.write_number(i, 2, int(u.year))
            ws.write_string(i, 3, str(u.component))
            ws.write_string(i, 4, str(u.category))
            if key in bom_keys:
                ws.write_formula(i, 5, f"=INDEX(BOM!$J:$J,MATCH(H{row},BOM!$K:$K,0))", self.usd, float(bom_keys[key]))
            else:
                _, refs = self.live.refs[(str(u.scenario), str(u.design), int(u.year))]
                ref = self.live.cell(str(u.scenario), str(u.design), int(u.year), refs.components[str(u.component)])
                ws.write_formula(i, 5, "=" + ref, self.usd, float(u.value))
            usd_value = float(bom_keys.get(key, u.value))
            fx = rates[(u.scenario, u.year)]
            ws.write_formula(i, 6, f'=F{row}*INDEX(FX!$C:$C,MATCH(A{row}&"|"&C{row},FX!$D:$D,0))/1000', self.cny,
                             usd_value * fx / 1000)
            ws.write_string(i, 7, key)
        self.n_components = len(usd)

    def _totals(self) -> pd.DataFrame:
        """Engine totals recomputed the way the sheet computes them (BOM lines as quantity x price)."""
        usd = self.r.costs[self.r.costs["unit"] == "USD/kWh"].copy()
        bom = {(b.scenario, b.design, b.year, b.component): b.usd_per_kwh for b in self.r.bom.itertuples()}
        usd["value"] = [bom.get((r.scenario, r.design, r.year, r.component), r.value) for r in usd.itertuples()]
        return usd

    def _summary(self, ws) -> None:
        ref = self.r.reference
        cols = ["scenario", "design", "year", "USD/kWh", "CNY/Wh", "Wh/kg", "Wh/L", f"gap to {ref} (USD/kWh)", f"gap to {ref} (%)"]
        self._header(ws, cols)
        usd = self._totals()
        totals = usd.groupby(["scenario", "design", "year"], sort=False)["value"].sum()
        fx = self.r.fx.drop_duplicates(["scenario", "year"]).set_index(["scenario", "year"])["cny_per_usd"]
        met = self.r.metrics.set_index(["scenario", "design", "year", "metric"])["value"]
        usd["cny"] = usd["value"] * [float(fx[(r.scenario, r.year)]) / 1000 for r in usd.itertuples()]
        cny_totals = usd.groupby(["scenario", "design", "year"], sort=False)["cny"].sum()
        crit = "Components!$A:$A,$A{r},Components!$B:$B,{d},Components!$C:$C,$C{r}"
        for i, ((sc, d, y), total) in enumerate(totals.items(), start=1):
            row = i + 1
            ws.write_string(i, 0, str(sc))
            ws.write_string(i, 1, str(d))
            ws.write_number(i, 2, int(y))
            mine = crit.format(r=row, d=f"$B{row}")
            ws.write_formula(i, 3, f"=SUMIFS(Components!$F:$F,{mine})", self.usd, float(total))
            cny_cached = float(cny_totals[(sc, d, y)])
            ws.write_formula(i, 4, f"=SUMIFS(Components!$G:$G,{mine})", self.cny, cny_cached)
            _, refs = self.live.refs[(str(sc), str(d), int(y))]
            for j, m in ((5, "wh_per_kg"), (6, "wh_per_l")):
                ws.write_formula(i, j, "=" + self.live.cell(str(sc), str(d), int(y), refs.metrics[m]), self.pct,
                                 float(met[(sc, d, y, m)]))
            ref_total = float(totals.get((sc, ref, y), float("nan")))
            if ref_total == ref_total:
                theirs = crit.format(r=row, d=f'"{ref}"')
                gap = float(total) - ref_total
                ws.write_formula(i, 7, f"=D{row}-SUMIFS(Components!$F:$F,{theirs})", self.usd, gap)
                ws.write_formula(i, 8, f"=100*H{row}/(D{row}-H{row})", self.pct, 100 * gap / ref_total)
        ws.set_column(0, 2, 14)
        self.n_summary = len(totals)

    def _charts(self, ws) -> None:
        ws.write_string(0, 0, "Cost by category (USD/kWh): SUMIFS over Components; one axis scale for every scenario", self.title)
        usd = self._totals()
        top = self._axis_max()
        breaks: list[int] = []
        row = 2
        for sc in dict.fromkeys(usd["scenario"]):
            part = usd[usd["scenario"] == sc]
            year = int(part["year"].iloc[0])
            part = part[part["year"] == year]
            designs = list(dict.fromkeys(part["design"]))
            breaks.append(row)
            ws.write_string(row, 0, f"scenario {sc}, {year}", self.head)
            for j, d in enumerate(designs, start=1):
                ws.write_string(row, j, d, self.head)
            for k, cat in enumerate(CATEGORIES, start=1):
                r = row + k
                ws.write_string(r, 0, cat)
                ws.write_comment(r, 0, CATEGORY_LABELS.get(cat, cat))
                for j, d in enumerate(designs, start=1):
                    col = chr(ord("A") + j)
                    cached = float(part[(part["design"] == d) & (part["category"] == cat)]["value"].sum())
                    formula = (f'=SUMIFS(Components!$F:$F,Components!$A:$A,"{sc}",Components!$B:$B,{col}${row + 1},'
                               f'Components!$C:$C,{year},Components!$E:$E,$A{r + 1})')
                    ws.write_formula(r, j, formula, self.usd, cached)
            chart = self.wb.add_chart({"type": "column", "subtype": "stacked"})
            for k, cat in enumerate(CATEGORIES, start=1):
                chart.add_series({
                    "name": CATEGORY_LABELS.get(cat, cat),
                    "categories": ["Charts", row, 1, row, len(designs)],
                    "values": ["Charts", row + k, 1, row + k, len(designs)],
                    "fill": {"color": CHART_COLOURS.get(cat, "#999999")},
                })
            chart.set_title({"name": f"Cell cost by category, scenario {sc} ({year})"})
            chart.set_y_axis({"name": "USD/kWh", "major_gridlines": {"visible": True}, "min": 0, "max": top})
            chart.set_x_axis({"name": "design"})
            chart.set_size({"width": 640, "height": 360})
            ws.insert_chart(row, len(designs) + 2, chart, {"object_position": 3})
            row += max(len(CATEGORIES) + 3, 20)
        ws.set_column(0, 0, 26)
        ws.set_column(1, 8, 12)
        print_layout(ws, header_rows=0, breaks=breaks)

    def _axis_max(self) -> float:
        """One value-axis maximum (USD/kWh) for every chart: the largest total, rounded up to a round step."""
        totals = self._totals().groupby(["scenario", "design", "year"])["value"].sum()
        top = float(totals.max()) if len(totals) else 1.0
        step = 10.0 ** math.floor(math.log10(max(top, 1e-9)))
        step = step / 2 if top / step < 3 else step
        return math.ceil(top * 1.05 / step) * step

    def _comparison(self, ws) -> None:
        """Scenarios down, designs across (USD/kWh, SUMIFS over Summary), per year; a clustered bar chart on one scale."""
        usd = self._totals()
        totals = usd.groupby(["scenario", "design", "year"], sort=False)["value"].sum()
        scenarios = list(dict.fromkeys(usd["scenario"]))
        designs = list(dict.fromkeys(usd["design"]))
        years = sorted({int(y) for y in usd["year"]})
        top = self._axis_max()
        ws.write_string(0, 0, "Cell cost by scenario and design, USD/kWh (SUMIFS over Summary); one axis scale", self.title)
        row, breaks = 2, []
        for year in years:
            breaks.append(row)
            ws.write_string(row, 0, f"scenario \\ design, {year}", self.head)
            for j, d in enumerate(designs, start=1):
                ws.write_string(row, j, d, self.head)
            for i, sc in enumerate(scenarios, start=1):
                r = row + i
                ws.write_string(r, 0, sc)
                for j, d in enumerate(designs, start=1):
                    col = chr(ord("A") + j)
                    formula = (f'=SUMIFS(Summary!$D:$D,Summary!$A:$A,$A{r + 1},Summary!$B:$B,{col}${row + 1},'
                               f'Summary!$C:$C,{year})')
                    ws.write_formula(r, j, formula, self.usd, float(totals.get((sc, d, year), 0.0)))
            chart = self.wb.add_chart({"type": "column"})
            for j in range(1, len(designs) + 1):
                chart.add_series({"name": ["Comparison", row, j], "categories": ["Comparison", row + 1, 0, row + len(scenarios), 0],
                                  "values": ["Comparison", row + 1, j, row + len(scenarios), j], "gap": 80})
            chart.set_title({"name": f"Cell cost by scenario and design, {year}"})
            chart.set_y_axis({"name": "USD/kWh", "major_gridlines": {"visible": True}, "min": 0, "max": top})
            chart.set_x_axis({"name": "scenario", "num_font": {"rotation": -30}})
            chart.set_size({"width": 760, "height": 380})
            ws.insert_chart(row + len(scenarios) + 2, 0, chart, {"object_position": 3})
            row += len(scenarios) + 24
        ws.set_column(0, 0, 22)
        ws.set_column(1, len(designs), 12)
        print_layout(ws, header_rows=0, breaks=breaks)

    def _guide(self, ws) -> None:
        ws.set_column(0, 0, 125)
        for i, line in enumerate(GUIDE):
            ws.write_string(i, 0, line, self.title if i == 0 else None)
        ws.write_string(len(GUIDE) + 1, 0, f"Reference design: {self.r.reference}. Written by {self.prov.get('tool', 'costmodel')}.")
        print_layout(ws, header_rows=0, landscape=False)

    def _years(self, ws) -> None:
        """Cost per year of every scenario and design (SUMIFS over Summary) and a line chart of it."""
        usd = self._totals()
        totals = usd.groupby(["scenario", "design", "year"], sort=False)["value"].sum()
        years = sorted({int(y) for y in usd["year"]})
        series = list(dict.fromkeys((sc, d) for sc, d, _ in totals.index))
        ws.write_string(0, 0, "year", self.head)
        for j, (sc, d) in enumerate(series, start=1):
            ws.write_string(0, j, f"{d} ({sc})", self.head)
            ws.write_comment(0, j, f"USD/kWh of design {d} in scenario {sc}: SUMIFS over the Summary sheet")
        for i, y in enumerate(years, start=1):
            ws.write_number(i, 0, y)
            for j, (sc, d) in enumerate(series, start=1):
                formula = f'=SUMIFS(Summary!$D:$D,Summary!$A:$A,"{sc}",Summary!$B:$B,"{d}",Summary!$C:$C,$A{i + 1})'
                ws.write_formula(i, j, formula, self.usd, float(totals.get((sc, d, y), float("nan"))))
        chart = self.wb.add_chart({"type": "line"})
        for j, _ in enumerate(series, start=1):
            chart.add_series({"name": ["Over the years", 0, j], "categories": ["Over the years", 1, 0, len(years), 0],
                              "values": ["Over the years", 1, j, len(years), j], "marker": {"type": "circle"}})
        chart.set_title({"name": "Cell cost over the years, per design and scenario"})
        chart.set_y_axis({"name": "USD/kWh", "major_gridlines": {"visible": True}, "min": 0})
        chart.set_x_axis({"name": "year"})
        chart.set_size({"width": 760, "height": 420})
        ws.insert_chart(len(years) + 3, 0, chart, {"object_position": 3})
        print_layout(ws, header_rows=1, breaks=[len(years) + 3])
        ws.set_column(0, len(series), 16)
        ws.freeze_panes(1, 1)

    def _linked(self, ws, frame: pd.DataFrame, kind: str) -> None:
        """Masses or metrics: the value column refers to the design's Calc sheet (engine numbers cached)."""
        fast_formulas(ws)
        cols = ["scenario", "design", "year", kind, "value", "unit"]
        self._header(ws, cols, {3: 24})
        for i, (sc, d, y, name, value, unit) in enumerate(zip(*(frame[c].tolist() for c in cols), strict=True), start=1):
            ws.write_string(i, 0, str(sc))
            ws.write_string(i, 1, str(d))
            ws.write_number(i, 2, int(y))
            ws.write_string(i, 3, str(name))
            _, refs = self.live.refs[(str(sc), str(d), int(y))]
            x = (refs.masses if kind == "part" else refs.metrics)[str(name)]
            ws.write_formula(i, 4, "=" + self.live.cell(str(sc), str(d), int(y), x), self.num, float(value))
            ws.write_string(i, 5, str(unit))

    def _snapshot_index(self) -> dict[str, tuple[float, str]]:
        frame = self.inputs
        return {_key(r.scenario, r.year, r.parameter): (float(r.value), str(r.unit)) for r in frame.itertuples()
                if isinstance(r.value, (int, float)) and r.parameter.startswith("price.")}

    def _frame(self, name: str, frame: pd.DataFrame) -> None:
        write_frame(self.wb.add_worksheet(name), frame, self.head, self.num)
