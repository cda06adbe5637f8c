"""Which guest a row of an import names: one rule, in order — an id of the same system, the email, the phone, the
same full name with the same birthday. The first rule that finds anyone decides; finding two guests is an answer
too (reported, never merged). One set-based query per rule and batch, never one per row, its values one array
each (crm.arrays)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm.lookup import terms
from crm.lookup.normalize import fit
from crm.models import Customer, ExternalId, SearchTerm, TermKind
from crm.partial_dates import PartialDate


@dataclass
class Keys:
    """What of a row can name a guest."""

    external_ids: list[tuple[str, str]] = field(default_factory=list)
    email: str = ""
    phone: str = ""  # E.164
    names: set[str] = field(default_factory=set)  # full-name keys (crm.lookup.terms.full_name_keys)
    birthday: PartialDate | None = None

    def file_keys(self) -> list[str]:
        """The keys two rows of one file must not share (the same guest twice)."""
        keys = [f"id:{system}:{value}" for system, value in self.external_ids]
        keys += [f"email:{self.email.lower()}"] if self.email else []
        keys += [f"phone:{self.phone}"] if self.phone else []
        if self.birthday is not None:
            keys += [f"name:{name}:{self.birthday}" for name in self.names]
        return keys


def keys_of(fields: Mapping[str, Any], external_ids: list[tuple[str, str]]) -> Keys:
    """The keys of a profile as a row would make it, from the row's normalized fields (birthday a PartialDate)."""
    return Keys(
        external_ids=external_ids,
        email=fields.get("email") or "",
        phone=fields.get("phone") or "",
        names=terms.full_name_keys_of(fields),
        birthday=fields.get("birthday") or None,
    )


def _email_term(email: str) -> str:
    return fit(terms.EMAIL_SIGIL + email.lower())


def match(organization_id: int, rows: list[Keys]) -> list[list[int]]:
    """For each row, the ids of the guests it names (sorted): [] none, [id] one, more: ambiguous."""
    by_id: dict[tuple[str, str], set[int]] = defaultdict(set)
    wanted_ids = {pair for row in rows for pair in row.external_ids}
    if wanted_ids:
        found = ExternalId.objects.filter(
            organization_id=organization_id,
            system__any={s for s, _v in wanted_ids},
            value__any={v for _s, v in wanted_ids},
            customer__merged_into__isnull=True,
        ).values_list("system", "value", "customer_id")
        for system, value, customer_id in found:
            by_id[(system, value)].add(customer_id)
    # Emails through their search terms: the same folding as the lookup (case-insensitive), merged-away
    # profiles have none.
    by_email: dict[str, set[int]] = defaultdict(set)
    emails = {_email_term(row.email) for row in rows if row.email}
    if emails:
        found = SearchTerm.objects.filter(
            organization_id=organization_id, kind=TermKind.EMAIL, term__any=emails
        ).values_list("term", "customer_id")
        for term, customer_id in found:
            by_email[term].add(customer_id)
    by_phone: dict[str, set[int]] = defaultdict(set)
    phones = {row.phone for row in rows if row.phone}
    if phones:
        found = Customer.objects.filter(
            organization_id=organization_id, phone__any=phones, merged_into__isnull=True
        ).values_list("phone", "id")
        for phone, customer_id in found:
            by_phone[phone].add(customer_id)
    answers: list[set[int]] = []
    for row in rows:
        candidates: set[int] = set()
        for pair in row.external_ids:
            candidates |= by_id.get(pair, set())
        if not candidates and row.email:
            candidates = by_email.get(_email_term(row.email), set())
        if not candidates and row.phone:
            candidates = by_phone.get(row.phone, set())
        answers.append(candidates)
    # The last rule only for the rows the others left undecided (a list applied again is decided by its ids and
    # emails).
    undecided = {
        i: _birthday_terms(row)
        for i, row in enumerate(rows)
        if not answers[i] and row.birthday is not None and row.names
    }
    by_term = _by_name_and_birthday(organization_id, {term for wanted in undecided.values() for term in wanted})
    for i, wanted in undecided.items():
        year_of_row = rows[i].birthday.year
        answers[i] = {
            customer_id
            for term in wanted
            for customer_id, year in by_term.get(term, ())
            if year is None or year_of_row is None or year == year_of_row
        }
    return [sorted(candidates) for candidates in answers]


def _birthday_terms(row: Keys) -> set[str]:
    return {terms.birthday_term(name, row.birthday.month, row.birthday.day) for name in row.names}


def _by_name_and_birthday(organization_id: int, wanted: set[str]) -> dict[str, list[tuple[int, int | None]]]:
    """The guests holding these NAME_BIRTHDAY terms (one index probe each, however many guests share a common
    name), with their birthday's year."""
    if not wanted:
        return {}
    found = SearchTerm.objects.filter(
        organization_id=organization_id, kind=TermKind.NAME_BIRTHDAY, term__any=wanted
    ).values_list("term", "customer_id", "customer__birthday_year")
    by_term: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for term, customer_id, year in found:
        by_term[term].append((customer_id, year))
    return by_term
