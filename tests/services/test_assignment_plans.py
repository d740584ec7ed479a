"""Bulk assignment from a CSV plan: every row checked, every problem named by row and column, all or nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from fixtures.factories import small_checklist_document
from sqlalchemy import func, select

from auditapp.errors import Conflict, NotFound
from auditapp.limits import MAX_PLAN_BYTES, MAX_PLAN_ROWS
from auditapp.models import Audit, AuditEvent
from auditapp.services.assignment_plans import FILE, WHOLE_ROW, PlanRefused, import_plan, read_plan
from auditapp.services.assignments import assign

HEADER = "dealer,shopper,window_start,window_end,checklist,version"
ROTATION_DAYS = 60


def csv_bytes(*lines: str, header: str = HEADER, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join((header, *lines)) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


@pytest.fixture
def setting(db_session, make_dealer, make_user, make_wave, make_checklist_version):
    """Two dealers, two shoppers, a wave and checklist `mini` loaded in versions 1 and 2."""
    v1 = make_checklist_version(small_checklist_document("mini", 1))
    v2 = make_checklist_version(small_checklist_document("mini", 2))
    return {"d1": make_dealer(), "d2": make_dealer(), "s1": make_user("shopper"), "s2": make_user("shopper"),
            "wave": make_wave(), "v1": v1, "v2": v2, "qa": make_user("qa")}


def run(db_session, setting, data: bytes, actor=None):
    return import_plan(db_session, actor or setting["qa"], setting["wave"].code, data, rotation_days=ROTATION_DAYS)


def refused(db_session, setting, data: bytes) -> PlanRefused:
    with pytest.raises(PlanRefused) as caught:
        run(db_session, setting, data)
    return caught.value


def audits_in_wave(db_session, wave) -> list[Audit]:
    return list(db_session.scalars(select(Audit).where(Audit.wave_id == wave.id).order_by(Audit.visit_window_start)))


def test_a_good_plan_creates_exactly_its_rows(db_session, setting):
    d1, d2, s1, s2 = setting["d1"], setting["d2"], setting["s1"], setting["s2"]
    data = csv_bytes(f"{d1.code},{s1.email},2026-08-01,2026-08-14,mini,1",
                     f"{d2.code},{s1.email},2026-08-03,2026-08-10,mini,",
                     f"{d1.code},{s2.email.upper()},2026-09-01,2026-09-07,mini,2")
    result = run(db_session, setting, data)
    assert result.rows == [2, 3, 4]
    audits = audits_in_wave(db_session, setting["wave"])
    assert [(a.dealer_id, a.shopper_id, a.visit_window_start, a.visit_window_end, a.checklist_version_id, a.status)
            for a in audits] == [
        (d1.id, s1.id, date(2026, 8, 1), date(2026, 8, 14), setting["v1"].id, "assigned"),
        # no version: the latest loaded one
        (d2.id, s1.id, date(2026, 8, 3), date(2026, 8, 10), setting["v2"].id, "assigned"),
        # emails are matched as they are stored, in lower case
        (d1.id, s2.id, date(2026, 9, 1), date(2026, 9, 7), setting["v2"].id, "assigned"),
    ]
    assert {a.id for a in result.audits} == {a.id for a in audits}
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.audit_id.in_([a.id for a in audits]))).all()
    assert sorted((e.kind, e.actor_id) for e in events) == [("assigned", setting["qa"].id)] * 3


def test_one_bad_row_among_good_ones_writes_nothing_and_names_the_row(db_session, setting):
    d1, d2, s1 = setting["d1"], setting["d2"], setting["s1"]
    data = csv_bytes(f"{d1.code},{s1.email},2026-08-01,2026-08-14,mini,1",
                     f"NOPE,{s1.email},2026-08-01,2026-08-14,mini,1",
                     f"{d2.code},{s1.email},2026-08-01,2026-08-14,mini,1")
    error = refused(db_session, setting, data)
    assert error.status == 422 and error.code == "plan.refused"
    assert error.errors == {"3": {"dealer": ["no dealer has the code NOPE"]}}
    assert audits_in_wave(db_session, setting["wave"]) == []
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_every_problem_is_reported_in_row_order_in_both_languages(db_session, setting, make_user):
    d1, s1 = setting["d1"], setting["s1"]
    qa = make_user("qa")
    data = csv_bytes(f"{d1.code},nobody@example.com,2026-08-01,2026-08-14,mini,",
                     f"{d1.code},{qa.email},2026-08-01,31/08/2026,quiz,",
                     f"{d1.code},{s1.email},2026-08-20,2026-08-10,mini,7")
    error = refused(db_session, setting, data)
    assert [(p.row, p.column) for p in error.problems] == [
        (2, "shopper"), (3, "shopper"), (3, "window_end"), (3, "checklist"), (4, "window_end"), (4, "version")]
    assert error.errors["3"] == {
        "shopper": [f"{qa.email} is a user of role qa, not a shopper"],
        "window_end": ["not a date: write it as YYYY-MM-DD, e.g. 2026-08-01"],
        "checklist": ["no version of checklist quiz is loaded"]}
    assert [p.located().render("zh") for p in error.problems][4:] == [
        "第 4 行，window_end 列：到访时段的结束日期早于开始日期（2026-08-20）",
        "第 4 行，version 列：检查表 mini v7 尚未加载"]
    assert error.message.render("zh") == "分派计划未被接受，未创建任何分派；按行和列列出的问题共 6 处"


@pytest.mark.parametrize("cells,column,message", [
    ("D_CODE,,2026-08-01,2026-08-14,mini,", "shopper", "a value is required"),
    (",S1,2026-08-01,2026-08-14,mini,", "dealer", "a value is required"),
    ("D_CODE,S1,,2026-08-14,mini,", "window_start", "a value is required"),
    ("D_CODE,S1,2026-08-01,2026-08-14,,", "checklist", "a value is required"),
    ("D_CODE,S1,2026-02-30,2026-08-14,mini,", "window_start", "not a date: write it as YYYY-MM-DD, e.g. 2026-08-01"),
    ("D_CODE,S1,next monday,2026-08-14,mini,", "window_start", "not a date: write it as YYYY-MM-DD, e.g. 2026-08-01"),
    ("D_CODE,S1,1999-12-31,2026-08-14,mini,", "window_start",
     "Must be greater than or equal to 2000-01-01 and less than or equal to 2100-12-31."),
    ("D_CODE,S1,2026-08-01,2101-01-01,mini,", "window_end",
     "Must be greater than or equal to 2000-01-01 and less than or equal to 2100-12-31."),
    ("D_CODE,S1,2026-08-14,2026-08-13,mini,", "window_end", "the window ends before it starts (2026-08-14)"),
    ("D_CODE,S1,2026-08-01,2026-08-14,mini,two", "version", "must be a whole number from 1"),
    ("D_CODE,S1,2026-08-01,2026-08-14,mini,0", "version", "must be a whole number from 1"),
    ("D_CODE,S1,2026-08-01,2026-08-14,mini,99999999999", "version", "must be a whole number from 1"),
    ("D_CODE,S1,2026-08-01,2026-08-14,mini,3", "version", "checklist mini v3 is not loaded"),
    ("D_CODE,S1,2026-08-01,2026-08-14,other,1", "checklist", "no version of checklist other is loaded"),
    ("D_CODE,S1,2026-08-01,2026-08-14,mini,1,extra", WHOLE_ROW, "more values than the header has columns"),
])
def test_each_kind_of_row_problem(db_session, setting, cells, column, message):
    line = cells.replace("D_CODE", setting["d1"].code).replace("S1", setting["s1"].email)
    error = refused(db_session, setting, csv_bytes(line))
    assert error.errors == {"2": {column: [message]}}


def test_shoppers_that_cannot_be_assigned(db_session, setting, make_user):
    inactive = make_user("shopper", active=False)
    dealer_user = make_user("dealer", dealer=setting["d1"])
    d = setting["d1"].code
    error = refused(db_session, setting, csv_bytes(f"{d},{inactive.email},2026-08-01,2026-08-14,mini,",
                                                   f"{d},{dealer_user.email},2026-08-01,2026-08-14,mini,",
                                                   f"{d},someone@example.com,2026-08-01,2026-08-14,mini,"))
    assert error.errors == {
        "2": {"shopper": [f"the shopper {inactive.email} is deactivated"]},
        "3": {"shopper": [f"{dealer_user.email} is a user of role dealer, not a shopper"]},
        "4": {"shopper": ["no user has the email someone@example.com"]}}


def test_rotation_against_stored_audits(db_session, setting, make_audit):
    d1, s1 = setting["d1"], setting["s1"]
    make_audit(dealer=d1, shopper=s1, checklist_version=setting["v1"],
               visit_window_start=date(2026, 8, 1), visit_window_end=date(2026, 8, 14))
    # 2026-08-14 + 60 days = 2026-10-13: a window starting then is just far enough, a day earlier is not.
    error = refused(db_session, setting, csv_bytes(f"{d1.code},{s1.email},2026-10-12,2026-10-20,mini,",
                                                   f"{setting['d2'].code},{s1.email},2026-08-01,2026-08-14,mini,"))
    assert error.errors == {"2": {"shopper": [
        "this shopper already has a visit to this dealer within 60 days (2026-08-01 to 2026-08-14)"]}}
    run(db_session, setting, csv_bytes(f"{d1.code},{s1.email},2026-10-13,2026-10-20,mini,"))
    assert len(audits_in_wave(db_session, setting["wave"])) == 1


def test_rotation_between_rows_of_the_plan_and_duplicates(db_session, setting):
    d1, d2, s1, s2 = setting["d1"], setting["d2"], setting["s1"], setting["s2"]
    data = csv_bytes(f"{d1.code},{s1.email},2026-08-01,2026-08-14,mini,",
                     f"{d1.code},{s2.email},2026-08-01,2026-08-14,mini,",  # another shopper: fine
                     f"{d2.code},{s1.email},2026-08-01,2026-08-14,mini,",  # another dealer: fine
                     f"{d1.code},{s1.email},2026-10-12,2026-10-15,mini,",  # 59 days after row 2's window
                     f"{d1.code},{s2.email},2026-08-01,2026-08-14,mini,",  # row 3 again
                     f"{d2.code},{s1.email},2026-10-13,2026-10-15,mini,")  # 60 days: fine
    error = refused(db_session, setting, data)
    assert error.errors == {
        "5": {"shopper": ["rotation rule: row 2 already sends this shopper to this dealer within 60 days "
                          "(2026-08-01 to 2026-08-14)"]},
        "6": {WHOLE_ROW: ["the same assignment as row 3"]}}
    assert error.problems[0].located().render("zh") == (
        "第 5 行，shopper 列：轮换规则：第 2 行已安排该神秘顾客在 60 天内到访该经销商（2026-08-01 至 2026-08-14）")


@pytest.mark.parametrize("start,clashes", [(date(2026, 10, 12), True), (date(2026, 10, 13), False),
                                           (date(2026, 4, 30), False), (date(2026, 5, 1), True)])
def test_the_plan_applies_the_rule_of_a_single_assignment(db_session, setting, start, clashes):
    """The same windows give the same verdict from assign() and from a plan (the rule is written once)."""
    d1, s1, v1, wave = setting["d1"], setting["s1"], setting["v1"], setting["wave"]
    assign(db_session, setting["qa"], dealer_id=d1.id, wave_id=wave.id, checklist={"key": "mini", "version": 1},
           shopper_id=s1.id, visit_window_start=date(2026, 7, 1), visit_window_end=date(2026, 8, 14),
           rotation_days=ROTATION_DAYS)
    end = start + timedelta(days=2)
    single = None
    try:
        with db_session.begin_nested():
            assign(db_session, setting["qa"], dealer_id=d1.id, wave_id=wave.id,
                   checklist={"key": "mini", "version": v1.version}, shopper_id=s1.id, visit_window_start=start,
                   visit_window_end=end, rotation_days=ROTATION_DAYS)
            raise RuntimeError("undo")  # only the verdict matters here
    except Conflict:
        single = True
    except RuntimeError:
        single = False
    plan_clash = None
    try:
        with db_session.begin_nested():
            run(db_session, setting, csv_bytes(f"{d1.code},{s1.email},{start},{end},mini,1"))
            plan_clash = False
            raise RuntimeError("undo")
    except PlanRefused:
        plan_clash = True
    except RuntimeError:
        pass
    assert single is clashes and plan_clash is clashes


def test_an_unknown_wave_is_not_found(db_session, setting):
    with pytest.raises(NotFound):
        import_plan(db_session, None, "NO-SUCH-WAVE", csv_bytes(), rotation_days=ROTATION_DAYS)


# --- the file as Excel and WPS save it ------------------------------------------------------------------

def test_bom_crlf_and_the_empty_rows_excel_leaves(db_session, setting):
    d1, s1 = setting["d1"], setting["s1"]
    data = csv_bytes(f"{d1.code},{s1.email},2026/8/1,2026/8/14,mini,1", ",,,,,", ",,,,,",
                     header=" Dealer ,Shopper,Window_Start,window_end,checklist,version,", newline="\r\n", bom=True)
    result = run(db_session, setting, data)
    (audit,) = audits_in_wave(db_session, setting["wave"])
    assert (audit.visit_window_start, audit.visit_window_end) == (date(2026, 8, 1), date(2026, 8, 14))
    assert result.rows == [2]


def test_a_quoted_cell_with_a_line_break_keeps_the_spreadsheet_row_numbers(db_session, setting):
    d1, s1 = setting["d1"], setting["s1"]
    data = csv_bytes(f'{d1.code},{s1.email},2026-08-01,2026-08-14,mini,1', f'"NO\r\nPE",{s1.email},2026-08-01,'
                     '2026-08-14,mini,1', f"{d1.code},x@example.com,2026-08-01,2026-08-14,mini,1", newline="\r\n")
    error = refused(db_session, setting, data)
    assert set(error.errors) == {"3", "4"}


@pytest.mark.parametrize("header,problems", [
    (HEADER + ",wave", [(1, "wave", "unknown column; the columns are dealer, shopper, window_start, window_end, "
                                    "checklist, version")]),
    (HEADER + ",经销商名称", [(1, "经销商名称", "unknown column; the columns are dealer, shopper, window_start, "
                                             "window_end, checklist, version")]),
    ("dealer,shopper,window_start,checklist", [(1, "window_end", "this column is missing")]),
    ("dealer,shopper,window_start,window_end,checklist,dealer", [(1, "dealer", "this column is named twice")]),
    ("dealer;shopper;window_start;window_end;checklist",
     [(1, None, "columns must be separated by commas; this header looks separated by ';'")]),
])
def test_header_problems(db_session, setting, header, problems):
    error = refused(db_session, setting, csv_bytes(f"{setting['d1'].code},a@b.cn,2026-08-01,2026-08-14,mini",
                                                   header=header))
    assert [(p.row, p.column, p.message) for p in error.problems] == problems


def test_problems_of_the_file_itself(db_session, setting):
    row = f"{setting['d1'].code},{setting['s1'].email},2026-08-01,2026-08-14,mini,1"
    cases = {
        b"": "the file is empty: its first row must name the columns",
        b"\r\n,,,\r\n": "the file is empty: its first row must name the columns",
        csv_bytes(): "the plan has no rows below its header",
        "dealer,shopper,window_start,window_end,checklist\n深圳店,张三\n".encode("gbk"):
            'the file is not UTF-8 text: in Excel save it as "CSV UTF-8 (Comma delimited)", in WPS as CSV with '
            "the UTF-8 encoding",
        csv_bytes(*[row] * (MAX_PLAN_ROWS + 1)): f"at most {MAX_PLAN_ROWS} rows per plan; this one has "
                                                 f"{MAX_PLAN_ROWS + 1}: split it",
        b"x" * (MAX_PLAN_BYTES + 1): f"the file is larger than {MAX_PLAN_BYTES} bytes",
        csv_bytes(row.replace("mini", "mi\x00ni")): "must not contain the NUL character",
    }
    for data, message in cases.items():
        error = refused(db_session, setting, data)
        located = error.errors.get(FILE) or error.errors.get("1", {}).get(WHOLE_ROW)
        assert located == [message], message
    assert audits_in_wave(db_session, setting["wave"]) == []


def test_a_quote_left_open_is_reported_on_its_row():
    rows, problems = read_plan(csv_bytes("D1,a@b.cn,2026-08-01,2026-08-14,mini,1",
                                         'D1,"a@b.cn"x,2026-08-01,2026-08-14,mini,1'))
    assert rows == [] and [(p.row, p.column, p.message.key) for p in problems] == [(3, None, "plan.not_csv")]


# --- a large plan stays fast ------------------------------------------------------------------------------

def _plan_of(setting, make_dealer, size: int) -> bytes:
    dealers = [make_dealer(region=setting["d1"].region) for _ in range(size)]
    return csv_bytes(*[f"{d.code},{setting['s1'].email},2026-08-01,2026-08-14,mini," for d in dealers])


def test_statements_do_not_grow_with_the_rows(db_session, setting, make_dealer, count_queries):
    small, large = _plan_of(setting, make_dealer, 3), _plan_of(setting, make_dealer, 120)
    db_session.expire_all()
    with count_queries() as few:
        run(db_session, setting, small)
    db_session.expire_all()
    with count_queries() as many:
        run(db_session, setting, large)
    assert len(audits_in_wave(db_session, setting["wave"])) == 123
    assert many.count == few.count


def test_a_refused_large_plan_runs_the_same_statements_as_a_small_one(db_session, setting, make_dealer,
                                                                      count_queries):
    small = _plan_of(setting, make_dealer, 2) + b"NOPE,x@example.com,2026-08-01,2026-08-14,mini,\n"
    large = _plan_of(setting, make_dealer, 150) + b"NOPE,x@example.com,2026-08-01,2026-08-14,mini,\n"
    counts = []
    for data in (small, large):
        db_session.expire_all()
        with count_queries() as counter, pytest.raises(PlanRefused):
            run(db_session, setting, data)
        counts.append(counter.count)
    assert counts[0] == counts[1]
