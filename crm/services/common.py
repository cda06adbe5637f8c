"""What every write shares: assigning validated fields, the append-only change record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model

from crm.models import (
    ChangeRecord,
    Organization,
)

User = AbstractBaseUser


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def record(
    *, organization: Organization, actor: User | None, action: str, target: Model, changes: dict[str, Any] | None = None
) -> None:
    ChangeRecord.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name,
        target_id=target.pk,
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
    )


def assign(instance: Model, fields: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """Set the given fields on instance; return {field: new value} for those that changed."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    changed = {}
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed[name] = value
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
