"""Atomic file writing: a temporary file in the target folder, then ``os.replace``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@contextmanager
def atomic_path(path: Path, protect: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it is removed.

    Raises:
        ValueError: if ``path`` is the protected input file.
    """
    path = Path(path)
    if protect is not None and path.resolve() == Path(protect).resolve():
        raise ValueError(f"{path} is the input workbook; results go to a new file")
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=f"{path.suffix}.tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the result the usual permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_frame(ws, frame, head, num) -> None:
    """Write a DataFrame to an xlsxwriter worksheet: header row, numbers as numbers, frozen header."""
    for j, c in enumerate(frame.columns):
        ws.write_string(0, j, str(c), head)
        ws.set_column(j, j, 60 if str(c) in ("value", "description", "change") else max(12, len(str(c)) + 2))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if isinstance(v, bool) or v is None or (isinstance(v, float) and v != v):
                ws.write_blank(i, j, None)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, float(v), num)
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, max(len(frame.columns) - 1, 0))


@dataclass(frozen=True)
class LineChart:
    """A native Excel line chart of columns of one written sheet.

    Attributes:
        sheet: the sheet whose table it plots (and where it is placed, right of the table).
        title, y_title: chart and value-axis titles.
        x: column of categories; ys: columns plotted as series (header as the series name).
    """

    sheet: str
    title: str
    x: str
    ys: tuple[str, ...]
    y_title: str = ""


def write_tables_workbook(path: Path, sheets: dict, images: dict | None = None, charts: tuple[LineChart, ...] = ()) -> Path:
    """Write DataFrames (sheet name → frame), native line charts of them and PNG images (sheet name → path)
    to a new .xlsx, atomically."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
        head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        num = wb.add_format({"num_format": "0.0####"})
        sheets_by_name = {}
        for name, frame in sheets.items():
            ws = wb.add_worksheet(name[:31])
            write_frame(ws, frame, head, num)
            sheets_by_name[name] = (ws, frame)
        for spec in charts:
            ws, frame = sheets_by_name[spec.sheet]
            cols = list(frame.columns)
            n = len(frame)
            chart = wb.add_chart({"type": "line"})
            sheet_ref = ws.get_name()
            for y in spec.ys:
                c = cols.index(y)
                chart.add_series({"name": [sheet_ref, 0, c], "categories": [sheet_ref, 1, cols.index(spec.x), n, cols.index(spec.x)],
                                  "values": [sheet_ref, 1, c, n, c], "marker": {"type": "circle"}})
            chart.set_title({"name": spec.title})
            chart.set_y_axis({"name": spec.y_title})
            ws.insert_chart(1, len(cols) + 1, chart)
        for name, png in (images or {}).items():
            wb.add_worksheet(name[:31]).insert_image(1, 1, str(png))
        wb.close()
    return path
