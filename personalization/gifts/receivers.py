"""Receivers of crm's signals for gift rules (connected as PersonalizationConfig.ready imports them); the writes are
services (personalization.gifts.services)."""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from crm.models import Customer, Property
from crm.signals import customer_merging
from personalization.gifts import services


@receiver(customer_merging, dispatch_uid="personalization.gifts.merge_occasions")
def keep_both_occasions(sender, kept: Customer, duplicate: Customer, **kwargs) -> None:
    services.delights_make_room_for_merge(kept=kept, duplicate=duplicate)


@receiver(pre_delete, sender=Property, dispatch_uid="personalization.gifts.property_deleted")
def stop_rules_of_a_deleted_property(sender, instance: Property, **kwargs) -> None:
    services.gift_rules_stop_for_property(property_=instance)
