"""Problems found in input data, collected and reported all at once.

A problem names where it is (``prices.csv line 12, column value`` or ``Prices!C12``) and
what was expected. Readers collect every problem before raising one ``InputError``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One input problem: where it is and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class InputError(Exception):
    """Input data that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem], source: str = "input") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.report())

    def report(self, limit: int = 200) -> str:
        """Human-readable list of the problems (at most ``limit`` lines)."""
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''} found"
        lines = [f"  - {p}" for p in self.problems[:limit]]
        if n > limit:
            lines.append(f"  ... and {n - limit} more")
        return "\n".join([head, *lines])


_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)?,\d+$")
DOT_THOUSANDS = re.compile(r"^\s*[+-]?[1-9]\d{0,2}\.\d{3}\s*%?\s*$")
"""Text such as ``98.000``: 98 with a decimal point, or 98,000 with a dot as thousands separator."""

NUMBER_TEXT_RULE = ("type numbers as numbers, or as text with a decimal point (32000, 32000.5, 0.95, 5%); "
                    "comma thousands separators only where they cannot be a decimal comma (1,234.5 or 1,234,567)")
"""The rule for numbers typed as text, quoted in every message that refuses one."""


class AmbiguousNumber(ValueError):
    """Number text whose meaning depends on the locale (``32,000``, ``98.000``, ``1,5``)."""


class NotFiniteNumber(ValueError):
    """Number text that overflows or is not a number (``1e999``, ``inf``)."""


def ambiguous_dot(value: object) -> str | None:
    """A problem message if ``value`` is text such as ``98.000`` typed into a workbook cell, else None.

    Only workbook cells are checked this way: a spreadsheet in a locale with a dot as thousands separator
    shows 98,000 as ``98.000``, while CSV files and overrides always use a decimal point.
    """
    if isinstance(value, str) and DOT_THOUSANDS.match(value):
        text = value.strip().rstrip("%").strip()
        return AmbiguousNumber(f"the text {value.strip()!r} is ambiguous: {text} with a decimal point, or {text.replace('.', '')} "
                               f"with a dot as thousands separator; {NUMBER_TEXT_RULE}").args[0]
    return None


def parse_number(value: object) -> float:
    """Parse a number from a cell or CSV field.

    Numbers are taken as they are. Text is read only where its meaning does not depend on the locale:

    - accepted: ``"12000"``, ``"0.95"``, ``"1e3"``, ``" 3.2 "``, ``"5%"`` (→ 0.05), and comma thousands
      separators where they cannot be a decimal comma: with a decimal point (``"1,234.5"``) or in two or
      more groups (``"1,234,567"``);
    - refused as ambiguous: one comma group without a decimal point (``"32,000"``: 32 or 32,000?) and a
      decimal comma (``"1,5"``, ``"1.234,5"``). Workbook cells are also checked with ``ambiguous_dot``
      (``"98.000"``).

    Raises:
        AmbiguousNumber: locale-ambiguous text, with the rule in the message.
        NotFiniteNumber: text that is not a finite number (``1e999``).
        ValueError: anything else that is not a number, with a message saying what was expected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found the logical value {value}")
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise NotFiniteNumber(f"expected a finite number, found {value}")
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        raise ValueError("expected a number, found an empty cell")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if _THOUSANDS.match(text) and ("." in text or text.count(",") >= 2):
        text = text.replace(",", "")
    elif _THOUSANDS.match(text):
        raise AmbiguousNumber(f"the text {str(value)!r} is ambiguous: {text.replace(',', '')} with a thousands separator, "
                              f"or {text.replace(',', '.')} with a decimal comma; {NUMBER_TEXT_RULE}")
    elif _DECIMAL_COMMA.match(text):
        raise AmbiguousNumber(f"the text {str(value)!r} has a decimal comma, which is not read; {NUMBER_TEXT_RULE}")
    if not _PLAIN.match(text):
        raise ValueError(f"expected a number, found text {str(value)!r}")
    number = float(text)
    if not math.isfinite(number):
        raise NotFiniteNumber(f"the text {str(value)!r} is not a finite number")
    return number / 100.0 if percent else number
