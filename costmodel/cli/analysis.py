"""What-if analytics commands: whatif, sensitivity, montecarlo, breakeven, diff.

Each works on the bundled data or a workbook, prints a table (or ``--json``), and can write a PNG
plot (``--png``) and a results workbook of its tables and plot (``--out``). Bad input exits with
code 2 and a message on stderr. Only typer, typing and pathlib are imported here; numpy, pandas,
matplotlib and the model are imported inside the commands so that ``costmodel --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import EXIT_BAD_INPUT, check_output, fail, json_text, load_model, stdout_console

WorkbookArg = Annotated[
    Path | None, typer.Argument(help="Planner workbook (.xlsx). The bundled default data when omitted.", show_default=False)
]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help="Year of prices and FX (default: the first year in the data).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
PngOpt = Annotated[Path | None, typer.Option("--png", help="Write the plot to this PNG file.")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Write the tables (and plot) to a new results workbook (.xlsx).")]
RegionOpt = Annotated[str | None, typer.Option("--region", "-r", help="Plant region (a row group of the Regions table: cn, de, hu, "
                                                                       "us, ...). Default: the data's global.region.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace existing --out and --png files.")]
_fail = fail


class _BadInput:
    """Context manager: input errors (InputError, UnitError) become a message on stderr and exit code 2."""

    def __enter__(self) -> _BadInput:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        from costmodel.units import UnitError
        from costmodel.validation import InputError

        if isinstance(exc, InputError):
            typer.echo(exc.report(), err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        if isinstance(exc, UnitError):
            raise _fail(str(exc)) from None
        return False


def _load(workbook: Path | None, region: str | None = None):
    """The model on a validated workbook, or on the bundled data, with the plant in ``region``."""
    return load_model(workbook, region)[0]


def _console():
    return stdout_console(160)


def _table(frame, title: str, formats: dict | None = None, default: str = "{:,.4g}", caption: str | None = None) -> None:
    """Print a DataFrame as a rich table; ``formats`` maps column → format string."""
    from rich.table import Table

    formats = formats or {}
    t = Table()
    for c in frame.columns:
        numeric = frame[c].dtype.kind in "fiu"
        t.add_column(str(c), justify="right" if numeric else "left", no_wrap=not numeric)
    for row in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            if isinstance(v, float):
                cells.append("" if v != v else formats.get(c, default).format(v))
            else:
                cells.append(str(v))
        t.add_row(*cells)
    console = _console()
    console.print(title, style="bold", highlight=False, markup=False)
    console.print(t)
    if caption:
        console.print(caption, highlight=False, markup=False)


def _emit(document: dict) -> None:
    """Print a command's JSON document (``payloads``) as strict JSON."""
    typer.echo(json_text(document))


def _check_out(path: Path | None, suffix: str, force: bool = False, workbook: Path | None = None) -> None:
    """Refuse an output path before any work: wrong ending, missing folder, an existing file without --force, the input."""
    check_output(path, suffix, force, option="--png" if suffix == ".png" else "--out", protect=workbook)


def _outputs(out: Path | None, sheets: dict, png: Path | None, written: Path | None = None) -> None:
    if out is not None:
        from costmodel.io.atomic import write_tables_workbook

        write_tables_workbook(out, sheets, {"Chart": png} if png is not None else None)
    if out is not None or written is not None:
        typer.echo(f"results written to {out or written}", err=True)
    if png is not None:
        typer.echo(f"plot written to {png}", err=True)


def _num(x: float) -> str:
    """A parameter value for text: thousands separators, 6 significant digits, no exponent for whole numbers."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.6g}"


def _unit(model, param: str) -> str:
    """Unit of a flat numeric parameter (a price's quoted unit, the catalog unit, CNY/USD for FX)."""
    parts = param.split(".")
    if parts[0] == "price":
        p = model.dataset.prices
        u = p.loc[p["item"] == parts[1], "unit"]
        return str(u.iloc[0]) if len(u) else ""
    if parts[0] == "fx":
        return "CNY/USD"
    from costmodel.catalog import load_catalog

    spec = load_catalog().get((parts[0], parts[-1])) if parts[0] in ("design", "material", "global") else None
    return spec.unit if spec is not None and spec.unit not in ("", "-") else ""



def whatif(
    workbook: WorkbookArg = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override PATH=VALUE, PATH=+20%, PATH=-15% or PATH=x1.5 (repeatable).")
    ] = None,
    year: YearOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
    png: PngOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Base vs what-if per design: change in USD/kWh and %, and the gap to the reference (LFP) before and after."""
    if not set_:
        raise _fail("give at least one --set PATH=VALUE (or PATH=+20%, PATH=-15%, PATH=x1.5)")
    _check_out(png, ".png", force, workbook)
    _check_out(out, ".xlsx", force, workbook)
    with _BadInput():
        from costmodel.analysis.whatif import what_if
        from costmodel.scenario import parse_override

        try:
            overrides = [parse_override(t) for t in set_]
        except ValueError as exc:
            raise _fail(f"--set: {exc}") from None
        model = _load(workbook, region)
        frame = what_if(model, overrides, year)
    ref = model.dataset.reference_design
    if as_json:
        _emit(payloads.whatif(frame, set_, ref, int(frame["year"].iloc[0]), model.dataset.source))
    else:
        shown = frame[["design", "base_usd_per_kwh", "whatif_usd_per_kwh", "delta_usd_per_kwh", "delta_pct", "whatif_cny_per_wh",
                       "base_gap_usd_per_kwh", "whatif_gap_usd_per_kwh", "base_gap_pct", "whatif_gap_pct"]]
        shown.columns = ["design", "base", "what-if", "change", "change %", "what-if CNY/Wh", f"gap to {ref}", f"gap to {ref} after",
                         "gap %", "gap % after"]
        _table(shown, f"What-if {int(frame['year'].iloc[0])}: {', '.join(set_)}", {"change %": "{:+.2f}", "change": "{:+.3f}",
               "what-if CNY/Wh": "{:.4f}", "gap %": "{:+.1f}", "gap % after": "{:+.1f}"}, "{:.3f}",
               caption="USD/kWh unless noted; gap = design - reference")
    if png is not None:
        from costmodel.analysis.plots import whatif_plot

        whatif_plot(frame, png, ", ".join(set_))
    _outputs(out, {"What-if": frame}, png)

def sensitivity(
    workbook: WorkbookArg = None,
    design: Annotated[str, typer.Option("--design", "-d", help="Design to rank.")] = "nfpp",
    swing: Annotated[float, typer.Option(help="± swing for inputs without a low/high range in the data (fraction).")] = 0.1,
    only: Annotated[list[str] | None, typer.Option("--only", help="Kinds of input: price, design, material, global, fx (repeatable).")]
    = None,
    top: Annotated[int, typer.Option(help="Rows to show and plot.")] = 15,
    year: YearOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
    png: PngOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Tornado: one-at-a-time swings of every price (low/high) and key design/plant inputs (±swing), with elasticities."""
    if not 0 < swing < 1:
        raise _fail("--swing must lie between 0 and 1 (0.1 = ±10 %)")
    if top < 1:
        raise _fail("--top must be at least 1")
    _check_out(png, ".png", force, workbook)
    _check_out(out, ".xlsx", force, workbook)
    with _BadInput():
        from costmodel.analysis.sensitivity import DEFAULT_KINDS, KINDS, tornado

        kinds = tuple(only) if only else DEFAULT_KINDS
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise _fail(f"--only: unknown kind {', '.join(map(repr, bad))}; choose from {', '.join(KINDS)}")
        model = _load(workbook, region)
        model.check_designs([design])
        table = tornado(model, year, swing=swing, kinds=kinds)
    mine = table[table["design"] == design]
    used = mine[mine["affects"]]
    idle = list(mine.loc[~mine["affects"], "parameter"])
    base_cost = float(mine["base_cost"].iloc[0])
    year_used = model.parameters(year).year
    if as_json:
        _emit(payloads.sensitivity(used, idle, design, year_used, swing, base_cost, model.dataset.source,
                                   {p: _unit(model, p) for p in used["parameter"]}))
    else:
        shown = used.head(top)[["rank", "parameter", "how", "base", "low", "high", "cost_low", "cost_high", "swing", "elasticity"]]
        _table(shown, f"Tornado {design}, {year_used}: cost (USD/kWh) at each input's low and high; base {base_cost:.2f} USD/kWh",
               {"cost_low": "{:.2f}", "cost_high": "{:.2f}", "swing": "{:.2f}", "elasticity": "{:+.3f}"}, "{:,.6g}",
               caption=f"{len(used)} inputs move the {design} cost ({len(idle)} others do not: not shown); prices over their data "
                       f"range, other inputs ±{swing:.0%} within their bounds; elasticity = d ln cost / d ln x at ±1 %")
    if png is not None:
        from costmodel.analysis.plots import tornado_plot

        tornado_plot(table, design, png, top)
    if out is not None:
        from costmodel.io.analysis_workbooks import tornado_sheets, write_analysis_workbook
        from costmodel.io.live_model import parameter_unit

        static = model.dataset.static
        write_analysis_workbook(out, tornado_sheets(table, design, top, lambda p: parameter_unit(p, static, {})),
                                {"Chart": png} if png is not None else None)
    _outputs(None, {}, png, out)

def montecarlo(
    workbook: WorkbookArg = None,
    n: Annotated[int, typer.Option("-n", help="Number of draws.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same numbers, whatever the chunk size).")] = 0,
    dist: Annotated[str, typer.Option(help="Price distribution between low and high: triangular or pert (mode = table value).")]
    = "triangular",
    chunk: Annotated[int, typer.Option(help="Draws per engine call (bounds memory; whole blocks of 65,536).")] = 200_000,
    sampler: Annotated[str, typer.Option(help="random (plain draws) or sobol (scrambled Sobol points, seeded; 2^17 of them "
                                              "are as accurate as 10^6 random draws; use powers of 2).")] = "random",
    year: YearOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
    png: PngOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Monte Carlo over the price ranges (Gaussian copula): P5/P50/P95, P(cheaper than LFP) per draw, rank influences."""
    if n < 1 or chunk < 1:
        raise _fail("-n and --chunk must be at least 1")
    if seed < 0:
        raise _fail(f"--seed must be a whole number of 0 or more, not {seed}")
    if dist not in ("triangular", "pert"):
        raise _fail(f"--dist: unknown distribution {dist!r}; choose triangular or pert")
    if sampler not in ("random", "sobol"):
        raise _fail(f"--sampler: unknown sampler {sampler!r}; choose random or sobol")
    _check_out(png, ".png", force, workbook)
    _check_out(out, ".xlsx", force, workbook)
    with _BadInput():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from costmodel.analysis.montecarlo import monte_carlo

        model = _load(workbook, region)
        model.parameters(year)  # a bad year fails before the progress bar appears
        columns = (TextColumn("Monte Carlo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("draws", total=n)
            res = monte_carlo(model, n, seed, year, chunk=chunk, dist=dist, progress=lambda done: bar.update(task, completed=done),
                              sampler=sampler)
    ref = model.dataset.reference_design
    if as_json:
        _emit(payloads.montecarlo(res, n, seed, ref, model.dataset.source, sampler))
    else:
        s = res.summary.rename(columns={"p_beats_reference": f"P(< {ref})", "p_beats_stderr": "± se"})
        held = list(res.inputs.loc[~res.inputs["drawn"], "item"])
        _table(s, f"Monte Carlo {res.year}: {n:,} {'Sobol points' if sampler == 'sobol' else 'draws'}, seed {seed}, prices "
                  f"{res.distribution}, Gaussian copula (USD/kWh)",
               {f"P(< {ref})": "{:.4f}", "± se": "{:.4f}"}, "{:.2f}",
               caption=f"P(< {ref}): share of draws in which the design is cheaper than {ref} on the same prices"
                       + (f"; held at the table value (no range): {', '.join(held)}" if held else ""))
        wide = res.influence.pivot_table(index="input", columns="design", values="spearman", sort=False)[list(res.totals)]
        top = sorted({i for d in wide.columns for i in wide[d].abs().nlargest(5).index}, key=lambda i: -wide.loc[i].abs().max())
        _table(wide.loc[top].reset_index(), f"Largest influences: Spearman rank correlation of each price draw with each design's "
               f"cost (top 5 per design; first {res.influence_draws:,} draws)", {}, "{:+.3f}")
        if len(res.links):
            _table(res.links, "Price links: the driver's draw vs the linked price (link + residual correlation)", {}, "{:+.3f}")
    if png is not None:
        from costmodel.analysis.plots import histogram_plot

        histogram_plot(res.totals, png, f"Monte Carlo cell cost {res.year}, {n:,} draws ({dist})")
    _outputs(out, {"Summary": res.summary, "Influence": res.influence, "Inputs": res.inputs, "Correlations": res.correlations,
                   "Links": res.links}, png)

def breakeven(
    workbook: WorkbookArg = None,
    param: Annotated[str, typer.Option("--param", help="Numeric parameter to vary, e.g. price.li2co3.")] = "price.li2co3",
    a: Annotated[str, typer.Option("--a", help="First design.")] = "nfpp",
    b: Annotated[str, typer.Option("--b", help="Second design.")] = "lfp",
    lo: Annotated[float | None, typer.Option(help="Low end of the search (default: prices from low/10, others 0.1x).")] = None,
    hi: Annotated[float | None, typer.Option(help="High end of the search (default: prices to 5x high, others 10x).")] = None,
    year: YearOpt = None,
    region: RegionOpt = None,
    as_json: JsonOpt = False,
    png: PngOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """The value of a parameter at which two designs cost the same (price links follow), or 'no crossing' with the gaps."""
    _check_out(png, ".png", force, workbook)
    _check_out(out, ".xlsx", force, workbook)
    with _BadInput():
        from costmodel.analysis.breakeven import break_even

        model = _load(workbook, region)
        r = break_even(model, param, a, b, year, lo, hi)
    unit = _unit(model, param)
    if as_json:
        _emit(payloads.breakeven(r, param, unit, a, b, model.dataset.source))
    else:
        u = f" {unit}" if unit else ""
        for c, cost in zip(r.crossings, r.cost_at_crossings, strict=True):
            typer.echo(f"{a} and {b} cost the same at {param} = {_num(c)}{u} ({r.year}): {cost:.2f} USD/kWh each")
        if not r.crossings:
            typer.echo(f"no crossing in [{_num(r.lo)}, {_num(r.hi)}]{u} ({r.year}): {a} and {b} never cost the same there")
        typer.echo(f"gap {a} - {b}: {r.gap_lo:+.2f} USD/kWh at {_num(r.lo)}, {r.gap_base:+.2f} at the data value {_num(r.base)}, "
                   f"{r.gap_hi:+.2f} at {_num(r.hi)}")
        if r.extrapolated is not None:
            import math

            side = "--hi" if r.extrapolated > r.hi else "--lo"
            wider = 1.25 * r.extrapolated if side == "--hi" else 0.8 * r.extrapolated
            if wider > 0:
                wider = round(wider, 1 - math.floor(math.log10(wider)))
            typer.echo(f"the gap's trend at the {'high' if side == '--hi' else 'low'} end reaches zero near {_num(r.extrapolated)}{u}, "
                       f"outside the range: try {side} {wider:.15g}")
    if png is not None:
        from costmodel.analysis.plots import breakeven_plot

        breakeven_plot(r.curve, param, r.crossings, png, r.base, unit)
    _outputs(out, {"Curve": r.curve}, png)

def diff(
    a: Annotated[str, typer.Argument(help="The 'before': a scenario name ('base', 'lithium_crash', ...), a workbook (.xlsx) or "
                                          "WORKBOOK.xlsx:SCENARIO.")],
    b: Annotated[str, typer.Argument(help="The 'after', same forms.")],
    year: YearOpt = None,
    samples: Annotated[int, typer.Option(help="Permutations (antithetic pairs) when more than 12 inputs differ.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the permutation sample.")] = 0,
    by_parameter: Annotated[bool, typer.Option("--by-parameter", help="One input per parameter (default: design, material and "
                                                                       "link parameters grouped per design/material/link).")] = False,
    design: Annotated[str | None, typer.Option("--design", "-d", help="Design of the PNG waterfall (default: the design whose "
                                                                     "cost moves most).")] = None,
    as_json: JsonOpt = False,
    png: PngOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Cost change A -> B per design split by input (Shapley values: the parts add up to the total change)."""
    if samples < 2:
        raise _fail("--samples must be at least 2")
    _check_out(png, ".png", force)
    _check_out(out, ".xlsx", force)
    with _BadInput():
        from costmodel.analysis.attribution import EXACT_MAX, shapley

        (va, ca, ma), (vb, cb, mb) = _side(a, year), _side(b, year)
        if ma.dataset.design_names != mb.dataset.design_names:
            raise _fail("the two sides define different designs; attribution needs the same designs")
        if ma.dataset.static != mb.dataset.static or set(va) != set(vb):
            raise _fail("the two sides differ in their items, price units or price links (not only in values); "
                        "attribution needs the same structure: quote every price in the same unit on both sides")
        if design is not None:
            ma.check_designs([design])
        res = shapley(ma, (va, ca), (vb, cb), samples=samples, seed=seed, group=not by_parameter)
    yr = ma.parameters(year).year
    k = res.parts["input"].nunique()
    method = (f"exact Shapley over {k} input{'s' if k != 1 else ''}" if res.exact
              else f"Shapley from {res.permutations} sampled permutations (antithetic pairs) over {k} inputs (> {EXACT_MAX})")
    if as_json:
        _emit(payloads.diff(res, a, b, yr, method))
    else:
        _print_waterfall(res, a, b, yr, method)
    from costmodel.io.analysis_workbooks import diff_sheets, moved_designs, write_analysis_workbook

    moved, still = moved_designs(res.totals, res.parts)
    if still and not as_json:
        typer.echo(f"did not move between {a} and {b}: {', '.join(still)}" if moved else
                   f"no design's cost moves between {a} and {b}", err=True)
    if png is not None:
        from costmodel.analysis.plots import waterfall_plot

        biggest = max(moved, key=lambda d: abs(float(res.totals.set_index("design").at[d, "change"])), default=None)
        shown = design or biggest or res.totals["design"].iloc[0]
        if shown in still:
            typer.echo(f"the waterfall of {shown} is flat: its cost does not move between {a} and {b}", err=True)
        waterfall_plot(res.parts, res.totals, shown, png, a, b)
    if out is not None:
        write_analysis_workbook(out, diff_sheets(res.totals, res.parts, a, b), {"Chart": png} if png is not None else None)
    _outputs(None, {}, png, out)


def register(app: typer.Typer) -> None:
    """Add the analysis commands (whatif, sensitivity, montecarlo, breakeven, diff) to ``app``."""
    for command in (whatif, sensitivity, montecarlo, breakeven, diff):
        app.command()(command)


def _print_waterfall(res, a: str, b: str, year: int, method: str) -> None:
    """Waterfall table: cost A, each input's part per design, cost B (USD/kWh)."""
    import pandas as pd

    designs = list(res.totals["design"])
    if res.parts.empty:
        frame = res.totals.copy()
        _table(frame, f"Cost change {a} -> {b}, {year} (USD/kWh)", {}, "{:.3f}", caption="no input differs between the two sides")
        return
    wide = res.parts.pivot_table(index="input", columns="design", values="usd_per_kwh", sort=False)[designs]
    err = res.parts.pivot_table(index="input", columns="design", values="stderr", sort=False)[designs]
    first = res.parts.drop_duplicates("input").set_index("input")
    order = wide.abs().max(axis=1).sort_values(ascending=False, kind="stable").index
    moving = [i for i in order if (wide.loc[i] != 0).any()]
    rows = [["cost " + a, "", ""] + [f"{v:.3f}" for v in res.totals["cost_a"]]]
    for i in moving:
        cells = []
        for d in designs:
            v = wide.at[i, d]
            cells.append(f"{v:+.3f}" + (f" ± {err.at[i, d]:.3f}" if not res.exact else ""))
        rows.append([i, str(first.at[i, "a_value"]), str(first.at[i, "b_value"]), *cells])
    rows.append(["cost " + b, "", ""] + [f"{v:.3f}" for v in res.totals["cost_b"]])
    rows.append(["change", "", ""] + [f"{v:+.3f}" for v in res.totals["change"]])
    frame = pd.DataFrame(rows, columns=["input", "A", "B", *designs])
    idle = len(order) - len(moving)
    _table(frame, f"Cost change {a} -> {b}, {year} (USD/kWh): {method}",
           caption="parts add up to the change" + (f"; {idle} changed inputs move no design's cost (not shown)" if idle else ""))


def _side(text: str, year: int | None):
    """(values, choices, model) of a scenario name, a workbook path, or WORKBOOK.xlsx:SCENARIO."""
    from costmodel.model import Model
    from costmodel.runner import pick_scenarios
    from costmodel.scenario import apply_overrides, default_scenarios, scenarios_from_rows

    cut = text.lower().find(".xlsx:")
    path, name = (text[:cut + 5], text[cut + 6:]) if cut >= 0 else (text, "")
    if path.lower().endswith(".xlsx"):
        from costmodel.io.workbook import read_workbook

        wb = read_workbook(Path(path), history=False)
        model = Model(wb.dataset)
        available = dict(scenarios_from_rows(wb.scenario_rows))
        where = str(path)
    else:
        model, available, where, name = Model(), default_scenarios(), "bundled scenarios", text
    pset = model.parameters(year)
    if not name:
        return dict(pset.values), dict(pset.choices), model
    scenario = pick_scenarios(available, [name], where)[0]
    values, choices = apply_overrides(pset, scenario.overrides, where=f"scenario {name}")
    return values, choices, model
