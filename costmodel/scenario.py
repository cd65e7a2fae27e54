"""Scenarios: the base data plus overrides, optionally per year.

Override syntax (the same on the command line, in TOML files and in the workbook's Scenarios sheet):
    ``PATH=VALUE``   set a number (``price.li2co3=60000``; thousands separators allowed, an
                     unsigned ``8%`` means 0.08) or a choice (``design.nfpp.anode_material=hc_bamboo``)
    ``PATH=+20%``    relative change (also ``-15%``)
    ``PATH=x1.5``    multiply (also ``*1.5``, ``×1.5``)
    ``PATH=+40kt``   add (or ``-5kt``) an amount in the parameter's unit, written after the number (``+2GWh``,
                     ``+10000CNY/t``); the unit must be the parameter's own
    ``PATH@PERIOD=VALUE``  only in some periods: a year (``price.li2co3@2026=120000``), years (``@2026-2028``,
                     ``@2026,2028``) or months (``price.li2co3@2026-06=+15%``, ``@2026-06..2026-12``). Several such
                     overrides of one parameter give it a path. Year overrides apply to every month of the year;
                     month overrides only to the monthly history (``costmodel index``), not to whole years.

``*`` in a path matches within one name part: ``design.*.anode_material`` changes every design
that has that parameter, ``price.hc_*`` every hard-carbon price. A path that matches nothing is
an error. Prices are in the unit the item is quoted in (``price.li2co3`` in CNY/t).

TOML files hold one table per scenario::

    [lipf6_surge]
    description = "LiPF6 half as dear again"
    set = ["price.lipf6=x1.5"]
    [lipf6_surge.years]          # optional: overrides for some years only
    2027 = ["price.lipf6=x2"]
    "2026-2028" = ["price.vc=+10%"]
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

from costmodel.catalog import ParameterSpec, load_catalog
from costmodel.dataset import ParameterSet
from costmodel.engine.blend import NO_MATERIAL, SECOND, SHARE, blended
from costmodel.engine.formats import FORMAT_PARAMETERS, fit_problems
from costmodel.history.months import month_number, month_text
from costmodel.validation import AmbiguousNumber, InputError, NotFiniteNumber, Problem, parse_number

Op = Literal["set", "pct", "mul", "add"]

FORMS = "write PATH=VALUE, PATH=+20%, PATH=-15%, PATH=x1.5 or PATH=+40kt (an amount in the parameter's unit)"
"""The accepted override forms, quoted in error messages."""

ROLE_PROPERTY = {"cathode": "voltage_v", "anode": "ice"}
"""A property only materials of a role have (every cathode has a voltage, every anode a first-cycle efficiency):
how an override tells a cathode material from an anode material in the flat parameters."""

CHOICE_ITEMS = frozenset(
    {"salt", "cathode_binder", "anode_binder", "conductive_carbon", "cathode_foil", "anode_foil", "separator", "housing"}
)
"""Choice parameters naming a priced item (``price.<value>`` must exist); used when the catalog has no spec."""

TOML_KEYS = ("description", "set", "years")

_OVERRIDE = re.compile(r"^\s*([^=]*?)\s*=\s*(.*?)\s*$", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z0-9_*]+(\.[A-Za-z0-9_*]+)+$")
_PCT = re.compile(r"^([+-])\s*(.+?)\s*%$")
_MUL = re.compile(r"^[x*×]\s*(.+)$")
_ADD = re.compile(r"^([+-])\s*([0-9][0-9.,eE+-]*?)\s*([A-Za-z][A-Za-z0-9/²]*)$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TOML_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _num(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (no ``:g`` rounding)."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


@dataclass(frozen=True)
class Override:
    """One change: ``set`` a value, change it by ``pct`` percent, or ``mul``-tiply it.

    Attributes:
        path: flat parameter name or pattern (``price.li2co3``, ``design.*.np_ratio``).
        op: ``set``, ``pct`` (value in percent, +20 → ×1.2) or ``mul``.
        value: number, or text for a choice.
        years: the years it applies to; None for every year.
        months: the months (``YYYY-MM``) it applies to; None when it is not limited to months.
        where: where it was written (``Scenarios!B7``, ``my.toml line 4 [name]``); problems with it name this
            place. None when it came from the command line (the caller names the option).
    """

    path: str
    op: Op
    value: float | str
    years: tuple[int, ...] | None = None
    where: str | None = field(default=None, compare=False)
    months: tuple[str, ...] | None = None
    unit: str | None = None

    @property
    def text(self) -> str:
        """The override in its written form; ``parse_override(o.text)`` gives ``o`` back (years aside)."""
        if isinstance(self.value, str):
            return f"{self.path}={self.value}"
        if self.op == "pct":
            return f"{self.path}={'+' if self.value >= 0 else ''}{_num(self.value)}%"
        if self.op == "mul":
            return f"{self.path}=x{_num(self.value)}"
        if self.op == "add":
            return f"{self.path}={'+' if self.value >= 0 else ''}{_num(self.value)}{self.unit}"
        return f"{self.path}={_num(self.value)}"

    def applies_to(self, year: int, month: str | None = None) -> bool:
        """True if the override is active in ``year`` (or in ``month`` of it, for a monthly evaluation)."""
        if self.months is not None:
            return month is not None and month in self.months
        return self.years is None or year in self.years


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides, applied in order."""

    name: str
    description: str
    overrides: tuple[Override, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- parsing


def _finite(value: float, text: str, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"the {what} in {text!r} is not a finite number")
    return value


def parse_override(text: str, years: Iterable[int] | None = None, where: str | None = None) -> Override:
    """Parse ``PATH=VALUE``, ``PATH=+20%``, ``PATH=-15%`` or ``PATH=x1.5`` (also ``*1.5``, ``×1.5``).

    Args:
        text: the override as written.
        years: the years it applies to; None (or empty) for every year.
        where: where it was written (kept on the override for later problems).

    Raises:
        ValueError: with the accepted forms in the message.
    """
    try:
        o = _parse_override(text, years)
    except NotFiniteNumber as exc:
        raise ValueError(f"cannot read the value in {str(text)!r}: {exc}") from None
    except AmbiguousNumber as exc:
        raise ValueError(f"cannot read the value in {str(text)!r}: {exc}; {FORMS}") from None
    return o if where is None else replace(o, where=where)


def _parse_override(text: str, years: Iterable[int] | None) -> Override:
    raw = str(text)
    m = _OVERRIDE.match(raw)
    if not m or not m.group(1) or not m.group(2):
        raise ValueError(f"cannot read {raw!r}; {FORMS}")
    path, rhs = m.group(1), m.group(2)
    months = None
    if "@" in path:
        path, _, period = path.partition("@")
        if years:
            raise ValueError(f"{raw!r} gives its period twice (after @ and as years); give it once")
        years, months = parse_period(period, raw)
    if not _PATH.match(path):
        raise ValueError(f"{path!r} in {raw!r} is not a parameter path such as price.li2co3 or design.*.np_ratio; {FORMS}")
    yrs = tuple(dict.fromkeys(int(y) for y in years)) if years else None

    if pct := _PCT.match(rhs):
        size = _number(pct.group(2))
        if size is None:
            raise ValueError(f"cannot read the percentage in {raw!r}; {FORMS}")
        return Override(path, "pct", _finite(size if pct.group(1) == "+" else -size, raw, "percentage"), yrs, months=months)
    mul = _MUL.match(rhs)
    if mul or rhs in ("x", "*", "×"):
        factor = _number(mul.group(1)) if mul else None
        if factor is not None:
            return Override(path, "mul", _finite(factor, raw, "factor"), yrs, months=months)
        if not _NAME.match(rhs) or rhs == "x":  # a choice such as xsep starts with x too
            raise ValueError(f"cannot read the factor in {raw!r}; write PATH=x1.5")
    if add := _ADD.match(rhs):
        size = _number(add.group(2))
        if size is not None and not add.group(3).lower().startswith("e"):
            return Override(path, "add", _finite(size if add.group(1) == "+" else -size, raw, "amount"), yrs, months=months,
                            unit=add.group(3))
    if rhs[0] in "+-":
        raise ValueError(f"cannot read {raw!r}: write PATH=+20% or PATH=-15% for a change, PATH=+40kt to add an amount in the "
                         "parameter's unit, PATH=VALUE to set a value")
    value = _number(rhs)
    if value is not None:
        return Override(path, "set", _finite(value, raw, "value"), yrs, months=months)
    if _NAME.match(rhs):
        return Override(path, "set", rhs, yrs, months=months)
    if not (rhs[0].isalnum() or rhs[0] == "."):
        raise ValueError(f"unknown operation {rhs[0]!r} in {raw!r}; {FORMS}")
    raise ValueError(f"cannot read the value in {raw!r}; {FORMS}")


def parse_period(text: str, raw: str = "") -> tuple[tuple[int, ...] | None, tuple[str, ...] | None]:
    """The period after ``@``: (years, None) for ``2026``, ``2026-2028``, ``2026..2028``, ``2026,2028``;
    (None, months) for ``2026-06``, ``2026-06..2026-12``, ``2026-06,2026-09``.

    Raises:
        ValueError: anything else, a range that runs backwards, or years mixed with months.
    """
    rule = "write @2026, @2026-2028, @2026-06 or @2026-06..2026-12"
    years: list[int] = []
    months: list[str] = []
    for part in (p.strip() for p in str(text).split(",")):
        if m := re.fullmatch(r"(\d{4})(?:\s*(?:-|\.\.)\s*(\d{4}))?", part):
            a, b = int(m.group(1)), int(m.group(2) or m.group(1))
            if b < a:
                raise ValueError(f"the years {part!r} in {raw!r} run backwards")
            years.extend(range(a, b + 1))
        elif m := re.fullmatch(r"(\d{4}-\d{2})(?:\s*\.\.\s*(\d{4}-\d{2}))?", part):
            try:
                a, b = month_number(m.group(1)), month_number(m.group(2) or m.group(1))
            except ValueError as exc:
                raise ValueError(f"{exc} (in {raw!r})") from None
            if b < a:
                raise ValueError(f"the months {part!r} in {raw!r} run backwards")
            months.extend(month_text(n) for n in range(a, b + 1))
        else:
            raise ValueError(f"cannot read the period {part!r} in {raw!r}; {rule}")
    if years and months:
        raise ValueError(f"the period in {raw!r} mixes years and months; write one override for each")
    if any(not 1990 <= y <= 2100 for y in years) or any(not 1990 <= int(m[:4]) <= 2100 for m in months):
        raise ValueError(f"the period in {raw!r} must lie between 1990 and 2100")
    return (tuple(dict.fromkeys(years)) or None), (tuple(dict.fromkeys(months)) or None)


def _number(text: str) -> float | None:
    """``parse_number`` of ``text``, or None if it is not a number.

    Raises:
        ValueError: locale-ambiguous number text (``60,000``), with the accepted forms.
    """
    try:
        return parse_number(text)
    except (AmbiguousNumber, NotFiniteNumber):
        raise
    except ValueError:
        return None


# ----------------------------------------------------------------------------- applying


def _spec(name: str) -> ParameterSpec | None:
    """Catalog spec of a flat name: design.<d>.<p>, material.<m>.<p>, region.<r>.<p> or global.<p>."""
    parts = name.split(".")
    catalog = load_catalog()
    if parts[0] in ("design", "material", "region") and len(parts) == 3:
        return catalog.get((parts[0], parts[2]))
    if parts[0] == "global" and len(parts) == 2:
        return catalog.get(("global", parts[1]))
    return None


def _matcher(pattern: str) -> re.Pattern[str]:
    """``*`` matches within one dotted name part."""
    return re.compile("\\.".join(re.escape(part).replace("\\*", "[^.]*") for part in pattern.split(".")) + r"\Z")


def _targets(path: str, names: Sequence[str]) -> list[str]:
    if "*" in path:
        rx = _matcher(path)
        return [n for n in names if rx.match(n)]
    return [path] if path in names else []


def _hint(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


SUPPLY_SCOPES = ("segment", "capacity")
"""First parts of the supply model's parameter names (``segment.<name>.<prop>``, ``capacity.<material>.<prop>``):
applied by ``costmodel.supply.params.apply_supply``, skipped by the engine's overrides."""
OPTIMIZER_SCOPES = ("supplier", "lever", "route", "optimizer", "demand")
"""First parts of the optimizer tables' flat names (``supplier.<name>.capacity_kt``, ``optimizer.ramp_gwh_per_year``, ...):
applied by ``costmodel.optimize.overrides``, skipped by the engine's overrides."""


def apply_overrides(
    pset: ParameterSet, overrides: Iterable[Override | str], *, where: str = "override", month: str | None = None,
    skip: tuple[str, ...] = (*SUPPLY_SCOPES, *OPTIMIZER_SCOPES), units: Mapping[str, str] | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Apply overrides active in ``pset.year`` (and ``month``, for a monthly evaluation), in order; ``pset`` is never
    changed.

    Args:
        pset: the flat parameters of one year.
        overrides: ``Override`` objects (or their text, parsed here).
        where: where the overrides come from, used in every problem (``Scenarios!B7``, ``--set``).
        skip: first parts of paths applied elsewhere (the supply and optimizer parameters), passed over here.

    Returns:
        New (values, choices) dictionaries.

    Raises:
        InputError: with every problem found (unknown path, wrong kind of value, a price or FX
            rate that would not be positive, a value outside its catalog bounds, an unknown
            material or item for a choice).
    """
    values, choices = dict(pset.values), dict(pset.choices)
    problems: list[Problem] = []
    changed_at: dict[str, tuple[str, str]] = {}  # parameter -> (where, text) of the override that changed it last
    names = [*values, *choices]
    for item in overrides:
        if isinstance(item, Override):
            o = item
        else:
            try:
                o = parse_override(item)
            except ValueError as exc:
                problems.append(Problem(where, str(exc)))
                continue
        if not o.applies_to(pset.year, month) or o.path.split(".", 1)[0] in skip:
            continue
        at = o.where or where
        targets = _targets(o.path, names)
        if not targets:
            what = "pattern" if "*" in o.path else "parameter"
            problems.append(Problem(at, f"{o.text}: unknown {what} {o.path!r}{_hint(o.path, names)}"))
            continue
        for name in targets:
            if msg := _apply_one(name, o, values, choices, pset.designs, {**pset.units, **(units or {})}):
                problems.append(Problem(at, f"{o.text}: {msg}"))
            else:
                changed_at[name] = (at, o.text)
    if not problems:
        problems += _geometry_problems(pset, values, choices, where)
        problems += _blend_problems(pset, values, choices, changed_at)
    if problems:
        raise InputError(list(dict.fromkeys(problems)), where)
    return values, choices


def _geometry_problems(pset: ParameterSet, values: Mapping[str, float], choices: Mapping[str, str], where: str) -> list[Problem]:
    """A design whose changed format or dimensions can no longer hold an electrode stack."""
    out = []
    for design in pset.designs:
        prefix = f"design.{design}."
        fmt = choices.get(f"{prefix}cell_format")
        if fmt is None:
            continue
        keys = (f"{prefix}{p}" for p in (*FORMAT_PARAMETERS.get(fmt, ()), "cell_format"))
        if all(values.get(k) == pset.values.get(k) and choices.get(k) == pset.choices.get(k) for k in keys):
            continue  # unchanged: checked with the data
        d = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
        out += [Problem(where, f"design {design} ({fmt}): {msg}") for _, msg in fit_problems(fmt, d)]
    return out


def _blend_problems(pset: ParameterSet, values: Mapping[str, float], choices: Mapping[str, str],
                    changed_at: Mapping[str, tuple[str, str]]) -> list[Problem]:
    """A design whose changed blend share (``engine.blend``) is above 0 without a second anode material; reported at the
    override that changed the share (or the second material)."""
    out = []
    for design in pset.designs:
        share, second = f"design.{design}.{SHARE}", f"design.{design}.{SECOND}"
        if share not in changed_at and second not in changed_at:
            continue  # unchanged: checked with the data
        w = values.get(share, 0.0)
        if w > 0 and not blended(choices.get(second, NO_MATERIAL)):
            at, text = changed_at.get(share) or changed_at[second]
            out.append(Problem(at, f"{text}: design {design}: {SHARE} = {w:g} needs a second anode material, but {SECOND} is "
                                   f"{NO_MATERIAL}: also set {second} (e.g. =hc_bamboo), or keep the share at 0"))
    return out


def check_scenarios(scenarios: Iterable[Scenario], pset_of: Callable[[int], ParameterSet], years: Iterable[int],
                    source: str = "scenarios") -> None:
    """Apply every scenario in every year and report each problem once, at the place its override was written.

    A problem that occurs only in some years says which (``(in 2027)``).

    Raises:
        InputError: every problem of every scenario.
    """
    years = tuple(years)
    psets = {year: pset_of(year) for year in years}
    found: dict[Problem, list[int]] = {}
    for sc in scenarios:
        for year in years:
            try:
                apply_overrides(psets[year], sc.overrides, where=f"scenario {sc.name}")
            except InputError as exc:
                for p in exc.problems:
                    found.setdefault(p, []).append(year)
    if found:
        problems = [p if len(ys) == len(years) else Problem(p.where, f"{p.message} (in {', '.join(map(str, ys))})")
                    for p, ys in found.items()]
        raise InputError(problems, source)


def _check_choice(name: str, value: str, values: Mapping[str, float], designs: Sequence[str]) -> str | None:
    """Problem with choosing ``value`` for ``name`` that can be seen from the flat values, else None."""
    key = name.rsplit(".", 1)[-1]
    spec = _spec(name)
    source = spec.choices if spec is not None and spec.kind == "choice" else ""
    kind, arg, literal = spec.choice_source() if source else ("", "", ())
    if literal and value in literal and kind:
        return None  # a literal choice beside a table's names (anode_material_2=none)
    if kind == "materials" or (not source and key.endswith("_material")):
        known = sorted({k.split(".")[1] for k in values if k.startswith("material.")})
        if value not in known:
            return f"unknown material {value!r} for {name}{_hint(value, known)}"
        mark = ROLE_PROPERTY.get(arg)
        if mark is not None and f"material.{value}.{mark}" not in values:
            of_role = sorted(m for m in known if f"material.{m}.{mark}" in values)
            return f"{value} is not {'an' if arg[0] in 'aeiou' else 'a'} {arg} material, so it cannot be {name}; expected one of " \
                   f"{', '.join([*of_role, *literal])}"
    elif kind == "items" or (not source and key in CHOICE_ITEMS):
        known = sorted(k.removeprefix("price.") for k in values if k.startswith("price."))
        if value not in known:
            return f"unknown item {value!r} for {name}: there is no price.{value}{_hint(value, known)}"
    elif kind == "regions":
        known = sorted({k.split(".")[1] for k in values if k.startswith("region.")})
        if value not in known:
            return f"unknown region {value!r} for {name}; expected one of {', '.join(known)}"
    elif kind == "designs":
        if value not in designs:
            return f"unknown design {value!r} for {name}; expected one of {', '.join(designs)}"
    elif source and "|" in source:
        allowed = list(literal)
        if value not in allowed:
            return f"unknown {key} {value!r} for {name}; expected one of {', '.join(allowed)}"
    return None


def _unit_of(name: str, units: Mapping[str, str] | None) -> str | None:
    """The unit of a flat parameter: from ``units`` (the caller's table), else the catalog; None when unknown."""
    if units and name in units:
        return units[name]
    spec = _spec(name)
    return spec.unit if spec is not None and spec.unit else None


def _apply_one(name: str, o: Override, values: dict[str, float], choices: dict[str, str], designs: Sequence[str],
               units: Mapping[str, str] | None = None) -> str | None:
    """Apply ``o`` to one parameter; returns a problem message, or None on success."""
    if name in choices:
        if o.op != "set":
            return f"{name} is a choice; % and x changes need a number (set it to a name, e.g. {name}={choices[name]})"
        if not isinstance(o.value, str):
            return f"{name} is a choice; set it to a name, e.g. {name}={choices[name]}"
        if msg := _check_choice(name, o.value, values, designs):
            return msg
        choices[name] = o.value
        return None
    if isinstance(o.value, str):
        return f"{name} is a number; {o.value!r} is not"
    old = values[name]
    if o.op == "add":
        unit = _unit_of(name, units)
        if unit is None or unit == "-":
            return f"{name} has {'no unit' if unit == '-' else 'a unit the override cannot check'}; write the change as +20% or x1.2"
        if unit.replace(" ", "") != str(o.unit):
            return f"{name} is in {unit}, not {o.unit}; write the amount in {unit} (e.g. {name}=+{_num(abs(float(o.value)))}{unit})"
    if o.op == "set":
        new = o.value
    elif o.op == "add":
        new = old + float(o.value)
    elif o.op == "pct":
        new = old * (1 + o.value / 100)
    else:
        new = old * o.value
    if not math.isfinite(new):
        return f"{name} would become {new}; it must be a finite number"
    if name.startswith(("price.", "fx.")) and new <= 0:
        return f"{name} would become {new:g}; prices and FX rates must stay positive"
    if name.startswith("link.") and name.endswith(".driver_ref") and new <= 0:
        return f"{name} would become {new:g}; a reference price must stay positive"
    if name.startswith("link.") and name.endswith(".coefficient") and new < 0:
        return f"{name} would become {new:g}; a price link coefficient must not be negative"
    spec = _spec(name)
    if spec is not None and (msg := spec.check(new)):
        return msg
    values[name] = float(new)
    return None


# ----------------------------------------------------------------------------- sheets


def _cell(raw: object) -> str:
    """Text of a sheet cell: blank for None/NaN, ``2026`` for 2026.0."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def parse_years(text: object) -> tuple[int, ...] | None:
    """Parse a years cell: blank → None (every year); ``2026``; ``2026, 2027``; ``2026-2028``.

    Raises:
        ValueError: for anything else, or a range that runs backwards.
    """
    text = _cell(text)
    if not text:
        return None
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", text):
        if m := re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})", part):
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ValueError(f"year range {part!r} runs backwards")
            out.extend(range(a, b + 1))
        elif re.fullmatch(r"\d{4}(\.0)?", part):
            out.append(int(float(part)))
        else:
            raise ValueError(f"cannot read years {text!r}; write 2026, or 2026, 2027, or 2026-2028 (blank for every year)")
    if any(not 1990 <= y <= 2100 for y in out):
        raise ValueError(f"years {text!r} must lie between 1990 and 2100")
    return tuple(dict.fromkeys(out))


BASE = "base"
"""The scenario that is the data as given: it may be described but never changed."""


def _base_refused(what: str) -> str:
    return (f"{what}: 'base' is the data as given and cannot have changes; "
            "give the scenario another name (e.g. base_2026) and run it with --scenario")


def scenarios_from_rows(rows: Iterable[tuple[str | Mapping[str, str], object, object, object, object]]) -> dict[str, Scenario]:
    """Scenarios from the workbook's Scenarios sheet.

    Args:
        rows: ``(where, scenario, change, years, description)`` per row; ``where`` names the row's
            cells: a mapping column → cell (``{"change": "Scenarios!B7", "years": "Scenarios!C7"}``), or
            one cell used for every problem. One override per row; a row with a name but no change
            defines a scenario without overrides. The first non-blank description of a scenario is
            its description. A ``base`` row may not hold a change.

    Raises:
        InputError: with every problem found, each at its cell.
    """
    found: dict[str, list[Override]] = {}
    desc: dict[str, str] = {}
    problems: list[Problem] = []
    for where, name_raw, change_raw, years_raw, description_raw in rows:
        cells = where if isinstance(where, Mapping) else {}
        at_change = cells.get("change") or str(where)
        at_years = cells.get("years") or at_change
        name, change, description = _cell(name_raw), _cell(change_raw), _cell(description_raw)
        if not name:
            if change:
                problems.append(Problem(at_change, f"the change {change!r} has no scenario name"))
            continue
        found.setdefault(name, [])
        if description and not desc.get(name):
            desc[name] = description
        if not change:
            continue
        if name == BASE:
            problems.append(Problem(at_change, _base_refused(f"the change {change!r}")))
            continue
        try:
            years = parse_years(years_raw)
        except ValueError as exc:
            problems.append(Problem(at_years, str(exc)))
            continue
        try:
            found[name].append(parse_override(change, years, where=at_change))
        except ValueError as exc:
            problems.append(Problem(at_change, str(exc)))
    if problems:
        raise InputError(problems, "Scenarios sheet")
    return {n: Scenario(n, desc.get(n, ""), tuple(o)) for n, o in found.items()}


# ----------------------------------------------------------------------------- TOML files


def _string_list(raw: object, where: str, what: str, problems: list[Problem]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        problems.append(Problem(where, f"{what} must be a list of strings such as [\"price.vc=x2\"], found {raw!r}"))
        return []
    return raw


def _toml_lines(text: str) -> tuple[dict[str, int], list[str]]:
    """Line numbers (1-based) of the ``[name]`` table headers, and the file's lines."""
    lines = text.splitlines()
    heads: dict[str, int] = {}
    for i, line in enumerate(lines, start=1):
        if m := re.match(r"^\s*\[\s*[\"']?([^\]\"'.]+)[\"']?\s*\]", line):
            heads.setdefault(m.group(1).strip(), i)
    return heads, lines


def _line_of(text: str, lines: list[str], start: int) -> int | None:
    """Line (1-based) of the first quoted occurrence of ``text`` at or after line ``start``."""
    for quoted in (f'"{text}"', f"'{text}'", text):
        for i in range(max(start, 1) - 1, len(lines)):
            if quoted in lines[i]:
                return i + 1
    return None


def _from_toml(data: Mapping[str, object], source: str, text: str | None = None) -> dict[str, Scenario]:
    """Scenarios from parsed TOML; every problem is reported, with its line when the file's ``text`` is given."""
    out: dict[str, Scenario] = {}
    problems: list[Problem] = []
    heads, lines = _toml_lines(text) if text is not None else ({}, [])
    for name, body in data.items():
        head = heads.get(name)
        where = f"{source} line {head} [{name}]" if head else f"{source} [{name}]"
        if not isinstance(body, dict):
            problems.append(Problem(source, f"{name!r}: expected a table [{name}] with {', '.join(TOML_KEYS)}"))
            continue
        unknown = sorted(set(body) - set(TOML_KEYS))
        if unknown:
            problems.append(Problem(where, f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                                           f"expected {', '.join(TOML_KEYS)}"))
        description = body.get("description", "")
        if not isinstance(description, str):
            problems.append(Problem(where, f"description must be a string, found {description!r}"))
            description = str(description)
        texts: list[tuple[str, tuple[int, ...] | None]] = [(t, None) for t in _string_list(body.get("set", []), where, "set", problems)]
        per_year = body.get("years", {})
        if not isinstance(per_year, dict):
            problems.append(Problem(where, f"years must be a table such as [{name}.years] with 2027 = [...], found {per_year!r}"))
            per_year = {}
        for key, raw in per_year.items():
            try:
                years = parse_years(key)
            except ValueError as exc:
                problems.append(Problem(f"{where} years", str(exc)))
                continue
            texts += [(t, years) for t in _string_list(raw, f"{where} years", f"years.{key}", problems)]
        if name == BASE and texts:
            problems.append(Problem(where, _base_refused("[base]")))
            continue
        overrides: list[Override] = []
        for change, years in texts:
            line = _line_of(change, lines, head or 1) if lines else None
            at = f"{source} line {line} [{name}]" if line else where
            try:
                overrides.append(parse_override(change, years, where=at))
            except ValueError as exc:
                problems.append(Problem(at, str(exc)))
        out[name] = Scenario(name, description, tuple(overrides))
    if problems:
        raise InputError(problems, source)
    return out


def _read_toml(path: Path, problems: list[Problem]) -> tuple[dict[str, object], str] | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problems.append(Problem(str(path), "file not found"))
        return None
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot read the file: {exc.strerror or exc}"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "not valid TOML: the file is not UTF-8 text"))
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = _TOML_LINE.search(msg)
        where = f"{path} line {line.group(1)}" if line else str(path)
        problems.append(Problem(where, f"not valid TOML: {_TOML_LINE.sub('', msg)}" + (f" (column {line.group(2)})" if line else "")))
        return None


def load_scenarios(paths: Iterable[Path | str]) -> dict[str, Scenario]:
    """Scenarios from TOML files, in file order.

    Raises:
        InputError: with every problem in every file: unreadable file, TOML syntax error (with
            its line), unknown key, bad override, or a scenario name defined in two files
            (naming both).
    """
    out: dict[str, Scenario] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    files = [Path(p) for p in paths]
    for path in files:
        read = _read_toml(path, problems)
        if read is None:
            continue
        try:
            found = _from_toml(read[0], str(path), read[1])
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for name, sc in found.items():
            if name in out:
                problems.append(Problem(f"{path} [{name}]", f"scenario {name!r} is also defined in {origin[name]}"))
                continue
            out[name], origin[name] = sc, str(path)
    if problems:
        raise InputError(problems, str(files[0]) if len(files) == 1 else "scenario files")
    return out


# ----------------------------------------------------------------------------- bundled scenarios

PACKAGED_FILE = "scenarios.toml"


def bundled_scenarios_dir() -> Path:
    """Folder of the bundled scenario files.

    From a source checkout this is the repository's ``scenarios/`` folder (next to
    ``pyproject.toml``); in an installed package, where that folder does not exist, it is the
    package data folder, which holds the same scenarios as ``scenarios.toml``.
    """
    root = Path(__file__).resolve().parent.parent
    checkout = root / "scenarios"
    if (root / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return Path(str(resources.files("costmodel.data")))


def default_scenarios() -> dict[str, Scenario]:
    """The scenarios shipped with the package (``costmodel/data/scenarios.toml``, same text as ``scenarios/sodium_ion.toml``)."""
    text = resources.files("costmodel.data").joinpath(PACKAGED_FILE).read_text(encoding="utf-8")
    return _from_toml(tomllib.loads(text), f"costmodel/data/{PACKAGED_FILE}", text)
