"""Logging in and out in a real browser, in both languages, with the CSP enforced (any violation
would show in the console)."""
from __future__ import annotations

from fixtures.portal import PASSWORD, portal_login, screenshots


def test_login_page_and_language_switch(new_page):
    page, watch = new_page("zh-CN")
    page.goto("/portal/login")
    assert page.locator("h1").inner_text() == "登录门户"
    screenshots(page, "login-zh")
    page.click("header button:has-text('English')")
    page.wait_for_selector("h1:has-text('Log in to the portal')")
    page.fill("input[name=email]", "nobody@example.com")
    page.fill("input[name=password]", "wrong password")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(".flash-error:has-text('Wrong email or password.')")
    screenshots(page, "login-refused")
    assert watch.console_errors == [] and watch.dialogs == []


def test_qa_logs_in_and_out(new_page, portal_world):
    page, watch = new_page()
    portal_login(page, portal_world.qa_email)
    assert "QA" in page.locator("header .who").inner_text()
    cookies = page.context.cookies()
    portal_cookie = next(c for c in cookies if c["name"] == "auditapp_portal")
    assert portal_cookie["httpOnly"] and portal_cookie["sameSite"] == "Lax" and portal_cookie["path"] == "/portal"
    page.click("header button:has-text('Log out')")
    page.wait_for_selector(".flash-ok:has-text('You are logged out.')")
    page.goto("/portal/")
    page.wait_for_selector("h1:has-text('Log in to the portal')")
    assert watch.console_errors == [] and watch.dialogs == []


def test_a_shopper_is_sent_to_the_phone_app(new_page, portal_world):
    page, _ = new_page()
    page.goto("/portal/login")
    page.fill("input[name=email]", portal_world.shopper_emails[0])
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/app/")
