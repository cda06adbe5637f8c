from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.module_loading import import_string

from crm.models import Customer, Issue, Organization, Preference, Property, Staff, Stay
from personalization.models import Delight, GiftRule, Touch, TouchKind, TouchStatus


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Hotel group {n}")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Property {n}")
    timezone = "Asia/Shanghai"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "s3cret-pass!")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory)
    property = factory.SubFactory(PropertyFactory)
    organization = factory.SelfAttribute("property.organization")
    role = "frontdesk"


class ServiceFactory(factory.django.DjangoModelFactory):
    """Makes rows as the app makes them: through `_service`, its create service (derived fields, checks and
    the change record included)."""

    class Meta:
        abstract = True

    _service = ""  # "module.function", imported at the first create: the apps load after this module

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return import_string(cls._service)(**kwargs)


class CustomerFactory(ServiceFactory):
    class Meta:
        model = Customer

    _service = "crm.services.customer_create"

    organization = factory.SubFactory(OrganizationFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"guest{n}@example.com")

    class Params:
        # The guests many tests meet, by the name they go by: `CustomerFactory(zhang_wei=True, ...)`.
        siobhan = factory.Trait(given_name="Siobhán", family_name="O'Connor", email="siobhan@example.ie")
        zhang_wei = factory.Trait(given_name="Wei", family_name="Zhang", native_name="张伟")
        wang_fang = factory.Trait(given_name="Fang", family_name="Wang", native_name="王芳")
        lin_mei = factory.Trait(given_name="Mei", family_name="Lin", native_name="林美")
        chen_jing = factory.Trait(given_name="Jing", family_name="Chen", native_name="陳靜")
        # Known by the native name alone (no Latin given or family name).
        native_only = factory.Trait(given_name="", family_name="")


class StayFactory(ServiceFactory):
    """A stay as a PMS pushes it (`stay_push`): Opera's reservation of a guest of the property's organization,
    arriving and leaving today unless told."""

    class Meta:
        model = Stay

    _service = "crm.services.stays.stay_push"

    property = factory.SubFactory(PropertyFactory)
    organization = factory.SelfAttribute("property.organization")
    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    system = "opera"
    external_id = factory.Sequence(lambda n: f"R-{n}")
    arrival = factory.LazyFunction(timezone.localdate)
    departure = factory.SelfAttribute("arrival")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        stay, _created = super()._create(model_class, *args, **kwargs)
        return stay


class CustomerHistoryFactory(factory.django.DjangoModelFactory):
    """A row of a customer's history, written directly (no change record)."""

    class Meta:
        abstract = True

    customer = factory.SubFactory(CustomerFactory)


class PreferenceFactory(CustomerHistoryFactory):
    class Meta:
        model = Preference

    category = "drink"
    text = "Oat-milk flat white"
    last_confirmed_at = factory.LazyFunction(timezone.now)


class IssueFactory(CustomerHistoryFactory):
    class Meta:
        model = Issue

    summary = "Room too noisy"
    opened_at = factory.LazyFunction(timezone.now)


class GiftRuleFactory(ServiceFactory):
    """A gift rule as a manager makes it: by default a cake in a birthday's week."""

    class Meta:
        model = GiftRule

    _service = "personalization.gifts.services.gift_rule_create"

    organization = factory.SubFactory(OrganizationFactory)
    name = "Cake"
    trigger = "birthday"
    window_days = 7
    gift = factory.SelfAttribute("name")

    class Params:
        # A gift above the approval cost: a manager plans it before the desk may deliver it.
        suite = factory.Trait(
            name="Suite", trigger="first_visit", gift="Suite upgrade", cost=Decimal("80"), approval_above=Decimal("50")
        )
        # A welcome back for a guest away more than 100 days.
        back = factory.Trait(name="Back", trigger="return_after_absence", absence_days=100)


class DelightFactory(factory.django.DjangoModelFactory):
    """A suggested gift of a rule to a guest of its organization, written as the engine writes it."""

    class Meta:
        model = Delight

    rule = factory.SubFactory(GiftRuleFactory)
    organization = factory.SelfAttribute("rule.organization")
    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    occasion_key = factory.Sequence(lambda n: f"occasion:{n}")
    gift = factory.SelfAttribute("rule.gift")
    cost = factory.SelfAttribute("rule.cost")


class TouchFactory(factory.django.DjangoModelFactory):
    """A touch due now to a guest of its organization, as the planner writes it; ``sent_survey``: a satisfaction
    survey the sender has sent."""

    class Meta:
        model = Touch

    customer = factory.SubFactory(CustomerFactory)
    organization = factory.SelfAttribute("customer.organization")
    kind = TouchKind.ISSUE_FOLLOW_UP
    due_at = factory.LazyFunction(timezone.now)
    idempotency_key = factory.Sequence(lambda n: f"touch:{n}")

    class Params:
        sent_survey = factory.Trait(
            kind=TouchKind.CSAT_SURVEY, status=TouchStatus.SENT, sent_at=factory.SelfAttribute("due_at")
        )


# The issue's example gift rule, as a manager posts it to /api/v1/gift-rules/.
BIRTHDAY_DESSERT = {
    "name": "Birthday dessert",
    "trigger": "birthday",
    "window_days": 7,
    "gift": "A slice of cake for {preferred_name}",
    "cost": "6.00",
    "monthly_budget": "30.00",
}
