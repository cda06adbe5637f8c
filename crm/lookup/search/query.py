"""What was typed, as the index could hold it: the query's words and its variants (crm.lookup.terms writes the
same keys for every guest), each with the slot it stands for and its weight."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import chain, combinations, islice

from crm.lookup.nicknames import related_names
from crm.lookup.normalize import (
    KANA_OR_HANGUL,
    han_runs,
    has_han,
    has_tone_marks,
    is_japanese_or_korean,
    latin_words,
    phonetic,
    pinyin_syllables,
    tone_key,
    without_titles,
    written_whole,
)
from crm.lookup.terms import EMAIL_SIGIL, PHONE_SIGIL, PHONETIC_SIGIL
from crm.phones import digits

MAX_QUERY_LENGTH = 100


# Search as you type: the first letter answers (its most recent guests: see _lookup and walk_sql).
MIN_PREFIX = 1
MIN_PHONE_DIGITS = 4
# Every name the table relates to a typed one (18 at most: chris, bert), as whole names with the other words: once a
# whole name matched, the nicknames are not read word by word (crm.lookup.search), so none may be left out here; one
# statement probes them all (crm.lookup.search.statements.exact_sql).
MAX_NICKNAME_CHOICES = 20
NICKNAME = 0.85  # a name the typed one may stand for (bob → robert), in its word's place
MAX_NICKNAME_COMBINATIONS = 60


# Words of a query that count: a name has a few; "al al al …" ×34 cost seconds of CPU (issue 11).
MAX_QUERY_WORDS = 6


# The typed tone marks agree with the name's reading ("Zhāng Wěi": 张伟 before 张薇 and 张维, who still match).
TONE_MATCH = 1.05
WHOLE = -1  # the slot of variants that stand for the whole query
# Typed Han characters read in pinyin find the guests whose names read the same (张伟 → Wei Zhang, 张薇): below the
# characters themselves, and, as a guest's name (PART_OF_NAME: 0.836), below a name starting with the characters
# (a prefix, 0.85): 山 finds 山田 誠 before 单霞明, whose family name only reads shan.
HAN_READING = 0.88
# Kanji typed with kana or Hangul (山田さ, her name being typed) are part of what was typed: below the whole text as
# the start of a name (a prefix, 0.85), so the name being typed comes first; the kanji's other holders follow.
HAN_BESIDE_KANA = 0.8
EMAIL_LOCAL = re.compile(r"[a-z0-9._%+-]{2,}")
# A local part written as only an address is (a letter beside a digit, a dot, an underscore, a % or a +: "soren.tran",
# "wei1234") says the guest's email: its holder first, above the guests whose names hold the same words (1.0), a
# namesake seen last week included. Letters alone ("fangxie", "cynthia") are a name as much as an address: below
# the names (0.9), the local part's holders after them.
EMAIL_HANDLE = 1.02
EMAIL_LOCAL_ONLY = 0.9
_HANDLE_MARK = re.compile(r"[0-9._%+]")


def written_as_address(local: str) -> bool:
    """Whether a local part is written as only an address is: a letter beside a digit, a dot, an underscore, a % or
    a + ("soren.tran", "wei1234"; not "jean-luc", a name's hyphen)."""
    return bool(_HANDLE_MARK.search(local) and re.search("[a-z]", local))


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

    def name_words(self) -> list[str]:
        """The words the typo stage may correct: a name's, not an email's or a phone number's."""
        typed = [v.term for v in self.whole()]
        if any(term.startswith(PHONE_SIGIL) or (term.startswith(EMAIL_SIGIL) and "@" in term[1:]) for term in typed):
            return []
        return self.words


def analyze(text: str) -> Query:
    """The ways this query could be written in the index (see crm.lookup.terms)."""
    # NUL cannot be stored in PostgreSQL text, so it cannot match anything either.
    text = without_titles(unicodedata.normalize("NFKC", text or "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH])
    query = Query()
    if not text:
        return query
    lower = text.lower()
    if "@" in lower:
        query.add(EMAIL_SIGIL + lower, WHOLE, 1.0, prefix=True)
    elif EMAIL_LOCAL.fullmatch(lower):
        weight = EMAIL_HANDLE if written_as_address(lower) else EMAIL_LOCAL_ONLY
        query.add(EMAIL_SIGIL + lower, WHOLE, weight, prefix=len(lower) > MIN_PREFIX)
    number = digits(text)
    if len(number) >= MIN_PHONE_DIGITS and 2 * len(number) >= len(re.sub(r"\s", "", text)):
        query.add(PHONE_SIGIL + number[::-1], WHOLE, 1.0, prefix=True)
    kana = is_japanese_or_korean(text)
    if kana:  # 山田 さくら: the whole name as its terms hold it (crm.lookup.terms)
        query.add(written_whole(text), WHOLE, 1.0, prefix=True)
    for run in han_runs(text):
        query.add(run, WHOLE, HAN_BESIDE_KANA if kana else 1.0, prefix=True)
        if not kana:  # kanji typed with kana are Japanese: not read in pinyin (nor are a Japanese guest's)
            query.add("".join(pinyin_syllables(run, tones=False)), WHOLE, HAN_READING, prefix=False)
    # Kana or Hangul typed with kanji are a name written in its script (山田さくら), not romaji words: "sa" of 山田さ
    # would rank Sakura Ito and Sam Smith among the Yamadas. Kana alone (さくら) are read as romaji too.
    latin = KANA_OR_HANGUL.sub(" ", text) if kana and has_han(text) else text
    query.words = [word for word in latin_words(latin) if not word.isdigit()][:MAX_QUERY_WORDS]
    for slot, word in enumerate(query.words):
        query.add(word, slot, 1.0, prefix=len(word) >= MIN_PREFIX)
        for name in related_names(word):
            query.add(name, slot, NICKNAME, prefix=False)
        query.add(PHONETIC_SIGIL + phonetic(word) if phonetic(word) else "", slot, 0.7, prefix=False)
    if has_tone_marks(text):
        query.add(tone_key(text), WHOLE, TONE_MATCH, prefix=True)
    if len(query.words) > 1:
        query.add("".join(query.words), WHOLE, 1.0, prefix=True)
        # "Bob Johnson" as whole names too (robertjohnson, …): a full-name key is selective where
        # "robert" and "johnson" alone each match thousands. Each weighs what the guest would score word by word
        # (the mean of NICKNAME for a replaced word and 1.0 for the others: 0.925 for two words), so that a
        # whole name found by a nickname ranks as it would by its words (Donna Hill for "Dona Hill", above Donald
        # Hill, whose first word only starts with the typed one).
        for combination in _nickname_combinations(query.words):
            replaced = sum(a != b for a, b in zip(combination, query.words, strict=True))
            weight = (len(query.words) - replaced + NICKNAME * replaced) / len(query.words)
            query.add("".join(combination), WHOLE, weight, prefix=False)
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
