"""Prices over time: the price history, monthly grid, cost index, month-over-month attribution and price paths."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costmodel import Model
from costmodel.cli import app
from costmodel.history.grid import build_grid
from costmodel.history.index import cost_index, fx_of_year, month_over_month, monthly_index
from costmodel.history.months import month_range
from costmodel.history.periods import MonthlyInputs, monthly_inputs
from costmodel.history.table import check_history
from costmodel.scenario import parse_override
from costmodel.validation import InputError

runner = CliRunner()


def _where(table, row, column):
    return f"{table} line {row}, column {column}"


def _history(rows, model: Model | None = None):
    model = model or Model()
    dims = dict(zip(model.dataset.items["item"], model.dataset.items["dimension"], strict=True))
    frame = pd.DataFrame(rows, columns=["date", "item", "price", "unit"])
    frame.index = frame.index + 2
    history, problems = check_history(frame, dims, _where)
    assert not problems, problems
    return history


def _index(model, history, months, overrides=(), fill="carry"):
    from dataclasses import replace

    model = Model(replace(model.dataset, history=history))
    grid = build_grid(history, model.dataset.static.price_units, fx_of_year(model), months, fill)
    inputs = monthly_inputs(model, grid, overrides)
    return model, grid, inputs, cost_index(model, inputs, grid, base=months[0]), month_over_month(model, inputs)


# ----------------------------------------------------------------------------- hand-checked, with a model by hand


@dataclass
class _Cost:
    total: np.ndarray


class _HandModel:
    """cost(x) = a / fx + b  and  cost(ref) = 0.5 a / fx  (USD/kWh; a in CNY, b in USD): small enough to check by hand."""

    class dataset:
        reference_design = "ref"

    def check_designs(self, designs):
        return tuple(designs) if designs else ("x", "ref")

    def evaluate_arrays(self, v, c, designs):
        a, b, fx = (np.asarray(v[k], float) for k in ("price.a", "price.b", "fx.cny_per_usd"))
        out = {"x": a / fx + b, "ref": 0.5 * a / fx + 0 * b}
        return {d: _Cost(out[d]) for d in designs}


def test_three_month_index_and_attribution_by_hand():
    months = ("2025-01", "2025-02", "2025-03")
    inputs = MonthlyInputs(months, {"price.a": np.array([100.0, 110.0, 110.0]), "price.b": np.array([50.0, 50.0, 60.0]),
                                    "fx.cny_per_usd": np.array([7.0, 7.0, 8.0])}, ({}, {}, {}), (2025, 2025, 2025))
    model = _HandModel()
    ci = cost_index(model, inputs, grid=None, designs=("x", "ref"))
    x = [100 / 7 + 50, 110 / 7 + 50, 110 / 8 + 60]  # 64.2857, 65.7143, 73.75
    assert ci.usd_per_kwh[0] == pytest.approx(x, rel=1e-12)
    assert ci.index[0] == pytest.approx([100.0, 100 * x[1] / x[0], 100 * x[2] / x[0]], rel=1e-12)  # 100, 102.22, 114.72
    assert ci.gap[0] == pytest.approx([x[i] - 0.5 * [100 / 7, 110 / 7, 110 / 8][i] for i in range(3)], rel=1e-12)
    assert ci.cny_per_wh[0] == pytest.approx([x[0] * 7 / 1000, x[1] * 7 / 1000, x[2] * 8 / 1000], rel=1e-12)

    att = month_over_month(model, inputs, ("x", "ref"))
    parts = att.parts.set_index(["month", "design", "input"])["usd_per_kwh"]
    # February: only a moved: all of the change is a's, 10 / 7
    assert parts[("2025-02", "x", "a")] == pytest.approx(10 / 7, rel=1e-12)
    assert len(att.parts[att.parts["month"] == "2025-02"]) == 2  # one part per design
    # March: b +10 USD and fx 7 -> 8 (the CNY part a/fx falls from 15.714 to 13.75): no interaction in x, so
    # phi_b = 10 and phi_fx = 110/8 - 110/7 = -1.964286 (and phi_b = 0 for ref)
    assert parts[("2025-03", "x", "b")] == pytest.approx(10.0, rel=1e-12)
    assert parts[("2025-03", "x", "fx")] == pytest.approx(110 / 8 - 110 / 7, rel=1e-12)
    assert parts[("2025-03", "ref", "fx")] == pytest.approx(0.5 * (110 / 8 - 110 / 7), rel=1e-12)
    totals = att.totals.set_index(["month", "design"])
    assert totals.loc[("2025-03", "x"), "change"] == pytest.approx(x[2] - x[1], rel=1e-12)
    assert totals.loc[("2025-03", "x"), "pct"] == pytest.approx(100 * (x[2] / x[1] - 1), rel=1e-12)
    assert set(att.parts["method"]) == {"exact (2-additive)"}


class _ProductModel(_HandModel):
    """cost = a * b * c / fx: a three-way interaction, which the 2-additive check must catch."""

    def evaluate_arrays(self, v, c, designs):
        a, b, cc, fx = (np.asarray(v[k], float) for k in ("price.a", "price.b", "price.c", "fx.cny_per_usd"))
        return {d: _Cost(a * b * cc / fx) for d in designs}


def test_a_month_with_higher_order_interactions_is_attributed_by_all_coalitions():
    months = ("2025-01", "2025-02")
    inputs = MonthlyInputs(months, {"price.a": np.array([1.0, 2.0]), "price.b": np.array([1.0, 2.0]), "price.c": np.array([1.0, 2.0]),
                                    "fx.cny_per_usd": 1.0}, ({}, {}), (2025, 2025))
    att = month_over_month(_ProductModel(), inputs, ("x",))
    # symmetric players: each gets a third of 8 - 1
    assert att.parts["usd_per_kwh"].to_numpy() == pytest.approx([7 / 3] * 3, rel=1e-12)
    assert set(att.parts["method"]) == {"exact (all coalitions)"}


# ----------------------------------------------------------------------------- through the engine


def test_three_month_history_through_the_engine_matches_single_evaluations():
    model = Model()
    history = _history([("2025-01", "vc", 100000, "CNY/t"), ("2025-01", "li2co3", 80000, "CNY/t"),
                        ("2025-02", "vc", 150000, "CNY/t"), ("2025-02", "li2co3", 80000, "CNY/t"),
                        ("2025-03", "vc", 150000, "CNY/t"), ("2025-03", "li2co3", 120000, "CNY/t")], model)
    months = ("2025-01", "2025-02", "2025-03")
    model, _, _, ci, att = _index(model, history, months)
    for j, (vc, li) in enumerate([(100000, 80000), (150000, 80000), (150000, 120000)]):
        direct = model.evaluate(2025, values={"price.vc": vc, "price.li2co3": li}).summary().set_index("design")["usd_per_kwh"]
        for i, d in enumerate(ci.designs):
            assert ci.usd_per_kwh[i, j] == pytest.approx(direct[d], rel=1e-12)
    parts = att.parts.set_index(["month", "design", "input"])["usd_per_kwh"]
    totals = att.totals.set_index(["month", "design"])["change"]
    for d in ci.designs:  # one mover per month: it takes the whole change
        assert parts[("2025-02", d, "vc")] == pytest.approx(totals[("2025-02", d)], rel=1e-12, abs=1e-12)
        assert parts[("2025-03", d, "li2co3")] == pytest.approx(totals[("2025-03", d)], rel=1e-12, abs=1e-12)
    assert totals[("2025-02", "nfpp")] > 0  # VC is in the sodium-ion electrolyte too
    assert totals[("2025-03", "nfpp")] == 0  # lithium does not move NFPP
    assert totals[("2025-03", "lfp")] > 0
    assert ci.index[:, 0] == pytest.approx(100.0)


def test_bundled_history_parts_add_up_to_every_monthly_change():
    run = monthly_index(Model())
    att = run.attribution
    sums = att.parts.groupby(["month", "design"])["usd_per_kwh"].sum()
    change = att.totals.set_index(["month", "design"])["change"]
    assert (sums.reindex(change.index).fillna(0.0) - change).abs().max() < 1e-9
    assert run.index.months[0] == "2024-01" and run.index.months[-1] >= "2026-02"
    # the Jan 2026 lithium rebound: LFP up, its whole change from lithium (LFP cathode and LiPF6 follow it through links)
    jan = att.parts[(att.parts["month"] == "2026-01") & (att.parts["design"] == "lfp")].set_index("input")["usd_per_kwh"]
    assert jan["li2co3"] > 1.0 and jan.sum() == pytest.approx(jan["li2co3"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 2.0), st.floats(0.5, 2.0), st.floats(0.8, 1.25)), min_size=2, max_size=5))
def test_parts_always_add_up_to_the_change(steps):
    """Random price paths of three items and the exchange rate: the parts add up to each monthly change."""
    model = Model()
    months = month_range("2025-01", f"2025-{len(steps):02d}")
    rows = []
    for m, (a, b, f) in zip(months, steps, strict=True):
        rows += [(m, "vc", 105000 * a, "CNY/t"), (m, "coconut_charcoal", 819.6 * b, "USD/t"), (m, "cny_per_usd", 7.1 * f, "CNY/USD")]
    _, _, _, _, att = _index(model, _history(rows, model), months)
    sums = att.parts.groupby(["month", "design"])["usd_per_kwh"].sum()
    change = att.totals.set_index(["month", "design"])["change"]
    assert (sums.reindex(change.index).fillna(0.0) - change).abs().max() < 1e-9


def test_carried_forward_prices_are_marked_stale_with_their_last_quote():
    model = Model()
    history = _history([("2025-01", "vc", 100000, "CNY/t"), ("2025-04", "vc", 130000, "CNY/t"),
                        ("2025-01", "fec", 60000, "CNY/t"), ("2025-02", "fec", 61000, "CNY/t"),
                        ("2025-03", "fec", 62000, "CNY/t"), ("2025-04", "fec", 63000, "CNY/t")], model)
    months = month_range("2025-01", "2025-04")
    _, grid, _inputs, ci, _ = _index(model, history, months)
    vc = grid.items.index("vc")
    assert list(grid.status[vc]) == ["quoted", "carried", "carried", "quoted"]
    assert list(grid.age[vc]) == [0, 1, 2, 0]
    assert list(grid.last_quote[vc]) == ["2025-01", "2025-01", "2025-01", "2025-04"]
    assert grid.values[vc, 1] == 100000 and grid.values[vc, 2] == 100000
    assert ci.stale("2025-03") == [("vc", "2025-01", 2)]
    assert ci.stale("2025-04") == []
    linear = build_grid(history, model.dataset.static.price_units, fx_of_year(model), months, "linear")
    assert list(linear.status[vc]) == ["quoted", "interpolated", "interpolated", "quoted"]
    assert linear.values[vc, 1:3] == pytest.approx([110000, 120000])
    out = runner.invoke(app, ["index", "--from", "2025-09", "--to", "2026-02", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    stale = {s["item"]: s for s in data["stale"]}
    assert stale["coconut_charcoal"]["last_quote"] == "2025-10" and stale["coconut_charcoal"]["age_months"] == 4


def test_quotes_in_a_month_are_averaged_and_converted_at_the_months_rate():
    model = Model()
    history = _history([("2025-11-06", "vc", 60000, "CNY/t"), ("2025-11-14", "vc", 105000, "CNY/t"),
                        ("2025-11-27", "vc", 12000, "USD/t"), ("2025-11", "cny_per_usd", 7.0, "CNY/USD")], model)
    grid = build_grid(history, model.dataset.static.price_units, fx_of_year(model), ("2025-11",))
    assert grid.values[grid.items.index("vc"), 0] == pytest.approx((60000 + 105000 + 12000 * 7.0) / 3)
    assert grid.fx[0] == 7.0


def test_a_carried_linked_price_follows_its_driver_and_a_quoted_one_does_not():
    """LFP cathode follows Li2CO3 through its price link: carried forward, it still moves with lithium; quoted, the quote
    already holds lithium's level."""
    model = Model()
    history = _history([("2025-01", "lfp", 35000, "CNY/t"), ("2025-01", "li2co3", 80000, "CNY/t"),
                        ("2025-02", "li2co3", 100000, "CNY/t"),
                        ("2025-03", "lfp", 40000, "CNY/t"), ("2025-03", "li2co3", 100000, "CNY/t")], model)
    months = month_range("2025-01", "2025-03")
    _, _, inputs, _, _ = _index(model, history, months)
    ref = inputs.column("link.lfp.driver_ref")
    assert list(ref) == [80000, 80000, 100000]  # the driver's price at the lfp quote used
    coeff = float(inputs.values["link.lfp.coefficient"])
    from costmodel.engine.inputs import PriceBook

    for j, expected_cny in enumerate([35000, 35000 + coeff * 20000, 40000]):
        v, _ = inputs.at(j)
        usd_per_kg = PriceBook(v, model.dataset.static)["lfp"]
        assert float(usd_per_kg) * v["fx.cny_per_usd"] * 1000 == pytest.approx(expected_cny, rel=1e-12)


# ----------------------------------------------------------------------------- price paths


def test_period_overrides_parse_and_apply_to_their_period_only():
    o = parse_override("price.li2co3@2026=120000")
    assert o.years == (2026,) and o.months is None and o.value == 120000
    assert parse_override("price.li2co3@2026-2028=x2").years == (2026, 2027, 2028)
    assert parse_override("price.li2co3@2026..2027=x2").years == (2026, 2027)
    m = parse_override("price.li2co3@2026-06..2026-08=+15%")
    assert m.months == ("2026-06", "2026-07", "2026-08") and m.years is None and m.value == 15
    assert m.applies_to(2026, "2026-07") and not m.applies_to(2026, "2026-09") and not m.applies_to(2026)
    for bad, msg in (("price.li2co3@2026-13=1", "cannot read the month"), ("price.li2co3@2028-2026=1", "run backwards"),
                     ("price.li2co3@2026,2026-06=1", "mixes years and months"), ("price.li2co3@soon=1", "cannot read the period")):
        with pytest.raises(ValueError, match=msg):
            parse_override(bad)
    with pytest.raises(ValueError, match="period twice"):
        parse_override("price.li2co3@2026=1", years=[2027])


def test_a_yearly_price_path_in_run():
    out = runner.invoke(app, ["run", "--year", "all", "--scenario", "lithium_rebound", "--json"])
    assert out.exit_code == 0, out.output
    rows = {(r["design"], r["year"]): r["usd_per_kwh"] for r in json.loads(out.stdout)["results"]}
    assert sorted({y for _, y in rows}) == [2025, 2026, 2027, 2028]
    model = Model()
    for year, li in ((2026, 150000), (2027, 120000), (2028, 100000)):
        direct = model.evaluate(year, values={"price.li2co3": li}).summary().set_index("design")["usd_per_kwh"]
        assert rows[("lfp", year)] == pytest.approx(direct["lfp"], rel=1e-12)
    assert rows[("lfp", 2026)] > rows[("lfp", 2027)] > rows[("lfp", 2028)]


def test_a_monthly_price_path_in_index_and_its_bounds():
    base = json.loads(runner.invoke(app, ["index", "--from", "2025-10", "--to", "2025-12", "--json"]).stdout)
    out = runner.invoke(app, ["index", "--from", "2025-10", "--to", "2025-12", "--json", "--set", "price.vc@2025-11=+50%"])
    assert out.exit_code == 0, out.output
    moved = json.loads(out.stdout)
    cost = {(r["month"], r["design"]): r["usd_per_kwh"] for r in moved["results"]}
    before = {(r["month"], r["design"]): r["usd_per_kwh"] for r in base["results"]}
    assert cost[("2025-11", "nfpp")] > before[("2025-11", "nfpp")]
    assert cost[("2025-10", "nfpp")] == before[("2025-10", "nfpp")] and cost[("2025-12", "nfpp")] == before[("2025-12", "nfpp")]
    bad = runner.invoke(app, ["index", "--from", "2025-10", "--to", "2025-12", "--set", "design.nfpp.np_ratio@2025-11=50"])
    assert bad.exit_code == 2
    assert "np_ratio = 50 is outside" in bad.output and "2025-11" in bad.output


def test_a_choice_that_moves_in_a_month_is_a_player():
    run = monthly_index(Model(), "2025-01", "2025-03", overrides=[parse_override("design.nfpp.anode_material@2025-02..2025-03=hc_bamboo")])
    att = run.attribution
    feb = att.parts[(att.parts["month"] == "2025-02") & (att.parts["design"] == "nfpp")]
    assert list(feb["input"]) == ["design.nfpp.anode_material"]
    assert feb["method"].iloc[0] == "exact (all coalitions)"
    total = att.totals.set_index(["month", "design"]).loc[("2025-02", "nfpp"), "change"]
    assert feb["usd_per_kwh"].sum() == pytest.approx(total, rel=1e-12) and total < 0  # bamboo hard carbon is cheaper


# ----------------------------------------------------------------------------- the command


def test_index_command_prints_every_design_and_the_latest_months_change(tmp_path):
    out = runner.invoke(app, ["index", "--base", "2025-01", "--out", str(tmp_path / "i.xlsx"), "--png", str(tmp_path / "i.png")])
    assert out.exit_code == 0, out.output
    for d in ("nfpp", "o3", "pw", "lfp", "nfpp-lfp"):
        assert d in out.stdout
    assert "Change in 2026-02" in out.stdout and "lfp -3.58 %" in out.stdout
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "i.xlsx")
    assert {"Cost", "Index", "Monthly change", "Attribution", "Prices used"} <= set(wb.sheetnames)
    assert len(wb["Cost"]._charts) == 1 and len(wb["Index"]._charts) == 1
    assert (tmp_path / "i.png").stat().st_size > 10_000


def test_index_json_is_strict_and_consistent():
    out = runner.invoke(app, ["index", "--json", "--design", "nfpp", "--design", "lfp"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["reference"] == "lfp" and data["base_month"] == "2024-01"
    nfpp = [r for r in data["results"] if r["design"] == "nfpp"]
    assert len(nfpp) == len(data["months"]) and nfpp[0]["index_base_100"] == 100.0
    for ch in data["changes"]:
        assert sum(p["usd_per_kwh"] for p in ch["parts"]) == pytest.approx(ch["change"]["usd_per_kwh"], abs=1e-9)


@pytest.mark.parametrize("args, message", [
    (["index", "--from", "2025-13"], "cannot read the month"),
    (["index", "--from", "2025-06", "--to", "2025-01"], "run backwards"),
    (["index", "--base", "2019-01"], "outside"),
    (["index", "--fill", "spline"], "expected one of carry, linear"),
    (["whatif", "--set", "price.vc=x2", "--year", "2025", "--year", "2026"], "--year is given 2 times"),
    (["run", "--year", "soon"], "--year 'soon'"),
])
def test_index_and_year_options_refuse_bad_input(args, message):
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert message in out.output
    assert "Traceback" not in out.output


def test_run_over_the_years_shows_year_specific_changes():
    out = runner.invoke(app, ["run", "--years", "2025-2028", "--scenario", "nfpp_scale_up"])
    assert out.exit_code == 0, out.output
    assert "Cell cost over the years" in out.stdout
    assert "design.nfpp.plant_capacity_gwh=10 in 2027-2028" in out.stdout


def test_index_reads_a_history_csv(tmp_path):
    (tmp_path / "h.csv").write_text("date,item,price,unit\n2025-01,vc,100000,CNY/t\n2025-02,vc,150000,CNY/t\n", encoding="utf-8")
    out = runner.invoke(app, ["index", "--history", str(tmp_path / "h.csv"), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["months"] == ["2025-01", "2025-02"] and data["history_source"].endswith("h.csv")
    nfpp = next(c for c in data["changes"] if c["design"] == "nfpp")
    assert [p["input"] for p in nfpp["parts"]] == ["vc"] and nfpp["change"]["usd_per_kwh"] > 0
    (tmp_path / "bad.csv").write_text("date,item,price,unit\n2025-01,vc,lots,CNY/t\n", encoding="utf-8")
    bad = runner.invoke(app, ["index", "--history", str(tmp_path / "bad.csv")])
    assert bad.exit_code == 2 and "bad.csv line 2, column price" in bad.output


def test_an_amount_in_the_parameters_unit_is_added():
    model = Model()
    pset = model.parameters(2025)
    from costmodel.scenario import apply_overrides

    values, _ = apply_overrides(pset, [parse_override("price.li2co3=+10000CNY/t"),
                                       parse_override("design.nfpp.plant_capacity_gwh=+5GWh/yr")])
    assert values["price.li2co3"] == pset.values["price.li2co3"] + 10000
    assert values["design.nfpp.plant_capacity_gwh"] == pset.values["design.nfpp.plant_capacity_gwh"] + 5
    for text, message in (("price.li2co3=+10USD/kg", "price.li2co3 is in CNY/t, not USD/kg"),
                          ("design.nfpp.np_ratio=+1kt", "has no unit")):
        with pytest.raises(InputError, match=message):
            apply_overrides(pset, [parse_override(text)])
    assert parse_override("price.li2co3=-10000CNY/t").text == "price.li2co3=-10000CNY/t"
