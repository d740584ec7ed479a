"""Logging in, the assignment list, the session across reloads, logout wiping the phone."""
from __future__ import annotations

from fixtures.phone_app import log_in, screenshot


def test_login_lists_the_assignment_with_where_and_when_and_survives_a_reload(new_phone, assign):
    job = assign()
    page = new_phone("en-US").new_page()
    log_in(page, job.shopper_email)
    card = page.locator(f".card[data-audit='{job.audit_id}']")
    text = card.inner_text()
    assert job.dealer_name_en in text
    assert "世纪大道" in text  # the address
    assert "Visit window" in text and "20 Nov" in text and "10 Dec" in text
    assert "Sales Visit" in text or "sales" in text.lower()
    assert card.get_attribute("data-status") == "assigned"
    screenshot(page, "list-en")

    page.reload()
    page.wait_for_selector(f".card[data-audit='{job.audit_id}']")  # no login form: the token was kept
    assert page.locator("form.login").count() == 0


def test_the_app_speaks_the_phones_language_and_can_switch(new_phone, assign):
    job = assign()
    page = new_phone("zh-CN").new_page()
    page.goto("/app/")
    page.wait_for_selector("form.login button:text-is('登录')")
    screenshot(page, "login-zh")
    log_in(page, job.shopper_email)
    assert page.locator("header.bar h1").inner_text() == "我的任务"
    assert "待开始" in page.locator(".card").inner_text()
    screenshot(page, "list-zh")
    page.click("header.bar .lang")
    page.wait_for_selector("header.bar h1:text-is('My assignments')")
    page.reload()
    page.wait_for_selector(".card")
    assert page.locator("header.bar h1").inner_text() == "My assignments"  # the choice is kept


def test_logout_wipes_the_phone_and_revokes_the_token(new_phone, assign, api):
    job = assign()
    page = new_phone().new_page()
    log_in(page, job.shopper_email)
    token = page.evaluate("""async () => {
        const { getMeta } = await import('/app/js/store.js');
        return (await getMeta('session')).token;
    }""")
    assert api.call("GET", "/api/v1/me", token=token)[0] == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#logout")
    page.wait_for_selector("form.login")
    stored = page.evaluate("""async () => {
        const store = await import('/app/js/store.js');
        return { session: await store.getMeta('session'), audits: (await store.all('audits')).length,
                 checklists: (await store.all('checklists')).length };
    }""")
    assert stored == {"session": None, "audits": 0, "checklists": 0}
    assert api.call("GET", "/api/v1/me", token=token)[0] == 401


def test_a_wrong_password_is_refused_on_the_login_screen(new_phone, assign):
    job = assign()
    page = new_phone().new_page()
    page.goto("/app/")
    page.fill("input[name=email]", job.shopper_email)
    page.fill("input[name=password]", "not the password")
    page.click("form.login button[type=submit]")
    page.wait_for_selector("form.login .error:has-text('wrong email or password')")
    screenshot(page, "login-refused-en")
