"""Report file names are built from codes only, and refuse any that could leave the output folder
(issue 8, defect 9: a code stored before the API checked codes must not become `../..`)."""
from __future__ import annotations

import pytest

from auditapp.models import Dealer, Region
from auditapp.services.reports import ReportSource, UnsafeFileName


def source(region_code: str, dealer_code: str | None = None, lang: str = "zh",
           program: str = "sales_visit") -> ReportSource:
    region = Region(code=region_code, name_zh="区", name_en="R")
    dealer = Dealer(code=dealer_code, name_zh="经", name_en="D") if dealer_code is not None else None
    return ReportSource(kind="scorecard" if dealer else "region", wave_id=1, program=program, dealer=dealer,
                        region=region,
                        lang=lang, data={}, score_versions=[], content_digest="0")


def test_names_are_made_of_the_codes():
    assert source("EAST", "EA01").file_name == "EAST/scorecard-EA01-sales_visit-zh.pdf"
    assert source("EAST", lang="both").file_name == "EAST/region-report-EAST-sales_visit-both.pdf"


@pytest.mark.parametrize("region,dealer", [("../..", "D1"), ("EAST", "../../etc"), ("EAST", "a/b"),
                                           ("/abs", None), ("EAST", ".."), ("EA\\ST", None)])
def test_a_code_that_could_name_another_path_is_refused(region, dealer):
    with pytest.raises(UnsafeFileName):
        _ = source(region, dealer).file_name


@pytest.mark.parametrize("program", ["../x", "Sales", "a/b", ""])
def test_a_program_that_is_not_a_checklist_key_is_refused(program):
    with pytest.raises(UnsafeFileName):
        _ = source("EAST", "D1", program=program).file_name


def test_an_unknown_language_is_refused():
    with pytest.raises(UnsafeFileName):
        _ = source("EAST", "D1", lang="../x").file_name


def test_render_refuses_a_wave_code_that_is_not_a_code(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["reports", "render", "--wave", "../../x", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "not a wave code" in result.output
    assert list(tmp_path.iterdir()) == []
