"""Workbook edits at the zip and XML level, in memory (fast: no openpyxl load and save).

Shared by the hardening tests, the workbook fuzzer and ``benchmarks/bench_workbook.py``.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "workbooks" / "sodium_ion_base.xlsx"


def entries(data: bytes) -> dict[str, bytes]:
    """Zip entries of a package, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def pack(parts: dict[str, bytes], compress: bool = True) -> bytes:
    """A zip package of ``parts`` (deflated, or stored when ``compress`` is False)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet title → worksheet entry (only the sheets whose entries can be found: a broken package gives fewer)."""
    rel_xml, book = parts.get("xl/_rels/workbook.xml.rels", b""), parts.get("xl/workbook.xml", b"")
    rels = dict(re.findall(rb'Id="([^"]+)"[^>]*?Target="([^"]+)"', rel_xml))
    rels.update({k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*?Id="([^"]+)"', rel_xml)})
    out = {}
    for name, rid in re.findall(rb'<sheet name="([^"]+)"[^>]*?r:id="([^"]+)"', book):
        if rid not in rels:
            continue
        target = rels[rid].decode()
        out[name.decode()] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def price_rows_xml(first_row: int, n: int) -> bytes:
    """``n`` Prices rows (duplicates of li2co3 prices) from ``first_row`` on, as sheet XML with inline strings."""
    rows = []
    for k in range(n):
        r = first_row + k
        rows.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>li2co3</t></is></c><c r="B{r}"><v>{2025 + k % 4}</v></c>'
                    f'<c r="C{r}"><v>{98000 + k}</v></c><c r="D{r}" t="inlineStr"><is><t>CNY/t</t></is></c></row>')
    return "".join(rows).encode()


def with_price_rows(data: bytes, n: int) -> bytes:
    """The workbook ``data`` with ``n`` extra rows at the end of its Prices sheet (the hostile 200,000-row case)."""
    parts = entries(data)
    part = sheet_parts(parts)["Prices"]
    xml = parts[part]
    last = max(int(x) for x in re.findall(rb'<row r="(\d+)"', xml))
    xml = xml.replace(b"</sheetData>", price_rows_xml(last + 1, n) + b"</sheetData>", 1)
    xml = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:I{last + n}"/>'.encode(), xml, count=1)
    parts[part] = xml
    return pack(parts)


def set_cell_xml(data: bytes, sheet: str, ref: str, inner: bytes, attrs: bytes = b"") -> bytes:
    """Replace cell ``ref`` of ``sheet`` by ``<c r=ref attrs>inner</c>`` (the cell must exist)."""
    parts = entries(data)
    part = sheet_parts(parts)[sheet]
    xml, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(/>|>.*?</c>)', b'<c r="' + ref.encode() + b'"' + attrs + b">" + inner + b"</c>",
                     parts[part], count=1, flags=re.DOTALL)
    assert n == 1, f"{sheet}!{ref} not found"
    parts[part] = xml
    return pack(parts)
