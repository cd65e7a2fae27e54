"""The stochastic answer as tables (results workbook, ``--json``) and as a chart of the cost distribution under each
plan (PNG, and a native Excel chart)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from costmodel.optimize.stochastic import PLANS, StochasticResult, describe_text


def summary_rows(r: StochasticResult) -> list[tuple[str, object]]:
    """(key, value) lines of the answer: the futures, the measures, the robust first year, the solver's bound, times."""
    return [
        ("design", r.design), ("years", f"{r.years[0]}-{r.years[-1]}"), ("price futures", r.draws), ("seed", r.seed),
        ("risk measure of the final-year cost", r.risk), ("base cost USD/kWh", r.base_cost), ("target cost USD/kWh", r.target_cost),
        ("stochastic plan, first year", describe_text(r.first_stage["stochastic"])),
        ("deterministic plan, first year", describe_text(r.first_stage["deterministic"])),
        (f"RP: {r.risk} final-year cost, stochastic plan USD/kWh", r.rp),
        (f"EEV: {r.risk} final-year cost, deterministic first year with recourse USD/kWh", r.eev),
        (f"WS: {r.risk} final-year cost with perfect foresight USD/kWh", r.ws),
        ("VSS = EEV - RP USD/kWh", r.vss), ("EVPI = RP - WS USD/kWh", r.evpi),
        ("P(target), stochastic plan", float(r.plans.loc[0, "p_target"])),
        ("extensive form objective USD/kWh", r.objective), ("extensive form bound USD/kWh", r.bound),
        ("largest |model - engine| on the plans' final years USD/kWh", r.engine_check),
        ("futures failed", len(r.failed)), ("recourse solves ran", r.workers),
        *[(f"solver {k}", v.message) for k, v in r.status.items()],
        *[(f"seconds: {k}", v) for k, v in r.timings.items()],
    ]


def distribution(r: StochasticResult) -> pd.DataFrame:
    """Each plan's final-year costs sorted, against the cumulative share of futures (an empirical CDF per plan)."""
    n = len(r.costs)
    out = pd.DataFrame({"share_of_futures": (np.arange(n) + 1) / n})
    for p in PLANS:
        out[f"{p}_usd_per_kwh"] = np.sort(r.costs[p].to_numpy())
    return out


def sheet_frames(r: StochasticResult) -> dict[str, pd.DataFrame]:
    """Tables: Uncertain plan (summary), Plans (the regret table), First-year decisions, Cost distribution, Futures."""
    summary = pd.DataFrame(summary_rows(r), columns=["key", "value"])
    summary["value"] = summary["value"].astype(str)
    return {"Uncertain plan": summary, "Plans": r.plans, "First-year decisions": r.decisions,
            "Cost distribution": distribution(r), "Futures": r.costs.reset_index()}


def workbook_sheets(r: StochasticResult) -> dict:
    """``sheet_frames`` as analysis-workbook sheets, with a native scatter chart of the cost distribution under each plan."""
    from costmodel.io.analysis_workbooks import Sheet

    def cdf_chart(wb, ws, frame: pd.DataFrame, first: int) -> None:
        n = len(frame)
        chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
        for c, col in enumerate(frame.columns):
            if c == 0:
                continue
            chart.add_series({"name": col.removesuffix("_usd_per_kwh"), "categories": [ws.get_name(), first, c, first + n - 1, c],
                              "values": [ws.get_name(), first, 0, first + n - 1, 0]})
        chart.set_title({"name": f"Final-year cost across {r.draws} price futures: {r.design} {r.years[-1]}"})
        chart.set_x_axis({"name": "final-year cost, USD/kWh", "major_gridlines": {"visible": True}})
        chart.set_y_axis({"name": "share of futures at or below", "min": 0, "max": 1})
        chart.set_size({"width": 720, "height": 400})
        ws.insert_chart(first, len(frame.columns) + 1, chart)

    frames = sheet_frames(r)
    return {name: Sheet(frame, chart=cdf_chart if name == "Cost distribution" else None) for name, frame in frames.items()}


def plot_distribution(r: StochasticResult, path: Path) -> Path:
    """The final-year cost distribution under each plan (empirical CDFs) against the target (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from costmodel.analysis.plots import _save

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    frame = distribution(r)
    styles = {PLANS[0]: "-", PLANS[1]: "--", PLANS[2]: ":", PLANS[3]: "-."}
    for p in PLANS:
        ax.step(frame[f"{p}_usd_per_kwh"], frame["share_of_futures"], where="post", ls=styles[p], label=p)
    ax.axvline(r.target_cost, color="red", lw=1, label=f"target {r.target_cost:.1f}")
    ax.set_xlabel(f"final-year cost {r.years[-1]}, USD/kWh")
    ax.set_ylabel("share of futures at or below")
    ax.set_title(f"{r.design}: {r.draws} price futures, {r.risk}; VSS {r.vss:.2f}, EVPI {r.evpi:.2f} USD/kWh", fontsize=10)
    ax.legend(fontsize=8)
    out = _save(fig, path)
    plt.close(fig)
    return out
