"""Overrides in ``optimize`` (issue 15): ``--set`` and ``--scenario`` on the engine's parameters and on the optimizer
tables equal the same edit made in the tables or the dataset."""

from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

from costmodel import Model
from costmodel.cli import app
from costmodel.optimize.data import from_tables, load_default, read_default_tables
from costmodel.optimize.overrides import apply_tables, flat_tables, parse_sets, with_overrides
from costmodel.optimize.path import optimize
from costmodel.validation import InputError

MODEL = Model()
SETS = ["supplier.coconut_a.capacity_kt=+2kt", "supplier.bamboo_a.price=x0.9", "optimizer.ramp=5",
        "lever.loading_30.one_off_musd=x0.5", "lever.cell_yield_95.earliest_year=2027", "route.hc_bamboo.switch_musd=1",
        "demand.sellable_gwh@2027=12", "demand.industry_other_gwh=+10%", "optimizer.expansion_musd_per_gwh=+1MUSD/GWh"]


def _edited_tables():
    t = read_default_tables()

    def put(table, key, name, column, value):
        frame = t[table]
        frame.loc[frame[key] == name, column] = value

    put("suppliers", "supplier", "coconut_a", "capacity_kt", "8")
    put("suppliers", "supplier", "bamboo_a", "price", "36000")
    put("settings", "name", "ramp_gwh_per_year", "value", "5")
    put("settings", "name", "expansion_musd_per_gwh", "value", "40")
    put("levers", "lever", "loading_30", "one_off_musd", "7")
    put("levers", "lever", "cell_yield_95", "earliest_year", "2027")
    put("routes", "route", "hc_bamboo", "switch_musd", "1")
    put("demand", "year", "2027", "sellable_gwh", "12")
    d = t["demand"]
    d["industry_other_gwh"] = [str(float(x) * 1.1) for x in d["industry_other_gwh"]]
    return t


def test_table_overrides_equal_the_same_edit_in_the_tables():
    edited = from_tables(_edited_tables(), "nfpp", dataset=MODEL.dataset)
    overridden = apply_tables(load_default(), parse_sets(SETS))
    assert overridden.ramp_gwh == 5 and overridden.expansion_musd_per_gwh == 40
    assert overridden.demand[2027] == pytest.approx(edited.demand[2027])
    for a, b in ((overridden, edited),):
        assert a.suppliers == b.suppliers and a.levers == b.levers and a.routes == b.routes
        assert {y: pytest.approx(v) for y, v in a.demand.items()} == b.demand
    r1 = optimize(MODEL, overridden, explain=False)
    r2 = optimize(MODEL, edited, explain=False)
    assert (r1.best_cost, r1.spend_musd, list(r1.path["plant_gwh"])) == (r2.best_cost, r2.spend_musd, list(r2.path["plant_gwh"]))
    assert r1.spend_musd != optimize(MODEL, load_default(), explain=False).spend_musd  # the edits matter


def test_engine_overrides_equal_the_same_edit_in_the_dataset():
    ds = MODEL.dataset
    g = ds.globals.copy()
    g.loc[g["name"] == "learning_rate", "value"] = 0.25
    edited = Model(dataclasses.replace(ds, globals=g))
    data = load_default()
    model, same = with_overrides(MODEL, data, parse_sets(["global.learning_rate=0.25", "price.hc_coconut=x1.2"]))
    assert same == data
    assert model.parameters(2027).values["global.learning_rate"] == 0.25
    p = ds.prices.copy()
    p.loc[p["item"] == "hc_coconut", "value"] = p.loc[p["item"] == "hc_coconut", "value"].astype(float) * 1.2
    edited = Model(dataclasses.replace(ds, globals=g, prices=p))
    r1, r2 = optimize(model, data, explain=False), optimize(edited, data, explain=False)
    assert r1.base_cost == pytest.approx(r2.base_cost, rel=1e-12)
    assert (r1.best_cost, r1.spend_musd) == (r2.best_cost, r2.spend_musd)
    assert r1.best_cost != optimize(MODEL, data, explain=False).best_cost


def test_bad_table_overrides_are_reported_together():
    with pytest.raises(InputError) as err:
        apply_tables(load_default(), parse_sets(["supplier.nope.capacity_kt=1", "supplier.coconut_a.capacity_kt@2027=9",
                                                 "demand.sellable_gwh@2031=1", "lever.loading_30.earliest_year=2026.5",
                                                 "supplier.*.price=x0"]))
    text = str(err.value)
    for part in ("unknown parameter 'supplier.nope.capacity_kt'", "hold for every year", "no demand row for 2031",
                 "must be a year", "a price must stay positive"):
        assert part in text
    assert set(flat_tables(load_default())[0]) >= {"supplier.coconut_a.capacity_kt", "optimizer.ramp_gwh_per_year"}


def test_cli_optimize_takes_set_and_scenario():
    runner = CliRunner()
    res = runner.invoke(app, ["optimize", "--set", "supplier.coconut_a.capacity_kt=x10", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out  # the answer is printed
    res = runner.invoke(app, ["optimize", "--scenario", "coconut_spike", "--set", "optimizer.ramp=0"])
    assert res.exit_code == 0, res.output
    assert "spend 72.0 M USD" in res.stdout  # no plant growth: the six levers (64) and the bamboo and pitch routes (3 + 5)
    for bad, msg in ((["--set", "supplier.nope.capacity_kt=1"], "unknown parameter"), (["--set", "foo"], "cannot read"),
                     (["--scenario", "nope"], "unknown scenario"), (["--set", "optimizer.ramp=-20GWh"], "must not be negative")):
        res = runner.invoke(app, ["optimize", *bad])
        assert res.exit_code == 2 and msg in res.output and "Traceback" not in res.output, (bad, res.output)
