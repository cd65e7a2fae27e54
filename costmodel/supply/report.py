"""A supply run as tidy tables (for the terminal, JSON and the results workbook) and as a PNG chart.

Tables (one row per item and period; a period is a year (an integer) or a month (``YYYY-MM`` text), ``period_label``):
    segments    segment, period, gwh (before the price response), gwh_after_response
    designs     design, chemistry, period, gwh
    materials   material, unit, period, demand, capacity, available, utilisation, shortfall, binds, price_multiplier
                (demand, capacity, available, shortfall per period in ``unit``: kt, Mm2 or Mcells)
    binding     material, first_period, utilisation (at the fixed point), first_period_before_response
    costs       design, period, usd_per_kwh_before, usd_per_kwh, change_usd_per_kwh, change_pct
    reported    stage, period, unit, reported, implied, build, basis
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from costmodel.supply.chain import SupplyRun


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def period_label(period: int) -> int | str:
    """A period as shown and in JSON: a year as an integer, a month (``YYYYMM`` inside) as ``YYYY-MM``."""
    p = int(period)
    return p if p < 10000 else f"{p // 100:04d}-{p % 100:02d}"


def frames(run: SupplyRun) -> dict[str, pd.DataFrame]:
    """The run's tables (see the module docstring)."""
    P = tuple(period_label(p) for p in run.periods)
    seg = pd.DataFrame([{"segment": s, "period": p, "gwh": run.segment_gwh[i, j],
                         "gwh_after_response": run.segment_gwh[i, j] * run.factor[i, j]}
                        for i, s in enumerate(run.segments) for j, p in enumerate(P)])
    des = pd.DataFrame([{"design": d, "chemistry": run.chemistry[d], "period": p, "gwh": run.design_gwh[i, j]}
                        for i, d in enumerate(run.designs) for j, p in enumerate(P)])
    b = run.final
    util, short, avail, binds = b.utilisation, b.shortfall, b.available, b.binds
    mats = pd.DataFrame([{"material": m, "unit": run.intensity.units[m], "period": p, "demand": b.demand[i, j],
                          "capacity": _num(b.capacity[i, j]), "available": _num(avail[i, j]), "utilisation": _num(util[i, j]),
                          "shortfall": short[i, j], "binds": bool(binds[i, j]), "price_multiplier": run.multipliers[i, j]}
                         for i, m in enumerate(b.materials) for j, p in enumerate(P)])
    before = {m: period_label(p) for m, p, _ in run.base.first_binding()}
    bind = pd.DataFrame([{"material": m, "first_period": period_label(p), "utilisation": u,
                          "first_period_before_response": before.get(m)} for m, p, u in b.first_binding()],
                        columns=["material", "first_period", "utilisation", "first_period_before_response"])
    costs = pd.DataFrame([{"design": d, "period": p, "usd_per_kwh_before": run.cost0[i, j], "usd_per_kwh": run.cost[i, j],
                           "change_usd_per_kwh": run.cost[i, j] - run.cost0[i, j],
                           "change_pct": 100.0 * (run.cost[i, j] / run.cost0[i, j] - 1.0)}
                          for i, d in enumerate(run.designs) for j, p in enumerate(P)])
    return {"segments": seg, "designs": des, "materials": mats, "binding": bind, "costs": costs, "reported": run.reported}


def fixed_point_record(run: SupplyRun) -> dict:
    """Iterations and convergence of the price response (``ran`` False when no material's price responds)."""
    fp = run.fixed_point
    if fp is None:
        return {"ran": False, "iterations": 0, "converged": True, "largest_change": 0.0}
    return {"ran": True, "iterations": fp.iterations, "converged": fp.converged, "largest_change": fp.change,
            "at_material": run.final.materials[fp.worst[0]], "at_period": period_label(run.periods[fp.worst[1]])}


def not_converged_message(run: SupplyRun) -> str | None:
    """A plain message when the price response did not converge, else None."""
    fp = run.fixed_point
    if fp is None or fp.converged:
        return None
    rec = fixed_point_record(run)
    return (f"scenario {run.scenario}: the price response did not converge in {fp.iterations} iterations (the price "
            f"multiplier of {rec['at_material']} in {rec['at_period']} still moved by {fp.change:.3g}); the figures shown are "
            "the last iterate. Steep supply curves (capacity.<m>.shortage_slope) with a strong demand response "
            "(segment.<s>.cost_elasticity) can oscillate: lower them, or give more iterations / more damping")


def json_record(run: SupplyRun) -> dict:
    """The run as JSON-ready data: numbers as numbers, units in the keys (kt for mass materials)."""
    f = frames(run)
    mats = f["materials"]
    mass = mats[mats["unit"] == "kt"].rename(columns={"demand": "demand_kt", "capacity": "capacity_kt", "available": "available_kt",
                                                      "shortfall": "shortfall_kt"}).drop(columns="unit")
    other = mats[mats["unit"] != "kt"][["material", "unit", "period", "demand"]]
    return {
        "scenario": run.scenario,
        "periods": [period_label(p) for p in run.periods],
        "segments": _records(f["segments"]),
        "designs": _records(f["designs"]),
        "materials": _records(mass),
        "other_materials": _records(other),
        "binding": _records(f["binding"]),
        "costs": [{"design": r["design"], "period": r["period"], "usd_per_kwh": r["usd_per_kwh"],
                   "before": {"usd_per_kwh": r["usd_per_kwh_before"]},
                   "change": {"usd_per_kwh": r["change_usd_per_kwh"], "pct": r["change_pct"]}} for r in _records(f["costs"])],
        "reported": _records(f["reported"].rename(columns={"reported": "reported_amount", "implied": "implied_amount",
                                                           "build": "inventory_build"})),
        "fixed_point": fixed_point_record(run),
        "notes": list(run.notes),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (float, np.floating)):
                v = float(v) if np.isfinite(v) else None
            elif v is pd.NA:
                v = None
            clean[k] = v
        out.append(clean)
    return out


def wide(run: SupplyRun, materials: list[str]) -> pd.DataFrame:
    """Demand and available capacity of ``materials`` by period, one column each (for a chart)."""
    b = run.final
    rows = []
    for j, p in enumerate(run.periods):
        row: dict[str, object] = {"period": period_label(p)}
        for m in materials:
            i = b.materials.index(m)
            row[f"{m} demand"] = b.demand[i, j]
            row[f"{m} available"] = float(np.nan_to_num(b.available[i, j]))
        rows.append(row)
    return pd.DataFrame(rows)


def segments_wide(run: SupplyRun) -> pd.DataFrame:
    """Sodium-ion demand (GWh, after the price response) by segment and period, one column per sodium segment."""
    rows = []
    sodium = [i for i, s in enumerate(run.segments) if not s.startswith("lfp")]
    for j, p in enumerate(run.periods):
        rows.append({"period": period_label(p), **{run.segments[i]: run.segment_gwh[i, j] * run.factor[i, j] for i in sodium}})
    return pd.DataFrame(rows)


def chart_materials(run: SupplyRun, n: int = 4) -> list[str]:
    """The materials worth a chart: those that bind (earliest first), then the most utilised, at most ``n``."""
    b = run.final
    out = [m for m, _, _ in b.first_binding()]
    peak = np.nan_to_num(b.utilisation, nan=-1.0).max(axis=1)
    for i in np.argsort(-peak):
        if peak[i] > 0 and b.materials[i] not in out:
            out.append(b.materials[i])
    return out[:n]


def plot(run: SupplyRun, path: Path) -> Path:
    """PNG: demand against available capacity of the materials worth a chart, and sodium-ion demand by segment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    x = list(run.periods)
    b = run.final
    for m in chart_materials(run):
        i = b.materials.index(m)
        line = ax1.plot(x, b.demand[i], marker="o", label=f"{m} demand")[0]
        ax1.plot(x, b.available[i], linestyle="--", color=line.get_color(), label=f"{m} available")
    ax1.set_title("Material demand against available capacity")
    ax1.set_ylabel("kt per period")
    ax1.legend(fontsize=7)
    sw = segments_wide(run)
    ax2.stackplot(x, *[sw[c] for c in sw.columns if c != "period"], labels=[c for c in sw.columns if c != "period"])
    ax2.set_title("Sodium-ion cell demand by segment")
    ax2.set_ylabel("GWh per period")
    ax2.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    from costmodel.io.atomic import atomic_path

    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return Path(path)
