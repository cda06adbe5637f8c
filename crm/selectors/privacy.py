"""Reads for data-subject rights and retention: a guest's access log, their export, the guests due for anonymizing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Model, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from crm.models import (
    SAFETY_ACTIONS,
    AccessRecord,
    ChangeRecord,
    Customer,
    Organization,
)
from crm.selectors.customers import customers_of

# --- data-subject rights: the access log and the export ------------------------


def access_log(
    *,
    customer_id: int,
    organization: Organization,
    since: datetime | None = None,
    action: str | None = None,
    safety: bool = False,
) -> QuerySet[AccessRecord]:
    """Who saw this guest, newest first (the organization's records only: an id is not a secret); since a
    moment, of one action, or (safety) only the views that showed their allergies and diets."""
    records = AccessRecord.objects.filter(organization=organization, customer_id=customer_id)
    if since is not None:
        records = records.filter(at__gte=since)
    if action:
        records = records.filter(action=action)
    if safety:
        records = records.filter(action__in=SAFETY_ACTIONS)
    return records.select_related("actor", "property").order_by("-at", "-id")


# Rows of a guest that the export leaves out: derived from the profile (search terms) or bookkeeping of
# merges (the profiles themselves are exported, merged ones included).
EXPORT_SKIPPED = frozenset({"crm.searchterm", "crm.merge", "crm.customer"})


def _plain(value: object) -> object:
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_row(instance: Model, skip: str = "") -> dict[str, object]:
    """Every stored column of a row as a plain JSON value (files by name), but the one named skip."""
    return {
        field.attname: _plain(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name != skip
    }


def customer_export(*, customer: Customer) -> dict[str, object]:
    """Everything held about a guest, as plain JSON values: every row of every model with a foreign key to
    the customer (crm's preferences, issues, contacts; personalization's touches with their rendered messages,
    delights, feedback; any model added later, without crm importing it), keyed by its related name, each with
    all its columns; the profiles merged into theirs; the change history about them; their access log.
    The profile itself is the API's shape, added by the caller."""
    people = [customer.pk, *Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]
    held: dict[str, object] = {}
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many or model._meta.label_lower in EXPORT_SKIPPED:
            continue
        rows = model._base_manager.filter(**{f"{relation.field.name}__in": people}).order_by("pk")
        held[relation.get_accessor_name()] = [export_row(row, relation.field.name) for row in rows]
    held["merged_profiles"] = [export_row(c, "") for c in Customer.objects.filter(pk__in=people[1:]).order_by("pk")]
    history = ChangeRecord.objects.filter(customer_id__in=people).select_related("actor").order_by("created_at", "id")
    held["history"] = [
        {
            "at": record.created_at.isoformat(),
            "actor": record.actor.get_username() if record.actor else None,
            "action": record.action,
            "target_type": record.target_type,
            "target_id": record.target_id,
            "changes": record.changes,
        }
        for record in history
    ]
    return held


# --- retention ---------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 March − 1 month → 28 or 29 February)."""
    return moment - relativedelta(months=months)


def customers_due_for_anonymizing(*, organization: Organization, now: datetime | None = None) -> QuerySet[Customer]:
    """The organization's guests the retention job would anonymize now: no contact (last_seen, or their creation
    when never seen) for organization.anonymize_after_months months. None when the setting is empty. Merged-away
    profiles are not listed: they go with the profile they were merged into."""
    months = organization.anonymize_after_months
    if not months:
        return Customer.objects.none()
    cutoff = months_before(now or timezone.now(), months)
    return (
        customers_of(organization)
        .filter(Q(last_seen__lt=cutoff) | Q(last_seen__isnull=True, created_at__lt=cutoff))
        .order_by("pk")
    )
