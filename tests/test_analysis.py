"""What-if analytics with known answers."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from costmodel import Model
from costmodel.analysis.attribution import shapley
from costmodel.analysis.breakeven import break_even
from costmodel.analysis.copula import correlated_uniforms, normal_correlation, spearman_matrix, triangular_ppf
from costmodel.analysis.montecarlo import monte_carlo
from costmodel.analysis.sensitivity import tornado
from costmodel.analysis.whatif import what_if
from costmodel.cli_analysis import register
from costmodel.scenario import apply_overrides, default_scenarios, parse_override

MODEL = Model()
PSET = MODEL.parameters(2025)


def test_whatif_equals_the_same_scenario():
    overrides = default_scenarios()["additive_shock"].overrides
    frame = what_if(MODEL, overrides, 2025).set_index("design")
    values, choices = apply_overrides(PSET, overrides)
    direct = MODEL.evaluate(2025, values=values, choices=choices).summary().set_index("design")
    np.testing.assert_allclose(frame["whatif_usd_per_kwh"], direct["usd_per_kwh"], rtol=1e-13)
    np.testing.assert_allclose(frame["whatif_gap_usd_per_kwh"], direct["gap_usd_per_kwh"], rtol=1e-12, atol=1e-12)


def test_breakeven_fed_back_equalises_costs():
    r = break_even(MODEL, "price.li2co3", "nfpp", "lfp", 2025)
    assert len(r.crossings) == 1
    x = r.crossings[0]
    # the crossing lies far above today's 98k CNY/t: NFPP carries higher material and conversion costs per kWh
    assert 300_000 < x < 1_000_000
    res = MODEL.evaluate(2025, values={**PSET.values, "price.li2co3": x}).summary().set_index("design")
    assert res.loc["nfpp", "usd_per_kwh"] == pytest.approx(res.loc["lfp", "usd_per_kwh"], rel=1e-6)


def test_breakeven_reports_no_crossing():
    r = break_even(MODEL, "price.li2co3", "nfpp", "lfp", 2025, lo=60_000, hi=150_000)
    assert r.crossings == ()
    assert r.gap_lo > 0 and r.gap_hi > 0


def _shapley_between(overrides):
    values, choices = apply_overrides(PSET, [parse_override(t) for t in overrides])
    return shapley(MODEL, (PSET.values, PSET.choices), (values, choices))


def test_shapley_parts_add_up_exactly_with_interactions_and_choices():
    res = _shapley_between(["price.nfpp=x2", "material.nfpp.capacity_ah_kg=x1.2", "price.hc_bamboo=x0.5",
                            "design.nfpp.anode_material=hc_bamboo", "price.li2co3=200000"])
    assert res.exact
    sums = res.parts.groupby("design")["usd_per_kwh"].sum()
    for row in res.totals.itertuples():
        assert sums[row.design] == pytest.approx(row.change, rel=1e-9, abs=1e-12)


def test_shapley_symmetric_and_additive_case():
    # FEC and VC enter the electrolyte price linearly: choose changes with equal cost effect
    f_fec, f_vc = PSET.values["design.nfpp.additive_fec_fraction"], PSET.values["design.nfpp.additive_vc_fraction"]
    d_fec = 30_000.0
    d_vc = d_fec * f_fec / f_vc
    res = _shapley_between([f"price.fec={PSET.values['price.fec'] + d_fec}", f"price.vc={PSET.values['price.vc'] + d_vc}"])
    p = res.parts[res.parts["design"] == "nfpp"].set_index("input")["usd_per_kwh"]
    assert p["price.fec"] == pytest.approx(p["price.vc"], rel=1e-9)
    # additive effects: each Shapley part equals its one-at-a-time change
    one = MODEL.evaluate(2025, designs=["nfpp"], values={**PSET.values, "price.fec": PSET.values["price.fec"] + d_fec})
    base = MODEL.evaluate(2025, designs=["nfpp"]).summary()["usd_per_kwh"].iloc[0]
    assert p["price.fec"] == pytest.approx(one.summary()["usd_per_kwh"].iloc[0] - base, rel=1e-9)


def test_shapley_sampled_beyond_twelve_inputs_still_adds_up():
    texts = [f"price.{i}=x1.3" for i in ("nfpp", "hc_coconut", "al_foil", "pvdf", "carbon_black", "cmc_sbr", "sep_dry12", "napf6",
                                          "ec", "pc", "dmc", "emc", "fec", "vc")]
    values, choices = apply_overrides(PSET, [parse_override(t) for t in texts])
    res = shapley(MODEL, (PSET.values, PSET.choices), (values, choices), designs=["nfpp"], samples=200)
    assert not res.exact
    assert res.parts["usd_per_kwh"].sum() == pytest.approx(res.totals["change"].iloc[0], rel=1e-9)
    # prices enter linearly, so the sampled parts are exact up to rounding and the error is ~0
    assert res.parts["stderr"].max() < 1e-9


def test_monte_carlo_zero_width_returns_deterministic_cost():
    ds = MODEL.dataset
    prices = ds.prices.copy()
    prices["low"] = prices["value"]
    prices["high"] = prices["value"]
    model = Model(dataclasses.replace(ds, prices=prices))
    res = monte_carlo(model, 1000, seed=3, year=2025)
    det = model.evaluate(2025).summary().set_index("design")["usd_per_kwh"]
    for d, t in res.totals.items():
        np.testing.assert_allclose(t, det[d], rtol=1e-13)


def test_monte_carlo_reproducible_and_sane():
    a = monte_carlo(MODEL, 20_000, seed=11, chunk=7_000)
    b = monte_carlo(MODEL, 20_000, seed=11, chunk=7_000)
    for d in a.totals:
        assert np.array_equal(a.totals[d], b.totals[d])
    s = a.summary.set_index("design")
    assert (s["p5"] < s["p50"]).all() and (s["p50"] < s["p95"]).all()
    infl = a.influence.set_index(["input", "design"])["spearman"]
    assert infl[("li2co3", "lfp")] > 0.5  # lithium drives the LFP cost
    assert abs(infl[("li2co3", "nfpp")]) < 0.05  # and not the NFPP cost


def test_copula_reproduces_rank_correlation():
    target = np.array([[1.0, 0.7, -0.3], [0.7, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    chol = np.linalg.cholesky(normal_correlation(target))
    u = correlated_uniforms(np.random.default_rng(5), 100_000, chol)
    x = triangular_ppf(u, np.array([1.0, 10, 0]), np.array([2.0, 12, 1]), np.array([5.0, 20, 3]))
    got = spearman_matrix(x, x)
    assert np.abs(got - target).max() < 0.02
    assert (x[:, 0] >= 1).all() and (x[:, 0] <= 5).all()


def test_tornado_ranks_and_elasticities():
    t = tornado(MODEL, 2025)
    nfpp = t[t["design"] == "nfpp"].set_index("parameter")
    assert nfpp.loc["price.nfpp", "rank"] <= 5
    assert nfpp.loc["price.li2co3", "swing"] == 0.0  # lithium does not touch the NFPP cell
    assert nfpp.loc["design.nfpp.cell_yield", "elasticity"] == pytest.approx(-1.0, abs=0.01)  # cost ∝ 1 / cell yield
    assert len(set(t["parameter"])) >= 40
    lfp = t[t["design"] == "lfp"].set_index("parameter")
    assert lfp.loc["price.li2co3", "rank"] <= 8


APP = typer.Typer()
register(APP)
RUN = CliRunner()


@pytest.mark.parametrize(
    "args",
    [["whatif", "--set", "price.vc=x2", "--json"], ["sensitivity", "--design", "o3", "--json"],
     ["montecarlo", "-n", "5000", "--json"], ["breakeven", "--json"], ["diff", "base", "lithium_crash", "--json"]],
)
def test_cli_commands_give_json(args, tmp_path):
    out = RUN.invoke(APP, args)
    assert out.exit_code == 0, out.output
    assert isinstance(json.loads(out.stdout), dict)


def test_cli_writes_png_and_workbook(tmp_path):
    png, xlsx = tmp_path / "t.png", tmp_path / "t.xlsx"
    out = RUN.invoke(APP, ["sensitivity", "--png", str(png), "--out", str(xlsx)])
    assert out.exit_code == 0, out.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert set(pd.ExcelFile(xlsx).sheet_names) == {"Tornado", "Chart"}


def test_cli_errors_exit_2():
    out = RUN.invoke(APP, ["whatif", "--set", "price.li2co3"])
    assert out.exit_code == 2
    assert "PATH=" in out.stderr
