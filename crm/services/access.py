"""The access audit's one writer."""

from __future__ import annotations

from django.db import connection, transaction

from crm.models import AccessAction, AccessChannel, AccessRecord
from crm.services.common import User


def access_record(
    *,
    organization_id: int,
    customer_id: int,
    actor: User | None,
    action: AccessAction | str,
    channel: AccessChannel | str,
    property_id: int | None = None,
) -> None:
    """Append that actor saw this guest (action) through channel at property: one INSERT, in the request that
    showed them. Ids, not objects, and no full_clean(): validating the foreign keys would cost a SELECT each
    on the brief's hot path; the choices are checked here and by the database's constraints.

    On PostgreSQL, a record written outside any other transaction commits asynchronously (``synchronous_commit
    off`` for that one transaction): the brief is otherwise a read, and waiting for the WAL flush of its access
    record cost 7–8 ms per request on this machine's disk (0.2 ms without; bench/run audit). The trade: a
    database crash may lose the last fraction of a second of access records (at most three times
    ``wal_writer_delay``, 0.6 s by default) — never a change to guest data, which commits as before, and never
    part of a record. Inside a request's write transaction the record simply commits with it."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        _insert(organization_id, customer_id, actor, action, channel, property_id)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _insert(organization_id, customer_id, actor, action, channel, property_id)


def _insert(organization_id, customer_id, actor, action, channel, property_id) -> None:
    AccessRecord.objects.create(
        organization_id=organization_id,
        customer_id=customer_id,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        action=AccessAction(action),
        channel=AccessChannel(channel),
        property_id=property_id,
    )
