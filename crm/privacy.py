"""Data-subject rights: the export document of one guest, shared by the API and the screen.

The export is a read, but it is audited in the same request: the access record is written first, so the
access log the document carries shows this export too."""

from __future__ import annotations

import base64
import mimetypes
from typing import Any

from django.db.models import FileField
from django.utils import timezone

from crm import selectors, services
from crm.models import AccessAction, AccessChannel, Customer
from crm.serializers import AccessRecordSerializer, CustomerSerializer
from crm.services.common import User
from crm.services.pronunciation import AUDIO_KINDS


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
        "files": stored_files(customer),
        "access_log": AccessRecordSerializer(
            selectors.access_log(customer_id=customer.pk, organization=customer.organization), many=True
        ).data,
    }


def stored_files(customer: Customer) -> list[dict[str, Any]]:
    """The files held about the guest (their recording of their name, and any file field added later), of their
    profile and the profiles merged into it, each with its bytes in base64: the export holds the voice itself,
    not only a file name."""
    profiles = [customer, *Customer.objects.filter(merged_into=customer).order_by("pk")]
    files = []
    for profile in profiles:
        for field in Customer._meta.concrete_fields:
            if not isinstance(field, FileField):
                continue
            stored = getattr(profile, field.attname)
            if not stored or not stored.storage.exists(stored.name):
                continue
            with stored.storage.open(stored.name, "rb") as handle:
                content = handle.read()
            files.append(
                {
                    "profile": profile.pk,
                    "field": field.name,
                    "name": stored.name,
                    "content_type": _content_type(stored.name),
                    "size": len(content),
                    "base64": base64.b64encode(content).decode("ascii"),
                }
            )
    return files


def _content_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    audio = next((kind.content_type for kind in AUDIO_KINDS if kind.extension == extension), None)
    return audio or mimetypes.guess_type(name)[0] or "application/octet-stream"
