"""``optimize --uncertain N``: the plan whose first year holds up across N price futures, VSS, EVPI and regrets."""

from __future__ import annotations

from pathlib import Path

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import Heartbeat, fail, json_text, stdout_console


def run_uncertain(model, data, *, start: int, by: int, target: float, draws: int, seed: int, risk: str, solver: str,
                  budget: float | None, time_limit: float | None, workers: int | None, scheduler: str | None, as_json: bool,
                  png: Path | None, out: Path | None, protect: Path | None, method: str = "auto") -> None:
    """Solve the stochastic model, print the tables (or JSON), write the PNG and the results workbook when asked."""
    from costmodel.optimize.path import NoSolution
    from costmodel.optimize.solve import SolverError
    from costmodel.optimize.stochastic import check_inputs, optimize_uncertain

    check_inputs(draws, risk)
    if workers is not None and workers < 1:
        raise fail(f"--workers {workers}: give at least 1")
    if scheduler is not None:
        from costmodel.sweep import check_scheduler

        check_scheduler(scheduler, "optimize --uncertain")
    try:
        with Heartbeat("optimize --uncertain") as beat:
            r = optimize_uncertain(model, data, start, by, target, draws, seed, risk, solver, budget, time_limit,
                                   workers=workers, scheduler=scheduler, progress=beat.update, method=method)
    except (SolverError, NoSolution) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json_text(payloads.optimize_uncertain(r, model.dataset.source, solver)))
    else:
        _print(r)
    if png is not None:
        from costmodel.optimize.stochastic_report import plot_distribution

        plot_distribution(r, png)
    if out is not None:
        from costmodel.io.analysis_workbooks import optimize_sheets, write_analysis_workbook
        from costmodel.optimize.report import sheet_frames
        from costmodel.optimize.stochastic_report import workbook_sheets

        sheets = {**workbook_sheets(r), **optimize_sheets(sheet_frames(r.deterministic), r.design)}
        sheets = {(f"Deterministic {k}" if k in ("Optimizer", "Path") else k): v for k, v in sheets.items()}
        write_analysis_workbook(out, sheets, {"Chart": png} if png is not None else None, protect=protect)
        typer.echo(f"results written to {out}", err=True)


def _print(r) -> None:
    from rich import box
    from rich.table import Table

    from costmodel.optimize.stochastic import describe_text

    con = stdout_console(200)
    con.print(f"[b]{r.design}[/b]: {r.draws} price futures (seed {r.seed}), {r.risk} final-year cost by {r.years[-1]}; "
              f"base {r.base_cost:.2f}, target {r.target_cost:.2f} USD/kWh", highlight=False)
    con.print(f"Robust first year ({r.years[0]}): {describe_text(r.first_stage['stochastic'])}  "
              f"[deterministic plan: {describe_text(r.first_stage['deterministic'])}]", highlight=False)
    con.print(f"RP {r.rp:.3f}, EEV {r.eev:.3f}, WS {r.ws:.3f} USD/kWh ({r.risk}): VSS = {r.vss:.3f}, EVPI = {r.evpi:.3f} USD/kWh; "
              f"P(target) with the stochastic plan = {r.plans.loc[0, 'p_target']:.3f}", highlight=False)
    t = Table(title="Plans across the futures (final-year cost and regret vs perfect foresight, USD/kWh; spend M USD)",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("plan", "mean", "CVaR90", "P5", "P50", "P95", "P(target)", "spend", "regret", "P90 regret", "max regret"):
        t.add_column(col, justify="left" if col == "plan" else "right", no_wrap=True)
    for p in r.plans.itertuples():
        spend = "" if p.expected_spend_musd is None or p.expected_spend_musd != p.expected_spend_musd else f"{p.expected_spend_musd:.1f}"
        t.add_row(p.plan, f"{p.expected_usd_per_kwh:.2f}", f"{p.cvar90_usd_per_kwh:.2f}", f"{p.p5_usd_per_kwh:.2f}",
                  f"{p.p50_usd_per_kwh:.2f}", f"{p.p95_usd_per_kwh:.2f}", f"{p.p_target:.3f}", spend,
                  *(f"{v + 0.0:.3f}" for v in (p.mean_regret_usd_per_kwh, p.p90_regret_usd_per_kwh, p.max_regret_usd_per_kwh)))
    con.print(t)
    d = Table(title=f"First-year decisions ({r.years[0]}): share of futures whose perfect-foresight plan takes them",
              title_justify="left")
    for col in ("decision", "stochastic plan", "deterministic plan", "share"):
        d.add_column(col, justify="left" if col == "decision" else "right")
    for x in r.decisions.itertuples():
        d.add_row(x.decision, "yes" if x.stochastic_plan else "-", "yes" if x.deterministic_plan else "-",
                  f"{x.share_perfect_foresight:.2f}")
    con.print(d)
    if r.failed:
        con.print(f"{len(r.failed)} future(s) failed and are left out: "
                  + "; ".join(f"{k}: {v}" for k, v in list(r.failed.items())[:5]), highlight=False)
    bound = "" if r.bound is None else f", bound {r.bound:.4f}"
    con.print(f"Stochastic plan: objective {r.objective:.4f}{bound} USD/kWh; "
              + "; ".join(f"{k}: {v.message}" for k, v in r.status.items())
              + f". Model vs engine on the plans' final years: within {r.engine_check:.4f} USD/kWh. Recourse solves: {r.workers}.",
              highlight=False)
    con.print("Seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in r.timings.items()), highlight=False)
