"""All reads of gift rules and delights, scoped to one organization (another's row is a 404)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import ChangeRecord, Customer, Organization
from crm.selectors import get_or_404
from personalization.models import Delight, DelightStatus, GiftRule, GiftSpend


def gift_rule_list(*, organization: Organization, month: date | None = None) -> QuerySet[GiftRule]:
    """The organization's rules, highest priority first, each with ``spent_this_month`` and
    ``delivered_this_month`` (one query)."""
    month = GiftSpend.month_of(month or timezone.localdate())
    # Summed: a budget per property has a row per property.
    spend = GiftSpend.objects.filter(rule=OuterRef("pk"), month=month).values("rule").order_by()
    return (
        GiftRule.objects.live()
        .filter(organization=organization)
        .prefetch_related("properties")
        .annotate(
            spent_this_month=Coalesce(
                Subquery(spend.annotate(total=Sum("spent")).values("total")[:1]), Value(Decimal("0.00"))
            ),
            delivered_this_month=Coalesce(
                Subquery(spend.annotate(total=Sum("deliveries")).values("total")[:1]), Value(0)
            ),
        )
        .order_by("-priority", "name", "id")
    )


def gift_rule_get(*, organization: Organization, pk: object) -> GiftRule:
    return get_or_404(gift_rule_list(organization=organization), pk)


def delight_list(*, organization: Organization, customer: Customer | None = None) -> QuerySet[Delight]:
    """Delights newest first, optionally of one customer."""
    delights = Delight.objects.filter(organization=organization).select_related("rule", "customer", "delivered_by")
    if customer is not None:
        delights = delights.filter(customer=customer)
    return delights.order_by("-created_at", "-id")


def delight_get(*, organization: Organization, pk: object) -> Delight:
    return get_or_404(Delight.objects.filter(organization=organization), pk)


def delights_delivered(*, organization: Organization) -> QuerySet[Delight]:
    """Delivered by staff, newest first: who handed what to whom, for how much."""
    return (
        delight_list(organization=organization).filter(status=DelightStatus.DELIVERED).order_by("-delivered_at", "-id")
    )


def gift_audit(*, organization: Organization) -> QuerySet[ChangeRecord]:
    """Every rule change and every delight planned, delivered or declined, newest first."""
    return (
        ChangeRecord.objects.filter(organization=organization, target_type__in=["giftrule", "delight"])
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def gift_rule_history(*, rule: GiftRule) -> QuerySet[ChangeRecord]:
    """Who created and changed the rule, and every delivery it paid for, newest first."""
    delivered = Delight.objects.filter(rule=rule).values("pk")
    return gift_audit(organization=rule.organization).filter(
        Q(target_type="giftrule", target_id=rule.pk) | Q(target_type="delight", target_id__in=delivered)
    )
