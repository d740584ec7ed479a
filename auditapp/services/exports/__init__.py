"""A wave's data for Excel (DESIGN 11): the sheets audits, items, dealers and gaps of one program, cut to
one reader's scope by services.access, written as .xlsx (constant memory) or CSV (UTF-8 with a BOM)."""
from .sheets import Cell, Column, Sheet, WaveExport
from .writers import csv_chunks, export_file_name, write_xlsx

__all__ = ["Cell", "Column", "Sheet", "WaveExport", "csv_chunks", "export_file_name", "write_xlsx"]
