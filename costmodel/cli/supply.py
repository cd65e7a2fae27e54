"""The ``supply`` command: end-use demand → cells → materials against capacity → prices → cell cost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import check_output, fail, json_text, load_model, stdout_console

if TYPE_CHECKING:
    from costmodel.io.workbook import WorkbookInput
    from costmodel.model import Model
    from costmodel.supply.chain import SupplyRun
    from costmodel.supply.data import SupplyData

DEFAULT_SPAN = 5
"""Default periods: the first year of the cost data and the five after it."""


def supply_data(model: Model, wb: WorkbookInput | None) -> SupplyData:
    """The supply tables: the workbook's Segments, Capacity and Reported production sheets (each missing one from the
    bundled tables), else the bundled tables; checked against the model's dataset.

    Raises:
        InputError: bad supply data, each problem at its ``Sheet!Cell`` (or CSV line).
    """
    from costmodel.supply import data as sdata

    if wb is not None and getattr(wb, "supply", None) is not None:
        return wb.supply
    return sdata.load_default(model.dataset)


def _available(wb: WorkbookInput | None, files: list[Path] | None) -> dict:
    """Scenarios available: the workbook's Scenarios sheet (or the bundled set) plus TOML files."""
    from costmodel.scenario import default_scenarios, load_scenarios, scenarios_from_rows

    found = dict(scenarios_from_rows(wb.scenario_rows)) if wb is not None else dict(default_scenarios())
    if files:
        found.update(load_scenarios(files))
    return found


def _years(text: str | None, model: Model) -> tuple[int, ...]:
    from costmodel.scenario import parse_years

    if text is None:
        first = model.dataset.years[0]
        return tuple(range(first, first + DEFAULT_SPAN + 1))
    try:
        years = parse_years(text)
    except ValueError as exc:
        raise fail(f"--years: {exc}") from None
    if not years:
        raise fail("--years: give a year or a range such as 2025-2030")
    return tuple(sorted(years))


def _months(text: str) -> tuple[int, ...]:
    """``2026-01..2026-12`` (or one month) as periods ``YYYYMM``."""
    from costmodel.history.months import month_range

    first, _, last = text.partition("..")
    try:
        months = month_range(first.strip(), (last or first).strip())
    except ValueError as exc:
        raise fail(f"--months: {exc}") from None
    return tuple(int(m[:4]) * 100 + int(m[5:]) for m in months)


def register(app: typer.Typer) -> None:
    """Add the ``supply`` command to ``app``."""

    @app.command()
    def supply(
        workbook: Annotated[Path | None, typer.Argument(help="Planner workbook (.xlsx); bundled data when omitted.",
                                                        show_default=False)] = None,
        scenario: Annotated[list[str] | None, typer.Option("--scenario", "-s", help="Scenario(s) to run (repeatable; 'all' for "
                                                                                     "every one). Default: base.")] = None,
        scenario_file: Annotated[list[Path] | None, typer.Option("--scenario-file", help="TOML file(s) with more scenarios.")] = None,
        years: Annotated[str | None, typer.Option("--years", "-y", help="Periods: 2026, 2025-2030 or 2025, 2027. Default: the "
                                                                        "first data year and the five after it.")] = None,
        months: Annotated[str | None, typer.Option("--months", help="Monthly periods instead of years: 2026-01..2026-12 "
                                                                    "(market and capacity per month = per year / 12).")] = None,
        set_: Annotated[list[str] | None, typer.Option("--set", help="Override for every scenario run, e.g. "
                                                                     "segment.two_wheeler.penetration=0.10 or "
                                                                     "capacity.hc_coconut.nameplate=+40% (repeatable).")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Plant region (cn, de, hu, us, ...).")] = None,
        no_response: Annotated[bool, typer.Option("--no-response", help="Keep prices as given (no supply-curve response).")]
        = False,
        max_iterations: Annotated[int, typer.Option("--max-iterations", help="Most iterations of the price response.")] = 200,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
        png: Annotated[Path | None, typer.Option("--png", help="Write a chart (demand against capacity; demand by segment) "
                                                               "to this PNG.")] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the tables and native charts to a new workbook "
                                                                     "(.xlsx).")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace existing --out and --png files.")] = False,
    ) -> None:
        """Which materials the end uses need, which runs short first and when, and what that does to prices and cell cost."""
        from costmodel.runner import pick_scenarios
        from costmodel.scenario import parse_override
        from costmodel.supply.chain import run_supply
        from costmodel.supply.report import json_record, not_converged_message

        if max_iterations < 1:
            raise fail(f"--max-iterations must be at least 1, not {max_iterations}")
        check_output(png, ".png", force, option="--png", protect=workbook)
        check_output(out, ".xlsx", force, protect=workbook)
        model, wb = load_model(workbook, region)
        if months is not None and years is not None:
            raise fail("give --years or --months, not both")
        periods = _months(months) if months is not None else _years(years, model)
        data = supply_data(model, wb)
        extra = []
        for text in set_ or []:
            try:
                extra.append(parse_override(text, where="--set"))
            except ValueError as exc:
                raise fail(f"--set: {exc}") from None
        chosen = pick_scenarios(_available(wb, scenario_file), scenario, model.dataset.source)
        runs = [run_supply(model, data, periods, (*sc.overrides, *extra), scenario=sc.name, respond=not no_response,
                           max_iter=max_iterations) for sc in chosen]
        for r in runs:
            for note in r.notes:
                typer.echo(f"note: {note}", err=True)
            if msg := not_converged_message(r):
                typer.echo(f"warning: {msg}", err=True)
        if as_json:
            typer.echo(json_text(payloads.document("supply", source=model.dataset.source, results=[json_record(r) for r in runs])))
        else:
            for r in runs:
                _print(r)
        if png is not None:
            from costmodel.supply.report import plot

            plot(runs[0], png)
            typer.echo(f"chart written to {png}", err=True)
        if out is not None:
            _write(out, runs)
            typer.echo(f"results written to {out}", err=True)


def _write(out: Path, runs: list[SupplyRun]) -> None:
    """Every run's tables (one sheet per table, scenario column first) and native charts of the first run."""
    import pandas as pd

    from costmodel.io.atomic import LineChart, write_tables_workbook
    from costmodel.supply.report import chart_materials, frames, segments_wide, wide

    sheets: dict[str, pd.DataFrame] = {}
    per_run = [frames(r) for r in runs]
    for name in per_run[0]:
        sheets[name.capitalize()] = pd.concat([f[name].assign(scenario=r.scenario)[["scenario", *f[name].columns]]
                                               for r, f in zip(runs, per_run, strict=True)], ignore_index=True)
    first = runs[0]
    mats = chart_materials(first)
    sheets["Chart materials"] = wide(first, mats)
    sheets["Chart segments"] = segments_wide(first)
    charts = (
        LineChart("Chart materials", f"Material demand against available capacity ({first.scenario})", "period",
                  tuple(c for c in sheets["Chart materials"].columns if c != "period"), "kt per period"),
        LineChart("Chart segments", f"Sodium-ion cell demand by segment ({first.scenario})", "period",
                  tuple(c for c in sheets["Chart segments"].columns if c != "period"), "GWh per period"),
    )
    write_tables_workbook(out, sheets, None, charts)


def _print(r: SupplyRun) -> None:
    from rich.table import Table

    from costmodel.supply.report import fixed_point_record, frames, period_label

    con = stdout_console(120)
    f = frames(r)
    P = r.periods

    def grid(title: str, rows: list[tuple[str, list[str]]], first: str) -> None:
        t = Table(title=title, title_justify="left")
        t.add_column(first)
        for p in P:
            t.add_column(str(period_label(p)), justify="right")
        for name, cells in rows:
            t.add_row(name, *cells)
        con.print(t)

    seg = f["segments"]
    grid(f"Cell demand by segment, GWh per period (after the price response), scenario {r.scenario}",
         [(s, [f"{v:,.2f}" for v in seg.loc[seg["segment"] == s, "gwh_after_response"]]) for s in r.segments], "segment")
    des = f["designs"]
    grid("Cell demand by design, GWh per period", [(f"{d} ({r.chemistry[d]})", [f"{v:,.2f}" for v in des.loc[des["design"] == d, "gwh"]])
                                                   for d in r.designs], "design")
    mats = f["materials"]
    shown = [m for m in r.final.materials if mats.loc[mats["material"] == m, "capacity"].notna().any()]
    grid("Material demand (kt per period) and utilisation of nameplate capacity; * binds (above its ceiling), "
         "x price multiplier", [(m, [_cell(row) for row in mats[mats["material"] == m].itertuples()]) for m in shown], "material")
    others = [m for m in r.final.materials if m not in shown]
    grid("Other material demand (no capacity given)", [(f"{m} ({r.intensity.units[m]})",
                                                         [f"{v:,.1f}" for v in mats.loc[mats["material"] == m, "demand"]])
                                                        for m in others], "material")
    bind = f["binding"]
    if len(bind):
        parts = []
        for b in bind.itertuples():
            before = b.first_period_before_response
            moved = before is not None and before == before and str(before) != str(b.first_period)
            parts.append(f"{b.material} {b.first_period} (utilisation {b.utilisation:.0%}"
                         + (f", {int(before)} before the price response" if moved else "") + ")")
        con.print("Binding materials (first period demand exceeds available capacity): " + "; ".join(parts))
    else:
        con.print("No material binds in these periods.")
    costs = f["costs"]
    grid("Cell cost, USD/kWh, at the fixed point (change from the prices as given)",
         [(d, [f"{c.usd_per_kwh:.2f} ({c.change_usd_per_kwh:+.2f})" for c in costs[costs["design"] == d].itertuples()])
          for d in r.designs], "design")
    fp = fixed_point_record(r)
    con.print("Price response: " + ("not run (no responding material, or --no-response)" if not fp["ran"] else
                                    f"{'converged' if fp['converged'] else 'NOT converged'} in {fp['iterations']} iterations "
                                    f"(last change {fp['largest_change']:.1e})"))
    rep = f["reported"]
    if len(rep):
        t = Table(title="Reported production against the demand implied by cell output (build > 0: inventory build)",
                  title_justify="left")
        for c in ("stage", "period", "unit", "reported", "implied", "build", "basis"):
            t.add_column(c, justify="right" if c in ("reported", "implied", "build") else "left")
        for x in rep.itertuples():
            t.add_row(x.stage, str(x.period), x.unit, f"{x.reported:,.2f}", f"{x.implied:,.2f}", f"{x.build:+,.2f}", x.basis)
        con.print(t)


def _cell(row) -> str:
    if row.utilisation is None or row.utilisation != row.utilisation:
        return f"{row.demand:,.1f}"
    mult = f" x{row.price_multiplier:.2f}" if row.price_multiplier > 1.0 + 1e-9 else ""
    return f"{row.demand:,.1f} ({row.utilisation:.0%}{'*' if row.binds else ''}{mult})"
