"""The access audit's one writer."""

from __future__ import annotations

from typing import NotRequired, TypedDict, Unpack

from django.db import connection, router
from django.utils import timezone

from crm.models import AccessAction, AccessChannel, AccessRecord, Customer
from crm.services.common import User


class Access(TypedDict):
    """What an access record says (access_record(), access_record_sql()): actor saw this guest (action) through
    channel at property."""

    organization_id: int
    customer_id: int
    actor: User | None
    action: AccessAction | str
    channel: AccessChannel | str
    property_id: NotRequired[int | None]


def access_record(**access: Unpack[Access]) -> None:
    """Append that actor saw this guest (action) through channel at property, in the request that showed them.
    Ids, not objects, and no full_clean(): validating the foreign keys would cost a SELECT each on the brief's
    hot path; the choices are checked here and by the database's constraints.

    On PostgreSQL, a record written outside any other transaction is one round trip that commits
    asynchronously (``synchronous_commit off`` for that one transaction): the brief is otherwise a read, and
    waiting for the WAL flush of its access record cost 7–8 ms per request on this machine's disk (0.2 ms
    without), and the ORM's BEGIN, SET, INSERT, COMMIT four round trips (bench/run audit). The trade: a
    database crash may lose the last fraction of a second of access records (at most three times
    ``wal_writer_delay``, 0.6 s by default) — never a change to guest data, which commits as before, and never
    part of a record. Inside a request's write transaction (and on SQLite) the record commits with it."""
    row = _row(**access)
    if connection.in_atomic_block or connection.vendor != "postgresql":
        AccessRecord.objects.create(**row)
    else:
        _insert_async(row)


def access_record_sql(**access: Unpack[Access]) -> list[str] | None:
    """access_record as the statements that the caller sends right after its own read of the guest, in the same
    round trip (the brief pipelines them: bench/run audit). ``BEGIN``, ``SET LOCAL synchronous_commit TO OFF``,
    ``INSERT … WHERE the guest is the organization's and not merged away``, ``COMMIT`` — the same asynchronous commit
    as access_record's, and no record when the read found no such guest (it answers 404). On PostgreSQL outside a
    transaction only; None elsewhere: the caller then calls access_record after its read. The caller rolls back if
    they fail (the record's transaction must not outlive them). None too when the guest's read goes to a read
    replica (config/routers.py): the record is written on the primary, after the read."""
    if (
        connection.in_atomic_block
        or connection.vendor != "postgresql"
        or router.db_for_read(Customer) != connection.alias
    ):
        return None
    row = _row(**access)
    customers = connection.ops.quote_name(Customer._meta.db_table)
    guest = (
        f"SELECT 1 FROM {customers} WHERE id = {row['customer_id']}"  # noqa: S608 (integers)
        f" AND organization_id = {row['organization_id']} AND merged_into_id IS NULL"
    )
    return _async_statements(row, where=f"EXISTS ({guest})")


def _row(*, organization_id, customer_id, actor, action, channel, property_id=None) -> dict:
    return {
        "organization_id": int(organization_id),
        "customer_id": int(customer_id),
        "actor_id": int(actor.pk) if actor is not None and actor.is_authenticated else None,
        "action": AccessAction(action).value,
        "channel": AccessChannel(channel).value,
        "property_id": int(property_id) if property_id is not None else None,
        "at": timezone.now(),
    }


def access_record_many(
    *,
    organization_id: int,
    customer_ids: list[int],
    actor: User | None,
    action: AccessAction | str,
    channel: AccessChannel | str,
    property_id: int | None = None,
) -> None:
    """access_record for every guest a list showed with their safety needs (the arrivals board): one INSERT,
    committed asynchronously on PostgreSQL outside a transaction as access_record's one (the same trade). For a
    board of 500 guests, waiting for the flush and building 500 model instances cost more than the board's read
    (bench/run arrivals)."""
    if not customer_ids:
        return
    row = _row(
        organization_id=organization_id,
        customer_id=0,
        actor=actor,
        action=action,
        channel=channel,
        property_id=property_id,
    )
    if connection.in_atomic_block or connection.vendor != "postgresql":
        AccessRecord.objects.bulk_create(AccessRecord(**{**row, "customer_id": int(pk)}) for pk in customer_ids)
    else:
        _insert_async(row, customer_ids)


def _insert_async(row: dict, customer_ids: list[int] | None = None) -> None:
    """BEGIN, SET LOCAL, INSERT and COMMIT as one simple-protocol string (one round trip)."""
    with connection.cursor() as cursor:
        try:
            cursor.execute("; ".join(_async_statements(row, customer_ids)))
        except Exception:
            cursor.execute("ROLLBACK")  # the failed transaction must not outlive this call
            raise


def _async_statements(row: dict, customer_ids: list[int] | None = None, *, where: str = "") -> list[str]:
    """The row's INSERT in a transaction of its own that commits asynchronously: once, or once for each of
    customer_ids (the same row for each guest), or when the condition where holds. Every value is an integer,
    NULL, one of the choices' fixed strings or an ISO timestamp made here, never text from outside (_literal)."""
    columns = ", ".join(connection.ops.quote_name(column) for column in row)
    table = connection.ops.quote_name(AccessRecord._meta.db_table)
    cells = [_literal(value) for value in row.values()]
    if where:
        values = f"SELECT {', '.join(cells)} WHERE {where}"
    elif customer_ids is None:
        values = f"VALUES ({', '.join(cells)})"
    else:  # the row's other values written once, not once per guest (a board shows 500)
        at = list(row).index("customer_id")
        before, after = ", ".join(cells[:at]), ", ".join(cells[at + 1 :])
        values = "VALUES " + ", ".join(f"({before}, {int(pk)}, {after})" for pk in customer_ids)
    return ["BEGIN", "SET LOCAL synchronous_commit TO OFF", f"INSERT INTO {table} ({columns}) {values}", "COMMIT"]  # noqa: S608


# The only strings _literal writes (Choices.values is built anew at each call: ~10 µs, 1,000 times for a board).
_FIXED_STRINGS = frozenset(AccessAction.values) | frozenset(AccessChannel.values)


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return f"'{value.isoformat()}'::timestamptz"
    if value in _FIXED_STRINGS:
        return f"'{value}'"
    raise ValueError(f"not a value the access record writes: {value!r}")
