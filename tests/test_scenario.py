"""Scenario overrides: syntax, application, files and the shipped scenarios."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.scenario import (
    Override,
    apply_overrides,
    default_scenarios,
    load_scenarios,
    parse_override,
    scenarios_from_rows,
)
from costmodel.validation import InputError

REPO = Path(__file__).resolve().parents[1]
MODEL = Model()
PSET = MODEL.parameters(2025)


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("price.li2co3=60000", "set", 60000.0),
        ("price.li2co3 = 60,000", "set", 60000.0),
        ("price.lipf6=+20%", "pct", 20.0),
        ("price.lipf6=-15%", "pct", -15.0),
        ("price.vc=x2", "mul", 2.0),
        ("price.vc=*1.5", "mul", 1.5),
        ("price.vc=×1.5", "mul", 1.5),
        ("design.nfpp.anode_material=hc_bamboo", "set", "hc_bamboo"),
    ],
)
def test_parse_override(text, op, value):
    o = parse_override(text)
    assert (o.op, o.value) == (op, value)


@pytest.mark.parametrize("text", ["price.li2co3", "price.li2co3=", "price.li2co3=+20", "=5", "price.x=1,5"])
def test_parse_override_refuses(text):
    with pytest.raises(ValueError, match="PATH="):
        parse_override(text)


def test_apply_arithmetic_and_choices():
    base = PSET.values["price.lipf6"]
    values, choices = apply_overrides(PSET, [parse_override("price.lipf6=+20%"), parse_override("price.vc=x2"),
                                             parse_override("design.*.anode_material=hc_pitch")])
    assert values["price.lipf6"] == pytest.approx(base * 1.2)
    assert values["price.vc"] == pytest.approx(PSET.values["price.vc"] * 2)
    assert {choices[f"design.{d}.anode_material"] for d in PSET.designs} == {"hc_pitch"}
    assert PSET.values["price.lipf6"] == base  # the parameter set is never mutated


def test_year_filter():
    o = parse_override("price.li2co3=60000", years=[2027])
    assert apply_overrides(PSET, [o])[0]["price.li2co3"] == PSET.values["price.li2co3"]
    assert apply_overrides(MODEL.parameters(2027), [o])[0]["price.li2co3"] == 60000


def test_all_problems_collected_with_suggestions():
    bad = [parse_override(t) for t in ("price.lithium=1", "price.vc=-200%", "design.nfpp.np_ratio=3",
                                       "design.nfpp.anode_material=x2", "design.nfpp.salt=kcl")]
    with pytest.raises(InputError) as exc:
        apply_overrides(PSET, bad, where="Scenarios!B9")
    text = str(exc.value)
    assert len(exc.value.problems) == 5
    assert "did you mean price.lipf6" in text or "did you mean" in text
    assert "must stay positive" in text
    assert "outside [1, 1.5]" in text
    assert "is a choice" in text
    assert "unknown item 'kcl'" in text
    assert "Scenarios!B9" in text


@settings(max_examples=50, deadline=None)
@given(key=st.sampled_from(sorted(k for k in PSET.values if k.startswith("price."))), k=st.floats(0.01, 100))
def test_multiply_then_divide_round_trips(key, k):
    values, _ = apply_overrides(PSET, [Override(key, "mul", k), Override(key, "mul", 1 / k)])
    assert values[key] == pytest.approx(PSET.values[key], rel=1e-12)


def test_rows_and_toml(tmp_path):
    rows = [("Scenarios!B2", "crash", "price.li2co3=60000", "2026-2027", "lithium crash"),
            ("Scenarios!B3", "crash", "price.lipf6=-10%", "", "")]
    sc = scenarios_from_rows(rows)["crash"]
    assert sc.overrides[0].years == (2026, 2027) and sc.overrides[1].years is None
    with pytest.raises(InputError, match=r"Scenarios!B4"):
        scenarios_from_rows([("Scenarios!B4", "bad", "price.li2co3=oops!", "", "")])
    a = tmp_path / "a.toml"
    a.write_text('[s1]\ndescription = "x"\nset = ["price.vc=x2"]\n[s1.years]\n2027 = ["price.fec=x3"]\n')
    b = tmp_path / "b.toml"
    b.write_text('[s1]\nset = []\n')
    loaded = load_scenarios([a])
    assert loaded["s1"].overrides[1].years == (2027,)
    with pytest.raises(InputError, match="also defined in"):
        load_scenarios([a, b])
    c = tmp_path / "c.toml"
    c.write_text("[broken\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenarios([c])


def test_shipped_scenarios_and_repo_copy_do_not_drift():
    packaged = (REPO / "costmodel" / "data" / "scenarios.toml").read_bytes()
    assert (REPO / "scenarios" / "sodium_ion.toml").read_bytes() == packaged
    names = set(default_scenarios())
    assert {"base", "lipf6_surge", "coconut_spike", "bamboo_switch", "additive_shock", "lithium_crash", "lithium_boom"} <= names


def _run(name):
    sc = default_scenarios()[name]
    values, choices = apply_overrides(PSET, sc.overrides)
    return MODEL.evaluate(2025, values=values, choices=choices)


def test_shipped_scenarios_move_the_right_costs():
    base = MODEL.evaluate(2025)
    s_base = base.summary().set_index("design")["usd_per_kwh"]

    def comp(res, design, component):
        c = res.costs.query("unit == 'USD/kWh' and design == @design and component == @component")
        return float(c["value"].iloc[0])

    crash = _run("lithium_crash")
    assert crash.summary().set_index("design")["usd_per_kwh"]["lfp"] < s_base["lfp"]
    assert comp(crash, "nfpp", "electrolyte_salt") == pytest.approx(comp(base, "nfpp", "electrolyte_salt"), rel=1e-12)
    shock = _run("additive_shock")
    fx = PSET.values["fx.cny_per_usd"]
    for d in ("nfpp", "lfp"):
        # VC and FEC double, DTD does not: the rise is electrolyte kg x (f_fec p_fec + f_vc p_vc) / yield
        line = base.bom.query("design == @d and component == 'electrolyte_additives'").iloc[0]
        f = {a: PSET.values[f"design.{d}.additive_{a}_fraction"] for a in ("fec", "vc")}
        rise = line["quantity"] * sum(f[a] * PSET.values[f"price.{a}"] / fx / 1000 for a in f) / line["yield"]
        got = comp(shock, d, "electrolyte_additives") - comp(base, d, "electrolyte_additives")
        assert got == pytest.approx(rise, rel=1e-12)
    bamboo = _run("bamboo_switch")
    assert set(bamboo.bom.query("component == 'anode_active' and design != 'lfp'")["item"]) == {"hc_bamboo"}
    surge = _run("lipf6_surge")
    assert surge.summary().set_index("design")["usd_per_kwh"]["nfpp"] == pytest.approx(s_base["nfpp"], rel=1e-12)
    assert surge.summary().set_index("design")["usd_per_kwh"]["lfp"] > s_base["lfp"]
