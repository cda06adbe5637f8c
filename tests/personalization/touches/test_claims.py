"""Two dispatchers at once never claim the same touch (SELECT ... FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services import dispatch
from tests.factories import CustomerFactory
from tests.transactions import held_open

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
    # The first dispatcher holds its row locks until the other one has run, which does not wait on them
    with held_open(lambda: dispatch.touches_claim(limit=3)) as first:
        second = dispatch.touches_claim(limit=10)
    claimed = {"first": first["result"], "second": second}

    assert len(claimed["first"]) == 3 and len(claimed["second"]) == 3
    assert set(claimed["first"]).isdisjoint(claimed["second"])
    assert Touch.objects.filter(status=TouchStatus.SENDING).count() == 6
