"""The parameter catalog: one row per parameter (name, unit, default, bounds, description).

The catalog drives the dataset's validation, the flat parameter names used by overrides,
and the workbook template. Design and material parameters are listed once each; their
values per design or material live in the dataset. Globals carry their default here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

SCOPES = ("design", "material", "region", "global")
TABLE_CHOICES = ("designs", "regions")
"""Choice sources that name a table's rows without an argument (the designs, the regions)."""
KINDS = ("number", "choice", "text")


@dataclass(frozen=True)
class ParameterSpec:
    """One catalog row.

    Attributes:
        name: parameter name within its scope (``np_ratio``).
        scope: ``design``, ``material``, ``region`` or ``global``.
        kind: ``number``, ``choice`` or ``text``.
        unit: unit of a number (``-`` for dimensionless).
        default: default value (number or choice), or None when every design must set it.
        lower, upper: inclusive bounds of a number.
        choices: for a choice, ``a|b|c`` or a source: ``items:<category>``,
            ``materials:<role>``, ``designs``.
        description: what the parameter means.
        source, date, status: provenance of the default.
    """

    name: str
    scope: str
    kind: str
    unit: str
    default: float | str | None
    lower: float
    upper: float
    choices: str
    description: str
    source: str
    date: str
    status: str

    def choice_source(self) -> tuple[str, str, tuple[str, ...]]:
        """A choice's allowed values as (kind, argument, literal values): ``materials:anode|none`` gives
        ``("materials", "anode", ("none",))`` (the anode materials, or none), ``items:salt`` gives ``("items", "salt", ())``
        ``designs`` gives ``("designs", "", ())`` and ``na|li`` gives ``("", "", ("na", "li"))``."""
        head, *literal = self.choices.split("|")
        kind, sep, arg = head.partition(":")
        if sep or (head in TABLE_CHOICES and not literal):
            return kind, arg, tuple(literal)
        return "", "", tuple(x for x in (head, *literal) if x)

    def check(self, value: float) -> str | None:
        """Return a problem message if ``value`` is out of bounds, else None."""
        if not math.isfinite(value):
            return f"{self.name} must be a finite number"
        if value < self.lower or value > self.upper:
            unit = f" {self.unit}" if self.unit and self.unit != "-" else ""  # '-' marks a dimensionless parameter
            return f"{self.name} = {value:g} is outside [{self.lower:g}, {self.upper:g}]{unit}"
        return None


def _text(v) -> str:
    return "" if pd.isna(v) else str(v)


@lru_cache(maxsize=1)
def load_catalog() -> dict[tuple[str, str], ParameterSpec]:
    """Read the packaged catalog: (scope, name) → spec."""
    with resources.files("costmodel.data").joinpath("catalog.csv").open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    specs: dict[tuple[str, str], ParameterSpec] = {}
    for row in frame.itertuples(index=False):
        default: float | str | None = row.default or None
        if row.kind == "number" and default is not None:
            default = float(default)
        specs[(row.scope, row.name)] = ParameterSpec(
            name=row.name,
            scope=row.scope,
            kind=row.kind,
            unit=row.unit,
            default=default,
            lower=float(row.lower) if row.lower else -math.inf,
            upper=float(row.upper) if row.upper else math.inf,
            choices=row.choices,
            description=row.description,
            source=_text(row.source),
            date=_text(row.date),
            status=_text(row.status),
        )
    return specs


def scope_specs(scope: str) -> list[ParameterSpec]:
    """Catalog rows of one scope, in catalog order."""
    return [s for (sc, _), s in load_catalog().items() if sc == scope]


def catalog_frame() -> pd.DataFrame:
    """The catalog as a DataFrame (for reports and the workbook template)."""
    return pd.DataFrame([s.__dict__ for s in load_catalog().values()])
