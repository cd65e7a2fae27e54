"""The optimizer's answer as tables (results workbook, ``--json``) and as a cost-path chart (PNG)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from costmodel.optimize.path import PathResult


def sheet_frames(result: PathResult) -> dict[str, pd.DataFrame]:
    """Tables of the answer: Optimizer (summary), Path (with the base year first), Suppliers, Shadow prices,
    and Pareto when traced. Costs in USD/kWh, spend in M USD, volumes in kt/yr."""
    final = result.path.iloc[-1]
    summary = pd.DataFrame([
        ("design", result.design), ("base year", result.base_year), ("base cost USD/kWh", result.base_cost),
        ("target cost USD/kWh", result.target_cost), ("best reachable USD/kWh", result.best_cost),
        ("best reduction %", 100 * (result.best_cost / result.base_cost - 1)),
        ("target reached", result.reached), ("budget M USD", result.budget), ("spend M USD", result.spend_musd),
        ("final-year cost, optimizer USD/kWh", final.cost_model), ("final-year cost, engine USD/kWh", final.cost_engine),
        ("learning-curve error bound (share of the learnable part)", result.learning_error),
        ("formulation", result.formulation), ("model builds (re-anchoring)", result.anchor_rounds),
        ("blend step (share grid; 0 = one route per family)", result.blend_step),
        ("route families that may blend two routes", ", ".join(result.blend_families) or "-"),
        *[(f"split: {k} USD/kWh", v) for k, v in result.split.items()],
        *[(f"binding: {k} (final-year USD/kWh if relaxed)", v) for k, v in result.binding.items()],
        *[(f"solver {k}", v.message) for k, v in result.status.items()],
    ], columns=["key", "value"])
    summary["value"] = summary["value"].astype(str)
    base = pd.DataFrame([{"year": result.base_year, "cost_engine": result.base_cost, "reduction_pct": 0.0}])
    path = pd.concat([base, result.path], ignore_index=True)
    path["target_usd_per_kwh"] = result.target_cost
    frames = {"Optimizer": summary, "Path": path, "Suppliers": result.suppliers, "Shadow prices": result.shadow}
    if result.pareto is not None:
        frames["Pareto"] = result.pareto
    return frames


def plot_path(result: PathResult, path: Path) -> Path:
    """Cost path chart (PNG): the engine's cost per year against the base and the target (USD/kWh)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from costmodel.analysis.plots import _save

    fig, ax = plt.subplots(figsize=(7, 4))
    years = [result.base_year, *result.path["year"]]
    costs = [result.base_cost, *result.path["cost_engine"]]
    ax.plot(years, costs, marker="o", label=f"{result.design} path")
    ax.axhline(result.target_cost, color="red", ls="--", label=f"target ({result.target_cost:.1f})")
    for y, c in zip(years, costs, strict=True):
        ax.annotate(f"{c:.1f}", (y, c), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks(years)
    ax.set_ylabel("cell cost, USD/kWh")
    ax.set_title(f"Cost path: {result.design}, {100 * (costs[-1] / costs[0] - 1):+.0f} % by {years[-1]}")
    ax.legend()
    out = _save(fig, path)
    plt.close(fig)
    return out
