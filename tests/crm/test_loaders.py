"""PostgreSQL's timestamps read by psycopg's C loader give exactly what Django's own loader gives (crm.loaders)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.utils import timezone
from psycopg import postgres
from psycopg.pq import Format

from crm.loaders import UtcTimestamptzLoader
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# Times as PostgreSQL writes them: whole seconds, microseconds, another zone's offset, before 1970, the first and last
# years a datetime holds.
TEXTS = [
    "2026-11-30 12:34:56+00",
    "2026-11-30 12:34:56.123456+00",
    "2026-03-29 01:30:00.5+05:30",
    "1969-12-31 23:59:59.999999-08",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 00:00:00+14",
]


class DjangoUtc(BaseTzLoader):
    timezone = datetime.UTC


def test_every_timestamp_reads_as_django_reads_it():
    connection.ensure_connection()
    ours = UtcTimestamptzLoader(0, connection.connection)
    django = DjangoUtc(0, connection.connection)
    for text in TEXTS:
        data = text.encode()
        assert ours.load(data) == django.load(data), text
        assert ours.load(data).tzinfo is datetime.UTC, text


def test_the_connection_reads_timestamps_in_c_and_the_orm_gets_aware_utc_values(organization):
    guest = CustomerFactory(organization=organization)
    seen = timezone.now().replace(microsecond=123456)
    Customer.objects.filter(pk=guest.pk).update(last_seen=seen)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_seen FROM crm_customer WHERE id = %s", [guest.pk])
        (value,) = cursor.fetchone()
        loader = cursor.cursor.adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
    assert loader is UtcTimestamptzLoader
    assert value == seen and value.tzinfo is datetime.UTC
    assert Customer.objects.get(pk=guest.pk).last_seen == seen
