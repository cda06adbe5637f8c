"""A model's CheckConstraints are validated in one statement (crm.models.base.TimeStamped.validate_constraints),
with the errors Django's own one-query-per-constraint validation gives."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models
from django.test.utils import CaptureQueriesContext

from personalization.models import Channel, Feedback, TouchKind, TouchStatus
from tests.factories import IssueFactory, TouchFactory

pytestmark = pytest.mark.django_db


def _errors(validate, instance, exclude=None):
    try:
        validate(instance, exclude)
    except ValidationError as error:
        return {field: [(str(e.message), e.code) for e in errors] for field, errors in error.error_dict.items()}
    return {}


def _both(instance, exclude=None):
    """The errors of this code and of Django's own validation of the same instance, in their order."""
    return _errors(type(instance).validate_constraints, instance, exclude), _errors(
        models.Model.validate_constraints, instance, exclude
    )


def _touch(**fields):
    touch = TouchFactory()
    for name, value in fields.items():
        setattr(touch, name, value)
    return touch


@pytest.mark.parametrize(
    "fields, failing",
    [
        ({}, set()),
        ({"status": "lost"}, {"touch_status_valid"}),
        ({"status": TouchStatus.SENT, "sent_at": None}, {"touch_sent_has_sent_at"}),
        # A staff task sent by email, sending without a claim, and no key: three at once, each named.
        (
            {
                "channel": Channel.EMAIL,
                "kind": TouchKind.STAFF_TASK,
                "status": TouchStatus.SENDING,
                "idempotency_key": "",
            },
            {"touch_staff_task_channel", "touch_sending_is_claimed", "touch_key_required"},
        ),
        ({"status": "done"}, {"touch_done_is_a_finished_task"}),
    ],
)
def test_a_touch_fails_the_checks_django_would_fail(fields, failing):
    mine, django = _both(_touch(**fields))
    assert mine == django
    messages = [message for message, _code in mine.get("__all__", [])]
    assert len(messages) == len(failing)
    assert all(any(name in message for message in messages) for name in failing)


def test_excluded_fields_leave_their_checks_out_as_django_does():
    touch = _touch(status=TouchStatus.SENT, sent_at=None, kind="nonsense")
    mine, django = _both(touch, exclude={"sent_at"})
    assert mine == django
    assert len(mine["__all__"]) == 1  # the kind's check; the sent time's is left out with the field


def test_null_passes_as_in_the_database():
    feedback = Feedback(customer=IssueFactory().customer, score=3, recommend=None)
    assert _both(feedback) == ({}, {})
    feedback.score, feedback.recommend = 9, 11
    mine, django = _both(feedback)
    assert mine == django
    assert len(mine["__all__"]) == 2


def test_an_issue_resolved_without_a_resolution_is_refused_with_its_other_faults():
    issue = IssueFactory()
    issue.status, issue.resolved_at, issue.resolution, issue.severity = "resolved", None, "", "dire"
    mine, django = _both(issue)
    assert mine == django
    assert len(mine["__all__"]) == 2  # the resolution's check and the severity's


def test_nine_checks_are_one_select():
    touch = _touch()
    with CaptureQueriesContext(connection) as mine:
        touch.validate_constraints()
    with CaptureQueriesContext(connection) as django:
        models.Model.validate_constraints(touch)
    checks = [query["sql"] for query in mine.captured_queries if query["sql"].startswith("SELECT")]
    assert len(checks) == 1
    assert checks[0].count("COALESCE") == 9
    assert len([q for q in django.captured_queries if q["sql"].startswith("SELECT")]) == 9


def test_a_select_the_database_refuses_asks_each_check_alone(monkeypatch):
    # A condition can fail in the database (a division by zero): then every check is asked as Django asks it.
    touch = _touch(status="lost", idempotency_key="")

    def refused(*args):
        raise DatabaseError("division by zero")

    monkeypatch.setattr(type(touch), "_failed_in_one_select", refused)
    mine, django = _both(touch)
    assert mine == django
    assert len(mine["__all__"]) == 2
