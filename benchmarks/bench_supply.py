"""Benchmark: the supply balance over 10 years x 12 months x 10 segments x all designs x 30 materials.

Targets (issue 12): the balance (resolve the tables per period, one engine evaluation for the intensities,
segment and material demand, capacity balance) under 0.5 s; with the price-response fixed point under 2 s.
Periods are months (``YYYYMM``); months after the last year of the cost data take that year's prices.
Run: ``python benchmarks/bench_supply.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from costmodel import Model
from costmodel.supply.chain import run_supply
from costmodel.supply.data import SupplyData, load_default


def synthetic(model: Model, n_segments: int, n_materials: int, periods: list[int], seed: int) -> SupplyData:
    """``n_segments`` segments with random mixes and markets growing over the periods (GWh per month), and capacity
    for ``n_materials`` materials at 1-2.5x their first-year demand (so that some bind as demand grows)."""
    rng = np.random.default_rng(seed)
    base = load_default(model.dataset)
    designs = model.dataset.design_names
    rows = []
    for k in range(n_segments):
        name = f"seg{k}"
        start = rng.uniform(0.5, 50.0)
        rows += [{"segment": name, "period": periods[0], "property": "market", "value": start, "where": ""},
                 {"segment": name, "period": periods[-1], "property": "market", "value": start * rng.uniform(1.5, 4), "where": ""},
                 {"segment": name, "period": None, "property": "penetration", "value": rng.uniform(0.05, 1.0), "where": ""},
                 {"segment": name, "period": None, "property": "cost_elasticity", "value": rng.uniform(0, 1.5), "where": ""}]
        mix = rng.dirichlet(np.ones(len(designs)))
        rows += [{"segment": name, "period": None, "property": f"mix_{d}", "value": float(x), "where": ""}
                 for d, x in zip(designs, mix, strict=True)]
    segments = pd.DataFrame(rows)
    probe = SupplyData(segments, base.capacity[base.capacity["material"] == "*"], base.reported.iloc[0:0], base.precursors,
                       {f"seg{k}": "gwh" for k in range(n_segments)}, designs, base.materials)
    first = run_supply(model, probe, periods[:12], respond=False)
    annual = first.final.demand.sum(axis=1)
    order = np.argsort(-annual)[:n_materials]
    cap = [{"material": first.final.materials[i], "period": None, "property": "nameplate",
            "value": float(annual[i] * rng.uniform(1.0, 2.5)), "where": ""} for i in order]
    capacity = pd.concat([base.capacity[base.capacity["material"] == "*"], pd.DataFrame(cap)], ignore_index=True)
    return SupplyData(segments, capacity, base.reported.iloc[0:0], base.precursors, probe.market_units, designs, base.materials)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--materials", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    model = Model()
    periods = [100 * y + m for y in range(2025, 2025 + args.years) for m in range(1, 13)]
    data = synthetic(model, args.segments, args.materials, periods, seed=1)
    run_supply(model, data, periods[:2])  # warm-up (imports, parameter cache)
    t_balance = best_of(lambda: run_supply(model, data, periods, respond=False), args.repeat)
    holder = {}
    t_fixed = best_of(lambda: holder.setdefault("run", run_supply(model, data, periods)), args.repeat)
    run = holder["run"]
    fp = run.fixed_point
    n_cap = len([m for m in run.final.materials if not np.isnan(run.final.capacity[run.final.materials.index(m)]).all()])
    print(f"{len(periods)} periods (months) x {args.segments} segments x {len(run.designs)} designs x "
          f"{len(run.final.materials)} materials ({n_cap} with capacity)")
    print(f"balance (no price response): {t_balance:.3f} s  (target 0.5 s: {t_balance / 0.5:.2f} of it)")
    print(f"with the price-response fixed point: {t_fixed:.3f} s  (target 2 s: {t_fixed / 2.0:.2f} of it); "
          f"{fp.iterations if fp else 0} iterations, converged {fp.converged if fp else True}; "
          f"{len(run.final.first_binding())} materials bind")


if __name__ == "__main__":
    main()
