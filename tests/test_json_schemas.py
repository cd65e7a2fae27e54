"""Every command's --json output is strict JSON (no NaN) and matches the JSON Schema shipped with the package."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from costmodel.cli import app
from costmodel.schemas import load_schema, schema_names

runner = CliRunner()

COMMANDS = {
    "run": ["run", "--scenario", "all", "--year", "2025-2026"],
    "breakdown": ["breakdown", "nfpp"],
    "whatif": ["whatif", "--set", "price.vc=x2", "--set", "design.nfpp.np_ratio=1.2"],
    "sensitivity": ["sensitivity", "--design", "pw"],
    "montecarlo": ["montecarlo", "-n", "3000", "--seed", "3"],
    "breakeven": ["breakeven", "--param", "price.li2co3", "--a", "nfpp", "--b", "lfp"],
    "diff": ["diff", "base", "bamboo_switch"],
    "index": ["index", "--from", "2025-06"],
    "supply": ["supply", "--years", "2025-2027"],
    "optimize": ["optimize", "--pareto"],
}


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_every_command_with_json_has_a_schema():
    assert set(COMMANDS) | {"prices_import"} <= set(schema_names())
    for name in schema_names():
        Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_matches_its_schema(command):
    out = runner.invoke(app, [*COMMANDS[command], "--json"])
    assert out.exit_code == 0, out.output
    doc = _strict(out.stdout)
    errors = sorted(Draft202012Validator(load_schema(command)).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert doc["command"] == command and doc["schema_version"] == 1


def test_prices_import_json_matches_its_schema(tmp_path):
    (tmp_path / "f.csv").write_text("date,item,price,unit\n2026-03,vc,150000,CNY/t\n", encoding="utf-8")
    out = runner.invoke(app, ["prices", "import", str(tmp_path / "f.csv"), "--out", str(tmp_path / "n.xlsx"), "--json"])
    assert out.exit_code == 0, out.output
    doc = _strict(out.stdout)
    assert not list(Draft202012Validator(load_schema("prices import")).iter_errors(doc))


def test_a_cell_cost_has_one_name_everywhere():
    """The same quantity has the same key in every command: a cell cost is usd_per_kwh, the rows are results."""
    docs = {c: _strict(runner.invoke(app, [*args, "--json"]).stdout) for c, args in COMMANDS.items() if c not in ("supply", "optimize")}
    banned = {"total_usd_per_kwh", "whatif_usd_per_kwh", "base_usd_per_kwh", "cost_a", "cost_b", "cost_engine", "mean", "rows",
              "summary", "totals", "Path"}

    def keys(o):
        if isinstance(o, dict):
            for k, v in o.items():
                yield k
                yield from keys(v)
        elif isinstance(o, list):
            for v in o:
                yield from keys(v)

    for command, doc in docs.items():
        found = banned & set(keys({k: v for k, v in doc.items() if k not in ("results",)} | {"results": doc["results"]}))
        if command == "montecarlo":
            found -= {"mean"}  # the mean of the usd_per_kwh distribution
        assert not found, (command, found)
        assert isinstance(doc["results"], list)


@pytest.mark.parametrize("command, args", [
    ("optimize", ["optimize", "--budget", "40", "--set", "supplier.coconut_a.capacity_kt=x2"]),
    ("montecarlo", ["montecarlo", "-n", "4096", "--sampler", "sobol"]),
])
def test_budget_overrides_and_sobol_json_match_their_schema(command, args):
    """Issue 15 options: budget mode (phase 2, the budget in the binding list), --set in optimize, --sampler sobol."""
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    doc = _strict(out.stdout)
    assert not list(Draft202012Validator(load_schema(command)).iter_errors(doc))
    if command == "optimize":
        assert doc["spend_musd"] <= 40 and {"constraint": "budget"}.items() <= doc["binding"][-1].items()
    else:
        assert doc["sampler"] == "sobol"
