"""Benchmark (issues 3 and 14): read + validate the base workbook, then run every shipped scenario and write results;
and the hostile case of a Prices sheet with 200,000 extra rows.

Targets on this 2-core machine: reading plus validating < 1 s; validate + run + write < 3 s; the 200,000-row workbook
read and validated, or refused, in < 5 s and < 500 MB peak memory (measured in a fresh process, imports included).
Run: ``python benchmarks/bench_workbook.py [WORKBOOK]``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from costmodel.io.results_workbook import write_results_workbook
from costmodel.io.workbook import read_workbook
from costmodel.model import Model
from costmodel.runner import pick_scenarios, provenance, run_scenarios, scenario_frame
from costmodel.scenario import scenarios_from_rows

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "workbooks" / "sodium_ion_base.xlsx"
EXTRA_ROWS = 200_000
TARGET_SECONDS, TARGET_MB = 5.0, 500.0
_CHILD = """
import resource, sys, time
t = time.perf_counter()
from costmodel.io.workbook import read_workbook
from costmodel.validation import InputError
try:
    read_workbook(sys.argv[1])
    verdict = "read and validated"
except InputError as exc:
    verdict = "refused: " + str(exc.problems[0])[:110]
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, verdict, sep="\t")
"""


def bench_many_rows(rows: int = EXTRA_ROWS) -> tuple[float, float, str]:
    """Seconds and peak MB (a fresh process: imports included) to read the base workbook with ``rows`` extra Prices rows."""
    sys.path.insert(0, str(REPO))
    from tests.xlsx_tools import with_price_rows

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many_rows.xlsx"
        path.write_bytes(with_price_rows(BASE.read_bytes(), rows))
        runs = [subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True).stdout
                for _ in range(3)]
    seconds, mb, verdict = min((r.strip().split("\t") for r in runs), key=lambda r: float(r[0]))
    return float(seconds), float(mb), verdict


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
                                   provenance=provenance(model, run, wb.sha256, "bench"), scenarios=scenario_frame(scenarios),
                                   static=model.dataset.static)
        t2 = time.perf_counter()
        best_read, best_all = min(best_read, t1 - t0), min(best_all, t2 - t0)
    n = len(run.results.summary())
    print(f"{path.name}: {len(scenarios)} scenarios x {len(model.dataset.years)} years x {len(model.dataset.design_names)} designs"
          f" = {n} evaluations")
    print(f"read + validate: {best_read:.3f} s (target < 1 s: {'met' if best_read < 1 else 'MISSED'})")
    print(f"validate + run + write results: {best_all:.3f} s (target < 3 s: {'met' if best_all < 3 else 'MISSED'})")
    seconds, mb, verdict = bench_many_rows()
    ok = seconds < TARGET_SECONDS and mb < TARGET_MB
    print(f"Prices + {EXTRA_ROWS:,} rows: {seconds:.2f} s = {seconds / TARGET_SECONDS:.2f} x the {TARGET_SECONDS:g} s target, "
          f"peak {mb:.0f} MB = {mb / TARGET_MB:.2f} x the {TARGET_MB:g} MB target ({'met' if ok else 'MISSED'}); {verdict}")


if __name__ == "__main__":
    main()
