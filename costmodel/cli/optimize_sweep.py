"""``optimize --sweep``: many independent optimizations (price futures, scenarios, designs) on Dask, one table back."""

from __future__ import annotations

import typer

import costmodel.cli.payloads as payloads
from costmodel.cli.common import available_scenarios, fail, json_text, stdout_console


def run_sweep(model, wb, settings, spec: str, seed: int, workers: int | None, scheduler: str | None, scenario_files,
              as_json: bool) -> None:
    """Build the cases of ``spec`` (``draws:N``, ``scenarios``, ``designs``), run them, print the table or JSON."""
    from costmodel.optimize import sweeps
    from costmodel.sweep import run_cases

    kind, _, arg = spec.partition(":")
    if kind == "draws":
        try:
            n = int(arg)
        except ValueError:
            raise fail(f"--sweep draws:N needs a whole number of price futures, not {arg!r}") from None
        if n < 1:
            raise fail(f"--sweep draws:{n}: give at least 1 price future")
        from costmodel.analysis.montecarlo import price_draws

        items, prices = price_draws(model, n, seed)
        cases = sweeps.draw_cases(settings, items, prices, {})
    elif kind == "scenarios" and not arg:
        cases = sweeps.scenario_cases(settings, available_scenarios(wb, scenario_files))
    elif kind == "designs" and not arg:
        cases = sweeps.design_cases(settings, model.dataset.design_names)
    else:
        raise fail(f"--sweep {spec!r}: write draws:N, scenarios or designs")
    if workers is not None and workers < 1:
        raise fail(f"--workers {workers}: give at least 1")

    def progress(done: int, total: int) -> None:
        typer.echo(f"sweep: {done}/{total} cases done", err=True)

    outcomes = run_cases(cases, workers=workers, scheduler=scheduler, progress=progress)
    rows = []
    for o in outcomes:
        v = o.value or {}
        rows.append({"case": o.key, "status": o.status, "error": o.error, "seconds": payloads.num(o.seconds),
                     "base_usd_per_kwh": payloads.num(v.get("base_usd_per_kwh")),
                     "usd_per_kwh": payloads.num(v.get("best_usd_per_kwh")), "change_pct": payloads.num(v.get("change_pct")),
                     "target_usd_per_kwh": payloads.num(v.get("target_usd_per_kwh")),
                     "reached": v.get("reached") if o.status == "ok" else None, "spend_musd": payloads.num(v.get("spend_musd"))})
    ok = [r for r in rows if r["status"] == "ok"]
    p_reached = sum(bool(r["reached"]) for r in ok) / len(ok) if ok else None
    doc = payloads.document("optimize sweep", source=model.dataset.source, design=settings.design, sweep=spec, seed=seed,
                            cases=len(rows), failed=len(rows) - len(ok), p_target_reached=p_reached, results=rows)
    if as_json:
        typer.echo(json_text(doc))
        return
    from rich.table import Table

    t = Table(title=f"optimize --sweep {spec}: {settings.design}, target {settings.target:g} x base by {settings.by}",
              title_justify="left")
    for col in ("case", "status", "final USD/kWh", "vs base", "spend M USD", "target reached", "s"):
        t.add_column(col, justify="left" if col in ("case", "status") else "right")
    for r in rows:
        if r["status"] == "ok":
            t.add_row(r["case"], "ok", f"{r['usd_per_kwh']:.2f}", f"{r['change_pct']:+.1f} %", f"{r['spend_musd']:.1f}",
                      "yes" if r["reached"] else "no", f"{r['seconds']:.1f}")
        else:
            t.add_row(r["case"], f"failed: {r['error']}", "", "", "", "", f"{r['seconds']:.1f}")
    con = stdout_console(120)
    con.print(t)
    if ok:
        con.print(f"target reached in {sum(bool(r['reached']) for r in ok)} of {len(ok)} cases"
                  + (f"; {len(rows) - len(ok)} failed" if len(ok) < len(rows) else ""), highlight=False)
