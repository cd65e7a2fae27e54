"""Benchmark (issue 3): read + validate the base workbook, then run every shipped scenario and write results.

Targets on this 2-core machine: reading plus validating < 1 s; validate + run + write < 3 s.
Run: ``python benchmarks/bench_workbook.py [WORKBOOK]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from costmodel.io.results_workbook import write_results_workbook
from costmodel.io.workbook import read_workbook
from costmodel.model import Model
from costmodel.runner import pick_scenarios, provenance, run_scenarios, scenario_frame
from costmodel.scenario import scenarios_from_rows

BASE = Path(__file__).resolve().parents[1] / "workbooks" / "sodium_ion_base.xlsx"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else BASE
    best_read, best_all = float("inf"), float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        wb = read_workbook(path)
        t1 = time.perf_counter()
        model = Model(wb.dataset)
        scenarios = pick_scenarios(scenarios_from_rows(wb.scenario_rows), ["all"], str(path))
        run = run_scenarios(model, scenarios, model.dataset.years)
        with tempfile.TemporaryDirectory() as tmp:
            write_results_workbook(Path(tmp) / "results.xlsx", run.results, inputs=run.inputs,
                                   provenance=provenance(model, run, wb.sha256, "bench"), scenarios=scenario_frame(scenarios))
        t2 = time.perf_counter()
        best_read, best_all = min(best_read, t1 - t0), min(best_all, t2 - t0)
    n = len(run.results.summary())
    print(f"{path.name}: {len(scenarios)} scenarios x {len(model.dataset.years)} years x {len(model.dataset.design_names)} designs"
          f" = {n} evaluations")
    print(f"read + validate: {best_read:.3f} s (target < 1 s: {'met' if best_read < 1 else 'MISSED'})")
    print(f"validate + run + write results: {best_all:.3f} s (target < 3 s: {'met' if best_all < 3 else 'MISSED'})")


if __name__ == "__main__":
    main()
