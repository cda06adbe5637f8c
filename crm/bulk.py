"""Many rows inserted at once when their ids are not needed back: PostgreSQL's COPY, else (SQLite, which the
test suite also runs on) one bulk_create. An import writes ~10 search terms and a change record per guest: as
INSERTs, Django builds a model instance per row and psycopg parses a statement of thousands of parameters; COPY
streams the values (docs/benchmarks.md, "Guest-list import")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of values, one per column (a field's attname: "customer_id"), into model's table. Values are
    as the model would save them; a JSON field's is the Python value. Nothing is validated here."""
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**{field.attname: value for field, value in zip(fields, row, strict=True)}) for row in rows]
        )
        return
    prepare = [_json_text(field) if isinstance(field, models.JSONField) else None for field in fields]
    if not any(prepare):
        prepared: Iterable[Sequence[Any]] = rows
    else:
        prepared = ([p(v) if p else v for p, v in zip(prepare, row, strict=True)] for row in rows)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in prepared:
            copy.write_row(row)


def insert_objects(objects: Sequence[models.Model]) -> None:
    """Insert unsaved instances of one model as insert_rows() does: every concrete field, the primary key only
    when set; fields that fill themselves on save (auto_now_add) do so, as bulk_create's."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    with_pk = objects[0].pk is not None
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    # pre_save fills created_at and updated_at (auto_now_add, auto_now); other fields return their value.
    filling = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj in objects:
        for field in filling:
            field.pre_save(obj, add=True)
    insert_rows(
        model,
        [field.attname for field in fields],
        ([getattr(obj, field.attname) for field in fields] for obj in objects),
    )
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _json_text(field: models.JSONField) -> Callable[[Any], str | None]:
    def dump(value: Any) -> str | None:
        return None if value is None else json.dumps(value, cls=field.encoder)

    return dump
