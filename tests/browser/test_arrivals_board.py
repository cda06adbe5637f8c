"""Issue 13's arrivals, walked as a new user would on the demo at 768 px, in English and 繁體中文: a PMS pushes three
stays for today over HTTP, the front desk's board shows them with what to prepare, and checking one in logs the
arrival once — touchable, accessible, and nothing the Content-Security-Policy refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from crm.models import Contact, Customer, Property, Staff, Stay
from tests.browser.conftest import log_in
from tests.browser.demo import load_demo
from tests.browser.test_csp import WATCH
from tests.browser.test_design import check

pytestmark = pytest.mark.django_db(transaction=True)

LOCALES = {"en": "en-US", "zh-hant": "zh-TW"}
TEXTS = {
    "en": {"arrivals": "Arrivals", "needs": "Only guests with something to prepare", "show": "Show"},
    "zh-hant": {"arrivals": "抵達", "needs": "只看需要準備的客人", "show": "顯示"},
}
PUSHED = [
    ("R-9001", {"given_name": "Aiko", "family_name": "Tanaka", "external_ids": [{"system": "opera", "id": "P-1"}]}),
    ("R-9002", {"native_name": "林美華", "external_ids": [{"system": "opera", "id": "P-2"}]}),
    ("R-9003", {"given_name": "Lars", "family_name": "Berg", "external_ids": [{"system": "opera", "id": "P-3"}]}),
]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_three_pushed_stays_are_on_the_board_and_one_is_checked_in(settings, browser_page, language):
    load_demo(settings)
    shanghai = Property.objects.get(name__icontains="Shanghai")
    today = timezone.now().astimezone(shanghai.zone()).date()
    token = Token.objects.get_or_create(user=Staff.objects.get(user__username="manager").user)[0].key
    page = browser_page(LOCALES[language])
    page.add_init_script(WATCH)

    # The PMS pushes three reservations for today, the second twice (nothing more happens).
    for reservation, guest in [*PUSHED, PUSHED[1]]:
        answer = page.request.put(
            f"/api/v1/stays/by-external-id/opera/{reservation}/",
            headers={"Authorization": f"Token {token}"},
            data={"arrival": str(today), "departure": str(today + timedelta(days=2)), "room": "0901", "guest": guest},
        )
        assert answer.status in (200, 201), answer.text()
    assert Stay.objects.filter(external_system="opera").count() == 3
    lin = Customer.objects.get(native_name="林美華")
    assert Customer.objects.filter(native_name="林美華").count() == 1

    log_in(page, "frontdesk", "rapport-demo")
    page.get_by_role("link", name=TEXTS[language]["arrivals"], exact=True).click()
    board = page.locator("ol.arrivals")
    for name in ("Aiko Tanaka", "林美華", "Lars Berg", "张伟"):
        expect(board.locator("li.arrival", has_text=name)).to_have_count(1)
    zhang = board.locator("li.arrival", has_text="张伟")
    expect(zhang.locator(".safety")).to_contain_text("Peanuts")  # what to prepare, at a glance
    check(page, "arrivals board")

    page.get_by_label(TEXTS[language]["needs"]).check()
    page.get_by_role("button", name=TEXTS[language]["show"]).click()
    expect(board.locator("li.arrival", has_text="林美華")).to_have_count(0)  # a first stay, nothing to prepare
    expect(board.locator("li.arrival", has_text="张伟")).to_have_count(1)
    check(page, "arrivals board, needing something")

    page.goto("/arrivals/")
    card = board.locator("li.arrival", has_text="林美華")
    card.get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text("林美華")
    expect(board.locator("li.arrival", has_text="林美華")).to_have_attribute("data-status", "in_house")
    check(page, "arrivals board after a check-in")
    assert Contact.objects.filter(customer=lin, kind="arrival").count() == 1
    lin.refresh_from_db()
    assert lin.visit_count == 1
    assert page.evaluate("window.__violations") == []
