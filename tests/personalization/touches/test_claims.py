"""Two dispatchers at once never claim the same touch (SELECT ... FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services import dispatch
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_dispatchers_split_the_due_touches(organization):
    customer = CustomerFactory(organization=organization)
    for n in range(6):
        Touch.objects.create(
            organization=organization,
            customer=customer,
            kind=TouchKind.BIRTHDAY,
            due_at=timezone.now() - timedelta(minutes=n),
            idempotency_key=f"birthday:{customer.pk}:{n}",
        )
    first_holds, second_done, claimed = threading.Event(), threading.Event(), {}

    def first_dispatcher():
        try:
            with transaction.atomic():  # holds its row locks until the other dispatcher has run
                claimed["first"] = dispatch.touches_claim(limit=3)
                first_holds.set()
                second_done.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_dispatcher)
    thread.start()
    assert first_holds.wait(10)
    claimed["second"] = dispatch.touches_claim(limit=10)  # does not wait on the first one's locks
    second_done.set()
    thread.join(10)

    assert len(claimed["first"]) == 3 and len(claimed["second"]) == 3
    assert set(claimed["first"]).isdisjoint(claimed["second"])
    assert Touch.objects.filter(status=TouchStatus.SENDING).count() == 6
