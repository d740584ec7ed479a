"""`auditapp export`: a wave's workbook or one sheet as CSV, everything as the agency sees it."""
from __future__ import annotations

from datetime import datetime, timezone

import openpyxl
import pytest
from fixtures.factories import small_checklist_document

ANSWERS = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45, "comment": "等了很久"},
           "written_quote": {"value": "yes", "attachments": ["a" * 64]}, "pressure": {"value": 3}}


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.fixture
def wave(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user):
    region = make_region()
    dealers = [make_dealer(region=region) for _ in range(2)]
    wave = make_wave(code="2026-Q3")
    version = make_checklist_version()
    shopper = make_user("shopper")
    for dealer in dealers:
        for day in (3, 4):
            make_published_audit(ANSWERS, dealer=dealer, wave=wave, checklist_version=version, shopper=shopper,
                                 visited=datetime(2026, 8, day, 3, tzinfo=timezone.utc))
    return {"dealers": dealers, "shopper": shopper, "wave": wave}


def test_export_writes_the_workbook(runner, wave, tmp_path):
    out = tmp_path / "wave.xlsx"
    result = runner.invoke(args=["export", "--wave", "2026-Q3", "--program", "mini", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "audits 4 rows, items 20 rows, dealers 2 rows" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["audits", "items", "dealers", "gaps"]
    assert book["audits"].cell(1, book["audits"].max_column).value == "神秘顾客\nShopper"
    assert book["audits"].cell(2, book["audits"].max_column).value == wave["shopper"].email
    assert not (tmp_path / "wave.xlsx.partial").exists()


def test_export_writes_one_sheet_as_csv(runner, wave, tmp_path):
    out = tmp_path / "items.csv"
    result = runner.invoke(args=["export", "--wave", "2026-Q3", "--out", str(out), "--sheet", "items"])
    assert result.exit_code == 0, result.output
    assert "items 20 rows" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "等了很久".encode() in data


def test_export_refusals(runner, wave, tmp_path, make_checklist_version, make_published_audit):
    cases = [
        (["--out", str(tmp_path / "x.txt")], "must end in .xlsx or .csv"),
        (["--out", str(tmp_path / "x.csv")], "--sheet"),
        (["--out", str(tmp_path / "x.xlsx"), "--sheet", "items"], "--sheet is for .csv"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=["export", "--wave", "2026-Q3", *extra])
        assert result.exit_code == 1 and message in result.output, result.output
    result = runner.invoke(args=["export", "--wave", "NOPE", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "no wave 'NOPE'" in result.output
    phone = make_checklist_version(small_checklist_document(key="phone"))
    make_published_audit(ANSWERS, dealer=wave["dealers"][0], wave=wave["wave"], checklist_version=phone)
    result = runner.invoke(args=["export", "--wave", "2026-Q3", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "mini, phone" in result.output
    assert not list(tmp_path.iterdir())
