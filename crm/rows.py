"""Model instances from the rows of hand-written SQL, typed exactly as the ORM would type them.

For the few statements on every request where compiling a queryset cost more than running it
(token authentication): the SQL is written once from the models' own fields, and each value goes
through the same database converters the ORM applies (SQLite's datetimes, JSON fields, …).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from django.db import connection, connections
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


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
    return maker(model)(values)


def maker(model: type[Model]) -> Callable[[Sequence], Model]:
    """instance() for many rows of one model: what depends on the connection and the signals is read once (a
    lookup page builds twenty guests; each access to `connection` goes through a context-local lookup)."""
    vendor, alias = connection.vendor, connection.alias
    converters = _converters(model, vendor)
    # Only the columns that have converters (on PostgreSQL a few of the customer's ~40).
    converting = _converting(model, vendor)
    database = connections[alias]
    load = _loader(model, alias)

    def make(values: Sequence) -> Model:
        if len(values) != len(converters):
            raise ValueError(f"{model.__name__} has {len(converters)} columns, not {len(values)}")
        converted = list(values)
        for at, expression, field_converters in converting:
            value = converted[at]
            for converter in field_converters:
                value = converter(value, expression, database)
            converted[at] = value
        return load(converted)

    return make


def loaded(model: type[Model], values: list) -> Model:
    """model.from_db(alias, every column, values), in a third of the time (3.6 against 9.8 µs a customer, twenty
    on a lookup page): see _loader."""
    return _loader(model, connection.alias)(values)


def _loader(model: type[Model], alias: str) -> Callable[[list], Model]:
    """Where Model.__init__ would only store each value in the instance's __dict__ — no init signal listened to,
    no __init__ or from_db of the model's own, each column's attribute a descriptor of Django's that stores the
    value as it is on a new instance —, the values are stored so; otherwise from_db."""
    names = attnames(model)
    if not _plain_init(model) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return lambda values: model.from_db(alias, names, values)

    def load(values: list) -> Model:
        new = model.__new__(model)
        new._state = state = ModelState()
        state.adding, state.db = False, alias
        new.__dict__.update(zip(names, values, strict=True))
        return new

    return load


@cache
def _plain_init(model: type[Model]) -> bool:
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__:
        return False
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)
    return all(type(getattr(model, f.attname, None)) in plain for f in model._meta.concrete_fields)


@cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The model's concrete columns' attribute names, in columns() order (what loaded() takes values of)."""
    return tuple(f.attname for f in model._meta.concrete_fields)


@cache
def _converting(model: type[Model], vendor: str) -> list[tuple]:
    return [
        (at, expression, converters)
        for at, (expression, converters) in enumerate(_converters(model, vendor))
        if converters
    ]


def instances_with(model: type[Model], name: str, values: Sequence[Sequence]) -> list[Model]:
    """Instances of model, in the order of their first rows, each with its related rows of the reverse relation
    `name` prefetched as prefetch_related(name) would leave them, from the rows of one LEFT JOIN: the model's
    columns, then the related model's (columns() order each; one row per related row, NULLs for an instance
    without any). One statement where the prefetch takes two, without compiling a queryset."""
    relation = model._meta.get_field(name)
    related = relation.related_model
    start = width(model)
    at = attnames(model).index(model._meta.pk.attname)
    related_at = start + attnames(related).index(related._meta.pk.attname)
    make, make_related = maker(model), maker(related)
    found: dict[object, tuple[Model, list[Model]]] = {}
    for row in values:
        if row[at] not in found:
            found[row[at]] = (make(row[:start]), [])
        if row[related_at] is not None:
            found[row[at]][1].append(make_related(row[start:]))
    # Most guests have none: they share one empty queryset (a filter on it finds nothing either, as theirs would);
    # the others get what prefetch_related stores (django.db.models.query.prefetch_one_level), the manager's
    # queryset, its filter deferred until needed, holding their rows. A queryset each cost ~20 µs, a page ~0.4 ms.
    empty = related._default_manager.none()
    empty._result_cache, empty._prefetch_done = [], True
    for parent, children in found.values():
        queryset = empty
        if children:
            for child in children:
                relation.field.set_cached_value(child, parent)  # child.customer without a query, as a prefetch does
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
