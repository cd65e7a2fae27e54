"""Print layout for every sheet we write: landscape A4, fit to the page width, header rows repeated, charts kept whole.

xlsxwriter page setup is written into the file, so Excel and LibreOffice print (and render to PDF) the same way.
A chart is kept on one page by a horizontal page break before the rows it covers.
"""

from __future__ import annotations

from collections.abc import Iterable

A4 = 9
"""xlsxwriter paper code of A4."""


def print_layout(ws, *, header_rows: int = 1, repeat_columns: int = 0, landscape: bool = True,
                 breaks: Iterable[int] = (), title: str | None = None) -> None:
    """Set up ``ws`` (an xlsxwriter worksheet) for printing.

    Args:
        header_rows: rows at the top repeated on every page (0: none).
        repeat_columns: columns at the left repeated on every page (labels of wide tables).
        landscape: landscape orientation (default) or portrait.
        breaks: 0-based rows that start a block (a table with its chart); each block but the first starts a new page.
        title: page header text (the sheet name when omitted).
    """
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    if repeat_columns:
        ws.repeat_columns(0, repeat_columns - 1)
    rows = sorted({int(r) for r in breaks if r > 0})[1:]
    if rows:
        ws.set_h_pagebreaks(rows)
    ws.set_header(f"&L&8{title or '&A'}&R&8page &P of &N")
