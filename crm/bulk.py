"""Many rows inserted at once: PostgreSQL's COPY, else (SQLite, which the test suite also runs on) one
bulk_create. An import writes a guest, ~10 search terms and a change record per row: as INSERTs, Django prepares
every value of every row in Python and psycopg parses a statement of thousands of parameters; COPY streams the
values (docs/benchmarks.md, "Guest-list import")."""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.signals import post_save, pre_save

from crm import prepared

# Fields whose Python value is what the database stores (no preparation: the bulk of an import's columns;
# datetimes are timezone-aware, as Rapport makes them).
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateTimeField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of values, one per column (a field's attname: "customer_id"), into model's table. Values are
    as the model holds them (a JSON field's is the Python value); nothing is validated here."""
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**{field.attname: value for field, value in zip(fields, row, strict=True)}) for row in rows]
        )
        return
    prepare = [None if field.get_internal_type() in PLAIN else _preparer(field) for field in fields]
    if any(prepare):
        rows = ([p(v) if p else v for p, v in zip(prepare, row, strict=True)] for row in rows)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    # wrap_database_errors: a unique violation is Django's IntegrityError, as from an INSERT (the import's task
    # retries on it).
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def insert_objects(objects: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """Insert unsaved instances of one model as insert_rows() does: every concrete field, the primary key when
    set. with_ids: the instances get their ids first, from the table's sequence (as bulk_create's RETURNING
    gives them). Fields that fill themselves on save (auto_now_add) do so, as with bulk_create."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    pk = model._meta.pk
    if with_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(objects)],
            )
            for obj, (value,) in zip(objects, sorted(cursor.fetchall()), strict=True):
                obj.pk = value
    fields = [f for f in model._meta.concrete_fields if objects[0].pk is not None or f is not pk]
    # The value to save is the attribute, read for all such fields at once (a guest has ~45), except where the
    # field makes it (pre_save: created_at and updated_at filled, a file's name).
    made = [field for field in fields if _makes_its_value(field)]
    read = [field for field in fields if field not in made]
    attributes = operator.attrgetter(*(field.attname for field in read))
    insert_rows(
        model,
        [field.attname for field in (*read, *made)],
        ((*attributes(obj), *(field.pre_save(obj, True) for field in made)) for obj in objects),
    )
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _makes_its_value(field: models.Field) -> bool:
    """Whether the field's pre_save() does more than read the attribute."""
    if isinstance(field, models.DateField):
        return field.auto_now or field.auto_now_add
    return type(field).pre_save is not models.Field.pre_save


def insert_parts(obj: models.Model) -> tuple[str, str, list[Any]]:
    """One unsaved instance as the parts of an INSERT written by hand (a conditional one, or one inside a larger
    statement): its columns, their placeholders and values — every concrete field but an automatic primary key,
    prepared as save() prepares them (auto_now_add and auto_now fill themselves, on the instance too). After the
    statement, saved() marks the instance with the id it returned."""
    meta = obj._meta
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    return columns, ", ".join(["%s"] * len(fields)), values


def insert_one(obj: models.Model) -> None:
    """obj.save() of a new row, as one hand-written INSERT … RETURNING its id, prepared on PostgreSQL
    (crm.prepared): the writes of every request (a guest, a preference, their change record). Django's save compiled
    the INSERT anew each time — 0.7 ms of Python for a guest's ~40 columns, 0.3 for a change record (2026-12-06).
    The same fields, prepared alike (insert_parts); a model with a save() of its own, or whose save signals anyone
    listens to, is saved by save()."""
    model = type(obj)
    if (
        not _plain_save(model)
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or not connection.features.can_return_columns_from_insert
    ):
        obj.save()
        return
    columns, placeholders, values = insert_parts(obj)
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING {pk}"  # noqa: S608 (our names)
    with prepared.cursor(connection) as cursor:
        cursor.execute(sql, values)
        saved(obj, cursor.fetchone()[0])


@functools.cache
def _plain_save(model: type[models.Model]) -> bool:
    """Whether saving a new instance of model is Django's own save (no save, save_base or _do_insert of its own)
    with an automatic primary key."""
    return (
        model.save is models.Model.save
        and model.save_base is models.Model.save_base
        and model._do_insert is models.Model._do_insert
        and model._meta.auto_field is model._meta.pk
        and not model._meta.parents
    )


def saved(obj: models.Model, pk: Any) -> None:
    """The instance insert_parts() described is now the row with this id."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias


def _preparer(field: models.Field) -> Callable[[Any], Any]:
    if field.get_internal_type() == "JSONField":
        # The JSON text itself, which COPY hands to jsonb's input as it would Django's Jsonb wrapper: making one
        # wrapper per value was a tenth of an import's Python (five JSON columns per import row). None is NULL; an
        # empty dict or list, most of an applied import row's cells, is its text without json.dumps (~3 µs each).
        dumps = functools.partial(json.dumps, cls=field.encoder)

        def prepare_json(value: Any) -> Any:
            if value is None:
                return None
            kind = type(value)
            if kind is dict and not value:
                return "{}"
            if kind is list and not value:
                return "[]"
            return dumps(value)

        return prepare_json

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return prepare
