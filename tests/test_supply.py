"""Issue 12, the supply chain: a hand-checked example, mass conservation against the engine, zero penetration,
a monotone price response, the fixed point, the optimizer tie and the command."""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costmodel import Model
from costmodel.cli import app
from costmodel.optimize.data import load_default as optimizer_default
from costmodel.scenario import parse_override
from costmodel.supply import segments as seg
from costmodel.supply.balance import balance, capacity_arrays, material_demand
from costmodel.supply.chain import run_supply
from costmodel.supply.data import SupplyData, load_default
from costmodel.supply.intensity import build
from costmodel.supply.params import resolve
from costmodel.supply.response import price_multiplier, solve
from costmodel.supply.shares import supplier_caps

runner = CliRunner()
SODIUM_SEGMENTS = ("two_wheeler", "storage", "start_stop", "heavy_truck", "datacentre_backup")


@pytest.fixture(scope="module")
def model() -> Model:
    return Model()


@pytest.fixture(scope="module")
def data(model) -> SupplyData:
    return load_default(model.dataset)


def _toy() -> SupplyData:
    """Two segments (A: 1 M units x 10 % x 2 kWh, all d1; B: 10 GWh x 50 %, d1 40 % / d2 60 %, cost elasticity 1) and
    two materials (x: d1 2 kg/kWh, d2 1 kg/kWh, 10 kt/yr, ceiling 0.9; y: 1.5 t per t of x, 10 kt/yr, ceiling 1)."""
    rows = [("A", "market", 1e6), ("A", "penetration", 0.1), ("A", "kwh_per_unit", 2.0), ("A", "mix_d1", 1.0),
            ("B", "market", 10.0), ("B", "penetration", 0.5), ("B", "mix_d1", 0.4), ("B", "mix_d2", 0.6),
            ("B", "cost_elasticity", 1.0)]
    segments = pd.DataFrame([{"segment": s, "period": None, "property": p, "value": v, "where": ""} for s, p, v in rows])
    cap = [("x", "nameplate", 10.0), ("x", "ceiling", 0.9), ("y", "nameplate", 10.0), ("y", "ceiling", 1.0),
           ("*", "threshold", 0.8), ("*", "price_slope", 2.0), ("*", "shortage_slope", 5.0), ("*", "price_cap", 10.0)]
    capacity = pd.DataFrame([{"material": m, "period": None, "property": p, "value": v, "where": ""} for m, p, v in cap])
    precursors = pd.DataFrame([{"product": "x", "precursor": "y", "t_per_t": 1.5}])
    reported = pd.DataFrame(columns=["stage", "period", "value", "kind", "where"])
    return SupplyData(segments, capacity, reported, precursors, {"A": "units", "B": "gwh"}, ("d1", "d2"),
                      {"x": "mass", "y": "precursor"})


def test_hand_checked_two_segments_two_materials() -> None:
    params = resolve(_toy(), [2026])
    gwh = seg.segment_gwh(params)
    assert gwh[:, 0] == pytest.approx([0.2, 5.0])  # 1e6 x 0.1 x 2 kWh = 0.2 GWh; 10 x 0.5
    shares = seg.mix(params, ("d1", "d2"))
    dgwh = seg.design_gwh(gwh, shares)
    assert dgwh[:, 0] == pytest.approx([2.2, 3.0])  # d1 = 0.2 + 0.4 x 5; d2 = 0.6 x 5
    stages = {d: {"cathode": 0.0, "anode": 0.0, "electrolyte": 0.0} for d in ("d1", "d2")}
    inten = build({"d1": {"x": 2.0}, "d2": {"x": 1.0}}, stages, {"x": "kg"}, _toy().precursors, 1)
    assert inten.materials == ("x", "y")
    demand = material_demand(dgwh, inten.total)
    assert demand[:, 0] == pytest.approx([7.4, 11.1])  # x = 2.2 x 2 + 3 x 1; y = 1.5 x 7.4
    b = balance(demand, params, inten.materials)
    assert b.utilisation[:, 0] == pytest.approx([0.74, 1.11])
    assert b.shortfall[:, 0] == pytest.approx([0.0, 1.1])  # y: 11.1 - 10 x 1.0
    assert b.first_binding() == [("y", 2026, pytest.approx(1.11))]
    _cap, ceil = capacity_arrays(params, inten.materials)
    m = price_multiplier(b.utilisation, 0.8, ceil, 2.0, 5.0)
    assert m[:, 0] == pytest.approx([1.0, 1.95])  # y: 1 + 2 x (1.0 - 0.8) + 5 x 0.11


def test_hand_checked_fixed_point() -> None:
    """Cell cost 100 + 10 (m_y - 1) USD/kWh for both designs; segment B's demand falls as (c/100)^-1. The fixed point
    solves m = 1.4 + 5 (u - 1), u = 0.06 + 1.05 f, f = 100 / (90 + 10 m): 10 m^2 + 123 m - 228 = 0."""
    params = resolve(_toy(), [2026])
    gwh, shares, eta = seg.segment_gwh(params), seg.mix(params, ("d1", "d2")), seg.elasticity(params)
    stages = {d: {"cathode": 0.0, "anode": 0.0, "electrolyte": 0.0} for d in ("d1", "d2")}
    inten = build({"d1": {"x": 2.0}, "d2": {"x": 1.0}}, stages, {"x": "kg"}, _toy().precursors, 1)
    arrays = capacity_arrays(params, inten.materials)
    cost0 = np.full((2, 1), 100.0)

    def step(m: np.ndarray) -> np.ndarray:
        cost = np.full((2, 1), 100.0 + 10.0 * (m[1, 0] - 1.0))
        factor = seg.response_factor(shares, cost, cost0, eta)
        u = balance(material_demand(seg.design_gwh(gwh, shares, factor), inten.total), params, inten.materials, arrays).utilisation
        return np.vstack([np.ones((1, 1)), price_multiplier(u[1:], 0.8, 1.0, 2.0, 5.0)])

    fp = solve(step, np.ones((2, 1)), tol=1e-10, max_iter=500)
    expected = (-123 + math.sqrt(123**2 + 4 * 10 * 228)) / 20
    assert fp.converged and fp.iterations > 2
    assert fp.value[1, 0] == pytest.approx(expected, abs=1e-8)  # 1.6360
    assert fp.value[1, 0] == pytest.approx(1.636, abs=1e-3)


def test_non_convergence_is_reported() -> None:
    fp = solve(lambda m: 3.0 - m, np.ones((1, 1)), damping=1.0, max_iter=7)  # oscillates 1, 2, 1, 2, ...
    assert not fp.converged and fp.iterations == 7 and fp.change == pytest.approx(1.0)


def test_mass_conservation_against_the_engine(model, data) -> None:
    """Material demand = cell output x net quantity / material yield / cell yield (precursors through the links)."""
    run = run_supply(model, data, [2025], respond=False)
    pset = model.parameters(2025)
    res = model.evaluate_arrays(pset.values, pset.choices)
    out = dict(zip(run.designs, run.design_gwh[:, 0], strict=True))
    i = run.final.materials.index

    def gross(d: str, line: str) -> float:
        _, q, _, _, y = res[d].bom[line]
        return float(q) / float(y) / pset.values[f"design.{d}.cell_yield"]

    nfpp = out["nfpp"] * gross("nfpp", "cathode_active")
    assert run.final.demand[i("nfpp"), 0] == pytest.approx(nfpp, rel=1e-12)
    hc = sum(out[d] * gross(d, "anode_active") for d in ("nfpp", "o3", "pw"))
    assert run.final.demand[i("hc_coconut"), 0] == pytest.approx(hc, rel=1e-12)
    assert run.final.demand[i("coconut_charcoal"), 0] == pytest.approx(1.8 * hc, rel=1e-12)  # price link ratio
    lfp = out["lfp"] * gross("lfp", "cathode_active")
    lipf6 = run.final.demand[i("lipf6"), 0]
    assert run.final.demand[i("li2co3"), 0] == pytest.approx(0.234 * lfp + 0.243 * lipf6, rel=1e-12)
    # the electrolyte splits into salt, solvents and additives that add up to it
    parts = ("napf6", "lipf6", "ec", "pc", "dmc", "emc", "fec", "vc", "dtd")
    ely = sum(out[d] * gross(d, "electrolyte_salt") for d in run.designs)
    assert sum(run.final.demand[i(m), 0] for m in parts) == pytest.approx(ely, rel=1e-12)


def test_zero_penetration_gives_zero_sodium_demand(model, data) -> None:
    zero = [parse_override(f"segment.{s}.penetration=0") for s in SODIUM_SEGMENTS]
    run = run_supply(model, data, [2025, 2026], zero)
    na = [k for k, d in enumerate(run.designs) if run.chemistry[d] == "na"]
    assert np.all(run.design_gwh[na] == 0.0)
    for m in ("nfpp", "o3_nfm", "pw", "hc_coconut", "napf6", "coconut_charcoal", "soda_ash"):
        assert np.all(run.final.demand[run.final.materials.index(m)] == 0.0)
    assert run.final.demand[run.final.materials.index("lipf6")].min() > 100  # the LFP line is untouched


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 3), st.floats(0, 3), st.floats(0, 1), st.floats(0, 1), st.floats(0, 10), st.floats(0, 10), st.floats(1, 5))
def test_price_response_is_monotone(u1, u2, a, b, s1, s2, cap) -> None:
    threshold, ceiling = min(a, b), max(a, b) or 1.0
    lo, hi = sorted((u1, u2))
    m_lo = price_multiplier(np.array(lo), threshold, ceiling, s1, s2, cap)
    m_hi = price_multiplier(np.array(hi), threshold, ceiling, s1, s2, cap)
    assert 1.0 <= m_lo <= m_hi + 1e-12 and m_hi <= max(cap, 1.0) + 1e-12


def test_more_capacity_never_raises_prices(model, data) -> None:
    base = run_supply(model, data, [2026, 2027])
    more = run_supply(model, data, [2026, 2027], [parse_override("capacity.coconut_charcoal.nameplate=x2")])
    assert np.all(more.multipliers <= base.multipliers + 1e-9)
    assert np.all(more.cost <= base.cost + 1e-9)


def test_bundled_answer(model, data) -> None:
    """The README's figures: coconut-shell charcoal binds first, in 2026; the NFPP cell cost effect then."""
    run = run_supply(model, data, range(2025, 2031))
    assert run.fixed_point is not None and run.fixed_point.converged
    first = run.final.first_binding()[0]
    assert first[:2] == ("coconut_charcoal", 2026)
    k = run.designs.index("nfpp")
    assert run.cost0[k, 1] == pytest.approx(84.64, abs=0.01)
    assert run.cost[k, 1] - run.cost0[k, 1] == pytest.approx(5.49, abs=0.01)
    assert run.cost[k, 3] - run.cost0[k, 3] == pytest.approx(35.52, abs=0.01)


def test_reported_cells_and_yoy(model, data) -> None:
    from costmodel.supply.reported import inventory

    rep = pd.DataFrame([{"stage": "cathode", "period": 2025, "value": 20.0, "kind": "level", "where": ""},
                        {"stage": "cathode", "period": 2026, "value": 50.0, "kind": "yoy", "where": ""}])
    frame = inventory(rep, (2025, 2026), {"cathode": np.array([18.0, 33.0])})
    assert frame["reported"].tolist() == pytest.approx([20.0, 30.0])
    assert frame["build"].tolist() == pytest.approx([2.0, -3.0])  # +2 kt inventory build, then a 3 kt draw
    run = run_supply(model, data, [2025])
    cells = run.reported[run.reported["stage"] == "cells"].iloc[0]
    assert cells["reported"] == pytest.approx(3.89) and cells["build"] == pytest.approx(0.0)  # cell output scales the implied


def test_supplier_caps_from_industry_share(model, data) -> None:
    od = optimizer_default("nfpp", model.dataset)
    params = resolve(data, [2026])
    caps = supplier_caps(od, params, 0.2, 2026)
    by = {s.name: s.capacity_kt for s in caps.suppliers}
    assert by["coconut_a"] + by["coconut_b"] == pytest.approx(0.2 * 30 * 0.9)  # 20 % of 30 kt/yr x 0.9 ceiling
    assert by["coconut_a"] / by["coconut_b"] == pytest.approx(6 / 4)
    assert optimizer_default("nfpp", model.dataset).suppliers == od.suppliers  # the default data is unchanged


def test_command_json_out_and_png(tmp_path) -> None:
    out, png = tmp_path / "s.xlsx", tmp_path / "s.png"
    res = runner.invoke(app, ["supply", "--years", "2025-2027", "--json", "--out", str(out), "--png", str(png),
                              "--set", "segment.two_wheeler.penetration=0.2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    r = doc["results"][0]
    assert r["periods"] == [2025, 2026, 2027]
    row = next(x for x in r["segments"] if x["segment"] == "two_wheeler" and x["period"] == 2026)
    assert row["gwh"] == pytest.approx(63.16e6 * 0.2 * 0.96 / 1e6)
    assert {"material", "period", "demand_kt", "capacity_kt", "utilisation", "price_multiplier"} <= set(r["materials"][0])
    assert r["fixed_point"]["converged"] is True and isinstance(r["fixed_point"]["iterations"], int)
    with zipfile.ZipFile(out) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 2
    assert png.stat().st_size > 10_000


def test_command_bad_override_exit_2() -> None:
    res = runner.invoke(app, ["supply", "--years", "2026", "--set", "segment.two_wheelr.penetration=0.1"])
    assert res.exit_code == 2 and "unknown parameter 'segment.two_wheelr.penetration'" in res.output
    assert "did you mean segment.two_wheeler.penetration" in res.output
    res = runner.invoke(app, ["supply", "--years", "2026", "--set", "segment.two_wheeler.penetration=1.5"])
    assert res.exit_code == 2 and "penetration must lie between 0 and 1" in res.output
    res = runner.invoke(app, ["supply", "--years", "2026", "--set", "segment.two_wheeler.mix_nfpp=0.9"])
    assert res.exit_code == 2 and "sum to 1.3" in res.output


def test_capacity_paths_in_the_issues_syntax(data) -> None:
    """``capacity.hc_bamboo@2027=+40kt`` adds 40 kt to the nameplate from the override's year only; a wrong unit is refused."""
    from costmodel.supply.params import apply_supply
    from costmodel.validation import InputError

    params = resolve(data, [2026, 2027, 2028])
    moved = apply_supply(params, [parse_override("capacity.hc_bamboo@2027=+40kt"),
                                  parse_override("segment.two_wheeler.penetration@2026=0.10")])
    before, after = params.array("capacity.hc_bamboo.nameplate"), moved.array("capacity.hc_bamboo.nameplate")
    assert list(after - before) == [0.0, 40.0, 0.0]
    assert moved.array("segment.two_wheeler.penetration")[0] == 0.10
    with pytest.raises(InputError, match="is in kt, not t"):
        apply_supply(params, [parse_override("capacity.hc_bamboo@2027=+40t")])
    with pytest.raises(InputError, match="has no unit"):
        apply_supply(params, [parse_override("segment.two_wheeler.penetration=+5kt")])


def test_monthly_periods_are_a_twelfth_of_the_year(model, data) -> None:
    """A month's market and capacity are the year's / 12: monthly utilisation matches the year's within the growth."""
    out = runner.invoke(app, ["supply", "--months", "2026-01..2026-12", "--no-response", "--json"])
    assert out.exit_code == 0, out.output
    months = json.loads(out.stdout)["results"][0]
    year = json.loads(runner.invoke(app, ["supply", "--years", "2026", "--no-response", "--json"]).stdout)["results"][0]
    cap_m = sum(m["capacity_kt"] for m in months["materials"] if m["material"] == "napf6")
    cap_y = next(m["capacity_kt"] for m in year["materials"] if m["material"] == "napf6")
    assert cap_m == pytest.approx(cap_y, rel=1e-9)
    dem_m = sum(m["demand_kt"] for m in months["materials"] if m["material"] == "napf6")
    dem_y = next(m["demand_kt"] for m in year["materials"] if m["material"] == "napf6")
    # markets and penetrations interpolate between mid-years (two-wheelers 3 % in 2025 to 10 % in 2026): within 6 %
    assert dem_m == pytest.approx(dem_y, rel=0.06)
