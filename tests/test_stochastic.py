"""The optimizer under price uncertainty (``optimize --uncertain``): the risk measures, the futures' coefficients, the
extensive form checked by enumeration, VSS >= 0 and EVPI >= 0, Dask equals in-process, and the command."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from costmodel.cli import app
from costmodel.dataset import load_default
from costmodel.model import Model
from costmodel.optimize.coefficients import expand
from costmodel.optimize.data import Lever
from costmodel.optimize.data import load_default as optimizer_data
from costmodel.optimize.model import build, set_objective
from costmodel.optimize.overrides import parse_sets, with_overrides
from costmodel.optimize.solve import solve
from costmodel.optimize.stochastic import (
    PLANS,
    Fixing,
    Futures,
    _fix,
    _release,
    apply_draws,
    optimize_uncertain,
    prepare,
    risk_value,
)
from costmodel.optimize.tolerance import MIP_GAP
from costmodel.scenario import parse_override
from costmodel.schemas import load_schema

runner = CliRunner()
YEARS = (2026, 2027)


@pytest.fixture(scope="module")
def model() -> Model:
    return Model(load_default())


@pytest.fixture(scope="module")
def small(model):
    """A two-year instance with a lever whose worth depends on the aluminium-foil price: 20 um cathode foil buys a cell
    yield of 0.97. At table prices it pays, so the deterministic plan adopts it at once; at twelve times the foil price
    it costs more than it saves, and once adopted a lever stays."""
    d = optimizer_data("nfpp", model.dataset)
    flip = Lever("thick_foil_yield", (parse_override("design.nfpp.cathode_foil_um=20"), parse_override("design.nfpp.cell_yield=0.97")),
                 2026, 4.0, "flip")
    routes = tuple(r for r in d.routes if r.name in ("hc_coconut", "hc_bamboo", "cathode_nfpp"))
    levers = (flip, *(lv for lv in d.levers if lv.name == "low_fill"))
    return dataclasses.replace(d, levers=levers, routes=routes, scales=(2.5, 5.0, 10.0))


def foil_futures(model, factors, seed=0) -> Futures:
    prices = {y: {"price.al_foil": np.array([model.parameters(y).values["price.al_foil"] * f for f in factors])} for y in YEARS}
    return Futures(len(factors), seed, "given", prices)


# -- the risk measures -------------------------------------------------------------------------------------------------


def test_cvar90_is_the_mean_of_the_worst_tenth():
    assert risk_value([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "cvar90") == pytest.approx(10)
    assert risk_value(list(range(1, 21)), "cvar90") == pytest.approx(19.5)  # the worst two of twenty
    assert risk_value(list(range(1, 16)), "cvar90") == pytest.approx((15 + 0.5 * 14) / 1.5)  # one and a half futures
    assert risk_value([7.0], "cvar90") == 7.0
    assert risk_value([1, 2, 6], "mean") == 3.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 200, allow_nan=False), min_size=1, max_size=40))
def test_cvar90_is_the_rockafellar_uryasev_minimum(costs):
    x = np.array(costs)
    # the minimum of eta + mean((x - eta)+) / 0.1 over eta is reached at one of the costs (piecewise linear in eta)
    ru = min(eta + np.maximum(x - eta, 0).mean() / 0.1 for eta in x)
    assert risk_value(x, "cvar90") == pytest.approx(ru, rel=1e-9, abs=1e-9)
    assert x.mean() - 1e-9 <= risk_value(x, "cvar90") <= x.max() + 1e-9


def test_a_levers_factor_on_a_price_stays_a_factor_on_the_drawn_price():
    table = {"price.housing": 2.0, "price.vc": 10.0}
    values = {"price.housing": 2.6, "price.vc": 10.0}  # housing x1.3 by a lever
    out = apply_draws(values, table, {"price.housing": np.array([3.0, 1.0]), "price.vc": np.array([12.0, 8.0])})
    assert np.allclose(out["price.housing"], [3.9, 1.3]) and np.allclose(out["price.vc"], [12.0, 8.0])


def test_the_futures_coefficients_equal_an_expansion_in_that_futures_prices(model, small):
    """One vectorized engine call for every future gives each future the expansion the engine gives at its prices."""
    inst = prepare(model, small, 2026, 2027, 0.5, 2, 0, "highs", None, None, futures=foil_futures(model, (0.8, 3.0)))
    f = 1
    priced, data = with_overrides(model, small, parse_sets([f"price.al_foil={float(inst.futures.prices[2027]['price.al_foil'][f])!r}"]),
                                  "test")
    alone = expand(priced, data, inst.space, 2027, inst.anchors[1])
    vec = inst.expansions[f][1]
    assert vec.monomials == alone.monomials
    for q in alone.const:
        assert vec.const[q] == pytest.approx(alone.const[q], rel=1e-12)
        assert np.allclose(vec.coef[q], alone.coef[q], rtol=1e-10, atol=1e-12)


# -- the extensive form, checked ----------------------------------------------------------------------------------------


def _enumerate(inst, risk: str) -> dict[tuple, float]:
    """Every first stage (first-year alternative per block, plant option) with the risk measure of its per-future optimal
    recourse; first stages the constraints forbid are left out."""
    sp = inst.space
    out = {}
    per_future = []
    for f in range(inst.futures.draws):
        built = build(inst.data, sp, inst.expansions[f], inst.globals[f], inst.current_plant, inst.incumbent)
        set_objective(built, "final_cost")
        costs = {}
        for picks in itertools.product(*(range(len(a)) for a in sp.alternatives)):
            for plant in range(len(inst.data.scales)):
                try:
                    changed = _fix(built, Fixing("candidate", {0: (picks, plant)}))
                except ValueError:
                    continue
                res = solve(built.model, "highs", None, MIP_GAP)
                if res.has_solution:
                    costs[(picks, plant)] = res.objective
                _release(changed)
        per_future.append(costs)
    for cand in set.intersection(*(set(c) for c in per_future)):
        out[cand] = risk_value([c[cand] for c in per_future], risk)
    return out


@pytest.mark.parametrize("risk", ["mean", "cvar90"])
def test_a_two_future_instance_matches_enumeration(model, small, risk):
    fut = foil_futures(model, (1.0, 12.0))
    r = optimize_uncertain(model, small, 2026, 2027, 0.5, risk=risk, futures=fut, method="extensive")
    inst = prepare(model, small, 2026, 2027, 0.5, 2, 0, "highs", None, None, futures=fut)
    table = _enumerate(inst, risk)
    best = min(table.values())
    assert len(table) >= 4 and max(table.values()) > best + 1.0  # the first stage matters here
    assert r.objective == pytest.approx(best, rel=1e-6)
    assert r.rp == pytest.approx(best, rel=1e-6)
    # the stochastic plan's first stage is one of the best; the deterministic one (the lever at once) is not
    sto = r.first_stage["stochastic"]
    assert "thick_foil_yield" not in sto["levers"] and "thick_foil_yield" in r.first_stage["deterministic"]["levers"]
    assert r.vss > 1.0  # USD/kWh: stuck with thick foil in the dear-foil future
    cost = r.costs
    # hand check: in the dear-foil future the deterministic plan pays the lever's loss; in the cheap one nothing
    assert cost.loc["future1", PLANS[1]] == pytest.approx(cost.loc["future1", PLANS[3]], rel=1e-6)
    assert cost.loc["future2", PLANS[1]] > cost.loc["future2", PLANS[3]] + 1.0
    assert r.evpi == pytest.approx(0.0, abs=1e-6 * r.rp)  # waiting is free: nothing the first year must commit depends on prices
    assert r.engine_check < 0.01


@pytest.mark.parametrize("risk", ["mean", "cvar90"])
def test_scenario_decomposition_and_the_extensive_form_agree(model, small, risk):
    fut = foil_futures(model, (0.6, 1.0, 12.0))
    auto = optimize_uncertain(model, small, 2026, 2027, 0.5, risk=risk, futures=fut)
    ef = optimize_uncertain(model, small, 2026, 2027, 0.5, risk=risk, futures=fut, method="extensive")
    assert "decomposition" in auto.status and "phase 1" in ef.status
    assert auto.rp == pytest.approx(ef.rp, rel=1e-6) and auto.eev == pytest.approx(ef.eev, rel=1e-6)
    assert auto.ws == pytest.approx(ef.ws, rel=1e-6) and ef.objective == pytest.approx(ef.rp, rel=1e-4)
    assert auto.bound == pytest.approx(auto.ws, rel=1e-9) and ef.bound <= ef.objective + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_vss_and_evpi_are_not_negative_on_random_small_instances(model, small, seed):
    rng = np.random.default_rng(seed)
    d = optimizer_data("nfpp", model.dataset)
    # two more levers (not those changing what the flip lever changes: the foil and the cell yield)
    extra = tuple(rng.choice([lv for lv in d.levers if lv.earliest <= 2027 and lv.name not in ("thin_al_foil", "cell_yield_95")],
                             size=2, replace=False))
    scales = tuple(sorted({5.0, *(float(x) for x in rng.choice([2.5, 7.5, 10.0, 15.0], 2, replace=False))}))  # 5 GWh: today's
    data = dataclasses.replace(small, levers=(*small.levers, *extra), scales=scales)
    items = ("al_foil", "nfpp", "hc_coconut", "hc_bamboo", "napf6")
    n = 3
    mult = {it: rng.lognormal(0.0, 0.5, n) for it in items}
    mult["al_foil"] = rng.choice([0.5, 1.0, 6.0, 12.0], n)
    prices = {y: {f"price.{it}": model.parameters(y).values[f"price.{it}"] * mult[it] for it in items} for y in YEARS}
    risk = ("mean", "cvar90")[seed % 2]
    r = optimize_uncertain(model, data, 2026, 2027, 0.5, risk=risk, futures=Futures(n, seed, "given", prices))
    tol = 1e-6 * r.rp
    assert r.vss >= -tol and r.evpi >= -tol
    regret = r.plans.set_index("plan")
    assert (regret[["mean_regret_usd_per_kwh", "max_regret_usd_per_kwh"]] >= -tol).all().all()
    assert (r.costs[PLANS[3]] <= r.costs[PLANS[0]] + tol).all()
    assert r.rp <= r.eev + tol <= risk_value(r.costs[PLANS[2]], risk) + 2 * tol  # fixing more years cannot help


def test_recourse_on_a_two_worker_local_cluster_equals_in_process(model, small):
    fut = foil_futures(model, (0.7, 1.0, 5.0, 12.0), seed=9)
    serial = optimize_uncertain(model, small, 2026, 2027, 0.5, futures=fut, workers=1)
    dask = optimize_uncertain(model, small, 2026, 2027, 0.5, futures=fut, workers=2)
    assert serial.workers == "in process" and dask.workers.startswith("local Dask cluster of 2")
    pd.testing.assert_frame_equal(serial.costs, dask.costs)
    pd.testing.assert_frame_equal(serial.plans, dask.plans)
    pd.testing.assert_frame_equal(serial.decisions, dask.decisions)


# -- the command --------------------------------------------------------------------------------------------------------


def test_optimize_uncertain_writes_tables_json_workbook_and_png(tmp_path):
    out, png = tmp_path / "u.xlsx", tmp_path / "u.png"
    res = runner.invoke(app, ["optimize", "--uncertain", "3", "--seed", "2", "--risk", "cvar90", "--out", str(out), "--png", str(png)])
    assert res.exit_code == 0, res.output
    assert "VSS" in res.stdout and "EVPI" in res.stdout and "Robust first year (2026)" in res.stdout
    assert png.stat().st_size > 10_000
    wb = openpyxl.load_workbook(out)
    assert {"Uncertain plan", "Plans", "First-year decisions", "Cost distribution", "Futures", "Deterministic Path"} <= set(wb.sheetnames)
    assert len(wb["Cost distribution"]._charts) == 1
    plans = [row[0].value for row in wb["Plans"].iter_rows(min_row=2)]
    assert plans == list(PLANS)
    js = runner.invoke(app, ["optimize", "--uncertain", "3", "--seed", "2", "--risk", "cvar90", "--json"])
    assert js.exit_code == 0, js.output
    doc = json.loads(js.stdout)
    assert not list(Draft202012Validator(load_schema("optimize uncertain")).iter_errors(doc))
    assert doc["command"] == "optimize uncertain" and doc["draws"] == 3 and len(doc["futures"]) == 3
    m = doc["measures_usd_per_kwh"]
    assert m["vss"] == pytest.approx(m["eev"] - m["rp"]) and m["evpi"] == pytest.approx(m["rp"] - m["ws"])
    assert m["vss"] >= -1e-6 and m["evpi"] >= -1e-6
    assert doc["engine_check_usd_per_kwh"] < 0.01
    # the same seed gives the same futures and answer
    again = json.loads(runner.invoke(app, ["optimize", "--uncertain", "3", "--seed", "2", "--risk", "cvar90", "--json"]).stdout)
    assert again["futures"] == doc["futures"] and again["results"] == doc["results"]


@pytest.mark.parametrize(("args", "message"), [
    (["--uncertain", "0"], "give at least 1"),
    (["--uncertain", "-3"], "give at least 1"),
    (["--uncertain", "3", "--risk", "worst"], "unknown risk measure 'worst'"),
    (["--risk", "cvar90"], "add --uncertain"),
    (["--uncertain", "2", "--uncertain-method", "pha"], "must be auto or extensive"),
    (["--uncertain", "2", "--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--uncertain", "2", "--sweep", "designs"], "runs on its own"),
])
def test_bad_uncertain_input_exits_2(args, message):
    res = runner.invoke(app, ["optimize", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
