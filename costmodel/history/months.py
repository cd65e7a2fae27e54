"""Month arithmetic: ``YYYY-MM`` text and months counted from year 0."""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_number(text: str) -> int:
    """``YYYY-MM`` → months since year 0 (``2025-01`` → 24300).

    Raises:
        ValueError: text that is not a month.
    """
    m = _MONTH.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"cannot read the month {text!r}: write YYYY-MM, e.g. 2025-01")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_text(number: int) -> str:
    """Months since year 0 → ``YYYY-MM``."""
    year, m = divmod(int(number), 12)
    return f"{year:04d}-{m + 1:02d}"


def month_range(first: str, last: str) -> tuple[str, ...]:
    """Every month from ``first`` to ``last`` inclusive.

    Raises:
        ValueError: unreadable months, or a range that runs backwards.
    """
    a, b = month_number(first), month_number(last)
    if b < a:
        raise ValueError(f"the months run backwards: {first} is after {last}")
    return tuple(month_text(n) for n in range(a, b + 1))
