"""The access audit: every view of a guest is recorded, in the same request; managers read it per guest."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm import services
from crm.models import AccessRecord
from tests.conftest import _client_for
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def log_url(customer) -> str:
    return f"/api/v1/customers/{customer.pk}/access-log/"


def test_every_view_of_a_guest_is_recorded_with_who_what_where_and_how(
    api, manager_api, client, frontdesk, manager, property_, customer
):
    # Given front desk reading the guest through every API view of one guest, and on the card,
    services.preference_record(customer=customer, category="allergy", text="Peanuts")
    base = f"/api/v1/customers/{customer.pk}"
    for url in (
        f"{base}/",
        f"{base}/brief/",
        f"{base}/preferences/",
        f"{base}/issues/",
        f"{base}/contacts/",
        f"/api/v1/delights/?customer={customer.pk}",
    ):
        assert api.get(url).status_code == 200, url
    client.force_login(frontdesk.user)
    assert client.get(f"/customers/{customer.pk}/").status_code == 200

    # when a manager reads the guest's access log,
    response = manager_api.get(log_url(customer))

    # then each view is there, newest first, with the front desk's name, the channel and the property.
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    entries = body["results"]
    assert [e["action"] for e in entries] == [
        "card",
        "timeline",
        "timeline",
        "timeline",
        "preferences",
        "brief",
        "profile",
    ]
    assert {e["actor"] for e in entries} == {frontdesk.user.username}
    assert [e["channel"] for e in entries] == ["screen"] + ["api"] * 6
    assert {e["property"] for e in entries} == {property_.pk}
    assert {e["property_name"] for e in entries} == {"Harbour Hotel"}
    assert [e["safety"] for e in entries] == [True, False, False, False, True, True, False]
    assert all(e["at"] for e in entries)


def test_who_read_this_guests_allergies_last_week(manager_api, frontdesk, manager, property_, customer):
    # Given views of the brief and of the profile ten days ago and three days ago,
    now = timezone.now()
    for days_ago, action in ((10, "brief"), (3, "brief"), (3, "profile"), (2, "card")):
        with time_machine.travel(now - timedelta(days=days_ago)):
            services.access_record(
                organization_id=customer.organization_id,
                customer_id=customer.pk,
                actor=frontdesk.user,
                action=action,
                channel="api",
                property_id=property_.pk,
            )
    week_ago = (now - timedelta(days=7)).isoformat()

    # when a manager asks for the views since a week ago that showed the guest's safety needs,
    response = manager_api.get(log_url(customer), {"since": week_ago, "safety": "true"})

    # then the brief and the card of this week are listed, not the profile, not the brief of ten days ago.
    assert response.status_code == 200
    assert [e["action"] for e in response.json()["results"]] == ["card", "brief"]
    only_briefs = manager_api.get(log_url(customer), {"action": "brief"}).json()["results"]
    assert [e["action"] for e in only_briefs] == ["brief", "brief"]


@pytest.mark.parametrize("query", [{"since": "last tuesday"}, {"since": "2026-13-45"}, {"action": "stare"}])
def test_a_bad_filter_is_a_400_on_the_field(manager_api, customer, query):
    response = manager_api.get(log_url(customer), query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_the_access_log_is_paginated(manager_api, manager, customer):
    for _ in range(3):
        manager_api.get(f"/api/v1/customers/{customer.pk}/")
    page = manager_api.get(log_url(customer), {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_front_desk_may_not_read_the_access_log_and_another_organization_gets_404(
    api, customer, other_property, manager_api
):
    assert api.get(log_url(customer)).status_code == 403
    foreign_manager = StaffFactory(property=other_property, role="manager")
    assert _client_for(foreign_manager).get(log_url(customer)).status_code == 404
    # and a foreign manager's try is not recorded as a view of the guest.
    assert not AccessRecord.objects.filter(customer_id=customer.pk).exists()


def test_another_organizations_view_is_not_in_the_log(manager_api, customer, outsider_api):
    assert outsider_api.get(f"/api/v1/customers/{customer.pk}/brief/").status_code == 404
    assert manager_api.get(log_url(customer)).json()["count"] == 0


def test_the_card_shows_managers_who_viewed_the_guest_and_hides_it_from_front_desk(
    client, frontdesk, manager, customer
):
    # Given front desk opened the card,
    client.force_login(frontdesk.user)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Who viewed this guest" not in page and "Erase this guest" not in page

    # when a manager opens it a minute later,
    client.force_login(manager.user)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        page = client.get(f"/customers/{customer.pk}/").content.decode()

    # then the manager sees both views, their own first.
    assert "Who viewed this guest" in page
    section = page[page.index('id="access-log"') :]
    assert section.index(manager.user.username) < section.index(frontdesk.user.username)
    assert section.count('class="access"') == 2


def test_the_card_speaks_chinese_about_the_access_log(client, manager, customer):
    manager.language = "zh-hans"
    manager.save()
    client.force_login(manager.user)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "谁查看过这位客人" in page and "导出客人数据" in page


def test_nobody_edits_or_deletes_the_access_log_in_the_admin(client, manager, customer):
    # Given a recorded view, and an operator's superuser,
    services.access_record(
        organization_id=customer.organization_id, customer_id=customer.pk, actor=None, action="brief", channel="api"
    )
    record = AccessRecord.objects.get()
    root = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-root-password")
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())

    # a manager can read it in the admin,
    client.force_login(manager.user)
    assert client.get("/admin/crm/accessrecord/").status_code == 200

    # but neither a manager nor the superuser can add, change or delete one.
    for user in (manager.user, root):
        client.force_login(user)
        assert client.get("/admin/crm/accessrecord/add/").status_code == 403
        assert client.post(f"/admin/crm/accessrecord/{record.pk}/change/", {"action": "card"}).status_code == 403
        assert client.post(f"/admin/crm/accessrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
        response = client.post(
            "/admin/crm/accessrecord/", {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
        )
        assert response.status_code in (200, 302, 403)
    record.refresh_from_db()
    assert record.action == "brief"
    assert AccessRecord.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_commits_its_access_record_without_slowing_other_writes(api, customer):
    """Outside a write transaction the record commits asynchronously (crm.services.access): it is there
    afterwards, and the setting does not outlive its own transaction (later writes are durable as before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/customers/{customer.pk}/brief/").status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    # The brief's read, then the record's own transaction, pipelined after it (one round trip: bench/run audit).
    at = next(n for n, sql in enumerate(statements) if "crm_customer" in sql and sql.startswith("SELECT"))
    assert statements[at + 1 : at + 5] == [
        "BEGIN",
        "SET LOCAL synchronous_commit TO OFF",
        statements[at + 3],
        "COMMIT",
    ], statements
    assert statements[at + 3].startswith('INSERT INTO "crm_accessrecord"'), statements
    assert AccessRecord.objects.filter(customer_id=customer.pk, action="brief").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL AND now() = statement_timestamp()")
        assert cursor.fetchone() == (True,)  # no transaction left open by the message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_brief_that_finds_no_guest_records_nothing(api, organization):
    """The record sent with the brief's read is written only when the read found the organization's guest: another
    organization's guest, a guest merged away or no guest at all answer 404 and leave no access record."""
    elsewhere = CustomerFactory()
    merged_away = CustomerFactory(organization=organization)
    kept = CustomerFactory(organization=organization)
    services.customer_merge(kept=kept, duplicate=merged_away)
    for pk in (elsewhere.pk, merged_away.pk, 2**62):
        assert api.get(f"/api/v1/customers/{pk}/brief/").status_code == 404, pk
    assert not AccessRecord.objects.exists()
    assert api.get(f"/api/v1/customers/{kept.pk}/brief/").status_code == 200
    assert list(AccessRecord.objects.values_list("customer_id", "action")) == [(kept.pk, "brief")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_list_commits_its_access_records_in_one_round_trip(frontdesk, organization):
    """The arrivals board's records (access_record_many), outside a write transaction: one statement for all the
    guests shown, each guest's record there afterwards with who, what, how and where."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    guests = CustomerFactory.create_batch(3, organization=organization)
    with CaptureQueriesContext(connection) as queries:
        services.access_record_many(
            organization_id=organization.pk,
            customer_ids=[guest.pk for guest in guests],
            actor=frontdesk.user,
            action="arrivals",
            channel="api",
            property_id=frontdesk.property_id,
        )
    (audit,) = [query["sql"] for query in queries.captured_queries if "crm_accessrecord" in query["sql"]]
    assert audit.startswith("BEGIN; SET LOCAL synchronous_commit TO OFF;")
    records = AccessRecord.objects.order_by("customer_id")
    assert [r.customer_id for r in records] == sorted(guest.pk for guest in guests)
    assert {(r.actor_id, r.action, r.channel, r.property_id) for r in records} == {
        (frontdesk.user.pk, "arrivals", "api", frontdesk.property_id)
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refused_access_record_leaves_the_connection_usable(customer):
    from django.db import IntegrityError, connection

    with pytest.raises(IntegrityError):
        services.access_record(
            organization_id=customer.organization_id + 10_000,  # no such organization
            customer_id=customer.pk,
            actor=None,
            action="brief",
            channel="api",
        )
    assert not AccessRecord.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
