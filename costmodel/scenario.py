"""Scenarios: the base data plus overrides, optionally per year.

Override syntax (the same on the command line, in TOML files and in the workbook's Scenarios sheet):
    ``PATH=VALUE``   set a number (``price.li2co3=60000``, thousands separators allowed) or a
                     choice (``design.nfpp.anode_material=hc_bamboo``)
    ``PATH=+20%``    relative change (also ``-15%``)
    ``PATH=x1.5``    multiply (also ``*1.5``, ``×1.5``)
``*`` in a path matches one name part: ``design.*.anode_foil=al_foil``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from costmodel.catalog import load_catalog
from costmodel.dataset import ParameterSet
from costmodel.validation import InputError, Problem, parse_number

Op = Literal["set", "pct", "mul"]
_OVERRIDE = re.compile(r"^\s*([A-Za-z0-9_.*]+)\s*=\s*(.+?)\s*$")
_PCT = re.compile(r"^([+-])\s*(\d+(?:\.\d*)?|\.\d+)\s*%$")
_MUL = re.compile(r"^[x*×]\s*(.+)$")
CHOICE_ITEMS = {"salt", "cathode_binder", "anode_binder", "conductive_carbon", "cathode_foil", "anode_foil", "separator", "housing"}


@dataclass(frozen=True)
class Override:
    """One change: ``set`` a value, change it by ``pct`` percent, or ``mul``-tiply it.

    Attributes:
        path: flat parameter name or pattern (``price.li2co3``, ``design.*.np_ratio``).
        op: ``set``, ``pct`` (value in percent, +20 → ×1.2) or ``mul``.
        value: number, or text for a choice.
        years: the years it applies to; None for every year.
    """

    path: str
    op: Op
    value: float | str
    years: tuple[int, ...] | None = None

    @property
    def text(self) -> str:
        """The override in its written form."""
        if self.op == "pct":
            return f"{self.path}={self.value:+g}%"
        if self.op == "mul":
            return f"{self.path}=x{self.value:g}"
        return f"{self.path}={self.value:g}" if isinstance(self.value, float) else f"{self.path}={self.value}"


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides."""

    name: str
    description: str
    overrides: tuple[Override, ...] = field(default_factory=tuple)


def parse_override(text: str, years: Iterable[int] | None = None) -> Override:
    """Parse ``PATH=VALUE``, ``PATH=+20%``, ``PATH=-15%`` or ``PATH=x1.5``.

    Raises:
        ValueError: with the accepted forms in the message.
    """
    m = _OVERRIDE.match(str(text))
    if not m:
        raise ValueError(f"cannot read {text!r}; write PATH=VALUE, PATH=+20%, PATH=-15% or PATH=x1.5")
    path, rhs = m.group(1), m.group(2)
    yrs = tuple(years) if years else None
    if pct := _PCT.match(rhs):
        value = float(pct.group(2)) * (1 if pct.group(1) == "+" else -1)
        return Override(path, "pct", value, yrs)
    if mul := _MUL.match(rhs):
        try:
            return Override(path, "mul", parse_number(mul.group(1)), yrs)
        except ValueError:
            raise ValueError(f"cannot read the factor in {text!r}; write PATH=x1.5") from None
    if rhs[0] in "+-":
        raise ValueError(f"cannot read {text!r}: write PATH=+20% or PATH=-15% for a change, PATH=VALUE to set a value")
    try:
        return Override(path, "set", parse_number(rhs), yrs)
    except ValueError:
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", rhs):
            return Override(path, "set", rhs, yrs)
        raise ValueError(f"cannot read the value in {text!r}; write PATH=VALUE, PATH=+20%, PATH=-15% or PATH=x1.5") from None


def _spec(path: str):
    parts = path.split(".")
    catalog = load_catalog()
    if parts[0] == "design" and len(parts) == 3:
        return catalog.get(("design", parts[2]))
    if parts[0] == "material" and len(parts) == 3:
        return catalog.get(("material", parts[2]))
    if parts[0] == "global" and len(parts) == 2:
        return catalog.get(("global", parts[1]))
    return None


def apply_overrides(
    pset: ParameterSet, overrides: Iterable[Override], *, where: str = "override"
) -> tuple[dict[str, float], dict[str, str]]:
    """Apply overrides for ``pset.year`` in order; returns new (values, choices). ALL problems are reported."""
    values, choices = dict(pset.values), dict(pset.choices)
    problems: list[Problem] = []
    names = list(values) + list(choices)
    for o in overrides:
        if o.years is not None and pset.year not in o.years:
            continue
        targets = [n for n in names if fnmatch.fnmatchcase(n, o.path)] if "*" in o.path else ([o.path] if o.path in names else [])
        if not targets:
            close = difflib.get_close_matches(o.path, names, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(Problem(where, f"{o.text}: unknown parameter {o.path!r}{hint}"))
            continue
        for name in targets:
            msg = _apply_one(name, o, values, choices)
            if msg:
                problems.append(Problem(where, f"{o.text}: {msg}"))
    if problems:
        raise InputError(problems, where)
    return values, choices


def _apply_one(name: str, o: Override, values: dict[str, float], choices: dict[str, str]) -> str | None:
    if name in choices:
        if o.op != "set" or not isinstance(o.value, str):
            return f"{name} is a choice; set it to a name, e.g. {name}={choices[name]}"
        key = name.rsplit(".", 1)[-1]
        if key.endswith("_material") and not any(v.startswith(f"material.{o.value}.") for v in values):
            return f"unknown material {o.value!r} for {name}"
        if key in CHOICE_ITEMS and f"price.{o.value}" not in values:
            return f"unknown item {o.value!r} for {name}"
        choices[name] = o.value
        return None
    if isinstance(o.value, str):
        return f"{name} is a number; {o.value!r} is not"
    old = values[name]
    new = o.value if o.op == "set" else old * (1 + o.value / 100) if o.op == "pct" else old * o.value
    if name.startswith(("price.", "fx.")) and new <= 0:
        return f"{name} would become {new:g}; prices and FX must stay positive"
    spec = _spec(name)
    if spec is not None and (msg := spec.check(new)):
        return msg
    values[name] = float(new)
    return None


# ----------------------------------------------------------------------------- files and sheets


def _years(text: str) -> tuple[int, ...] | None:
    text = str(text).strip()
    if not text:
        return None
    out: list[int] = []
    for part in re.split(r"[,;]\s*", text):
        part = part.strip()
        if m := re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})", part):
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ValueError(f"year range {part!r} runs backwards")
            out.extend(range(a, b + 1))
        elif re.fullmatch(r"\d{4}(\.0)?", part):
            out.append(int(float(part)))
        else:
            raise ValueError(f"cannot read years {text!r}; write 2026, or 2026, 2027, or 2026-2028")
    return tuple(out)


def scenarios_from_rows(rows: Iterable[tuple[str, str, str, str, str]]) -> dict[str, Scenario]:
    """Scenarios from sheet rows (where, scenario, change, years, description); a blank change = no override."""
    found: dict[str, list[Override]] = {}
    desc: dict[str, str] = {}
    problems: list[Problem] = []
    for where, name, change, years, description in rows:
        if not name:
            problems.append(Problem(where, "the change has no scenario name"))
            continue
        found.setdefault(name, [])
        desc.setdefault(name, description)
        if not change:
            continue
        try:
            found[name].append(parse_override(change, _years(years)))
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
    if problems:
        raise InputError(problems, "Scenarios sheet")
    return {n: Scenario(n, desc.get(n, ""), tuple(o)) for n, o in found.items()}


def _from_toml(data: Mapping[str, object], source: str) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for name, body in data.items():
        where = f"{source} [{name}]"
        if not isinstance(body, dict):
            problems.append(Problem(where, "expected a table with description, set and years"))
            continue
        unknown = set(body) - {"description", "set", "years"}
        if unknown:
            problems.append(Problem(where, f"unknown keys {', '.join(sorted(unknown))}; expected description, set, years"))
        overrides: list[Override] = []
        try:
            overrides += [parse_override(t) for t in body.get("set", [])]
            for year, texts in dict(body.get("years", {})).items():
                overrides += [parse_override(t, _years(str(year))) for t in texts]
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
        out[name] = Scenario(name, str(body.get("description", "")), tuple(overrides))
    if problems:
        raise InputError(problems, source)
    return out


def load_scenarios(paths: Iterable[Path]) -> dict[str, Scenario]:
    """Scenarios from TOML files; a name defined twice is an error naming both files."""
    out: dict[str, Scenario] = {}
    origin: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError([Problem(str(path), "file not found")], str(path)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError([Problem(str(path), f"not valid TOML: {exc}")], str(path)) from None
        for name, sc in _from_toml(data, str(path)).items():
            if name in out:
                raise InputError([Problem(str(path), f"scenario {name!r} is also defined in {origin[name]}")], str(path))
            out[name], origin[name] = sc, str(path)
    return out


def default_scenarios() -> dict[str, Scenario]:
    """The scenarios shipped with the package (same text as ``scenarios/sodium_ion.toml``)."""
    text = resources.files("costmodel.data").joinpath("scenarios.toml").read_text(encoding="utf-8")
    return _from_toml(tomllib.loads(text), "bundled scenarios")
