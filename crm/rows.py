"""Model instances from the rows of hand-written SQL, typed exactly as the ORM would type them.

For the few statements on every request where compiling a queryset cost more than running it
(token authentication): the SQL is written once from the models' own fields, and each value goes
through the same database converters the ORM applies (SQLite's datetimes, JSON fields, …).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], alias: str) -> str:
    """The model's concrete columns, qualified by alias, in the order instance() expects them."""
    return _columns(model, alias, connection.vendor)


@cache
def _columns(model: type[Model], alias: str, vendor: str) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[Model], values: Sequence) -> Model:
    """A model instance, as loaded from the database, from its columns' values in columns() order."""
    converted = []
    for value, (expression, converters) in zip(values, _converters(model, connection.vendor), strict=True):
        for converter in converters:
            value = converter(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], converted)


@cache
def _converters(model: type[Model], vendor: str) -> list[tuple]:
    result = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        result.append(
            (expression, connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        )
    return result
