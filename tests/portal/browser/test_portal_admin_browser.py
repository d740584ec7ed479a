"""The admin's pages in a real browser: a wave made in the browser, a CSV plan uploaded that creates
every visit, a plan with one bad row that writes nothing and names the row; a user created and
deactivated; screenshots of every admin page at both sizes."""
from __future__ import annotations

import re

import pytest
from fixtures.portal import portal_login, screenshots

WAVE = "2031-BULK"


def stored(portal_app, query):
    from auditapp.extensions import db

    with portal_app.app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()


def count_audits(portal_app, wave_code: str) -> int:
    from sqlalchemy import func, select

    from auditapp.models import Audit, Wave

    return stored(portal_app, lambda s: s.scalar(select(func.count()).select_from(Audit).join(Wave)
                                                 .where(Wave.code == wave_code)))


def dealer_codes(portal_app) -> list[str]:
    from sqlalchemy import select

    from auditapp.models import Dealer

    return stored(portal_app, lambda s: list(s.scalars(select(Dealer.code).order_by(Dealer.code))))


@pytest.fixture
def admin_page(new_page, portal_world):
    page, watch = new_page()
    portal_login(page, portal_world.admin_email)
    yield page
    assert watch.console_errors == [] and watch.dialogs == []


def upload_plan(page, text: str) -> None:
    page.goto(f"/portal/admin/assignments?wave={WAVE}")
    page.select_option("select[name=wave]", WAVE)
    page.set_input_files("input[name=plan]", files=[{"name": "plan.csv", "mimeType": "text/csv",
                                                      "buffer": ("\ufeff" + text).encode()}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state()


def test_bulk_assignment_in_the_browser(admin_page, portal_app, portal_world):
    page = admin_page
    # the wave, made in the browser
    page.goto("/portal/admin/waves/new")
    page.fill("input[name=code]", WAVE)
    page.fill("input[name=title_zh]", "2031 批量分派")
    page.fill("input[name=title_en]", "2031 bulk plan")
    page.fill("input[name=starts_on]", "2031-01-01")
    page.fill("input[name=ends_on]", "2031-03-31")
    screenshots(page, "admin-wave-new")
    page.click("form.card button[type=submit]")
    page.wait_for_selector(f".flash-ok:has-text('{WAVE} saved.')")
    screenshots(page, "admin-waves")

    dealers, shoppers = dealer_codes(portal_app), portal_world.shopper_emails
    good = "dealer,shopper,window_start,window_end,checklist,version\r\n" + "".join(
        f"{dealer},{shoppers[i % len(shoppers)]},2031-01-{5 + i:02d},2031-01-{12 + i:02d},sales_visit,\r\n"
        for i, dealer in enumerate(dealers[:4]))
    upload_plan(page, good)
    page.wait_for_selector(f".flash-ok:has-text('4 visits assigned in wave {WAVE}.')")
    assert count_audits(portal_app, WAVE) == 4
    table = page.locator("table.assigned tbody tr")
    assert table.count() == 4
    assert sorted(table.nth(i).locator("td").first.inner_text() for i in range(4)) == sorted(dealers[:4])
    screenshots(page, "admin-assignments-created")

    # the same shoppers again, one dealer code wrong: nothing written, the row named
    bad_rows = [f"{dealers[4]},{shoppers[0]},2031-03-01,2031-03-07,sales_visit,",
                f"{dealers[5]},{shoppers[1 % len(shoppers)]},2031-03-01,2031-03-07,sales_visit,",
                f"NO-SUCH-DEALER,{shoppers[0]},2031-03-01,2031-03-07,sales_visit,"]
    upload_plan(page, "dealer,shopper,window_start,window_end,checklist,version\r\n" + "\r\n".join(bad_rows))
    page.wait_for_selector("section.refused")
    rows = page.locator("table.problems tbody tr")
    assert rows.count() == 1
    assert [rows.first.locator("td").nth(i).inner_text() for i in range(3)] == [
        "4", "dealer", "no dealer has the code NO-SUCH-DEALER"]
    assert count_audits(portal_app, WAVE) == 4
    screenshots(page, "admin-assignments-refused")

    # in Chinese, the same plan's problem reads in Chinese
    page.click("header button:has-text('中文')")
    upload_plan(page, "dealer,shopper,window_start,window_end,checklist,version\r\n" + "\r\n".join(bad_rows))
    page.wait_for_selector("section.refused h2:has-text('计划未被接受')")
    assert page.locator("table.problems tbody tr td").nth(2).inner_text() == "没有代码为 NO-SUCH-DEALER 的经销商"
    screenshots(page, "admin-assignments-refused-zh")
    page.click("header button:has-text('English')")


def test_create_and_deactivate_a_user_in_the_browser(admin_page, portal_app):
    page = admin_page
    page.goto("/portal/admin/users")
    page.click("a.button:has-text('New user')")
    page.fill("input[name=email]", "Zhao.Min@Shoppers.example.com")
    page.fill("input[name=display_name]", "赵敏")
    page.select_option("select[name=role]", "shopper")
    page.fill("input[name=password]", "short")
    screenshots(page, "admin-user-new")
    page.click("form.card button[type=submit]")
    # the browser's own minlength check keeps the short password from being sent
    assert page.url.endswith("/portal/admin/users/new")
    page.fill("input[name=password]", "a long initial password")
    page.click("form.card button[type=submit]")
    page.wait_for_selector(".flash-ok:has-text('User zhao.min@shoppers.example.com created.')")
    assert re.search(r"/portal/admin/users/\d+$", page.url)
    page.click("button:has-text('Deactivate this user')")
    page.wait_for_selector(".flash-ok:has-text('is deactivated')")
    assert page.locator("dl.facts .chip").inner_text() == "deactivated"
    screenshots(page, "admin-user")

    from sqlalchemy import select

    from auditapp.models import User

    assert stored(portal_app, lambda s: s.scalar(select(User.active).where(
        User.email == "zhao.min@shoppers.example.com"))) is False
    page.goto("/portal/admin/users?role=shopper")
    assert page.locator("tr.inactive", has_text="zhao.min@shoppers.example.com").count() == 1
    screenshots(page, "admin-users")


def test_screenshots_of_the_other_admin_pages(admin_page, portal_app):
    page = admin_page
    for name, url in (("admin-regions", "/portal/admin/regions"), ("admin-dealers", "/portal/admin/dealers"),
                      ("admin-checklists", "/portal/admin/checklists"),
                      ("admin-region-new", "/portal/admin/regions/new"),
                      ("admin-assignments", "/portal/admin/assignments")):
        page.goto(url)
        assert page.locator("h1").count() == 1
        screenshots(page, name)
    page.goto("/portal/admin/dealers")
    page.locator("table.data tbody tr a").first.click()
    page.wait_for_selector("input[name=timezone]")
    screenshots(page, "admin-dealer-edit")
