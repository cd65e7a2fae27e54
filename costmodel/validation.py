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


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(value: object) -> float:
    """Parse a number from a cell or CSV field.

    Accepts ints and floats, and text such as ``"12000"``, ``"12,000"`` (comma thousands
    separators in groups of three), ``"1,234.5"``, ``"5%"`` (→ 0.05) and ``" 3.2 "``.
    Ambiguous text such as ``"1,5"`` (a decimal comma?) is refused.

    Raises:
        ValueError: with a message saying what was expected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found the logical value {value}")
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise ValueError(f"expected a finite number, found {value}")
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        raise ValueError("expected a number, found an empty cell")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        raise ValueError(f"expected a number, found text {str(value)!r}")
    number = float(text)
    return number / 100.0 if percent else number
