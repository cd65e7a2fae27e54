"""Scenario overrides: syntax, application, files, sheet rows and the shipped scenarios (real numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.dataset import ParameterSet
from costmodel.scenario import (
    Override,
    apply_overrides,
    bundled_scenarios_dir,
    default_scenarios,
    load_scenarios,
    parse_override,
    parse_years,
    scenarios_from_rows,
)
from costmodel.validation import InputError

REPO = Path(__file__).resolve().parents[1]
MODEL = Model()
PSET = MODEL.parameters(2025)
NA_DESIGNS = ("nfpp", "o3", "pw")
SHIPPED = ("base", "lipf6_surge", "coconut_spike", "bamboo_switch", "additive_shock", "lithium_crash", "lithium_boom")


def _toy(year: int = 2025) -> ParameterSet:
    """A tiny parameter set with round numbers."""
    return ParameterSet(
        year=year,
        values={"price.a": 100.0, "price.b": 200.0, "fx.cny_per_usd": 7.0, "material.hc_x.capacity_ah_kg": 300.0},
        choices={"design.d1.anode_material": "hc_x", "design.d2.anode_material": "hc_x"},
        designs=("d1", "d2"),
    )


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("price.li2co3=60000", "set", 60000.0),
        ("price.li2co3 = 60,000.0", "set", 60000.0),
        ("price.li2co3=1,234.5", "set", 1234.5),
        ("global.wacc=8%", "set", 0.08),
        ("price.lipf6=+20%", "pct", 20.0),
        ("price.lipf6=-15%", "pct", -15.0),
        ("price.lipf6=+12.5 %", "pct", 12.5),
        ("price.vc=x2", "mul", 2.0),
        ("price.vc=x 1.5", "mul", 1.5),
        ("price.vc=*1.5", "mul", 1.5),
        ("price.vc=×1.5", "mul", 1.5),
        ("design.nfpp.anode_material=hc_bamboo", "set", "hc_bamboo"),
        ("design.nfpp.separator=xsep", "set", "xsep"),  # a name starting with x is a choice, not a factor
        ("design.*.anode_material=hc_bamboo", "set", "hc_bamboo"),
    ],
)
def test_parse_override_forms(text, op, value):
    o = parse_override(text)
    assert (o.op, o.value, o.years) == (op, value, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("price.li2co3", "PATH=VALUE"),
        ("price.li2co3=", "PATH=VALUE"),
        ("=5", "PATH=VALUE"),
        ("price.li2co3=+20", "PATH=+20%"),
        ("price.x=1,5", "cannot read the value"),
        ("price.vc=/2", "unknown operation '/'"),
        ("price.vc=^2", "unknown operation '^'"),
        ("price.vc=x", "cannot read the factor"),
        ("price.vc=xtwo!", "cannot read the factor"),
        ("price.vc=+lots%", "cannot read the percentage"),
        ("li2co3=5", "not a parameter path"),
        ("price.vc=x1e400", "not a finite number"),
    ],
)
def test_parse_override_refuses_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=r"PATH=|not a finite number|not a parameter path") as exc:
        parse_override(text)
    assert message in str(exc.value)


def test_override_text_reads_back_exactly():
    assert Override("price.li2co3", "set", 1234567.0).text == "price.li2co3=1234567"
    assert Override("price.vc", "pct", -15.0).text == "price.vc=-15%"
    assert Override("design.nfpp.anode_material", "set", "hc_bamboo").text == "design.nfpp.anode_material=hc_bamboo"


@settings(max_examples=200, deadline=None)
@given(op=st.sampled_from(["set", "pct", "mul"]), value=st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
def test_override_text_round_trips(op, value):
    if op == "set":
        value = abs(value)  # a negative set value is not part of the syntax
    o = Override("price.li2co3", op, value)
    assert parse_override(o.text) == o


def test_parse_years_forms():
    assert parse_years("") is None and parse_years(None) is None
    assert parse_years("2026") == (2026,)
    assert parse_years(2026.0) == (2026,)
    assert parse_years("2026, 2027") == (2026, 2027)
    assert parse_years("2026-2028") == (2026, 2027, 2028)
    assert parse_years("2025; 2027–2028") == (2025, 2027, 2028)
    for bad in ("next year", "2028-2026", "26", "3000"):
        with pytest.raises(ValueError):
            parse_years(bad)


# ----------------------------------------------------------------------------- applying


def test_relative_changes_and_multiplication_on_round_numbers():
    pset = _toy()
    values, _ = apply_overrides(pset, [parse_override("price.a=+20%"), parse_override("price.b=-15%")])
    assert values["price.a"] == pytest.approx(120.0, rel=1e-15)
    assert values["price.b"] == pytest.approx(170.0, rel=1e-15)
    values, _ = apply_overrides(pset, [parse_override("price.a=x1.5"), parse_override("price.b=1250")])
    assert (values["price.a"], values["price.b"]) == (150.0, 1250.0)
    # applied in order: +20 % then x2 on the result
    values, _ = apply_overrides(pset, ["price.a=+20%", "price.a=x2"])
    assert values["price.a"] == pytest.approx(240.0, rel=1e-15)
    assert pset.values["price.a"] == 100.0  # never mutated


def test_set_choice_and_wildcard():
    values, choices = apply_overrides(PSET, [parse_override("design.nfpp.anode_material=hc_bamboo")])
    assert choices["design.nfpp.anode_material"] == "hc_bamboo"
    assert choices["design.o3.anode_material"] == PSET.choices["design.o3.anode_material"] == "hc_coconut"
    assert values == PSET.values
    _, choices = apply_overrides(PSET, [parse_override("design.*.anode_material=hc_pitch")])
    assert {choices[f"design.{d}.anode_material"] for d in PSET.designs} == {"hc_pitch"}
    assert PSET.choices["design.nfpp.anode_material"] == "hc_coconut"  # the parameter set is never mutated


def test_wildcard_matches_within_one_name_part():
    values, _ = apply_overrides(PSET, [parse_override("price.hc_*=x2")])
    changed = {k for k in values if values[k] != PSET.values[k]}
    assert changed == {"price.hc_bamboo", "price.hc_coconut", "price.hc_pitch"}
    values, _ = apply_overrides(PSET, [parse_override("design.*.np_ratio=1.2")])
    assert {values[f"design.{d}.np_ratio"] for d in PSET.designs} == {1.2}
    with pytest.raises(InputError, match=r"unknown pattern 'design\.\*'"):
        apply_overrides(PSET, [parse_override("design.*=1")])  # '*' does not cross a dot
    with pytest.raises(InputError, match=r"unknown pattern 'design\.\*\.np_ration'; did you mean"):
        apply_overrides(PSET, [parse_override("design.*.np_ration=1.2")])


def test_year_filter():
    o = parse_override("price.li2co3=60000", years=[2027])
    assert apply_overrides(PSET, [o])[0]["price.li2co3"] == PSET.values["price.li2co3"] == 98000
    assert apply_overrides(MODEL.parameters(2027), [o])[0]["price.li2co3"] == 60000
    o = parse_override("price.li2co3=60000", years=(2026, 2028))
    got = {y: apply_overrides(MODEL.parameters(y), [o])[0]["price.li2co3"] for y in MODEL.dataset.years}
    assert got == {2025: 98000, 2026: 60000, 2027: 98000, 2028: 60000}


def test_three_bad_overrides_give_three_problems():
    bad = ["price.lipf7=1", "price.vc=-100%", "design.nfpp.np_ratio=3"]
    with pytest.raises(InputError) as exc:
        apply_overrides(PSET, [parse_override(t) for t in bad], where="--set")
    assert len(exc.value.problems) == 3
    assert exc.value.source == "--set"
    assert all(p.where == "--set" for p in exc.value.problems)


def test_all_problems_collected_with_clear_messages():
    bad = ["price.lipf7=1", "price.vc=-200%", "design.nfpp.np_ratio=3", "design.nfpp.anode_material=x2",
           "design.nfpp.salt=kcl", "design.nfpp.np_ratio=hc_bamboo", "design.nfpp.anode_material=1.5",
           "design.nfpp.anode_material=hc_bambo", "fx.cny_per_usd=x0", "global.reference_design=nope",
           "design.nfpp.chemistry=k", "price.vc=oops!"]
    with pytest.raises(InputError) as exc:
        apply_overrides(PSET, bad, where="Scenarios!B9")
    text = str(exc.value)
    assert len(exc.value.problems) == len(bad)
    assert "unknown parameter 'price.lipf7'; did you mean price.lipf6" in text
    assert "price.vc would become -105000; prices and FX rates must stay positive" in text
    assert "np_ratio = 3 is outside [1, 1.5]" in text
    assert "design.nfpp.anode_material is a choice; % and x changes need a number" in text
    assert "unknown item 'kcl' for design.nfpp.salt" in text
    assert "design.nfpp.np_ratio is a number; 'hc_bamboo' is not" in text
    assert "design.nfpp.anode_material is a choice; set it to a name, e.g. design.nfpp.anode_material=hc_coconut" in text
    assert "unknown material 'hc_bambo' for design.nfpp.anode_material; did you mean hc_bamboo" in text
    assert "fx.cny_per_usd would become 0" in text
    assert "unknown design 'nope' for global.reference_design; expected one of nfpp, o3, pw, lfp" in text
    assert "unknown chemistry 'k'" in text
    assert "cannot read the value in 'price.vc=oops!'" in text
    assert text.startswith("Scenarios!B9: 12 problems found")


def test_bounds_from_the_catalog():
    assert apply_overrides(PSET, ["design.nfpp.np_ratio=1.5"])[0]["design.nfpp.np_ratio"] == 1.5
    with pytest.raises(InputError, match=r"np_ratio = 1.65 is outside \[1, 1.5\]"):
        apply_overrides(PSET, ["design.nfpp.np_ratio=1.65"])
    with pytest.raises(InputError, match=r"additive_vc_fraction = -0.01 is outside \[0, 0.2\]"):
        apply_overrides(PSET, ["design.nfpp.additive_vc_fraction=x-1"])
    with pytest.raises(InputError, match="coefficient must not be negative"):
        apply_overrides(PSET, ["link.lfp.coefficient=x-1"])


@settings(max_examples=100, deadline=None)
@given(key=st.sampled_from(sorted(k for k in PSET.values if k.startswith(("price.", "fx.")))), k=st.floats(1e-3, 1e3))
def test_multiply_then_divide_round_trips(key, k):
    values, choices = apply_overrides(PSET, [Override(key, "mul", k), Override(key, "mul", 1 / k)])
    assert abs(values[key] - PSET.values[key]) <= 1e-12 * PSET.values[key]
    assert {n: v for n, v in values.items() if n != key} == {n: v for n, v in PSET.values.items() if n != key}
    assert choices == PSET.choices


# ----------------------------------------------------------------------------- sheet rows


def test_rows_parser():
    rows = [("Scenarios!B2", "crash", "price.li2co3=60000", "2026-2027", ""),
            ("Scenarios!B3", "crash", "price.lipf6=-10%", None, "lithium crash"),
            ("Scenarios!B4", "crash", "price.vc=x2", "2026, 2028", "ignored: the first description counts"),
            ("Scenarios!B5", "plain", None, None, None),
            ("Scenarios!B6", None, None, None, None)]
    found = scenarios_from_rows(rows)
    assert list(found) == ["crash", "plain"]
    crash = found["crash"]
    assert crash.description == "lithium crash"
    assert [o.years for o in crash.overrides] == [(2026, 2027), None, (2026, 2028)]
    assert found["plain"].overrides == ()


def test_rows_parser_names_every_bad_cell():
    rows = [("Scenarios!B4", "bad", "price.li2co3=oops!", "", ""),
            ("Scenarios!B5", "bad", "price.li2co3=60000", "soon", ""),
            ("Scenarios!B6", "", "price.vc=x2", "", ""),
            ("Scenarios!B7", "good", "price.vc=x2", "", "")]
    with pytest.raises(InputError) as exc:
        scenarios_from_rows(rows)
    where = [p.where for p in exc.value.problems]
    assert where == ["Scenarios!B4", "Scenarios!B5", "Scenarios!B6"]
    text = str(exc.value)
    assert "Scenarios!B5: cannot read years 'soon'" in text
    assert "Scenarios!B6: the change 'price.vc=x2' has no scenario name" in text


# ----------------------------------------------------------------------------- TOML files


def test_toml_load_with_years(tmp_path):
    a = tmp_path / "a.toml"
    a.write_text('[s1]\ndescription = "x"\nset = ["price.vc=x2"]\n[s1.years]\n2027 = ["price.fec=x3"]\n"2026-2027" = ["price.dtd=+5%"]\n'
                 '[s2]\nset = []\n', encoding="utf-8")
    loaded = load_scenarios([a])
    assert list(loaded) == ["s1", "s2"]
    assert [(o.text, o.years) for o in loaded["s1"].overrides] == [
        ("price.vc=x2", None), ("price.fec=x3", (2027,)), ("price.dtd=+5%", (2026, 2027))]
    assert loaded["s2"].description == "" and loaded["s2"].overrides == ()


def test_toml_duplicate_names_across_files(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[s1]\nset = ["price.vc=x2"]\n', encoding="utf-8")
    b.write_text('[s1]\nset = []\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenarios([a, b])
    (problem,) = exc.value.problems
    assert str(b) in problem.where and f"scenario 's1' is also defined in {a}" in problem.message


def test_toml_syntax_error_names_file_and_line(tmp_path):
    c = tmp_path / "c.toml"
    c.write_text('[ok]\nset = []\n\n[broken\nset = []\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenarios([c])
    (problem,) = exc.value.problems
    assert problem.where == f"{c} line 4"
    assert problem.message.startswith("not valid TOML")
    with pytest.raises(InputError, match="file not found"):
        load_scenarios([tmp_path / "missing.toml"])


def test_toml_problems_are_all_reported(tmp_path):
    d = tmp_path / "d.toml"
    d.write_text('[s]\ndescripton = "typo"\nset = "price.vc=x2"\n[s.years]\nsoon = ["price.vc=x2"]\n'
                 '[t]\nset = ["price.vc=/2", "price.fec=x2", "price=1"]\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_scenarios([d])
    text = str(exc.value)
    assert len(exc.value.problems) == 5
    assert "[s]: unknown key descripton; expected description, set, years" in text
    assert "set must be a list of strings" in text
    assert "cannot read years 'soon'" in text
    assert "unknown operation '/'" in text
    assert "'price' in 'price=1' is not a parameter path" in text


# ----------------------------------------------------------------------------- shipped scenarios


def test_shipped_scenarios_and_repo_copy_do_not_drift():
    packaged = REPO / "costmodel" / "data" / "scenarios.toml"
    repo_files = sorted((REPO / "scenarios").glob("*.toml"))
    assert repo_files == [REPO / "scenarios" / "sodium_ion.toml"]
    assert repo_files[0].read_bytes() == packaged.read_bytes()
    assert bundled_scenarios_dir() == REPO / "scenarios"
    assert load_scenarios(repo_files) == default_scenarios()
    assert set(SHIPPED) <= set(default_scenarios())


def test_shipped_scenarios_apply_in_every_year():
    for sc in default_scenarios().values():
        assert sc.description.strip(), sc.name
        for year in MODEL.dataset.years:
            apply_overrides(MODEL.parameters(year), sc.overrides, where=f"scenario {sc.name}")
    assert default_scenarios()["base"].overrides == ()


def _run(name: str, pset: ParameterSet = PSET, extra: tuple[str, ...] = ()):
    values, choices = apply_overrides(pset, [*extra, *default_scenarios()[name].overrides])
    return MODEL.evaluate(pset.year, values=values, choices=choices)


def _comp(res, design: str, component: str) -> float:
    c = res.costs.query("unit == 'USD/kWh' and design == @design and component == @component")
    assert len(c) == 1
    return float(c["value"].iloc[0])


def _total(res) -> dict[str, float]:
    return res.summary().set_index("design")["usd_per_kwh"].to_dict()


BASE = MODEL.evaluate(2025)


def test_lithium_crash_and_boom():
    crash, boom = _run("lithium_crash"), _run("lithium_boom")
    base = _total(BASE)
    assert _total(crash)["lfp"] < base["lfp"] < _total(boom)["lfp"]
    napf6 = [d for d in PSET.designs if PSET.choices[f"design.{d}.salt"] == "napf6"]
    assert napf6 == list(NA_DESIGNS)
    for d in napf6:
        for res in (crash, boom):
            assert _comp(res, d, "electrolyte_salt") == pytest.approx(_comp(BASE, d, "electrolyte_salt"), rel=1e-12)
    assert _comp(crash, "lfp", "electrolyte_salt") < _comp(BASE, "lfp", "electrolyte_salt")  # LiPF6 follows Li2CO3


def test_lipf6_surge_moves_only_lipf6_cells():
    surge = _total(_run("lipf6_surge"))
    base = _total(BASE)
    for d in NA_DESIGNS:
        assert surge[d] == pytest.approx(base[d], rel=1e-12)
    assert surge["lfp"] > base["lfp"]


def test_coconut_spike_moves_coconut_carbon_only():
    spike = _run("coconut_spike")
    for d in NA_DESIGNS:
        assert _comp(spike, d, "anode_active") > _comp(BASE, d, "anode_active")
    assert _comp(spike, "lfp", "anode_active") == pytest.approx(_comp(BASE, "lfp", "anode_active"), rel=1e-12)


def test_additive_shock_doubles_vc_and_fec_for_sodium_and_lfp():
    shock = _run("additive_shock")
    fx = PSET.values["fx.cny_per_usd"]
    for d in ("nfpp", "lfp"):
        # VC and FEC double, DTD does not: the rise is electrolyte kg x (f_fec p_fec + f_vc p_vc) (the net line)
        line = BASE.bom.query("design == @d and component == 'electrolyte_additives'").iloc[0]
        f = {a: PSET.values[f"design.{d}.additive_{a}_fraction"] for a in ("fec", "vc")}
        rise = line["quantity"] * sum(f[a] * PSET.values[f"price.{a}"] / fx / 1000 for a in f)
        got = _comp(shock, d, "electrolyte_additives") - _comp(BASE, d, "electrolyte_additives")
        assert got == pytest.approx(rise, rel=1e-12)
    # with no DTD in the blend the additives component doubles exactly
    no_dtd = ("design.*.additive_dtd_fraction=0",)
    values, choices = apply_overrides(PSET, list(no_dtd))
    before = MODEL.evaluate(2025, values=values, choices=choices)
    after = _run("additive_shock", extra=no_dtd)
    for d in ("nfpp", "lfp"):
        assert _comp(after, d, "electrolyte_additives") == pytest.approx(2 * _comp(before, d, "electrolyte_additives"), rel=1e-12)


def test_bamboo_switch_changes_the_sodium_anodes_only():
    bamboo = _run("bamboo_switch")
    items = bamboo.bom.query("component == 'anode_active'").set_index("design")["item"].to_dict()
    assert items == {"nfpp": "hc_bamboo", "o3": "hc_bamboo", "pw": "hc_bamboo", "lfp": "graphite"}
    assert _total(bamboo)["lfp"] == pytest.approx(_total(BASE)["lfp"], rel=1e-12)
