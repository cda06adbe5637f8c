from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Contact, Customer, Issue, Organization, Preference, Property, Staff


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


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"guest{n}@example.com")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as the app does: derived fields and search terms included.
        from crm.services import customer_create

        return customer_create(**kwargs)


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preference

    customer = factory.SubFactory(CustomerFactory)
    category = "drink"
    text = "Oat-milk flat white"
    last_confirmed_at = factory.LazyFunction(timezone.now)


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    customer = factory.SubFactory(CustomerFactory)
    summary = "Room too noisy"
    opened_at = factory.LazyFunction(timezone.now)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    kind = "visit"
    occurred_at = factory.LazyFunction(timezone.now)


# The issue's example gift rule, as a manager posts it to /api/v1/gift-rules/.
BIRTHDAY_DESSERT = {
    "name": "Birthday dessert",
    "trigger": "birthday",
    "window_days": 7,
    "gift": "A slice of cake for {preferred_name}",
    "cost": "6.00",
    "monthly_budget": "30.00",
}
