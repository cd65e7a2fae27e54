"""The command line: results on stdout, diagnostics on stderr, trustworthy exit codes."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from costmodel import Model
from costmodel.cli import app

runner = CliRunner()


def test_run_prints_every_design_with_cost_and_gap():
    out = runner.invoke(app, ["run"])
    assert out.exit_code == 0, out.output
    for d in ("nfpp", "o3", "pw", "lfp"):
        assert d in out.stdout
    assert "USD/kWh" in out.stdout and "CNY/Wh" in out.stdout and "gap to lfp" in out.stdout


def test_run_json_matches_the_engine():
    out = runner.invoke(app, ["run", "--json", "--year", "2026"])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    summary = Model().evaluate(2026).summary().set_index("design")
    for rec in data["results"]:
        assert rec["year"] == 2026
        assert rec["usd_per_kwh"] == pytest.approx(summary.loc[rec["design"], "usd_per_kwh"], rel=1e-12)
        assert len(rec["top_components"]) == 3
    lfp = next(r for r in data["results"] if r["design"] == "lfp")
    assert lfp["gap_usd_per_kwh"] == 0.0


def test_breakdown_json_components_add_up():
    out = runner.invoke(app, ["breakdown", "nfpp", "--json"])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert sum(c["usd_per_kwh"] for c in data["results"]) == pytest.approx(data["usd_per_kwh"], rel=1e-12)
    assert sum(c["share_pct"] for c in data["results"]) == pytest.approx(100.0)
    assert data["metrics"]["wh_per_kg"]["unit"] == "Wh/kg"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["breakdown", "nosuch"], "unknown design 'nosuch'"), (["run", "--year", "2031"], "2031 is not in the data")],
)
def test_bad_input_exits_2_with_message_on_stderr(args, message):
    proc = subprocess.run([sys.executable, "-m", "costmodel", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr


def test_help_does_not_import_heavy_modules():
    heavy = "('pandas', 'numpy', 'pyomo', 'matplotlib')"
    code = f"import sys; from costmodel.cli import app; print(sorted(m for m in {heavy} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]"
