"""Output rendered from a plan made once per serializer class (ModelFieldsOnce): what DRF would render, field for
field, without DRF's per-instance machinery on the hot paths (a lookup page on every keystroke)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter

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
    _plans: dict[type, _Plan] = {}

    def get_fields(self):
        cls = type(self)
        if cls not in ModelFieldsOnce._built_fields:
            built = super().get_fields()  # type: ignore[misc]
            ModelFieldsOnce._built_fields[cls] = [(name, field, _holds_fields(field)) for name, field in built.items()]
        return {
            name: copy.deepcopy(field) if deep else _shallow_copy(field)
            for name, field, deep in ModelFieldsOnce._built_fields[cls]
        }

    def _output_plan(self) -> _Plan:
        """How each readable field renders, made once per class."""
        cls = type(self)
        if cls not in ModelFieldsOnce._plans:
            entries = [_plan_field(self.Meta.model, f) for f in self._readable_fields]  # type: ignore[attr-defined]
            ModelFieldsOnce._plans[cls] = _Plan.of(entries)
        return ModelFieldsOnce._plans[cls]

    def to_representation(self, instance):
        if isinstance(instance, Mapping):  # validated data rendered back: DRF's own way
            return super().to_representation(instance)  # type: ignore[misc]
        plan = self._output_plan()
        values = list(plan.read(instance))
        skipped = False
        for index, how, attribute, what in plan.rendered:
            if how == NESTED:
                rows = _related_rows(instance, attribute)
                values[index] = [{key: getattr(row, at) for key, at in what} for row in rows]
                continue
            if how == METHOD:
                values[index] = getattr(self, what)(instance)
                continue
            field = self.fields[plan.names[index]] if how == DRF else what  # type: ignore[attr-defined]
            if attribute is not None:
                value = values[index]
            else:
                try:
                    value = field.get_attribute(instance)
                except SkipField:  # as DRF: a read-only attribute the instance lacks is left out
                    values[index], skipped = _SKIPPED, True
                    continue
            if value is None:
                values[index] = None
            elif how == DATETIME:
                text = value.astimezone(self._zone()).isoformat()
                values[index] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                values[index] = field.to_representation(value)
        data = dict(zip(plan.names, values, strict=True))
        return {name: value for name, value in data.items() if value is not _SKIPPED} if skipped else data

    def _zone(self):
        """The current time zone, looked up once per serializer (a page's rows share it)."""
        zone = self.__dict__.get("_current_zone")
        if zone is None:
            zone = self.__dict__["_current_zone"] = timezone.get_current_timezone()
        return zone


_SKIPPED = object()  # a field DRF leaves out of this instance's output


@dataclass(frozen=True, slots=True)
class _Plan:
    """A class's output plan: its fields' names in order; one attribute read per field, all at once (`read`, an
    attrgetter: the model's plain attributes, and a stand-in for a field rendered otherwise); the fields that are
    not a plain attribute's value as it is, each with how it renders (`rendered`: position, how, attribute, field
    or nested plan). A page of 20 guests was ~30 branches a guest in Python (0.5 ms a page, 2026-12-07); a guest's
    plain attributes now come from one C call, and ~8 fields a guest are rendered one by one."""

    names: tuple[str, ...]
    read: Callable
    rendered: tuple[tuple[int, str, str | None, object], ...]

    @classmethod
    def of(cls, entries: list[tuple[str, str, str | None, object]]) -> _Plan:
        # "_state", which every model instance holds, stands in for a field not read as one attribute.
        attributes = [attribute if how in READ_AT_ONCE and attribute else "_state" for _, how, attribute, _ in entries]
        one = attrgetter(*attributes)
        read = one if len(attributes) > 1 else lambda instance: (one(instance),)  # one attribute: not a tuple
        rendered = tuple((i, how, attribute, what) for i, (_, how, attribute, what) in enumerate(entries) if how != RAW)
        return cls(tuple(name for name, *_ in entries), read, rendered)


# The ways of rendering whose value is one plain attribute of the instance (when the plan names one).
READ_AT_ONCE = frozenset({RAW, DATETIME, FIELD})


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
