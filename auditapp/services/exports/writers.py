"""Writing export sheets: an .xlsx workbook in constant memory, or one sheet as CSV, row by row.

Headers are one row, Chinese above English in the same cell ("经销商代码" / "Dealer code"): a single
header row is what Excel's filters, tables, pivot tables and Power Query take as column names (a
second header row would be read as data), and the people who open these files in China read the
Chinese first while the OEM's international staff read the English under it. The CSV header is the
same text on one line.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

import xlsxwriter

from .sheets import Cell, Column, Sheet

EXCEL_MAX_ROWS = 1_048_576  # rows of a worksheet, the header included
# Column widths follow the header and the first rows' contents (constant memory: no second pass).
WIDTH_SAMPLE_ROWS = 500
MIN_WIDTH, MAX_WIDTH = 6, 60
NUMBER_FORMATS = {"number": "0.0", "ratio": "0.00", "integer": "0", "date": "yyyy-mm-dd"}
KIND_WIDTHS = {"number": 8, "ratio": 6, "integer": 6, "date": 11, "boolean": 6}
# A text cell starting like a formula is one to Excel when it opens a CSV: written as text instead
# (OWASP's CSV injection advice), so a shopper's comment "=HYPERLINK(...)" stays a comment.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"  # how Excel recognises UTF-8 in a CSV: without it Chinese opens as mojibake
CSV_CHUNK_CHARACTERS = 64 * 1024


def display_width(text: str) -> int:
    """Columns a text takes in Excel: a Chinese character is about two Latin ones wide."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def export_file_name(wave_code: str, program: str | None, extension: str, sheet: str | None = None) -> str:
    """`auditapp-2026-Q3-sales_visit.xlsx`: ASCII only, so every browser and mail client keeps it."""
    parts = ["auditapp", wave_code, program or "none", *([sheet] if sheet else [])]
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", part) for part in parts) + f".{extension}"


class _SheetWriter:
    """One sheet into one or more worksheets: a sheet longer than Excel's limit continues in
    `items_2`, `items_3`... each with the same header."""

    def __init__(self, workbook: Any, sheet: Sheet, formats: dict[str, Any], max_rows: int):
        self.workbook, self.sheet, self.formats, self.max_rows = workbook, sheet, formats, max_rows
        self.parts = 0
        self.rows = 0  # data rows written, all parts
        self.widths = [max(MIN_WIDTH, KIND_WIDTHS.get(c.kind, 0), display_width(c.zh), display_width(c.en))
                       for c in sheet.columns]
        self._new_part()

    def _new_part(self) -> None:
        if self.parts:
            self._close_part()
        self.parts += 1
        name = self.sheet.name if self.parts == 1 else f"{self.sheet.name}_{self.parts}"
        self.worksheet = self.workbook.add_worksheet(name)
        self.row = 0
        self.worksheet.set_row(0, 30)  # two lines: Chinese, then English
        for col, column in enumerate(self.sheet.columns):
            self.worksheet.write_string(0, col, f"{column.zh}\n{column.en}", self.formats["header"])
        self.worksheet.freeze_panes(1, 0)

    def write(self, cells: list[Cell]) -> None:
        if self.row + 1 >= self.max_rows:
            self._new_part()
        self.row += 1
        self.rows += 1
        sample = self.rows <= WIDTH_SAMPLE_ROWS
        for col, (column, value) in enumerate(zip(self.sheet.columns, cells)):
            if value is None or value == "":  # a blank cell: what Excel's filter lists as (Blanks)
                continue
            if isinstance(value, bool):  # before int: a bool is an int
                self.worksheet.write_boolean(self.row, col, value)
            elif isinstance(value, date):
                self.worksheet.write_datetime(self.row, col, value, self.formats["date"])
            elif isinstance(value, (int, float)):
                self.worksheet.write_number(self.row, col, value, self.formats.get(column.kind))
            else:
                self.worksheet.write_string(self.row, col, value)
                if sample and self.widths[col] < MAX_WIDTH:
                    self.widths[col] = max(self.widths[col], display_width(value[:MAX_WIDTH]))

    def _close_part(self) -> None:
        for col, width in enumerate(self.widths):
            self.worksheet.set_column(col, col, min(MAX_WIDTH, width + 2))
        self.worksheet.autofilter(0, 0, self.row, len(self.sheet.columns) - 1)

    def finish(self) -> None:
        self._close_part()


def write_xlsx(sheets: Iterable[Sheet], target: str | IO[bytes], *, max_rows: int = EXCEL_MAX_ROWS,
               tmpdir: str | None = None) -> dict[str, int]:
    """Write the sheets into one workbook (a path or a binary file), each row flushed to disk as soon as
    the next begins (XlsxWriter's constant_memory mode). Numbers are stored at full precision and shown
    with one decimal (ratios two); dates are Excel dates. Returns the data rows of each sheet."""
    options: dict[str, Any] = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                               "strings_to_urls": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    workbook = xlsxwriter.Workbook(target, options)
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
    formats["header"] = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                             "bg_color": "#DDE5F0", "bottom": 1})
    counts: dict[str, int] = {}
    for sheet in sheets:
        writer = _SheetWriter(workbook, sheet, formats, max_rows)
        for cells in sheet.rows():
            writer.write(cells)
        writer.finish()
        counts[sheet.name] = writer.rows
    workbook.close()
    return counts


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # what Excel reads as its own booleans
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value)  # full precision: the shortest text that reads back as the same number
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_header(columns: Iterable[Column]) -> list[str]:
    return [f"{c.zh} {c.en}" for c in columns]


def csv_chunks(sheet: Sheet) -> Iterator[bytes]:
    """The sheet as CSV in UTF-8 with a BOM, produced as it is read: a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(CSV_BOM)
    writer.writerow(csv_header(sheet.columns))
    for cells in sheet.rows():
        writer.writerow([csv_cell(value) for value in cells])
        if buffer.tell() >= CSV_CHUNK_CHARACTERS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
