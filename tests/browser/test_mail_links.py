"""The links of a follow-up email, opened in a real browser as the guest would: the survey records a
score and a comment, unsubscribe takes one press — in the guest's language, with no login."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm import services
from personalization.models import Feedback, Touch, TouchStatus
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory, PropertyFactory
from tests.personalization.touches.conftest import claim, resolve_issue, smtp_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailed_follow_up(smtp_server, settings, live_server, organization):  # noqa: F811 - the fixture above
    """A resolved issue's follow-up, sent through a real SMTP server, its links pointing at the live server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.RAPPORT_PUBLIC_URL = live_server.url
    hotel = PropertyFactory(organization=organization, name="Harbour Hotel Taipei", timezone="UTC")
    guest = CustomerFactory(organization=organization, lin_mei=True, language="zh-hant", home_property=hotel)
    issue = resolve_issue(guest, hotel, summary="Shower lukewarm, boiler 2 faulty")  # staff's words, not hers
    services.issue_update(issue=issue, guest_summary="熱水不夠熱")  # what the guest may read
    touch = Touch.objects.get(issue=issue)
    Touch.objects.filter(pk=touch.pk).update(due_at=timezone.now())
    assert list(touches_send(touch_ids=[claim(touch).pk], ignore_quiet_hours=True).values()) == [Outcome.SENT]
    [message] = smtp_server.messages
    text = message.get_body(("plain",)).get_content()
    links = re.findall(re.escape(live_server.url) + r"/t/[a-z]+/[^\s/]+/", text)
    survey = next(link for link in links if "/t/feedback/" in link)
    unsubscribe = next(link for link in links if "/t/unsubscribe/" in link)
    return guest, issue, survey, unsubscribe


def test_the_guest_answers_the_survey_and_unsubscribes_in_her_language(page, mailed_follow_up):
    guest, issue, survey, unsubscribe = mailed_follow_up

    page.goto(survey)
    expect(page.locator("h1")).to_have_text("我們做得怎麼樣？")
    expect(page.locator("body")).to_contain_text("熱水不夠熱")
    expect(page.locator("body")).not_to_contain_text("boiler 2")
    page.locator("input[name=score][value='5']").check()
    page.locator("textarea[name=comment]").fill("現在很好，謝謝")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("h1")).to_have_text("感謝您告訴我們")
    feedback = Feedback.objects.get()
    assert (feedback.score, feedback.comment, feedback.issue_id) == (5, "現在很好，謝謝", issue.pk)

    page.goto(unsubscribe)
    guest.refresh_from_db()
    assert guest.consent_service  # opening the link changes nothing: mail scanners open links too
    page.get_by_role("button", name="退訂").click()
    expect(page.locator("h1")).to_have_text("您已退訂")
    guest.refresh_from_db()
    assert not (guest.consent_service or guest.consent_marketing or guest.consent_surprises)
    assert not Touch.objects.filter(customer=guest, status=TouchStatus.SCHEDULED).exists()
