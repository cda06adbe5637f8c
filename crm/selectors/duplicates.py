"""Reads of likely duplicates (one guest, or an organization's every pair) and of merges, and the merge comparison."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from django.db import connections, router
from django.db.models import Count, QuerySet
from django.utils.translation import gettext

from crm import prepared, rows
from crm.lookup.search.statements import id_list, run
from crm.models import (
    Customer,
    Merge,
    Organization,
    Property,
    SearchTerm,
    TermKind,
)
from crm.selectors.customers import customers_of, get_or_404, guest_id

# --- likely duplicates and merges ---------------------------------------------

DUPLICATE_KINDS = (TermKind.EMAIL, TermKind.PHONE, TermKind.FULL_NAME)
REASONS = {TermKind.EMAIL: "same_email", TermKind.PHONE: "same_phone", TermKind.FULL_NAME: "same_name"}
MAX_NAME_GROUP = 20  # a name shared by more guests than this is a common name, not a duplicate


@dataclass(frozen=True)
class DuplicatePair:
    first: Customer
    second: Customer
    reasons: tuple[str, ...]

    @property
    def customers(self) -> tuple[Customer, Customer]:
        return self.first, self.second


def _contradict(a: Customer, b: Customer) -> bool:
    """Two profiles with the same name are still two people when their emails, phones or birthdays differ."""
    return any(
        getattr(a, field) and getattr(b, field) and getattr(a, field) != getattr(b, field)
        for field in ("email", "phone", "birthday_month", "birthday_day")
    )


def _counts(kind: int, group: int) -> bool:
    """Whether sharing a term of this kind with group - 1 others makes a likely duplicate: a full name shared by more
    than MAX_NAME_GROUP guests is a common name."""
    return not (kind == TermKind.FULL_NAME and group > MAX_NAME_GROUP)


def _pairs(keys: dict[tuple[str, int], list[int]], customers: dict[int, Customer]) -> list[DuplicatePair]:
    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (_term, kind), ids in keys.items():
        if not _counts(kind, len(ids)):
            continue
        for a, b in combinations(sorted(set(ids)), 2):
            reasons[(a, b)].add(REASONS[kind])
    pairs = []
    for (a, b), why in sorted(reasons.items()):
        if a not in customers or b not in customers:  # merged away or another organization's
            continue
        if why == {"same_name"} and _contradict(customers[a], customers[b]):
            continue
        pairs.append(DuplicatePair(customers[a], customers[b], tuple(sorted(why))))
    return pairs


def likely_duplicates_of(customer: Customer) -> list[tuple[Customer, tuple[str, ...]]]:
    """Other profiles of the organization that share this one's email, phone or whole name."""
    return _duplicates_by_terms(customer, None)


def likely_duplicates_of_unsaved(customer: Customer) -> list[tuple[Customer, tuple[str, ...]]]:
    """likely_duplicates_of() for a profile being typed (not saved yet: the new-guest form), from the search
    terms it would get (crm.lookup.terms): the same rule, so the form warns of what the API would report."""
    from crm.lookup.terms import customer_terms

    own = sorted({term for term, kind in customer_terms(customer) if kind in DUPLICATE_KINDS})
    return _duplicates_by_terms(customer, own) if own else []


# The others holding each of a guest's terms of DUPLICATE_KINDS, at most MAX_NAME_GROUP + 1 of each term, the most
# recently seen first (then the newest). On PostgreSQL each (term, kind) is one probe of searchterm_org_term_recent in
# its own order, LIMIT n: a new 王伟 reads 21 index entries whatever the namesakes (a window over every holder read
# all of them: tens of thousands at ten million guests, on every guest created and every profile shown). SQLite, the
# small embedded default without LATERAL, numbers the rows by the same order. Plain SQL: the ORM's form of the
# window query (filtered, so wrapped in two subqueries) cost ~1 ms of Python to build.
_SHARING_SQL = {
    "postgresql": """
SELECT own.term, own.kind, sharing.customer_id FROM ({own}) AS own (term, kind) CROSS JOIN LATERAL (
    SELECT customer_id FROM {table} WHERE organization_id = %s AND term = own.term AND kind = own.kind{others}
    ORDER BY kind DESC, last_seen DESC NULLS LAST, customer_id DESC LIMIT %s
) AS sharing
""",
    "sqlite": """
SELECT term, kind, customer_id FROM (
    SELECT term, kind, customer_id,
        ROW_NUMBER() OVER (PARTITION BY term, kind ORDER BY last_seen DESC, customer_id DESC) AS nth
    FROM {table} WHERE term IN ({own}) AND organization_id = %s AND kind IN ({kinds}){others}
) sharing WHERE nth <= %s
""",
}


def _sharing(customer: Customer, own: list[str] | None) -> list[tuple[str, int, int]]:
    """_SHARING_SQL's rows: of the terms own (None: the saved customer's own terms, read in the statement), from
    the database the ORM would read them from (config/routers.py)."""
    connection = connections[router.db_for_read(SearchTerm)]
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    kinds = ", ".join(str(int(kind)) for kind in DUPLICATE_KINDS)
    postgresql = connection.vendor == "postgresql"
    if own is None:
        columns = "DISTINCT own.term, own.kind" if postgresql else "own.term"
        own_sql = f"SELECT {columns} FROM {table} own WHERE own.customer_id = %s AND own.kind IN ({kinds})"  # noqa: S608
        own_params: list[object] = [customer.pk]
    elif postgresql:
        own_sql = f"SELECT term, kind FROM unnest(%s::text[]) AS term CROSS JOIN unnest(ARRAY[{kinds}]) AS kind"  # noqa: S608
        own_params = [prepared.array(own)]
    else:
        own_sql, own_params = ", ".join(["%s"] * len(own)), list(own)
    others, others_params = (" AND customer_id <> %s", [customer.pk]) if customer.pk is not None else ("", [])
    dialect = "postgresql" if postgresql else "sqlite"
    sql = _SHARING_SQL[dialect].format(table=table, kinds=kinds, own=own_sql, others=others)
    # Both statements: the own terms, the organization, the others, the bound; prepared (every guest created, every
    # profile shown).
    with prepared.cursor(connection) as cursor:
        cursor.execute(sql, [*own_params, customer.organization_id, *others_params, MAX_NAME_GROUP + 1])
        return cursor.fetchall()


def _duplicates_by_terms(customer: Customer, own: list[str] | None) -> list[tuple[Customer, tuple[str, ...]]]:
    """The pairs of _pairs() that hold customer, by the other's id: only the others are read (none when every
    shared term is a common name), and no pair of two others is made — a new 王伟 among hundreds of namesakes.
    Of each shared term, at most MAX_NAME_GROUP + 1 others cross from the database: one more than that already
    makes a whole name common (an email or a phone shared by more than that many is reported by its first ones).
    own: the terms (an unsaved profile's); None: the saved customer's own."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for term, kind, other in _sharing(customer, own):
        groups[(term, kind)].append(other)
    reasons: dict[int, set[str]] = defaultdict(set)
    for (_term, kind), others in groups.items():
        if _counts(kind, len(others) + 1):
            for other in others:
                reasons[other].add(REASONS[kind])
    if not reasons:
        return []
    others = _others(list(reasons))
    return [
        (others[pk], tuple(sorted(why)))
        for pk, why in sorted(reasons.items())
        if pk in others and not (why == {"same_name"} and _contradict(customer, others[pk]))
    ]


def _others(ids: list[int]) -> dict[int, Customer]:
    """The profiles of ids not merged away, by id, each with its home property as select_related leaves it: one
    hand-written statement (crm.rows) on every guest created and profile shown, where the queryset's in_bulk cost
    ~1.5 ms of CPU for twenty namesakes, 0.6 of it compiling (2026-12-06)."""
    condition, params = id_list(ids)
    width = rows.width(Customer)
    sql = (
        f"SELECT {rows.columns(Customer, 'c')}, {rows.columns(Property, 'p')} FROM {Customer._meta.db_table} c"  # noqa: S608
        f" LEFT JOIN {Property._meta.db_table} p ON p.id = c.home_property_id"
        f" WHERE c.merged_into_id IS NULL AND c.id {condition}"
    )
    found = {}
    for row in run(sql, params):
        other = rows.instance(Customer, row[:width])
        home = rows.instance(Property, row[width:]) if other.home_property_id is not None else None
        Customer.home_property.field.set_cached_value(other, home)
        found[other.pk] = other
    return found


def likely_duplicates(*, organization: Organization) -> list[DuplicatePair]:
    """Every pair of the organization's profiles sharing an email, a phone, or a whole name (set-based)."""
    shared = (
        SearchTerm.objects.filter(organization=organization, kind__in=DUPLICATE_KINDS)
        .values("term", "kind")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .values("term")
    )
    rows = SearchTerm.objects.filter(organization=organization, kind__in=DUPLICATE_KINDS, term__in=shared).values_list(
        "term", "kind", "customer_id"
    )
    keys: dict[tuple[str, int], list[int]] = defaultdict(list)
    for term, kind, customer_id in rows:
        keys[(term, kind)].append(customer_id)
    customers = (
        customers_of(organization).select_related("home_property").in_bulk({i for ids in keys.values() for i in ids})
    )
    return [pair for pair in _pairs(keys, customers) if pair.first.pk in customers and pair.second.pk in customers]


def merge_list(*, organization: Organization) -> QuerySet[Merge]:
    return Merge.objects.filter(organization=organization).select_related("kept", "duplicate", "merged_by")


def merge_get(*, organization: Organization, pk: object) -> Merge:
    return get_or_404(merge_list(organization=organization), pk)


@dataclass(frozen=True)
class MergeRow:
    """One line of the merge comparison: a field's label, its value on each profile, and after the merge."""

    label: str
    kept: str
    duplicate: str
    result: str

    @property
    def winner(self) -> str:
        """Which profile's value the kept profile has afterwards: kept, duplicate, both (combined) or same."""
        if self.kept == self.duplicate:
            return "same"
        if self.result == self.kept:
            return "kept"
        return "duplicate" if self.result == self.duplicate else "both"


@dataclass(frozen=True)
class MergePreview:
    kept: Customer
    duplicate: Customer
    rows: list[MergeRow]
    moves: list[tuple[str, int]]  # (what, how many rows) of the duplicate's history that moves


# What the comparison shows, in order: (label, how a customer's value is written).
def _shown(customer: Customer, name: str) -> str:
    value = getattr(customer, name)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


MERGE_COMPARED = (
    "given_name",
    "family_name",
    "native_name",
    "latin_name",
    "preferred_name",
    "salutation",
    "pronunciation",
    "language",
    "email",
    "phone",
    "birthday",
    "anniversary",
    "home_property",
    "tags",
    "consent_service",
    "consent_marketing",
    "consent_surprises",
    "do_not_contact",
)


# Compared values that are not one model field with its own label.
_MERGE_LABELS = {
    "birthday": lambda: gettext("birthday"),
    "anniversary": lambda: gettext("anniversary"),
    "home_property": lambda: gettext("home property"),
}


def merge_preview(*, kept: Customer, duplicate: Customer) -> MergePreview:
    """Both profiles side by side with what the kept one holds after a merge (crm.services.merges.merge_fills,
    the rule the merge applies) and how many rows of the duplicate's history move."""
    from crm.services.merges import merge_fills, merge_moves  # the merge's own rule, not a copy of it

    after = Customer.objects.get(pk=kept.pk)
    for field, value in merge_fills(kept, duplicate).items():
        setattr(after, field, value)
    rows = []
    for name in MERGE_COMPARED:
        label = _MERGE_LABELS[name]() if name in _MERGE_LABELS else Customer._meta.get_field(name).verbose_name
        values = [_shown(c, name) for c in (kept, duplicate, after)]
        if any(values):
            rows.append(MergeRow(str(label), *values))
    visits = kept.visit_count + duplicate.visit_count
    rows.append(MergeRow(gettext("visits"), str(kept.visit_count), str(duplicate.visit_count), str(visits)))
    moves = [(str(model._meta.verbose_name_plural), n) for model, n in merge_moves(duplicate)]
    return MergePreview(kept=kept, duplicate=duplicate, rows=rows, moves=moves)


def merged_profile(*, organization: Organization, pk: object) -> Customer | None:
    """The organization's profile pk when it was merged into another (its card leads to the kept one)."""
    customer_id = guest_id(pk)
    if customer_id is None:
        return None
    return Customer.objects.filter(organization=organization, pk=customer_id, merged_into__isnull=False).first()
