"""Receivers of crm's signals for gift rules (connected in PersonalizationConfig.ready)."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Concat
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from crm.models import Customer, Property
from crm.signals import customer_merging
from personalization.models import Delight, GiftRule


@receiver(customer_merging, dispatch_uid="personalization.gifts.merge_occasions")
def keep_both_occasions(sender, kept: Customer, duplicate: Customer, **kwargs) -> None:
    """Both profiles may hold a delight of the same rule and occasion (each had a "first visit"); once they
    are one customer the occasion key would collide. The duplicate's stays on record, its key marked."""
    kept_keys = set(Delight.objects.filter(customer=kept).values_list("rule_id", "occasion_key"))
    theirs = Delight.objects.filter(customer=duplicate).values_list("pk", "rule_id", "occasion_key")
    ids = [pk for pk, rule_id, key in theirs if (rule_id, key) in kept_keys]
    if ids:
        Delight.objects.filter(pk__in=ids).update(occasion_key=Concat(F("occasion_key"), Value(f"~{duplicate.pk}")))


@receiver(pre_delete, sender=Property, dispatch_uid="personalization.gifts.property_deleted")
def stop_rules_of_a_deleted_property(sender, instance: Property, **kwargs) -> None:
    """A rule that listed only this property would, its list emptied, apply at every property: it stops
    instead (inactive, kept for the record). A rule listing others keeps them."""
    listed = GiftRule.properties.through.objects
    others = listed.filter(giftrule_id=OuterRef("giftrule_id")).exclude(property_id=instance.pk)
    only_this = listed.filter(property_id=instance.pk).exclude(Exists(others)).values("giftrule_id")
    GiftRule.objects.filter(pk__in=only_this, active=True).update(active=False, updated_at=timezone.now())
