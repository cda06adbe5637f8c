"""Query → ranked customer ids: analyze, retrieve candidates by index, rank."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain, combinations, islice

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, connections, router
from rapidfuzz.distance import DamerauLevenshtein

from crm import rows
from crm.lookup.nicknames import related_names
from crm.lookup.normalize import han_runs, latin_words, phonetic, pinyin_syllables
from crm.lookup.terms import EMAIL_SIGIL, PHONE_SIGIL, PHONETIC_SIGIL
from crm.models import Customer, Organization, SearchTerm
from crm.phones import digits

MAX_QUERY_LENGTH = 100
MIN_PREFIX = 2  # a one-letter prefix would match a tenth of a million customers
MIN_PHONE_DIGITS = 4
CANDIDATE_ROWS = 500  # term rows read per query; exact matches come first
RESULT_LIMIT = 20  # a lookup box shows the best few; the API pages through at most these
MIN_SCORE = 0.5
FUZZY_MIN_WORD = 4
FUZZY_MIN_JOINED = 7
FUZZY_BELOW = 0.7  # the typo stage runs when nothing scored this well (phonetic matches do)
MAX_NICKNAME_CHOICES = 12
MAX_NICKNAME_COMBINATIONS = 40
# Words of a query that count: a name has a few; "al al al …" ×34 cost seconds of CPU (issue 11).
MAX_QUERY_WORDS = 6
FUZZY_CANDIDATES = 200
SQLITE_FUZZY_SCAN = 200_000  # rows the embedded default scans for typos; beyond, use PostgreSQL
# Low enough for two swapped letters in a short name ("jhonsmtih" ~ "johnsmith"); the closest first.
TRIGRAM_WORD_THRESHOLD = 0.3
PREFIX_FACTOR = 0.85
WHOLE = -1  # the slot of variants that stand for the whole query
UPPER = "\U0010ffff"  # sorts after every character: term < q + UPPER means "starts with q"
EMAIL_LOCAL = re.compile(r"[a-z0-9._%+-]{2,}")


@dataclass(frozen=True, slots=True)
class Variant:
    term: str
    slot: int
    weight: float
    prefix: bool


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)

    def add(self, term: str, slot: int, weight: float, *, prefix: bool) -> None:
        if term:
            self.variants.append(Variant(term[:MAX_QUERY_LENGTH], slot, weight, prefix))

    def whole(self) -> list[Variant]:
        return [v for v in self.variants if v.slot == WHOLE]

    def per_word(self) -> list[Variant]:
        return [v for v in self.variants if v.slot != WHOLE]

    def fuzzy_words(self) -> list[str]:
        """What the typo stage looks for: the whole name joined (selective), else the long words."""
        joined = "".join(self.words)
        if len(self.words) > 1 and len(joined) >= FUZZY_MIN_JOINED:
            return [joined]
        return [w for w in self.words if len(w) >= FUZZY_MIN_WORD]


def analyze(text: str) -> Query:
    """The ways this query could be written in the index (see crm.lookup.terms)."""
    # NUL cannot be stored in PostgreSQL text, so it cannot match anything either.
    text = unicodedata.normalize("NFKC", text or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]
    query = Query()
    if not text:
        return query
    lower = text.lower()
    if "@" in lower:
        query.add(EMAIL_SIGIL + lower, WHOLE, 1.0, prefix=True)
    elif EMAIL_LOCAL.fullmatch(lower):
        query.add(EMAIL_SIGIL + lower, WHOLE, 0.9, prefix=len(lower) > MIN_PREFIX)
    number = digits(text)
    if len(number) >= MIN_PHONE_DIGITS and 2 * len(number) >= len(re.sub(r"\s", "", text)):
        query.add(PHONE_SIGIL + number[::-1], WHOLE, 1.0, prefix=True)
    for run in han_runs(text):
        query.add(run, WHOLE, 1.0, prefix=True)
        query.add("".join(pinyin_syllables(run, tones=False)), WHOLE, 0.9, prefix=False)
    query.words = [word for word in latin_words(text) if not word.isdigit()][:MAX_QUERY_WORDS]
    for slot, word in enumerate(query.words):
        query.add(word, slot, 1.0, prefix=len(word) >= MIN_PREFIX)
        for name in related_names(word):
            query.add(name, slot, 0.85, prefix=False)
        query.add(PHONETIC_SIGIL + phonetic(word) if phonetic(word) else "", slot, 0.7, prefix=False)
        # Two neighbouring letters swapped is the commonest typo ("Jhon", "Smtih"): try each swap by index.
        if len(word) >= FUZZY_MIN_WORD:
            for i in range(len(word) - 1):
                swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
                if swapped != word:
                    query.add(swapped, slot, 0.75, prefix=False)
    if len(query.words) > 1:
        query.add("".join(query.words), WHOLE, 1.0, prefix=True)
        # "Bob Johnson" as whole names too (robertjohnson, …): a full-name key is selective where
        # "robert" and "johnson" alone each match thousands.
        for combination in _nickname_combinations(query.words):
            query.add("".join(combination), WHOLE, 0.85, prefix=False)
    return query


def _nickname_combinations(words: list[str]) -> list[list[str]]:
    """The query with one word replaced by a related name (bob johnson → robert johnson), then two."""
    options = [sorted(related_names(word))[:MAX_NICKNAME_CHOICES] for word in words]
    singles = ([*words[:i], name, *words[i + 1 :]] for i, names in enumerate(options) for name in names)
    doubles = (
        [*words[:i], a, *words[i + 1 : j], b, *words[j + 1 :]]
        for i, j in combinations(range(len(words)), 2)
        for a in options[i]
        for b in options[j]
    )
    return list(islice(chain(singles, doubles), MAX_NICKNAME_COMBINATIONS))


def search(*, organization: Organization, text: str, limit: int = RESULT_LIMIT) -> list[Customer]:
    """The organization's customers (not merged away) matching text, best first."""
    query = analyze(text)
    if not query.variants:
        return []
    scores = _Scores(query)
    # Whole-query keys first (a full name, a phone, an email): selective, and usually the answer.
    # The per-word keys only when those leave places free: "johnson" alone matches thousands.
    tiers = [lambda: _term_rows(organization, query.whole())]
    if len(query.words) > 1:
        tiers.append(lambda: _rows(*every_word_sql(organization, query)))
    tiers.append(lambda: _term_rows(organization, query.per_word()))  # any word: the lenient last resort
    for tier in tiers:
        for customer_id, term in tier():
            scores.add_term(customer_id, term)
        ranked = scores.ranked()
        if any(score >= 1.0 for _, score in ranked) or (ranked and tier is not tiers[0]):
            break
    if max((score for _, score in ranked), default=0.0) < FUZZY_BELOW and query.fuzzy_words():
        for customer_id, search_name in _fuzzy_rows(organization, query):
            scores.add_fuzzy(customer_id, search_name)
        ranked = scores.ranked()
    if not ranked:
        return []
    ranked.sort(key=lambda item: -item[1])
    # Only those that can still reach the first `limit` places matter; ties (two "Wei Zhang"s)
    # go to the guest seen most recently.
    cutoff = ranked[min(limit, len(ranked)) - 1][1]
    contenders = {cid: round(score, 3) for cid, score in ranked if score >= cutoff}
    if len(contenders) > limit:  # namesakes: the winners by last visit (index only) first, then only their rows
        contenders = {pk: contenders[pk] for (pk,) in _rows(*namesakes_sql(contenders, limit))}
    winners = [rows.instance(Customer, row) for row in _rows(*winners_sql(organization, contenders))]
    return sorted(winners, key=lambda c: (-contenders[c.pk], -(c.last_seen.timestamp() if c.last_seen else 0), -c.pk))


def _id_list(ids) -> tuple[str, list]:
    """A condition "id is one of these" with one parameter: an array, or JSON on SQLite. Hundreds of ids
    as separate parameters cost more to bind and parse than the index scan takes."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [list(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def winners_sql(organization: Organization, ids) -> tuple[str, list]:
    """The winners' rows, of this organization and not merged away; hand-written (crm.rows) because
    compiling the queryset took longer than reading twenty rows."""
    table = Customer._meta.db_table
    condition, params = _id_list(ids)
    sql = (
        f"SELECT {rows.columns(Customer, 'c')} FROM {table} c"  # noqa: S608
        f" WHERE c.organization_id = %s AND c.merged_into_id IS NULL AND c.id {condition}"
    )
    return sql, [organization.pk, *params]


def namesakes_sql(scores: dict[int, float], limit: int) -> tuple[str, list]:
    """The best `limit` of many equally named customers: score, then the most recent visit, then the newest.

    Ids and scores go as one parameter each (arrays, or JSON on SQLite), as in _id_list."""
    table = Customer._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT s.id FROM unnest(%s::bigint[], %s::float8[]) AS s(id, score) JOIN {table} c ON c.id = s.id"  # noqa: S608
            " ORDER BY s.score DESC, c.last_seen DESC NULLS LAST, s.id DESC LIMIT %s"
        )
        return sql, [list(scores), list(scores.values()), limit]
    sql = (
        f"SELECT c.id FROM json_each(%s) AS s JOIN {table} c ON c.id = s.key + 0"  # noqa: S608
        " ORDER BY s.value DESC, c.last_seen IS NULL, c.last_seen DESC, c.id DESC LIMIT %s"
    )
    return sql, [json.dumps({str(pk): score for pk, score in scores.items()}), limit]


def term_sql(organization: Organization, variants: list[Variant]) -> tuple[str, list]:
    """Exact matches first, then prefix ranges, each an index-only range of the searchterm_org_term
    index. Plain SQL: this runs on every keystroke, and the ORM took longer to compile it than
    PostgreSQL took to answer it."""
    table = SearchTerm._meta.db_table
    branches, params = [], []
    for condition, condition_params in _ranges(variants):
        # Only the table name and placeholders are interpolated; every value is a parameter.
        branches.append(f"SELECT customer_id, term FROM {table} WHERE organization_id = %s AND {condition}")  # noqa: S608
        params += [organization.pk, *condition_params]
    return " UNION ALL ".join(branches) + " LIMIT %s", [*params, CANDIDATE_ROWS]


def _matching(variants: list[Variant]) -> tuple[str, list]:
    """The WHERE condition "term is one of these, or starts with one of the prefix ones"."""
    exact = sorted({v.term for v in variants})
    prefixes = sorted({v.term for v in variants if v.prefix})
    sql = f"term IN ({', '.join(['%s'] * len(exact))})"
    params: list = list(exact)
    for prefix in prefixes:
        sql += " OR (term >= %s AND term < %s)"
        params += [prefix, prefix + UPPER]
    return f"({sql})", params


def _ranges(variants: list[Variant]) -> list[tuple[str, list]]:
    """The conditions "term is one of these" and "term starts with this", each an index range alone."""
    exact = sorted({v.term for v in variants})
    ranges = [(f"term IN ({', '.join(['%s'] * len(exact))})", exact)]
    # Strictly after the prefix itself: the exact range already has it.
    ranges += [("term > %s AND term < %s", [p, p + UPPER]) for p in sorted({v.term for v in variants if v.prefix})]
    return ranges


def every_word_sql(organization: Organization, query: Query) -> tuple[str, list]:
    """The terms of the customers matching *every* word ("anna smith": not the first 500 Smiths,
    but the Smiths whose other term starts with anna). Each word's set comes from the term index."""
    table = SearchTerm._meta.db_table
    words = [[v for v in query.per_word() if v.slot == slot] for slot in range(len(query.words))]
    words = [variants for variants in words if variants]
    conditions = [_matching(variants) for variants in words]
    # Each word's customers as a UNION ALL of plain index ranges (the exact terms, then each prefix):
    # one OR across them made PostgreSQL combine bitmaps and read the table's pages, where each
    # range alone is an index-only scan. Only the table name, placeholders and fixed SQL are
    # interpolated; every value is a parameter.
    params: list = []
    per_word = []
    for number, variants in enumerate(words):
        branches = []
        for sql, branch_params in _ranges(variants):
            branches.append(f"SELECT customer_id FROM {table} WHERE organization_id = %s AND {sql}")  # noqa: S608
            params += [organization.pk, *branch_params]
        per_word.append(f"SELECT customer_id FROM ({' UNION ALL '.join(branches)}) AS word{number}")  # noqa: S608
    any_word = " OR ".join(sql for sql, _ in conditions)
    # Materialized: at most CANDIDATE_ROWS customers, whose terms are then read through the
    # customer_id index (inlined, PostgreSQL scanned the whole organization's terms instead).
    sql = (
        f"WITH matched AS MATERIALIZED ({' INTERSECT '.join(per_word)} LIMIT %s) "  # noqa: S608
        f"SELECT t.customer_id, t.term FROM {table} t JOIN matched ON matched.customer_id = t.customer_id"
        f" WHERE t.organization_id = %s AND ({any_word}) LIMIT %s"
    )
    params += [CANDIDATE_ROWS, organization.pk]
    for _, condition_params in conditions:
        params += condition_params
    return sql, [*params, CANDIDATE_ROWS]


def _rows(sql: str, params: list) -> list:
    # Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py names).
    with connections[router.db_for_read(Customer)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _term_rows(organization: Organization, variants: list[Variant]) -> list[tuple[int, str]]:
    if not variants:
        return []
    sql, params = term_sql(organization, variants)
    with connections[router.db_for_read(SearchTerm)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fuzzy_queryset(organization: Organization, word: str):
    """PostgreSQL: names within a trigram word-similarity of word (customer_search_name_trgm index)."""
    return (
        Customer.objects.filter(organization=organization, merged_into__isnull=True)
        .filter(search_name__trigram_word_similar=word)
        .annotate(similarity=TrigramWordSimilarity(word, "search_name"))
        .order_by("-similarity")
        .values_list("pk", "search_name")[:FUZZY_CANDIDATES]
    )


def _fuzzy_rows(organization: Organization, query: Query):
    words = query.fuzzy_words()
    if connection.vendor == "postgresql":
        # On the connection that fuzzy_queryset reads through.
        with connections[router.db_for_read(Customer)].cursor() as cursor:
            cursor.execute("SET pg_trgm.word_similarity_threshold = %s", [TRIGRAM_WORD_THRESHOLD])
        found: dict[int, str] = {}
        for word in words:
            found.update(fuzzy_queryset(organization, word))
        return found.items()
    # SQLite (the embedded default, small by design): a bounded scan of the folded names.
    names = Customer.objects.filter(organization=organization, merged_into__isnull=True).values_list(
        "pk", "search_name"
    )[:SQLITE_FUZZY_SCAN]
    return [(pk, name) for pk, name in names.iterator(chunk_size=5000) if _close_to_any(words, name.split())]


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


def _close_to_any(words: list[str], candidates: list[str]) -> bool:
    return any(_edits(word, candidates) is not None for word in words)


class _Scores:
    """Best weight per (customer, query slot). A customer's score is the mean over the query's words
    when every word matched ("zhang wei" is not every Zhang), or the whole-query match when better."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.best: dict[int, dict[int, float]] = defaultdict(dict)
        self.exact = defaultdict(list)
        for variant in query.variants:
            self.exact[variant.term].append(variant)
        self.prefixes = [v for v in query.variants if v.prefix]

    def _hit(self, customer_id: int, slot: int, weight: float) -> None:
        slots = self.best[customer_id]
        if weight > slots.get(slot, 0.0):
            slots[slot] = weight

    def add_term(self, customer_id: int, term: str) -> None:
        for variant in self.exact.get(term, ()):
            self._hit(customer_id, variant.slot, variant.weight)
        for variant in self.prefixes:
            if term.startswith(variant.term) and term != variant.term:
                self._hit(customer_id, variant.slot, variant.weight * PREFIX_FACTOR)

    def add_fuzzy(self, customer_id: int, search_name: str) -> None:
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
