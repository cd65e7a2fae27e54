"""Dataset validation reports every problem at once, each located and explained."""

import pytest

from costmodel.dataset import read_bundled_tables, validate_tables
from costmodel.units import UnitError, convert_price, parse_price_unit
from costmodel.validation import InputError, parse_number


def broken(**edits):
    raw = {k: v.copy() for k, v in read_bundled_tables().items()}
    for (table, line, column), value in edits.items():
        raw[table].loc[line, column] = value
    return raw


def problems(raw):
    with pytest.raises(InputError) as exc:
        validate_tables(raw)
    return [str(p) for p in exc.value.problems]


def test_all_problems_reported_at_once_with_locations():
    raw = read_bundled_tables()
    raw = {k: v.copy() for k, v in raw.items()}
    prices = raw["prices"]
    prices.loc[2, "value"] = "abc"  # text in a number cell (li2co3 2025)
    prices.loc[3, "value"] = "-5"  # negative price
    prices.loc[4, "unit"] = "USD/T"  # tesla
    prices.loc[5, "item"] = "unobtainium"
    raw["designs"].loc[3, "value"] = "hc_unicorn"  # anode? line 3 is chemistry -> unknown choice
    found = problems(raw)
    text = "\n".join(found)
    assert "prices.csv line 2, column value: expected a number, found text 'abc'" in text
    assert "prices.csv line 3, column value: expected a positive number, found -5" in text
    assert "prices.csv line 4, column unit" in text and "tesla" in text
    assert "prices.csv line 5, column item: unknown item 'unobtainium'" in text
    assert "designs.csv line 3, column value" in text
    assert len(found) >= 5


def test_duplicates_missing_columns_and_bounds():
    raw = {k: v.copy() for k, v in read_bundled_tables().items()}
    raw["prices"].loc[200] = raw["prices"].loc[2]  # duplicate li2co3 2025
    raw["designs"].loc[18, "value"] = "7"  # nfpp np_ratio 1.1 -> 7, out of bounds
    text = "\n".join(problems(raw))
    assert "duplicate price for li2co3 in 2025" in text
    assert "np_ratio = 7 is outside [1, 1.5]" in text
    raw = {k: v.copy() for k, v in read_bundled_tables().items()}
    raw["fx"] = raw["fx"].drop(columns="cny_per_usd")
    assert any("column 'cny_per_usd' is missing" in p for p in problems(raw))


def test_formulation_must_sum_to_one():
    raw = {k: v.copy() for k, v in read_bundled_tables().items()}
    line = raw["designs"].index[(raw["designs"]["design"] == "o3") & (raw["designs"]["parameter"] == "cathode_binder_fraction")][0]
    raw["designs"].loc[line, "value"] = "0.05"
    assert any("design o3: cathode formulation sum to 1.035" in p for p in problems(raw))


def test_blank_rows_are_tolerated_and_extra_columns_ignored():
    raw = {k: v.copy() for k, v in read_bundled_tables().items()}
    raw["prices"].loc[999] = ""
    raw["prices"]["planner_note"] = "x"
    ds = validate_tables(raw)
    assert len(ds.prices) == len(read_bundled_tables()["prices"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("12000", 12000.0), ("12,000.0", 12000.0), ("1,234,567", 1234567.0), ("0.950", 0.95),
     ("1,234.5", 1234.5), ("5%", 0.05), (" 3.2 ", 3.2), (7, 7.0), ("1e3", 1000.0)],
)
def test_parse_number_accepts(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,5", "abc", "", "12.000,5", "nan", True, "32,000", "1e999", "inf"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_units():
    assert convert_price(98_000, "CNY/t", "USD/kg", 7.0) == pytest.approx(14.0)
    assert convert_price(1, "CNY/MT", "CNY/kg", 7.0) == pytest.approx(0.001)
    assert convert_price(0.8, "CNY/m2", "USD/m2", 8.0) == pytest.approx(0.1)
    assert convert_price(0.3, "CNY/Wh", "USD/kWh", 7.5) == pytest.approx(40.0)
    with pytest.raises(UnitError, match="tesla"):
        parse_price_unit("USD/T")
    with pytest.raises(UnitError, match="currency"):
        parse_price_unit("EUR/kg")
    with pytest.raises(UnitError):
        convert_price(1, "USD/kg", "USD/m2", 7.0)
