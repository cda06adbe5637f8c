"""Issue 11, finding 5: API calls are rate-limited per token and, without one, per address (429 + Retry-After)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "address": "2/minute"},
    }


def test_a_token_over_its_rate_gets_429_with_retry_after(low_rates, api, manager_api):
    assert [api.get("/api/v1/customers/").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/api/v1/customers/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many requests. Try again in")
    assert 0 < int(response["Retry-After"]) <= 60
    # Another user's token has its own allowance
    assert manager_api.get("/api/v1/customers/").status_code == 200


def test_the_allowance_comes_back_after_the_period(low_rates, api, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    for _ in range(3):
        api.get("/api/v1/customers/")
    assert api.get("/api/v1/customers/").status_code == 429
    time_machine.move_to("2026-12-01 10:01:01+00:00", tick=False)
    assert api.get("/api/v1/customers/").status_code == 200


def test_requests_without_a_token_are_limited_per_address(low_rates, client, frontdesk):
    body = {"username": frontdesk.user.username, "password": "s3cret-pass!"}
    for forged in ("198.51.100.1", "198.51.100.2"):
        assert (
            client.post(
                "/api/v1/auth/token/", body, content_type="application/json", HTTP_X_FORWARDED_FOR=forged
            ).status_code
            == 200
        )
    # A forged X-Forwarded-For does not make a new client
    third = client.post(
        "/api/v1/auth/token/", body, content_type="application/json", HTTP_X_FORWARDED_FOR="198.51.100.3"
    )
    assert third.status_code == 429
    assert third.has_header("Retry-After")
    # Another address is not held back
    other = client.post("/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="10.4.4.4")
    assert other.status_code == 200


def test_the_default_rates_do_not_hold_back_ordinary_use(api):
    assert all(api.get("/api/v1/customers/").status_code == 200 for _ in range(50))
