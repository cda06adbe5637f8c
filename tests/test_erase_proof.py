"""Issue 11, "Done when": a manager opens a guest, sees who viewed them, exports, erases, and then finds no trace
of the name, email, phone, allergy or complaint through the API, the screens, the admin, or a dump of the
database (pg_dump on PostgreSQL, iterdump on SQLite). Data is committed (transaction=True) so the dump sees it."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from crm import services
from crm.models import Customer
from personalization.models import Touch, TouchStatus
from personalization.touches.services.manual import feedback_record
from personalization.touches.services.send import Outcome, touches_send
from tests.conftest import _client_for
from tests.factories import PropertyFactory, StaffFactory

GIVEN, FAMILY, NATIVE, PREFERRED = "Zebulonia", "Quixotewright", "薛定谔猫", "Zebbo-Q"
EMAIL = "zebulonia.q@proof-guest.example"
PHONE = "+447700900461"
ALLERGY = "Kumquat-saffron anaphylaxis"
COMPLAINT = "Aquarium leaked onto the quilt"
NOTE = "Arrived by hovercraft"
COMMENT = "The quilt is still damp"
# Everything she told us, as it could be stored: the phone also as its digits, the email's local part.
TRACES = [GIVEN, FAMILY, NATIVE, PREFERRED, EMAIL, "zebulonia.q", "7700900461", ALLERGY, "Kumquat", COMPLAINT, NOTE]
TRACES += [COMMENT, "hovercraft", "Aquarium"]


def database_dump() -> str:
    """Every row of the test database as text: pg_dump on PostgreSQL, the sqlite3 module's dump on SQLite."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-U", db["USER"] or "postgres"]
        command += ["-p", str(db["PORT"] or 5432), db["NAME"]]
        env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        return subprocess.run(command, check=True, capture_output=True, env=env, timeout=120).stdout.decode()
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


def found(text: str) -> list[str]:
    return [trace for trace in TRACES if trace.lower() in text.lower()]


@pytest.mark.django_db(transaction=True)
def test_a_guest_erased_leaves_no_trace_anywhere(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.RAPPORT_PUBLIC_URL = "http://testserver"
    hotel = PropertyFactory(name="Proof Hotel", timezone="UTC", sender_email="desk@proof.example")
    frontdesk = StaffFactory(property=hotel, role="frontdesk")
    manager = StaffFactory(property=hotel, role="manager")
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    desk, boss = _client_for(frontdesk), _client_for(manager)

    # Given a guest with a name in two scripts, an email, a phone, an allergy, a complaint resolved with a
    # follow-up mail that went out and was answered, a visit with a note, and a gift,
    created = desk.post(
        "/api/v1/customers/",
        {
            "given_name": GIVEN,
            "family_name": FAMILY,
            "native_name": NATIVE,
            "preferred_name": PREFERRED,
            "email": EMAIL,
            "phone": PHONE,
            "birthday": "1988-04-02",
        },
    )
    assert created.status_code == 201, created.json()
    guest = created.json()["id"]
    base = f"/api/v1/customers/{guest}"
    assert desk.post(f"{base}/preferences/", {"category": "allergy", "text": ALLERGY}).status_code == 201
    issue = desk.post(f"{base}/issues/", {"summary": COMPLAINT, "severity": "high"}).json()
    resolved = boss.patch(f"/api/v1/issues/{issue['id']}/", {"status": "resolved", "resolution": "New quilt"})
    assert resolved.status_code == 200
    follow_up = Touch.objects.get(issue_id=issue["id"])
    Touch.objects.filter(pk=follow_up.pk).update(
        due_at=timezone.now(), status=TouchStatus.SENDING, claimed_at=timezone.now()
    )
    assert list(touches_send(touch_ids=[follow_up.pk], ignore_quiet_hours=True).values()) == [Outcome.SENT]
    follow_up.refresh_from_db()
    assert PREFERRED in follow_up.body_text  # the rendered message names her
    feedback_record(touch=follow_up, score=2, comment=COMMENT)
    assert desk.post(f"{base}/contacts/", {"kind": "visit", "note": NOTE}).status_code == 201
    rule = boss.post(
        "/api/v1/gift-rules/", {"name": "Welcome", "trigger": "first_visit", "gift": "Tea for {preferred_name}"}
    )
    assert rule.status_code == 201
    # front desk reads her brief, a manager edits her in the admin,
    brief = desk.get(f"{base}/brief/").json()
    assert [item["text"] for item in brief["safety"]] == [ALLERGY]
    for item in brief["delight"]:
        assert desk.post(f"/api/v1/delights/{item['delight_id']}/deliver/").status_code == 200
    LogEntry.objects.create(
        user=manager.user,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(guest),
        object_repr=f"{GIVEN} {FAMILY}",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Email"]}}]',
    )

    # when a manager opens her card, sees who viewed her (their own view included),
    client.force_login(manager.user)
    card = client.get(f"/customers/{guest}/").content.decode()
    viewed = card[card.index('id="access-log"') :]
    assert manager.user.username in viewed and frontdesk.user.username in viewed
    # exports everything held about her,
    export = boss.get(f"{base}/export/")
    assert export.status_code == 200
    assert set(found(export.content.decode())) >= {
        GIVEN,
        NATIVE,
        EMAIL,
        "7700900461",
        ALLERGY,
        COMPLAINT,
        NOTE,
        COMMENT,
    }
    assert set(found(database_dump())) == set(TRACES)  # the dump would show her if she were there
    # and erases her, confirming on the page that names her,
    confirm = client.get(f"/customers/{guest}/erase/").content.decode()
    assert NATIVE in confirm  # her name as staff read it on screen
    done = client.post(f"/customers/{guest}/erase/", {"confirm": "on"}, follow=True)
    assert done.status_code == 200 and found(done.content.decode()) == []

    # then no trace of her is left through the API,
    for query in (GIVEN, FAMILY, NATIVE, EMAIL, "0461", "Kumquat"):
        assert boss.get("/api/v1/customers/", {"q": query}).json()["results"] == [], query
    for url in (
        "/api/v1/customers/",
        "/api/v1/touches/",
        "/api/v1/delights/",
        "/api/v1/merges/",
        "/api/v1/customers/duplicates/",
        f"/api/v1/gift-rules/{rule.json()['id']}/history/",
    ):
        response = boss.get(url)
        assert response.status_code == 200 and found(response.content.decode()) == [], url
    for url in (f"{base}/", f"{base}/brief/", f"{base}/export/", f"{base}/access-log/"):
        assert boss.get(url).status_code == 404, url
    # through the screens,
    for url in ("/", "/duplicates/", "/touches/", "/gifts/", "/gifts/delivered/"):
        response = client.get(url)
        assert response.status_code == 200 and found(response.content.decode()) == [], url
    for query in (GIVEN, NATIVE, EMAIL, "0461"):  # the results as the lookup box shows them (the box echoes the query)
        results = client.get("/", {"q": query}, HTTP_HX_REQUEST="true").content.decode()
        assert "No guest matches." in results and found(results) == [], query
    assert client.get(f"/customers/{guest}/").status_code == 404
    # through the admin,
    for url in (
        "/admin/",
        "/admin/crm/customer/",
        "/admin/crm/preference/",
        "/admin/crm/issue/",
        "/admin/crm/contact/",
        "/admin/crm/changerecord/",
        "/admin/crm/accessrecord/",
        "/admin/personalization/touch/",
        "/admin/personalization/feedback/",
    ):
        response = client.get(url)
        assert response.status_code == 200 and found(response.content.decode()) == [], url
    assert client.get("/admin/crm/customer/", {"q": GIVEN}).context["cl"].result_count == 0
    # nor in the database itself.
    assert found(database_dump()) == []
