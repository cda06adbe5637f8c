"""A touch that will not go out is never beyond a manager's reach (issue 11, findings 8 and 12): stuck or failed
touches can be cancelled or sent again (rendered from today's data), attempts count only for the touch that was
tried, and send-now says what really happens when the broker is down."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from celery import Celery
from django.utils import timezone

from crm import services as crm_services
from crm.models import ChangeAction, ChangeRecord, Customer
from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services import dispatch, manual, send
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory, PropertyFactory, StaffFactory, TouchFactory
from tests.personalization.touches.conftest import SHANGHAI_NOON, claim, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(organization):
    return PropertyFactory(organization=organization, name="Bund Hotel", timezone="Asia/Shanghai")


def _due(customer, property_, key: str) -> Touch:
    return claim(TouchFactory(customer=customer, property=property_, idempotency_key=f"follow-up:{customer.pk}:{key}"))


def _poison(customer: Customer) -> None:
    """A name written before names were checked (the validators refuse it now)."""
    Customer.objects.filter(pk=customer.pk).update(preferred_name="Eve\r\nBcc: everyone@example.com")


def test_a_failed_touch_is_sent_again_from_the_corrected_data(smtp, organization, shanghai, manager_api, manager):
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        # Given a touch that failed because of its guest's name
        guest = CustomerFactory(organization=organization, given_name="Eve", email="eve@example.com")
        _poison(guest)
        touch = _due(guest, shanghai, "poisoned")
        assert touches_send(touch_ids=[touch.pk]) == {touch.pk: Outcome.FAILED}
        # when a manager corrects the name and sends it again through the API
        guest.refresh_from_db()
        crm_services.customer_update(customer=guest, preferred_name="Evie")
        enqueued: list[list[int]] = []
        response = manager_api.post(f"/api/v1/touches/{touch.pk}/send-now/")
        # (pytest-django's transaction: the publish after the commit runs here)
        manual._publish(manual.SendNow(touch=touch), enqueued.append)
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "sending" and response.json()["attempts"] == 0
        assert enqueued == [[touch.pk]]
        outcomes = touches_send(touch_ids=enqueued[0])
    # then the message goes out with the corrected name, its attempts counted from zero, the retry on record
    assert outcomes == {touch.pk: Outcome.SENT}
    [message] = smtp.messages
    assert message["Subject"].startswith("Evie,") and "Bcc" not in message["Subject"]
    touch.refresh_from_db()
    assert (touch.status, touch.attempts) == (TouchStatus.SENT, 1)
    record = ChangeRecord.objects.get(action=ChangeAction.TOUCH_SEND_NOW, target_id=touch.pk)
    assert record.changes["status"] == {"old": "failed", "new": "sending"} and record.actor == manager.user


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_retry_after_a_mail_error_renders_the_message_from_todays_data(smtp, organization, shanghai):
    # Given a follow-up refused once by the mail server (4xx: retried later)
    guest = CustomerFactory(organization=organization, given_name="Eve", preferred_name="Eve")
    smtp.replies = ["451 4.3.0 Try again later"]
    touch = _due(guest, shanghai, "retry")
    assert touches_send(touch_ids=[touch.pk]) == {touch.pk: Outcome.RETRY}
    # when staff correct the name before the retry
    crm_services.customer_update(customer=guest, preferred_name="Evelyn")
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert dispatch.touches_claim() == [touch.pk]
        assert touches_send(touch_ids=[touch.pk]) == {touch.pk: Outcome.SENT}
    # then the guest reads the corrected name, not the one of the first attempt
    [message] = smtp.messages
    assert message["Subject"].startswith("Evelyn,")
    touch.refresh_from_db()
    assert touch.subject.startswith("Evelyn,") and touch.attempts == 2


def test_a_stuck_or_failed_touch_can_be_cancelled_by_a_manager(client, manager, frontdesk, organization, shanghai):
    now = timezone.now()
    guest = CustomerFactory(organization=organization)

    def touch(key: str, **fields) -> Touch:
        return Touch.objects.create(
            organization=organization,
            customer=guest,
            property=shanghai,
            kind=TouchKind.THANK_YOU,
            due_at=now - timedelta(minutes=20),
            idempotency_key=f"stuck:{key}",
            **fields,
        )

    # Given a touch stuck in sending (its worker died 10 minutes ago mid-attempt), a failed one, and one a worker
    # is sending right now
    old = now - timedelta(minutes=10)
    stuck = touch("stuck", status=TouchStatus.SENDING, claimed_at=old, attempt_started_at=old, attempts=1)
    failed = touch("failed", status=TouchStatus.FAILED, reason="could not build the message", attempts=1)
    busy = touch("busy", status=TouchStatus.SENDING, claimed_at=now, attempt_started_at=now)

    # then front desk may not cancel, a manager of another organization does not see them
    client.force_login(frontdesk.user)
    assert client.post(f"/touches/{stuck.pk}/cancel/").status_code == 403
    outsider = StaffFactory(property=PropertyFactory(name="Elsewhere"), role="manager")
    client.force_login(outsider.user)
    assert client.post(f"/touches/{stuck.pk}/cancel/").status_code == 404

    # a manager sees the buttons and cancels the stuck one on the screen, the failed one through the API
    client.force_login(manager.user)
    queue = client.get("/touches/").content.decode()
    assert f"/touches/{stuck.pk}/cancel/" in queue and f"/touches/{failed.pk}/send-now/" in queue
    assert f"/touches/{busy.pk}/cancel/" not in queue
    page = client.post(f"/touches/{stuck.pk}/cancel/", follow=True).content.decode()
    assert "Touch cancelled." in page
    api = client  # the session works for the API too
    response = api.post(f"/api/v1/touches/{failed.pk}/cancel/", content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    # and the one with the mail server right now is refused, with why
    response = api.post(f"/api/v1/touches/{busy.pk}/cancel/", content_type="application/json")
    assert response.status_code == 409 and "mail server right now" in response.json()["detail"]
    for row in (stuck, failed, busy):
        row.refresh_from_db()
    assert (stuck.status, failed.status, busy.status) == (TouchStatus.CANCELLED, TouchStatus.CANCELLED, "sending")
    assert stuck.claimed_at is None and stuck.attempt_started_at is None
    # nothing hands the cancelled ones out again (only the busy one's claim, once stale)
    assert dispatch.touches_claim(now=now + timedelta(hours=1)) == [busy.pk]


class Killed(BaseException):
    """What SIGKILL does to a worker, seen from the code: nothing after this point runs."""


def kill_the_worker_at(monkeypatch, deadly: Touch) -> None:
    """From now on, the worker dies (Killed) while the mail server has that touch's message."""
    deliver = send._deliver

    def killed(touch, connection, **flush):
        if touch.pk == deadly.pk:
            raise Killed
        return deliver(touch, connection, **flush)

    monkeypatch.setattr(send, "_deliver", killed)


def test_attempts_count_only_for_the_touch_that_was_tried(smtp, organization, shanghai, monkeypatch, settings):
    settings.RAPPORT_TOUCH_MAX_ATTEMPTS = 2
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        # Given a batch of three whose worker is killed while the first message is with the server
        first, second, third = (_due(CustomerFactory(organization=organization), shanghai, "b") for _ in range(3))
        kill_the_worker_at(monkeypatch, first)
        with pytest.raises(Killed):
            touches_send(touch_ids=[first.pk, second.pk, third.pk])
        monkeypatch.undo()  # the next worker lives
    # when the claim goes stale, the batch is handed out again and the server refuses the two others once (4xx)
    with time_machine.travel(SHANGHAI_NOON + timedelta(minutes=6), tick=False):
        assert dispatch.touches_claim() == [first.pk, second.pk, third.pk]
        smtp.replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
        outcomes = touches_send(touch_ids=[first.pk, second.pk, third.pk])
    # then the first (tried twice) is refused for good, but the two never tried keep their retries
    assert outcomes == {first.pk: Outcome.FAILED, second.pk: Outcome.RETRY, third.pk: Outcome.SENT}
    for touch in (first, second, third):
        touch.refresh_from_db()
    assert (first.attempts, second.attempts, third.attempts) == (2, 1, 1)


def test_a_touch_that_stops_its_worker_every_time_fails_instead_of_forever(smtp, organization, shanghai, monkeypatch):
    # Given a touch whose sending kills its worker (a hang past the hard time limit, a crash), with another behind it
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        deadly, fine = (_due(CustomerFactory(organization=organization), shanghai, "d") for _ in range(2))
    kill_the_worker_at(monkeypatch, deadly)
    # when it is handed out again after each death, as the dispatcher does
    outcomes: dict = {}
    for round_ in range(8):
        with time_machine.travel(SHANGHAI_NOON + timedelta(minutes=6 * round_), tick=False):
            ids = dispatch.touches_claim() if round_ else [deadly.pk, fine.pk]
            if not ids:
                break
            try:
                outcomes = touches_send(touch_ids=ids)
            except Killed:
                continue
    # then after RAPPORT_TOUCH_MAX_ATTEMPTS deaths it fails with the reason, and the other one went out
    deadly.refresh_from_db()
    fine.refresh_from_db()
    assert deadly.status == TouchStatus.FAILED and "worker stopped" in deadly.reason
    assert fine.status == TouchStatus.SENT and [m["X-Rapport-Touch"] for m in smtp.messages] == [str(fine.pk)]
    assert outcomes


@pytest.mark.django_db(transaction=True)
def test_send_now_with_the_broker_down_says_what_will_really_happen(client, manager, customer, property_, monkeypatch):
    # Given a scheduled follow-up and a broker that cannot be reached (a closed port: the shared Redis is left alone)
    touch = Touch.objects.create(
        organization=customer.organization,
        customer=customer,
        property=property_,
        kind=TouchKind.ISSUE_FOLLOW_UP,
        due_at=timezone.now() + timedelta(days=2),
        idempotency_key="follow-up:broker-down",
    )
    down = Celery("broker-down", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)

    def publish_to_the_closed_port(ids):  # send_now_enqueue's publish, on the unreachable broker
        return down.send_task(
            "personalization.send_touches", args=[ids], retry=True, retry_policy=manual.SEND_NOW_PUBLISH_RETRY
        )

    monkeypatch.setattr(manual, "send_now_enqueue", publish_to_the_closed_port)
    # when a manager presses Send now
    client.force_login(manager.user)
    started = time.monotonic()
    page = client.post(f"/touches/{touch.pk}/send-now/", follow=True).content.decode()
    elapsed = time.monotonic() - started
    # then the screen says the truth, quickly, and the touch waits for the dispatcher, due now
    assert "Touch handed to the mail worker" not in page
    assert "The mail worker cannot be reached right now" in page and "within 6 minutes" in page
    assert elapsed < 3, elapsed
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SCHEDULED and touch.due_at <= timezone.now()
    assert dispatch.touches_claim() == [touch.pk]  # the next dispatch takes it
    # and the API says the same
    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.SCHEDULED, claimed_at=None)
    body = client.post(f"/api/v1/touches/{touch.pk}/send-now/", content_type="application/json").json()
    assert body["handed_to_worker"] is False and "cannot be reached" in body["detail"]
    down.close()
