"""The export writers and the export scope (services.exports, services.access), without HTTP."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import openpyxl
import pytest

from auditapp.errors import Forbidden
from auditapp.models import User
from auditapp.services import access
from auditapp.services.exports import Column, Sheet, WaveExport, csv_chunks, export_file_name, write_xlsx
from auditapp.services.exports import sheets as sheets_module
from auditapp.services.exports.writers import csv_cell

COLUMNS = (Column("name", "名称", "Name"), Column("score", "得分", "Score", "number"),
           Column("n", "数量", "Count", "integer"), Column("on", "日期", "Date", "date"),
           Column("ok", "达标", "Met", "boolean"))


def _sheet(rows: list[list], name: str = "items") -> Sheet:
    return Sheet(name, COLUMNS, lambda: iter(rows))


def test_a_sheet_longer_than_a_worksheet_continues_with_its_header(tmp_path):
    rows = [[f"行{i}", i / 3, i, date(2026, 8, 1 + i), i % 2 == 0] for i in range(7)]
    path = tmp_path / "book.xlsx"
    counts = write_xlsx([_sheet(rows)], str(path), max_rows=4)  # a header and three rows per worksheet
    assert counts == {"items": 7}
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["items", "items_2", "items_3"]
    values = [row for ws in book.worksheets for row in ws.iter_rows(min_row=2, values_only=True)]
    assert [v[0] for v in values] == [f"行{i}" for i in range(7)]
    for ws in book.worksheets:
        assert ws["A1"].value == "名称\nName" and ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:E{ws.max_row}"
    first = book["items"]
    assert first["B3"].value == pytest.approx(1 / 3, rel=1e-15) and first["B3"].number_format == "0.0"
    assert first["D3"].value == datetime(2026, 8, 2) and first["D3"].number_format == "yyyy-mm-dd"
    assert first["E2"].value is True and first["C3"].value == 1 and first["C3"].number_format == "0"
    # Widths follow the contents: a Chinese character counts as two columns.
    assert first.column_dimensions["A"].width > len("Name")


def test_text_that_looks_like_a_formula_stays_text():
    rows = [["=HYPERLINK(\"http://x\")", None, None, None, None], ["+1", None, None, None, None]]
    text = b"".join(csv_chunks(_sheet(rows))).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][0] == "'=HYPERLINK(\"http://x\")" and parsed[2][0] == "'+1"
    book_file = io.BytesIO()
    write_xlsx([_sheet(rows)], book_file)
    cell = openpyxl.load_workbook(io.BytesIO(book_file.getvalue()))["items"]["A2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"  # a string, never a formula


def test_csv_cells():
    assert [csv_cell(v) for v in (None, True, False, date(2026, 8, 3), 0.1 + 0.2, 7, "上海", "-3 分钟")] == [
        "", "TRUE", "FALSE", "2026-08-03", "0.30000000000000004", "7", "上海", "'-3 分钟"]


def test_csv_is_produced_in_chunks_with_one_bom():
    rows = [["经销商" * 20, 1.5, 1, None, True]] * 3000
    chunks = list(csv_chunks(_sheet(rows)))
    assert len(chunks) > 1 and chunks[0].startswith(b"\xef\xbb\xbf")
    assert all(not chunk.startswith(b"\xef\xbb\xbf") for chunk in chunks[1:])
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 3001 and "\ufeff" not in text


def test_file_names_are_ascii():
    assert export_file_name("2026-Q3", "sales_visit", "xlsx") == "auditapp-2026-Q3-sales_visit.xlsx"
    assert export_file_name("2026-Q3", "展厅 visit", "csv", "items") == "auditapp-2026-Q3-_visit-items.csv"
    assert export_file_name("2026-Q3", None, "xlsx") == "auditapp-2026-Q3-none.xlsx"


@pytest.mark.parametrize("role", ["shopper"])
def test_shoppers_export_nothing(role):
    with pytest.raises(Forbidden):
        access.results_scope(User(role=role))


def test_export_scopes(make_region, make_dealer, make_user):
    r1, r2 = make_region(), make_region()
    d1, d2 = make_dealer(region=r1), make_dealer(region=r2)
    staff = access.results_scope(make_user("qa"))
    assert staff.shopper and staff.sees_dealer(d2.id, r2.id) and staff.sees_region(r2.id)
    manager = access.results_scope(make_user("manager", regions=[r1]))
    assert not manager.shopper and manager.sees_dealer(d1.id, r1.id) and not manager.sees_dealer(d2.id, r2.id)
    assert manager.sees_region(r1.id) and not manager.sees_region(r2.id)
    dealer = access.results_scope(make_user("dealer", dealer=d1))
    other_in_region = make_dealer(region=r1)
    assert dealer.sees_dealer(d1.id, r1.id) and not dealer.sees_dealer(other_in_region.id, r1.id)
    assert dealer.sees_region(r1.id) and not dealer.sees_region(r2.id) and not dealer.shopper


def test_the_items_sheet_reads_answers_in_batches(db_session, make_dealer, make_wave, make_checklist_version,
                                                  make_published_audit, count_queries, monkeypatch):
    """Memory of the items sheet is one batch of audits' answers, however many audits the wave has."""
    wave, version, dealer = make_wave(code="2026-Q4"), make_checklist_version(), make_dealer()
    answers = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
               "written_quote": {"value": "yes", "attachments": ["a" * 64]}, "pressure": {"value": 5}}
    for day in range(1, 6):
        make_published_audit(answers, dealer=dealer, wave=wave, checklist_version=version,
                             visited=datetime(2026, 8, day, 3, tzinfo=timezone.utc))
    export = WaveExport(db_session, "2026-Q4", None, access.AGENCY_SCOPE, min_ranked=2)
    monkeypatch.setattr(sheets_module, "ITEM_BATCH_AUDITS", 2)
    rows = export.sheet("items").rows()
    with count_queries() as counter:
        first = next(rows)
    assert first[7] == "greeted" and counter.count <= 4  # one batch read (and its checklist), not the wave
    with count_queries() as counter:
        rest = list(rows)
    assert len(rest) == 5 * 5 - 1 and counter.count == 2 * 3  # two more batches of three queries
    assert [row[3] for row in [first, *rest]][::5] == [date(2026, 8, d) for d in range(1, 6)]
