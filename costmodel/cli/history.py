"""Commands over time: ``index`` (the monthly cell cost index) and ``prices import`` (a price feed into a new workbook).

Only typer and pathlib are imported at module level; the model and pandas inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import App, available_scenarios, check_output, fail, json_text, load_model, stdout_console

WorkbookArg = Annotated[
    Path | None, typer.Argument(help="Planner workbook (.xlsx). The bundled default data when omitted.", show_default=False)
]


def _month(text: str | None, option: str) -> str | None:
    from costmodel.history.months import month_number, month_text

    if text is None:
        return None
    try:
        return month_text(month_number(text))
    except ValueError as exc:
        raise fail(f"{option}: {exc}") from None


def register(app: typer.Typer) -> None:
    """Add ``index`` and the ``prices`` group (``prices import``) to ``app``."""

    @app.command()
    def index(
        workbook: WorkbookArg = None,
        from_: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM (default: the history's first).")] = None,
        to: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM (default: the history's latest).")] = None,
        base: Annotated[str | None, typer.Option("--base", help="Base month of the index (= 100); default the first month.")] = None,
        design: Annotated[list[str] | None, typer.Option("--design", "-d", help="Design(s) (repeatable; default all).")] = None,
        scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="A scenario to apply (its year and month "
                                                                                "overrides, e.g. price.li2co3@2026-06=+15%).")] = None,
        scenario_file: Annotated[list[Path] | None, typer.Option("--scenario-file", help="TOML file(s) with more scenarios.")] = None,
        set_: Annotated[list[str] | None, typer.Option("--set", help="Override PATH[@PERIOD]=VALUE (repeatable), after the "
                                                                     "scenario's.")] = None,
        history: Annotated[Path | None, typer.Option("--history", help="Read the price history from this CSV or xlsx file "
                                                                         "(our columns, or mapped with --map) instead of the "
                                                                         "workbook's Price history sheet.")] = None,
        map_: Annotated[Path | None, typer.Option("--map", help="TOML mapping of the --history file's columns and names.")] = None,
        fill: Annotated[str, typer.Option("--fill", help="Months without a quote: carry (the last quote, marked stale) or "
                                                         "linear (between quotes, marked interpolated).")] = "carry",
        month: Annotated[str | None, typer.Option("--month", help="Month whose change is explained (default: the last).")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Plant region (cn, de, hu, us, ...).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")] = False,
        png: Annotated[Path | None, typer.Option("--png", help="Write the index chart to this PNG file.")] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write a results workbook (.xlsx) with native charts.")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace existing --out and --png files.")] = False,
    ) -> None:
        """Cell cost per month from the price history: USD/kWh, CNY/Wh, index, gap to LFP, and each month's change by item."""
        from costmodel.history.grid import FILLS
        from costmodel.history.index import monthly_index
        from costmodel.runner import pick_scenarios
        from costmodel.scenario import parse_override

        if fill not in FILLS:
            raise fail(f"--fill {fill!r}: expected one of {', '.join(FILLS)}")
        first, last, base_m, shown = _month(from_, "--from"), _month(to, "--to"), _month(base, "--base"), _month(month, "--month")
        check_output(out, ".xlsx", force, protect=workbook)
        check_output(png, ".png", force, option="--png", protect=workbook)
        overrides = []
        for text in set_ or []:
            try:
                overrides.append(parse_override(text))
            except ValueError as exc:
                raise fail(f"--set: {exc}") from None
        model, wb = load_model(workbook, region, history=history is None)
        if history is not None:
            from dataclasses import replace

            from costmodel.history.feed import read_feed, read_map
            from costmodel.model import Model

            ds = model.dataset
            dims = dict(zip(ds.items["item"], ds.items["dimension"], strict=True))
            model = Model(replace(ds, history=read_feed(history, read_map(map_), dims).history, history_source=str(history)))
        elif map_ is not None:
            raise fail("--map goes with --history (the file it maps)")
        name = "base"
        if scenario:
            chosen = pick_scenarios(available_scenarios(wb, scenario_file), [scenario], model.dataset.source)[0]
            overrides = [*chosen.overrides, *overrides]
            name = chosen.name
        run = monthly_index(model, first, last, base_m, design, overrides, fill, where=f"scenario {name}")
        ci = run.index
        shown = shown or ci.months[-1]
        if shown not in ci.months:
            raise fail(f"--month {shown} is outside {ci.months[0]}..{ci.months[-1]}")
        payload = _payload(model, run, name, shown)
        if out is not None:
            _write_workbook(out, run, name)
            typer.echo(f"results written to {out}", err=True)
        if png is not None:
            from costmodel.analysis.plots import index_plot

            index_plot(ci.frame(), ci.base, png, ci.reference)
            typer.echo(f"plot written to {png}", err=True)
        if as_json:
            typer.echo(json_text(payload))
            return
        _print(run, name, shown)

    prices = App(help="Price history: import a price feed into a new workbook.", no_args_is_help=True)
    app.add_typer(prices, name="prices")

    @prices.command("import")
    def import_(
        feed: Annotated[Path, typer.Argument(help="The feed export: .csv or .xlsx.", show_default=False)],
        out: Annotated[Path, typer.Option("--out", "-o", help="The NEW workbook to write (the inputs are never written).")],
        map_: Annotated[Path | None, typer.Option("--map", help="TOML mapping of the feed's columns and item names.")] = None,
        workbook: Annotated[Path | None, typer.Option("--workbook", "-w", help="Workbook whose copy gets the merged history "
                                                                               "(default: the bundled base workbook).")] = None,
        last_wins: Annotated[bool, typer.Option("--last-wins", help="A conflicting quote for the same date and item replaces the "
                                                                    "earlier one (else it is an error).")] = False,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    ) -> None:
        """Read a price feed through a mapping, check every row, and write a new workbook with the history merged in."""
        import tempfile

        from costmodel.history.feed import read_feed, read_map
        from costmodel.history.sheet import write_history_workbook
        from costmodel.history.table import merge
        from costmodel.validation import InputError

        check_output(out, ".xlsx", force, protect=workbook)
        for given in (feed, map_):
            if given is not None and Path(out).resolve() == Path(given).resolve():
                raise fail(f"--out {out} is an input; the merged workbook goes to a new file")
        fmap = read_map(map_)
        model, _ = load_model(workbook, history=True)
        ds = model.dataset
        dims = dict(zip(ds.items["item"], ds.items["dimension"], strict=True))
        got = read_feed(feed, fmap, dims, last_wins=last_wins)
        existing = ds.history  # the workbook's sheet, or the bundled history (no workbook, or one without the sheet)
        merged, problems = merge(existing, got.history, last_wins=last_wins)
        if problems:
            raise InputError(problems, str(feed))
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(workbook) if workbook is not None else _bundled_workbook(Path(tmp))
            write_history_workbook(source, out, merged.quotes)
        summary = {"command": "prices import", "schema_version": payloads.SCHEMA_VERSION,
                   "feed": str(feed), "rows": got.rows, "quotes": len(got.history.quotes), "ignored_rows": got.ignored,
                   "history_quotes": len(merged.quotes), "items": sorted(set(got.history.quotes["item"])),
                   "first_month": got.history.first_month, "last_month": got.history.last_month, "notes": list(merged.notes),
                   "out": str(out)}
        if as_json:
            typer.echo(json_text(summary))
            return
        typer.echo(f"{got.rows:,} feed rows read ({got.ignored:,} ignored): {len(got.history.quotes):,} quotes of "
                   f"{len(summary['items'])} items, {summary['first_month']} to {summary['last_month']}; the history now holds "
                   f"{len(merged.quotes):,} quotes")
        for note in merged.notes:
            typer.echo(f"note: {note}")
        typer.echo(f"written to {out}", err=True)


def _bundled_workbook(folder: Path) -> Path:
    """The bundled base workbook, written into ``folder`` (the template of the bundled data)."""
    from costmodel.dataset import load_default
    from costmodel.io.template import write_template
    from costmodel.runner import scenario_frame
    from costmodel.scenario import default_scenarios

    return write_template(folder / "base.xlsx", load_default(), scenario_frame(default_scenarios().values()))


def _payload(model, run, scenario: str, shown: str) -> dict:
    ci, att = run.index, run.attribution
    grid = ci.grid.frame()
    grid = grid[grid["status"] != "table"]
    totals = att.totals
    changes = []
    for r in totals.itertuples():
        parts = att.parts[(att.parts["month"] == r.month) & (att.parts["design"] == r.design)]
        changes.append({"month": r.month, "design": r.design, "change": {"usd_per_kwh": r.change, "pct": r.pct},
                        "parts": [{"input": p.input, "usd_per_kwh": p.usd_per_kwh, "pct_points": p.pct_points,
                                   "before": p.a_value, "after": p.b_value, "stderr": p.stderr} for p in parts.itertuples()],
                        "method": parts["method"].iloc[0] if len(parts) else None})
    return payloads.document(
        "index", source=model.dataset.source, history_source=model.dataset.history_source, scenario=scenario,
        base_month=ci.base, reference=ci.reference, months=list(ci.months),
        results=ci.frame().rename(columns={"index": "index_base_100"}).to_dict(orient="records"),
        changes=changes,
        explained={d: att.describe(shown, d) for d in ci.designs},
        stale=[{"item": i, "last_quote": q, "age_months": a} for i, q, a in ci.stale(shown)],
        prices=grid.rename(columns={"price": "value"}).to_dict(orient="records"),
        notes=list(run.notes),
    )


def _print(run, scenario: str, shown: str) -> None:
    from rich.table import Table

    ci, att = run.index, run.attribution
    console = stdout_console(110)
    t = Table(title=f"Cell cost per month, USD/kWh (index, {ci.base} = 100), scenario {scenario}", title_justify="left")
    t.add_column("month")
    for d in ci.designs:
        t.add_column(d, justify="right")
    gaps = [d for d in ci.designs if d != ci.reference] if ci.reference else []
    for d in gaps:
        t.add_column(f"{d}-{ci.reference}", justify="right")
    t.add_column("stale prices", justify="right")
    for j, m in enumerate(ci.months):
        stale = len(ci.stale(m))
        t.add_row(m, *(f"{ci.usd_per_kwh[i, j]:.2f} ({ci.index[i, j]:.1f})" for i in range(len(ci.designs))),
                  *(f"{ci.gap[ci.designs.index(d), j]:+.2f}" for d in gaps), str(stale) if stale else "")
    console.print(t)
    console.print(f"Change in {shown} against the month before, in % of that month's cost (Shapley parts by input):",
                  style="bold", highlight=False, markup=False)
    for d in ci.designs:
        console.print(f"  {att.describe(shown, d)}", highlight=False, markup=False)
    stale = ci.stale(shown)
    if stale:
        console.print(f"Stale in {shown} (carried forward): " + ", ".join(f"{i} (last quote {q}, {a} month{'s' if a != 1 else ''})"
                                                                           for i, q, a in stale), highlight=False, markup=False)
    for note in run.notes:
        console.print(f"note: {note}", highlight=False, markup=False)


def _write_workbook(path: Path, run, scenario: str) -> None:
    import pandas as pd

    from costmodel.io.atomic import LineChart, write_tables_workbook

    ci, att = run.index, run.attribution
    cost = pd.DataFrame({"month": list(ci.months)})
    index = pd.DataFrame({"month": list(ci.months)})
    for i, d in enumerate(ci.designs):
        cost[f"{d} USD/kWh"] = ci.usd_per_kwh[i]
        index[f"{d} index"] = ci.index[i]
    for i, d in enumerate(ci.designs):
        cost[f"{d} CNY/Wh"] = ci.cny_per_wh[i]
    if ci.reference:
        for i, d in enumerate(ci.designs):
            if d != ci.reference:
                cost[f"{d} gap to {ci.reference} USD/kWh"] = ci.gap[i]
    sheets = {"Cost": cost, "Index": index, "Monthly change": att.totals, "Attribution": att.parts,
              "Prices used": ci.grid.frame(), "Notes": pd.DataFrame({"note": [f"scenario {scenario}", f"base month {ci.base}",
                                                                               *run.notes]})}
    charts = (LineChart("Cost", f"Cell cost per month, scenario {scenario}", "month",
                        tuple(f"{d} USD/kWh" for d in ci.designs), "USD/kWh"),
              LineChart("Index", f"Cell cost index ({ci.base} = 100)", "month", tuple(f"{d} index" for d in ci.designs), "index"))
    write_tables_workbook(path, sheets, charts=charts)
