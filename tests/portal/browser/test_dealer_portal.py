"""A dealer in the browser: results, visits, a failed item with the shopper's comment and photo, a
dispute filed from the item with evidence, the dealer's disputes; another dealer's pages are not found;
no page a dealer can reach names a shopper; hostile text stays text; a form without its CSRF token is
refused. Screenshots of every page at 1280×800 and 390×844 go to test-output/portal-screens/."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from fixtures.files import png_bytes
from fixtures.portal import FAILED_ITEM, SHOPPER_NAME, XSS_IMG, XSS_SCRIPT, portal_login, screenshots

XSS_CLAIM = f"The card was on the desk {XSS_SCRIPT} {XSS_IMG} as the photo shows."


def dispute_count(page) -> int:
    page.goto("/portal/disputes")
    return page.locator("table.data tbody tr").count()


def open_failed_item(page, world):
    page.goto(f"/portal/visits/{world.audit_id}")
    item = page.locator(f"#item-{FAILED_ITEM}")
    item.wait_for()
    return item


def assert_no_markup_ran(page, watch) -> None:
    """The hostile texts are on the page as text: no alert, no element they would have made."""
    assert watch.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.scripts].filter(s => !s.src).length") == 0


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(new_page, portal_world):
    page, watch = new_page()
    portal_login(page, portal_world.dealer_email)
    before = dispute_count(page)
    item = open_failed_item(page, portal_world)
    item.locator("details.dispute-form summary").click()
    item.locator("textarea[name=claim]").fill("A claim that must not be filed without its token.")
    item.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    item.locator("button[type=submit]").click()
    page.wait_for_url(f"**/items/{FAILED_ITEM}/dispute")
    assert page.locator("p.error-code").inner_text() == "400"
    assert "reload the page" in page.content()
    screenshots(page, "csrf-refused")
    assert dispute_count(page) == before
    assert watch.console_errors == []


def test_dealer_reads_a_failed_item_and_disputes_it_with_evidence(new_page, portal_world):
    page, watch = new_page()
    portal_login(page, portal_world.dealer_email)
    page.wait_for_selector("h2:has-text('Moments of truth')")  # the start page is the dealer's results
    assert page.locator(".kpi svg, .chart-box svg.chart").count() >= 2
    assert page.locator("a:has-text('Chinese')").first.get_attribute("href").endswith("lang=zh")
    screenshots(page, "dealer-results")
    page.click("nav.mainnav a:has-text('Visits')")
    page.wait_for_selector("table.visits")
    page.locator("nav.choices-nav a[href*='program=sales_visit']").first.click()
    page.wait_for_selector("nav.choices-nav a.active[href*='program=sales_visit']")
    screenshots(page, "dealer-visits")
    assert page.locator(f"a[href='/portal/visits/{portal_world.audit_id}']").count() == 1

    item = open_failed_item(page, portal_world)
    assert "not met" in item.inner_text()
    comment = item.locator(".comment .text-block").inner_text()
    assert XSS_SCRIPT in comment and XSS_IMG in comment  # the shopper's words, shown as text
    photo = item.locator(".photos img").first
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0
    photo_url = photo.get_attribute("src")
    served = page.request.get(photo_url)
    assert served.ok and SHOPPER_NAME.encode() not in served.body() and b"ShopperPhone" not in served.body()
    assert "last day to file" in page.content().lower()
    screenshots(page, "dealer-visit")

    item.locator("details.dispute-form summary").click()
    item.locator("textarea[name=claim]").fill(XSS_CLAIM)
    item.locator("input[name=evidence]").set_input_files(
        files=[{"name": "card.png", "mimeType": "image/png", "buffer": png_bytes(tag="dealer evidence")}])
    screenshots(page, "dealer-dispute-form")
    item.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-ok:has-text('The dispute was filed.')")
    item = page.locator(f"#item-{FAILED_ITEM}")
    assert "under dispute" in item.inner_text()
    assert item.locator("details.dispute-form").count() == 0  # one open dispute per item

    page.click("nav.mainnav a:has-text('My disputes')")
    row = page.locator("table.data tbody tr", has_text="business card")
    row.first.wait_for()
    assert "open" in row.first.inner_text()
    screenshots(page, "dealer-disputes")
    row.first.locator("a").first.click()
    page.wait_for_selector("h2:has-text('Claim')")
    assert XSS_CLAIM in page.locator(".card .text-block").first.inner_text()
    assert page.locator(".photos img").evaluate("img => img.complete && img.naturalWidth") > 0
    screenshots(page, "dealer-dispute")
    assert_no_markup_ran(page, watch)
    assert watch.console_errors == []


def test_hostile_texts_stay_text_on_every_page_that_shows_them(new_page, portal_world):
    page, watch = new_page("zh-CN")
    portal_login(page, portal_world.dealer_email)
    pages = [f"/portal/dealers/{portal_world.dealer_id}/results", f"/portal/visits/{portal_world.audit_id}",
             "/portal/disputes"]
    disputes = page.locator("table.data tbody tr a[href^='/portal/disputes/']")
    page.goto("/portal/disputes")
    pages += [disputes.nth(i).get_attribute("href") for i in range(disputes.count())]
    shown = 0
    for url in pages:
        page.goto(url)
        text = page.locator("main").inner_text()
        shown += text.count(XSS_SCRIPT)
        assert_no_markup_ran(page, watch)
        if url.startswith("/portal/visits/"):
            screenshots(page, "dealer-visit-zh")
    assert shown >= 2  # the comment on the visit (and in the gaps' observations), the claim on its dispute


def test_another_dealers_pages_are_not_found(new_page, portal_world):
    page, _ = new_page()
    portal_login(page, portal_world.dealer_email)
    other = portal_world
    page.goto("/portal/disputes")
    urls = [f"/portal/dealers/{other.other_dealer_id}/results",
            f"/portal/dealers/{other.other_dealer_id}/visits",
            f"/portal/dealers/{other.other_dealer_id}/scorecard.pdf?lang=en",
            f"/portal/visits/{other.other_audit_id}"]
    if other.other_photo_sha:
        urls.append(f"/portal/visits/{other.other_audit_id}/files/{other.other_photo_sha}")
    own_not_found = page.goto("/portal/dealers/999999/results")
    reference = page.locator("main").inner_text()
    assert own_not_found.status == 404
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, url
        assert page.locator("main").inner_text() == reference, url  # the same page as for nothing at all
        html = page.content()
        for trace in (str(other.other_dealer_id), other.other_audit_id, other.other_photo_sha or "-"):
            assert f"/{trace}" not in html and f"{trace}/" not in html
    screenshots(page, "dealer-not-found")


def test_no_page_a_dealer_can_reach_names_a_shopper(new_page, portal_world, portal_server):
    """Crawl every portal link a dealer's pages lead to (results and visits of every wave, each visit,
    each dispute, each file; not the PDFs) and scan what comes back for any shopper's name or email."""
    page, _ = new_page()
    portal_login(page, portal_world.dealer_email)
    secrets = [s for s in portal_world.shopper_names + portal_world.shopper_emails if s]
    secrets += [SHOPPER_NAME.split()[0], SHOPPER_NAME.split()[-1]]
    seen: set[str] = set()
    queue = deque(["/portal/"])
    fetched = 0
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = page.request.get(url)
        fetched += 1
        assert response.status < 500, url
        body = response.body()
        for secret in secrets:
            assert secret.encode() not in body, f"{secret!r} in {url}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in re.findall(r'(?:href|src)="([^"]+)"', body.decode()):
            target = urljoin(portal_server.url + url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            # PDFs are the reports' own (their tests check what they print); rendering each is slow.
            if (parts.netloc == urlsplit(portal_server.url).netloc and parts.path.startswith("/portal/")
                    and not parts.path.endswith(".pdf")):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert fetched > 15  # results, visits, visits' pages, files, disputes: the crawl got somewhere
