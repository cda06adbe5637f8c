"""Property-based fuzzing of every API operation from its own OpenAPI schema:
whatever a client sends, the answer is never a 5xx, and every answer matches the schema."""

from __future__ import annotations

import io
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from crm import services
from crm.models import WebhookDelivery
from crm.services import imports
from crm.services.stays import stay_push
from personalization.gifts.services import gift_rule_create
from personalization.models import Delight, Touch, TouchKind
from tests.factories import CustomerFactory

# Per operation; the whole API takes ~20–75 s on this machine. bench/faults runs more (RAPPORT_FUZZ_EXAMPLES).
MAX_EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "25"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_test_connection():
    """Requests go through the bare WSGI app, whose end-of-request hook would close the
    connection holding the test's transaction; Django's own test client unhooks it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def existing(frontdesk, organization, settings):
    """Real rows to aim at, so that fuzzed bodies reach the services instead of a 404."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    customer = CustomerFactory(organization=organization)
    merged = services.customer_merge(kept=customer, duplicate=CustomerFactory(organization=organization))
    unmailed = CustomerFactory(organization=organization, email="")
    call_back = services.issue_open(customer=unmailed, summary="Cold shower")
    services.issue_update(issue=call_back, status="resolved", resolution="Boiler fixed")
    rule = gift_rule_create(organization=organization, name="Welcome", trigger="first_visit", gift="Tea")
    delight = Delight.objects.create(
        organization=organization, customer=customer, rule=rule, occasion_key="first_visit", gift="Tea", cost=0
    )
    webhook = services.webhook_endpoint_create(
        organization=organization, url="https://93.184.215.14/hooks", events=["issue.resolved"]
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        message_id="msg_fuzz",
        event_type="issue.resolved",
        payload={"type": "issue.resolved", "timestamp": "2026-01-01T00:00:00+00:00", "data": {"id": 1}},
        status="failed",
        attempts=8,
        next_attempt_at=customer.created_at,
    )
    guest_list = io.BytesIO(b"Name,Email\r\nAnn Lee,ann@example.com\r\n")
    upload = imports.import_preview(organization=organization, actor=frontdesk.user, file=guest_list)
    return {
        "webhooks": webhook.pk,
        "webhook-deliveries": webhook_delivery.pk,
        "imports": upload.pk,
        "gift-rules": rule.pk,
        "delights": delight.pk,
        "merges": merged.pk,
        "customers": customer.pk,
        "preferences": services.preference_record(customer=customer, category="drink", text="Tea").pk,
        "issues": services.issue_open(customer=customer, summary="Noisy room").pk,
        "touches": Touch.objects.create(
            organization=organization,
            customer=customer,
            kind=TouchKind.THANK_YOU,
            due_at=customer.created_at,
            idempotency_key="fuzz:touch",
        ).pk,
        "tasks": Touch.objects.get(issue=call_back).pk,
        "stays": stay_push(
            organization=organization,
            system="opera",
            external_id="R1",
            customer=customer,
            property=frontdesk.property,
            arrival=customer.created_at.date(),
            departure=customer.created_at.date(),
        )[0].pk,
    }


def _aim(case, existing):
    """Point path ids at existing rows."""
    collection = case.path.split("/")[3]  # /api/v1/<collection>/...
    for name in case.path_parameters or {}:
        case.path_parameters[name] = existing["customers" if name == "customer_id" else collection]


def test_no_input_makes_the_api_fail(existing, manager, keep_test_connection):
    token = Token.objects.create(user=manager.user).key
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers={"Authorization": f"Token {token}"}
    )
    failures, calls = [], 0
    # Deletions last (the customer's last of all): until then every operation finds its rows; and logging out
    # (which revokes the token) after everything.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: (
            op.path == "/api/v1/auth/logout/",
            op.method.upper() == "DELETE",
            op.path.startswith("/api/v1/customers/"),
        ),
    )
    assert len(operations) >= 13

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case):
            nonlocal calls
            calls += 1
            _aim(case, existing)
            case.call_and_validate(
                headers={"Authorization": f"Token {token}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    print(f"FIGURES schemathesis: {len(operations)} operations, {calls} calls, {len(failures)} failing operations")
    assert not failures, "\n\n".join(failures)
