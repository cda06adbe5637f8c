"""What every benchmark needs first: the bench database, its staff member and token, the dataset."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import psycopg
from django.core.management import call_command
from django.db import transaction
from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from bench import dataset
from crm import services
from crm.lookup.terms import forget_customers
from crm.models import Customer, Organization, Staff

# Every bench staff member's password (the bench databases are throwaway ones).
BENCH_PASSWORD = "bench-password-1"


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


def bench_staff(
    username: str, organization_name: str, *, role: str, property_name: str = "Bench Shanghai", **fields
) -> Staff:
    """A staff member of a bench organization, made on the first run and found again on the next."""
    return services.staff_upsert(
        username=username,
        password=BENCH_PASSWORD,
        organization_name=organization_name,
        property_name=property_name,
        role=role,
        **fields,
    )


def bench_organization() -> tuple[Organization, str]:
    """The bench hotel chain and the API token of its front-desk user."""
    staff = bench_staff("bench", "Bench Hotels", role="frontdesk")
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


def drop_guests(customers: QuerySet[Customer]) -> int:
    """Delete the guests a benchmark created, the vocabulary forgetting their words first (as an erase does), so that
    the dataset is left as it was found; how many went."""
    with transaction.atomic():
        forget_customers(list(customers))
        _, deleted = customers.delete()
    return deleted.get(Customer._meta.label, 0)
