"""Wave exports (DESIGN 11): the workbook and the CSVs hold the API's own figures, each reader's rows only.

Expected values are worked out by hand on the mini checklist (tests/fixtures/factories.py): greeting
(weight 2: greeted w2, a section knock-out; greet_seconds w1, shown when greeted) and negotiation
(weight 1: written_quote w3; pressure w1, a 1–5 scale that allows N/A).
"""
from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timezone

import openpyxl
import pytest
from fixtures.factories import small_checklist_document

HASH = "a" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}
# greeting 100·(2 + 0.5)/3 = 83.33…, negotiation 100·(3 + 0.5)/4 = 87.5, overall (2·83.33… + 87.5)/3
MIXED = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 45, "comment": "等了45秒 waited"},
         "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 3}}
MIXED_OVERALL = (2 * 250 / 3 + 87.5) / 3
# Not greeted: greet_seconds hidden, pressure N/A; greeting knocked out (raw 0), negotiation 100:
# overall = overall raw = 100/3; greeted loses 100·(2/3)·1 = 66.67 points.
NOT_GREETED = {"greeted": {"value": "no", "comment": "接待员一直在打电话"},
               "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"na": True}}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def same(book_values, api_values) -> bool:
    """Equal, numbers to the 16 significant digits XlsxWriter stores (Excel computes with 15)."""
    return len(book_values) == len(api_values) and all(
        a == b if not isinstance(a, float) and not isinstance(b, float) else math.isclose(a, b, rel_tol=1e-15)
        for a, b in zip(book_values, api_values))


@pytest.fixture
def wave_world(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit, make_user,
               make_audit):
    """Region R-A with dealers A and B, region R-C with dealer C; one program (mini) in wave 2026-Q3."""
    ra, rc = make_region(name_zh="华东区", name_en="East"), make_region(name_zh="华南区", name_en="South")
    a = make_dealer(region=ra, name_zh="上海一店", name_en="Shanghai One")
    b = make_dealer(region=ra, name_zh="杭州二店", name_en="Hangzhou Two")
    c = make_dealer(region=rc, name_zh="广州三店", name_en="Guangzhou Three")
    wave = make_wave(code="2026-Q3")
    version = make_checklist_version()
    shoppers = [make_user("shopper") for _ in range(3)]
    # 23:30 UTC on 2 August is 07:30 on 3 August in Shanghai: the visit's local date is the 3rd.
    mixed_a = make_published_audit(MIXED, dealer=a, wave=wave, checklist_version=version, shopper=shoppers[0],
                                   visited=datetime(2026, 8, 2, 23, 30, tzinfo=timezone.utc))
    make_published_audit(PERFECT, dealer=a, wave=wave, checklist_version=version, shopper=shoppers[0],
                         visited=datetime(2026, 8, 10, 3, 0, tzinfo=timezone.utc))
    not_greeted_b = make_published_audit(NOT_GREETED, dealer=b, wave=wave, checklist_version=version,
                                         shopper=shoppers[1], visited=datetime(2026, 8, 4, 3, 0, tzinfo=timezone.utc))
    make_published_audit(PERFECT, dealer=b, wave=wave, checklist_version=version, shopper=shoppers[1])
    for day in (5, 6):
        make_published_audit(MIXED, dealer=c, wave=wave, checklist_version=version, shopper=shoppers[2],
                             visited=datetime(2026, 8, day, 3, 0, tzinfo=timezone.utc))
    unpublished = make_audit(dealer=a, wave=wave, checklist_version=version, shopper=shoppers[0], status="submitted")
    return {"ra": ra, "rc": rc, "a": a, "b": b, "c": c, "wave": wave, "mixed_a": mixed_a,
            "not_greeted_b": not_greeted_b, "unpublished": unpublished, "shoppers": shoppers}


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _records(sheet) -> list[dict[str, object]]:
    """Rows keyed by the English half of each header."""
    rows = list(sheet.iter_rows(values_only=True))
    keys = [h.split("\n")[1] for h in rows[0]]
    return [dict(zip(keys, row)) for row in rows[1:]]


def _cells(workbook) -> list[str]:
    return [str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row
            if v is not None]


def test_the_workbook_as_qa_sees_it(client, wave_world, make_user, auth_for):
    r = client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=auth_for(make_user("qa")))
    book = _workbook(r)
    assert r.headers["Content-Disposition"] == "attachment; filename=auditapp-2026-Q3-mini.xlsx"
    assert int(r.headers["Content-Length"]) == len(r.data)  # sent from a finished file, not held in memory
    assert book.sheetnames == ["audits", "items", "dealers", "gaps"]
    audits = book["audits"]
    header = [c.value for c in audits[1]]
    assert header[:4] == ["稽核编号\nAudit ID", "经销商代码\nDealer code", "经销商\nDealer (Chinese)",
                          "经销商（英文）\nDealer"]
    assert "接待\nGreeting" in header and "报价\nNegotiation" in header
    assert header[-1] == "神秘顾客\nShopper"  # the agency knows who the shopper was
    assert audits.freeze_panes == "A2" and audits.auto_filter.ref == f"A1:{audits.cell(1, len(header)).column_letter}7"
    rows = _records(audits)
    assert len(rows) == 6  # published audits only: the submitted one is not a result
    known = next(row for row in rows if row["Audit ID"] == str(wave_world["mixed_a"].id))
    a, ra = wave_world["a"], wave_world["ra"]
    assert (known["Dealer code"], known["Dealer (Chinese)"], known["Dealer"]) == (a.code, "上海一店", "Shanghai One")
    assert (known["Region code"], known["Region (Chinese)"], known["Region"]) == (ra.code, "华东区", "East")
    assert known["Visit date"] == datetime(2026, 8, 3)  # the local date, an Excel date
    assert math.isclose(known["Overall"], MIXED_OVERALL) and math.isclose(known["Overall before knock-outs"],
                                                                          MIXED_OVERALL)
    assert math.isclose(known["Greeting"], 250 / 3) and known["Negotiation"] == 87.5
    assert (known["Knock-outs"], known["Knock-out cost"], known["Score version"], known["Revised"],
            known["Under dispute"]) == (None, None, 1, False, False)
    assert known["Shopper"] == wave_world["shoppers"][0].email
    # Full precision stored, one decimal shown.
    overall_cell = audits.cell(2 + rows.index(known), header.index("总分\nOverall") + 1)
    assert overall_cell.number_format == "0.0" and overall_cell.value == known["Overall"]
    knocked = next(row for row in rows if row["Audit ID"] == str(wave_world["not_greeted_b"].id))
    assert knocked["Knock-outs"] == "greeted (section)" and knocked["Knock-out cost"] == 0
    assert knocked["Greeting"] == 0 and math.isclose(knocked["Overall"], 100 / 3)


def test_items_rows_by_hand(client, wave_world, make_user, auth_for):
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=auth_for(make_user("admin"))))
    items = _records(book["items"])
    assert len(items) == 6 * 5  # every item of the mini checklist for each published audit
    knocked = {row["Item key"]: row for row in items if row["Audit ID"] == str(wave_world["not_greeted_b"].id)}
    assert list(knocked) == ["greeted", "greet_seconds", "card_photo", "written_quote", "pressure"]
    greeted = knocked["greeted"]
    assert (greeted["Section key"], greeted["Section (Chinese)"], greeted["Item (Chinese)"], greeted["Value"],
            greeted["Ratio"], greeted["Failed"], greeted["Knock-out scope"]) == (
        "greeting", "接待", "有人问候", "no", 0, True, "section")
    assert math.isclose(greeted["Points lost"], 200 / 3) and math.isclose(greeted["Points available"], 200 / 3)
    assert greeted["Knock-out cost"] == 0 and greeted["Comment"] == "接待员一直在打电话"
    hidden = knocked["greet_seconds"]
    assert (hidden["Hidden"], hidden["Excluded"], hidden["N/A"], hidden["Ratio"], hidden["Points lost"]) == (
        True, True, False, None, 0)
    pressure = knocked["pressure"]
    assert (pressure["N/A"], pressure["Hidden"], pressure["Excluded"], pressure["Value"]) == (True, False, True, None)
    assert knocked["written_quote"]["Attachments"] == 1 and knocked["card_photo"]["Type"] == "photo"
    mixed = {row["Item key"]: row for row in items if row["Audit ID"] == str(wave_world["mixed_a"].id)}
    seconds = mixed["greet_seconds"]
    # g = (2/3)·(1/3): 22.2 points available, half of them lost at 45 s.
    assert seconds["Value"] == 45 and seconds["Ratio"] == 0.5 and math.isclose(seconds["Points lost"], 100 / 9)
    assert seconds["Visit date"] == datetime(2026, 8, 3) and seconds["Comment"] == "等了45秒 waited"
    assert math.isclose(mixed["pressure"]["Points lost"], 100 / 24)


def test_dealers_and_gaps_equal_the_api_figures(client, wave_world, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=qa))
    dealers = {row["Dealer code"]: row for row in _records(book["dealers"])}
    assert list(dealers) == [wave_world["a"].code, wave_world["b"].code, wave_world["c"].code]
    for region in ("ra", "rc"):
        board = client.get(f"/api/v1/regions/{wave_world[region].id}/leaderboard?wave=2026-Q3", headers=qa).json
        for entry in board["ranked"]:
            row = dealers[entry["dealer"]["code"]]
            assert same((row["Wave score"], row["Audits"], row["90% interval low"], row["90% interval high"]),
                        (entry["mean"], entry["n"], entry["lo"], entry["hi"]))
            assert (row["Region rank"], row["Region rank best"], row["Region rank worst"]) == (
                entry["rank"], entry["best"], entry["worst"])
            assert row["Ranked in region"] == len(board["ranked"]) and row["Insufficient sample"] is False
    for code, dealer in ((wave_world["a"].code, wave_world["a"]), (wave_world["c"].code, wave_world["c"])):
        card = client.get(f"/api/v1/dealers/{dealer.id}/scorecard?wave=2026-Q3", headers=qa).json
        row = dealers[code]
        assert same([row["Wave score"]], [card["score"]["mean"]]) and row["Band"] == card["score"]["band"]
        assert (row["National rank"], row["National rank best"], row["National rank worst"],
                row["Ranked nationally"]) == (card["nation_rank"]["rank"], card["nation_rank"]["best"],
                                              card["nation_rank"]["worst"], card["nation_rank"]["of"])
    # By hand: A = (M + 100)/2, C = M.
    assert math.isclose(dealers[wave_world["a"].code]["Wave score"], (MIXED_OVERALL + 100) / 2)
    assert math.isclose(dealers[wave_world["c"].code]["Wave score"], MIXED_OVERALL)

    gaps = _records(book["gaps"])
    a_code = wave_world["a"].code
    a_gaps = {row["Item key"]: row for row in gaps if row["Scope"] == "dealer" and row["Code"] == a_code}
    # A lost 100/9 on greet_seconds in one of its two visits, 100/24 on pressure.
    assert math.isclose(a_gaps["greet_seconds"]["Mean points lost"], 100 / 18)
    assert (a_gaps["greet_seconds"]["Fully met"], a_gaps["greet_seconds"]["Partly met"],
            a_gaps["greet_seconds"]["Not met"], a_gaps["greet_seconds"]["Audits"]) == (1, 1, 0, 2)
    assert math.isclose(sum(r["Mean points lost"] for r in a_gaps.values()), 100 - (MIXED_OVERALL + 100) / 2)
    card = client.get(f"/api/v1/dealers/{wave_world['a'].id}/scorecard?wave=2026-Q3", headers=qa).json
    for gap in card["gaps"]:
        row = a_gaps[gap["item"]]
        assert same((row["Mean points lost"], row["Mean knock-out cost"], row["Failed"]),
                    (gap["mean_points_lost"], gap["mean_knockout_cost"], gap["failed"]))
        region_row = next(r for r in gaps if r["Scope"] == "region" and r["Item key"] == gap["item"]
                          and r["Code"] == wave_world["ra"].code)
        nation_row = next(r for r in gaps if r["Scope"] == "nation" and r["Item key"] == gap["item"])
        assert same([region_row["Mean points lost, total"], nation_row["Mean points lost, total"]],
                    [gap["region"]["mean_points_lost_total"], gap["nation"]["mean_points_lost_total"]])
    board = client.get(f"/api/v1/regions/{wave_world['ra'].id}/leaderboard?wave=2026-Q3", headers=qa).json
    for gap in board["gaps"]:
        region_row = next(r for r in gaps if r["Scope"] == "region" and r["Item key"] == gap["item"]
                          and r["Code"] == wave_world["ra"].code)
        assert same((region_row["Mean points lost"], region_row["Not met"]), (gap["mean_points_lost"], gap["not_met"]))
    assert {r["Scope"] for r in gaps} == {"dealer", "region", "nation"}


def _csv(response) -> tuple[bytes, list[list[str]]]:
    assert response.status_code == 200, response.get_json()
    body = response.data
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_bom_and_keeps_the_chinese(client, wave_world, make_user, auth_for):
    qa = auth_for(make_user("qa"))
    r = client.get("/api/v1/waves/2026-Q3/export.csv?sheet=items", headers=qa)
    body, rows = _csv(r)
    assert r.mimetype == "text/csv" and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="auditapp-2026-Q3-mini-items.csv"'
    assert "Content-Length" not in r.headers  # a generator: sent as produced, its length unknown
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows[0][:2] == ["稽核编号 Audit ID", "经销商代码 Dealer code"]
    keyed = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert len(keyed) == 30
    greeted = next(row for row in keyed if row["稽核编号 Audit ID"] == str(wave_world["not_greeted_b"].id)
                   and row["项目代码 Item key"] == "greeted")
    assert greeted["备注 Comment"] == "接待员一直在打电话" and greeted["项目 Item (Chinese)"] == "有人问候"
    assert greeted["未达标 Failed"] == "TRUE" and greeted["否决项范围 Knock-out scope"] == "section"
    assert math.isclose(float(greeted["失分 Points lost"]), 200 / 3)
    # The same numbers as the workbook, at full precision.
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=qa))
    from_book = {(row["Audit ID"], row["Item key"]): row["Points lost"] for row in _records(book["items"])}
    for row in keyed:
        lost = row["失分 Points lost"]
        in_book = from_book[(row["稽核编号 Audit ID"], row["项目代码 Item key"])]
        assert (lost == "" and in_book is None) or same([float(lost)], [in_book])
    audits = _csv(client.get("/api/v1/waves/2026-Q3/export.csv?sheet=audits", headers=qa))[1]
    known = next(dict(zip(audits[0], row)) for row in audits[1:] if row[0] == str(wave_world["mixed_a"].id))
    # The CSV keeps every digit: the stored score, exactly.
    stored = client.get(f"/api/v1/audits/{wave_world['mixed_a'].id}/score", headers=qa).json
    assert float(known["总分 Overall"]) == stored["overall"] and math.isclose(stored["overall"], MIXED_OVERALL)
    assert known["到访日期 Visit date"] == "2026-08-03"
    assert known["经销商 Dealer (Chinese)"] == "上海一店"


def test_a_dealer_exports_only_its_own_rows(client, wave_world, make_user, auth_for):
    a, b, c = wave_world["a"], wave_world["b"], wave_world["c"]
    dealer = auth_for(make_user("dealer", dealer=a))
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=dealer))
    cells = _cells(book)
    for other in (b, c):
        for text in (other.code, other.name_zh, other.name_en):
            assert not any(text in cell for cell in cells), text
    assert not any(cell.endswith("@example.com") for cell in cells)  # no shopper, anywhere
    for ws in book.worksheets:
        header = [str(v.value) for v in ws[1]]
        assert not any("Shopper" in h or "神秘顾客" in h for h in header)
    assert {r["Dealer code"] for r in _records(book["audits"])} == {a.code}
    assert str(wave_world["not_greeted_b"].id) not in cells
    assert {r["Dealer code"] for r in _records(book["items"])} == {a.code}
    assert [r["Dealer code"] for r in _records(book["dealers"])] == [a.code]
    scopes = {(r["Scope"], r["Code"]) for r in _records(book["gaps"])}
    assert scopes == {("dealer", a.code), ("region", wave_world["ra"].code), ("nation", None)}
    # Its own rank and the region's and nation's figures are those of its scorecard.
    card = client.get(f"/api/v1/dealers/{a.id}/scorecard?wave=2026-Q3", headers=dealer).json
    row = _records(book["dealers"])[0]
    assert (row["Region rank"], row["National rank"]) == (card["rank"]["rank"], card["nation_rank"]["rank"])
    for sheet in ("audits", "items", "dealers", "gaps"):
        text = client.get(f"/api/v1/waves/2026-Q3/export.csv?sheet={sheet}", headers=dealer).data.decode("utf-8-sig")
        assert b.code not in text and c.code not in text and "@example.com" not in text and "Shopper" not in text


def test_a_manager_exports_the_dealers_of_their_regions(client, wave_world, make_user, auth_for):
    a, b, c = wave_world["a"], wave_world["b"], wave_world["c"]
    manager = auth_for(make_user("manager", regions=[wave_world["ra"]]))
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=manager))
    assert {r["Dealer code"] for r in _records(book["audits"])} == {a.code, b.code}
    assert [r["Dealer code"] for r in _records(book["dealers"])] == [a.code, b.code]
    assert {(r["Scope"], r["Code"]) for r in _records(book["gaps"]) if r["Scope"] != "dealer"} == {
        ("region", wave_world["ra"].code), ("nation", None)}
    cells = _cells(book)
    assert not any(c.code in cell or c.name_en in cell for cell in cells)
    assert wave_world["rc"].code not in cells
    assert not any(cell.endswith("@example.com") for cell in cells)


def test_refusals(client, wave_world, make_user, auth_for, make_checklist_version, make_published_audit):
    qa = auth_for(make_user("qa"))
    shopper = auth_for(wave_world["shoppers"][0])
    for path in ("/api/v1/waves/2026-Q3/export.xlsx", "/api/v1/waves/2026-Q3/export.csv?sheet=audits"):
        assert client.get(path, headers=shopper).status_code == 403
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/waves/NOPE/export.xlsx", headers=qa).status_code == 404
    assert client.get("/api/v1/waves/NOPE/export.csv?sheet=items", headers=qa).status_code == 404
    bad = client.get("/api/v1/waves/2026-Q3/export.csv?sheet=shoppers", headers=qa)
    assert bad.status_code == 422 and "sheet" in bad.json["errors"]["query"]
    assert client.get("/api/v1/waves/2026-Q3/export.csv", headers=qa).status_code == 422
    # A second program in the wave: the program must be named, as for the scorecards.
    phone = make_checklist_version(small_checklist_document(key="phone"))
    make_published_audit(PERFECT, dealer=wave_world["a"], wave=wave_world["wave"], checklist_version=phone)
    for path in ("/api/v1/waves/2026-Q3/export.xlsx", "/api/v1/waves/2026-Q3/export.csv?sheet=dealers"):
        r = client.get(path, headers=qa)
        assert r.status_code == 422 and "mini, phone" in r.json["message"] and "program" in r.json["errors"]
    r = client.get("/api/v1/waves/2026-Q3/export.xlsx?program=mystery_call", headers=qa)
    assert r.status_code == 422 and "mini, phone" in r.json["message"]
    phone_book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx?program=phone", headers=qa))
    assert len(_records(phone_book["audits"])) == 1
    r = client.get("/api/v1/waves/2026-Q3/export.csv?sheet=dealers&program=phone", headers=qa)
    assert r.headers["Content-Disposition"] == 'attachment; filename="auditapp-2026-Q3-phone-dealers.csv"'


def test_a_revised_and_disputed_audit(client, db_session, wave_world, make_user, auth_for):
    """An upheld dispute's override is what the items sheet shows as scored; the audit row says revised."""
    from auditapp.models import Dispute, utcnow
    from auditapp.services.score_versions import store_score_version

    audit = wave_world["mixed_a"]
    store_score_version(db_session, audit, None, "dispute upheld", {"greet_seconds": {"value": 20}})
    db_session.add(Dispute(audit_id=audit.id, dealer_id=audit.dealer_id, item_key="pressure", status="open",
                           claim="We did not push.", requested_outcome="pass",
                           filed_by_id=make_user("dealer", dealer=wave_world["a"]).id, filed_at=utcnow()))
    db_session.commit()
    book = _workbook(client.get("/api/v1/waves/2026-Q3/export.xlsx", headers=auth_for(make_user("qa"))))
    row = next(r for r in _records(book["audits"]) if r["Audit ID"] == str(audit.id))
    # greet_seconds now 1: greeting 100, overall (200 + 87.5)/3
    assert (row["Score version"], row["Revised"], row["Under dispute"]) == (2, True, True)
    assert math.isclose(row["Overall"], 287.5 / 3) and math.isclose(row["Original overall"], MIXED_OVERALL)
    item = next(r for r in _records(book["items"]) if r["Audit ID"] == str(audit.id)
                and r["Item key"] == "greet_seconds")
    assert (item["Value"], item["Changed by dispute"], item["Ratio"], item["Points lost"]) == (20, True, 1, 0)


def test_an_empty_wave_exports_headers_only(client, make_wave, make_user, auth_for):
    make_wave(code="2027-Q1", starts_on=date(2027, 1, 1), ends_on=date(2027, 3, 31))
    book = _workbook(client.get("/api/v1/waves/2027-Q1/export.xlsx", headers=auth_for(make_user("admin"))))
    assert all(ws.max_row == 1 for ws in book.worksheets)


def test_streamed_csv_outside_any_outer_context(fresh_app):
    """Under gunicorn no app context surrounds the request: the view's context, and with it the database
    session, is torn down before the first row is produced (the test transaction of `db_session` keeps
    one open, and with it the session, so this runs on an app and database of its own, with real commits)."""
    import secrets
    from datetime import timedelta

    from auditapp.checklists import checklist_from_document
    from auditapp.extensions import db
    from auditapp.models import Answer, ApiToken, Audit, Dealer, Region, User, Wave, utcnow
    from auditapp.services.auth import token_hash
    from auditapp.services.checklists import get_version, store_checklists
    from auditapp.services.score_versions import store_score_version

    token = secrets.token_urlsafe(16)
    with fresh_app.app_context():
        session = db.session
        store_checklists(session, [checklist_from_document(small_checklist_document())])
        version = get_version(session, "mini", 1)
        region = Region(code="RE", name_zh="华东区", name_en="East")
        session.add(region)
        session.flush()
        dealers = [Dealer(region_id=region.id, code=f"DS{i}", name_zh=f"店{i}", name_en=f"Shop {i}") for i in (1, 2)]
        wave = Wave(code="2026-Q3", title_zh="三季度", title_en="Q3", starts_on=date(2026, 7, 1),
                    ends_on=date(2026, 9, 30))
        shopper = User(email="s@example.com", password_hash="x", role="shopper")
        qa = User(email="qa@example.com", password_hash="x", role="qa")
        session.add_all([*dealers, wave, shopper, qa])
        session.flush()
        session.add(ApiToken(token_hash=token_hash(token), user_id=qa.id, expires_at=utcnow() + timedelta(hours=1)))
        for dealer in dealers:
            for day in (3, 4):
                visited = datetime(2026, 8, day, 3, tzinfo=timezone.utc)
                audit = Audit(dealer_id=dealer.id, wave_id=wave.id, shopper_id=shopper.id,
                              checklist_version_id=version.id, status="published", published_at=visited,
                              visit_started_at=visited, visit_window_start=date(2026, 8, 1),
                              visit_window_end=date(2026, 8, 14))
                session.add(audit)
                session.flush()
                session.add_all(Answer(audit_id=audit.id, item_key=k, value=a.get("value"), comment=a.get("comment"),
                                       attachments=a.get("attachments", [])) for k, a in MIXED.items())
                session.flush()
                store_score_version(session, audit, None, "test")
        session.commit()
    client = fresh_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    # Four scored items (the photo item scores nothing) at each dealer, the region and the nation.
    for sheet, rows in (("audits", 4), ("items", 20), ("dealers", 2), ("gaps", 4 * 2 + 4 + 4)):
        r = client.get(f"/api/v1/waves/2026-Q3/export.csv?sheet={sheet}", headers=headers, buffered=False)
        assert r.status_code == 200
        text = r.get_data().decode("utf-8-sig")
        r.close()
        parsed = list(csv.reader(io.StringIO(text)))
        assert len(parsed) == 1 + rows, (sheet, text[:300])
        assert "DS1" in text and "DS2" in text
    assert "等了45秒 waited" in client.get("/api/v1/waves/2026-Q3/export.csv?sheet=items", headers=headers,
                                          buffered=False).get_data().decode("utf-8-sig")
