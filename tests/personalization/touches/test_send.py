"""Sending through a real SMTP server: what the guest receives, and what must never go out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from crm import services
from personalization.models import Feedback, Touch, TouchKind, TouchStatus
from personalization.touches.services import dispatch
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory, PropertyFactory
from tests.personalization.touches.conftest import SHANGHAI_NOON, claim, due_touch, resolve_issue

pytestmark = pytest.mark.django_db


def _due_follow_up(customer, hotel, **customer_fields):
    if customer_fields:
        services.customer_update(customer=customer, **customer_fields)
    issue = resolve_issue(customer, hotel)
    touch = Touch.objects.get(issue=issue)
    Touch.objects.filter(pk=touch.pk).update(due_at=timezone.now())
    return claim(touch)


def _links(text):
    return re.findall(r"http://testserver(/t/[a-z]+/[^\s/]+/)", text)


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_follow_up_reaches_the_guest_with_both_parts_headers_and_working_links(smtp, hotel, customer, client):
    # Given a resolved issue whose follow-up is due, when it is sent
    touch = _due_follow_up(customer, hotel, preferred_name="Shona")
    assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.SENT]

    # then the guest got one message from the property, addressed by the name she goes by
    [message] = smtp.messages
    assert message["To"] == "siobhan@example.ie"
    assert "Bund Hotel" in message["From"] and "desk@bund.example" in message["From"]
    assert "Shona" in message["Subject"]
    assert message["Message-ID"] == Touch.objects.get(pk=touch.pk).message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # (the issue has no guest summary: a neutral phrase, never the staff's own words)
    assert "something was not as it should have been" in text and "something was not as it should have been" in html
    assert "Room too noisy" not in text and "Room too noisy" not in html
    unsubscribe, survey = _links(text)[-1], _links(text)[0]
    assert "/t/feedback/" in survey and "/t/unsubscribe/" in unsubscribe
    assert message["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert f"List-Unsubscribe: <http://testserver{unsubscribe}>".encode() in smtp.raw[0]  # verbatim, not =?utf-8?
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SENT and touch.sent_at and touch.body_text == text.replace("\r\n", "\n")

    # the survey link records a score and a comment; the score clicked in the HTML part is chosen already
    assert f'href="http://testserver{survey}?score=5"' in html
    assert 'value="5" required id="id_score_4" checked' in client.get(f"{survey}?score=5").content.decode()
    assert Feedback.objects.count() == 0
    assert client.post(survey, {"score": "9"}).status_code == 400  # bad input: the form again, never a 500
    assert client.post(survey, {"score": "4", "comment": "Much better"}).status_code == 200
    feedback = Feedback.objects.get()
    assert (feedback.score, feedback.comment, feedback.issue_id) == (4, "Much better", touch.issue_id)

    # and one click on unsubscribe (no login) records the opt-out and stops what was pending
    services.contact_log(customer=customer, kind="departure", property=hotel)
    assert Touch.objects.filter(customer=customer, status=TouchStatus.SCHEDULED).exists()
    assert client.get(unsubscribe).status_code == 200
    assert client.post(unsubscribe).status_code == 200
    customer.refresh_from_db()
    assert not (customer.consent_service or customer.consent_marketing or customer.consent_surprises)
    assert not Touch.objects.filter(customer=customer, status=TouchStatus.SCHEDULED).exists()


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_the_mail_client_one_click_unsubscribe_and_a_tampered_link(smtp, hotel, customer, client):
    touches_send(touch_ids=[_due_follow_up(customer, hotel).pk])
    url = smtp.messages[0]["List-Unsubscribe"].strip("<>")
    assert client.post(url[:-3] + "xx/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    customer.refresh_from_db()
    assert customer.consent_service is False


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_chinese_guest_gets_the_message_and_the_survey_page_in_her_script(smtp, hotel, organization, client):
    guest = CustomerFactory(
        organization=organization, native_only=True, native_name="王芳", preferred_name="芳", language="zh-hant"
    )
    touches_send(touch_ids=[_due_follow_up(guest, hotel).pk])
    [message] = smtp.messages
    text = message.get_body(("plain",)).get_content()
    assert "芳" in message["Subject"] and "嗎" in message["Subject"]  # traditional characters
    page = client.get(_links(text)[0]).content.decode()
    assert "您" in page or "我們" in page


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_sending_twice_sends_once(smtp, hotel, customer):
    touch = _due_follow_up(customer, hotel)
    assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.SENT]
    assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.NOTHING]
    assert len(smtp.messages) == 1


@time_machine.travel(SHANGHAI_NOON, tick=False)
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"do_not_contact": True}, "do not contact"),
        ({"email": ""}, "no email address"),
    ],
)
def test_a_guest_who_must_not_be_mailed_is_skipped_with_a_reason(smtp, hotel, customer, fields, reason):
    touch = _due_follow_up(customer, hotel)
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.SENDING)  # restriction after the claim
    from crm.models import Customer

    Customer.objects.filter(pk=customer.pk).update(**fields)
    assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.SKIPPED]
    touch.refresh_from_db()
    assert (touch.status, touch.reason) == (TouchStatus.SKIPPED, reason)
    assert smtp.messages == []


def _greeting(customer, hotel, kind=TouchKind.BIRTHDAY, key=None):
    return due_touch(customer, hotel, kind, key)


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_no_surprise_while_a_complaint_is_open_and_at_most_one_per_week(smtp, hotel, customer):
    # An open complaint holds back a birthday greeting
    issue = services.issue_open(customer=customer, property=hotel, summary="Cold breakfast")
    assert list(touches_send(touch_ids=[_greeting(customer, hotel).pk]).values()) == [Outcome.SKIPPED]
    assert Touch.objects.get(kind=TouchKind.BIRTHDAY).reason == "open complaint"
    # once it is resolved, the follow-up (service) goes, and so does one greeting
    services.issue_update(issue=issue, status="resolved", resolution="Fresh one served")
    anniversary = _greeting(customer, hotel, TouchKind.ANNIVERSARY)
    assert list(touches_send(touch_ids=[anniversary.pk]).values()) == [Outcome.SENT]
    # a second non-service touch within 7 days is held back by the pressure cap
    thank_you = _greeting(customer, hotel, TouchKind.THANK_YOU)
    assert list(touches_send(touch_ids=[thank_you.pk]).values()) == [Outcome.SKIPPED]
    thank_you.refresh_from_db()
    assert thank_you.reason.startswith("pressure cap")
    # service follow-ups are exempt
    follow_up = Touch.objects.get(issue=issue)
    Touch.objects.filter(pk=follow_up.pk).update(due_at=timezone.now())
    assert list(touches_send(touch_ids=[claim(follow_up).pk]).values()) == [Outcome.SENT]
    assert len(smtp.messages) == 2


def test_quiet_hours_follow_the_property_clock(smtp, organization, customer):
    shanghai = PropertyFactory(organization=organization, name="Shanghai", timezone="Asia/Shanghai")
    new_york = PropertyFactory(organization=organization, name="New York", timezone="America/New_York")
    # 02:00 UTC = 10:00 in Shanghai, 21:00 the evening before in New York (EST)
    with time_machine.travel(datetime(2026, 1, 15, 2, 0, tzinfo=UTC), tick=False):
        assert list(touches_send(touch_ids=[_greeting(customer, shanghai, key="a").pk]).values()) == [Outcome.SENT]
        postponed = _greeting(customer, new_york, TouchKind.ISSUE_FOLLOW_UP, key="b")
        assert list(touches_send(touch_ids=[postponed.pk]).values()) == [Outcome.POSTPONED]
        postponed.refresh_from_db()
        # postponed to 09:00 New York time
        assert postponed.status == TouchStatus.SCHEDULED and postponed.reason == "quiet hours"
        assert postponed.due_at == datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 1, 15, 14, 0, 30, tzinfo=UTC), tick=False):
        dispatch.touches_claim()
        assert list(touches_send(touch_ids=[postponed.pk]).values()) == [Outcome.SENT]
    assert len(smtp.messages) == 2


def test_quiet_hours_end_at_nine_local_across_the_dst_change(smtp, organization, customer):
    new_york = PropertyFactory(organization=organization, name="New York", timezone="America/New_York")
    # 2026-03-08 is the spring-forward night in New York: at 02:00 EST the clocks jump to 03:00 EDT.
    with time_machine.travel(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), tick=False):  # 01:30 EST
        touch = _greeting(customer, new_york, TouchKind.ISSUE_FOLLOW_UP, key="dst")
        assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.POSTPONED]
    touch.refresh_from_db()
    assert touch.due_at == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT (UTC-4), not 14:00


def _send_answered(smtp, customer, hotel, reply: str):
    """The guest's follow-up sent once to a server that answers reply to it: the outcome, and the touch after."""
    smtp.replies = [reply]
    touch = _due_follow_up(customer, hotel)
    [outcome] = touches_send(touch_ids=[touch.pk]).values()
    touch.refresh_from_db()
    return outcome, touch


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_4xx_is_retried_with_backoff_and_sent_once(smtp, hotel, customer):
    outcome, touch = _send_answered(smtp, customer, hotel, "451 4.3.0 Try again later")
    assert outcome == Outcome.RETRY
    assert (touch.status, touch.attempts) == (TouchStatus.SCHEDULED, 1)
    assert touch.due_at == timezone.now() + timedelta(minutes=1) and "451" in touch.reason
    assert dispatch.touches_claim() == []  # not before the backoff
    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=1), tick=False):
        assert dispatch.touches_claim() == [touch.pk]
        assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.SENT]
    assert len(smtp.messages) == 1 and smtp.refused == 1
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SENT and touch.attempts == 2


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_5xx_fails_at_once_with_the_reason_and_no_retry(smtp, hotel, customer):
    outcome, touch = _send_answered(smtp, customer, hotel, "550 5.1.1 No such mailbox")
    assert outcome == Outcome.FAILED
    assert touch.status == TouchStatus.FAILED and "550" in touch.reason and "No such mailbox" in touch.reason
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert dispatch.touches_claim() == []
    assert smtp.refused == 1 and smtp.messages == []


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_mail_server_that_is_down_is_retried_then_the_touch_fails(settings, hotel, customer):
    from tests.personalization.touches.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.RAPPORT_TOUCH_MAX_ATTEMPTS = 2
    touch = _due_follow_up(customer, hotel)
    assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.RETRY]
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        dispatch.touches_claim()
        assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.FAILED]
    touch.refresh_from_db()
    assert touch.status == TouchStatus.FAILED and "ConnectionRefused" in touch.reason and touch.attempts == 2


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_kept_connection_carries_several_messages_and_survives_a_server_restart(smtp, hotel, organization):
    from django.core.mail import get_connection

    connection = get_connection()
    guests = [CustomerFactory(organization=organization) for _ in range(3)]
    touches = [_due_follow_up(guest, hotel) for guest in guests]
    assert list(touches_send(touch_ids=[touches[0].pk], connection=connection).values()) == [Outcome.SENT]
    kept = connection.connection
    assert list(touches_send(touch_ids=[touches[1].pk], connection=connection).values()) == [Outcome.SENT]
    assert connection.connection is kept  # the same SMTP session
    kept.sock.close()  # the server (or a firewall) dropped the idle connection
    assert list(touches_send(touch_ids=[touches[2].pk], connection=connection).values()) == [Outcome.SENT]
    assert len(smtp.messages) == 3
    connection.close()


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_greeting_going_out_on_another_worker_counts_against_the_cap(smtp, hotel, customer):
    in_flight = _greeting(customer, hotel, TouchKind.BIRTHDAY)
    Touch.objects.filter(pk=in_flight.pk).update(attempt_started_at=timezone.now())  # mid-SMTP elsewhere
    anniversary = _greeting(customer, hotel, TouchKind.ANNIVERSARY)
    assert list(touches_send(touch_ids=[anniversary.pk]).values()) == [Outcome.SKIPPED]
    assert Touch.objects.get(kind=TouchKind.ANNIVERSARY).reason.startswith("pressure cap")
    assert smtp.messages == []
