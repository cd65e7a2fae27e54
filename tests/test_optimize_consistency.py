"""One answer whatever the solver, the mode or the formulation (issue 15), and shadow prices that are finite
differences of the path's own cost.

A seeded random draw edits a small instance (ramp, supplier caps, demand, budget); on each draw HiGHS and CBC,
the enumerated (exact) and the compact (pairwise) formulation, and the Pareto front against ``--budget`` must give
the same final-year cost, spend and plant path within the solvers' tolerance.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from costmodel import Model
from costmodel.optimize.choices import incumbents, space
from costmodel.optimize.coefficients import globals_of
from costmodel.optimize.context import Context, engine_cost
from costmodel.optimize.data import from_tables, load_default, read_default_tables
from costmodel.optimize.path import optimize
from costmodel.units import parse_price_unit

MODEL = Model()
COST_REL = 1e-5  # final-year cost, relative (the MIP gap is 1e-6; costs are reported to 1e-4 USD/kWh)
SPEND_ABS = 1e-6  # M USD: spends are sums of the tables' figures, computed from the decisions


def _small(rng: np.random.Generator) -> tuple[object, float | None]:
    """A small instance (4 levers, 2 hard-carbon routes, 3 plant sizes, 5 suppliers) with edited settings, and a
    budget (M USD) or None."""
    t = read_default_tables()
    t["levers"] = t["levers"][t["levers"]["lever"].isin(["loading_25", "thin_al_foil", "low_fill", "cell_yield_95"])]
    t["routes"] = t["routes"][t["routes"]["route"].isin(["hc_coconut", "hc_bamboo", "cathode_nfpp"])]
    t["scale"] = t["scale"][t["scale"]["plant_gwh"].isin(["5", "10", "20"])]
    t["suppliers"] = t["suppliers"][t["suppliers"]["supplier"].isin(["coconut_a", "coconut_b", "bamboo_a", "bamboo_b", "nfpp_a"])]
    s = t["settings"].set_index("name")
    s.loc["ramp_gwh_per_year", "value"] = str(rng.choice([0.0, 0.5, 5.0, 15.0]))
    t["settings"] = s.reset_index()
    caps = t["suppliers"]["capacity_kt"].astype(float) * rng.uniform(0.3, 2.0, len(t["suppliers"]))
    t["suppliers"] = t["suppliers"].assign(capacity_kt=[f"{c:.3f}" for c in caps])
    d = t["demand"]["sellable_gwh"].astype(float) * rng.uniform(0.5, 1.5)
    t["demand"] = t["demand"].assign(sellable_gwh=[f"{x:.3f}" for x in d])
    budget = None if rng.random() < 0.4 else float(np.round(rng.uniform(0, 60), 1))
    return from_tables(t, "nfpp", dataset=MODEL.dataset), budget


def _summary(r) -> tuple:
    return (r.best_cost, r.spend_musd, tuple(r.path["plant_gwh"]))


def _same(a, b) -> None:
    assert a.best_cost == pytest.approx(b.best_cost, rel=COST_REL)
    assert a.spend_musd == pytest.approx(b.spend_musd, abs=SPEND_ABS)
    assert list(a.path["plant_gwh"]) == list(b.path["plant_gwh"])
    assert a.path["cost_engine"].iloc[-1] == pytest.approx(b.path["cost_engine"].iloc[-1], rel=COST_REL)


@pytest.mark.parametrize("seed", range(5))
def test_solvers_modes_and_enumeration_agree_on_random_small_instances(seed):
    rng = np.random.default_rng(1500 + seed)
    data, budget = _small(rng)
    runs = {(s, f): optimize(MODEL, data, target=0.8, solver=s, budget=budget, explain=False, formulation=f)
            for s in ("highs", "cbc") for f in ("exact", "pairwise")}
    ref = runs[("highs", "exact")]
    for key, r in runs.items():
        _same(r, ref)
        assert all(st.status == "optimal" for st in r.status.values()), key
        assert float(r.spend_musd) == round(r.spend_musd, 6)
    if budget is not None:
        assert ref.spend_musd <= budget + 1e-6
        # the least spend at the budget's best cost: a budget of exactly that spend gives the same answer
        again = optimize(MODEL, data, target=0.8, budget=ref.spend_musd, explain=False, formulation="exact")
        _same(again, ref)


@pytest.mark.parametrize("seed", range(2))
def test_every_pareto_point_is_the_budget_answer_at_its_spend(seed):
    rng = np.random.default_rng(1600 + seed)
    data, _ = _small(rng)
    fronts = {s: optimize(MODEL, data, target=0.8, solver=s, explain=False, pareto_points=4).pareto for s in ("highs", "cbc")}
    p = fronts["highs"]
    assert len(p) >= 2
    assert (np.diff(p["spend_musd"]) > 0).all() and (np.diff(p["final_cost_usd_per_kwh"]) < 0).all()
    assert np.allclose(p.to_numpy(), fronts["cbc"].to_numpy(), rtol=COST_REL, atol=SPEND_ABS)
    for cost, spend in p.itertuples(index=False):
        for solver in ("highs", "cbc"):
            b = optimize(MODEL, data, target=0.8, solver=solver, budget=spend, explain=False)
            assert b.best_cost == pytest.approx(cost, rel=COST_REL)
            assert b.spend_musd == pytest.approx(spend, abs=SPEND_ABS)


def test_binding_analysis_in_budget_mode_keeps_the_budget():
    data = load_default()
    free = optimize(MODEL, data, explain=False)
    r = optimize(MODEL, data, budget=40)
    assert r.spend_musd <= 40 + 1e-6
    assert r.binding["budget"] == pytest.approx(free.path["cost_engine"].iloc[-1], rel=1e-6)
    # a relaxation under the budget cannot beat the unbudgeted optimum with that family relaxed, nor the budget answer
    relaxed = {k: v for k, v in r.binding.items() if k != "budget" and v == v}
    assert all(v < r.best_cost for v in relaxed.values())
    assert all(v > free.best_cost - 1e-6 for k, v in relaxed.items() if k != "supply caps")


def test_spend_is_printed_as_the_sum_of_the_decisions():
    r = optimize(MODEL, load_default(), explain=False)
    assert r.spend_musd == 72.0  # 7 levers (64 M USD) and the bamboo and pitch routes of the blends (3 + 5), exactly
    r = optimize(MODEL, dataclasses.replace(load_default(), blend_step=0.0), explain=False)
    assert r.spend_musd == 259.0  # one route per family: 7 levers and 39 M USD/GWh x 5 GWh, exactly


def test_shadow_prices_are_finite_differences_of_the_unperturbed_path():
    """Quantities and binding status are those of the path (not of a perturbed re-solve); the price is the final-year
    engine cost change when one more kt/yr of the capped supplier replaces a kt/yr of the dearest other supplier of
    the same item used on the path (the re-solve's answer, costed independently by the engine). One route per family
    (blend_step 0): its path binds the coconut caps (with blends it sits at a grid share inside the pitch cap)."""
    data = dataclasses.replace(load_default(), blend_step=0.0)
    r = optimize(MODEL, data)
    final = r.suppliers[r.suppliers["year"] == r.years[-1]].set_index("supplier")
    sh = r.shadow.set_index("supplier")
    assert len(sh) == len(final[final["capacity_kt"] > 0])
    for name, row in sh.iterrows():
        assert row["quantity_kt"] == final.loc[name, "quantity_kt"]
        assert (row["usd_per_kwh_per_kt"] != 0) == (final.loc[name, "quantity_kt"] >= final.loc[name, "capacity_kt"] - 1e-6)
    binding = sh[sh["usd_per_kwh_per_kt"] < 0]
    assert len(binding) >= 1
    inc = incumbents(data, MODEL.parameters(r.base_year).choices)
    years = r.years
    ctx = Context(MODEL, data, space(data, inc), globals_of(MODEL, data, years, {s.item for s in data.suppliers}), years,
                  r.base_year, 5.0, inc, "highs", None)
    fx = ctx.globals.fx[years[-1]]
    usd = {s.name: parse_price_unit(s.unit).to_canonical(s.price, fx) for s in data.suppliers}
    last = r.choices[-1]
    base = engine_cost(ctx, years[-1], last)
    for name, row in binding.iterrows():
        same = final[(final["item"] == row["item"]) & (final.index != name) & (final["quantity_kt"] >= 1.0)]
        dearest = max(same.index, key=usd.__getitem__)
        q = final["quantity_kt"].copy()
        q[name] += 1.0
        q[dearest] -= 1.0
        mine = final["item"] == row["item"]
        price = float((q[mine] * [usd[n] for n in final.index[mine]]).sum() / q[mine].sum())
        moved = engine_cost(ctx, years[-1], dataclasses.replace(last, prices={**last.prices, row["item"]: price}))
        assert row["usd_per_kwh_per_kt"] == pytest.approx(moved - base, rel=1e-4)
        assert row["musd_per_year_per_kt"] == pytest.approx(row["usd_per_kwh_per_kt"] * r.path["output_gwh"].iloc[-1], rel=1e-9)
