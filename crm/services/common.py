"""What every write shares: assigning validated fields, the append-only change record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model

from crm.bulk import insert_one
from crm.models import (
    ChangeAction,
    ChangeRecord,
    Customer,
    Organization,
)

User = AbstractBaseUser


# {field: {"old": before, "new": after}}: see ChangeRecord.changes.
Changes = dict[str, dict[str, Any]]


_PLAIN = frozenset({type(None), bool, int, float, str})


def _jsonable(value: Any) -> Any:
    # The plain values first, by their exact type (the quickest test): most values are (an import's change records
    # hold ~12 per guest); then a choice (a str subclass) and the rest.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def created(values: dict[str, Any]) -> Changes:
    """A new row's values as changes: nothing before."""
    return {name: {"new": value} for name, value in values.items()}


def deleted(values: dict[str, Any]) -> Changes:
    """A removed row's values as changes: nothing after."""
    return {name: {"old": value} for name, value in values.items()}


def _customer_of(target: Model) -> int | None:
    if isinstance(target, Customer):
        return target.pk
    return getattr(target, "customer_id", None)


class Change(TypedDict):
    """What a change record says (record(), change_record(), change_record_values()): who (actor) did what (action)
    to which row (target); ``changes`` as ChangeRecord.changes (assign(), created(), deleted(), or plain facts of the
    event); the organization is target's own unless given. ValueError for an action that is not a ChangeAction."""

    actor: User | None
    action: ChangeAction | str
    target: Model
    changes: NotRequired[dict[str, Any] | None]
    organization: NotRequired[Organization | None]


def record(*, customer: Customer | None = None, **change: Unpack[Change]) -> ChangeRecord:
    """Append a change record (Change); the guest it is about is target's own customer unless given."""
    saved = change_record(**change)
    if customer is not None:
        saved.customer_id = customer.pk
    insert_one(saved)
    return saved


def change_record(**change: Unpack[Change]) -> ChangeRecord:
    """The unsaved record record() saves: for writers of many rows at once, which bulk-create them."""
    organization_id, actor_id, action, target_type, target_id, customer_id, changes = change_record_values(**change)
    return ChangeRecord(
        organization_id=organization_id,
        actor=change["actor"] if actor_id is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        customer_id=customer_id,
        changes=changes,
    )


# change_record_values() in this order: the columns of crm.bulk.insert_rows(ChangeRecord, ...) with "created_at".
CHANGE_RECORD_COLUMNS = ("organization_id", "actor_id", "action", "target_type", "target_id", "customer_id", "changes")


def change_record_values(**change: Unpack[Change]) -> tuple[Any, ...]:
    """change_record()'s values (CHANGE_RECORD_COLUMNS), without a model instance: an import writes one per
    guest."""
    actor, target, organization = change["actor"], change["target"], change.get("organization")
    if organization is not None:
        organization_id = organization.pk
    else:  # the target's own; an organization is its own
        organization_id = target.pk if isinstance(target, Organization) else target.organization_id  # type: ignore[attr-defined]
    return (
        organization_id,
        actor.pk if actor is not None and actor.is_authenticated else None,
        ChangeAction(change["action"]),
        target._meta.model_name,
        target.pk,
        _customer_of(target),
        _jsonable(change.get("changes") or {}),
    )


def clean_for_save(instance: Model, *, exclude: Iterable[str] = ()) -> None:
    """full_clean() in Python alone, for a row of Customer, Preference or Contact: a foreign key given as an object
    (read from the database by the caller) is not read again, and the check constraints are left to the database —
    each one's rule is also a field's choices, its blank=False or the model's clean(), which this runs, or is kept
    by the service that writes its columns (a guest's first and last seen: contact_log). A SELECT per constraint
    and per key, each in a savepoint, were most of a write's statements."""
    given = {
        field.name
        for field in instance._meta.concrete_fields
        if field.is_relation and field.is_cached(instance) and field.get_cached_value(instance) is not None
    }
    instance.full_clean(exclude=given | set(exclude), validate_constraints=False)


def assign(instance: Model, fields: dict[str, Any], allowed: Iterable[str]) -> Changes:
    """Set the given fields on instance; return {field: {"old": before, "new": after}} for those that changed."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    changed = {}
    for name, value in fields.items():
        before = getattr(instance, name)
        if before != value:
            setattr(instance, name, value)
            changed[name] = {"old": before, "new": value}
    return changed


def update_fields(changed: Iterable[str]) -> list[str]:
    fields = set()
    for name in changed:
        if name in ("birthday", "anniversary"):
            fields |= {f"{name}_year", f"{name}_month", f"{name}_day"}
        else:
            fields.add(name)
    return sorted(fields | {"updated_at"})


def user_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def delete_after_commit(name: str, storage) -> None:
    """Delete a stored file once the transaction commits: a rolled-back change keeps the file its row still names."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))
