"""Issue 11's hardening of what every response says: Content-Security-Policy, no-store, HSTS, proxy headers,
and who may read the API's schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


# --- Content-Security-Policy --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/", "/touches/"])
def test_every_screen_has_a_csp_that_refuses_inline_scripts(client, manager, path):
    client.force_login(manager.user)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_the_pages_styles_come_from_static_files_and_no_inline_handler_remains(client, manager):
    client.force_login(manager.user)
    response = client.get("/")
    page = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    stylesheets = re.findall(r"<link[^>]*rel=\"stylesheet\"[^>]*>", page)
    assert stylesheets and all('href="/static/' in tag for tag in stylesheets), stylesheets
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<style[^>]*>", page))
    assert not re.search(r"\sstyle=", page), "inline style attributes are refused by the policy"
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all('src="/static/' in tag or f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+=", page), "inline event handlers are refused by the policy"


def test_the_nonce_changes_with_every_response(client, frontdesk):
    client.force_login(frontdesk.user)
    nonces = {re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"]).group(1) for _ in range(3)}
    assert len(nonces) == 3


# --- Cache-Control: no-store ----------------------------------------------------------------------------


def test_api_answers_with_guest_data_are_not_stored(api, customer):
    for path in ["/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", f"/api/v1/customers/{customer.pk}/brief/"]:
        response = api.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_guest_screens_are_not_stored(client, frontdesk, customer):
    client.force_login(frontdesk.user)
    for path in ["/", f"/customers/{customer.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


# --- the schema and its docs --------------------------------------------------------------------------


def test_the_schema_and_docs_are_not_public(client):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")


def test_any_staff_member_reads_the_schema_with_a_token(api):
    assert api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200


def test_a_setting_publishes_the_schema_and_docs(client, settings):
    settings.RAPPORT_PUBLIC_API_DOCS = True
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# --- production settings (a fresh process reads the environment) ---------------------------------------


def _production_settings(**env) -> dict:
    names = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT"]
    code = (
        "from django.conf import settings; import json; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**clean, "DEBUG": "false", "SECRET_KEY": "x" * 60 + "-unpredictable-Q9", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode:
        return {"error": result.stderr}
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_hsts_is_a_year_when_preloaded():
    values = _production_settings()
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600


def test_preload_with_less_than_a_year_refuses_to_start_naming_the_settings():
    values = _production_settings(SECURE_HSTS_SECONDS=str(30 * 24 * 3600), SECURE_HSTS_PRELOAD="true")
    assert "SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS" in values["error"]
    # without preload a shorter HSTS is the operator's choice
    values = _production_settings(SECURE_HSTS_SECONDS=str(30 * 24 * 3600), SECURE_HSTS_PRELOAD="false")
    assert values["SECURE_HSTS_SECONDS"] == 30 * 24 * 3600


def test_x_forwarded_proto_is_trusted_only_behind_a_declared_proxy():
    assert _production_settings()["SECURE_PROXY_SSL_HEADER"] is None
    behind = _production_settings(RAPPORT_BEHIND_PROXY="true")
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
