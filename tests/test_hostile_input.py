"""Bodies no client sends but an attacker can: a clear 400, never a server error (issue 11, item 5)."""

from __future__ import annotations

import pytest

from crm.models import Customer

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"given_name": "Ann", "tags": ' + "[" * 40 + "]" * 40 + "}",
        '{"given_name": "Ann", "home_property": 1e999}',
        '{"given_name": "Ann", "home_property": 100000000000000000000000000000}',
        '{"given_name": "Ann", "home_property": NaN}',
        '{"given_name": "Ann", "home_property": -Infinity}',
    ],
)
def test_hostile_json_is_a_400_and_writes_nothing(api, body):
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
    assert not Customer.objects.exists()


def test_a_deeply_nested_body_is_a_400_even_before_logging_in(client):
    response = client.post("/api/v1/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/customers/{id}/issues/", "/api/v1/customers/{id}/contacts/"])
def test_a_property_beyond_any_number_is_a_400_on_every_writer(api, customer, path):
    body = '{"summary": "x", "kind": "visit", "property": 1e999}'
    response = api.post(path.format(id=customer.pk), body, content_type="application/json")
    assert response.status_code == 400


def test_the_refusal_speaks_the_callers_language(api):
    response = api.post(
        "/api/v1/customers/", {"given_name": "Ann\nBcc: x"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert response.status_code == 400 and response.json()["given_name"] == ["此處不能包含控制字元或換行。"]
