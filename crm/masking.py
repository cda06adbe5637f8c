"""How a guest's email and phone are shown where front desk sees many guests at once (lookup results and
lists, in the API and on the screens): enough to tell two namesakes apart, not enough to copy out. The
guest's own profile shows them in full; managers and admins see them in full everywhere."""

from __future__ import annotations

from typing import Any

MASKED_FIELDS = ("email", "phone")


def mask_phone(phone: str) -> str:
    """+8613800138000 → "…8000"."""
    return f"…{phone[-4:]}" if phone else ""


def mask_email(email: str) -> str:
    """zhang.wei@example.cn → "z•••@example.cn"."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}•••@{domain}"


def sees_contacts_in_lists(staff: Any) -> bool:
    """Whether this staff member's lists show emails and phones in full: managers and admins."""
    return staff is not None and staff.is_manager


def mask_row(row: dict) -> dict:
    """A serialized customer (or summary) with its email and phone masked."""
    if row.get("email"):
        row["email"] = mask_email(row["email"])
    if row.get("phone"):
        row["phone"] = mask_phone(row["phone"])
    return row
