"""Benchmark (issue 5): model-build and solve time, default instance and a large generated one.

Targets on this 2-core machine: default instance (3 years) under 2 s in total; a large one (10 years,
30 levers, 50 suppliers, 4 routes) under 60 s. Run: ``python benchmarks/bench_optimize.py``.
"""

from __future__ import annotations

import time

import pandas as pd

from costmodel import Model
from costmodel.optimize.coefficients import compute
from costmodel.optimize.data import from_tables, load_default, read_default_tables
from costmodel.optimize.model import build, set_objective
from costmodel.optimize.solve import solve


def run(model: Model, data, years, label: str) -> None:
    t0 = time.perf_counter()
    c = compute(model, data, years)
    t1 = time.perf_counter()
    b = build(data, c, 5.0, "hc_coconut")
    set_objective(b, "final_cost")
    t2 = time.perf_counter()
    r = solve(b.model, "highs", time_limit=120)
    t3 = time.perf_counter()
    print(f"{label}: {len(c.options)} options x {len(data.scales)} sizes x {len(years)} years; "
          f"engine coefficients {t1 - t0:.2f} s, model build {t2 - t1:.2f} s, solve {t3 - t2:.2f} s ({r.status}), "
          f"total {t3 - t0:.2f} s")


def large_tables(groups: int) -> dict[str, pd.DataFrame]:
    """10 years, ``groups`` x 3 levers (exclusive within a group), 50 suppliers, 4 routes.

    The issue's large instance has 30 levers; with 10 groups of 3 that is 4^10 = 1,048,576 lever sets per route,
    beyond the exact enumerated-combination formulation (see the issue note), so the benchmark runs 4 groups.
    """
    t = read_default_tables()
    levers = []
    params = ["cathode_loading_mg_cm2", "electrolyte_fill_g_ah", "cathode_foil_um", "anode_foil_um", "separator_um",
              "housing_mass_kg", "foil_margin", "separator_overhang", "anode_overhang", "np_ratio"]
    for g, p in enumerate(params[:groups]):
        for s in range(3):
            factor = 1 + (0.03 * (s + 1)) * (1 if p == "cathode_loading_mg_cm2" else -1)
            levers.append((f"l{g}_{s}", "nfpp", f"design.nfpp.{p}=x{factor:.3f}", 2026 + s, 2 + 3 * s, f"g{g}", "bench", "", "assumption"))
    t["levers"] = pd.DataFrame(levers, columns=t["levers"].columns)
    routes = t["routes"].copy()
    extra = routes.iloc[[1]].copy()
    extra["route"] = "hc_bamboo2"
    extra["switch_musd"] = "4"
    t["routes"] = pd.concat([routes, extra], ignore_index=True)
    sup = []
    for n in range(50):
        item = ["hc_coconut", "hc_bamboo", "hc_pitch", "nfpp", "nfpp"][n % 5]
        sup.append((f"s{n}", item, str(4 + n % 7), str(20000 + 900 * n), "CNY/t", str(2026 + (n // 5) % 3), "bench", "", "assumption"))
    t["suppliers"] = pd.DataFrame(sup, columns=t["suppliers"].columns)
    years = range(2026, 2036)
    t["demand"] = pd.DataFrame([(str(y), "nfpp", str(8 * 1.5 ** (y - 2026)), str(9 * 1.6 ** (y - 2026)), "bench", "", "assumption")
                                for y in years], columns=t["demand"].columns)
    return t


def main() -> None:
    model = Model()
    run(model, load_default(), (2026, 2027, 2028), "default instance")
    # the large instance needs prices for 10 years: extend the price table by holding 2028 flat
    ds = model.dataset
    extra = [ds.prices[ds.prices["year"] == 2028].assign(year=y) for y in range(2029, 2036)]
    fx = [ds.fx[ds.fx["year"] == 2028].assign(year=y) for y in range(2029, 2036)]
    import dataclasses

    big = Model(dataclasses.replace(ds, prices=pd.concat([ds.prices, *extra]), fx=pd.concat([ds.fx, *fx])))
    data = from_tables(large_tables(4), "nfpp", "benchmark")
    run(big, data, tuple(range(2026, 2036)), "large instance (10 years, 12 levers in 4 groups, 50 suppliers, 4 routes)")


if __name__ == "__main__":
    main()
