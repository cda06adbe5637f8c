"""Reads of guest-list imports, scoped to the organization."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import GuestImport, Organization
from crm.selectors import get_or_404


def import_list(*, organization: Organization) -> QuerySet[GuestImport]:
    """The organization's imports, newest first."""
    return GuestImport.objects.filter(organization=organization).select_related("created_by", "property")


def import_get(*, organization: Organization, pk: object) -> GuestImport:
    """One import of the organization; 404 for another organization's or an unknown id."""
    return get_or_404(import_list(organization=organization), pk)
