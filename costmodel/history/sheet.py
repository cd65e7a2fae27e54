"""Write a price history into a copy of a workbook: the ``Price history`` sheet is replaced (or added), every other
part of the package is copied byte for byte, and the copy is written atomically to a new file.

Working on the package (zip) rather than loading and saving the whole workbook keeps everything the planner made
(formatting, comments, charts, names) and writes 100,000 rows in about a second. Text cells are inline strings.
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from costmodel.history.table import COLUMNS
from costmodel.io.atomic import atomic_path
from costmodel.io.layout import column_letter

SHEET = "Price history"
WIDTHS = {"date": 12, "item": 18, "price": 12, "unit": 10, "low": 12, "high": 12, "source": 90, "status": 12}
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_WS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*?/>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def history_rows(quotes: pd.DataFrame) -> list[tuple]:
    """The history as sheet rows (our columns, blank where a value is missing)."""
    cols = [quotes[c].tolist() if c in quotes.columns else [None] * len(quotes) for c in COLUMNS]
    return list(zip(*cols, strict=True))


def sheet_xml(rows: list[tuple]) -> bytes:
    """A worksheet part: a bold-free header row, frozen, filtered, numbers as numbers and text as inline strings."""
    last = f"{column_letter(len(COLUMNS) - 1)}{len(rows) + 1}"
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">',
           f'<dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">'
           '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>']
    out += [f'<col min="{j + 1}" max="{j + 1}" width="{WIDTHS[c]}" customWidth="1"/>' for j, c in enumerate(COLUMNS)]
    out.append("</cols><sheetData>")
    letters = [column_letter(j) for j in range(len(COLUMNS))]
    out.append(_row(1, COLUMNS, letters))
    for i, row in enumerate(rows, start=2):
        out.append(_row(i, row, letters))
    out.append(f'</sheetData><autoFilter ref="A1:{letters[-1]}{len(rows) + 1}"/></worksheet>')
    return "".join(out).encode("utf-8")


def _row(i: int, values, letters) -> str:
    cells = []
    for letter, v in zip(letters, values, strict=True):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            cells.append(f'<c r="{letter}{i}"><v>{float(v)!r}</v></c>')
        else:
            text = escape(_BAD_XML.sub("", str(v)))
            cells.append(f'<c r="{letter}{i}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    return f'<row r="{i}">{"".join(cells)}</row>'


def _sheet_part(zf: zipfile.ZipFile, name: str) -> tuple[str | None, str, str]:
    """(the part of sheet ``name`` or None, workbook.xml text, workbook.xml.rels text)."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*?/?>", rels):
        a = dict(_ATTR.findall(m.group(0)))
        targets[a.get("Id")] = a.get("Target", "")
    for m in _SHEET_TAG.finditer(book):
        a = dict(_ATTR.findall(m.group(0)))
        if _unescape(a.get("name", "")) == name:
            rid = next((v for k, v in a.items() if k.endswith(":id")), None)
            target = targets.get(rid, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            return part, book, rels
    return None, book, rels


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def write_history_workbook(source: Path, out: Path, quotes: pd.DataFrame) -> Path:
    """Copy ``source`` to ``out`` (atomically) with its Price history sheet holding ``quotes``; ``source`` is only read."""
    data = sheet_xml(history_rows(quotes))
    with zipfile.ZipFile(source) as zf:
        part, book, rels = _sheet_part(zf, SHEET)
        names = zf.namelist()
        replace: dict[str, bytes] = {}
        drop: set[str] = set()
        if part is not None:
            replace[part] = data
            rels_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
            if rels_part in names:  # the old sheet's own parts (table, comments, their drawing) go with it
                drop.add(rels_part)
                for m in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*?/?>", zf.read(rels_part).decode("utf-8")):
                    a = dict(_ATTR.findall(m.group(0)))
                    if a.get("TargetMode") != "External" and a.get("Target"):
                        target = a["Target"]
                        drop.add(target.lstrip("/") if target.startswith("/") else
                                 posixpath.normpath(posixpath.join(posixpath.dirname(part), target)))
                types = zf.read("[Content_Types].xml").decode("utf-8")
                for gone in drop:
                    types = re.sub(rf'<(?:\w+:)?Override\b[^>]*PartName="/{re.escape(gone)}"[^>]*/>', "", types)
                replace["[Content_Types].xml"] = types.encode("utf-8")
        else:
            n = 1
            while f"xl/worksheets/sheet{n}.xml" in names:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            ids = [int(i) for i in re.findall(r'sheetId="(\d+)"', book)] or [0]
            rid = "rIdHistory"
            while f'Id="{rid}"' in rels:
                rid += "x"
            tag = f'<sheet name={quoteattr(SHEET)} sheetId="{max(ids) + 1}" r:id="{rid}"/>'
            book = re.sub(r"</(\w+:)?sheets>", lambda m: tag + m.group(0), book, count=1)
            if 'xmlns:r="' not in book.split(">", 2)[1] and "xmlns:r=" not in book[:2000]:
                book = book.replace("<workbook ", f'<workbook xmlns:r="{_NS_REL}" ', 1)
            rel = f'<Relationship Id="{rid}" Type="{_WS_TYPE}" Target="worksheets/sheet{n}.xml"/>'
            rels = re.sub(r"</(\w+:)?Relationships>", lambda m: rel + m.group(0), rels, count=1)
            types = zf.read("[Content_Types].xml").decode("utf-8")
            types = re.sub(r"</(\w+:)?Types>", lambda m: f'<Override PartName="/{part}" ContentType="{_WS_CONTENT}"/>' + m.group(0),
                           types, count=1)
            replace.update({part: data, "xl/workbook.xml": book.encode("utf-8"), "xl/_rels/workbook.xml.rels": rels.encode("utf-8"),
                            "[Content_Types].xml": types.encode("utf-8")})
        with atomic_path(out, protect=source) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as dst:
                for info in zf.infolist():
                    if info.filename in drop:
                        continue
                    body = replace.pop(info.filename, None)
                    dst.writestr(info, body if body is not None else zf.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                for name, body in replace.items():
                    dst.writestr(name, body)
    return out
