"""Receivers of crm's signals for gift rules (connected in PersonalizationConfig.ready)."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Concat
from django.dispatch import receiver

from crm.models import Customer
from crm.signals import customer_merging
from personalization.models import Delight


@receiver(customer_merging, dispatch_uid="personalization.gifts.merge_occasions")
def keep_both_occasions(sender, kept: Customer, duplicate: Customer, **kwargs) -> None:
    """Both profiles may hold a delight of the same rule and occasion (each had a "first visit"); once they
    are one customer the occasion key would collide. The duplicate's stays on record, its key marked."""
    kept_keys = set(Delight.objects.filter(customer=kept).values_list("rule_id", "occasion_key"))
    theirs = Delight.objects.filter(customer=duplicate).values_list("pk", "rule_id", "occasion_key")
    ids = [pk for pk, rule_id, key in theirs if (rule_id, key) in kept_keys]
    if ids:
        Delight.objects.filter(pk__in=ids).update(occasion_key=Concat(F("occasion_key"), Value(f"~{duplicate.pk}")))
