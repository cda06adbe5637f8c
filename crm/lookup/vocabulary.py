"""The vocabulary of name words: every folded word of an organization's guests' names (crm_nameword), with how many
guests hold it, and what the typo stage corrects a typed word against.

Symmetric delete (SymSpell's idea): a word and a typo of it within two edits share a string left when up to two
letters are deleted from each ("smtih" → "smih" ← "smith"). Each vocabulary word has a row per such string (its
key); a typed word's deletions find its candidates in one statement (`key = ANY(%s)`, one btree range per key),
each then verified by its true Damerau–Levenshtein distance (an adjacent swap counts as one edit). The vocabulary
is a few tens of thousands of words however many guests hold them: it grows with the names, not the guests.

A GIN index over an array of each word's deletions was tried first (smaller): the planner misjudged its cost for
the ~80 keys of two typed words and compared every word's array instead, 170-280 ms for 9,000 words; the btree
answers in ~1 ms."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from django.db import connection, connections, router
from django.db.models import F
from django.db.models.functions import Greatest
from rapidfuzz.distance import DamerauLevenshtein

from crm import prepared
from crm.models import NameWord

MIN_WORD, MAX_WORD = 2, 20  # shorter is every word's neighbour; longer is rare and costs ~200 rows
STORED_EDITS = 2
# A typed word shorter than this is not corrected ("li" is within one edit of half the surnames).
MIN_TYPED = 3
# Edits a typed word may hold: one in a short word, two from this length on.
TWO_EDITS_FROM = 5
# Candidates kept per typed word, the closest and most common first.
MAX_CANDIDATES = 8


def is_word(word: str) -> bool:
    return MIN_WORD <= len(word) <= MAX_WORD and word.isascii() and word.isalpha()


def max_edits(word: str) -> int:
    return 0 if len(word) < MIN_TYPED else 1 if len(word) < TWO_EDITS_FROM else 2


def deletions(word: str, edits: int = STORED_EDITS) -> list[str]:
    """The word and every string left by deleting up to `edits` of its letters (at least one letter stays)."""
    edits = min(edits, len(word) - 1)
    found = {word}
    for n in range(1, edits + 1):
        for gone in combinations(range(len(word)), n):
            found.add("".join(letter for i, letter in enumerate(word) if i not in gone))
    return sorted(found)


def vocabulary_change(organization_id: int, *, added: Iterable[str] = (), removed: Iterable[str] = ()) -> None:
    """Guests now holding the `added` words and no longer the `removed` ones (a word once per guest in each;
    call inside the writing transaction): one upsert when only words come (a new guest); when some go, one
    decrement and one delete of the words nobody holds any more, with their deletions."""
    change = Counter(added)
    change.subtract(Counter(removed))
    vocabulary_add(organization_id, Counter({word: n for word, n in change.items() if n > 0}))
    gone = {word: -n for word, n in change.items() if n < 0 and is_word(word)}
    if not gone:
        return
    by_amount: dict[int, list[str]] = {}
    for word, n in gone.items():
        by_amount.setdefault(n, []).append(word)
    own_rows = NameWord.objects.filter(organization_id=organization_id, key=F("word"))
    for amount, words in sorted(by_amount.items()):
        own_rows.filter(key__any=words).update(guests=Greatest(F("guests") - amount, 0))
    unheld = own_rows.filter(key__any=list(gone), guests=0).values("word")
    keys = sorted({key for word in gone for key in deletions(word)})
    NameWord.objects.filter(organization_id=organization_id, key__any=keys, word__in=unheld).delete()


# Words per upsert when a whole vocabulary is written (rebuild, an import, the bench dataset): ~27 rows a new word.
UPSERT_BATCH = 2000

_UPSERT = {
    # Three arrays, one parameter each: a guest's ~80 rows as separate placeholders cost more to bind than to write.
    "postgresql": "INSERT INTO {table} (organization_id, key, word, guests)"
    " SELECT %s, r.key, r.word, r.guests FROM unnest(%s::text[], %s::text[], %s::int[]) AS r (key, word, guests)",
    # SQLite: the rows as one JSON array ("WHERE true" tells the upsert clause from a join's ON).
    "sqlite": "INSERT INTO {table} (organization_id, key, word, guests)"
    " SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')"
    " FROM json_each(%s) WHERE true",
}
# A deletion's row (guests 0) that is there already is left alone: no new row version for each guest created.
_ON_CONFLICT = (
    " ON CONFLICT (organization_id, key, word) DO UPDATE SET guests = {table}.guests + excluded.guests"
    " WHERE excluded.guests <> 0"
)
# Many words (an import's batch, a rebuild) on PostgreSQL: the words' own rows first, answering which of them were
# new (a row inserted, not updated, has no xmax); only those get their deletions. A word's own row and its deletions
# come and go together (vocabulary_change deletes them at once), so a word already there has them: in a list of a
# city's guests most words are, and their deletions were 9 of 10 rows sent (a tenth of an import's apply,
# docs/benchmarks.md "Guest-list import"). A guest's few words keep to one statement, their deletions sent at once.
FEW_WORDS = 16
# Every count here is above 0: each row is updated or inserted, and returned.
_OWN_ROWS = (
    "INSERT INTO {table} (organization_id, key, word, guests)"  # noqa: S608 - the table's own name, formatted in
    " SELECT %s, r.word, r.word, r.guests FROM unnest(%s::text[], %s::int[]) AS r (word, guests)"
    + _ON_CONFLICT
    + " RETURNING word, xmax = 0"
)


def vocabulary_add(organization_id: int, counts: Counter) -> None:
    """Add guests to the words' counts, creating the words the organization lacks with their deletions: one
    statement for a few words; per UPSERT_BATCH words two on PostgreSQL (the words, then the new ones' deletions)."""
    words = sorted(word for word, n in counts.items() if n > 0 and is_word(word))
    table = NameWord._meta.db_table
    for start in range(0, len(words), UPSERT_BATCH):
        batch = words[start : start + UPSERT_BATCH]
        if connection.vendor == "postgresql" and len(batch) > FEW_WORDS:
            with connection.cursor() as cursor:
                own = [organization_id, prepared.array(batch), prepared.array(counts[w] for w in batch)]
                cursor.execute(_OWN_ROWS.format(table=table), own)
                new = sorted(word for word, inserted in cursor.fetchall() if inserted)
            rows = [(key, word, 0) for word in new for key in deletions(word) if key != word]
        else:
            rows = [(key, word, counts[word] if key == word else 0) for word in batch for key in deletions(word)]
        _upsert(organization_id, table, rows)


def _upsert(organization_id: int, table: str, rows: list[tuple[str, str, int]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        params = [organization_id, *(prepared.array(column) for column in zip(*rows, strict=True))]
    else:
        params = [organization_id, json.dumps(rows)]
    with connection.cursor() as cursor:
        cursor.execute((_UPSERT[connection.vendor] + _ON_CONFLICT).format(table=table), params)


def vocabulary_rebuild(organization_id: int, counts: Counter) -> None:
    """Replace the organization's vocabulary by these counts (rebuild_search_terms, a bench dataset)."""
    NameWord.objects.filter(organization_id=organization_id).delete()
    vocabulary_add(organization_id, counts)


def unheld(typed: list[str], near: dict[str, list[Correction]]) -> frozenset[str]:
    """The typed words that are no guest's name word: those the vocabulary would hold (is_word) and corrections()
    looked up (`near`, what it answered) without finding the word itself among them. A guest may still hold one as
    part of a longer term (a whole name written as one word, a longer name it starts)."""
    return frozenset(
        word for word in typed if is_word(word) and max_edits(word) and not (near.get(word) and not near[word][0].edits)
    )


@dataclass(frozen=True, slots=True)
class Correction:
    word: str
    edits: int
    guests: int


def corrections(organization_id: int, typed: list[str]) -> dict[str, list[Correction]]:
    """For each typed word that can be corrected, the vocabulary words within its edits (the word itself, when
    known, with 0), closest first, then the most guests: one statement for all of them.

    A word within e edits of the typed one shares with it a string left by at most e deletions from each (an edit
    costs each side at most one), so a key k of the typed word (len(typed) - len(k) <= e deletions) finds only the
    words of length len(typed) - e to len(k) + e: each key carries its bounds. Without them a short key read every
    longer word it is a two-deletion key of ("in" of "qin": ping, ming, ling, ...): 235 candidates for "bping qin" at
    a million guests, 137 with them, each then probed for its count and measured here."""
    wanted = {word: max_edits(word) for word in typed if max_edits(word) and word.isalpha() and word.isascii()}
    if not wanted:
        return {}
    bounds: dict[str, tuple[int, int]] = {}
    for word, edits in wanted.items():
        for key in deletions(word, edits):
            low, high = len(word) - edits, len(key) + edits
            if key in bounds:  # a key of two typed words: the lengths either allows
                low, high = min(low, bounds[key][0]), max(high, bounds[key][1])
            bounds[key] = (low, high)
    keys = sorted(bounds)
    table = NameWord._meta.db_table
    if connection.vendor == "postgresql":
        # Driven from the keys, each step an index probe that the planner cannot turn around: each key's words
        # (organization, key), then whether each is a word of its own (organization, key = word, word). Written as
        # a semi-join instead, the plan hung on the table's statistics: before its first ANALYZE (an organization's
        # first import, a dataset just made) PostgreSQL scanned every word and probed each: 108 s for "Thomas
        # Thorvaldsen" at a million guests (2026-12-05). A LATERAL subquery with OFFSET 0 is planned on its own.
        sql = (
            "SELECT DISTINCT w.word, w.guests"  # noqa: S608 - the table's name is the model's
            " FROM unnest(%s::text[], %s::int[], %s::int[]) AS u (key, low, high)"
            f" CROSS JOIN LATERAL (SELECT d.word FROM {table} d WHERE d.organization_id = %s AND d.key = u.key"
            " AND length(d.word) BETWEEN u.low AND u.high OFFSET 0) AS d"
            f" CROSS JOIN LATERAL (SELECT w.word, w.guests FROM {table} w WHERE w.organization_id = %s"
            " AND w.key = d.word AND w.word = d.word OFFSET 0) AS w"
        )
        params = [prepared.array(keys), *(prepared.array(bounds[key][n] for key in keys) for n in (0, 1))]
    else:
        key, low, high = (f"json_extract(u.value, '$[{n}]')" for n in range(3))
        sql = (
            f"SELECT DISTINCT w.word, w.guests FROM json_each(%s) AS u JOIN {table} d ON d.organization_id = %s"  # noqa: S608
            f" AND d.key = {key} AND length(d.word) BETWEEN {low} AND {high}"
            f" JOIN {table} w ON w.organization_id = %s AND w.key = d.word AND w.word = d.word"
        )
        params = [json.dumps([[key, *bounds[key]] for key in keys])]
    with prepared.cursor(connections[router.db_for_read(NameWord)]) as cursor:  # a typo stage on every misspelling
        cursor.execute(sql, [*params, organization_id, organization_id])
        rows = cursor.fetchall()
    found: dict[str, list[Correction]] = {}
    for word, edits in wanted.items():
        near = []
        for candidate, guests in rows:
            distance = DamerauLevenshtein.distance(word, candidate, score_cutoff=edits)
            if distance <= edits:
                near.append(Correction(candidate, distance, guests))
        near.sort(key=lambda c: (c.edits, -c.guests, c.word))
        if near:
            found[word] = near[:MAX_CANDIDATES]
    return found
