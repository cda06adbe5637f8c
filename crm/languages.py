"""Which of Rapport's languages a guest is written to, and which voice says their name: one mapping
from the BCP 47 tag stored on the customer (``Customer.language``, e.g. "zh-Hant-TW", "fr-CA").

Rapport writes to guests in English, Simplified or Traditional Chinese (its message catalogs). A
Chinese tag with the Hant script, or of Taiwan, Hong Kong or Macau without a script, is Traditional;
any other Chinese tag (zh, zh-Hans-*, zh-CN, zh-SG) Simplified; Cantonese (yue) Traditional; anything
else English — properties have no language of their own, so there is no other fallback.
"""

from __future__ import annotations

from crm.lookup.normalize import HANGUL, KANA, has_han, simplified, traditional

ENGLISH, SIMPLIFIED, TRADITIONAL = "en", "zh-hans", "zh-hant"
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})
# The browser voice that reads a Han name (in pinyin, Mandarin) for a guest written to in this language.
HAN_NAME_VOICES = {SIMPLIFIED: "zh-CN", TRADITIONAL: "zh-TW", ENGLISH: "zh-CN"}


def message_language(tag: str | None) -> str:
    """en, zh-hans or zh-hant for a BCP 47 tag (any case, "-" or "_")."""
    subtags = (tag or "").strip().lower().replace("_", "-").split("-")
    if subtags[0] == "yue":
        return TRADITIONAL
    if subtags[0] != "zh":
        return ENGLISH
    if "hant" in subtags:
        return TRADITIONAL
    if "hans" in subtags:
        return SIMPLIFIED
    return TRADITIONAL if TRADITIONAL_REGIONS.intersection(subtags[1:]) else SIMPLIFIED


def written_in(text: str) -> str | None:
    """The language a name's characters tell: ko for Hangul, ja for kana, zh-hant for a Han character written so
    only in Traditional (陳), zh-hans for one written so only in Simplified (陈); None when they do not tell (王芳,
    the same in both scripts; Latin letters). A Japanese name in kanji alone reads as Chinese."""
    if HANGUL.search(text):
        return "ko"
    if KANA.search(text):
        return "ja"
    if not has_han(text):
        return None
    if simplified(text) != text:
        return TRADITIONAL
    return SIMPLIFIED if traditional(text) != text else None


def language_of_names(names: list[str], *, country: str = "") -> str | None:
    """The language a guest who came without one most likely reads (a guest list with no language column): what
    their names' characters tell (written_in), and for a Han name the same in both scripts the property's
    country's Chinese (TW, HK, MO: Traditional; elsewhere Simplified). None for a name in Latin letters only: the
    model's default (English) stands, as for a guest typed in."""
    text = "".join(names)
    told = written_in(text)
    if told or not has_han(text):
        return told
    return TRADITIONAL if (country or "").lower() in TRADITIONAL_REGIONS else SIMPLIFIED


def speech_voice(tag: str | None, *, han_name: bool) -> str:
    """The BCP 47 voice for the "say it" button: a Han name in Mandarin (zh-TW voice for a guest written
    to in Traditional), any other name in the guest's own language."""
    if han_name:
        return HAN_NAME_VOICES[message_language(tag)]
    return (tag or "").strip() or ENGLISH


def join_sentences(sentences: list[str], language: str) -> str:
    """Sentences one after another as the language writes them: a space in English, none in Chinese
    (“…光临。我们会跟进…”, not “…光临。 我们…”)."""
    return ("" if language in (SIMPLIFIED, TRADITIONAL) else " ").join(s for s in sentences if s)
