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
