"""Ranking the candidates: each customer's best weight per word of the query, and the typo stage's edit distance."""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz.distance import DamerauLevenshtein

from crm.lookup.search.query import FUZZY_MIN_JOINED, FUZZY_MIN_WORD, WHOLE, Query, Variant
from crm.lookup.terms import PREFIX_SIGIL
from crm.models import TermKind

MIN_SCORE = 0.5
PREFIX_FACTOR = 0.85


# A key standing for the whole query that matches only part of a guest's name (the given name 远轩 of 王远轩
# for "yuan xuan") ranks below the guest whose whole name it is (袁轩).
PART_OF_NAME = 0.95


def max_edits(word: str) -> int:
    """One typo in a short name, two in a longer one."""
    return 1 if len(word) < 8 else 2


def _edits(word: str, candidates: list[str]) -> int | None:
    limit = max_edits(word)
    best = None
    for candidate in candidates:
        distance = DamerauLevenshtein.distance(word, candidate, score_cutoff=limit)
        if distance <= limit and (best is None or distance < best):
            best = distance
    return best


def close_to_any(words: list[str], candidates: list[str]) -> bool:
    return any(_edits(word, candidates) is not None for word in words)


class Scores:
    """Best weight per (customer, query slot). A customer's score is the mean over the query's words
    when every word matched ("zhang wei" is not every Zhang), or the whole-query match when better.
    Each customer's last_seen comes with its rows (copied into the terms), for the tie-break."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.best: dict[int, dict[int, float]] = defaultdict(dict)
        self.exact = defaultdict(list)
        for variant in query.variants:
            self.exact[variant.term].append(variant)
        self.prefixes = [v for v in query.variants if v.prefix]
        self.last_seen: dict[int, float | None] = {}  # seconds since the epoch

    def _hit(self, customer_id: int, slot: int, weight: float) -> None:
        slots = self.best[customer_id]
        if weight > slots.get(slot, 0.0):
            slots[slot] = weight

    def _part(self, variant: Variant, kind: int) -> float:
        """PART_OF_NAME when a key standing for the whole query is only part of this guest's name."""
        whole = variant.slot == WHOLE or len(self.query.words) == 1
        return PART_OF_NAME if whole and kind == TermKind.NAME else 1.0

    def add_term(self, customer_id: int, term: str, kind: int, seen: float | None) -> None:
        if kind == TermKind.PREFIX:  # "^fo": a holder of a term starting with fo
            self.add_prefix(customer_id, term[len(PREFIX_SIGIL) :], seen)
            return
        self.last_seen[customer_id] = seen
        for variant in self.exact.get(term, ()):
            self._hit(customer_id, variant.slot, variant.weight * self._part(variant, kind))
        for variant in self.prefixes:
            if term.startswith(variant.term) and term != variant.term:
                # Every holder of a prefix alike, whichever of its terms: the PREFIX rows do not tell.
                self._hit(customer_id, variant.slot, variant.weight * PREFIX_FACTOR)

    def add_prefix(self, customer_id: int, prefix: str, seen: float | None) -> None:
        """A holder of a term strictly starting with prefix (its PREFIX row, crm.lookup.terms.prefix_keys)."""
        self.last_seen[customer_id] = seen
        for variant in self.prefixes:
            if variant.term == prefix:
                self._hit(customer_id, variant.slot, variant.weight * PREFIX_FACTOR)

    def add_fuzzy(self, customer_id: int, search_name: str, seen: float | None) -> None:
        self.last_seen[customer_id] = seen
        names = search_name.split()
        for slot, word in enumerate(self.query.words):
            if len(word) >= FUZZY_MIN_WORD and (distance := _edits(word, names)) is not None:
                self._hit(customer_id, slot, 0.8 - 0.1 * distance)
        joined = "".join(self.query.words)
        if (
            len(self.query.words) > 1
            and len(joined) >= FUZZY_MIN_JOINED
            and (distance := _edits(joined, names)) is not None
        ):
            self._hit(customer_id, WHOLE, 0.8 - 0.1 * distance)

    def score(self, customer_id: int, *, every_word: bool = True) -> float:
        slots = self.best[customer_id]
        words = len(self.query.words)
        found = [slots.get(slot, 0.0) for slot in range(words)]
        per_word = sum(found) / words if words and (all(found) or not every_word) else 0.0
        return max(slots.get(WHOLE, 0.0), per_word)

    def ranked(self) -> list[tuple[int, float]]:
        """Customers matching every word of the query; when none does, those matching most of it."""
        for every_word in (True, False):
            ranked = [
                (cid, score) for cid in self.best if (score := self.score(cid, every_word=every_word)) >= MIN_SCORE
            ]
            if ranked:
                return ranked
        return []
