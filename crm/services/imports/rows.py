"""The rows of a guest list as the memory will take them: read, split into the customer's fields, keyed for
matching, and compared with a guest; the batch size and the fields checked otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.imports import columns, matching, parse
from crm.models import (
    Customer,
    ExternalId,
    Organization,
    Property,
)
from crm.partial_dates import PartialDate
from crm.services.common import assign
from crm.services.customers import (
    CUSTOMER_FIELDS,
    _normalize_customer_fields,
)
from crm.services.history import preference_new
from crm.validators import single_line

# Rows per transaction when applying (and per read when previewing): ~10 search terms and a change record per
# row, so about 12,000 inserted rows per commit; the progress bar moves once per batch.
BATCH = 1000
# Fields whose validation needs a query (foreign keys) or the whole row (constraints): checked otherwise —
# the organization is the import's, the home property is checked once, the constraints hold by construction
# (a name: clean(); dates: PartialDate) and PostgreSQL enforces them anyway.
CLEAN_EXCLUDE = ["organization", "home_property"]
DATE_FIELDS = ("birthday", "anniversary")


def clean_fields(customer: Customer, names: Iterable[str]) -> None:
    """customer.clean_fields() for the fields a row sets (a new guest's others hold the model's defaults, which
    are valid): the same checks and messages — control characters, lengths, numbers in range — without asking
    them of the ~30 fields a row never sets (a third of the cost of a row's validation)."""
    customer.clean_fields(exclude=_unset(frozenset(names)))


@lru_cache(maxsize=256)
def _unset(names: frozenset[str]) -> frozenset[str]:
    columns = set()
    for name in names:
        columns |= {f"{name}_year", f"{name}_month", f"{name}_day"} if name in DATE_FIELDS else {name}
    return frozenset(f.name for f in Customer._meta.fields if f.name not in columns) | set(CLEAN_EXCLUDE)


# --- reading rows --------------------------------------------------------------------------------------


class _Reader:
    """Turns a file's cells into a row's normalized data and errors, with the memory's own rules."""

    def __init__(
        self,
        *,
        organization: Organization,
        property: Property | None,
        headers: list[str],
        targets: dict[int, str],
        system: str,
        date_orders: dict[int, str | None],
    ) -> None:
        self.organization, self.property, self.headers = organization, property, headers
        self.targets, self.system, self.date_orders = targets, system, date_orders
        # The column a field came from, to name it in an error.
        self.column_of = {}
        for index, target in targets.items():
            field = target.partition(":")[0]
            for name in ("given_name", "family_name", "native_name") if field == columns.FULL_NAME else (field,):
                self.column_of.setdefault(name, headers[index])

    def read(self, cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, str]], bool]:
        """(data, errors, has_name): data as ImportRow.data holds it, errors [{"column", "message"}]."""
        fields: dict[str, Any] = {}
        external_ids: list[list[str]] = []
        preferences: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for index, target in self.targets.items():
            header, raw = self.headers[index], cells[index] if index < len(cells) else None
            kind, _sep, detail = target.partition(":")
            if target in columns.DATE_TARGETS:
                try:
                    value = parse.parse_date(raw, order=self.date_orders.get(index))
                except ValidationError as exc:
                    errors.append({"column": header, "message": " ".join(exc.messages)})
                    continue
                if value is not None:
                    fields.setdefault(target, value)
                continue
            text = parse.cell_text(raw)
            if not text:
                continue
            try:
                if len(text) > parse.MAX_CELL_CHARS:
                    raise ValidationError(_("The cell is too long."))
                single_line(text)
            except ValidationError as exc:
                errors.append({"column": header, "message": " ".join(exc.messages)})
                continue
            if target == columns.FULL_NAME:
                for name, value in _split_full_name(text).items():
                    fields.setdefault(name, value)
            elif target == "tags":
                fields["tags"] = [*fields.get("tags", []), *columns.split_tags(text)]
            elif target == "language":
                fields.setdefault("language", columns.language_code(text))
            elif kind == columns.EXTERNAL_ID:
                external_ids.append([(detail or self.system), text])
            elif kind == columns.PREFERENCE:
                preferences += [{"category": detail, "text": item} for item in columns.split_preferences(text)]
            else:
                fields.setdefault(target, text)
        customer, has_name = self._validate(fields, external_ids, preferences, errors)
        data = {"fields": _json_fields(fields if customer is None else _fields_of(customer, fields))}
        if external_ids:
            data["external_ids"] = [[s.strip().lower(), v.strip()] for s, v in external_ids]
        if preferences:
            data["preferences"] = preferences
        return data, errors, has_name

    def _validate(self, fields, external_ids, preferences, errors) -> tuple[Customer | None, bool]:
        try:
            normalized = _normalize_customer_fields(fields, organization=self.organization, property=self.property)
        except ValidationError as exc:
            errors += self._named(exc)
            return None, True
        customer = Customer(organization=self.organization)
        assign(customer, normalized, CUSTOMER_FIELDS)
        try:
            clean_fields(customer, normalized)
        except ValidationError as exc:
            errors += self._named(exc)
        for system, value in external_ids:
            try:
                ExternalId(system=system.strip().lower(), value=value.strip()).full_clean(
                    exclude=["organization", "customer"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                column = self.headers[next(i for i, t in self.targets.items() if t.startswith(columns.EXTERNAL_ID))]
                errors += [{"column": column, "message": message} for message in exc.messages]
        for item in preferences:
            preference, _fields = preference_new(customer=None, source="imported", **item)
            try:
                preference.clean_fields(exclude=["customer", "recorded_by", "recorded_at_property"])
                preference.clean()
            except ValidationError as exc:
                column = self.headers[next(i for i, t in self.targets.items() if t == f"preference:{item['category']}")]
                errors += [{"column": column, "message": message} for message in exc.messages]
        try:
            customer.clean()
        except ValidationError:
            return customer, False
        return customer, True

    def _named(self, exc: ValidationError) -> list[dict[str, str]]:
        named = []
        for field, messages in exc.message_dict.items():
            for message in messages:
                named.append({"column": self.column_of.get(field, ""), "message": message})
        return named


def _split_full_name(text: str) -> dict[str, str]:
    """A whole name in one cell: a name with Han characters (or any without spaces) is the name in its own
    script; else the last word is the family name ("Mary Anne O'Brien")."""
    from crm.lookup.normalize import han_runs

    words = text.split()
    if han_runs(text) or len(words) == 1:
        return {"native_name": text}
    return {"given_name": " ".join(words[:-1]), "family_name": words[-1]}


def _fields_of(customer: Customer, fields: dict[str, Any]) -> dict[str, Any]:
    """The normalized values of the fields a row sets."""
    return {name: getattr(customer, name) for name in fields}


def _json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in fields.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, list):
        return list(value)
    return value


def _python_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (PartialDate.parse(value) if name in DATE_FIELDS and value else value) for name, value in fields.items()
    }


def _keys(organization: Organization, data: dict[str, Any]) -> matching.Keys:
    return matching.keys_of(_python_fields(data["fields"]), [tuple(pair) for pair in data.get("external_ids", ())])


# --- what a row would change -----------------------------------------------------------------------------


def _changes(customer: Customer, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields that differ: {field: new value}, additions: {"tags", "external_ids", "preferences"}) of applying
    a row to the guest it names. An empty cell never empties a field; tags and preferences are added to."""
    fields = _python_fields(data["fields"])
    differ = {}
    for name, value in fields.items():
        if name == "tags":
            continue
        if value not in ("", None) and getattr(customer, name) != value:
            differ[name] = value
    added: dict[str, Any] = {}
    tags = [tag for tag in dict.fromkeys(fields.get("tags", ())) if tag not in customer.tags]
    if tags:
        added["tags"] = tags
    held_ids = {(e.system, e.value) for e in customer.external_ids.all()}
    ids = [pair for pair in data.get("external_ids", ()) if tuple(pair) not in held_ids]
    if ids:
        added["external_ids"] = ids
    held = {(p.category, p.text.casefold()) for p in customer.preferences.all()}
    preferences = [p for p in data.get("preferences", ()) if (p["category"], p["text"].casefold()) not in held]
    if preferences:
        added["preferences"] = preferences
    return differ, added


# --- preview ---------------------------------------------------------------------------------------------
