"""Folding a duplicate profile into the kept one, and undoing it within 30 days."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import signals
from crm.errors import Conflict
from crm.lookup import terms
from crm.models import VISIT_KINDS, ChangeAction, Customer, EventType, Merge, SearchTerm
from crm.services.common import User, record, user_or_none
from crm.services.customers import NAME_DETAIL_FIELDS
from crm.webhooks import services as webhooks

UNDO_WINDOW = timedelta(days=30)
# Kept-profile fields a merge fills from the duplicate when the kept one has none.
FILLABLE_FIELDS = ("given_name", "family_name", *NAME_DETAIL_FIELDS, "email", "phone", "home_property_id")
# Dates move whole: a kept "02-29" and a duplicate's "1985-07-01" must not make 1985-02-29.
FILLABLE_DATES = {
    "birthday": ("birthday_year", "birthday_month", "birthday_day"),
    "anniversary": ("anniversary_year", "anniversary_month", "anniversary_day"),
}
# After a merge the most careful wish of either profile holds.
RESTRICTIVE_FLAGS = {"do_not_contact": any, "consent_service": all, "consent_marketing": all, "consent_surprises": all}
# Relations that are the merge's own bookkeeping, not the customer's history.
NOT_MOVED = {(SearchTerm, "customer"), (Merge, "kept"), (Merge, "duplicate"), (Customer, "merged_into")}


def _relations():
    """Every foreign key to Customer in every installed app (personalization's rows included,
    without crm importing it): (model, field name)."""
    for relation in Customer._meta.related_objects:
        if relation.many_to_many or (relation.related_model, relation.field.name) in NOT_MOVED:
            continue
        yield relation.related_model, relation.field.name


def merge_fills(kept: Customer, duplicate: Customer) -> dict[str, object]:
    """{field: value} the merge sets on kept: its empty fields filled from the duplicate (a date whole), the
    tags of both, and the most careful consent of either. The one rule the merge and its preview share."""
    fills: dict[str, object] = {}
    for field in FILLABLE_FIELDS:
        if getattr(kept, field) in ("", None) and getattr(duplicate, field) not in ("", None):
            fills[field] = getattr(duplicate, field)
    for _date, (year, month, day) in FILLABLE_DATES.items():
        if getattr(kept, month) is None and getattr(duplicate, month) is not None:
            for field in (year, month, day):
                fills[field] = getattr(duplicate, field)
    if set(duplicate.tags) - set(kept.tags):
        fills["tags"] = list(dict.fromkeys([*kept.tags, *duplicate.tags]))
    for flag, combine in RESTRICTIVE_FLAGS.items():
        value = combine([getattr(kept, flag), getattr(duplicate, flag)])
        if value != getattr(kept, flag):
            fills[flag] = value
    return fills


def merge_moves(duplicate: Customer) -> list[tuple[type, int]]:
    """(model, rows) of the duplicate's history a merge would move to the kept profile, each model once."""
    counts: dict[type, int] = {}
    for model, field in _relations():
        n = model._base_manager.filter(**{field: duplicate}).count()
        if n:
            counts[model] = counts.get(model, 0) + n
    return list(counts.items())


def _refresh_visits(customer: Customer) -> None:
    stats = customer.contacts.aggregate(
        visits=Count("pk", filter=Q(kind__in=VISIT_KINDS)), first=Min("occurred_at"), last=Max("occurred_at")
    )
    customer.visit_count, customer.first_seen, customer.last_seen = stats["visits"], stats["first"], stats["last"]


def _lock(*customers: Customer) -> None:
    # Both rows, in pk order, so two merges of the same pair cannot deadlock.
    list(Customer.objects.select_for_update().filter(pk__in=[c.pk for c in customers]).order_by("pk"))


@transaction.atomic
def customer_merge(*, kept: Customer, duplicate: Customer, actor: User | None = None) -> Merge:
    """Move the duplicate's history to kept, fill kept's empty fields, hide the duplicate; undoable."""
    if kept.pk == duplicate.pk:
        raise ValidationError({"duplicate_id": [_("A customer cannot be merged into itself.")]})
    if kept.organization_id != duplicate.organization_id:
        raise ValidationError({"duplicate_id": [_("Unknown customer.")]})
    _lock(kept, duplicate)
    kept.refresh_from_db()
    duplicate.refresh_from_db()
    if duplicate.merged_into_id or kept.merged_into_id:
        raise Conflict(_("One of these customers has already been merged into another."))
    kept_was, duplicate_was = terms.vocabulary_words(kept), terms.vocabulary_words(duplicate)

    signals.customer_merging.send(sender=Customer, kept=kept, duplicate=duplicate)
    moved: dict[str, list[int]] = {}
    for model, field in _relations():
        rows = model._base_manager.filter(**{field: duplicate})
        ids = list(rows.order_by("pk").values_list("pk", flat=True))
        if ids:
            rows.update(**{field: kept})
            moved[f"{model._meta.label_lower}.{field}"] = ids

    # {field: {"old": before, "new": what the merge set}}: undo restores only what nobody changed since.
    filled: dict[str, dict] = {}
    for field, value in merge_fills(kept, duplicate).items():
        filled[field] = {"old": getattr(kept, field), "new": value}
        setattr(kept, field, value)

    _refresh_visits(kept)
    terms.derive_name_fields(kept)
    kept.save()
    duplicate.merged_into = kept
    duplicate.save(update_fields=["merged_into", "updated_at"])
    terms.index_customer(kept, was=kept_was)
    terms.index_customer(duplicate, was=duplicate_was)  # a merged profile has no terms: it is found through kept
    merge = Merge.objects.create(
        organization_id=kept.organization_id,
        kept=kept,
        duplicate=duplicate,
        moved=moved,
        filled=filled,
        merged_by=user_or_none(actor),
    )
    signals.customer_merged.send(sender=Customer, kept=kept, duplicate=duplicate, merge=merge, actor=actor)
    counts = {key: len(ids) for key, ids in moved.items()}
    record(
        actor=actor,
        action=ChangeAction.CUSTOMER_MERGE,
        target=kept,
        changes={"duplicate": duplicate.pk, "merge": merge.pk, "moved": counts},
    )
    webhooks.webhook_event_record(
        organization_id=kept.organization_id,
        event_type=EventType.CUSTOMER_MERGED,
        data={"id": kept.pk, "merged": duplicate.pk, "merge": merge.pk},
    )
    return merge


@transaction.atomic
def merge_undo(*, merge: Merge, actor: User | None = None) -> Merge:
    """Give the duplicate back its history and the kept profile its old values; once, within 30 days."""
    merge = Merge.objects.select_for_update().select_related("kept", "duplicate").get(pk=merge.pk)
    if merge.undone_at is not None:
        raise Conflict(_("This merge has already been undone."))
    if timezone.now() - merge.merged_at > UNDO_WINDOW:
        raise Conflict(_("A merge can be undone for 30 days; this one is older."))
    kept, duplicate = merge.kept, merge.duplicate
    _lock(kept, duplicate)
    kept.refresh_from_db()
    if kept.merged_into_id is not None:
        # Its history now lives further down the chain: undo the later merge first.
        raise Conflict(
            _("%(kept)s has since been merged into another profile; undo that merge first.") % {"kept": kept}
        )
    kept_was, duplicate_was = terms.vocabulary_words(kept), terms.vocabulary_words(duplicate)
    for key, ids in merge.moved.items():
        label, field = key.rsplit(".", 1)
        apps.get_model(label)._base_manager.filter(pk__in=ids, **{field: kept}).update(**{field: duplicate})
    kept.refresh_from_db()
    for field, change in merge.filled.items():
        if getattr(kept, field) == change["new"]:  # staff changed it since: their value stays
            setattr(kept, field, change["old"])
    for customer in (kept, duplicate):
        _refresh_visits(customer)
        terms.derive_name_fields(customer)
    duplicate.merged_into = None
    kept.save()
    duplicate.save()
    terms.index_customer(kept, was=kept_was)
    terms.index_customer(duplicate, was=duplicate_was)
    merge.undone_at = timezone.now()
    merge.undone_by = user_or_none(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    record(
        actor=actor,
        action=ChangeAction.CUSTOMER_MERGE_UNDO,
        target=kept,
        changes={"duplicate": duplicate.pk, "merge": merge.pk},
    )
    signals.customer_unmerged.send(sender=Customer, kept=kept, duplicate=duplicate, merge=merge, actor=actor)
    return merge
