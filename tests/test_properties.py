"""Invariants of the engine, checked with hypothesis on the bundled data."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import Model
from costmodel.dataset import read_bundled_tables, validate_tables

MODEL = Model()
PSET = MODEL.parameters(2025)
PRICE_KEYS = sorted(k for k in PSET.values if k.startswith("price."))
DESIGNS = PSET.designs


def totals(values, choices=None):
    res = MODEL.evaluate_arrays(values, choices or PSET.choices)
    return {d: float(r.total) for d, r in res.items()}


BASE = totals(PSET.values)


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(PRICE_KEYS), factor=st.floats(1.0001, 5.0))
def test_cost_never_falls_when_a_price_rises(key, factor):
    raised = totals({**PSET.values, key: PSET.values[key] * factor})
    for d in DESIGNS:
        assert raised[d] >= BASE[d] * (1 - 1e-12), (key, d)


def test_every_price_moves_some_design():
    # no dead price: each priced item used by a design or a link raises at least one cost
    unused = []
    for key in PRICE_KEYS:
        raised = totals({**PSET.values, key: PSET.values[key] * 1.5})
        if all(raised[d] <= BASE[d] for d in DESIGNS):
            unused.append(key)
    # alternatives not chosen by any default design (routes, separators) are allowed to be idle
    assert set(unused) <= {"price.hc_bamboo", "price.hc_pitch", "price.bamboo_charcoal", "price.sep_wet5"}


@settings(max_examples=40, deadline=None)
@given(design=st.sampled_from(DESIGNS), prop=st.sampled_from(["capacity_ah_kg", "voltage_v"]), factor=st.floats(1.001, 1.5))
def test_cost_per_kwh_falls_when_capacity_or_voltage_rises(design, prop, factor):
    material = PSET.choices[f"design.{design}.cathode_material"]
    key = f"material.{material}.{prop}"
    res = totals({**PSET.values, key: PSET.values[key] * factor})
    assert res[design] < BASE[design]


@settings(max_examples=20, deadline=None)
@given(design=st.sampled_from(DESIGNS), factor=st.floats(1.001, 1.3))
def test_anode_capacity_rise_lowers_cost(design, factor):
    material = PSET.choices[f"design.{design}.anode_material"]
    key = f"material.{material}.capacity_ah_kg"
    assert totals({**PSET.values, key: PSET.values[key] * factor})[design] < BASE[design]


@pytest.mark.parametrize("k", [2.0, 0.5, 3.7])
def test_scaling_every_price_and_conversion_cost_scales_the_total(k):
    scaled = dict(PSET.values)
    for name in scaled:
        # every price, the price-link reference prices, the reference plant's capex and every region's labour and power
        if name.startswith("price.") or name.endswith((".driver_ref", ".labour_per_h", ".electricity_per_kwh")) or name in (
            "global.capex_ref_cny_per_kwh_yr",
        ):
            scaled[name] = scaled[name] * k
    out = totals(scaled)
    for d in DESIGNS:
        assert out[d] == pytest.approx(k * BASE[d], rel=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_input_row_order(seed):
    rng = np.random.default_rng(seed)
    raw = read_bundled_tables()
    shuffled = {name: frame.iloc[rng.permutation(len(frame))] for name, frame in raw.items()}
    model = Model(validate_tables(shuffled))
    a = MODEL.evaluate(2025).summary().set_index("design").sort_index()
    b = model.evaluate(2025).summary().set_index("design").sort_index()
    np.testing.assert_allclose(a["usd_per_kwh"], b["usd_per_kwh"], rtol=1e-13)
    np.testing.assert_allclose(a["wh_per_kg"], b["wh_per_kg"], rtol=1e-13)


def test_vectorized_call_equals_one_call_per_scenario():
    rng = np.random.default_rng(7)
    n = 64
    draws = {k: PSET.values[k] * rng.uniform(0.5, 1.5, n) for k in PRICE_KEYS}
    arrays = MODEL.evaluate_arrays({**PSET.values, **draws}, PSET.choices)
    for i in range(0, n, 9):
        one = MODEL.evaluate_arrays({**PSET.values, **{k: v[i] for k, v in draws.items()}}, PSET.choices)
        for d in DESIGNS:
            assert float(arrays[d].total[i]) == pytest.approx(float(one[d].total), rel=1e-13)
            for c in arrays[d].components:
                assert float(arrays[d].components[c][i]) == pytest.approx(float(one[d].components[c]), rel=1e-12, abs=1e-15)


def test_components_sum_to_cny_per_wh_total():
    res = MODEL.evaluate(2025)
    s = res.summary()
    fx = PSET.values["fx.cny_per_usd"]
    np.testing.assert_allclose(s["cny_per_wh"], s["usd_per_kwh"] * fx / 1000, rtol=1e-13)
