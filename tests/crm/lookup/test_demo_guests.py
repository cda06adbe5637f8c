"""Each demo guest is found by the variant spellings staff type, through the API."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from crm.models import Customer, Organization, Staff
from tests.conftest import _client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with override_settings(DEBUG=True):  # the demo refuses to load otherwise
            call_command("seed_demo")
        yield
        from django.contrib.auth import get_user_model

        from crm.management.commands.seed_demo import ORGANIZATION, STAFF

        Organization.objects.filter(name=ORGANIZATION).delete()
        get_user_model().objects.filter(username__in=[username for username, _, _ in STAFF]).delete()


@pytest.mark.parametrize(
    ("typed", "native_or_given"),
    [
        ("张伟", "张伟"),
        ("zhang wei", "张伟"),
        ("Zhāng Wěi", "张伟"),
        ("曾志偉", "曾志伟"),
        ("zeng zhiwei", "曾志伟"),
        ("shan tianfang", "单田芳"),
        ("xie xiaodong", "解晓东"),
        ("陈静", "陳靜"),
        ("黄家明", "黃家明"),
        ("kevin wong", "黃家明"),
        ("jose alvarez", "José Álvarez"),
        ("oconnor", "Siobhán"),
        ("muller", "François"),
        ("nguyen", "Nguyễn Văn An"),
        ("zoe smith", "Zoë"),
        ("bob johnson", "Robert"),
        ("kathy lee", "Katherine"),
        ("bill turner", "William"),
        ("Jurgen Schmidt", "Jürgen"),
        ("Schmitd", "Jürgen"),
        ("Kelley", "Niamh"),
        ("0187", "Robert"),
        ("soren@example.dk", "Søren"),
    ],
)
def test_demo_guest_is_found(demo, typed, native_or_given):
    staff = Staff.objects.get(user__username="frontdesk")
    results = _client_for(staff).get("/api/v1/customers/", {"q": typed}).json()["results"]
    names = {c["native_name"] or c["given_name"] for c in results[:3]}
    assert native_or_given in names, f"{typed!r} → {[c['display_name'] for c in results[:5]]}"
    assert Customer.objects.filter(organization=staff.organization).count() > 40
