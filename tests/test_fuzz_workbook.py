"""A property-based fuzzer of the base workbook (issue 14).

Hypothesis draws one to three mutations (``fuzz_mutations``: cell, row, column, sheet and raw-XML level) of
``workbooks/sodium_ion_base.xlsx``, applies them in memory, and runs ``costmodel run WB --json`` in-process.
For every mutated workbook:

- the exit code is 0 or 2, never a traceback;
- an exit 2 names the file, a sheet, a cell or a row in every problem it lists;
- the input file's SHA-256 is unchanged;
- anything printed on stdout is strict JSON (no NaN or Infinity);
- an exit 0 gives finite, positive costs.

The default run tries ``COSTMODEL_FUZZ_EXAMPLES`` workbooks (1,000) in two worker processes (two cores), seeded
(the same workbooks on every run); set the variable higher for a longer search, and ``COSTMODEL_FUZZ_SEED`` for
another sequence. The count and time are printed in pytest's terminal summary (``conftest.py``). Failing cases
found are kept in ``fuzz_regressions.json`` and replayed by ``test_fuzz_regressions``.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import re
import tempfile
import time
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests import fuzz_mutations as fm

EXAMPLES = int(os.environ.get("COSTMODEL_FUZZ_EXAMPLES", "1000"))
SEED = int(os.environ.get("COSTMODEL_FUZZ_SEED", "14"))
WORKERS = 2
REGRESSIONS = Path(__file__).with_name("fuzz_regressions.json")
SHEETS = fm.TABLE_SHEETS


# ----------------------------------------------------------------------------- strategies


def _cells() -> st.SearchStrategy[dict]:
    def for_sheet(sheet: str) -> st.SearchStrategy[dict]:
        rows, cols = fm.base_shape()[sheet]
        kind_value = st.one_of(
            st.tuples(st.just("number"), st.sampled_from(fm.NUMBERS) | st.floats(allow_nan=False, allow_infinity=False)),
            st.tuples(st.just("text"), st.sampled_from(fm.TEXTS) | st.text(max_size=20)),
            st.tuples(st.just("raw"), st.sampled_from(fm.RAW_VALUES)),
            st.tuples(st.just("bool"), st.booleans()),
            st.tuples(st.just("error"), st.sampled_from(fm.ERRORS)),
            st.tuples(st.sampled_from(["formula", "formula_nocache"]), st.sampled_from(fm.FORMULAS)),
            st.tuples(st.just("blank"), st.none()),
        )
        return st.builds(lambda r, c, kv: {"op": "cell", "sheet": sheet, "row": r, "col": c, "kind": kv[0], "value": kv[1]},
                         st.integers(1, rows + 2), st.integers(0, cols), kind_value)

    return st.sampled_from(SHEETS).flatmap(for_sheet)


def _numbers() -> st.SearchStrategy[dict]:
    """A number of the base workbook set to an extreme, a sign change or a special value."""
    value = st.sampled_from(fm.NUMBERS) | st.sampled_from([-x for x in fm.NUMBERS]) | st.floats(allow_nan=False, allow_infinity=False)
    return st.builds(lambda cell, v: {"op": "cell", "sheet": cell[0], "row": cell[1], "col": cell[2], "kind": "number", "value": v},
                     st.sampled_from(fm.numeric_cells()), value)


def _rows_cols() -> st.SearchStrategy[dict]:
    def for_sheet(sheet: str) -> st.SearchStrategy[dict]:
        rows, cols = fm.base_shape()[sheet]
        row, col = st.integers(1, max(rows, 1)), st.integers(0, max(cols - 1, 0))
        return st.one_of(
            st.builds(lambda r: {"op": "delete_row", "sheet": sheet, "row": r}, row),
            st.builds(lambda r: {"op": "duplicate_row", "sheet": sheet, "row": r}, row),
            st.builds(lambda r, o: {"op": "swap_rows", "sheet": sheet, "row": r, "other": o}, row, row),
            st.builds(lambda c, o: {"op": "swap_columns", "sheet": sheet, "col": c, "other": o}, col, col),
            st.builds(lambda c: {"op": "delete_column", "sheet": sheet, "col": c}, col),
            st.builds(lambda r, c, w, h: {"op": "merge", "sheet": sheet, "row": r, "col": c, "width": w, "height": h},
                      row, col, st.integers(0, 2), st.integers(0, 2)),
            st.builds(lambda ref: {"op": "dimension", "sheet": sheet, "ref": ref},
                      st.sampled_from(["A1:XFD1048576", "A1", "A1:A1048576", "Z9:A1", "garbage"])),
        )

    return st.sampled_from(SHEETS).flatmap(for_sheet)


NEW_NAMES = ("Prices", "prices", "Prices ", "Prices (2)", "FX", "Ωmega", "x" * 31, "Scenarios", "Sheet1")
KNOWN_SHEETS = frozenset(SHEETS) | frozenset(NEW_NAMES)


def _sheets() -> st.SearchStrategy[dict]:
    names = st.sampled_from(NEW_NAMES)
    return st.one_of(
        st.builds(lambda s: {"op": "delete_sheet", "sheet": s}, st.sampled_from(SHEETS)),
        st.builds(lambda s, n: {"op": "rename_sheet", "sheet": s, "name": n}, st.sampled_from(SHEETS), names),
        st.builds(lambda s, n: {"op": "duplicate_sheet", "sheet": s, "name": n}, st.sampled_from(SHEETS), names),
        st.builds(lambda i, v: {"op": "shared", "index": i, "value": v}, st.integers(0, 700),
                  st.sampled_from(fm.TEXTS) | st.text(max_size=12)),
    )


def _raw() -> st.SearchStrategy[dict]:
    entry = st.integers(0, 200)
    return st.one_of(
        st.builds(lambda e, f: {"op": "truncate", "entry": e, "fraction": f}, entry, st.floats(0, 0.99)),
        st.builds(lambda e: {"op": "doctype", "entry": e}, entry),
        st.builds(lambda e, f, b: {"op": "garbage", "entry": e, "fraction": f, "bytes": b}, entry, st.floats(0, 1),
                  st.sampled_from(["<", ">", "&", "</row>", "<c r=\"A1\">", "\x00", "\ufffe", "<v>1</v>", "]]>"]) | st.text(max_size=8)),
        st.builds(lambda e: {"op": "drop_entry", "entry": e}, entry),
    )


MUTATION = st.one_of(_cells(), _cells(), _numbers(), _numbers(), _rows_cols(), _rows_cols(), _sheets(), _raw())
SPECS = st.lists(MUTATION, min_size=1, max_size=3)


# ----------------------------------------------------------------------------- the property


def strict_json(text: str):
    """``json.loads`` that refuses NaN and Infinity."""
    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


_LOCATION = re.compile(r"^[^:!]+!([A-Z]{1,3}\d+(:[A-Z]{1,3}\d+)?|row \d+|\d+ \(header row, column \w+\))$")


def check(data: bytes, folder: Path) -> int:
    """Run ``costmodel run WB --json`` on ``data`` and assert the fuzzer's properties; returns the exit code."""
    return run_checked(data, folder)[0]


def run_checked(data: bytes, folder: Path) -> tuple[int, str]:
    """``check``, returning (exit code, stderr)."""
    from typer.testing import CliRunner

    from costmodel.cli import app

    path = folder / "fuzzed.xlsx"
    path.write_bytes(data)
    before = hashlib.sha256(data).hexdigest()
    res = CliRunner().invoke(app, ["run", str(path), "--json"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the input file changed"
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError("traceback: " + "".join(traceback.format_exception(res.exception)))
    assert res.exit_code in (0, 2), (res.exit_code, res.output)
    if res.stdout.strip():
        doc = strict_json(res.stdout)
    if res.exit_code == 0:
        costs = [r["usd_per_kwh"] for r in doc["results"]]
        assert costs and all(isinstance(c, float) and math.isfinite(c) and c > 0 for c in costs), costs
    else:
        assert not res.stdout.strip(), "output on stdout with exit 2"
        _assert_located(res.stderr, path)
    return res.exit_code, res.stderr


def _assert_located(err: str, path: Path) -> None:
    """Every problem listed names the file, a sheet, a cell or a row."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "exit 2 without a message"
    problems = [ln[4:] for ln in lines if ln.startswith("  - ")]
    if not problems:
        assert path.name in err or "!" in err, err
        return
    for p in problems:
        where = p.split(": ", 1)[0]
        ok = where == path.name or where in KNOWN_SHEETS or bool(_LOCATION.match(where))
        assert ok, f"problem without a location: {p!r}"


def _worker(args: tuple[int, int, int]) -> dict:
    """Run ``n`` hypothesis examples with seed ``s``; returns counts, time and the first failure (with its specs)."""
    _, n, s = args
    stats = {"tried": 0, "exit_0": 0, "exit_2": 0, "mutations": 0, "seconds": 0.0, "failure": None, "specs": None}
    last: list[list[dict]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        @seed(s)
        @settings(max_examples=n, deadline=None, database=None, derandomize=False,
                  phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
        @given(SPECS)
        def run(specs: list[dict]) -> None:
            last[:] = [specs]
            code = check(fm.apply(fm.base_bytes(), specs), folder)
            stats["tried"] += 1
            stats["mutations"] += len(specs)
            stats[f"exit_{code}"] += 1

        try:
            run()
        except Exception as exc:  # the failure is reported by the parent test, with the specs to keep
            stats["failure"] = f"{type(exc).__name__}: {exc}"
            stats["specs"] = last[0] if last else None
    stats["seconds"] = time.perf_counter() - t0
    return stats


def test_fuzz_workbook(request):
    """At least 1,000 mutated workbooks (by default), none gives a traceback, a silent NaN or an unlocated error."""
    t0 = time.perf_counter()
    per = [EXAMPLES // WORKERS + (1 if i < EXAMPLES % WORKERS else 0) for i in range(WORKERS)]
    jobs = [(i, n, SEED * 100 + i) for i, n in enumerate(per)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(WORKERS) as pool:
        results = pool.map(_worker, jobs)
    total = {k: sum(r[k] for r in results) for k in ("tried", "exit_0", "exit_2", "mutations")}
    total["seconds"] = time.perf_counter() - t0
    request.config.costmodel_fuzz = total
    failures = [r for r in results if r["failure"]]
    assert not failures, "fuzzer found a failing workbook; add its specs to fuzz_regressions.json:\n" + "\n".join(
        f"{r['failure']}\nspecs: {json.dumps(r['specs'])}" for r in failures)
    assert total["tried"] >= min(EXAMPLES, 1000) * 0.99, total  # hypothesis may skip a few duplicate examples
    assert total["exit_0"] > 0 and total["exit_2"] > 0, total


def _regressions() -> list[dict]:
    return json.loads(REGRESSIONS.read_text(encoding="utf-8")) if REGRESSIONS.exists() else []


@pytest.mark.parametrize("case", _regressions(), ids=lambda c: c["name"])
def test_fuzz_regressions(case, tmp_path):
    """Each workbook the fuzzer (or the hostile tester) once broke, replayed: it passes every property and gives the
    exit code and message noted."""
    code, err = run_checked(fm.apply(fm.base_bytes(), case["specs"]), tmp_path)
    assert code == case["exit"], case
    assert case["message"] in err, err
