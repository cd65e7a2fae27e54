"""A raw look at the workbook's XML before openpyxl parses it.

Reading the zip entries as bytes (no XML parser) is fast and safe, and finds what the parser would
report badly or slowly:

- an unsafe XML construct: a ``DOCTYPE`` (entity declarations: billion laughs, external entities/XXE).
  Excel and LibreOffice never write one; defusedxml would refuse it too, but with a message that does
  not say why;
- a table sheet far too large to be a planner's table (rows or cells), refused before it is read;
- merged cells, named by their range;
- which sheets hold formulas (only those are read a second time, for formulas without cached values);
- when openpyxl cannot read a sheet: the cells whose stored number is not a number (``NaN``, ``12abc``).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from costmodel.validation import InputError, Problem

MAX_SHEET_ROWS = 10_000
"""Most rows a table sheet may span (the base workbook's largest table has under 200)."""
MAX_SHEET_CELLS = 200_000
"""Most stored cells a sheet may hold."""
LARGE_SHEETS: dict[str, tuple[int, int]] = {"Price history": (200_001, 1_600_008)}
"""Table sheets that may be longer (rows, cells): a price history of 200,000 quotes (ten years of daily quotes of 50 items)."""
_HEAD_BYTES = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DOCTYPE_UTF16 = ("<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"),
                  "<!DOCTYPE".encode("utf-16-be"), "<!ENTITY".encode("utf-16-be"))
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d+)\"")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})(\d+)\"")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\sref=\"([^\"]+)\"")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_NUMERIC_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>(.*?)</(?:\w+:)?c>", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class SheetScan:
    """What the raw XML of one worksheet shows.

    Attributes:
        title: the sheet's name.
        part: its zip entry (``xl/worksheets/sheet2.xml``).
        rows: the last row number used (or the count of rows without numbers).
        cells: stored cells.
        merged: merged ranges (``A5:B5``).
        formulas: True if any cell holds a formula.
    """

    title: str
    part: str
    rows: int
    cells: int
    merged: tuple[str, ...] = field(default=())
    formulas: bool = False


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1] if k != b"r:id" else "r:id": v.decode("utf-8", "replace") for k, v in _ATTR.findall(raw)}


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet title → worksheet zip entry, from xl/workbook.xml and its relationships."""
    try:
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return {}
    targets = {}
    for m in _REL.finditer(rels):
        a = _attrs(m.group(1))
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
    out = {}
    for m in _SHEET.finditer(book):
        a = _attrs(m.group(1))
        part = targets.get(a.get("r:id", a.get("id", "")))
        if "name" in a and part in names:
            out[_unescape(a["name"])] = part
    return out


def _count(data: bytes, tag: bytes) -> int:
    """Elements ``tag`` in ``data`` (with or without a namespace prefix), counted without a regex (fast on 100 MB)."""
    n = 0
    for lead in (b"<", b":"):
        for tail in (b" ", b">", b"/"):
            n += data.count(lead + tag + tail)
    return n


def _rows(data: bytes) -> int:
    """The last row number a sheet uses: the largest of the first and last ``<row r=...>`` (rows are stored in
    order) and the count of row elements (rows without numbers)."""
    rows = _count(data, b"row")
    first = _ROW_NUMBER.search(data)
    at = max(data.rfind(b"<row"), data.rfind(b":row "))
    last = _ROW_NUMBER.match(data, at) if at >= 0 else None
    for m in (first, last):
        if m is not None:
            rows = max(rows, int(m.group(1)))
    if b"<row" not in data and b":row" not in data:
        refs = _CELL_REF.findall(data[:_HEAD_BYTES * 16])
        rows = max([rows, *(int(r) for _, r in refs)])
    return rows


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def scan_package(path: Path, tables: set[str]) -> dict[str, SheetScan]:
    """Scan every XML entry for unsafe constructs and every worksheet for size, merges and formulas.

    Args:
        path: a file that passed ``check_workbook_file``.
        tables: the titles of the sheets that are tables (size limits and merged cells apply to them).

    Returns:
        Sheet title → ``SheetScan`` for every worksheet found.

    Raises:
        InputError: unsafe XML (naming the entry and its sheet), or table sheets too large; every problem at once.
            Merged cells are reported by ``merged_problems``, with the workbook's other problems.
    """
    try:
        return _scan(path, tables)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise InputError([Problem(path.name, f"cannot read the workbook: the package is damaged ({type(exc).__name__}: {exc})")],
                         str(path)) from None


def _scan(path: Path, tables: set[str]) -> dict[str, SheetScan]:
    problems: list[Problem] = []
    with zipfile.ZipFile(path) as zf:
        names = {i.filename for i in zf.infolist()}
        parts = _sheet_parts(zf, names)
        sheet_of = {part: title for title, part in parts.items()}
        for name in sorted(n for n in names if n.lower().endswith(_XML_SUFFIXES)):
            with zf.open(name) as fh:
                head = fh.read(_HEAD_BYTES)
            if _DOCTYPE.search(head) or any(mark in head for mark in _DOCTYPE_UTF16):
                entry = f"{name} (sheet {sheet_of[name]!r})" if name in sheet_of else name
                problems.append(Problem(path.name, f"{entry}: an unsafe XML construct was refused: a DOCTYPE with entity "
                                                   "declarations (entity expansion or external entity/XXE attack); Excel and "
                                                   "LibreOffice never write one; start from costmodel template "
                                                   "or the workbook's last good copy"))
        if problems:
            raise InputError(problems, str(path))
        scans: dict[str, SheetScan] = {}
        for title, part in parts.items():
            data = zf.read(part)
            scans[title] = SheetScan(title, part, _rows(data), _count(data, b"c"),
                                     tuple(m.decode("utf-8", "replace") for m in _MERGE.findall(data)) if b"mergeCell" in data else (),
                                     _count(data, b"f") > 0)
    for s in scans.values():
        if s.title not in tables:
            continue
        max_rows, max_cells = LARGE_SHEETS.get(s.title, (MAX_SHEET_ROWS, MAX_SHEET_CELLS))
        if s.rows > max_rows:
            problems.append(Problem(s.title, f"the sheet reaches row {s.rows:,}; a table sheet may span at most {max_rows:,} "
                                             "rows (is data pasted or formatted far below the table?); refused unread"))
        elif s.cells > max_cells:
            problems.append(Problem(s.title, f"the sheet holds {s.cells:,} cells; a table sheet may hold at most {max_cells:,}; "
                                             "refused unread"))
    if problems:
        raise InputError(problems, str(path))
    return scans


def merged_problems(scans: dict[str, SheetScan], tables: set[str]) -> list[Problem]:
    """Merged cells in the table sheets, one problem per range (reported with the rest, not refused unread)."""
    return [Problem(f"{s.title}!{ref}", "merged cells in a table: unmerge them (Home > Merge > Unmerge cells); "
                                        "each row needs its own value in every column")
            for s in scans.values() if s.title in tables for ref in s.merged]


def bad_numbers(path: Path, scan: SheetScan, limit: int = 20) -> list[Problem]:
    """Cells of a sheet stored as numbers whose stored value is not a number (``NaN``, ``INF``, ``12abc``)."""
    with zipfile.ZipFile(path) as zf:
        data = zf.read(scan.part)
    found: list[Problem] = []
    for i, m in enumerate(_NUMERIC_CELL.finditer(data)):
        attrs = _attrs(m.group(1))
        if attrs.get("t", "n") != "n":
            continue
        v = _VALUE.search(m.group(2))
        if v is None:
            continue
        text = v.group(1).decode("utf-8", "replace").strip()
        if text and not _NUMBER.match(text):
            ref = attrs.get("r") or f"cell {i + 1}"
            found.append(Problem(f"{scan.title}!{ref}", f"the cell's stored value {text!r} is not a number (the file marks it as "
                                                        "a number); retype the value and save the file again"))
            if len(found) >= limit:
                break
    return found
