"""Independent cases on Dask: the same table as a serial run, whatever the workers; failures reported, not fatal."""

from __future__ import annotations

import numpy as np
import pytest

from costmodel.sweep import Case, run_cases
from costmodel.validation import InputError


def draw_cost(seed: int, fail: bool = False) -> float:
    """A small seeded computation through the engine: NFPP cost with VC drawn around its price."""
    if fail:
        raise ValueError(f"case {seed} fails on purpose")
    from costmodel import Model

    model = Model()
    pset = model.parameters(2025)
    v = dict(pset.values)
    v["price.vc"] = v["price.vc"] * np.random.default_rng(seed).uniform(0.5, 2.0)
    return float(model.evaluate_arrays(v, pset.choices, ["nfpp"])["nfpp"].total)


def _cases():
    return [Case(f"draw{i}", draw_cost, (i,), {"fail": i == 3}) for i in range(6)]


def test_a_two_worker_local_cluster_equals_the_serial_run_and_reports_a_failure():
    serial = run_cases(_cases(), workers=1)
    seen = []
    parallel = run_cases(_cases(), workers=2, progress=lambda done, total: seen.append((done, total)))
    assert [o.key for o in parallel] == [f"draw{i}" for i in range(6)]
    assert [(o.key, o.status, o.value) for o in parallel] == [(o.key, o.status, o.value) for o in serial]
    failed = [o for o in parallel if o.status == "failed"]
    assert [o.key for o in failed] == ["draw3"] and "fails on purpose" in failed[0].error
    assert seen[-1] == (6, 6)


def test_bad_sweep_settings_are_refused():
    with pytest.raises(InputError, match="give at least 1"):
        run_cases(_cases(), workers=0)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_cases(_cases(), scheduler="tcp://127.0.0.1:9")


def test_optimize_sweep_over_price_futures_on_two_workers_equals_serial_and_reports_failures():
    import json

    from jsonschema import Draft202012Validator
    from typer.testing import CliRunner

    from costmodel.cli import app
    from costmodel.schemas import load_schema

    runner = CliRunner()
    docs = []
    for workers in ("1", "2"):
        out = runner.invoke(app, ["optimize", "--sweep", "draws:3", "--seed", "4", "--workers", workers, "--json"])
        assert out.exit_code == 0, out.output
        docs.append(json.loads(out.stdout))
    strip = [[{k: v for k, v in r.items() if k != "seconds"} for r in d["results"]] for d in docs]
    assert strip[0] == strip[1]
    assert [r["case"] for r in docs[0]["results"]] == ["draw1", "draw2", "draw3"]
    assert not list(Draft202012Validator(load_schema("optimize sweep")).iter_errors(docs[1]))
    designs = json.loads(runner.invoke(app, ["optimize", "--sweep", "designs", "--workers", "1", "--json"]).stdout)
    by = {r["case"]: r for r in designs["results"]}
    assert by["nfpp"]["status"] == "ok" and by["lfp"]["status"] == "failed" and "no route for design lfp" in by["lfp"]["error"]
    assert designs["failed"] == len(designs["results"]) - 1


@pytest.mark.parametrize("args, message", [
    (["--sweep", "draws:0"], "at least 1 price future"),
    (["--sweep", "everything"], "write draws:N, scenarios or designs"),
    (["--sweep", "draws:2", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--sweep", "draws:2", "--workers", "0"], "give at least 1"),
])
def test_bad_sweeps_exit_2(args, message):
    from typer.testing import CliRunner

    from costmodel.cli import app

    out = CliRunner().invoke(app, ["optimize", *args])
    assert out.exit_code == 2, out.output
    assert message in out.output and "Traceback" not in out.output


def test_evaluate_path_costs_the_final_year_on_price_futures():
    """The futures' final-year costs: their mean is near the deterministic cost, the median future on the table prices
    reproduces it when every draw is the table price, and P(target) is a share of the draws."""
    import json

    from typer.testing import CliRunner

    from costmodel import Model
    from costmodel.optimize.data import load_default
    from costmodel.optimize.futures import evaluate_path
    from costmodel.optimize.path import optimize

    model = Model()
    data = load_default("nfpp", model.dataset)
    result = optimize(model, data, explain=False)
    f = evaluate_path(model, data, result, 4000, seed=2)
    det = float(result.path["cost_engine"].iloc[-1])
    assert abs(float(np.median(f.final)) / det - 1) < 0.03  # price ranges around the table values
    assert f.final.std() > 0.5 and f.base.std() > 0.5
    assert 0.0 <= f.p_target <= 1.0 and f.p_target == float(np.mean(f.final <= result.target_cost))
    out = CliRunner().invoke(__import__("costmodel.cli", fromlist=["app"]).app,
                             ["optimize", "--evaluate-path", "500", "--seed", "2", "--json"])
    assert out.exit_code == 0, out.output
    fut = json.loads(out.stdout)["futures"]
    assert fut["draws"] == 500 and fut["usd_per_kwh"]["p5"] < fut["usd_per_kwh"]["p95"]
