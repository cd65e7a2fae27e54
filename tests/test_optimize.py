"""The path optimizer: engine consistency, exhaustive enumeration, two solvers, and clear failure messages."""

from __future__ import annotations

import dataclasses
import itertools

import pandas as pd
import pyomo.environ as pyo
import pytest

from costmodel import Model
from costmodel.optimize.coefficients import compute
from costmodel.optimize.data import from_tables, load_default, read_default_tables
from costmodel.optimize.model import build, set_objective
from costmodel.optimize.path import NoSolution, engine_cost, optimize
from costmodel.optimize.solve import solve

MODEL = Model()


@pytest.fixture(scope="module")
def default_result():
    return optimize(MODEL, load_default())


def test_engine_reproduces_the_optimizer_path(default_result):
    r = default_result
    rel = (r.path["cost_model"] / r.path["cost_engine"] - 1).abs()
    assert rel.max() < 0.005  # the learning curve is the only approximation
    assert r.learning_error < 0.005
    assert r.path["cost_engine"].iloc[-1] == pytest.approx(r.best_cost, rel=0.005)
    # split into drivers adds up to the engine's change exactly
    assert sum(r.split.values()) == pytest.approx(r.path["cost_engine"].iloc[-1] - r.base_cost, rel=1e-9)


def test_default_answer_is_reported_not_raised(default_result):
    r = default_result
    assert r.base_cost == pytest.approx(MODEL.evaluate(2025, designs=["nfpp"]).summary()["usd_per_kwh"].iloc[0])
    assert not r.reached  # halving by 2028 is out of reach on the bundled data
    assert "supply caps" in r.binding
    assert r.binding["supply caps"] < r.best_cost
    # plant size is monotone and within ramp
    plants = [5.0, *r.path["plant_gwh"]]
    assert all(b >= a and b - a <= 15 for a, b in itertools.pairwise(plants))
    # supplier volumes within caps
    assert (r.suppliers["quantity_kt"] <= r.suppliers["capacity_kt"] + 1e-6).all()


def _small():
    t = read_default_tables()
    t["levers"] = t["levers"][t["levers"]["lever"].isin(["loading_25", "thin_al_foil", "low_fill", "cell_yield_95"])]
    t["routes"] = t["routes"][t["routes"]["route"].isin(["hc_coconut", "hc_bamboo"])]
    t["scale"] = t["scale"][t["scale"]["plant_gwh"].isin(["5", "10", "20"])]
    t["suppliers"] = t["suppliers"].iloc[0:0]
    return from_tables(t, "nfpp")


def test_small_instance_matches_exhaustive_enumeration():
    data = _small()
    assert len(data.levers) == 4 and len(data.routes) == 2 and len(data.scales) == 3
    years = (2026, 2027, 2028)
    c = compute(MODEL, data, years)
    u, x0 = c.utilisation, c.cumulative0
    other = [data.demand[y][1] for y in years]
    best = None
    seqs = [s for s in itertools.product(data.scales, repeat=3)
            if all(b >= a and b - a <= data.ramp_gwh for a, b in itertools.pairwise((5.0, *s)))
            and all(u * s[j] <= data.demand[y][0] for j, y in enumerate(years))]
    finals = {}
    for k, opt in enumerate(c.options):
        for seq in seqs:
            x = x0 + sum(other[:2]) + u * sum(seq[:2]) + 0.5 * (other[2] + u * seq[2])
            cost = engine_cost(MODEL, data, c, 2028, k, seq[-1], x)
            spend = (sum(lv.one_off_musd for lv in data.levers if lv.name in opt.levers)
                     + next(r.switch_musd for r in data.routes if r.name == opt.route) + data.expansion_musd_per_gwh * (seq[-1] - 5))
            finals[(k, seq)] = (cost, spend)
            best = cost if best is None else min(best, cost)
    res = optimize(MODEL, data, 2026, 2028, target=0.9, explain=False)
    assert res.best_cost == pytest.approx(best, rel=0.005)
    # phase 2: the least spend that reaches 90 % of the base cost, by enumeration
    target = 0.9 * res.base_cost
    least = min(s for (cost, s) in finals.values() if cost <= target * (1 - 0.005))
    assert res.spend_musd <= least + 1e-6


def test_highs_and_cbc_agree_on_the_default_instance():
    data = load_default()
    c = compute(MODEL, data, (2026, 2027, 2028))
    objs = {}
    for solver in ("highs", "cbc"):
        b = build(data, c, 5.0, "hc_coconut")
        set_objective(b, "final_cost")
        r = solve(b.model, solver, mip_gap=1e-6)
        assert r.status == "optimal", r.message
        objs[solver] = r.objective
    assert objs["highs"] == pytest.approx(objs["cbc"], rel=1e-6)


def test_infeasible_path_gives_a_clear_message():
    data = load_default()
    data = dataclasses.replace(data, demand={**data.demand, 2026: (1.0, 9.0)})  # 1 GWh sellable < current 3.5 GWh output
    with pytest.raises(NoSolution, match="infeasible"):
        optimize(MODEL, data, explain=False)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_unbounded_and_infeasible_models_are_reported(solver):
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.y = pyo.Var(domain=pyo.Binary)
    m.obj = pyo.Objective(expr=m.x + m.y)
    m.c = pyo.Constraint(expr=m.x <= 5)
    r = solve(m, solver)
    assert r.status == "unbounded" and "unbounded" in r.message
    m2 = pyo.ConcreteModel()
    m2.x = pyo.Var(bounds=(0, 1))
    m2.obj = pyo.Objective(expr=m2.x)
    m2.c = pyo.Constraint(expr=m2.x >= 2)
    r2 = solve(m2, solver)
    assert r2.status == "infeasible" and "infeasible" in r2.message


def test_time_limited_solve_is_reported():
    data = load_default()
    c = compute(MODEL, data, (2026, 2027, 2028))
    b = build(data, c, 5.0, "hc_coconut")
    set_objective(b, "final_cost")
    r = solve(b.model, "highs", time_limit=0.01)
    assert r.status in ("feasible", "limit")
    assert "time limit" in r.message


def test_cli_optimize_json(tmp_path):
    from typer.testing import CliRunner

    from costmodel.cli import app

    out = CliRunner().invoke(app, ["optimize", "--json", "--out", str(tmp_path / "p.xlsx")])
    assert out.exit_code == 0, out.output
    assert set(pd.ExcelFile(tmp_path / "p.xlsx").sheet_names) >= {"Optimizer", "Path", "Suppliers", "Shadow prices"}
    bad = CliRunner().invoke(app, ["optimize", "--solver", "gurobi"])
    assert bad.exit_code == 2
