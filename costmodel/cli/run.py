"""The cost commands: run, breakdown, template, validate.

Heavy modules (pandas, the engine, plotting) are imported inside the commands so that ``costmodel --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import available_scenarios, check_output, fail, json_text, load_model, stdout_console

if TYPE_CHECKING:
    from costmodel.results import Results

YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Year of prices and FX (default: the first year in the data).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
DesignOpt = Annotated[list[str] | None, typer.Option("--design", "-d", help="Design(s) to show (repeatable; default all).")]
RegionOpt = Annotated[str | None, typer.Option("--region", "-r", help="Plant region (a row group of the Regions table: cn, de, hu, "
                                                                       "us, ...). Default: the data's global.region.")]


def _stdout():
    return stdout_console(100)


WorkbookArg = Annotated[
    Path | None, typer.Argument(help="Planner workbook (.xlsx). The bundled default data when omitted.", show_default=False)
]
ScenarioOpt = Annotated[
    list[str] | None,
    typer.Option("--scenario", "-s", help="Scenario(s) to run (repeatable; 'all' for every one). Default: base."),
]
ScenarioFileOpt = Annotated[
    list[Path] | None, typer.Option("--scenario-file", help="TOML file(s) with more scenarios (see scenarios/).")
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write a results workbook (.xlsx) to this new file.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")]


def _scenarios(wb, files: list[Path] | None) -> dict:
    """Scenarios available to a run: the workbook's sheet (or the bundled set) plus TOML files."""
    return available_scenarios(wb, files)


def _summary_records(results: Results, n_top: int = 3) -> list[dict]:
    summary = results.summary()
    top = results.top_components(n_top)
    records = []
    for row in summary.itertuples(index=False):
        comps = top[(top["scenario"] == row.scenario) & (top["design"] == row.design) & (top["year"] == row.year)]
        records.append(
            {
                "scenario": row.scenario,
                "design": row.design,
                "year": int(row.year),
                "usd_per_kwh": row.usd_per_kwh,
                "cny_per_wh": row.cny_per_wh,
                "wh_per_kg": row.wh_per_kg,
                "wh_per_l": row.wh_per_l,
                "cell_ah": row.cell_ah,
                "materials_usd_per_kwh": row.materials_usd_per_kwh,
                "manufacturing_usd_per_kwh": row.manufacturing_usd_per_kwh,
                "reference": results.reference,
                "gap_usd_per_kwh": row.gap_usd_per_kwh,
                "gap_cny_per_wh": row.gap_cny_per_wh,
                "gap_pct": row.gap_pct,
                "top_components": [{"component": c.component, "usd_per_kwh": c.value} for c in comps.itertuples()],
            }
        )
    return records


def run(
    workbook: WorkbookArg = None,
    scenario: ScenarioOpt = None,
    scenario_file: ScenarioFileOpt = None,
    year: Annotated[list[str] | None, typer.Option("--year", "--years", "-y", help="Year(s) of prices, FX and year overrides: "
                                                  "2026, 2025-2028, or all (repeatable; default the first year in the data).")] = None,
    design: DesignOpt = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="Plant region (cn, de, hu, us, ...; a row group of the "
                                                                      "Regions table), or 'all' to compare every region side by "
                                                                      "side. Default: the data's global.region.")] = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Cost of every design: USD/kWh, CNY/Wh, Wh/kg, gap to the reference (LFP) and top components."""
    from costmodel.runner import in_regions, pick_scenarios, run_scenarios

    check_output(out, ".xlsx", force, protect=workbook)
    model, wb = load_model(workbook, None if region == "all" else region)
    chosen = pick_scenarios(_scenarios(wb, scenario_file), scenario, model.dataset.source)
    regions = model.dataset.region_names if region == "all" else (model.dataset.region,)
    if region == "all":
        chosen = in_regions(chosen, regions, suffix=True)
    ref = model.dataset.reference_design  # evaluated too when not chosen, so that the gap to it is shown
    run_ = run_scenarios(model, chosen, _years(year, model.dataset.years), [*design, ref] if design and ref not in design else design)
    records = [r for r in _summary_records(run_.results) if not design or r["design"] in design]
    for r in records:
        r["region"] = r["scenario"].rsplit("@", 1)[1] if region == "all" else regions[0]
    if out is not None:
        _write_results(out, model, run_, wb, workbook, "run")
    if as_json:
        typer.echo(json_text(payloads.document("run", source=model.dataset.source, results=records)))
        return
    if region == "all":
        _print_regions(model, records, regions)
        return
    if len({r["year"] for r in records}) > 1:
        _print_years(model, records, chosen)
        return
    _print_summary(model, run_.results, records)


def _years(texts: list[str] | None, available: tuple[int, ...]) -> tuple[int, ...] | None:
    """``--year`` values: 2026, 2025-2028 (or 2025..2028), all; None for the default year."""
    if not texts:
        return None
    from costmodel.scenario import parse_years

    out: list[int] = []
    for text in texts:
        if text.strip().lower() == "all":
            out.extend(available)
            continue
        try:
            out.extend(parse_years(text.replace("..", "-")) or ())
        except ValueError as exc:
            raise fail(f"--year {text!r}: {exc}; or all") from None
    return tuple(dict.fromkeys(out))


def _print_years(model, records: list[dict], scenarios) -> None:
    """Cost over the years: one table per scenario, designs down, years across (USD/kWh, change against the first year);
    the scenario's year-specific changes below it."""
    from rich.table import Table

    years = sorted({r["year"] for r in records})
    for sc in dict.fromkeys(r["scenario"] for r in records):
        rows = {(r["design"], r["year"]): r for r in records if r["scenario"] == sc}
        table = Table(title=f"Cell cost over the years, USD/kWh (change against {years[0]}), scenario {sc} ({model.dataset.source})",
                      title_justify="left")
        table.add_column("design")
        for y in years:
            table.add_column(str(y), justify="right")
        table.add_column(f"gap to {records[0]['reference']}, {years[-1]}", justify="right")
        for d in dict.fromkeys(r["design"] for r in records):
            first = rows[(d, years[0])]["usd_per_kwh"]
            cells = [f"{rows[(d, y)]['usd_per_kwh']:.2f}" + ("" if y == years[0] else
                                                             f" ({(rows[(d, y)]['usd_per_kwh'] / first - 1) * 100:+.1f} %)")
                     for y in years]
            last = rows[(d, years[-1])]
            gap = "reference" if d == last["reference"] else f"{last['gap_usd_per_kwh']:+.2f}"
            table.add_row(d, *cells, gap)
        console = _stdout()
        console.print(table)
        definition = next((s for s in scenarios if s.name == sc), None)
        dated = [o for o in (definition.overrides if definition else ()) if o.years or o.months]
        if dated:
            console.print("  changes by year: " + "; ".join(f"{o.text} in {_period_text(o)}" for o in dated), highlight=False,
                          markup=False)


def _period_text(o) -> str:
    if o.months:
        return o.months[0] if len(o.months) == 1 else f"{o.months[0]}..{o.months[-1]}"
    ys = sorted(o.years)
    return str(ys[0]) if len(ys) == 1 else (f"{ys[0]}-{ys[-1]}" if ys == list(range(ys[0], ys[-1] + 1)) else ", ".join(map(str, ys)))


def _print_regions(model, records: list[dict], regions: tuple[str, ...]) -> None:
    """One table per scenario and year: designs down, regions across (USD/kWh), gap to the reference in brackets."""
    from rich.table import Table

    names = _region_names(model)
    groups: dict[tuple[str, int], dict[tuple[str, str], dict]] = {}
    for r in records:
        base = r["scenario"].rsplit("@", 1)[0]
        groups.setdefault((base, r["year"]), {})[(r["design"], r["region"])] = r
    for (sc, year), rows in groups.items():
        table = Table(title=f"Cell cost by plant region, USD/kWh (gap to {records[0]['reference']}), {year}, scenario {sc}",
                      title_justify="left")
        table.add_column("design")
        for reg in regions:
            table.add_column(f"{reg}\n[dim]{names.get(reg, '')}[/dim]", justify="right")
        for d in dict.fromkeys(k[0] for k in rows):
            cells = []
            for reg in regions:
                r = rows.get((d, reg))
                if r is None:
                    cells.append("")
                elif d == r["reference"]:
                    cells.append(f"{r['usd_per_kwh']:.2f}")
                else:
                    cells.append(f"{r['usd_per_kwh']:.2f} ({r['gap_usd_per_kwh']:+.1f})")
            table.add_row(d, *cells)
        _stdout().print(table)


def _region_names(model) -> dict[str, str]:
    rg = model.dataset.regions
    rows = rg[rg["property"] == "name"]
    return dict(zip(rows["region"], rows["value"]))


def _write_results(out: Path, model, run_, wb, workbook: Path | None, command: str) -> None:
    out = Path(out)
    from costmodel.io.results_workbook import write_results_workbook
    from costmodel.runner import provenance, scenario_frame

    prov = provenance(model, run_, wb.sha256 if wb else None, " ".join(["costmodel", *sys.argv[1:]]))
    write_results_workbook(out, run_.results, inputs=run_.inputs, provenance=prov,
                           scenarios=scenario_frame(run_.scenarios), protect=Path(workbook) if workbook else None,
                           static=model.dataset.static)
    typer.echo(f"results written to {out}", err=True)


def _print_summary(model, results: Results, records: list[dict]) -> None:
    from rich.table import Table

    labels = _labels(model)
    scenarios = list(dict.fromkeys(r["scenario"] for r in records))
    for sc in scenarios:
        rows = [r for r in records if r["scenario"] == sc]
        title = f"Cell cost, {rows[0]['year']}, scenario {sc} ({model.dataset.source})"
        table = Table(title=title, title_justify="left")
        for col, just in (("design", "left"), ("USD/kWh", "right"), ("CNY/Wh", "right"), ("Wh/kg", "right"),
                          ("Wh/L", "right"), (f"gap to {results.reference}", "right"), ("top cost components (USD/kWh)", "left")):
            table.add_column(col, justify=just)
        for r in rows:
            gap = ("reference" if r["design"] == r["reference"] else
                   f"{r['gap_usd_per_kwh']:+.2f} ({r['gap_pct']:+.0f} %)" if r["gap_usd_per_kwh"] == r["gap_usd_per_kwh"] else "n/a")
            top = ", ".join(f"{c['component']} {c['usd_per_kwh']:.1f}" for c in r["top_components"])
            table.add_row(f"{r['design']}\n[dim]{labels.get(r['design'], '')}[/dim]", f"{r['usd_per_kwh']:.2f}",
                          f"{r['cny_per_wh']:.3f}", f"{r['wh_per_kg']:.0f}", f"{r['wh_per_l']:.0f}", gap, top)
        _stdout().print(table)


def template(
    out: Annotated[Path, typer.Argument(help="Where to write the base workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write the planner's base workbook (bundled data, catalog comments, dropdowns, scenarios)."""
    from costmodel.dataset import load_default
    from costmodel.io.template import write_template
    from costmodel.runner import scenario_frame
    from costmodel.scenario import default_scenarios

    check_output(out, ".xlsx", force, option="")
    write_template(out, load_default(), scenario_frame(default_scenarios().values()))
    typer.echo(f"base workbook written to {out}", err=True)


def validate(
    workbook: Annotated[Path, typer.Argument(help="Planner workbook (.xlsx) to check.")],
) -> None:
    """Check a workbook: safe open, every sheet and row, scenarios, optimizer sheets. Lists ALL problems (Sheet!Cell)."""
    from costmodel.optimize.data import check_tables
    from costmodel.runner import pick_scenarios, run_scenarios

    model, wb = load_model(workbook, history=True)  # reading validates every sheet, the optimizer sheets included
    scenarios = _scenarios(wb, None)
    run_scenarios(model, pick_scenarios(scenarios, ["all"], str(workbook)), model.dataset.years)
    ds = model.dataset
    if wb.optimizer_tables is None:
        optimizer = "no optimizer sheets (optimize uses its bundled tables)"
    else:
        data = check_tables(wb.optimizer_tables, str(workbook), locate=wb.locate, dataset=ds)
        optimizer = "optimizer sheets for " + ", ".join(
            f"{d} ({len(x.levers)} levers, {len(x.routes)} routes, {len(x.suppliers)} suppliers)" for d, x in data.items()
        )
    typer.echo(
        f"{workbook}: OK - {len(ds.design_names)} designs, {ds.prices['item'].nunique()} priced items, "
        f"{len(ds.region_names)} regions (plant in {ds.region}), years {ds.years[0]}-{ds.years[-1]}, {len(scenarios)} scenarios, "
        f"{optimizer} (sha256 {wb.sha256[:12]})"
    )


def _labels(model) -> dict[str, str]:
    ds = model.dataset.designs
    rows = ds[ds["parameter"] == "label"]
    return dict(zip(rows["design"], rows["value"]))


def breakdown(
    design: Annotated[str, typer.Argument(help="Design name, e.g. nfpp.")],
    workbook: WorkbookArg = None,
    year: YearOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Full component table of one design: USD/kWh, CNY/Wh, share, plus masses and metrics."""
    from rich.table import Table

    model, _ = load_model(workbook)
    results = model.evaluate(year, designs=[design])
    usd = results.costs[results.costs["unit"] == "USD/kWh"].reset_index(drop=True)
    cny = results.costs[results.costs["unit"] == "CNY/Wh"].reset_index(drop=True)
    total = usd["value"].sum()
    rows = [
        {
            "component": u.component,
            "category": u.category,
            "usd_per_kwh": u.value,
            "cny_per_wh": c.value,
            "share_pct": 100.0 * u.value / total,
        }
        for u, c in zip(usd.itertuples(), cny.itertuples(), strict=True)
    ]
    masses = {r.part: r.value for r in results.masses.itertuples()}
    metrics = {r.metric: {"value": r.value, "unit": r.unit} for r in results.metrics.itertuples()}
    if as_json:
        typer.echo(
            json_text(payloads.document(
                "breakdown", source=model.dataset.source, design=design, year=int(usd["year"].iloc[0]), usd_per_kwh=total,
                cny_per_wh=cny["value"].sum(), results=rows, masses_kg_per_kwh=masses, metrics=metrics))
        )
        return
    out = _stdout()
    table = Table(title=f"{design}: cost components, {int(usd['year'].iloc[0])}", title_justify="left")
    for col in ("category", "component", "USD/kWh", "CNY/Wh", "share"):
        table.add_column(col, justify="left" if col in ("category", "component") else "right")
    for r in rows:
        table.add_row(r["category"], r["component"], f"{r['usd_per_kwh']:.3f}", f"{r['cny_per_wh']:.4f}", f"{r['share_pct']:.1f} %")
    table.add_row("", "[b]total[/b]", f"[b]{total:.2f}[/b]", f"[b]{cny['value'].sum():.4f}[/b]", "100 %")
    out.print(table)
    mt = Table(title="mass (kg/kWh) and metrics", title_justify="left")
    mt.add_column("item")
    mt.add_column("value", justify="right")
    mt.add_column("unit")
    for part, value in masses.items():
        mt.add_row(part, f"{value:.4f}", "kg/kWh")
    mt.add_row("[b]total mass[/b]", f"{sum(masses.values()):.3f}", "kg/kWh")
    for name, m in metrics.items():
        mt.add_row(name, f"{m['value']:.4g}", m["unit"])
    out.print(mt)


def register(app: typer.Typer) -> None:
    """Add run, breakdown, template and validate to ``app``."""
    for command in (run, breakdown, template, validate):
        app.command()(command)
