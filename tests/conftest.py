"""Shared pytest hooks: the workbook fuzzer's count of mutated workbooks tried, in the terminal summary."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print how many mutated workbooks the fuzzer tried (``tests/test_fuzz_workbook.py``) and how long it took."""
    stats = getattr(config, "costmodel_fuzz", None)
    if stats:
        terminalreporter.write_line(
            f"workbook fuzzer: {stats['tried']:,} mutated workbooks tried ({stats['mutations']:,} mutations; "
            f"{stats['exit_0']:,} exit 0, {stats['exit_2']:,} exit 2, no traceback) in {stats['seconds']:.0f} s"
        )
