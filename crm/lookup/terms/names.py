"""What a guest's names, email, phone and birthday give the lookup: its search terms (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from crm.lookup.normalize import (
    HanName,
    family_pinyin,
    fit,
    han_names,
    is_japanese_or_korean,
    latin_word_variants,
    latin_words,
    phonetic,
    pinyin_syllables,
    tone_key,
    u_umlaut_spellings,
    written_whole,
)
from crm.lookup.vocabulary import is_word
from crm.models import Customer, TermKind
from crm.phones import digits

NAME_FIELDS = ("given_name", "family_name", "native_name", "latin_name", "preferred_name")
# The fields a guest's name terms are made from: the names, and the language, which says whether a Han name is read
# in pinyin (reads_pinyin). A queryset that computes terms or vocabulary words loads these (.only()).
TERM_FIELDS = (*NAME_FIELDS, "language")
# The fields holding one part of a name: Han there is that part whole (田中, 歐陽 as a family name: han_names).
HAN_PART = {"family_name": "family", "given_name": "given"}
MAX_SEARCH_NAME = 500
PHONETIC_SIGIL, EMAIL_SIGIL, PHONE_SIGIL, PREFIX_SIGIL, BIRTHDAY_SIGIL = "~", "@", "#", "^", "="
# Search as you type: a guest holds "^" + the first 1 to PREFIX_KEYS characters of each of its name terms (an
# email's: 2 to PREFIX_KEYS after the @), each a row of kind PREFIX carrying last_seen like every term, so that the
# term index hands out the 20 most recent holders of "w" or "zha" from 20 entries, where the range of the terms
# starting with "w" holds 382,201 rows at a million guests. Longer prefixes walk these rows (crm.lookup.search).
# Four, not three (migration 0033): a longer prefix walks the holders of its first PREFIX_KEYS characters, and
# three were too few where a common name shares them — "huami" and "zhao h" walked the holders of ^hua (Huang)
# and ^zha (Zhang), 600 to 5,000 guests probed for 20 matches, 6-7 ms at a million guests; "kenn" and "susa" had no
# rows and walked too. The fourth character costs ~600 bytes a guest (docs/benchmarks.md).
PREFIX_KEYS = 4
PREFIXED_KINDS = {
    TermKind.NAME_PART: 0,
    TermKind.NAME: 0,
    TermKind.FULL_NAME: 0,
    TermKind.EMAIL: 1,
    TermKind.EMAIL_LOCAL: 1,
}


def reads_pinyin(language: str, names: Iterable[str]) -> bool:
    """Whether a guest's Han names are read in pinyin: not a Japanese or Korean guest's (their kanji or hanja have
    no Mandarin reading anyone types: 佐々木 健 is Ken Sasaki, whose romaji are his Latin names, not "jian"), nor names
    holding kana or Hangul; a guest of any other language's are."""
    return not language.startswith(("ja", "ko")) and not any(is_japanese_or_korean(name) for name in names)


def _reads_pinyin(fields: dict[str, str]) -> bool:
    return reads_pinyin(fields["language"], (fields[field] for field in NAME_FIELDS))


def _han_terms(name: HanName, pinyin: bool = True) -> set[str]:
    """张伟 → 张伟, 伟, 张, zhangwei, weizhang, zhang, wei; 曾志伟 adds the surname reading zeng… beside ceng….

    The family name alone (张) lets a surname typed alone read its guests in index order; a ü reading gets
    every spelling people type (吕 → lv, lu, lyu). Without pinyin (reads_pinyin): the characters only."""
    run, family, given = name.run, name.family, name.given
    terms = {run[i:] for i in range(len(run))}
    if given:
        terms.add(family)
    if not pinyin:
        return terms
    given_py = "".join(pinyin_syllables(given, tones=False))
    for reading in {"".join(family_pinyin(family, tones=False)), "".join(pinyin_syllables(family, tones=False))}:
        terms |= {reading, reading + given_py, given_py + reading}
    terms.add(given_py)
    return {spelling for term in terms for spelling in u_umlaut_spellings(term)}


def han_parts(name: HanName) -> set[str]:
    """A Han name's inner parts among its terms: the suffixes that are neither the whole name, its given name nor
    its family name (郝光丽 → 丽; 欧阳娜娜 → 阳娜娜, 娜; 田中 直樹 → 中直树, 树). Stored as NAME_PART so that a given
    name typed alone finds the guests whose given name it is first (丽 → 邹丽 before 郝光丽: issue 15's "given"
    queries)."""
    return {name.run[i:] for i in range(1, len(name.run))} - {name.family, name.given}


def _name_parts(fields: dict[str, str]) -> set[str]:
    """han_parts() of every Han run of the names, less those that are a whole, given or family name in another."""
    parts, names = set(), set()
    for field in NAME_FIELDS:
        for name in _han_names_in(fields, field):
            parts |= han_parts(name)
            names |= {name.run, name.family, name.given}
    return parts - names


def _han_words(name: HanName) -> set[str]:
    """The name words a Han name gives the vocabulary: its family name's readings and its given name's (张若涵 →
    zhang, ruohan), every ü spelling; the typo stage corrects typed pinyin against them."""
    family, given = name.family, name.given
    words = {"".join(family_pinyin(family, tones=False)), "".join(pinyin_syllables(family, tones=False))}
    words.add("".join(pinyin_syllables(given, tones=False)))
    return {spelling for word in words if word for spelling in u_umlaut_spellings(word)}


def _toned_keys(name: HanName) -> set[str]:
    """The whole Han name read with its tones, family name first (张伟 → zha1ngwe3i): what a query typed with tone
    marks matches first (crm.lookup.normalize.tone_key). One order only: each term costs ~170 bytes a guest, and
    tone marks come with pinyin written family name first."""
    family, given = name.family, name.given
    if not given:
        return set()
    return {
        tone_key("".join(family_pinyin(family, tones=True))) + tone_key("".join(pinyin_syllables(given, tones=True)))
    }


def full_name_keys(customer: Customer) -> frozenset[str]:
    """The whole name as single keys, both orders and every script: zhangwei, weizhang, 张伟."""
    return _full_keys(*(getattr(customer, field) for field in TERM_FIELDS))


def full_name_keys_of(fields: Mapping[str, str]) -> frozenset[str]:
    """full_name_keys() of a profile's fields as a mapping (a row of an import): missing names are empty."""
    return _full_keys(*(fields.get(field) or "" for field in TERM_FIELDS))


@dataclass(frozen=True)
class Names:
    """What a guest's names give the lookup: computed once per set of names and shared by the derived fields,
    the search terms and an import's matching (each asked for it; pypinyin costs ~40 µs per Han name)."""

    terms: frozenset[str]
    phonetic_words: frozenset[str]
    full: frozenset[str]
    term_kinds: frozenset[tuple[str, int]]  # the name's search terms: name, full name and phonetic
    whole: tuple[str, ...]  # its FULL_NAME terms (full and the toned keys), for NAME_BIRTHDAY terms
    prefixes: frozenset[tuple[str, int]]  # their PREFIX rows (prefix_keys)
    search_name: str
    words: frozenset[str]  # the name's words for the vocabulary (crm.lookup.vocabulary): smith, zhang, ruohan


def names_of(customer: Customer) -> Names:
    return _names(*(getattr(customer, field) for field in TERM_FIELDS))


# Sets of names remembered: a batch asks for each guest's three times (matching, derived fields, terms), and a
# list repeats whole names too; ~2 KB each.
NAMES_CACHE = 4096


@lru_cache(maxsize=NAMES_CACHE)
def _names(*values: str) -> Names:
    """Names of the values of TERM_FIELDS, in order."""
    fields = dict(zip(TERM_FIELDS, values, strict=True))
    pinyin = _reads_pinyin(fields)
    terms, words = _name_terms(fields, pinyin)
    full = _full_keys(*values)
    parts = _name_parts(fields)
    term_kinds = {
        (fit(term), TermKind.NAME_PART if term in parts else TermKind.NAME) for term in terms if fit(term) not in full
    }
    term_kinds |= {(key, TermKind.FULL_NAME) for key in full}
    term_kinds |= {(PHONETIC_SIGIL + code, TermKind.PHONETIC) for code in map(phonetic, words) if code}
    term_kinds |= {(fit(key), TermKind.FULL_NAME) for key in _toned(fields)} if pinyin else set()
    return Names(
        terms=frozenset(terms),
        phonetic_words=frozenset(words),
        full=full,
        term_kinds=frozenset(term_kinds),
        whole=tuple(sorted(term for term, kind in term_kinds if kind == TermKind.FULL_NAME)),
        prefixes=frozenset(prefix_keys(term_kinds)),
        search_name=" ".join(sorted(term for term in terms if term.isascii()))[:MAX_SEARCH_NAME],
        words=frozenset(word for word in words | (_han_words_of(fields) if pinyin else set()) if is_word(word)),
    )


def _han_words_of(fields: dict[str, str]) -> set[str]:
    return {word for field in NAME_FIELDS for name in _han_names_in(fields, field) for word in _han_words(name)}


def _han_names_in(fields: dict[str, str], field: str) -> tuple[HanName, ...]:
    return han_names(fields[field], HAN_PART.get(field, ""))


def _toned(fields: dict[str, str]) -> set[str]:
    names = (name for field in ("native_name", "latin_name") for name in han_names(fields[field]))
    return {key for name in names for key in _toned_keys(name)}


# Alone for an import's preview, which matches rows by their full names and needs no other term.
@lru_cache(maxsize=NAMES_CACHE)
def _full_keys(*values: str) -> frozenset[str]:
    fields = dict(zip(TERM_FIELDS, values, strict=True))
    pinyin = _reads_pinyin(fields)
    keys = set()
    given, family = latin_words(fields["given_name"]), latin_words(fields["family_name"])
    preferred = latin_words(fields["preferred_name"])
    for first in (given, preferred):  # Katherine Lee who goes by Kathy is "Kathy Lee" too
        if first and family:
            keys |= {"".join(first + family), "".join(family + first)}
    for field in ("native_name", "latin_name"):
        text = fields[field]
        for name in han_names(text):
            if not pinyin:
                # The whole name as written, kana and Hangul too (山田さくら; 佐々木健): not its kanji alone.
                keys.add(written_whole(text))
            elif len(run := name.run) > 1:
                family_name, given_name = name.family, name.given
                given_py = "".join(pinyin_syllables(given_name, tones=False))
                family_py = "".join(family_pinyin(family_name, tones=False))
                # Both orders, as a Latin name's: "yinghua zhang" (or "yinghuazhang") is 张英华's whole name, not a
                # part of it (a part ranks below: crm.lookup.search.scores.PART_OF_NAME).
                keys |= {run, *u_umlaut_spellings(family_py + given_py), *u_umlaut_spellings(given_py + family_py)}
        words = latin_words(text)
        if len(words) > 1:
            keys.add("".join(words))
    return frozenset(fit(key) for key in keys if len(key) > 1)


def _name_terms(fields: dict[str, str], pinyin: bool) -> tuple[set[str], set[str]]:
    terms: set[str] = set()
    words_for_phonetic: set[str] = set()
    for field in NAME_FIELDS:
        text = fields[field]
        if not text:
            continue
        for name in _han_names_in(fields, field):
            terms |= _han_terms(name, pinyin)
        variants = {word for word in latin_word_variants(text) if len(word) > 1}
        terms |= variants
        words_for_phonetic |= variants
        words = latin_words(text)
        if len(words) > 1:
            terms.add("".join(words))
    given, family = latin_words(fields["given_name"]), latin_words(fields["family_name"])
    if given and family:
        terms |= {"".join(given + family), "".join(family + given)}
    return {term for term in terms if term}, words_for_phonetic


def customer_terms(customer: Customer) -> frozenset[tuple[str, int]]:
    """The guest's search terms, with their PREFIX rows."""
    names = names_of(customer)
    terms = names.term_kinds | names.prefixes
    if customer.email:
        email = customer.email.lower()
        email_terms = {
            (fit(EMAIL_SIGIL + email), TermKind.EMAIL),
            (fit(EMAIL_SIGIL + email.split("@")[0]), TermKind.EMAIL_LOCAL),
        }
        terms |= email_terms | prefix_keys(email_terms)
    if customer.phone:
        terms |= {(PHONE_SIGIL + digits(customer.phone)[::-1], TermKind.PHONE)}
    if customer.birthday_month and customer.birthday_day:
        month, day = customer.birthday_month, customer.birthday_day
        terms |= {(birthday_term(name, month, day), TermKind.NAME_BIRTHDAY) for name in names.whole}
    return terms


def birthday_term(name: str, month: int, day: int) -> str:
    """A full-name term with a birthday's month and day (=3-14 zhangwei): the guests of that name born that day
    are one index probe, where reading every namesake's birthday grew with the guests of a common name (an import's
    matching, crm.imports.matching). The year is left out (a birthday's year may be unknown on either side): the
    few guests found are compared by it. Migration 0030 writes the same rows in SQL: change both together."""
    return fit(f"{BIRTHDAY_SIGIL}{month}-{day} {name}")


def prefix_keys(terms: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """The PREFIX rows of these terms: "^" + each name term's first 1 to PREFIX_KEYS characters, shorter than the
    term (zhangwei → ^z, ^zh, ^zha, ^zhan; 王芳 → ^王); an email's sigil and then 2 to PREFIX_KEYS characters (@ab,
    @abc, @abcd).
    Migrations 0024 (one to three) and 0033 (four) write the same rows in SQL: change them together."""
    keys = set()
    for term, kind in terms:
        sigil = PREFIXED_KINDS.get(kind)
        if sigil is None:
            continue
        for length in range(1 + sigil, min(PREFIX_KEYS, len(term) - 1 - sigil) + 1):
            keys.add((PREFIX_SIGIL + term[: sigil + length], TermKind.PREFIX))
    return keys


def is_prefix_key(prefix: str) -> bool:
    """Whether the lookup finds a prefix's holders by its PREFIX rows (prefix_keys) rather than by a range."""
    sigil = 1 if prefix.startswith(EMAIL_SIGIL) else 0
    if prefix[:1] in (PHONETIC_SIGIL, PHONE_SIGIL, PREFIX_SIGIL):
        return False
    return 1 + sigil <= len(prefix) - sigil <= PREFIX_KEYS
