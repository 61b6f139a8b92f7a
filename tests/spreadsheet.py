"""Files opened as a person opens them: in LibreOffice Calc, headless, in a given language.

`open_in_calc` converts a batch of CSV or XLSX files in one soffice call, with a private
user profile, to flat OpenDocument (.fods), and `read_fods` gives each cell as LibreOffice
read it: ("float", 18.0), ("date", "2026-11-02"), ("string", "Nguyễn Thị Mai") or None.
"""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

SOFFICE = shutil.which("soffice") or next(
    (p for p in ("/usr/bin/soffice",) if os.path.exists(p)), None
)
# Windows language ids, as LibreOffice's CSV filter takes them.
LANGUAGES = {"vi-VN": 1066, "en-US": 1033}
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def open_in_calc(files: list[Path], out: Path, profile: Path, language: str) -> list[Path]:
    """Open every file in LibreOffice with the language's settings and save it as .fods in
    `out`; returns the .fods paths in the order given. CSVs are read as Excel reads them:
    UTF-8 by its byte order mark, comma-separated, special numbers (dates) detected."""
    if not files:
        return []
    out.mkdir(parents=True, exist_ok=True)
    locale = language.replace("-", "_") + ".UTF-8"
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
    ]
    if all(f.suffix == ".csv" for f in files):
        # separator, quote, UTF-8, first line, no column types, language, quoted fields
        # not forced to text, detect special numbers (dates, as Excel always does).
        command.append(f"--infilter=CSV:44,34,76,1,,{LANGUAGES[language]},false,true")
    command += ["--convert-to", "fods", "--outdir", str(out), *map(str, files)]
    env = {**os.environ, "LC_ALL": locale, "LANG": locale, "LANGUAGE": language.split("-")[0]}
    done = subprocess.run(  # noqa: S603 - fixed arguments, files the test wrote
        command, env=env, capture_output=True, text=True, timeout=180
    )
    converted = [out / (f.stem + ".fods") for f in files]
    missing = [p.name for p in converted if not p.exists()]
    assert not missing, (missing, done.stdout, done.stderr)
    return converted


def _cell_text(cell) -> str:
    lines = []
    for paragraph in cell.iter(_q("text", "p")):
        parts = [paragraph.text or ""]
        for child in paragraph:
            if child.tag == _q("text", "s"):
                parts.append(" " * int(child.get(_q("text", "c"), "1")))
            else:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        lines.append("".join(parts))
    return "\n".join(lines)


def _cell(cell):
    kind = cell.get(_q("office", "value-type"))
    if kind is None:
        return None
    if kind in ("float", "percentage", "currency"):
        return ("float", float(cell.get(_q("office", "value"))))
    if kind == "date":
        return ("date", cell.get(_q("office", "date-value"))[:10])
    return ("string", _cell_text(cell))


def read_fods(path: Path) -> list[list]:
    """The first sheet's rows, each a list of cells as LibreOffice typed them."""
    root = ET.parse(path).getroot()  # noqa: S314 - written by LibreOffice from our files
    sheet = next(root.iter(_q("table", "table")))
    rows = []
    for row in sheet.iter(_q("table", "table-row")):
        cells = []
        for cell in row:
            if cell.tag not in (_q("table", "table-cell"), _q("table", "covered-table-cell")):
                continue
            repeat = int(cell.get(_q("table", "number-columns-repeated"), "1"))
            cells += [_cell(cell)] * min(repeat, 1_000)
        while cells and cells[-1] is None:
            cells.pop()
        repeat = int(row.get(_q("table", "number-rows-repeated"), "1"))
        rows += [cells] * (min(repeat, 1_000) if cells else 1)
    while rows and not rows[-1]:
        rows.pop()
    return rows
