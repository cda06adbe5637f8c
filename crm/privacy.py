"""Data-subject rights: the export document of one guest, shared by the API and the screen.

The export is a read, but it is audited in the same request: the access record is written first, so the
access log the document carries shows this export too."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from crm import selectors, services
from crm.models import AccessAction, AccessChannel, Customer
from crm.serializers import AccessRecordSerializer, CustomerSerializer
from crm.services.common import User


def export_document(
    *, customer: Customer, actor: User | None, channel: AccessChannel, property_id: int | None
) -> dict[str, Any]:
    """Everything held about the guest: the profile in the API's shape and every stored column of it, then
    every row that points at them (crm.selectors.customer_export), their change history and their access log."""
    services.access_record(
        organization_id=customer.organization_id,
        customer_id=customer.pk,
        actor=actor,
        action=AccessAction.EXPORT,
        channel=channel,
        property_id=property_id,
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "customer": CustomerSerializer(customer, context={"organization": customer.organization}).data,
        "stored_profile": selectors.export_row(customer),
        **selectors.customer_export(customer=customer),
        "access_log": AccessRecordSerializer(
            selectors.access_log(customer_id=customer.pk, organization=customer.organization), many=True
        ).data,
    }
