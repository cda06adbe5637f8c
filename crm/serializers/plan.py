"""Output rendered from a plan made once per serializer class (ModelFieldsOnce): what DRF would render, field for
field, without DRF's per-instance machinery on the hot paths (a lookup page on every keystroke)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

from crm.serializers.fields import PartialDateField

# Fields whose output is the model attribute as it is (a str, an int, a bool, or None).
PLAIN_FIELDS = (
    serializers.CharField,
    serializers.EmailField,
    serializers.IntegerField,
    serializers.BigIntegerField,
    serializers.BooleanField,
)
RAW, DATETIME, FIELD, NESTED, METHOD, DRF = "raw", "datetime", "field", "nested", "method", "drf"  # how a plan renders


class ModelFieldsOnce:
    """Build a ModelSerializer's fields from the model once per class, then copy them; render output
    from a plan made once per class.

    DRF introspects the model for every serializer instance (about 2 ms a request for a customer);
    each instance gets copies of the fields built once (shallow where they hold no field: _holds_fields).
    Rendering through each field's get_attribute/to_representation (and copying the fields first)
    cost another ~2 ms for a lookup page of 20 customers, sent on every keystroke. The plan reads
    strings, numbers, booleans, foreign-key ids and the other attributes it renders straight off the
    instance, renders datetimes as DRF does with the time zone looked up once per object, renders
    choices, lists of strings and partial dates with the class's first fields (they depend on no
    context), a nested list of plain rows (a guest's ids in other systems) row by row, a method field by
    calling its method, and leaves any other field to DRF, so the output is the same. A serializer whose
    plan leaves nothing to DRF never copies its fields to render: on a lookup page that copy alone cost
    0.3–0.9 ms, on a guest created a quarter of the request (2026-12-05)."""

    # Per class: each field built once, and whether a copy of it must be deep (_holds_fields).
    _built_fields: dict[type, list[tuple[str, serializers.Field, bool]]] = {}
    _plans: dict[type, list[tuple[str, str, str | None, object]]] = {}

    def get_fields(self):
        cls = type(self)
        if cls not in ModelFieldsOnce._built_fields:
            built = super().get_fields()  # type: ignore[misc]
            ModelFieldsOnce._built_fields[cls] = [(name, field, _holds_fields(field)) for name, field in built.items()]
        return {
            name: copy.deepcopy(field) if deep else _shallow_copy(field)
            for name, field, deep in ModelFieldsOnce._built_fields[cls]
        }

    def _output_plan(self) -> list[tuple[str, str, str | None, object]]:
        """(field name, how to render it, the attribute to read, the field or nested plan to render with), per
        class."""
        cls = type(self)
        if cls not in ModelFieldsOnce._plans:
            ModelFieldsOnce._plans[cls] = [_plan_field(self.Meta.model, f) for f in self._readable_fields]  # type: ignore[attr-defined]
        return ModelFieldsOnce._plans[cls]

    def to_representation(self, instance):
        if isinstance(instance, Mapping):  # validated data rendered back: DRF's own way
            return super().to_representation(instance)  # type: ignore[misc]
        data = {}
        zone = None
        for name, how, attribute, what in self._output_plan():
            if how == RAW:
                data[name] = getattr(instance, attribute)
                continue
            if how == NESTED:
                data[name] = [{key: getattr(row, at) for key, at in what} for row in _related_rows(instance, attribute)]
                continue
            if how == METHOD:
                data[name] = getattr(self, what)(instance)
                continue
            field = self.fields[name] if how == DRF else what  # type: ignore[attr-defined]
            if attribute is not None:
                value = getattr(instance, attribute)
            else:
                try:
                    value = field.get_attribute(instance)
                except SkipField:  # as DRF: a read-only attribute the instance lacks is left out
                    continue
            if value is None:
                data[name] = None
            elif how == DATETIME:
                zone = zone or timezone.get_current_timezone()
                text = value.astimezone(zone).isoformat()
                data[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                data[name] = field.to_representation(value)
        return data


def _related_rows(instance, attribute: str):
    """The rows of a reverse relation: the prefetched ones as they are (crm.rows.instances_with, prefetch_related
    store them under the relation's name), else through its manager. A related manager made per guest to read
    them cost ~6 µs, 0.13 ms of a lookup page of 20 (2026-12-06)."""
    prefetched = getattr(instance, "_prefetched_objects_cache", None)
    if prefetched is not None and attribute in prefetched:
        return prefetched[attribute]
    return getattr(instance, attribute).all()


def _holds_fields(field: serializers.Field) -> bool:
    """Whether a field holds another field (a list's child, a nested serializer's fields): its copy for a serializer
    instance is then deep, as DRF makes it, since binding the copy binds what it holds.

    Any other field is copied shallow (_shallow_copy). DRF deep-copies a field by building it again from deep copies
    of its arguments (a queryset, choices, help texts): 0.88 ms for a guest's 29 fields, nearly all of validating a
    new guest; shallow, with the two that hold fields deep, 0.28 ms (interleaved, 2026-12-06). A field built once and
    never bound holds nothing that serving a request changes — binding sets the copy's own name, parent and source —
    so its shallow copy is a field of its own, sharing with the original what DRF's copy shares too (its validators)
    and what is only read (its error messages, its choices, a queryset that each use copies with .all())."""
    return isinstance(field, serializers.BaseSerializer) or any(
        isinstance(value, serializers.Field) for value in field._kwargs.values()
    )


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """copy.copy(field) without the pickling protocol it goes through (7 µs a field against 1)."""
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    if "_validators" in copied.__dict__:  # a list of its own, as DRF's copy gets: one appended to stays with it
        copied._validators = list(copied._validators)
    return copied


def _plain_attribute(model, field) -> str | None:
    """The attribute a field renders when it is one plain attribute of the model (DRF's get_attribute would
    read just that), else None."""
    if len(field.source_attrs) != 1:
        return None
    attribute = getattr(model, field.source_attrs[0], None)
    return field.source_attrs[0] if not callable(attribute) or isinstance(attribute, property) else None


def _plan_field(model, field) -> tuple[str, str, str | None, object]:
    name = field.field_name
    plain = _plain_attribute(model, field)
    if type(field) in PLAIN_FIELDS and plain and not getattr(field, "coerce_to_string", False):
        return name, RAW, plain, None
    if type(field) is serializers.PrimaryKeyRelatedField and field.pk_field is None:
        return name, RAW, model._meta.get_field(field.source).attname, None
    if (
        type(field) is serializers.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    ):
        return name, DATETIME, plain, _detached(field)
    if nested := _nested_rows(model, field):
        return name, NESTED, field.source_attrs[0], nested
    if type(field) is serializers.SerializerMethodField:
        return name, METHOD, None, field.method_name
    context_free = type(field) in (serializers.ChoiceField, PartialDateField) or (
        type(field) is serializers.ListField and type(field.child) in PLAIN_FIELDS
    )
    return (name, FIELD, plain, _detached(field)) if context_free else (name, DRF, None, None)


def _nested_rows(model, field) -> tuple[tuple[str, str], ...] | None:
    """For a many=True ModelSerializer of a reverse relation whose every field is a plain attribute of its rows
    (ExternalIdSerializer), the (key, attribute) of each; else None (DRF renders the field)."""
    if type(field) is not serializers.ListSerializer or len(field.source_attrs) != 1:
        return None
    child = field.child
    try:
        relation = model._meta.get_field(field.source_attrs[0]).one_to_many
    except FieldDoesNotExist:
        return None
    if not (relation and isinstance(child, serializers.ModelSerializer)):
        return None
    if type(child).to_representation is not serializers.Serializer.to_representation:
        return None
    plan = [_plan_field(child.Meta.model, f) for f in child._readable_fields]
    if any(how != RAW for _, how, _, _ in plan):
        return None
    return tuple((name, attribute) for name, _, attribute, _ in plan)


def _detached(field):
    """A copy of the field bound to an empty serializer: the plan outlives the serializer (and the
    request) it was made from, and these fields read nothing from their parent."""
    clone = copy.deepcopy(field)
    clone.bind(field.field_name, serializers.Serializer())
    return clone
