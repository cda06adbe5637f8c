"""Writes of gift rules: create, change, archive, and stop those a deleted property leaves empty. One
transaction each; a rule is validated before saving; every change leaves a crm ChangeRecord."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ChangeAction, Organization, Property
from crm.services.common import User, assign, created, deleted, record
from personalization.gifts.rules import validate_rule
from personalization.gifts.signals import delights_expired
from personalization.models import Delight, DelightStatus, GiftRule

# What a rule says, in the editor's order; the serializer and the editor's form list these (and the
# rule's properties, a relation the services take apart).
RULE_FIELDS = (
    "name",
    "trigger",
    "window_days",
    "visit_number",
    "absence_days",
    "gift",
    "cost",
    "monthly_budget",
    "budget_per_property",
    "cooldown_days",
    "yearly_cap",
    "approval_above",
    "tags",
    "preference_category",
    "min_visits",
    "min_severity",
    "starts_on",
    "ends_on",
    "priority",
    "active",
    "notify_guest",
)


def _rule_data(rule: GiftRule) -> dict[str, Any]:
    return model_to_dict(rule, fields=RULE_FIELDS)


def _check(rule: GiftRule, properties: Any) -> None:
    validate_rule(_rule_data(rule), today=timezone.localdate())
    rule.full_clean()
    if properties is not None and any(p.organization_id != rule.organization_id for p in properties):
        raise ValidationError({"properties": [_("A property of another organization.")]})


def _property_ids(properties: Any) -> list[int]:
    return sorted(p.pk for p in properties)


@transaction.atomic
def gift_rule_create(
    *, organization: Organization, actor: User | None = None, properties: Any = (), **fields: Any
) -> GiftRule:
    """A new rule of this organization (of these properties; none: every one), refused (ValidationError
    by field) when it could never fire."""
    rule = GiftRule(organization=organization)
    assign(rule, fields, RULE_FIELDS)
    properties = list(properties or ())
    _check(rule, properties)
    rule.save()
    rule.properties.set(properties)
    record(
        organization=organization,
        actor=actor,
        action=ChangeAction.GIFT_RULE_CREATE,
        target=rule,
        changes=created({**_rule_data(rule), "properties": _property_ids(properties)}),
    )
    return rule


@transaction.atomic
def gift_rule_update(*, rule: GiftRule, actor: User | None = None, properties: Any = None, **fields: Any) -> GiftRule:
    """Changes the given fields (and the properties, when given); nothing recorded when nothing changed."""
    changed = assign(rule, fields, RULE_FIELDS)
    if properties is not None:
        properties = list(properties)
        before = sorted(rule.properties.values_list("pk", flat=True))
        if _property_ids(properties) != before:
            changed["properties"] = {"old": before, "new": _property_ids(properties)}
    if not changed:
        return rule
    _check(rule, properties)
    rule.save(update_fields=sorted((set(changed) - {"properties"}) | {"updated_at"}))
    if "properties" in changed:
        rule.properties.set(properties)
    record(
        organization=rule.organization, actor=actor, action=ChangeAction.GIFT_RULE_UPDATE, target=rule, changes=changed
    )
    return rule


@transaction.atomic
def gift_rule_delete(*, rule: GiftRule, actor: User | None = None) -> None:
    """Deleting keeps the rule's delights and spending (history); it stops suggesting and leaves every list."""
    rule.deleted_at = timezone.now()
    rule.active = False
    rule.save(update_fields=["deleted_at", "active", "updated_at"])
    expired = Delight.objects.filter(rule=rule, status=DelightStatus.SUGGESTED).update(
        status=DelightStatus.EXPIRED, updated_at=timezone.now()
    )
    if expired:
        delights_expired.send(sender=Delight)
    record(actor=actor, action=ChangeAction.GIFT_RULE_DELETE, target=rule, changes=deleted({"name": rule.name}))


def gift_rules_stop_for_property(*, property_: Property) -> int:
    """A property is being deleted: a rule that listed only it would, its list emptied, apply at every
    property, so it stops instead (inactive, kept for the record). A rule listing others keeps them."""
    listed = GiftRule.properties.through.objects
    others = listed.filter(giftrule_id=OuterRef("giftrule_id")).exclude(property_id=property_.pk)
    only_this = listed.filter(property_id=property_.pk).exclude(Exists(others)).values("giftrule_id")
    return GiftRule.objects.filter(pk__in=only_this, active=True).update(active=False, updated_at=timezone.now())
