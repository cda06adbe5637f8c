"""The access audit's one writer."""

from __future__ import annotations

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
    on the brief's hot path; the choices are checked here and by the database's constraints."""
    AccessRecord.objects.create(
        organization_id=organization_id,
        customer_id=customer_id,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        action=AccessAction(action),
        channel=AccessChannel(channel),
        property_id=property_id,
    )
