"""Sending a batch of touches (what one send_touches task does), through a real SMTP server: each
touch gets its own outcome, the pressure cap holds inside the batch, and a worker dying between a
message and its "sent" mark re-sends that message with the same Message-ID, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from crm.models import Customer
from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services import dispatch, send
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory, PropertyFactory
from tests.personalization.touches.conftest import SHANGHAI_NOON, due_touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(organization):
    return PropertyFactory(organization=organization, name="Bund Hotel", timezone="Asia/Shanghai")


def _guest(organization, **fields) -> Customer:
    return CustomerFactory(organization=organization, **fields)


def send_batch(*touches: Touch) -> list[Outcome]:
    """touches_send of these touches as one batch: an outcome for each, in their order."""
    outcomes = touches_send(touch_ids=[t.pk for t in touches])
    assert set(outcomes) == {t.pk for t in touches}
    return [outcomes[t.pk] for t in touches]


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_each_touch_of_a_batch_gets_its_own_outcome(smtp, organization, shanghai):
    # Given a batch of four: a refused one (the server answers 451 to the first message), a guest
    # who must not be contacted, one whose property is in its night, and an ordinary one
    new_york = PropertyFactory(organization=organization, name="Harbour NY", timezone="America/New_York")
    smtp.replies = ["451 4.3.0 Try again later"]
    refused = due_touch(_guest(organization), shanghai)
    skipped = due_touch(_guest(organization, do_not_contact=True), shanghai)
    postponed = due_touch(_guest(organization), new_york)
    sent = due_touch(_guest(organization), shanghai)

    # when the batch is sent
    outcomes = send_batch(refused, skipped, postponed, sent)

    # then each touch has its own outcome, and only the ordinary one reached the guest
    assert outcomes == [Outcome.RETRY, Outcome.SKIPPED, Outcome.POSTPONED, Outcome.SENT]
    assert [m["X-Rapport-Touch"] for m in smtp.messages] == [str(sent.pk)] and smtp.refused == 1
    for touch in (refused, skipped, postponed, sent):
        touch.refresh_from_db()
    assert (refused.status, refused.attempts) == (TouchStatus.SCHEDULED, 1) and "451" in refused.reason
    assert refused.due_at == timezone.now() + timedelta(minutes=1)  # its own backoff
    assert (skipped.status, skipped.reason) == (TouchStatus.SKIPPED, "do not contact")
    assert (postponed.status, postponed.reason) == (TouchStatus.SCHEDULED, "quiet hours")
    assert postponed.due_at == datetime(2026, 1, 15, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert sent.status == TouchStatus.SENT and sent.sent_at and sent.provider_message_id == sent.message_id
    assert sent.attempt_started_at is None and sent.claimed_at is None

    # and the same batch delivered again (acks_late after a crash) does nothing
    assert set(send_batch(refused, skipped, postponed, sent)) == {Outcome.NOTHING}
    assert len(smtp.messages) == 1


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_the_pressure_cap_holds_inside_one_batch(smtp, organization, shanghai, customer):
    # Given a birthday and an anniversary of one guest, and another guest's birthday, in one batch
    birthday = due_touch(customer, shanghai, TouchKind.BIRTHDAY)
    anniversary = due_touch(customer, shanghai, TouchKind.ANNIVERSARY)
    other = due_touch(_guest(organization), shanghai, TouchKind.BIRTHDAY)
    follow_up = due_touch(customer, shanghai, TouchKind.ISSUE_FOLLOW_UP)  # service: exempt from the cap

    outcomes = send_batch(birthday, anniversary, other, follow_up)

    # then the guest gets one greeting, not two; the other guest and the follow-up are not held back
    assert outcomes == [Outcome.SENT, Outcome.SKIPPED, Outcome.SENT, Outcome.SENT]
    assert Touch.objects.get(pk=anniversary.pk).reason.startswith("pressure cap")
    assert sorted(m["X-Rapport-Touch"] for m in smtp.messages) == sorted(
        str(t.pk) for t in (birthday, other, follow_up)
    )


def break_for(monkeypatch, step: str, touch: Touch, error: type[BaseException]):
    """send.<step> raises error for this touch and works for the others; the working step, to put back."""
    works = getattr(send, step)

    def broken(target, *args, **kwargs):
        if target.pk == touch.pk:
            raise error
        return works(target, *args, **kwargs)

    monkeypatch.setattr(send, step, broken)
    return works


class Killed(BaseException):
    """What SIGKILL does to a worker, seen from the code: nothing after this point runs."""


def test_a_worker_dying_between_a_message_and_its_sent_mark(smtp, organization, shanghai, monkeypatch):
    # Given a batch of three, and a worker that dies right after the server accepted the second
    start = SHANGHAI_NOON
    with time_machine.travel(start, tick=False):
        first, second, third = (due_touch(_guest(organization), shanghai) for _ in range(3))
        mark = break_for(monkeypatch, "_mark_sent", second, Killed)  # dies right after the server accepted it
        with pytest.raises(Killed):
            touches_send(touch_ids=[first.pk, second.pk, third.pk])
        monkeypatch.setattr(send, "_mark_sent", mark)
    assert [m["X-Rapport-Touch"] for m in smtp.messages] == [str(first.pk), str(second.pk)]
    assert Touch.objects.get(pk=first.pk).status == TouchStatus.SENT  # its mark was written before
    stored = Touch.objects.get(pk=second.pk).message_id

    # when the claim goes stale and the dispatcher hands the unfinished touches out again
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert dispatch.touches_claim() == [second.pk, third.pk]
        assert touches_send(touch_ids=[second.pk, third.pk]) == {second.pk: Outcome.SENT, third.pk: Outcome.SENT}

    # then the first went once, the third once, and the second twice with the SAME Message-ID
    # (one message in the guest's mailbox): the documented window of one SMTP round trip
    per_touch = [m["X-Rapport-Touch"] for m in smtp.messages]
    assert sorted(per_touch) == sorted([str(first.pk), str(second.pk), str(second.pk), str(third.pk)])
    assert {m["Message-ID"] for m in smtp.messages if m["X-Rapport-Touch"] == str(second.pk)} == {stored}
    assert Touch.objects.filter(status=TouchStatus.SENT).count() == 3


def test_a_batch_that_runs_out_of_time_hands_the_rest_back(smtp, organization, shanghai, monkeypatch, settings):
    # Given a batch of three and a mail server so slow the first message takes most of the claim
    with time_machine.travel(SHANGHAI_NOON, tick=False) as clock:
        touches = [due_touch(_guest(organization), shanghai) for _ in range(3)]
        deliver = send._deliver

        def slow(touch, connection, **flush):
            outcome = deliver(touch, connection, **flush)
            clock.shift(timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS * 0.6))
            return outcome

        monkeypatch.setattr(send, "_deliver", slow)
        outcomes = touches_send(touch_ids=[t.pk for t in touches])

    # then past half the claim timeout the batch stops, before a re-queue could race it: the rest
    # are scheduled again as if never attempted
    assert [outcomes[t.pk] for t in touches] == [Outcome.SENT, Outcome.POSTPONED, Outcome.POSTPONED]
    assert len(smtp.messages) == 1
    for touch in touches[1:]:
        touch.refresh_from_db()
        assert (touch.status, touch.attempts, touch.claimed_at) == (TouchStatus.SCHEDULED, 0, None)
        assert touch.message_id  # made once: the next attempt sends the same Message-ID


def test_a_soft_time_limit_mid_message_hands_back_the_touches_after_it(smtp, organization, shanghai, monkeypatch):
    # Given a batch of three, and Celery's soft time limit striking while the second message is with the server
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        first, second, third = (due_touch(_guest(organization), shanghai) for _ in range(3))
        break_for(monkeypatch, "_deliver", second, SoftTimeLimitExceeded)  # strikes while it is with the server
        with pytest.raises(SoftTimeLimitExceeded):
            touches_send(touch_ids=[first.pk, second.pk, third.pk])

    # then the first is sent; the second keeps its claim (it may have reached the server: after the claim timeout
    # it goes again, with its Message-ID, and this attempt is counted then); the third, never started, is due
    # again now
    for touch in (first, second, third):
        touch.refresh_from_db()
    assert first.status == TouchStatus.SENT
    assert (second.status, second.attempts) == (TouchStatus.SENDING, 0) and second.attempt_started_at
    assert (third.status, third.attempts, third.claimed_at) == (TouchStatus.SCHEDULED, 0, None)
    assert [m["X-Rapport-Touch"] for m in smtp.messages] == [str(first.pk)]


def test_the_dispatcher_hands_out_one_task_per_batch(organization, customer, django_capture_on_commit_callbacks):
    for n in range(send.SEND_BATCH * 2 + 7):
        Touch.objects.create(
            organization=organization,
            customer=customer,
            kind=TouchKind.BIRTHDAY,
            due_at=timezone.now() - timedelta(minutes=1),
            idempotency_key=f"birthday:{customer.pk}:{n}",
        )
    tasks: list[list[int]] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.touches_dispatch(enqueue=tasks.append) == send.SEND_BATCH * 2 + 7
    assert [len(ids) for ids in tasks] == [send.SEND_BATCH, send.SEND_BATCH, 7]
    assert len({pk for ids in tasks for pk in ids}) == send.SEND_BATCH * 2 + 7


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_of_the_batch_goes_out(smtp, organization, shanghai):
    # Given a batch whose middle guest has a line break in the name (written before names were checked)
    before = due_touch(_guest(organization, given_name="Ann"), shanghai)
    poisoned = due_touch(_guest(organization, given_name="Eve"), shanghai)
    Customer.objects.filter(pk=poisoned.customer_id).update(preferred_name="Eve\r\nBcc: everyone@example.com")
    after = due_touch(_guest(organization, given_name="Zoe"), shanghai)

    # when the batch is sent
    outcomes = touches_send(touch_ids=[before.pk, poisoned.pk, after.pk])

    # then the poisoned touch failed with its reason and one attempt; the two others reached their guests
    assert outcomes == {before.pk: Outcome.SENT, poisoned.pk: Outcome.FAILED, after.pk: Outcome.SENT}
    assert sorted(m["X-Rapport-Touch"] for m in smtp.messages) == sorted([str(before.pk), str(after.pk)])
    poisoned.refresh_from_db()
    assert (poisoned.status, poisoned.attempts) == (TouchStatus.FAILED, 1)
    assert "linefeed" in poisoned.reason and poisoned.claimed_at is None
    # and nothing is left claimed to be handed out again
    assert not Touch.objects.filter(status=TouchStatus.SENDING).exists()
