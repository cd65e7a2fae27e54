"""Every default figure carries a source and date or is flagged; the catalog agrees with the data."""

import pytest

from costmodel import Model, load_default
from costmodel.catalog import catalog_frame, load_catalog

DS = load_default()
STATUSES = {"sourced", "assumption", "derived", "physical"}


@pytest.mark.parametrize("table", ["prices", "fx", "materials", "links", "globals", "regions"])
def test_every_figure_has_source_date_and_status(table):
    frame = getattr(DS, table)
    if table in ("globals", "regions"):  # choices and names (reference_design, currency) are not figures
        frame = frame[frame["value"].map(lambda v: isinstance(v, float))]
    for row in frame.itertuples():
        assert row.status in STATUSES, (table, row)
        assert row.source.strip(), (table, row)
        assert str(row.date).strip(), (table, row)
        if row.status == "assumption":
            assert "ASSUMPTION" in row.source.upper() or "assum" in row.source.lower(), (table, row)


def test_every_numeric_design_figure_has_provenance():
    numeric = DS.designs[DS.designs["value"].map(lambda v: isinstance(v, float))]
    missing = numeric[(numeric["status"] == "") | (numeric["source"] == "")]
    assert missing.empty, missing


def test_prices_cover_2025_to_2028_for_every_item():
    years = DS.prices.groupby("item")["year"].apply(set)
    assert all({2025, 2026, 2027, 2028} <= y for y in years)


def test_reference_drivers_match_the_default_lfp_design():
    # the reference plant's conversion costs are LFP figures: the catalog's reference drivers must be the
    # default LFP design's own area, cells and Ah per kWh (else LFP's conversion ratio drifts from 1)
    res = Model().evaluate(2025, designs=["lfp"])
    m = res.metrics.set_index("metric")["value"]
    g = DS.globals.set_index("name")["value"]
    assert g["ref_area_m2_per_kwh"] == pytest.approx(m["cathode_area_m2"], rel=1e-3)
    assert g["ref_cells_per_kwh"] == pytest.approx(m["cells_per_kwh"], rel=1e-3)
    assert g["ref_ah_per_kwh"] == pytest.approx(1000 / 3.2, rel=1e-9)
    assert m["conversion_ratio"] == pytest.approx(1.0, abs=1e-3)


def test_catalog_rows_are_complete():
    frame = catalog_frame()
    assert frame["name"].is_unique or frame.groupby("scope")["name"].apply(lambda s: s.is_unique).all()
    assert (frame["description"].str.len() > 10).all()
    numbers = frame[frame["kind"] == "number"]
    assert (numbers["lower"] < numbers["upper"]).all()
    for spec in load_catalog().values():
        if spec.kind == "number" and isinstance(spec.default, float):
            assert spec.check(spec.default) is None, spec.name
            assert spec.status in STATUSES, spec.name


def test_napf6_is_not_linked_to_lithium():
    # SMM: NaPF6 stayed stable through the 2025 LiPF6 surge -> no price link to Li2CO3 or LiPF6
    assert "napf6" not in set(DS.links["target"])


def test_every_design_names_its_hard_carbon_route():
    choices = Model().parameters(2025).choices
    for d in ("nfpp", "o3", "pw"):
        assert choices[f"design.{d}.anode_material"] in {"hc_coconut", "hc_bamboo", "hc_pitch"}
        assert choices[f"design.{d}.anode_foil"] == "al_foil"
    assert choices["design.lfp.anode_foil"] == "cu_foil"


def test_route_switch_is_one_parameter():
    model = Model()
    base = model.evaluate(2025, designs=["nfpp"])
    bamboo = model.evaluate(2025, designs=["nfpp"], choices={"design.nfpp.anode_material": "hc_bamboo"})
    assert bamboo.bom.query("component == 'anode_active'")["item"].iloc[0] == "hc_bamboo"
    assert isinstance(base.summary()["usd_per_kwh"].iloc[0], float)
    assert bamboo.summary()["usd_per_kwh"].iloc[0] != pytest.approx(base.summary()["usd_per_kwh"].iloc[0])


@pytest.mark.parametrize("table", ["levers", "routes", "suppliers", "scale", "demand", "settings"])
def test_every_optimizer_figure_has_source_date_and_status(table):
    from costmodel.optimize.data import read_default_tables

    frame = read_default_tables()[table]
    assert len(frame) > 0
    for row in frame.itertuples():
        assert row.status in STATUSES, (table, row)
        assert row.source.strip() and str(row.date).strip(), (table, row)
        if row.status == "assumption":
            assert "ASSUMPTION" in row.source.upper(), (table, row)
