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
from crm.lookup.normalize import han_runs, has_tone_marks, latin_words, phonetic, pinyin_syllables, tone_key
from crm.lookup.terms import EMAIL_SIGIL, PHONE_SIGIL, PHONETIC_SIGIL
from crm.models import Customer, Organization, SearchTerm, TermKind
from crm.phones import digits

MAX_QUERY_LENGTH = 100
# Search as you type: the first letter answers (its most recent guests: see _lookup and walk_sql).
MIN_PREFIX = 1
MIN_PHONE_DIGITS = 4
# Rows of one prefix (or one word of several), counted from the index alone, past which it counts as common; a
# common one is answered by walking the most recent guests instead. The database ranks a range's rows
# (prefix_sql), ~5 ms for 10,000; a walk probes each guest's terms (~3 buffers a guest), so a prefix just over the
# cap, held by ~0.5 % of a million guests, walks ~4,000 guests: the two costs meet about here.
RANGE_ROWS = 10_000
# When every word of several has more rows than this, the longest is walked, not read whole (_every_word and
# anchor_walk_sql): its holders in index order, each probed for the other words, until the page fills.
FEW_ROWS = 1000
WALK_ROWS = 5000  # guests a walk looks at; when fewer than the page match, the words are read whole
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
# A key standing for the whole query that matches only part of a guest's name (the given name 远轩 of 王远轩
# for "yuan xuan") ranks below the guest whose whole name it is (袁轩).
PART_OF_NAME = 0.95
# The typed tone marks agree with the name's reading ("Zhāng Wěi": 张伟 before 张薇 and 张维, who still match).
TONE_MATCH = 1.05
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

    def per_word_at(self, slot: int) -> list[Variant]:
        return [v for v in self.variants if v.slot == slot]

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
    if has_tone_marks(text):
        query.add(tone_key(text), WHOLE, TONE_MATCH, prefix=True)
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
    """The organization's customers (not merged away) matching text, best first: by score, then the most recent
    visit, then the newest."""
    query = analyze(text)
    if not query.variants:
        return []
    scores = _Scores(query)
    # Whole-query keys first (a full name, a phone, an email): selective, and usually the answer.
    # The per-word keys only when those leave places free: "johnson" alone matches thousands.
    tiers = [lambda: _lookup(organization, query.whole(), scores, limit)]
    if len(query.words) > 1:
        tiers.append(lambda: _every_word(organization, query, scores, limit))
    tiers.append(lambda: _lookup(organization, query.per_word(), scores, limit))  # any word: the lenient last resort
    for tier in tiers:
        tier()
        ranked = scores.ranked()
        if any(score >= 1.0 for _, score in ranked) or (ranked and tier is not tiers[0]):
            break
    if max((score for _, score in ranked), default=0.0) < FUZZY_BELOW and query.fuzzy_words():
        for customer_id, search_name, last_seen in _fuzzy_rows(organization, query):
            scores.add_fuzzy(customer_id, search_name, last_seen.timestamp() if last_seen else None)
        ranked = scores.ranked()
    best = sorted(ranked, key=lambda item: _order(item[0], item[1], scores.last_seen.get(item[0])))[:limit]
    if not best:
        return []
    found = dict(best)
    winners = [rows.instance(Customer, row) for row in _rows(*winners_sql(organization, found))]
    return sorted(winners, key=lambda c: _order(c.pk, found[c.pk], scores.last_seen.get(c.pk)))


def _order(customer_id: int, score: float, seen: float | None) -> tuple:
    """The documented tie-break: score, then the most recent visit (never seen last), then the newest."""
    return (-round(score, 3), seen is None, -(seen or 0.0), -customer_id)


def _lookup(organization: Organization, variants: list[Variant], scores: _Scores, limit: int) -> None:
    """Customers matching any of the variants: each exact term's `limit` best in index order (a full name before a
    part of one, then the most recent), then the prefix ranges when those can still take a place."""
    if not variants:
        return
    for row in _rows(*exact_sql(organization, sorted({v.term for v in variants}), limit)):
        scores.add_term(*row)
    prefixes = sorted({v.term for v in variants if v.prefix})
    if not prefixes:
        return
    # A prefix match scores at most this: when `limit` customers already score as much, no prefix row can place.
    reach = max(v.weight for v in variants if v.prefix) * PREFIX_FACTOR
    if sum(score >= reach for _, score in scores.ranked()) >= limit:
        return
    cap = _cap()
    for prefix in prefixes:
        condition = ("(term > %s AND term < %s)", [prefix, prefix + UPPER])
        # A common prefix ("w", "zhan"), counted from the index alone: its rows are in term order, not by visit,
        # and too many to rank; the most recent guests holding such a term are a short walk from the newest visit.
        common = cap is not None and _rows(*count_sql(organization, [condition], cap))[0][0] > cap
        found = _walk_rows(organization, [condition], condition, limit) if common else []
        if len({row[0] for row in found}) < limit:  # not common, or the walk ran out before the page filled
            found = _rows(*prefix_sql(organization, prefix, limit))
        for row in found:
            scores.add_term(*row)


def _cap() -> int | None:
    """Rows read of one prefix or word before it counts as common. PostgreSQL then walks the most recent guests
    (walk_sql); SQLite, the embedded default and small by design, reads every row instead (no LATERAL)."""
    return RANGE_ROWS if connection.vendor == "postgresql" else None


def _every_word(organization: Organization, query: Query, scores: _Scores, limit: int) -> None:
    """The customers matching *every* word ("anna smith": not the Smiths in general, but the Smiths whose
    other term starts with anna). When even the rarest word has more than FEW_ROWS rows ("wei j", "li g": a
    surname, and a given name being typed), its holders are walked in its terms' index order (the most recent
    first), each probed for the other words, until `limit` match. Otherwise, or when that walk runs out, a word
    with at most RANGE_ROWS rows is read whole and its customers are the candidates; when every word is common,
    the most recent guests are walked until `limit` match."""
    words = [variants for slot in range(len(query.words)) if (variants := query.per_word_at(slot))]
    parts = [ranges(variants) for variants in words]
    conditions = [_or(word) for word in parts]
    any_word = _or([part for word in parts for part in word])
    cap = _cap()
    small = _small_word(organization, parts) if cap is not None else None
    found = []
    if cap is not None and small is None:
        # The anchor: the longest word (the likeliest to be complete, where the last one is still being typed).
        anchor = max(range(len(words)), key=lambda number: len(query.words[words[number][0].slot]))
        others = [condition for number, condition in enumerate(conditions) if number != anchor]
        # Its word as typed only: a nickname, a sound-alike or a swap scores less, and places only when fewer
        # than a page hold the word itself (then the walk runs out and the candidates are read whole below).
        typed = query.words[words[anchor][0].slot]
        ids = [row[0] for row in _rows(*anchor_walk_sql(organization, typed, others, limit))]
        found = _rows(*terms_of_sql(organization, ids, any_word)) if ids else []
    rare = [number == small for number in range(len(parts))]
    if len({row[0] for row in found}) < limit and small is None:
        rare = [cap is None or _rows(*count_sql(organization, word, cap))[0][0] <= cap for word in parts]
        if not any(rare):
            found = _walk_rows(organization, conditions, any_word, limit)
    if len({row[0] for row in found}) < limit:  # a rare word bounds the candidates, or the walks ran out
        # The rare words' customers, intersected; each other word checked per candidate (or, when the walk ran
        # out, every word's customers intersected: none is checked).
        sets = [word for word, is_rare in zip(parts, rare, strict=True) if is_rare] or parts
        checks = [c for c, is_rare in zip(conditions, rare, strict=True) if not is_rare] if any(rare) else []
        ids = [customer_id for (customer_id,) in _rows(*every_word_sql(organization, sets, checks))]
        found = _rows(*terms_of_sql(organization, ids, any_word)) if ids else []
    for row in found:
        scores.add_term(*row)


def _small_word(organization: Organization, parts: list[list[tuple[str, list]]]) -> int | None:
    """The first word with at most FEW_ROWS rows, if any: its customers are few enough to be the candidates."""
    for number, word in enumerate(parts):
        if _rows(*count_sql(organization, word, FEW_ROWS))[0][0] <= FEW_ROWS:
            return number
    return None


def _walk_rows(
    organization: Organization, conditions: list[tuple[str, list]], matching: tuple[str, list], limit: int
) -> list:
    """The terms matching `matching` of the `limit` most recent guests that satisfy every condition."""
    ids = [customer_id for (customer_id,) in _rows(*walk_sql(organization, conditions, limit))]
    return _rows(*terms_of_sql(organization, ids, matching)) if ids else []


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


# What every read of terms returns, in the order _Scores.add_term takes it: the last visit as seconds since the
# epoch, `seen` (a float crosses to Python ~20 times faster than a timestamp, and a common name's candidates bring
# thousands of rows). Only table names, placeholders and fixed SQL are interpolated into the statements below;
# every value is a parameter.
SEEN = {
    "postgresql": "EXTRACT(EPOCH FROM last_seen)",
    "sqlite": "(julianday(last_seen) - 2440587.5) * 86400.0",
}


def _term_columns() -> str:
    return f"customer_id, term, kind, {SEEN[connection.vendor]} AS seen"


RECENT_FIRST = "kind DESC, last_seen DESC NULLS LAST, customer_id DESC"  # the order of searchterm_org_term_recent


def exact_sql(organization: Organization, terms: list[str], limit: int) -> tuple[str, list]:
    """Each term's `limit` best rows (a full name before a part of one, then the most recent visit, then the
    newest) straight from the searchterm_org_term_recent index. EXPLAIN (ANALYZE, BUFFERS) of 王, held by 60,000
    of 150,000 guests (2026-12-02): Index Only Scan, rows=20, Heap Fetches: 0, shared hit=4, 0.04 ms.
    Plain SQL: this runs on every keystroke, and the ORM took longer to compile it than PostgreSQL to answer."""
    table = SearchTerm._meta.db_table
    branches, params = [], []
    for number, term in enumerate(terms):
        branches.append(
            f"SELECT * FROM (SELECT {_term_columns()} FROM {table} WHERE organization_id = %s AND term = %s"  # noqa: S608
            f" ORDER BY {RECENT_FIRST} LIMIT %s) AS exact{number}"
        )
        params += [organization.pk, term, limit]
    return " UNION ALL ".join(branches), params


def prefix_sql(organization: Organization, prefix: str, limit: int) -> tuple[str, list]:
    """The `limit` best customers with a term strictly starting with prefix (the exact term is exact_sql's):
    customer, a term, its best kind and the last visit. One index range in term order (at most RANGE_ROWS rows on
    PostgreSQL: a longer one is walked, see _lookup), ranked in the database, so that a thousand rows do not cross
    to Python."""
    table = SearchTerm._meta.db_table
    matches = f"SELECT {_term_columns()} FROM {table} WHERE organization_id = %s AND term > %s AND term < %s"  # noqa: S608
    sql = (
        f"SELECT customer_id, max(term), max(kind), seen FROM ({matches}) AS r"  # noqa: S608
        " GROUP BY customer_id, seen ORDER BY max(kind) DESC, seen DESC NULLS LAST, customer_id DESC LIMIT %s"
    )
    return sql, [organization.pk, prefix, prefix + UPPER, limit]


def ranges(variants: list[Variant]) -> list[tuple[str, list]]:
    """The conditions "term is one of these" and "term starts with this", each an index range alone."""
    exact = sorted({v.term for v in variants})
    parts = [(f"term IN ({', '.join(['%s'] * len(exact))})", exact)]
    # Strictly after the prefix itself: the exact range already has it.
    parts += [("(term > %s AND term < %s)", [p, p + UPPER]) for p in sorted({v.term for v in variants if v.prefix})]
    return parts


def _or(parts: list[tuple[str, list]]) -> tuple[str, list]:
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


def _union(organization: Organization, parts: list[tuple[str, list]]) -> tuple[str, list]:
    """The customers (one row per matching term) of one word's ranges: a UNION ALL of plain index ranges (the exact
    terms, then each prefix); one OR across them made PostgreSQL combine bitmaps and read the table's pages, where
    each range alone is an index-only scan."""
    table = SearchTerm._meta.db_table
    branches, params = [], []
    for sql, part_params in parts:
        branches.append(f"SELECT customer_id FROM {table} WHERE organization_id = %s AND {sql}")  # noqa: S608
        params += [organization.pk, *part_params]
    return " UNION ALL ".join(branches), params


def count_sql(organization: Organization, parts: list[tuple[str, list]], cap: int) -> tuple[str, list]:
    """How many rows one word matches, counted up to cap + 1 (index only)."""
    union, params = _union(organization, parts)
    return f"SELECT count(*) FROM (SELECT 1 FROM ({union}) AS word LIMIT %s) AS capped", [*params, cap + 1]  # noqa: S608


def every_word_sql(organization: Organization, words, conditions: list[tuple[str, list]]) -> tuple[str, list]:
    """The customers of every given word (the rare ones: at most RANGE_ROWS rows each), each once, that also hold
    a term of every condition (the other words'), probed through searchterm_customer_term from the index alone."""
    table = SearchTerm._meta.db_table
    sets, params = [], []
    for parts in words:
        union, union_params = _union(organization, parts)
        sets.append(f"SELECT DISTINCT customer_id FROM ({union}) AS word")  # noqa: S608
        params += union_params
    checks = []
    for sql, condition_params in conditions:
        checks.append(f"EXISTS (SELECT 1 FROM {table} t WHERE t.customer_id = m.customer_id AND {sql})")  # noqa: S608
        params += condition_params
    where = f" WHERE {' AND '.join(checks)}" if checks else ""
    sql = f"SELECT customer_id FROM ({' INTERSECT '.join(sets)}) AS m{where}"  # noqa: S608
    return sql, params


def walk_sql(organization: Organization, conditions: list[tuple[str, list]], limit: int) -> tuple[str, list]:
    """PostgreSQL: the `limit` most recent guests with a term satisfying each condition, walked newest visit first
    through customer_org_recent, one probe of the guest's terms (searchterm customer_id index) per condition;
    at most WALK_ROWS guests are looked at. Reading a range's terms in order of visit is not possible (the index
    orders a range by term); for a common prefix the walk stops early: "w" among the 150,000 guests above looked
    at 50 guests (Nested Loop over customer_org_recent, 257 buffers, 0.8 ms) where its range holds ~200,000 rows."""
    customer, term = Customer._meta.db_table, SearchTerm._meta.db_table
    joins, params = [], []
    for number, (sql, condition_params) in enumerate(conditions):
        joins.append(
            f" CROSS JOIN LATERAL (SELECT 1 FROM {term} t WHERE t.customer_id = c.id AND {sql} LIMIT 1) AS w{number}"  # noqa: S608
        )
        params += condition_params
    sql = (
        f"SELECT c.id FROM (SELECT id, last_seen FROM {customer} WHERE organization_id = %s"  # noqa: S608
        " AND merged_into_id IS NULL ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT %s) AS c"
        f"{''.join(joins)} ORDER BY c.last_seen DESC NULLS LAST, c.id DESC LIMIT %s"
    )
    return sql, [organization.pk, WALK_ROWS, *params, limit]


def anchor_walk_sql(
    organization: Organization, anchor: str, conditions: list[tuple[str, list]], limit: int
) -> tuple[str, list]:
    """PostgreSQL: the anchor term's `limit` best holders (index order: a full name before a part of one, then the
    most recent) that also hold a term satisfying each condition — the anchor's rows read in order from
    searchterm_org_term_recent (at most WALK_ROWS), each holder probed through searchterm_customer_term (index only),
    stopping at `limit` matches. "wei j" among 100,000 guests: ~70 probes, where reading the 4,000 holders of
    "wei" and probing each took ~9,000 buffers."""
    table = SearchTerm._meta.db_table
    probes, params = [], [organization.pk, anchor, WALK_ROWS]
    for number, (sql, condition_params) in enumerate(conditions):
        probes.append(
            f" CROSS JOIN LATERAL (SELECT 1 FROM {table} t WHERE t.customer_id = anchor.customer_id AND {sql}"  # noqa: S608
            f" LIMIT 1) AS w{number}"
        )
        params += condition_params
    sql = (
        f"SELECT anchor.customer_id FROM (SELECT customer_id, kind, last_seen FROM {table}"  # noqa: S608
        f" WHERE organization_id = %s AND term = %s ORDER BY {RECENT_FIRST} LIMIT %s) AS anchor{''.join(probes)}"
        " ORDER BY anchor.kind DESC, anchor.last_seen DESC NULLS LAST, anchor.customer_id DESC LIMIT %s"
    )
    return sql, [*params, limit]


def terms_of_sql(organization: Organization, ids, condition: tuple[str, list]) -> tuple[str, list]:
    """The terms satisfying condition of these customers, through the customer_id index."""
    table = SearchTerm._meta.db_table
    in_ids, id_params = _id_list(ids)
    sql, params = condition
    return (
        f"SELECT {_term_columns()} FROM {table} WHERE customer_id {in_ids} AND organization_id = %s AND {sql}",  # noqa: S608
        [*id_params, organization.pk, *params],
    )


def _rows(sql: str, params: list) -> list:
    # Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py names).
    with connections[router.db_for_read(Customer)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fuzzy_queryset(organization: Organization, word: str):
    """PostgreSQL: names within a trigram word-similarity of word (customer_search_name_trgm index)."""
    return (
        Customer.objects.filter(organization=organization, merged_into__isnull=True)
        .filter(search_name__trigram_word_similar=word)
        .annotate(similarity=TrigramWordSimilarity(word, "search_name"))
        .order_by("-similarity")
        .values_list("pk", "search_name", "last_seen")[:FUZZY_CANDIDATES]
    )


def _fuzzy_rows(organization: Organization, query: Query):
    words = query.fuzzy_words()
    if connection.vendor == "postgresql":
        # On the connection that fuzzy_queryset reads through.
        with connections[router.db_for_read(Customer)].cursor() as cursor:
            cursor.execute("SET pg_trgm.word_similarity_threshold = %s", [TRIGRAM_WORD_THRESHOLD])
        found: dict[int, tuple] = {}
        for word in words:
            found.update((row[0], row) for row in fuzzy_queryset(organization, word))
        return found.values()
    # SQLite (the embedded default, small by design): a bounded scan of the folded names.
    names = Customer.objects.filter(organization=organization, merged_into__isnull=True).values_list(
        "pk", "search_name", "last_seen"
    )[:SQLITE_FUZZY_SCAN]
    return [row for row in names.iterator(chunk_size=5000) if _close_to_any(words, row[1].split())]


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
        self.last_seen[customer_id] = seen
        for variant in self.exact.get(term, ()):
            self._hit(customer_id, variant.slot, variant.weight * self._part(variant, kind))
        for variant in self.prefixes:
            if term.startswith(variant.term) and term != variant.term:
                self._hit(customer_id, variant.slot, variant.weight * PREFIX_FACTOR * self._part(variant, kind))

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
