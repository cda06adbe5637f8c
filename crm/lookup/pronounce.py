"""How to say a Han-character name: pinyin with tone marks, family name first."""

from __future__ import annotations

from crm.lookup.normalize import family_pinyin, han_runs, is_japanese_or_korean, pinyin_syllables, split_family_name


def han_name_pinyin(name: str, *, language: str = "") -> str:
    """张伟 → "Zhāng Wěi", 曾志伟 → "Zēng Zhìwěi" (surname reading), 欧阳娜娜 → "Ōuyáng Nànà".

    "" for names without Han characters, and for Japanese or Korean names (kanji are not read in pinyin).
    """
    if language.startswith(("ja", "ko")) or is_japanese_or_korean(name):
        return ""
    runs = han_runs(name)
    if not runs:
        return ""
    family, given = split_family_name(runs[0])
    parts = ["".join(family_pinyin(family, tones=True)), "".join(pinyin_syllables(given, tones=True))]
    parts += ["".join(pinyin_syllables(run, tones=True)) for run in runs[1:]]
    return " ".join(part[:1].upper() + part[1:] for part in parts if part)
