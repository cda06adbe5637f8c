"""Data-subject rights: a manager exports everything held about a guest, and erases the guest for good."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core.files.base import ContentFile
from django.utils import timezone

from crm import services
from crm.models import AccessRecord, ChangeRecord, Customer, Preference
from personalization.models import Feedback, Touch, TouchStatus
from personalization.touches.services.manual import feedback_record
from tests.conftest import _client_for
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(customer, property_, manager):
    """A guest with something of every kind: an allergy, a resolved complaint (its follow-up touch, rendered,
    and the survey answer), a visit (its thank-you touch, pending), and a profile merged into theirs."""
    services.preference_record(customer=customer, category="allergy", text="Sesame, anaphylaxis")
    issue = services.issue_open(customer=customer, property=property_, summary="Broken kettle, scalded hand")
    services.issue_update(issue=issue, status="resolved", resolution="Kettle replaced, first aid")
    follow_up = Touch.objects.get(issue=issue)
    Touch.objects.filter(pk=follow_up.pk).update(  # as the sender leaves it
        status=TouchStatus.SENT,
        sent_at=timezone.now(),
        subject="How was your stay, Siobhán?",
        body_text="Dear Siobhán, about the kettle…",
    )
    feedback_record(touch=follow_up, score=2, comment="The kettle still haunts me")
    services.contact_log(customer=customer, property=property_, kind="visit", note="Came with her sister")
    return customer


def test_a_manager_exports_everything_held_about_the_guest(manager_api, held, manager):
    # Given the guest was viewed before,
    assert manager_api.get(f"/api/v1/customers/{held.pk}/brief/").status_code == 200

    # when a manager exports them,
    response = manager_api.get(f"/api/v1/customers/{held.pk}/export/")

    # then every kind of row is there, with the text held,
    assert response.status_code == 200
    body = response.json()
    assert body["customer"]["email"] == "siobhan@example.ie"
    assert body["stored_profile"]["given_name"] == "Siobhán"
    assert [p["text"] for p in body["preferences"]] == ["Sesame, anaphylaxis"]
    assert [i["summary"] for i in body["issues"]] == ["Broken kettle, scalded hand"]
    assert [c["note"] for c in body["contacts"]] == ["Came with her sister"]
    assert {t["kind"] for t in body["touches"]} == {"issue_follow_up", "thank_you"}
    assert "Dear Siobhán, about the kettle…" in [t["body_text"] for t in body["touches"]]
    assert [(f["score"], f["comment"]) for f in body["feedback"]] == [(2, "The kettle still haunts me")]
    assert body["delights"] == []
    assert {"customer.create", "preference.record", "issue.open", "contact.log"} <= {
        h["action"] for h in body["history"]
    }
    # and the access log of the guest, this export included.
    assert [(e["action"], e["actor"]) for e in body["access_log"]][:2] == [
        ("export", manager.user.username),
        ("brief", manager.user.username),
    ]
    assert AccessRecord.objects.filter(customer_id=held.pk, action="export", channel="api").count() == 1


def test_front_desk_may_not_export_or_erase_and_another_organization_gets_404(api, held, other_property):
    base = f"/api/v1/customers/{held.pk}"
    assert api.get(f"{base}/export/").status_code == 403
    assert api.post(f"{base}/erase/").status_code == 403
    assert api.delete(f"{base}/").status_code == 403
    foreign = _client_for(StaffFactory(property=other_property, role="admin"))
    assert foreign.get(f"{base}/export/").status_code == 404
    assert foreign.post(f"{base}/erase/").status_code == 404
    assert foreign.delete(f"{base}/").status_code == 404
    assert Customer.objects.filter(pk=held.pk).exists()
    assert not AccessRecord.objects.filter(action__in=["export", "erase"]).exists()


def test_erasing_answers_what_was_erased_and_keeps_only_anonymous_counts(manager_api, held, manager, property_):
    guest = held.pk
    assert Touch.objects.filter(customer=held, status=TouchStatus.SCHEDULED).count() == 1  # the thank-you

    response = manager_api.post(f"/api/v1/customers/{guest}/erase/")

    assert response.status_code == 200
    summary = response.json()
    assert summary["customer_id"] == guest and summary["profiles"] == 1
    assert summary["touches_cancelled"] == 1
    assert summary["deleted"]["crm.customer"] == 1
    assert summary["deleted"]["crm.preference"] == 1
    assert summary["deleted"]["crm.issue"] == 1
    assert summary["deleted"]["crm.contact"] == 1
    assert summary["deleted"]["personalization.touch"] == 2
    assert summary["deleted"]["personalization.feedback"] == 1
    assert summary["change_records_scrubbed"] >= 5
    # Nothing of theirs is left but ids: no row points at them, no record holds a value of theirs,
    assert not Customer.objects.filter(pk=guest).exists()
    assert not Preference.objects.filter(customer_id=guest).exists()
    assert not Touch.objects.filter(customer_id=guest).exists() and not Feedback.objects.exists()
    assert all(
        record.changes == {}
        for record in ChangeRecord.objects.filter(customer_id=guest).exclude(action="customer.erase")
    )
    # the erase record keeps the counts, for metrics,
    erase = ChangeRecord.objects.get(action="customer.erase", target_id=guest)
    assert erase.actor == manager.user and erase.changes == {"erased": summary["deleted"]}
    # and the access record of the erase keeps the id and who did it.
    record = AccessRecord.objects.get(action="erase")
    assert (record.customer_id, record.actor, record.channel) == (guest, manager.user, "api")
    # Irreversible: the guest is gone for the API.
    assert manager_api.get(f"/api/v1/customers/{guest}/").status_code == 404
    assert manager_api.post(f"/api/v1/customers/{guest}/erase/").status_code == 404


def test_delete_is_the_same_erase(manager_api, held):
    assert manager_api.delete(f"/api/v1/customers/{held.pk}/").status_code == 204
    assert not Customer.objects.filter(pk=held.pk).exists()
    erase = ChangeRecord.objects.get(action="customer.erase", target_id=held.pk)
    assert erase.changes["erased"]["crm.preference"] == 1
    assert AccessRecord.objects.filter(action="erase", customer_id=held.pk).exists()


def test_erasing_deletes_the_stored_pronunciation_file(
    manager_api, customer, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    customer.pronunciation_audio.save("siobhan.ogg", ContentFile(b"OggS..."), save=True)
    stored = tmp_path / customer.pronunciation_audio.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/v1/customers/{customer.pk}/erase/")

    assert response.json()["files_deleted"] == 1
    assert not stored.exists()


def test_the_erase_is_one_transaction(manager_api, held):
    # Given a receiver that fails halfway through the erase (after the touches were cancelled),
    from crm.signals import customer_erasing

    def fail(**kwargs):
        raise RuntimeError("disk full")

    customer_erasing.connect(fail, dispatch_uid="test.fail")
    try:
        with pytest.raises(RuntimeError):
            services.customer_erase(customer=held)
    finally:
        customer_erasing.disconnect(dispatch_uid="test.fail")
    # then nothing was erased, not even the cancelled touch.
    assert Customer.objects.filter(pk=held.pk).exists()
    assert Touch.objects.filter(customer=held, status=TouchStatus.SCHEDULED).count() == 1
    assert not ChangeRecord.objects.filter(action="customer.erase").exists()


# --- screens -------------------------------------------------------------------


def test_a_manager_exports_and_erases_from_the_guest_card(client, manager, held):
    client.force_login(manager.user)
    card = client.get(f"/customers/{held.pk}/").content.decode()
    assert f'href="/customers/{held.pk}/export/"' in card and f'href="/customers/{held.pk}/erase/"' in card

    # Export downloads the JSON,
    download = client.get(f"/customers/{held.pk}/export/")
    assert download.status_code == 200 and download["Content-Type"] == "application/json"
    assert download["Content-Disposition"] == f'attachment; filename="guest-{held.pk}.json"'
    assert download.json()["preferences"][0]["text"] == "Sesame, anaphylaxis"
    assert AccessRecord.objects.filter(action="export", channel="screen").count() == 1

    # the erase page names the guest and asks to confirm; without the tick nothing happens,
    page = client.get(f"/customers/{held.pk}/erase/")
    assert page.status_code == 200 and "Erase Siobhán O&#x27;Connor?" in page.content.decode()
    refused = client.post(f"/customers/{held.pk}/erase/", {})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert Customer.objects.filter(pk=held.pk).exists()

    # with it the guest is erased, and the lookup says so without naming them.
    done = client.post(f"/customers/{held.pk}/erase/", {"confirm": "on"}, follow=True)
    assert done.redirect_chain == [("/", 302)]
    html = done.content.decode()
    assert f"The guest #{held.pk} was erased for good." in html and "Siobhán" not in html
    assert not Customer.objects.filter(pk=held.pk).exists()
    assert AccessRecord.objects.filter(action="erase", channel="screen").count() == 1
    assert client.get(f"/customers/{held.pk}/").status_code == 404


def test_front_desk_gets_403_on_the_export_and_erase_screens(client, frontdesk, held, outsider):
    client.force_login(frontdesk.user)
    assert client.get(f"/customers/{held.pk}/export/").status_code == 403
    assert client.get(f"/customers/{held.pk}/erase/").status_code == 403
    assert client.post(f"/customers/{held.pk}/erase/", {"confirm": "on"}).status_code == 403
    assert Customer.objects.filter(pk=held.pk).exists()


def test_another_organizations_manager_gets_404_on_the_screens(client, other_property, held):
    client.force_login(StaffFactory(property=other_property, role="manager").user)
    assert client.get(f"/customers/{held.pk}/export/").status_code == 404
    assert client.post(f"/customers/{held.pk}/erase/", {"confirm": "on"}).status_code == 404
    assert Customer.objects.filter(pk=held.pk).exists()


def test_deleting_a_guest_in_the_admin_is_the_erase(client, manager, held):
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    client.force_login(manager.user)
    response = client.post(f"/admin/crm/customer/{held.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=held.pk).exists()
    assert ChangeRecord.objects.get(action="customer.erase", target_id=held.pk).changes["erased"]["crm.issue"] == 1
    assert all(r.changes == {} for r in ChangeRecord.objects.filter(customer_id=held.pk, action="issue.open"))
    # The admin's own log of the deletion names the guest by id only.
    (deletion,) = LogEntry.objects.filter(action_flag=DELETION, object_id=str(held.pk))
    assert deletion.object_repr == str(held.pk)


def test_the_admins_bulk_delete_is_the_erase_too(client, manager, held, organization):
    other = CustomerFactory(organization=organization, given_name="Aoife")
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    client.force_login(manager.user)
    response = client.post(
        "/admin/crm/customer/", {"action": "delete_selected", "_selected_action": [held.pk, other.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Customer.objects.exists()
    assert ChangeRecord.objects.filter(action="customer.erase").count() == 2
    assert set(LogEntry.objects.filter(action_flag=DELETION).values_list("object_repr", flat=True)) == {
        str(held.pk),
        str(other.pk),
    }


def test_the_export_keeps_its_timestamp_honest(manager_api, customer):
    before = timezone.now()
    body = manager_api.get(f"/api/v1/customers/{customer.pk}/export/").json()
    assert body["exported_at"] >= before.isoformat()[:19]


def test_the_export_holds_the_profiles_merged_into_the_guest(manager_api, customer, organization):
    # Given an older profile of hers, with its own allergy, merged into this one,
    older = CustomerFactory(organization=organization, given_name="Siobhan", email="old.siobhan@example.ie")
    services.preference_record(customer=older, category="allergy", text="Shellfish")
    services.customer_merge(kept=customer, duplicate=older)

    body = manager_api.get(f"/api/v1/customers/{customer.pk}/export/").json()

    # then the export holds that profile and what moved with it.
    assert [p["email"] for p in body["merged_profiles"]] == ["old.siobhan@example.ie"]
    assert "Shellfish" in [p["text"] for p in body["preferences"]]
    assert any(h["action"] == "customer.merge" for h in body["history"])
