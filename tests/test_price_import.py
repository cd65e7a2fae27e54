"""`costmodel prices import`: a price feed with its own columns and names, merged into a NEW workbook; bad feeds fail
cleanly (exit 2, the feed's row named) and never change an input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from costmodel.cli import app
from costmodel.io.workbook import read_workbook

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "workbooks" / "sodium_ion_base.xlsx"

MAP = """
[columns]
date = "Trade date"
item = "Product"
price = "Mid"
unit = "Currency unit"
low = "Bid"
high = "Ask"
source = "Publisher"

[items]
"Lithium carbonate 99.5% battery grade" = "li2co3"
"Vinylene carbonate" = "vc"
"Coconut shell charcoal, CIF China" = "coconut_charcoal"

[options]
ignore_items = ["Cobalt sulphate"]
"""

FEED = """Trade date,Product,Mid,Bid,Ask,Currency unit,Publisher
2026-03-02,Lithium carbonate 99.5% battery grade,150000,148000,152000,CNY/t,Feed Co daily
2026-03-09,Lithium carbonate 99.5% battery grade,156000,,,CNY/t,Feed Co daily
2026-03,Vinylene carbonate,180000,,,CNY/t,Feed Co monthly
2026-03,"Coconut shell charcoal, CIF China",845.5,,,USD/t,Feed Co monthly
2026-03-09,Cobalt sulphate,52000,,,CNY/t,Feed Co daily
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def feed(tmp_path):
    (tmp_path / "feed.csv").write_text(FEED, encoding="utf-8")
    (tmp_path / "map.toml").write_text(MAP, encoding="utf-8")
    wb = tmp_path / "planner.xlsx"
    shutil.copy(BASE, wb)
    return tmp_path


def test_import_round_trips_a_feed_with_renamed_columns(feed):
    before = {p: _sha(feed / p) for p in ("feed.csv", "map.toml", "planner.xlsx")}
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "new.xlsx"), "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert summary["rows"] == 5 and summary["ignored_rows"] == 1 and summary["quotes"] == 4
    assert summary["items"] == ["coconut_charcoal", "li2co3", "vc"]
    assert {p: _sha(feed / p) for p in before} == before  # the inputs are never written
    wb = read_workbook(feed / "new.xlsx")
    q = wb.dataset.history.quotes
    new = q[q["date"] >= "2026-03"].set_index(["date", "item"])
    assert new.loc[("2026-03-02", "li2co3"), "price"] == 150000
    assert new.loc[("2026-03-02", "li2co3"), "low"] == 148000 and new.loc[("2026-03-02", "li2co3"), "high"] == 152000
    assert new.loc[("2026-03", "coconut_charcoal"), "unit"] == "USD/t"
    assert new.loc[("2026-03", "vc"), "source"] == "Feed Co monthly"
    old = read_workbook(feed / "planner.xlsx").dataset.history.quotes
    assert len(q) == len(old) + 4
    # every other sheet is copied unchanged: the planner's data are the same
    assert wb.dataset.prices.equals(read_workbook(feed / "planner.xlsx").dataset.prices)
    # and the new month shows up in the index
    idx = runner.invoke(app, ["index", str(feed / "new.xlsx"), "--from", "2026-01", "--json"])
    assert idx.exit_code == 0, idx.output
    data = json.loads(idx.stdout)
    assert data["months"][-1] == "2026-03" and data["history_source"] == "new.xlsx"
    nfpp = next(c for c in data["changes"] if c["month"] == "2026-03" and c["design"] == "nfpp")
    assert {p["input"] for p in nfpp["parts"]} >= {"vc", "coconut_charcoal"}
    # importing the same feed again adds nothing (identical repeats are dropped)
    again = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                                "--workbook", str(feed / "new.xlsx"), "--out", str(feed / "again.xlsx"), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["history_quotes"] == len(q)


def test_import_without_a_workbook_starts_from_the_bundled_one_and_xlsx_feeds_work(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(["date", "item", "price", "unit"])
    ws.append(["2026-03", "fec", 70000, "CNY/t"])
    wb.save(tmp_path / "feed.xlsx")
    out = runner.invoke(app, ["prices", "import", str(tmp_path / "feed.xlsx"), "--out", str(tmp_path / "new.xlsx")])
    assert out.exit_code == 0, out.output
    q = read_workbook(tmp_path / "new.xlsx").dataset.history.quotes
    assert ((q["item"] == "fec") & (q["date"] == "2026-03")).sum() == 1
    # a bad cell of an xlsx feed is named Sheet!Cell
    ws.append(["2026-04", "fec", "n/a", "CNY/t"])
    wb.save(tmp_path / "bad.xlsx")
    bad = runner.invoke(app, ["prices", "import", str(tmp_path / "bad.xlsx"), "--out", str(tmp_path / "bad_out.xlsx")])
    assert bad.exit_code == 2
    assert "Export!C3" in bad.output and "n/a" in bad.output
    assert not (tmp_path / "bad_out.xlsx").exists()


def test_a_workbook_without_a_price_history_sheet_gets_one(tmp_path, feed):
    src = openpyxl.load_workbook(BASE)
    del src["Price history"]
    src.save(tmp_path / "old.xlsx")
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(tmp_path / "old.xlsx"), "--out", str(tmp_path / "new.xlsx")])
    assert out.exit_code == 0, out.output
    wb = openpyxl.load_workbook(tmp_path / "new.xlsx", read_only=True)
    assert "Price history" in wb.sheetnames
    wb.close()
    assert read_workbook(tmp_path / "new.xlsx").dataset.history_source == "new.xlsx"


def test_the_merged_workbook_opens_in_libreoffice(feed, tmp_path):
    from tests.libreoffice import recalculate, require_soffice

    require_soffice()
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "new.xlsx")])
    assert out.exit_code == 0, out.output
    again = recalculate(feed / "new.xlsx", tmp_path / "lo")
    ws = openpyxl.load_workbook(again, read_only=True)["Price history"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] is not None]
    assert ("2026-03-02", "li2co3", 150000) in {(r[0], r[1], r[2]) for r in rows}


BAD = [
    ("wrong date format", "06/03/2026,Vinylene carbonate,180000,,,CNY/t,x\n", "feed.csv line 7, column Trade date",
     "cannot read the date '06/03/2026'"),
    ("duplicate date and item", "2026-03,Vinylene carbonate,185000,,,CNY/t,x\n", "feed.csv line 7, column Mid",
     "conflicting quote for vc on 2026-03: 185000 CNY/t here, 180000 CNY/t at feed.csv line 4"),
    ("unit typo", "2026-04,Vinylene carbonate,180000,,,CNY/tonne,x\n", "feed.csv line 7, column Currency unit",
     "write 't' or 'MT' for a metric tonne"),
    ("text in a price", "2026-04,Vinylene carbonate,about 180k,,,CNY/t,x\n", "feed.csv line 7, column Mid",
     "expected a number, found text 'about 180k'"),
    ("unknown item", "2026-04,Vinylene carbonat,180000,,,CNY/t,x\n", "feed.csv line 7, column Product",
     "unknown item 'Vinylene carbonat'"),
    ("wrong dimension", "2026-04,Vinylene carbonate,180000,,,CNY/m2,x\n", "feed.csv line 7, column Currency unit",
     "vc is priced per mass"),
]


@pytest.mark.parametrize("case, line, where, message", BAD, ids=[b[0] for b in BAD])
def test_bad_feeds_fail_cleanly_and_leave_the_inputs_unchanged(feed, case, line, where, message):
    (feed / "feed.csv").write_text(FEED + line, encoding="utf-8")
    before = {p: _sha(feed / p) for p in ("feed.csv", "map.toml", "planner.xlsx")}
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "new.xlsx")])
    assert out.exit_code == 2, out.output
    assert where in out.output and message in out.output
    assert "Traceback" not in out.output
    assert not (feed / "new.xlsx").exists()
    assert {p: _sha(feed / p) for p in before} == before


def test_last_wins_resolves_a_conflicting_quote(feed):
    (feed / "feed.csv").write_text(FEED + "2026-03,Vinylene carbonate,185000,,,CNY/t,x\n", encoding="utf-8")
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"), "--last-wins",
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "new.xlsx")])
    assert out.exit_code == 0, out.output
    assert "the last one kept" in out.output
    q = read_workbook(feed / "new.xlsx").dataset.history.quotes
    assert q[(q["item"] == "vc") & (q["date"] == "2026-03")]["price"].tolist() == [185000]


def test_a_100000_row_feed_with_one_bad_row_names_it(feed):
    lines = [FEED.splitlines()[0]]
    lines += [f"2016-01-01,Vinylene carbonate,{100000 + i},,,CNY/t,x".replace("2016-01-01", f"{2016 + i // 365 % 60:04d}-"
                                                                                          f"{1 + i % 12:02d}-{1 + i // 12 % 28:02d}")
              for i in range(99_999)]
    lines.append("2026-05-01,Vinylene carbonate,1e999,,,CNY/t,x")
    (feed / "feed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "new.xlsx")])
    assert out.exit_code == 2, out.output
    assert "feed.csv line 100001, column Mid" in out.output and "not a finite number" in out.output
    assert not (feed / "new.xlsx").exists()


@pytest.mark.parametrize("mapping, message", [
    ("[colums]\ndate = 'Trade date'\n", "unknown section [colums]"),
    ("[columns]\nday = 'Trade date'\n", "unknown key 'day'"),
    ("[columns]\ndate = 'Day'\n", "column 'Day' (mapped to date) is not in the feed's header"),
    ("[columns\n", "not valid TOML"),
])
def test_bad_mappings_are_named(feed, mapping, message):
    (feed / "map.toml").write_text(mapping, encoding="utf-8")
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--out", str(feed / "new.xlsx")])
    assert out.exit_code == 2
    assert message in out.output


def test_the_output_may_not_be_an_input(feed):
    out = runner.invoke(app, ["prices", "import", str(feed / "feed.csv"), "--map", str(feed / "map.toml"),
                              "--workbook", str(feed / "planner.xlsx"), "--out", str(feed / "planner.xlsx"), "--force"])
    assert out.exit_code == 2
    assert "input" in out.output


def test_a_bad_price_history_cell_in_a_workbook_is_named(tmp_path):
    wb = openpyxl.load_workbook(BASE)
    ws = wb["Price history"]
    ws["C5"] = "n/a"
    ws["A6"] = "Nov 2025"
    wb.save(tmp_path / "bad.xlsx")
    out = runner.invoke(app, ["validate", str(tmp_path / "bad.xlsx")])
    assert out.exit_code == 2
    assert "Price history!C5" in out.output and "Price history!A6" in out.output
