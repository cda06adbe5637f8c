"""What every benchmark needs first: the bench database, its staff member and token, the dataset."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import psycopg
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from bench import dataset
from crm import services
from crm.models import Customer, Organization


def ensure_database() -> None:
    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    try:
        conn = psycopg.connect(admin, autocommit=True)
    except psycopg.OperationalError as exc:
        where = f"{url.hostname}:{url.port or 5432}"
        raise SystemExit(f"no PostgreSQL answers at {where}: start it, or set the bench's database URL") from exc
    with conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def bench_organization() -> tuple[Organization, str]:
    """The bench hotel chain and the API token of its front-desk user."""
    staff = services.staff_upsert(
        username="bench",
        password="bench-password-1",
        organization_name="Bench Hotels",
        property_name="Bench Shanghai",
        role="frontdesk",
    )
    token, _ = Token.objects.get_or_create(user=staff.user)
    return staff.organization, token.key


def ensure_dataset(*, customers: int, regenerate: bool = False, history: bool = True) -> tuple[Organization, str]:
    """The migrated bench database holding `customers` customers (generated when it holds another number)."""
    ensure_database()
    organization, token = bench_organization()
    if regenerate or Customer.objects.count() != customers:
        dataset.generate(
            customers=customers,
            organization_id=organization.pk,
            history=history,
            say=lambda text: print(text, file=sys.stderr, flush=True),
        )
    return organization, token
