"""What-if analytics commands: whatif, sensitivity, montecarlo, breakeven, diff.

Each works on the bundled data or a workbook, prints a table (or ``--json``), and can write a PNG
plot (``--png``) and a results workbook of its tables and plot (``--out``). Heavy modules are
imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

WorkbookArg = Annotated[
    Path | None, typer.Argument(help="Planner workbook (.xlsx). The bundled default data when omitted.", show_default=False)
]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Year of prices and FX (default: the first year).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
PngOpt = Annotated[Path | None, typer.Option("--png", help="Write the plot to this PNG file.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the tables and plot to a new results workbook (.xlsx).")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _load(workbook: Path | None):
    from costmodel.cli import _model

    return _model(workbook)[0]


def _table(frame, title: str, floats: str = "{:.3f}") -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for c in frame.columns:
        t.add_column(str(c), justify="right" if frame[c].dtype.kind in "fi" else "left")
    for row in frame.itertuples(index=False):
        t.add_row(*[floats.format(v) if isinstance(v, float) else str(v) for v in row])
    Console(file=sys.stdout, width=200).print(t)


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def _check_out(path: Path | None, suffix: str) -> None:
    if path is not None:
        if path.suffix.lower() != suffix:
            raise _fail(f"{path}: the file must end in {suffix}")
        if not path.parent.exists():
            raise _fail(f"{path}: folder {path.parent} does not exist")


def _outputs(out: Path | None, sheets: dict, png: Path | None) -> None:
    if out is not None:
        from costmodel.io.atomic import write_tables_workbook

        write_tables_workbook(out, sheets, {"Chart": png} if png is not None else None)
        typer.echo(f"results written to {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add the analysis commands to ``app``."""

    @app.command()
    def whatif(
        workbook: WorkbookArg = None,
        set_: Annotated[list[str], typer.Option("--set", help="Override PATH=VALUE, PATH=+20%, PATH=-15% or PATH=x1.5 (repeatable).")]
        = (),
        year: YearOpt = None,
        as_json: JsonOpt = False,
        out: OutOpt = None,
    ) -> None:
        """Base vs what-if per design: deltas in USD/kWh and %, and the gap to the reference (LFP)."""
        from costmodel.analysis.whatif import what_if
        from costmodel.scenario import parse_override

        if not set_:
            raise _fail("give at least one --set PATH=VALUE")
        _check_out(out, ".xlsx")
        try:
            overrides = [parse_override(t) for t in set_]
        except ValueError as exc:
            raise _fail(str(exc)) from None
        frame = what_if(_load(workbook), overrides, year)
        if as_json:
            typer.echo(json.dumps({"overrides": list(set_), "results": _records(frame)}, indent=2))
        else:
            _table(frame[["design", "base_usd_per_kwh", "whatif_usd_per_kwh", "delta_usd_per_kwh", "delta_pct",
                          "whatif_cny_per_wh", "base_gap_usd_per_kwh", "whatif_gap_usd_per_kwh", "whatif_gap_pct"]],
                   "What-if: " + ", ".join(set_) + " (USD/kWh unless noted)", "{:.2f}")
        _outputs(out, {"What-if": frame}, None)

    @app.command()
    def sensitivity(
        workbook: WorkbookArg = None,
        design: Annotated[str, typer.Option("--design", "-d", help="Design to rank (the table covers all designs with --json).")]
        = "nfpp",
        swing: Annotated[float, typer.Option(help="± swing for inputs without a low/high range (fraction).")] = 0.1,
        top: Annotated[int, typer.Option(help="Rows to show.")] = 15,
        year: YearOpt = None,
        as_json: JsonOpt = False,
        png: PngOpt = None,
        out: OutOpt = None,
    ) -> None:
        """Tornado: one-at-a-time swings of every price (low/high) and key design/plant inputs, with elasticities."""
        from costmodel.analysis.sensitivity import tornado

        if not 0 < swing < 1:
            raise _fail("--swing must be between 0 and 1")
        _check_out(png, ".png")
        _check_out(out, ".xlsx")
        model = _load(workbook)
        model.check_designs([design])
        table = tornado(model, year, swing=swing)
        mine = table[table["design"] == design]
        if as_json:
            typer.echo(json.dumps({"design": design, "rows": _records(mine)}, indent=2))
        else:
            _table(mine.head(top)[["rank", "parameter", "how", "low", "high", "cost_low", "cost_high", "swing", "elasticity"]],
                   f"Tornado, {design}: cost at each input's low and high (USD/kWh); base {mine['base_cost'].iloc[0]:.2f}",
                   "{:,.4g}")
        if png is not None:
            from costmodel.analysis.plots import tornado_plot

            tornado_plot(table, design, png, top)
        _outputs(out, {"Tornado": table}, png)

    @app.command()
    def montecarlo(
        workbook: WorkbookArg = None,
        n: Annotated[int, typer.Option("-n", help="Number of draws.")] = 100_000,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same numbers).")] = 0,
        chunk: Annotated[int, typer.Option(help="Draws per engine call (bounds memory).")] = 250_000,
        year: YearOpt = None,
        as_json: JsonOpt = False,
        png: PngOpt = None,
        out: OutOpt = None,
    ) -> None:
        """Monte Carlo over price ranges (triangular, Gaussian copula): P5/P50/P95, P(beats LFP), input influence."""
        from rich.console import Console
        from rich.progress import Progress

        from costmodel.analysis.montecarlo import monte_carlo

        if n < 1 or chunk < 1:
            raise _fail("-n and --chunk must be positive")
        _check_out(png, ".png")
        _check_out(out, ".xlsx")
        model = _load(workbook)
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("Monte Carlo", total=n)
            res = monte_carlo(model, n, seed, year, chunk=chunk, progress=lambda done: bar.update(task, completed=done))
        top = res.influence.assign(abs_rho=res.influence["spearman"].abs()).sort_values("abs_rho", ascending=False)
        top = top.groupby("design", sort=False).head(5).drop(columns="abs_rho")
        if as_json:
            typer.echo(json.dumps({"n": n, "seed": seed, "distribution": res.distribution, "summary": _records(res.summary),
                                   "influence": _records(res.influence)}, indent=2))
        else:
            _table(res.summary, f"Monte Carlo, {n:,} draws, seed {seed}, {res.distribution} (USD/kWh)", "{:.3f}")
            _table(top, "Largest influences (Spearman rank correlation of input price with cost)", "{:+.3f}")
        if png is not None:
            from costmodel.analysis.plots import histogram_plot

            histogram_plot(res.totals, png)
        _outputs(out, {"Summary": res.summary, "Influence": res.influence, "Inputs": res.inputs}, png)

    @app.command()
    def breakeven(
        workbook: WorkbookArg = None,
        param: Annotated[str, typer.Option("--param", help="Parameter to vary, e.g. price.li2co3.")] = "price.li2co3",
        a: Annotated[str, typer.Option("--a", help="First design.")] = "nfpp",
        b: Annotated[str, typer.Option("--b", help="Second design.")] = "lfp",
        lo: Annotated[float | None, typer.Option(help="Lower end of the search range.")] = None,
        hi: Annotated[float | None, typer.Option(help="Upper end of the search range.")] = None,
        year: YearOpt = None,
        as_json: JsonOpt = False,
        png: PngOpt = None,
        out: OutOpt = None,
    ) -> None:
        """The value of a parameter at which two designs cost the same (price links follow), or 'no crossing'."""
        from costmodel.analysis.breakeven import break_even

        _check_out(png, ".png")
        _check_out(out, ".xlsx")
        r = break_even(_load(workbook), param, a, b, year, lo, hi)
        if as_json:
            typer.echo(json.dumps({"param": param, "a": a, "b": b, "year": r.year, "lo": r.lo, "hi": r.hi,
                                   "crossings": list(r.crossings), "gap_lo_usd_per_kwh": r.gap_lo, "gap_hi_usd_per_kwh": r.gap_hi},
                                  indent=2))
        elif r.crossings:
            for c in r.crossings:
                typer.echo(f"{a} and {b} cost the same at {param} = {c:,.6g} ({r.year})")
        else:
            typer.echo(f"no crossing in [{r.lo:,.6g}, {r.hi:,.6g}]: cost({a}) - cost({b}) is {r.gap_lo:+.2f} USD/kWh at the low end "
                       f"and {r.gap_hi:+.2f} at the high end ({r.year})")
        if png is not None:
            from costmodel.analysis.plots import breakeven_plot

            breakeven_plot(r.curve, param, r.crossings, png)
        _outputs(out, {"Curve": r.curve}, png)

    @app.command()
    def diff(
        a: Annotated[str, typer.Argument(help="Scenario name or workbook (.xlsx): the 'before'.")],
        b: Annotated[str, typer.Argument(help="Scenario name or workbook (.xlsx): the 'after'.")],
        year: YearOpt = None,
        samples: Annotated[int, typer.Option(help="Permutations when more than 12 inputs differ.")] = 2000,
        design: Annotated[str, typer.Option("--design", "-d", help="Design for the waterfall chart.")] = "nfpp",
        as_json: JsonOpt = False,
        png: PngOpt = None,
        out: OutOpt = None,
    ) -> None:
        """Cost change per design split by input (Shapley values; parts add up to the total change)."""
        from costmodel.analysis.attribution import shapley
        from costmodel.model import Model

        _check_out(png, ".png")
        _check_out(out, ".xlsx")
        sides = [_side(x, year) for x in (a, b)]
        if sides[0][2].dataset.design_names != sides[1][2].dataset.design_names:
            raise _fail("the two inputs define different designs; attribution needs the same designs")
        res = shapley(sides[1][2] if isinstance(sides[1][2], Model) else sides[0][2], sides[0][:2], sides[1][:2], samples=samples)
        parts = res.parts[res.parts["usd_per_kwh"].abs() > 0]
        if as_json:
            typer.echo(json.dumps({"a": a, "b": b, "exact": res.exact, "totals": _records(res.totals),
                                   "parts": _records(res.parts)}, indent=2, default=str))
        else:
            _table(res.totals, f"Cost change {a} -> {b} (USD/kWh)", "{:.3f}")
            how = "exact Shapley" if res.exact else f"Shapley from {samples} permutations (stderr column)"
            _table(parts[["design", "input", "a_value", "b_value", "usd_per_kwh", "stderr"]], f"By input ({how})", "{:.4g}")
        if png is not None:
            from costmodel.analysis.plots import waterfall_plot

            waterfall_plot(parts, res.totals, design, png)
        _outputs(out, {"Totals": res.totals, "Parts": res.parts}, png)


def _side(text: str, year: int | None):
    """(values, choices, model) of a scenario name or a workbook path."""
    from costmodel.cli import _model
    from costmodel.runner import pick_scenarios
    from costmodel.scenario import apply_overrides, default_scenarios

    if text.lower().endswith(".xlsx"):
        model = _model(Path(text))[0]
        pset = model.parameters(year)
        return pset.values, pset.choices, model
    model = _model(None)[0]
    scenario = pick_scenarios(default_scenarios(), [text], "scenarios")[0]
    values, choices = apply_overrides(model.parameters(year), scenario.overrides, where=f"scenario {text}")
    return values, choices, model
