"""Touches counted as the real sender leaves them (a real SMTP server): sent, skipped and why, cancelled."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from crm import services
from crm.models import Customer
from personalization.metrics.selectors import metrics_for
from personalization.models import Touch, TouchKind
from personalization.touches.services.manual import touch_cancel
from personalization.touches.services.send import Outcome, touches_send
from tests.personalization.touches.conftest import (  # noqa: F401 - fixtures
    SHANGHAI_NOON,
    claim,
    due_touch,
    resolve_issue,
    smtp,
    smtp_server,
)

pytestmark = pytest.mark.django_db


def day_figures(organization, hotel) -> dict:
    (period,) = metrics_for(
        organization_id=organization.pk,
        property_id=hotel.pk,
        start=date(2026, 1, 15),
        end=date(2026, 1, 15),
        granularity="day",
    )["periods"]
    return period


@time_machine.travel(SHANGHAI_NOON, tick=False)
def test_the_day_counts_what_went_out_what_did_not_and_why(smtp, hotel, customer, manager):  # noqa: F811
    # Given a follow-up sent,
    resolve_issue(customer, hotel)
    follow_up = Touch.objects.get(kind=TouchKind.ISSUE_FOLLOW_UP)
    Touch.objects.filter(pk=follow_up.pk).update(due_at=SHANGHAI_NOON)
    follow_up = claim(follow_up)
    assert list(touches_send(touch_ids=[follow_up.pk]).values()) == [Outcome.SENT]
    # a birthday greeting held back by an open complaint, another by the guest's "do not contact",
    services.issue_open(customer=customer, property=hotel, summary="Cold breakfast")
    assert list(touches_send(touch_ids=[due_touch(customer, hotel, TouchKind.BIRTHDAY).pk]).values()) == [
        Outcome.SKIPPED
    ]
    Customer.objects.filter(pk=customer.pk).update(do_not_contact=True)
    greeting = due_touch(customer, hotel, TouchKind.ANNIVERSARY)
    assert list(touches_send(touch_ids=[greeting.pk]).values()) == [Outcome.SKIPPED]
    # and a win-back a manager cancelled.
    win_back = due_touch(customer, hotel, TouchKind.WIN_BACK)
    touch_cancel(touch=win_back, actor=manager.user)

    figures = day_figures(customer.organization, hotel)
    assert figures["touches_sent"] == 1 and figures["touches_skipped"] == 2 and figures["touches_cancelled"] == 1
    assert figures["touches_skipped_by_reason"] == {"consent": 1, "pressure_cap": 0, "open_complaint": 1, "other": 0}
