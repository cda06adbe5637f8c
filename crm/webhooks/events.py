"""What each event says (its ``data``): ids, states and times an integrator needs to act or to fetch more
through the API, never a guest's name, contact details or words (an erased guest's event carries ids only)."""

from __future__ import annotations

from typing import Any

from crm.models import Customer, Issue, Stay


def _at(value) -> str | None:
    return value.isoformat() if value is not None else None


def customer_data(customer: Customer, *, changed: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": customer.pk, "home_property": customer.home_property_id}
    if changed is not None:
        data["changed"] = sorted(changed)  # the fields' names, not their values
    return data


def issue_data(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "customer": issue.customer_id,
        "property": issue.property_id,
        "severity": issue.severity,
        "status": issue.status,
        "opened_at": _at(issue.opened_at),
        "resolved_at": _at(issue.resolved_at),
    }


def stay_data(stay: Stay) -> dict[str, Any]:
    return {
        "id": stay.pk,
        "customer": stay.customer_id,
        "property": stay.property_id,
        "arrival": stay.arrival.isoformat(),
        "departure": stay.departure.isoformat(),
        "status": stay.status,
        "system": stay.external_system,
        "external_id": stay.external_id,
        "checked_in_at": _at(stay.checked_in_at),
    }
