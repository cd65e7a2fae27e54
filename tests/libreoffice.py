"""LibreOffice headless helpers for tests: recalculate a workbook on load, render to PDF.

A private user profile forces "always recalculate" for OOXML and ODF files, so the converted
copy holds LibreOffice's own results, not the cached values we wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    """Path of the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice path; skips the test without LibreOffice, but FAILS when CI is set (CI must not skip)."""
    exe = find_soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) not installed")
    return exe


def _convert(src: Path, outdir: Path, target: str) -> Path:
    return _convert_many([src], outdir, target)[0]


def _convert_many(srcs: list[Path], outdir: Path, target: str) -> list[Path]:
    """Convert several files in one LibreOffice start (much faster than one call per file)."""
    exe = require_soffice()
    profile = outdir / "lo_profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
           "--convert-to", target, "--outdir", str(outdir), *map(str, srcs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180 * len(srcs))
    ext = target.split(":")[0]
    outs = [outdir / f"{src.stem}.{ext}" for src in srcs]
    if proc.returncode != 0 or not all(out.exists() for out in outs):
        raise RuntimeError(f"LibreOffice conversion failed: {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return outs


def recalculate(xlsx: Path, outdir: Path) -> Path:
    """A copy of ``xlsx`` recalculated by LibreOffice on load and saved as .xlsx."""
    return _convert(xlsx, outdir, 'xlsx:Calc MS Excel 2007 XML')


def recalculate_many(xlsxs: list[Path], outdir: Path) -> list[Path]:
    """Copies of several workbooks recalculated by LibreOffice in one start (``outdir`` must not hold the sources)."""
    return _convert_many(list(xlsxs), outdir, 'xlsx:Calc MS Excel 2007 XML')


def render_pdf(xlsx: Path, outdir: Path) -> Path:
    """``xlsx`` rendered to PDF by LibreOffice."""
    return _convert(xlsx, outdir, "pdf")
