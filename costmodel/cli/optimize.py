"""The ``optimize`` command: the cheapest path of scale, levers, routes and suppliers to a cost target."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from costmodel.cli.common import Heartbeat, check_output, fail, json_text, load_model, stdout_console

if TYPE_CHECKING:
    from costmodel.io.workbook import WorkbookInput
    from costmodel.model import Model
    from costmodel.optimize.data import OptimizerData


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` command to ``app``."""

    @app.command()
    def optimize(
        workbook: Annotated[Path | None, typer.Argument(help="Planner workbook (.xlsx); bundled data when omitted.",
                                                        show_default=False)] = None,
        design: Annotated[str, typer.Option("--design", "-d", help="Design to optimise.")] = "nfpp",
        region: Annotated[str | None, typer.Option("--region", "-r", help="Plant region (cn, de, hu, us, ...). Default: the "
                                                                          "data's global.region.")] = None,
        target: Annotated[float, typer.Option(help="Final-year cost as a fraction of the base-year cost (0.5 = halve).")] = 0.5,
        start: Annotated[int, typer.Option(help="First year of the path.")] = 2026,
        by: Annotated[int, typer.Option("--by", help="Final year of the path.")] = 2028,
        solver: Annotated[str, typer.Option(help="highs (default) or cbc (PuLP's bundled CBC).")] = "highs",
        budget: Annotated[float | None, typer.Option(help="Instead: lowest final-year cost with total spend <= BUDGET (M USD).")]
        = None,
        time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds per solve.")] = None,
        pareto: Annotated[bool, typer.Option("--pareto", help="Also trace final-year cost against total spend.")] = False,
        formulation: Annotated[str, typer.Option(help="auto, exact (every lever and route combination enumerated) or pairwise "
                                                      "(one block per lever group, second-order expansion re-anchored on the answer).")]
        = "auto",
        industry_share: Annotated[float | None, typer.Option("--industry-share", help="Supplier caps from the industry: this "
                                                                                     "share (0-1) of the Capacity table's available "
                                                                                     "capacity in the first year, split between the "
                                                                                     "suppliers of each item. Default: their own caps.")]
        = None,
        scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="A scenario's overrides (workbook Scenarios sheet, "
                                                                              "bundled scenarios or --scenario-file).")] = None,
        scenario_file: Annotated[list[Path] | None, typer.Option("--scenario-file", help="TOML file(s) with more scenarios.")]
        = None,
        set_: Annotated[list[str] | None, typer.Option("--set", help="Override, e.g. global.learning_rate=0.2, "
                                                                     "supplier.coconut_a.capacity_kt=x10, optimizer.ramp=5, "
                                                                     "demand.sellable_gwh@2028=+10GWh (repeatable; after --scenario).")]
        = None,
        sweep: Annotated[str | None, typer.Option("--sweep", help="Run many independent optimizations instead: draws:N (N price "
                                                                  "futures from the Monte Carlo copula), scenarios, or designs; "
                                                                  "on a local Dask cluster (or --scheduler).")] = None,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the price futures (--sweep draws:N, --evaluate-path, "
                                                         "--uncertain).")] = 0,
        evaluate_path: Annotated[int | None, typer.Option("--evaluate-path", help="Also cost the path's final year on N price "
                                                                                  "futures (Monte Carlo copula): its cost "
                                                                                  "distribution and P(target).")] = None,
        uncertain: Annotated[int | None, typer.Option("--uncertain", help="Decide under price uncertainty: a two-stage "
                                                                          "stochastic plan over N price futures (Monte Carlo "
                                                                          "copula); its robust first year, VSS, EVPI and regrets.")]
        = None,
        uncertain_method: Annotated[str, typer.Option("--uncertain-method", help="With --uncertain: auto (scenario "
                                                                                "decomposition over candidate first years, "
                                                                                "gap to the perfect-foresight bound "
                                                                                "reported) or extensive (the extensive-form "
                                                                                "MILP; proven, slower).")] = "auto",
        risk: Annotated[str, typer.Option("--risk", help="With --uncertain: minimise the mean or the CVaR-90 (mean of the "
                                                         "worst 10 %) of the final-year cost.")] = "mean",
        workers: Annotated[int | None, typer.Option("--workers", help="Local Dask workers for --sweep (default: one per "
                                                                      "core) and for --uncertain's per-future solves "
                                                                      "(default: one per core from 20 futures, else this "
                                                                      "process).")] = None,
        scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of an existing Dask scheduler for --sweep "
                                                                          "and --uncertain (tcp://host:8786).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
        png: Annotated[Path | None, typer.Option("--png", help="Write the cost-path chart to this PNG.")] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the path to a new results workbook (.xlsx).")] = None,
        force: Annotated[bool, typer.Option("--force", help="Replace existing --out and --png files.")] = False,
    ) -> None:
        """Which path of scale-up, energy-density levers, material routes and suppliers reaches the target, at least spend."""
        from costmodel.optimize.path import NoSolution
        from costmodel.optimize.path import optimize as run
        from costmodel.optimize.report import sheet_frames
        from costmodel.optimize.solve import SolverError

        if not 0 < target < 1.5:
            raise _fail("--target must be a fraction such as 0.5")
        if budget is not None and not (math.isfinite(budget) and budget >= 0):
            raise _fail(f"--budget must be a finite spend in M USD, 0 or more, not {budget:g}")
        if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
            raise _fail(f"--time-limit must be a positive number of seconds, not {time_limit:g}")
        if formulation not in ("auto", "exact", "pairwise"):
            raise _fail(f"--formulation must be auto, exact or pairwise, not {formulation!r}")
        if uncertain is not None or risk != "mean" or uncertain_method != "auto":
            from costmodel.optimize.stochastic import check_inputs

            check_inputs(1 if uncertain is None else uncertain, risk)
            if uncertain is None:
                raise _fail("--risk and --uncertain-method apply to --uncertain N; add --uncertain")
            if uncertain_method not in ("auto", "extensive"):
                raise _fail(f"--uncertain-method must be auto or extensive, not {uncertain_method!r}")
            if sweep is not None or pareto or evaluate_path is not None:
                raise _fail("--uncertain runs on its own: drop --sweep, --pareto and --evaluate-path")
        check_output(png, ".png", force, option="--png", protect=workbook)
        check_output(out, ".xlsx", force, protect=workbook)
        model, wb = load_model(workbook, region)
        model.check_designs([design])
        if sweep is not None:
            from costmodel.cli.optimize_sweep import run_sweep
            from costmodel.optimize.sweeps import Settings

            settings = Settings(None if workbook is None else str(workbook), region, design, start, by, target, solver, budget,
                                time_limit)
            run_sweep(model, wb, settings, sweep, seed, workers, scheduler, scenario_file, as_json)
            return
        data = _optimizer_data(model, wb, design)
        if industry_share is not None:
            data = _industry_caps(model, wb, data, industry_share, start)
        if scenario is not None or set_:
            from costmodel.cli.common import available_scenarios
            from costmodel.optimize.overrides import parse_sets, scenario_overrides, with_overrides

            try:
                overrides = (*scenario_overrides(available_scenarios(wb, scenario_file), scenario, model.dataset.source),
                             *parse_sets(set_ or []))
            except ValueError as exc:
                raise _fail(str(exc)) from None
            model, data = with_overrides(model, data, overrides, "--set" if scenario is None else f"scenario {scenario}")
        if uncertain is not None:
            from costmodel.cli.optimize_uncertain import run_uncertain

            run_uncertain(model, data, start=start, by=by, target=target, draws=uncertain, seed=seed, risk=risk, solver=solver,
                          budget=budget, time_limit=time_limit, workers=workers, scheduler=scheduler, as_json=as_json, png=png,
                          out=out, protect=workbook, method=uncertain_method)
            return
        try:
            with Heartbeat("optimize") as beat:
                result = run(model, data, start, by, target, solver, budget, time_limit, formulation=formulation,
                             pareto_points=6 if pareto else 0, progress=beat.update)
        except (SolverError, NoSolution) as exc:
            raise _fail(str(exc)) from None
        futures = None
        if evaluate_path is not None:
            from costmodel.optimize.futures import evaluate_path as fare

            if evaluate_path < 1:
                raise _fail(f"--evaluate-path {evaluate_path}: give at least 1 price future")
            futures = fare(model, data, result, evaluate_path, seed)
        frames = sheet_frames(result)
        if as_json:
            import costmodel.cli.payloads as payloads

            typer.echo(json_text(payloads.optimize(result, model.dataset.source, solver, futures)))
        else:
            _print(result)
            if futures is not None:
                _print_futures(futures)
        if png is not None:
            from costmodel.optimize.report import plot_path

            plot_path(result, png)
        if out is not None:
            from costmodel.io.analysis_workbooks import optimize_sheets, write_analysis_workbook

            write_analysis_workbook(out, optimize_sheets(frames, design), {"Chart": png} if png is not None else None)
            typer.echo(f"results written to {out}", err=True)


def _optimizer_data(model: Model, wb: WorkbookInput | None, design: str) -> OptimizerData:
    """The optimizer's data for ``design``: the workbook's optimizer sheets, else the bundled tables (with a note on
    stderr when a workbook without them was given), checked against the model's dataset.

    Raises:
        InputError: bad optimizer data, each problem at its ``Sheet!Cell`` (or CSV line).
    """
    from costmodel.optimize import data as odata

    if wb is not None and (data := wb.optimizer_data(design)) is not None:
        return data
    if wb is not None:
        typer.echo(f"note: {wb.path.name} has no optimizer sheets; using the bundled optimizer tables", err=True)
    return odata.load_default(design, model.dataset)


def _industry_caps(model: Model, wb: WorkbookInput | None, data: OptimizerData, share: float, year: int) -> OptimizerData:
    """Supplier caps as ``share`` of the industry's available capacity in ``year`` (``supply.shares``)."""
    from costmodel.cli.supply import supply_data
    from costmodel.supply.params import resolve
    from costmodel.supply.shares import supplier_caps

    if not (math.isfinite(share) and 0 <= share <= 1):
        raise _fail(f"--industry-share must be a fraction between 0 and 1, not {share:g}")
    return supplier_caps(data, resolve(supply_data(model, wb), [year]), share, year)


_fail = fail


def _print_futures(f) -> None:
    import numpy as np

    p5, p50, p95 = np.percentile(f.final, [5, 50, 95])
    stdout_console(200).print(
        f"Across {f.draws:,} price futures (seed {f.seed}): final-year cost P5/P50/P95 = {p5:.2f} / {p50:.2f} / {p95:.2f} "
        f"USD/kWh; P(at or below the target {f.target:.2f}) = {f.p_target:.3f} (± {f.stderr(f.p_target):.3f}); "
        f"P({f.fraction:g} x the future's own base) = {f.p_own_target:.3f}", highlight=False)


def _print(r) -> None:
    from rich.table import Table

    con = stdout_console(200)
    if r.budget is not None:
        verdict = (f"lowest final-year cost within {r.budget:g} M USD: {r.best_cost:.2f} USD/kWh = "
                   f"{100 * (r.best_cost / r.base_cost - 1):+.1f} %")
    else:
        verdict = (f"target reached: {r.path['cost_engine'].iloc[-1]:.2f} <= {r.target_cost:.2f} USD/kWh" if r.reached else
                   f"target NOT reachable: best {r.best_cost:.2f} USD/kWh = {100 * (r.best_cost / r.base_cost - 1):+.1f} % "
                   f"(target {r.target_cost:.2f})")
    con.print(f"[b]{r.design}[/b]: base {r.base_year} cost {r.base_cost:.2f} USD/kWh; {verdict}; spend {r.spend_musd:.1f} M USD")
    if r.blend_step > 0:
        con.print(f"Blends: {', '.join(r.blend_families) or 'no family'} may mix two routes in {100 * r.blend_step:g} % steps (routes "
                  "that set the anode material); other families take one route (optimizer.blend_step=0: one route everywhere)")
    for phase, res in r.status.items():
        if res.status != "optimal":
            typer.echo(f"warning: {phase}: {res.message}", err=True)
    t = Table(title="Path", title_justify="left")
    for col in ("year", "plant GWh", "output GWh", "cumulative GWh", "routes", "levers", "USD/kWh (engine)", "vs base"):
        t.add_column(col)
    for p in r.path.itertuples():
        t.add_row(str(p.year), f"{p.plant_gwh:g}", f"{p.output_gwh:.1f}", f"{p.cumulative_gwh:.1f}", p.routes, p.levers,
                  f"{p.cost_engine:.2f}", f"{p.reduction_pct:+.1f} %")
    con.print(t)
    used = r.suppliers[r.suppliers["quantity_kt"] > 1e-6]
    for year, rows in used.groupby("year"):
        con.print(f"Suppliers {year} (kt/yr used of cap): "
                  + ", ".join(f"{s.supplier} {s.quantity_kt:.1f}/{s.capacity_kt:g}" for s in rows.itertuples()))
    con.print("Reduction of the final-year cost by driver (USD/kWh): "
              + ", ".join(f"{k} {v:+.2f}" for k, v in r.split.items()))
    if r.binding:
        con.print("Binding constraints (final-year cost if relaxed): "
                  + ", ".join(f"{k} -> {v:.2f}" if v == v else k for k, v in r.binding.items()))
    sh = r.shadow[r.shadow["usd_per_kwh_per_kt"].abs() > 0] if len(r.shadow) else r.shadow
    for s in sh.itertuples():
        con.print(f"Shadow price: one more kt/yr of {s.supplier} ({s.item}) is worth {-s.usd_per_kwh_per_kt:.3f} USD/kWh "
                  f"= {-s.musd_per_year_per_kt * 1000:,.0f} USD per tonne per year")
    final = r.path.iloc[-1]
    con.print(f"Engine check, final year: optimizer {final.cost_model:.4f} vs engine {final.cost_engine:.4f} USD/kWh "
              f"({100 * abs(final.cost_model / final.cost_engine - 1):.3f} %; learning-curve error bound "
              f"{100 * r.learning_error:.2f} % of the learnable part; {r.formulation} formulation, {r.anchor_rounds} build(s))")
    if r.pareto is not None:
        con.print("Pareto (final-year cost USD/kWh vs spend M USD): "
                  + "; ".join(f"{a:.2f} @ {b:.1f}" for a, b in r.pareto.itertuples(index=False)))
