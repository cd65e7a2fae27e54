"""The path optimizer: engine consistency, exhaustive enumeration, two formulations, two solvers, the
expansion's exactness, relaxations, routes and clear failure messages."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.optimize.choices import incumbents, space, uses
from costmodel.optimize.coefficients import evaluate_points, expand, globals_of
from costmodel.optimize.context import Context, YearChoice, engine_cost
from costmodel.optimize.data import from_tables, load_default, read_default_tables
from costmodel.optimize.model import build, set_objective
from costmodel.optimize.path import NoSolution, optimize
from costmodel.optimize.solve import solve
from costmodel.optimize.synthetic import extended_model, large_tables

MODEL = Model()
INC = incumbents(load_default(), MODEL.parameters(2025).choices)


@pytest.fixture(scope="module")
def default_result():
    return optimize(MODEL, load_default(), pareto_points=5)


def test_engine_reproduces_the_optimizer_path(default_result):
    r = default_result
    rel = (r.path["cost_model"] / r.path["cost_engine"] - 1).abs()
    assert rel.max() < 0.005  # the learning envelope is the only approximation left
    assert r.learning_error < 0.005
    assert r.path["cost_engine"].iloc[-1] == pytest.approx(r.best_cost, rel=0.005)
    # split into drivers adds up to the engine's change exactly
    assert sum(r.split.values()) == pytest.approx(r.path["cost_engine"].iloc[-1] - r.base_cost, rel=1e-9)


def test_default_answer_is_reported_not_raised(default_result):
    r = default_result
    assert r.base_cost == pytest.approx(MODEL.evaluate(2025, designs=["nfpp"]).summary()["usd_per_kwh"].iloc[0])
    assert not r.reached  # halving by 2028 is out of reach on the bundled data
    assert r.formulation == "pairwise" and all(s.status == "optimal" for s in r.status.values())
    assert "supply caps" in r.binding and r.binding["supply caps"] < r.best_cost
    plants = [5.0, *r.path["plant_gwh"]]
    assert all(b >= a and b - a <= 15 for a, b in itertools.pairwise(plants))
    assert (r.suppliers["quantity_kt"] <= r.suppliers["capacity_kt"] + 1e-6).all()
    # levers stay adopted
    sets = [set(s.split(", ")) - {"-"} for s in r.path["levers"]]
    assert all(a <= b for a, b in itertools.pairwise(sets))
    # slack caps have no shadow price (a binding one has: tests/test_blend.py, one route per family, where the coconut
    # caps bind; with blends the path sits at a grid share just inside the pitch cap)
    sh = r.shadow.set_index("supplier")
    assert (sh.loc[sh["quantity_kt"] < sh["capacity_kt"] - 1e-6, "usd_per_kwh_per_kt"] == 0).all()
    assert (sh.loc[sh["quantity_kt"] >= sh["capacity_kt"] - 1e-6, "usd_per_kwh_per_kt"] <= 0).all()


def test_pareto_front_trades_spend_for_cost(default_result):
    p = default_result.pareto.sort_values("final_cost_usd_per_kwh")
    assert len(p) >= 3
    assert (np.diff(p["spend_musd"].to_numpy()) <= 1e-6).all()  # cheaper final cost never needs less spend
    assert p["final_cost_usd_per_kwh"].min() == pytest.approx(default_result.best_cost, rel=1e-6)
    assert p["spend_musd"].max() == pytest.approx(default_result.spend_musd, rel=1e-6)


def _small():
    t = read_default_tables()
    t["levers"] = t["levers"][t["levers"]["lever"].isin(["loading_25", "thin_al_foil", "low_fill", "cell_yield_95"])]
    t["routes"] = t["routes"][t["routes"]["route"].isin(["hc_coconut", "hc_bamboo"])]
    t["scale"] = t["scale"][t["scale"]["plant_gwh"].isin(["5", "10", "20"])]
    t["suppliers"] = t["suppliers"].iloc[0:0]
    return from_tables(t, "nfpp")


@pytest.mark.parametrize("formulation", ["exact", "pairwise"])
def test_small_instance_matches_exhaustive_enumeration(formulation):
    data = _small()
    assert len(data.levers) == 4 and len(data.routes) == 2 and len(data.scales) == 3
    years = (2026, 2027, 2028)
    sp = space(data, INC, "exact")
    assert len(sp.alternatives[0]) == 2 ** 4 * (2 + 9)  # four lever groups x (two routes and nine blends of them)
    ctx = Context(MODEL, data, sp, globals_of(MODEL, data, years, set()), years, 2025, 5.0, INC, "highs", None)
    g = ctx.globals
    other = [data.demand[y][1] for y in years]
    seqs = [s for s in itertools.product(data.scales, repeat=3)
            if all(b >= a and b - a <= data.ramp_gwh for a, b in itertools.pairwise((5.0, *s)))
            and all(g.utilisation * s[j] <= data.demand[y][0] for j, y in enumerate(years))]
    finals = {}
    for point in (sp.point((a,)) for a in range(len(sp.alternatives[0]))):
        if any(lv.earliest > 2028 for lv in data.levers if lv.name in sp.levers(point)):
            continue
        route = sp.routes(point)["hard_carbon"]  # a route, or a blend of coconut and bamboo (blend_step 0.1)
        for seq in seqs:
            x = g.cumulative0 + sum(other[:2]) + g.utilisation * sum(seq[:2]) + 0.5 * (other[2] + g.utilisation * seq[2])
            cost = engine_cost(ctx, 2028, YearChoice(point, seq[-1], x, {}))
            spend = (sum(lv.one_off_musd for lv in data.levers if lv.name in sp.levers(point))
                     + sum(r.switch_musd for r in data.routes if uses(route, r.name)) + data.expansion_musd_per_gwh * (seq[-1] - 5))
            finals[(point, seq)] = (cost, spend)
    best = min(c for c, _ in finals.values())
    res = optimize(MODEL, data, 2026, 2028, target=0.9, explain=False, formulation=formulation)
    assert res.formulation == formulation
    assert res.best_cost == pytest.approx(best, rel=0.005)
    assert res.reached and res.path["cost_engine"].iloc[-1] <= res.target_cost * 1.005  # least spend meets the target
    # phase 2: the least spend that reaches 90 % of the base cost, by enumeration
    least = min(s for (cost, s) in finals.values() if cost <= 0.9 * res.base_cost * (1 - 0.005))
    assert res.spend_musd <= least + 1e-6


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_expansion_is_exact_within_two_blocks_of_its_anchor(draw):
    """A second-order expansion is exact at every point that leaves its anchor in at most two blocks."""
    data = load_default()
    sp = space(data, INC, "pairwise")
    sizes = [len(a) for a in sp.alternatives]
    anchor = tuple(draw.draw(st.integers(0, n - 1)) for n in sizes)
    year = draw.draw(st.sampled_from([2026, 2027, 2028]))
    e = expand(MODEL, data, sp, year, anchor)
    moved = draw.draw(st.lists(st.integers(0, len(sizes) - 1), min_size=0, max_size=2, unique=True))
    picks = list(anchor)
    for b in moved:
        picks[b] = draw.draw(st.integers(0, sizes[b] - 1))
    exact = evaluate_points(MODEL, data, sp, year, [sp.point(tuple(picks))])
    for q, v in exact.items():
        assert e.value(tuple(picks), q) == pytest.approx(float(v[0]), rel=1e-5, abs=1e-9), q


def test_highs_and_cbc_agree_on_the_default_instance():
    data = load_default()
    res = {s: optimize(MODEL, data, solver=s, explain=False) for s in ("highs", "cbc")}
    assert res["highs"].best_cost == pytest.approx(res["cbc"].best_cost, rel=1e-6)
    assert res["highs"].spend_musd == pytest.approx(res["cbc"].spend_musd, rel=1e-6)
    assert all(s.status == "optimal" for r in res.values() for s in r.status.values())


def test_relaxing_a_family_on_the_model_matches_a_fresh_build_without_it():
    data = load_default()
    years = (2026, 2027, 2028)
    sp = space(data, INC, "pairwise")
    gl = globals_of(MODEL, data, years, {s.item for s in data.suppliers})
    anchor = tuple(0 for _ in sp.blocks)
    exps = [expand(MODEL, data, sp, y, anchor) for y in years]
    b = build(data, sp, exps, gl, 5.0, INC)
    set_objective(b, "final_cost")
    capped = solve(b.model).objective
    b.relax("supply caps")
    relaxed = solve(b.model).objective
    b.relax("supply caps", False)
    assert solve(b.model).objective == pytest.approx(capped, rel=1e-9)
    huge = dataclasses.replace(data, suppliers=tuple(dataclasses.replace(s, capacity_kt=1e6, first_year=2000) for s in data.suppliers))
    fresh = build(huge, sp, exps, gl, 5.0, INC)
    set_objective(fresh, "final_cost")
    assert solve(fresh.model).objective == pytest.approx(relaxed, rel=1e-7)
    assert relaxed < capped


def test_budget_mode_caps_spend():
    data = load_default()
    full = optimize(MODEL, data, explain=False)
    capped = optimize(MODEL, data, budget=20, explain=False)
    assert capped.spend_musd <= 20 * (1 + 1e-7)
    assert capped.best_cost > full.best_cost
    assert capped.path["cost_engine"].iloc[-1] == pytest.approx(capped.best_cost, rel=0.005)


def test_cheap_o3_cathode_route_is_taken_with_its_supplier():
    """With O3 at 20,000 CNY/t (supplier included), the cathode route family switches to O3 from its earliest year."""
    ds = MODEL.dataset
    prices = ds.prices.copy()
    prices.loc[prices["item"] == "o3_nfm", "value"] = 20000.0
    model = Model(dataclasses.replace(ds, prices=prices))
    data = load_default()
    data = dataclasses.replace(data, suppliers=tuple(dataclasses.replace(s, price=20000.0) if s.item == "o3_nfm" else s
                                                     for s in data.suppliers))
    r = optimize(model, data, explain=False)
    routes = dict(zip(r.path["year"], r.path["routes"], strict=True))
    assert "cathode_nfpp" in routes[2026] and "cathode_o3" in routes[2028]
    o3 = r.suppliers[(r.suppliers["item"] == "o3_nfm") & (r.suppliers["year"] == 2028)]
    assert o3["quantity_kt"].sum() > 0
    assert (r.path["cost_model"] / r.path["cost_engine"] - 1).abs().max() < 0.005
    # the switching cost is in the spend: 20 M USD for the route
    assert r.spend_musd >= 20


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
    model = extended_model(MODEL, 2035)
    data = from_tables(large_tables(), "nfpp", "synthetic")
    years = tuple(range(2026, 2036))
    sp = space(data, INC, "pairwise")
    gl = globals_of(model, data, years, {s.item for s in data.suppliers})
    exps = [expand(model, data, sp, y, tuple(0 for _ in sp.blocks)) for y in years]
    b = build(data, sp, exps, gl, 5.0, INC)
    set_objective(b, "final_cost")
    r = solve(b.model, "highs", time_limit=0.5)
    assert r.status in ("feasible", "limit")
    assert "time limit" in r.message


def test_large_instance_has_the_issue_size():
    data = from_tables(large_tables(), "nfpp", "synthetic")
    assert (len(data.levers), len(data.suppliers), len(data.routes), len(data.demand)) == (30, 50, 4, 10)
    sp = space(data, INC)
    # four hard-carbon routes: the routes and nine blends of each pair naming two materials (hc_bamboo2 is hc_bamboo again)
    assert sp.combinations == 4 ** 10 * (4 + 5 * 9) and len(sp.blocks) == 11  # far beyond enumeration: one block per group


def test_cli_optimize_json_workbook_and_errors(tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from costmodel.cli import app

    out = CliRunner().invoke(app, ["optimize", "--json", "--out", str(tmp_path / "p.xlsx")])
    assert out.exit_code == 0, out.output
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert {"Optimizer", "Path", "Suppliers", "Shadow prices"} <= set(wb.sheetnames)
    assert len(wb["Path"]._charts) == 1  # native cost-path chart
    path = pd.read_excel(tmp_path / "p.xlsx", sheet_name="Path")
    assert list(path["year"]) == [2025, 2026, 2027, 2028]
    for args in (["--solver", "gurobi"], ["--formulation", "magic"], ["--target", "3"], ["--by", "2024"]):
        bad = CliRunner().invoke(app, ["optimize", *args])
        assert bad.exit_code == 2, args
        assert "Traceback" not in bad.output


def test_optimize_reads_the_workbook_sheets(tmp_path):
    """The base workbook's optimizer sheets give the bundled answer; an edit in a sheet changes it."""
    import shutil
    from pathlib import Path

    import openpyxl
    from typer.testing import CliRunner

    from costmodel.cli import app

    wb_path = tmp_path / "plan.xlsx"
    shutil.copy(Path(__file__).parents[1] / "workbooks" / "sodium_ion_base.xlsx", wb_path)
    base = CliRunner().invoke(app, ["optimize", str(wb_path), "--json"])
    assert base.exit_code == 0, base.output
    import json

    doc = json.loads(base.stdout)
    bundled = optimize(MODEL, load_default(), explain=False)
    assert doc["best"]["usd_per_kwh"] == pytest.approx(bundled.best_cost, rel=1e-9)
    # the larger-cell lever only from 2029: out of the 2028 path, so the best 2028 cost rises
    wb = openpyxl.load_workbook(wb_path)
    ws = wb["Levers"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("lever")].value == "larger_cell":
            row[header.index("earliest_year")].value = 2029
    wb.save(wb_path)
    edited = CliRunner().invoke(app, ["optimize", str(wb_path), "--json"])
    assert edited.exit_code == 0, edited.output
    paths = json.loads(edited.stdout)["results"]
    assert all("larger_cell" not in p["levers"] for p in paths)
    best = json.loads(edited.stdout)["best"]["usd_per_kwh"]
    assert best > bundled.best_cost + 0.1


def test_levers_of_different_groups_may_not_change_the_same_parameter():
    from costmodel.validation import InputError

    t = read_default_tables()
    clash = t["levers"][t["levers"]["lever"] == "loading_25"].assign(lever="loading_27", group="coater",
                                                                      change="design.nfpp.cathode_loading_mg_cm2=27")
    t["levers"] = pd.concat([t["levers"], clash], ignore_index=True)
    with pytest.raises(InputError, match="belong in one exclusivity group"):
        optimize(MODEL, from_tables(t, "nfpp"), explain=False)
