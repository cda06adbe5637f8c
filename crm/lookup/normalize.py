"""Text → comparable keys: Han script, pinyin, folded Latin, phonetic codes."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jellyfish
import opencc
from anyascii import anyascii
from pypinyin import Style, lazy_pinyin

DATA = Path(__file__).resolve().parent / "data"
# Han characters, 々 (the mark repeating one: 佐々木) among them; kana; Hangul.
_HAN = r"\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA, _HANGUL = r"\u3040-\u30ff\u31f0-\u31ff", r"\uac00-\ud7af\u1100-\u11ff"
HAN, HAN_RUN = re.compile(f"[{_HAN}]"), re.compile(f"[{_HAN}]+")
KANA, HANGUL = re.compile(f"[{_KANA}]"), re.compile(f"[{_HANGUL}]")
KANA_OR_HANGUL = re.compile(f"[{_KANA}{_HANGUL}]")
# Letters that German (and Nordic) names spell two ways: Müller = Mueller.
DIGRAPHS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ø": "oe"})
APOSTROPHES = re.compile(r"['’`ʼ‘]")
NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_TERM_LENGTH = 100
# Distinct name parts remembered (a surname, a given name, one word): pypinyin costs ~40 µs per name and a
# guest list repeats its surnames and given names; a few megabytes at most.
PART_CACHE = 20_000

_to_simplified = opencc.OpenCC("t2s")
_to_traditional = opencc.OpenCC("s2t")


def has_han(text: str) -> bool:
    return bool(HAN.search(text))


def is_japanese_or_korean(text: str) -> bool:
    return bool(KANA_OR_HANGUL.search(text))


def simplified(text: str) -> str:
    """Traditional → simplified Han (張偉 → 张伟); other characters unchanged."""
    return _to_simplified.convert(text) if has_han(text) else text


def traditional(text: str) -> str:
    """Simplified → traditional Han (张伟 → 張偉), only to tell which script a name was typed in, never to show."""
    return _to_traditional.convert(text) if has_han(text) else text


def han_runs(text: str) -> list[str]:
    """The Han parts of a text, simplified, spaces removed: "張 偉 David" → ["张伟"]."""
    return [name.run for name in han_names(text)]


@dataclass(frozen=True, slots=True)
class HanName:
    run: str  # simplified, spaces removed
    family: str
    given: str


_CJK = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
_HAN_SPACED = re.compile(f"{HAN_RUN.pattern}(?:[ \u3000]+{HAN_RUN.pattern})*")
_SPACES = re.compile("[ \u3000]+")


def han_names(text: str, part: str = "") -> tuple[HanName, ...]:
    """The Han names of a text, simplified, each split into family and given name: in a field holding one part of a
    name (part: "family" or "given"), that part whole (田中, 欧阳 in the family name's field); where it was written
    with one space, there (田中 直樹 → 田中 + 直树: a Japanese name, whose family name no list of Chinese surnames
    knows; 歐陽 娜娜 → 欧阳 + 娜娜); beside kana or Hangul, one part whole — the family name when the text starts with
    it (山田 さくら, 山田さくら), else the given name (さくら子); else after its Chinese surname (split_family_name:
    张伟 → 张 + 伟)."""
    return _han_names(text, part)


# Remembered per text, as the name parts below: a guest's names are read by the matching, the derived fields and
# the search terms, several fields each, and a list repeats its names (~95,000 calls for 20,000 imported rows,
# each converting with OpenCC).
@lru_cache(maxsize=PART_CACHE)
def _han_names(text: str, part: str) -> tuple[HanName, ...]:
    names = []
    written_text = simplified(text).strip()
    for written in _HAN_SPACED.findall(written_text):
        parts = _SPACES.split(written)
        run = "".join(parts)
        if part and len(parts) == 1:
            family, given = (run, "") if part == "family" else ("", run)
        elif len(parts) == 2:
            family, given = parts
        elif is_japanese_or_korean(text):
            family, given = (run, "") if written_text.startswith(written) else ("", run)
        else:
            family, given = split_family_name(run)
        names.append(HanName(run, family, given))
    return tuple(names)


def han_family_name(text: str, part: str = "") -> str:
    """The family name of a Han name written family first, in the script it was written in: 陳靜 → 陳,
    歐陽娜娜 → 歐陽, 田中 直樹 → 田中; a family name's own field (part "family") is one whole (歐陽, 田中). The surname
    is recognized on the simplified form (han_names); the characters shown are the text's."""
    runs = HAN_RUN.findall(text.replace(" ", "").replace("\u3000", ""))
    if not runs:
        return ""
    return runs[0][: len(han_names(text, part)[0].family)]


def written_whole(text: str) -> str:
    """A Japanese or Korean name as one key: its Han, kana and Hangul characters, simplified, nothing between them
    (山田 さくら → 山田さくら; "佐々木 健 Ken" → 佐々木健). The search terms' full name of a name not read in pinyin
    (crm.lookup.terms), and what a query holding kana or Hangul is looked up by; "" without a Han character."""
    characters = simplified(text)
    return "".join(_CJK.findall(characters)) if HAN.search(characters) else ""


def latin_words(text: str) -> list[str]:
    """ASCII-folded lowercase words of the non-Han part: "José O'Connor-Smith" → ["jose", "oconnor", "smith"]."""
    return list(_latin_words(text))


@lru_cache(maxsize=PART_CACHE)
def _latin_words(text: str) -> tuple[str, ...]:
    text = HAN_RUN.sub(" ", unicodedata.normalize("NFKC", text))
    text = APOSTROPHES.sub("", anyascii(text).lower())
    return tuple(word for word in NOT_WORD.split(text) if word)


def latin_word_variants(text: str) -> set[str]:
    """Every folded spelling of each word: plain (muller), digraph (mueller), split at apostrophes (connor)."""
    variants = set(latin_words(text)) | set(latin_words(text.translate(DIGRAPHS)))
    for part in APOSTROPHES.split(unicodedata.normalize("NFKC", text)):
        variants |= set(latin_words(part))
    for word in list(variants):
        # Typed without the umlaut but spelled with the digraph: Mueller → muller too.
        collapsed = word.replace("ae", "a").replace("oe", "o").replace("ue", "u")
        if collapsed != word and len(collapsed) >= 3:
            variants.add(collapsed)
    return variants


def phonetic(word: str) -> str:
    """Metaphone code of one folded word ("katherine" and "kathrine" → "K0RN"); "" when too short."""
    return jellyfish.metaphone(word) if len(word) >= 3 and word.isalpha() else ""


@cache
def surname_readings() -> dict[str, str]:
    """Family-name readings that differ from the usual reading, longest names first (曾 → zēng)."""
    with open(DATA / "surnames.csv", encoding="utf-8") as handle:
        rows = {row["surname"]: row["reading"] for row in csv.DictReader(handle)}
    return dict(sorted(rows.items(), key=lambda item: -len(item[0])))


@lru_cache(maxsize=PART_CACHE)
def split_family_name(han: str) -> tuple[str, str]:
    """(family, given) of a Han name written family first: 欧阳娜娜 → (欧阳, 娜娜), 张伟 → (张, 伟)."""
    for surname in surname_readings():
        if len(surname) > 1 and han.startswith(surname) and len(han) > len(surname):
            return surname, han[len(surname) :]
    return han[:1], han[1:]


def pinyin_syllables(han: str, *, tones: bool) -> list[str]:
    return list(_pinyin(han, tones))


@lru_cache(maxsize=PART_CACHE)
def _pinyin(han: str, tones: bool) -> tuple[str, ...]:
    style = Style.TONE if tones else Style.NORMAL
    return tuple(lazy_pinyin(han, style=style, errors="ignore", v_to_u=tones))


def family_pinyin(family: str, *, tones: bool) -> list[str]:
    """The family name's syllables, with its surname reading when it has one."""
    reading = surname_readings().get(family)
    if reading is None:
        return pinyin_syllables(family, tones=tones)
    syllables = reading.split()
    return syllables if tones else [fold_tones(s) for s in syllables]


def fold_tones(syllable: str) -> str:
    return anyascii(syllable).lower()


# Pinyin's tone marks as combining characters (NFD), and the digit pypinyin's Style.TONE2 writes after the
# marked vowel: zhāng → zha1ng. ü is written v, as pypinyin writes it (lǚ → lv3).
TONE_DIGITS = {"\u0304": "1", "\u0301": "2", "\u030c": "3", "\u0300": "4"}
DIAERESIS = "\u0308"
NOT_TONE_KEY = re.compile(r"[^a-z0-9]+")


def tone_key(text: str) -> str:
    """Pinyin with tone marks → one key that keeps the tones: "Zhāng Wěi" → zha1ngwe3i, "Lǚ" → lv3.

    The index gets it from pypinyin's own marks (pinyin_syllables(tones=True)) and a query from what was
    typed, through this one function, so both sides agree. Untoned letters pass as they are."""
    out = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if char == DIAERESIS and out and out[-1] == "u":
            out[-1] = "v"
        else:
            out.append(TONE_DIGITS.get(char, char))
    return NOT_TONE_KEY.sub("", "".join(out))


def has_tone_marks(text: str) -> bool:
    """Whether a text carries a pinyin tone mark (ā á ǎ à, and ǖ ǘ ǚ ǜ)."""
    return any(char in TONE_DIGITS for char in unicodedata.normalize("NFD", text))


def u_umlaut_spellings(reading: str) -> set[str]:
    """The ways people type a toneless pinyin ü (pypinyin writes v): lv → lv, lu, lyu (吕); nv → nv, nu, nyu (女).

    Pinyin has no other v, so only readings with ü get more than themselves."""
    if "v" not in reading:
        return {reading}
    return {reading, reading.replace("v", "u"), reading.replace("v", "yu")}


def fit(term: str) -> str:
    return term[:MAX_TERM_LENGTH]


# Courtesy titles typed with a name ("Mr Zhang", "Mrs. Smith", "Dr.Lee", "Frau Dr. Schmidt", 张先生, 陈小姐, 田中様,
# 김민준 씨): how the desk speaks of a guest, not a word of any guest's name. Dropped when a name remains, so that
# the name alone is looked up: 张先生 finds the guests of the family name 张, where the whole text as a name found
# nobody. A Latin title only at the start (Michael Herr is a name); a generation after a name ("John Smith Jr.");
# a Han, kana or Hangul title at a word's end or as a word. Alone, a title is what was typed.
TITLE_WORDS = (  # noqa: SIM905 - a list of words, read as one
    "mr mrs ms miss mx mister dr prof sir madam madame mme mlle mdm monsieur herr frau lady rev"
    " senor señor senora señora senorita señorita sr sra srta signor signora"
).split()
GENERATIONS = ("jr", "sr", "ii", "iii", "iv")
TITLE_ENDINGS = ("先生", "女士", "小姐", "太太", "夫人", "老师", "老師", "さん", "さま", "様", "氏", "씨", "님")
_LEADING_TITLES = re.compile(
    rf"^(?:(?:{'|'.join(sorted(TITLE_WORDS, key=len, reverse=True))})(?:\.|(?=[\s,]))[\s.,]*)+", re.IGNORECASE
)
_GENERATION = re.compile(rf"[\s,]+(?:{'|'.join(GENERATIONS)})\.?$", re.IGNORECASE)
_TITLE_ENDING = re.compile(rf"(?:{'|'.join(TITLE_ENDINGS)})(?=\s|$)")
_LETTER = re.compile(r"[^\W\d_]")


def without_titles(text: str) -> str:
    """The text without the courtesy titles typed with a name (see TITLE_WORDS), when a name remains; an email, or a
    text without a title, as typed."""
    if "@" in text:
        return text
    name = _TITLE_ENDING.sub("", _GENERATION.sub("", _LEADING_TITLES.sub("", text))).strip(" ,")
    return " ".join(name.split()) if name != text and _LETTER.search(name) else text
