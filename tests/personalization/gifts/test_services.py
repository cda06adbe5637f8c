"""Gift rules and delights through their services: which rules apply, once per occasion, budgets, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services as crm_services
from crm.errors import Conflict
from crm.models import ChangeRecord, Issue, Preference
from crm.partial_dates import PartialDate
from personalization.gifts import services
from personalization.gifts.engine import evaluate
from personalization.models import Delight, DelightStatus, GiftSpend
from tests.factories import CustomerFactory, GiftRuleFactory

pytestmark = pytest.mark.django_db


def birthday_in(days: int) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day, year=1980)


def suggest(customer, property_id=None):
    """The brief's delight section, without the rest of the brief."""
    return services.delights_suggest(
        customer=customer,
        property_id=property_id,
        preferences=list(Preference.objects.filter(customer=customer)),
        issues=list(Issue.objects.filter(customer=customer)),
    )


@pytest.fixture
def dessert(organization, manager):
    return services.gift_rule_create(
        organization=organization,
        actor=manager.user,
        name="Birthday dessert",
        trigger="birthday",
        window_days=7,
        gift="A slice of cake for {preferred_name}",
        cost=Decimal("6.00"),
        monthly_budget=Decimal("30.00"),
    )


def test_a_birthday_this_week_is_suggested_once_with_the_guests_name(organization, dessert):
    guest = CustomerFactory(organization=organization, given_name="Aoife", preferred_name="", birthday=birthday_in(3))
    first = suggest(guest)
    assert [(c.gift, c.reason) for c in first] == [("A slice of cake for Aoife", "Birthday in 3 days")]
    again = suggest(guest)
    assert [c.existing.id for c in again] == [first[0].existing.id]
    assert Delight.objects.filter(customer=guest).count() == 1


def test_a_birthday_outside_the_window_is_not_suggested(organization, dessert):
    guest = CustomerFactory(organization=organization, birthday=birthday_in(8))
    assert suggest(guest) == []


def test_delivering_charges_the_month_and_the_sixth_guest_gets_nothing(organization, dessert, frontdesk):
    guests = [CustomerFactory(organization=organization, birthday=birthday_in(i % 7)) for i in range(6)]
    for guest in guests[:5]:
        (candidate,) = suggest(guest)
        services.delight_deliver(delight=Delight.objects.get(pk=candidate.existing.id), actor=frontdesk.user)
    spend = GiftSpend.objects.get(rule=dessert)
    assert spend.spent == Decimal("30.00") and spend.deliveries == 5
    assert suggest(guests[5]) == []


def test_a_delivered_gift_is_not_suggested_again_and_cannot_be_delivered_twice(organization, dessert, frontdesk):
    guest = CustomerFactory(organization=organization, birthday=birthday_in(0))
    delight = Delight.objects.get(pk=suggest(guest)[0].existing.id)
    services.delight_deliver(delight=delight, actor=frontdesk.user)
    assert suggest(guest) == []
    with pytest.raises(Conflict, match="already delivered"):
        services.delight_deliver(delight=delight, actor=frontdesk.user)


def test_an_expired_delight_cannot_be_delivered(organization, dessert, frontdesk):
    guest = CustomerFactory(organization=organization, birthday=birthday_in(1))
    delight = Delight.objects.get(pk=suggest(guest)[0].existing.id)
    with pytest.raises(Conflict, match="expired"):
        services.delight_deliver(delight=delight, actor=frontdesk.user, now=timezone.now() + timedelta(days=3))
    assert services.delights_expire(now=timezone.now() + timedelta(days=3)) == 1
    delight.refresh_from_db()
    assert delight.status == DelightStatus.EXPIRED


def test_a_placeholder_the_guest_cannot_fill_means_no_suggestion(organization):
    services.gift_rule_create(
        organization=organization, name="Usual drink", trigger="first_visit", gift="{favorite_drink} on the house"
    )
    without = CustomerFactory(organization=organization)
    assert suggest(without) == []
    with_drink = CustomerFactory(organization=organization)
    crm_services.preference_record(customer=with_drink, category="drink", text="Jasmine tea")
    crm_services.preference_record(customer=with_drink, category="drink", text="Cola", polarity="dislikes")
    assert [c.gift for c in suggest(with_drink)] == ["Jasmine tea on the house"]


def test_conditions_tags_category_visits_and_property(organization, property_, other_property):
    services.gift_rule_create(
        organization=organization,
        name="VIP return",
        trigger="return_after_absence",
        absence_days=30,
        tags=["VIP"],
        min_visits=2,
        gift="Welcome back drink",
        properties=[property_],
    )
    guest = CustomerFactory(organization=organization, tags=["vip"])
    for days in (300, 100):
        crm_services.contact_log(customer=guest, kind="visit", occurred_at=timezone.now() - timedelta(days=days))
    assert [c.reason for c in suggest(guest, property_.pk)] == ["Back after 100 days away"]
    assert suggest(guest, other_property.pk) == []  # not this rule's property
    plain = CustomerFactory(organization=organization, tags=["business"])
    crm_services.contact_log(customer=plain, kind="visit", occurred_at=timezone.now() - timedelta(days=100))
    assert suggest(plain, property_.pk) == []


def test_issue_resolved_respects_the_minimum_severity(organization):
    services.gift_rule_create(
        organization=organization, name="Sorry", trigger="issue_resolved", min_severity="high", gift="Dessert on us"
    )
    guest = CustomerFactory(organization=organization)
    crm_services.issue_open(customer=guest, summary="Cold soup", severity="low", status="resolved", resolution="New")
    assert suggest(guest) == []
    crm_services.issue_open(
        customer=guest, summary="Flooded room", severity="high", status="resolved", resolution="Moved"
    )
    assert [c.reason for c in suggest(guest)] == ["After “Flooded room” was resolved"]


def test_best_first_by_priority_then_the_closest_occasion(organization):
    def rule(name, priority, trigger="birthday", **kw):
        services.gift_rule_create(
            organization=organization, name=name, trigger=trigger, gift=name, priority=priority, window_days=10, **kw
        )

    rule("Cake", 0)
    rule("Card", 0, trigger="anniversary")
    rule("Champagne", 5, trigger="first_visit")
    guest = CustomerFactory(organization=organization, birthday=birthday_in(6), anniversary=birthday_in(2))
    assert [c.gift for c in suggest(guest)] == ["Champagne", "Card", "Cake"]


def test_cooldown_and_yearly_cap(organization, frontdesk):
    rule = GiftRuleFactory(
        organization=organization, trigger="nth_visit", visit_number=2, cooldown_days=0, yearly_cap=1
    )
    guest = CustomerFactory(organization=organization)
    crm_services.contact_log(customer=guest, kind="visit")
    (candidate,) = suggest(guest)
    services.delight_deliver(delight=Delight.objects.get(pk=candidate.existing.id))
    services.gift_rule_update(rule=rule, visit_number=3)
    crm_services.contact_log(customer=guest, kind="visit")
    assert suggest(guest) == []  # capped at one a year
    services.gift_rule_update(rule=rule, yearly_cap=None, cooldown_days=30)
    assert suggest(guest) == []  # still cooling down


def test_no_surprises_for_a_guest_who_declined_them(organization, dessert):
    guest = CustomerFactory(organization=organization, birthday=birthday_in(0), consent_surprises=False)
    assert evaluate(customer=guest, property_id=None, preferences=[], issues=[]) == []


def test_a_costly_gift_needs_a_managers_plan_before_delivery(organization, manager, frontdesk):
    GiftRuleFactory(organization=organization, suite=True)
    guest = CustomerFactory(organization=organization)
    delight = Delight.objects.get(pk=suggest(guest)[0].existing.id)
    with pytest.raises(Conflict, match="approval"):
        services.delight_deliver(delight=delight, actor=frontdesk.user)
    with pytest.raises(Conflict, match="approval"):
        services.delight_plan(delight=delight, actor=frontdesk.user)
    services.delight_plan(delight=delight, actor=manager.user)
    assert services.delight_deliver(delight=delight, actor=frontdesk.user).status == DelightStatus.DELIVERED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"trigger": "birthday", "window_days": 61}, "window_days"),
        ({"trigger": "nth_visit", "visit_number": 0}, "visit_number"),
        ({"trigger": "nth_visit"}, "visit_number"),
        ({"trigger": "return_after_absence"}, "absence_days"),
        ({"trigger": "someday"}, "trigger"),
        ({"trigger": "birthday", "gift": "Cake for {prefered_name}"}, "gift"),
        ({"trigger": "birthday", "gift": "Cake for {preferred_name!r}"}, "gift"),
        ({"trigger": "birthday", "cost": Decimal("-1")}, "cost"),
        ({"trigger": "birthday", "cost": Decimal("10"), "monthly_budget": Decimal("5")}, "monthly_budget"),
        ({"trigger": "birthday", "cooldown_days": -1}, "cooldown_days"),
        ({"trigger": "first_visit", "min_visits": 3}, "min_visits"),
        ({"trigger": "birthday", "ends_on": timezone.localdate() - timedelta(days=1)}, "ends_on"),
        ({"trigger": "birthday", "min_severity": "high"}, "min_severity"),
    ],
)
def test_a_rule_that_could_never_fire_is_refused_on_its_field(organization, fields, field):
    with pytest.raises(ValidationError) as error:
        services.gift_rule_create(organization=organization, name="R", **{"gift": "Cake", **fields})
    assert field in error.value.message_dict


def test_every_rule_change_and_delivery_is_recorded_with_who(organization, dessert, manager, frontdesk):
    services.gift_rule_update(rule=dessert, actor=manager.user, cost=Decimal("5.00"))
    guest = CustomerFactory(organization=organization, birthday=birthday_in(0))
    services.delight_deliver(delight=Delight.objects.get(pk=suggest(guest)[0].existing.id), actor=frontdesk.user)
    services.gift_rule_delete(rule=dessert, actor=manager.user)
    records = ChangeRecord.objects.filter(organization=organization, action__startswith=("gift_rule")).order_by("id")
    assert [(r.action, r.actor) for r in records] == [
        ("gift_rule.create", manager.user),
        ("gift_rule.update", manager.user),
        ("gift_rule.delete", manager.user),
    ]
    assert records[1].changes == {"cost": {"old": "6.00", "new": "5.00"}}
    delivery = ChangeRecord.objects.get(action="delight.deliver")
    assert delivery.actor == frontdesk.user and delivery.changes["cost"] == "5.00"


def test_merging_two_profiles_with_the_same_occasion_keeps_both_delights(organization):
    services.gift_rule_create(organization=organization, name="Welcome", trigger="first_visit", gift="Tea")
    kept, duplicate = CustomerFactory(organization=organization), CustomerFactory(organization=organization)
    suggest(kept)
    suggest(duplicate)
    crm_services.customer_merge(kept=kept, duplicate=duplicate)
    keys = sorted(Delight.objects.filter(customer=kept).values_list("occasion_key", flat=True))
    assert keys == ["first_visit", f"first_visit~{duplicate.pk}"]
