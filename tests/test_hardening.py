"""Issue 14: every failure a hostile tester found, each a regression test (exit 2 with a message that names the
place, never a traceback; strict JSON; results never overwritten silently; temporaries cleaned; fast refusals)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from costmodel.cli import app
from costmodel.io.atomic import atomic_path, clean_stale_temporaries
from costmodel.scenario import load_scenarios
from costmodel.validation import parse_number
from tests.xlsx_tools import BASE, set_cell_xml, with_price_rows

runner = CliRunner()
_BOOK = openpyxl.load_workbook(BASE, read_only=True)
PRICE_ROWS = _BOOK["Prices"].max_row
"""Last row of the base workbook's Prices sheet."""
PLANT_ROW = {r[0]: i for i, r in enumerate(_BOOK["Plant"].iter_rows(values_only=True), start=1)}
"""Row of each Plant parameter in the base workbook."""
_BOOK.close()


def invoke(*args: str):
    """Run the app in-process; a traceback would show as an exception that is not SystemExit."""
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


def strict_json(text: str):
    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def book(tmp_path: Path, edit=None, name: str = "wb.xlsx") -> Path:
    """A copy of the base workbook, edited with openpyxl."""
    wb = openpyxl.load_workbook(BASE)
    if edit is not None:
        edit(wb)
    path = tmp_path / name
    wb.save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- tracebacks


def test_montecarlo_negative_seed_is_bad_input():
    res = invoke("montecarlo", "-n", "10", "--seed", "-1")
    assert res.exit_code == 2
    assert "--seed" in res.stderr


@pytest.mark.parametrize("command", [
    ["run", str(BASE), "--out", "{bad}/r.xlsx"],
    ["template", "{bad}/t.xlsx"],
    ["sensitivity", "--png", "{bad}/t.png"],
    ["optimize", "--out", "{bad}/o.xlsx"],
])
def test_output_folder_that_is_a_file_is_bad_input(tmp_path, command):
    bad = tmp_path / "plain_file"
    bad.write_text("not a folder")
    res = invoke(*[c.format(bad=bad) for c in command])
    assert res.exit_code == 2, res.output
    assert "is a file, not a folder" in res.stderr


@pytest.mark.parametrize("command", [["template", "{d}/t.xlsx"], ["run", str(BASE), "--out", "{d}/r.xlsx"],
                                     ["sensitivity", "--top", "3", "--png", "{d}/t.png"]])
def test_unwritable_folder_is_bad_input_even_for_root(tmp_path, monkeypatch, command):
    """chmod does not stop root, so the folder's refusal is simulated where the write happens (mkstemp)."""
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    res = invoke(*[c.format(d=tmp_path) for c in command])
    assert res.exit_code == 2, res.output
    assert "is not writable" in res.stderr and "Permission denied" in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("budget", ["nan", "-5", "inf"])
def test_optimize_budget_must_be_a_finite_spend(budget):
    res = invoke("optimize", "--budget", budget)
    assert res.exit_code == 2
    assert "--budget must be a finite spend" in res.stderr
    assert "infeasible" not in res.output.lower()


# ----------------------------------------------------------------------------- wrong or silent


def test_workbook_without_the_reference_design_is_refused(tmp_path):
    path = book(tmp_path, lambda wb: wb["Designs"].delete_cols(7))  # the lfp column
    for args in (["validate", path], ["run", path, "--json"], ["run", path]):
        res = invoke(*args)
        assert res.exit_code == 2
        assert f"Plant!B{PLANT_ROW['reference_design']}" in res.stderr and "reference design 'lfp'" in res.stderr
        assert "nan" not in res.stdout.lower()


def _scenario_row(row: int, name: str, change: str, years: str = ""):
    def edit(wb):
        ws = wb["Scenarios"]
        ws.cell(row, 1, name)
        ws.cell(row, 2, change)
        ws.cell(row, 3, years)
    return edit


def test_scenario_year_error_is_reported_at_the_years_cell(tmp_path):
    path = book(tmp_path, _scenario_row(11, "later", "price.vc=x2", "20x7"))
    res = invoke("validate", path)
    assert res.exit_code == 2
    assert "Scenarios!C11: cannot read years '20x7'" in res.stderr
    assert "Scenarios!B11" not in res.stderr


def test_validate_lists_scenario_problems_with_the_other_sheets(tmp_path):
    def edit(wb):
        wb["Prices"]["C2"] = "abc"
        _scenario_row(11, "broken", "price.vc=/2")(wb)
    res = invoke("validate", book(tmp_path, edit))
    assert res.exit_code == 2
    assert "Prices!C2" in res.stderr and "Scenarios!B11" in res.stderr


def test_override_problem_is_named_once_at_its_cell(tmp_path):
    res = invoke("validate", book(tmp_path, _scenario_row(11, "typo", "price.li2c03=5")))
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if "li2c03" in ln]
    assert len(lines) == 1, res.stderr
    assert "Scenarios!B11: price.li2c03=5: unknown parameter" in lines[0]


def test_override_problem_in_some_years_says_which(tmp_path):
    res = invoke("validate", book(tmp_path, _scenario_row(11, "late", "price.nosuch=5", "2027")))
    assert res.exit_code == 2
    assert "(in 2027)" in res.stderr and len([ln for ln in res.stderr.splitlines() if "price.nosuch" in ln]) == 1


def test_toml_base_with_changes_is_refused(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[base]\nset = ["price.li2co3=60000"]\n')
    res = invoke("run", "--scenario-file", f)
    assert res.exit_code == 2
    assert f"{f} line 1 [base]" in res.stderr and "'base' is the data as given" in res.stderr
    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "sodium_ion.toml"
    assert "base" in load_scenarios([shipped])  # a [base] with a description only is fine


def test_workbook_base_row_with_a_change_is_refused(tmp_path):
    res = invoke("validate", book(tmp_path, _scenario_row(11, "base", "price.vc=x2")))
    assert res.exit_code == 2 and "Scenarios!B11" in res.stderr and "'base' is the data as given" in res.stderr


def test_toml_semantic_errors_name_the_file_and_line(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text(textwrap.dedent("""\
        # my scenarios
        [typo]
        description = "a typo"
        set = ["price.li2c03=60000"]

        [bad_number]
        set = [
          "price.vc=x2",
          "price.fec=nan",
        ]

        [zero]
        set = ["material.nfpp.capacity_ah_kg=0"]
        """))
    res = invoke("run", "--scenario-file", f, "--scenario", "all")
    assert res.exit_code == 2
    assert "bundled default data" not in res.stderr
    assert f"{f} line 4 [typo]: price.li2c03=60000: unknown parameter" in res.stderr
    assert f"{f} line 9 [bad_number]: price.fec=nan" in res.stderr
    assert f"{f} line 13 [zero]: material.nfpp.capacity_ah_kg=0" in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if "li2c03" in ln]) == 1


@pytest.mark.parametrize(("text", "accepted"), [("32,000", None), ("98.000", None), ("12,000", None), ("1,5", None),
                                                 ("32,000.5", 32000.5), ("1,234,567", 1234567.0), ("98000", 98000.0)])
def test_locale_ambiguous_number_text_in_a_cell(tmp_path, text, accepted):
    def edit(wb):
        wb["Prices"]["C2"] = text  # li2co3 2025 value, as text
        wb["Prices"]["E2"] = None  # no low/high: any positive value is in range
        wb["Prices"]["F2"] = None
    res = invoke("run", book(tmp_path, edit), "--json", "--design", "lfp")
    if accepted is None:
        assert res.exit_code == 2
        assert "Prices!C2" in res.stderr and ("ambiguous" in res.stderr or "decimal comma" in res.stderr)
        assert "1,234.5 or 1,234,567" in res.stderr  # the rule is in the message
    else:
        assert res.exit_code == 0, res.stderr
        assert strict_json(res.stdout)["results"]


def test_non_finite_costs_are_bad_input_never_null(tmp_path):
    f = tmp_path / "tiny.toml"
    f.write_text('[huge]\nset = ["price.*=1e308"]\n')
    res = invoke("run", "--scenario-file", f, "--scenario", "huge", "--json")
    assert res.exit_code == 2, res.stdout
    assert "null" not in res.stdout and "RuntimeWarning" not in res.stderr
    assert "scenario huge, 2025: the cost of nfpp is not a finite number" in res.stderr
    wb = tmp_path / "fx.xlsx"
    wb.write_bytes(set_cell_xml(BASE.read_bytes(), "FX", "B2", b"<v>5e-324</v>"))
    res = invoke("run", wb, "--json")
    assert res.exit_code == 2 and "FX!B2: expected CNY per USD between 0.01 and 1000" in res.stderr
    assert "no FX rate" not in res.stderr


def test_parse_number_rule():
    assert parse_number("32,000.5") == 32000.5
    assert parse_number("0.950") == 0.95  # a leading zero cannot be a thousands group
    for text in ("32,000", "1,5", "1.234,5", "1e999"):
        with pytest.raises(ValueError):
            parse_number(text)


@pytest.mark.parametrize("command", [
    ["run", "--out", "{f}.xlsx"],
    ["template", "{f}.xlsx"],
    ["whatif", "--set", "price.vc=x2", "--out", "{f}.xlsx"],
    ["sensitivity", "--top", "3", "--png", "{f}.png"],
    ["breakeven", "--png", "{f}.png"],
    ["optimize", "--out", "{f}.xlsx"],
])
def test_every_writer_refuses_an_existing_file_without_force(tmp_path, command):
    stem = tmp_path / "existing"
    args = [c.format(f=stem) for c in command]
    target = Path(next(a for a in args if a.startswith(str(stem))))
    target.write_bytes(b"keep me")
    res = invoke(*args)
    assert res.exit_code == 2
    assert "exists; pass --force to replace it" in res.stderr
    assert target.read_bytes() == b"keep me"
    res = invoke(*args, "--force")
    assert res.exit_code == 0, res.output
    assert target.read_bytes() != b"keep me"


def test_written_files_have_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        res = invoke("template", tmp_path / "t.xlsx")
        res2 = invoke("whatif", "--set", "price.vc=x2", "--png", tmp_path / "w.png")
    finally:
        os.umask(old)
    assert res.exit_code == 0 and res2.exit_code == 0
    assert (tmp_path / "t.xlsx").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "w.png").stat().st_mode & 0o777 == 0o644


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_dead_processes_are_removed_on_the_next_write(tmp_path):
    stale = tmp_path / f".results-{_dead_pid()}-abcd1234.xlsx.tmp"
    stale.write_bytes(b"half a workbook")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        kept = tmp_path / f".results-{live.pid}-efgh5678.xlsx.tmp"
        kept.write_bytes(b"being written")
        other = tmp_path / ".notes-123.txt.tmp"  # not ours
        other.write_bytes(b"x")
        res = invoke("template", tmp_path / "t.xlsx")
        assert res.exit_code == 0
        assert not stale.exists()
        assert kept.exists() and other.exists()
    finally:
        live.kill()
        live.wait()
    assert clean_stale_temporaries(tmp_path) == [kept]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_write_leaves_no_temporary(tmp_path, sig):
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from costmodel.io.atomic import atomic_path
        with atomic_path(Path({str(tmp_path / 'r.xlsx')!r})) as tmp:
            tmp.write_bytes(b"partial")
            print(tmp, flush=True)
            time.sleep(30)
        """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tmp = Path(proc.stdout.readline().strip())
    assert tmp.exists() and tmp.name.startswith(".r-")
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_ignored_hangup_does_not_break_a_write(tmp_path):
    """Under nohup SIGHUP is ignored: it must stay ignored, and the write must finish."""
    code = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from costmodel.io.atomic import atomic_path
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        with atomic_path(Path({str(tmp_path / 'r.png')!r})) as tmp:
            tmp.write_bytes(b"complete")
            os.kill(os.getpid(), signal.SIGHUP)
        """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.png").read_bytes() == b"complete"
    assert [p.name for p in tmp_path.iterdir()] == ["r.png"]


def test_atomic_path_restores_signal_handlers(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with atomic_path(tmp_path / "a.png") as tmp:
        tmp.write_bytes(b"x")
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


# ----------------------------------------------------------------------------- unclear messages


@pytest.mark.parametrize("stored", [b"NaN", b"INF", b"12abc"])
def test_raw_xml_non_number_names_the_cell(tmp_path, stored):
    path = tmp_path / "raw.xlsx"
    path.write_bytes(set_cell_xml(BASE.read_bytes(), "Prices", "C2", b"<v>" + stored + b"</v>", b' s="4"'))
    before = sha(path)
    res = invoke("validate", path)
    assert res.exit_code == 2
    assert f"Prices!C2: the cell's stored value {stored.decode()!r} is not a number" in res.stderr
    assert "invalid literal" not in res.stderr
    assert sha(path) == before


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
])
def test_entity_declarations_are_refused_as_unsafe(tmp_path, doctype):
    from tests.xlsx_tools import entries, pack

    parts = entries(BASE.read_bytes())
    xml = parts["xl/sharedStrings.xml"]
    head_end = xml.index(b"?>") + 2
    parts["xl/sharedStrings.xml"] = xml[:head_end] + doctype + xml[head_end:]
    path = tmp_path / "xxe.xlsx"
    path.write_bytes(pack(parts))
    res = invoke("validate", path)
    assert res.exit_code == 2
    assert "unsafe XML construct was refused" in res.stderr and "xl/sharedStrings.xml" in res.stderr


def test_merged_cells_in_a_table_are_named(tmp_path):
    def edit(wb):
        ws = wb["Designs"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "cathode_loading_mg_cm2")
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=5)
    res = invoke("validate", book(tmp_path, edit))
    assert res.exit_code == 2
    assert "Designs!D" in res.stderr and "merged cells in a table" in res.stderr


# ----------------------------------------------------------------------------- slow


def test_200000_price_rows_are_refused_fast_and_small(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(with_price_rows(BASE.read_bytes(), 200_000))
    code = ("import resource, sys, time; t = time.perf_counter()\n"
            "from costmodel.io.workbook import read_workbook\n"
            "from costmodel.validation import InputError\n"
            f"try:\n    read_workbook({str(path)!r})\nexcept InputError as exc:\n    print(exc.report())\n"
            "print('SECONDS', time.perf_counter() - t)\n"
            "status = open('/proc/self/status').read() if sys.platform == 'linux' else ''\n"
            "hwm = [int(x.split()[1]) for x in status.splitlines() if x.startswith('VmHWM:')]\n"
            "print('MB', (hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    out = proc.stdout
    assert f"Prices: the sheet reaches row {PRICE_ROWS + 200_000:,}" in out, out + proc.stderr
    seconds = float(out.split("SECONDS")[1].split()[0])
    mb = float(out.split("MB")[1].split()[0])
    assert seconds < 5 and mb < 500, (seconds, mb)


def test_heartbeat_reports_a_long_step_on_stderr():
    import io

    from costmodel.cli.common import Heartbeat

    err = io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        with Heartbeat("job", interval=0.2, quiet_for=0.0) as beat:
            beat.update("solving phase 1")
            time.sleep(0.7)
    finally:
        sys.stderr = old
    text = err.getvalue()
    assert "job: solving phase 1" in text and "job: still solving phase 1" in text


def test_optimize_reports_each_step_to_its_progress_callback():
    from costmodel import Model
    from costmodel.optimize.data import load_default
    from costmodel.optimize.path import optimize

    steps: list[str] = []
    model = Model()
    optimize(model, load_default("nfpp", model.dataset), progress=steps.append, explain=False)
    assert any("phase 1" in s and "combinations" in s for s in steps)
    assert any("phase 3" in s for s in steps)


# ----------------------------------------------------------------------------- CLI friction


def test_help_shows_flags_without_a_value():
    res = invoke("run", "--help")
    line = next(ln for ln in res.stdout.splitlines() if "--json" in ln)
    assert "<bool>" not in line
    res = invoke("run", "--json", "true")
    assert res.exit_code == 2 and "flags take no value: write --json, not --json true" in res.stderr


def test_whatif_writes_a_png(tmp_path):
    from PIL import Image

    png = tmp_path / "w.png"
    res = invoke("whatif", "--set", "price.li2co3=200000", "--png", png, "--out", tmp_path / "w.xlsx")
    assert res.exit_code == 0, res.output
    with Image.open(png) as im:
        assert im.format == "PNG" and im.width > 300
    assert "plot written to" in res.stderr


def test_optimize_table_fits_120_columns_when_not_a_terminal():
    res = invoke("optimize")
    assert res.exit_code == 0
    assert max(len(ln) for ln in res.stdout.splitlines()) <= 120


def test_input_never_changes(tmp_path):
    path = book(tmp_path)
    before = sha(path)
    for args in (["validate", path], ["run", path, "--json"], ["whatif", path, "--set", "price.vc=x2"]):
        invoke(*args)
    assert sha(path) == before
