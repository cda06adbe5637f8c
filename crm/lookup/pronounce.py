"""How to say a Han-character name: pinyin with tone marks, family name first."""

from __future__ import annotations

from crm.lookup.normalize import family_pinyin, han_names, is_japanese_or_korean, pinyin_syllables


def han_name_pinyin(name: str, *, language: str = "") -> str:
    """张伟 → "Zhāng Wěi", 曾志伟 → "Zēng Zhìwěi" (surname reading), 欧阳娜娜 → "Ōuyáng Nànà".

    "" for names without Han characters, and for Japanese or Korean names (kanji are not read in pinyin).
    """
    if language.startswith(("ja", "ko")) or is_japanese_or_korean(name):
        return ""
    names = han_names(name)
    if not names:
        return ""
    family, given = names[0].family, names[0].given
    parts = ["".join(family_pinyin(family, tones=True)), "".join(pinyin_syllables(given, tones=True))]
    parts += ["".join(pinyin_syllables(other.run, tones=True)) for other in names[1:]]
    return " ".join(part[:1].upper() + part[1:] for part in parts if part)
