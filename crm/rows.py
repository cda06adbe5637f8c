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


def instances_with(model: type[Model], name: str, values: Sequence[Sequence]) -> list[Model]:
    """Instances of model, in the order of their first rows, each with its related rows of the reverse relation
    `name` prefetched as prefetch_related(name) would leave them, from the rows of one LEFT JOIN: the model's
    columns, then the related model's (columns() order each; one row per related row, NULLs for an instance
    without any). One statement where the prefetch takes two, without compiling a queryset."""
    relation = model._meta.get_field(name)
    related = relation.related_model
    start = width(model)
    at = [f.attname for f in model._meta.concrete_fields].index(model._meta.pk.attname)
    related_at = start + [f.attname for f in related._meta.concrete_fields].index(related._meta.pk.attname)
    found: dict[object, tuple[Model, list[Model]]] = {}
    for row in values:
        if row[at] not in found:
            found[row[at]] = (instance(model, row[:start]), [])
        if row[related_at] is not None:
            found[row[at]][1].append(instance(related, row[start:]))
    for parent, children in found.values():
        for child in children:
            relation.field.set_cached_value(child, parent)  # child.customer without a query, as a prefetch does
        # What prefetch_related stores (django.db.models.query.prefetch_one_level): the manager's queryset, its
        # filter deferred until it is needed, holding the rows.
        queryset = getattr(parent, name).get_queryset()
        queryset._result_cache = children
        queryset._prefetch_done = True
        parent._prefetched_objects_cache = {name: queryset}
    return [parent for parent, _ in found.values()]


@cache
def _converters(model: type[Model], vendor: str) -> list[tuple]:
    result = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        result.append(
            (expression, connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        )
    return result
