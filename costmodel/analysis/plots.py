"""PNG plots for the analyses (matplotlib with the Agg backend, imported only when a plot is asked for).

Each plot is written atomically (a temporary file in the same folder, then renamed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LOW, HIGH, GREY = "#4472C4", "#ED7D31", "#A5A5A5"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    from costmodel.io.atomic import atomic_path

    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    return Path(path)


def tornado_plot(table: pd.DataFrame, design: str, path: Path, top: int = 15) -> Path:
    """Tornado chart of one design: cost at each input's low and high around the base (USD/kWh), largest swing on top."""
    plt = _plt()
    t = table[(table["design"] == design) & table["affects"]].head(top).iloc[::-1]
    base = float(table.loc[table["design"] == design, "base_cost"].iloc[0])
    fig, ax = plt.subplots(figsize=(9, 0.38 * max(len(t), 1) + 1.6))
    labels = [f"{p} ({lo:,.6g}..{hi:,.6g})" for p, lo, hi in zip(t["parameter"], t["low"], t["high"], strict=True)]
    ax.barh(labels, t["cost_low"] - base, left=base, color=LOW, label="input at its low")
    ax.barh(labels, t["cost_high"] - base, left=base, color=HIGH, label="input at its high")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_xlabel("cell cost, USD/kWh")
    ax.set_title(f"Tornado: {design} (base {base:.2f} USD/kWh)")
    ax.legend(loc="lower right", fontsize=8)
    path = _save(fig, path)
    plt.close(fig)
    return path


def histogram_plot(totals: dict, path: Path, title: str = "Monte Carlo cell cost", bins: int = 150) -> Path:
    """Histogram of Monte Carlo cell costs per design (USD/kWh), P5 and P95 marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.8))
    lo = min(float(np.min(t)) for t in totals.values())
    hi = max(float(np.max(t)) for t in totals.values())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    for n, (d, t) in enumerate(totals.items()):
        color = f"C{n}"
        counts, _ = np.histogram(t, edges)
        ax.stairs(counts / len(t), edges, fill=True, alpha=0.45, color=color, label=d)
        for q in np.percentile(t, [5, 95]):
            ax.axvline(q, color=color, ls=":", lw=1)
    ax.set_xlabel("cell cost, USD/kWh (dotted: P5 and P95)")
    ax.set_ylabel("share of draws")
    ax.set_title(title)
    ax.legend()
    path = _save(fig, path)
    plt.close(fig)
    return path


def breakeven_plot(curve: pd.DataFrame, param: str, crossings, path: Path, base: float | None = None, unit: str = "") -> Path:
    """Both designs' costs across the parameter range, crossings and the base value marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.8))
    x = curve["value"]
    for col in curve.columns[1:]:
        ax.plot(x, curve[col], label=col.removeprefix("cost_"))
    for c in crossings:
        ax.axvline(c, color="grey", ls="--")
        ax.annotate(f"break-even {c:,.6g}", (c, 0.02), xycoords=("data", "axes fraction"), rotation=90, va="bottom", ha="right")
    if base is not None and x.min() <= base <= x.max():
        ax.axvline(base, color="black", lw=0.8, ls=":")
        ax.annotate(f"data {base:,.6g}", (base, 0.98), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right")
    ax.set_xlabel(f"{param}, {unit}" if unit else param)
    ax.set_ylabel("cell cost, USD/kWh")
    ax.set_title(" vs ".join(c.removeprefix("cost_") for c in curve.columns[1:]) + f": cost across {param}")
    ax.legend()
    path = _save(fig, path)
    plt.close(fig)
    return path


def waterfall_plot(parts: pd.DataFrame, totals: pd.DataFrame, design: str, path: Path, label_a: str = "A", label_b: str = "B") -> Path:
    """Waterfall from cost A to cost B by input (USD/kWh) for one design; inputs without effect are left out."""
    plt = _plt()
    p = parts[(parts["design"] == design) & (parts["usd_per_kwh"] != 0)]
    t = totals.set_index("design").loc[design]
    fig, ax = plt.subplots(figsize=(max(7.0, 0.6 * len(p) + 3), 4.8))
    level = float(t["cost_a"])
    labels, bottoms, heights, colors = [label_a], [0.0], [level], [GREY]
    for r in p.itertuples():
        labels.append(r.input)
        bottoms.append(min(level, level + r.usd_per_kwh))
        heights.append(abs(r.usd_per_kwh))
        colors.append(HIGH if r.usd_per_kwh > 0 else LOW)
        level += r.usd_per_kwh
    labels.append(label_b)
    bottoms.append(0.0)
    heights.append(float(t["cost_b"]))
    colors.append(GREY)
    ax.bar(range(len(labels)), heights, bottom=bottoms, color=colors)
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right")
    ax.set_ylabel("cell cost, USD/kWh")
    ax.set_title(f"Cost change by input, {design}: {t['cost_a']:.2f} -> {t['cost_b']:.2f} USD/kWh")
    low = min(float(t["cost_a"]), float(t["cost_b"]), min(bottoms[1:-1], default=level))
    ax.set_ylim(bottom=max(0.0, low - 0.1 * (abs(float(t["change"])) + 1.0) - 5.0))
    path = _save(fig, path)
    plt.close(fig)
    return path


def whatif_plot(frame: pd.DataFrame, path: Path, title: str = "") -> Path:
    """What-if per design: base and what-if cost side by side (USD/kWh), the change written above each pair.

    Args:
        frame: ``what_if`` output (design, base_usd_per_kwh, whatif_usd_per_kwh, delta_usd_per_kwh, delta_pct, year).
        path: PNG file to write (atomically).
        title: the overrides, shown in the title.
    """
    plt = _plt()
    designs = list(frame["design"])
    x = np.arange(len(designs))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(designs) + 2), 4.8))
    ax.bar(x - 0.2, frame["base_usd_per_kwh"], 0.4, color=GREY, label="base")
    ax.bar(x + 0.2, frame["whatif_usd_per_kwh"], 0.4, color=HIGH, label="what-if")
    for i, r in enumerate(frame.itertuples()):
        top = max(r.base_usd_per_kwh, r.whatif_usd_per_kwh)
        ax.annotate(f"{r.delta_usd_per_kwh:+.2f} ({r.delta_pct:+.1f} %)", (i, top), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=8)
    ax.set_xticks(x, designs)
    ax.set_ylabel("cell cost, USD/kWh")
    year = int(frame["year"].iloc[0]) if "year" in frame and len(frame) else ""
    ax.set_title(f"What-if {year}: {title}" if title else f"What-if {year}")
    ax.legend()
    path = _save(fig, path)
    plt.close(fig)
    return path


def index_plot(frame: pd.DataFrame, base: str, path: Path, reference: str | None = None) -> Path:
    """Monthly cell cost (USD/kWh, top) and its index (base month = 100, bottom) per design."""
    plt = _plt()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    months = list(dict.fromkeys(frame["month"]))
    x = np.arange(len(months))
    for n, (design, rows) in enumerate(frame.groupby("design", sort=False)):
        style = "--" if design == reference else "-"
        top.plot(x, rows["usd_per_kwh"].to_numpy(), style, color=f"C{n}", label=design)
        bottom.plot(x, rows["index"].to_numpy(), style, color=f"C{n}", label=design)
    top.set_ylabel("cell cost, USD/kWh")
    top.set_title("Cell cost per month")
    top.legend(fontsize=8)
    bottom.axhline(100, color="black", lw=0.6)
    bottom.set_ylabel(f"index ({base} = 100)")
    step = max(1, len(months) // 12)
    bottom.set_xticks(x[::step], months[::step], rotation=45, ha="right")
    path = _save(fig, path)
    plt.close(fig)
    return path
