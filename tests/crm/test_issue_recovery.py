"""An issue's recovery through the API: the L.E.A.S.T. steps ticked as `steps_done` (kept with who and when), the
guest-facing summary, and the brief's next step following the ticks."""

from __future__ import annotations

import pytest
import time_machine

from crm import services
from crm.models import ChangeRecord, Issue
from personalization.brief import brief_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(customer, property_):
    return services.issue_open(customer=customer, property=property_, summary="Charged twice for the minibar")


def _next_step(issue: Issue) -> str:
    brief = brief_for(organization=issue.customer.organization, customer_id=issue.customer_id)
    return next(r["next_step"] for r in brief["repair"] if r["issue_id"] == issue.pk)


def test_steps_done_are_written_and_read_with_who_and_when(api, issue, frontdesk):
    with time_machine.travel("2026-11-30 09:15Z", tick=False):
        response = api.patch(f"/api/v1/issues/{issue.pk}/", {"steps_done": ["empathize", "listen"]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["steps_done"] == ["listen", "empathize"]  # in the sequence's order
    assert body["steps"] == [
        {"step": "listen", "by": frontdesk.user.pk, "at": "2026-11-30T09:15:00+00:00"},
        {"step": "empathize", "by": frontdesk.user.pk, "at": "2026-11-30T09:15:00+00:00"},
    ]
    # a later tick keeps who did the earlier ones and when; a step left out is unticked
    with time_machine.travel("2026-11-30 10:00Z", tick=False):
        body = api.patch(f"/api/v1/issues/{issue.pk}/", {"steps_done": ["listen", "apologize"]}, format="json").json()
    assert body["steps_done"] == ["listen", "apologize"]
    assert [s["at"] for s in body["steps"]] == ["2026-11-30T09:15:00+00:00", "2026-11-30T10:00:00+00:00"]
    assert api.get(f"/api/v1/issues/{issue.pk}/").json()["steps_done"] == ["listen", "apologize"]
    record = ChangeRecord.objects.filter(action="issue.update", target_id=issue.pk).order_by("-id").first()
    assert record.changes["steps_done"] == {"old": ["listen", "empathize"], "new": ["listen", "apologize"]}
    assert record.actor == frontdesk.user


def test_an_unknown_step_is_400_and_writes_nothing(api, issue):
    response = api.patch(f"/api/v1/issues/{issue.pk}/", {"steps_done": ["listen", "shrug"]}, format="json")
    assert response.status_code == 400 and "steps_done" in response.json()
    issue.refresh_from_db()
    assert issue.steps_done == []


def test_an_issue_may_be_opened_with_steps_done_and_a_guest_summary(api, customer):
    response = api.post(
        f"/api/v1/customers/{customer.pk}/issues/",
        {"summary": "Noisy room", "steps_done": ["listen"], "guest_summary": "the noise in your room"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["steps_done"] == ["listen"] and response.json()["guest_summary"] == "the noise in your room"


def test_the_old_name_recovery_steps_still_works(api, issue):
    body = api.patch(f"/api/v1/issues/{issue.pk}/", {"recovery_steps": ["listen"]}, format="json").json()
    assert body["steps_done"] == body["recovery_steps"] == ["listen"]


def test_resolving_keeps_the_guest_summary_apart_from_the_internal_one(api, issue):
    response = api.patch(
        f"/api/v1/issues/{issue.pk}/",
        {"status": "resolved", "resolution": "Refunded the second charge", "guest_summary": "a billing mistake"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["guest_summary"] == "a billing mistake"
    assert response.json()["summary"] == "Charged twice for the minibar"


def test_another_organizations_issue_is_404(outsider_api, issue):
    assert (
        outsider_api.patch(f"/api/v1/issues/{issue.pk}/", {"steps_done": ["listen"]}, format="json").status_code == 404
    )


def test_the_brief_next_step_follows_the_ticks(issue):
    assert _next_step(issue).startswith("Listen")
    services.issue_update(issue=issue, steps_done=["listen"])
    assert _next_step(issue).startswith("Empathize")
    services.issue_update(issue=issue, steps_done=["listen", "empathize", "apologize", "solve"])
    assert _next_step(issue).startswith("Thank")
    services.issue_update(issue=issue, steps_done=["listen", "empathize", "apologize", "solve", "thank"])
    assert _next_step(issue).startswith("Every recovery step is done")


def test_rows_written_before_who_and_when_are_still_read(issue):
    Issue.objects.filter(pk=issue.pk).update(recovery_steps=["listen", "empathize"])
    issue.refresh_from_db()
    assert issue.steps_done == ["listen", "empathize"]
    assert _next_step(issue).startswith("Apologize")
