"""Benchmark (issue 5): coefficient, model-build and solve time, default instance and a large generated one.

Targets on this 2-core machine: the default instance (3 years) under 2 s in total; a large one (10 years,
30 levers in 10 exclusive groups of 3, 50 suppliers, 4 routes) under 30 s (issue 15; 45-50 s before). Both run the full phased
optimisation (best cost, least spend, earliest benefits, re-anchoring) without the explanations. Blends (issue 16): the
default instance with its bundled blend_step (0.1: 30 hard-carbon alternatives) and with none (0: one route per family,
the instance the 2 s target was set for); the large instance with none (its issue-15 size) and with 0.1 (four routes: 49
alternatives a year), reported without a target.
Run: ``python benchmarks/bench_optimize.py``.
"""

from __future__ import annotations

import dataclasses
import time

from costmodel import Model
from costmodel.optimize.data import from_tables, load_default
from costmodel.optimize.path import optimize
from costmodel.optimize.synthetic import extended_model, large_tables


def run(model: Model, data, start: int, end: int, label: str, target_s: float, **kw) -> None:
    t0 = time.perf_counter()
    r = optimize(model, data, start, end, explain=False, **kw)
    total = time.perf_counter() - t0
    t = r.timings
    worst = float((r.path["cost_model"] / r.path["cost_engine"] - 1).abs().max())
    print(f"{label}: {r.formulation} formulation, {r.anchor_rounds} build(s); engine coefficients {t['coefficients']:.2f} s, "
          f"model build {t['build']:.2f} s, solve {t['solve']:.2f} s; total {total:.2f} s "
          + (f"(target {target_s:g} s, ratio {total / target_s:.2f})" if target_s == target_s else "(no target)")
          + f"; final cost {r.path['cost_engine'].iloc[-1]:.2f} USD/kWh, "
          f"engine vs model {100 * worst:.3f} %; " + ", ".join(f"{k} {v.status} {v.seconds:.2f} s" for k, v in r.status.items()))


def main() -> None:
    model = Model()
    default = load_default()
    run(model, default, 2026, 2028, f"default instance (blend_step {default.blend_step:g})", 2.0)
    run(model, dataclasses.replace(default, blend_step=0.0), 2026, 2028, "default instance, no blends (blend_step 0)", 2.0)
    data = from_tables(large_tables(), "nfpp", "benchmark")
    assert len(data.levers) == 30 and len(data.suppliers) == 50 and len(data.routes) == 4
    large = extended_model(model, 2035)
    run(large, dataclasses.replace(data, blend_step=0.0), 2026, 2035,
        "large instance (10 years, 30 levers, 50 suppliers, 4 routes, no blends)", 30.0, time_limit=120)
    run(large, dataclasses.replace(data, blend_step=0.1), 2026, 2035,
        "large instance with blends (blend_step 0.1: 49 hard-carbon alternatives a year)", float("nan"), time_limit=120)


if __name__ == "__main__":
    main()
