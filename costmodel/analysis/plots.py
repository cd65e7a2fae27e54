"""PNG plots for the analyses (matplotlib, Agg backend, imported only when a plot is asked for)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    import os
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def tornado_plot(table: pd.DataFrame, design: str, path: Path, top: int = 15) -> Path:
    """Tornado chart: cost at each parameter's low and high around the base (USD/kWh)."""
    plt = _plt()
    t = table[table["design"] == design].head(top).iloc[::-1]
    base = float(t["base_cost"].iloc[0])
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(t) + 1.5))
    ax.barh(t["parameter"], t["cost_low"] - base, left=base, color="#4472C4", label="at low value")
    ax.barh(t["parameter"], t["cost_high"] - base, left=base, color="#ED7D31", label="at high value")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_xlabel("cell cost, USD/kWh")
    ax.set_title(f"Tornado: {design} (base {base:.1f} USD/kWh)")
    ax.legend(loc="lower right")
    path = _save(fig, path)
    plt.close(fig)
    return path


def histogram_plot(totals: dict, path: Path) -> Path:
    """Histogram of Monte Carlo cell costs per design (USD/kWh)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for d, t in totals.items():
        ax.hist(t, bins=120, histtype="stepfilled", alpha=0.5, label=d)
    ax.set_xlabel("cell cost, USD/kWh")
    ax.set_ylabel("draws")
    ax.set_title("Monte Carlo cell cost")
    ax.legend()
    path = _save(fig, path)
    plt.close(fig)
    return path


def breakeven_plot(curve: pd.DataFrame, param: str, crossings, path: Path) -> Path:
    """Both designs' costs across the parameter range, crossings marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = curve["value"]
    for col in curve.columns[1:]:
        ax.plot(x, curve[col], label=col.removeprefix("cost_"))
    for c in crossings:
        ax.axvline(c, color="grey", ls="--")
        ax.annotate(f"{c:,.0f}", (c, ax.get_ylim()[0]), rotation=90, va="bottom")
    ax.set_xlabel(param)
    ax.set_ylabel("cell cost, USD/kWh")
    ax.legend()
    path = _save(fig, path)
    plt.close(fig)
    return path


def waterfall_plot(parts: pd.DataFrame, totals: pd.DataFrame, design: str, path: Path) -> Path:
    """Waterfall from cost A to cost B by input (USD/kWh)."""
    plt = _plt()
    p = parts[parts["design"] == design]
    t = totals.set_index("design").loc[design]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    level = float(t["cost_a"])
    labels, bottoms, heights, colors = ["A"], [0.0], [level], ["#A5A5A5"]
    for r in p.itertuples():
        labels.append(r.input)
        bottoms.append(level if r.usd_per_kwh >= 0 else level + r.usd_per_kwh)
        heights.append(abs(r.usd_per_kwh))
        colors.append("#ED7D31" if r.usd_per_kwh >= 0 else "#4472C4")
        level += r.usd_per_kwh
    labels.append("B")
    bottoms.append(0.0)
    heights.append(float(t["cost_b"]))
    colors.append("#A5A5A5")
    ax.bar(range(len(labels)), heights, bottom=bottoms, color=colors)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_ylabel("cell cost, USD/kWh")
    ax.set_title(f"Cost change by input: {design}")
    path = _save(fig, path)
    plt.close(fig)
    return path
