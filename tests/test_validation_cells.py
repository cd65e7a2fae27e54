"""The validation table (tests/validation/cells.py): shipped designs against the real cells they stand for,
the other commercial cells and BatPaC's default cell. Sources are in tests/validation/*.csv."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.validation.cells import TOLERANCE, batpac_table, cells_table, render

CELLS = cells_table()


def test_every_row_is_sourced_and_evaluates():
    raw = pd.read_csv("tests/validation/cells.csv", keep_default_na=False)
    assert (raw["source"].str.len() > 20).all() and (raw["date"].str.len() >= 4).all()
    assert len(CELLS) >= 5
    assert {"cylindrical", "prismatic"} <= set(CELLS["format"])
    assert set(CELLS["design"]) >= {"nfpp", "o3", "pw", "lfp"}
    assert CELLS[["ah_model", "mass_kg_model", "wh_per_kg_model", "wh_per_l_model"]].map(math.isfinite).all().all()


@pytest.mark.parametrize("design", ["nfpp", "o3", "pw", "lfp"])
def test_shipped_design_matches_the_cell_it_stands_for(design):
    rows = CELLS[(CELLS["design"] == design) & CELLS["shipped"]]
    assert len(rows) == 1, design
    row = rows.iloc[0]
    for key in ("wh_per_kg", "wh_per_l"):
        gap = row[f"{key}_gap"]
        if math.isnan(gap):
            continue  # not published (Northvolt gives no volume)
        if row["bound"] == "min":
            # a published minimum: the model must not fall more than 8 % below it (the gap above is reported)
            assert row[f"{key}_model"] >= row[f"{key}_published"] * (1 - TOLERANCE), (design, key)
        else:
            assert abs(gap) <= TOLERANCE, (design, key, gap)


def test_calibration_cells_hold_their_rated_capacity():
    # stack_fill is calibrated on the EVE MB31 (prismatic) and the EVE C33 (cylinder); everything else is a check
    for cell in ("EVE MB31 314 Ah", "EVE C33 33140 15 Ah"):
        row = CELLS[CELLS["cell"] == cell].iloc[0]
        assert row["ah_model"] == pytest.approx(row["ah_published"], rel=0.005), cell


def test_batpac_default_cell_configured_alike():
    b = batpac_table().iloc[0]
    # the cell physics (porosity-based electrolyte, pouch geometry) reproduces BatPaC's own cell
    assert abs(b["wh_per_kg_gap"]) <= 0.03
    assert abs(b["wh_per_l_gap"]) <= 0.06
    assert abs(b["ah_gap"]) <= 0.06
    assert abs(b["electrolyte_g_ah_gap"]) <= 0.05
    # the cost is ours (US plant model, our electrolyte): reported, bounded loosely
    assert 0.7 <= b["usd_per_kwh_model"] / b["usd_per_kwh_published"] <= 1.6


def test_table_renders_as_text_and_markdown():
    text, md = render(), render(markdown=True)
    assert "EVE MB31 314 Ah (shipped)" in text and "BatPaC" in text
    assert md.startswith("| cell |")
