"""One rule each, tested once: which language a guest reads, which voice says their name, how they are
addressed, and when a yearly date is celebrated (29 February)."""

from __future__ import annotations

from datetime import date

import pytest

from crm.languages import language_of_names, message_language, speech_voice, written_in
from crm.models import Customer
from crm.partial_dates import celebrated_on, next_occurrence


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("zh-Hant-TW", "zh-hant"),
        ("zh-hant", "zh-hant"),
        ("zh-TW", "zh-hant"),
        ("zh_HK", "zh-hant"),
        ("zh-MO", "zh-hant"),
        ("yue", "zh-hant"),
        ("zh", "zh-hans"),
        ("zh-Hans-HK", "zh-hans"),  # the script wins over the region
        ("zh-CN", "zh-hans"),
        ("zh-SG", "zh-hans"),
        ("zh-hans", "zh-hans"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_every_bcp47_tag_maps_to_one_of_our_languages(tag, language):
    assert message_language(tag) == language


@pytest.mark.parametrize(
    ("names", "country", "told", "guessed"),
    [
        (["陳靜"], "CN", "zh-hant", "zh-hant"),  # 陳 is written so only in Traditional, wherever the hotel is
        (["陈静"], "TW", "zh-hans", "zh-hans"),
        (["王明"], "TW", None, "zh-hant"),  # the same in both scripts: the hotel's country's Chinese
        (["王明"], "HK", None, "zh-hant"),
        (["王明"], "CN", None, "zh-hans"),
        (["王明"], "", None, "zh-hans"),
        (["김지호"], "CN", "ko", "ko"),
        (["やまだ", "花子"], "", "ja", "ja"),
        (["Siobhán", "O'Connor"], "TW", None, None),  # Latin letters: the default stands
        (["", ""], "CN", None, None),
    ],
)
def test_the_script_of_a_name_tells_its_language_and_the_country_settles_a_han_name_the_same_in_both(
    names, country, told, guessed
):
    assert written_in("".join(names)) == told
    assert language_of_names(names, country=country) == guessed


def test_the_voice_reads_han_names_in_mandarin_in_the_guests_script_and_others_in_their_language():
    assert speech_voice("zh-Hant-TW", han_name=True) == "zh-TW"
    assert speech_voice("zh-CN", han_name=True) == "zh-CN"
    assert speech_voice("en", han_name=True) == "zh-CN"
    assert speech_voice("ga-IE", han_name=False) == "ga-IE"
    assert speech_voice("", han_name=False) == "en"


def guest(**fields) -> Customer:
    return Customer(**{"language": "en", **fields})


@pytest.mark.parametrize(
    ("fields", "language", "addressed"),
    [
        ({"preferred_name": "Kathy", "given_name": "Katherine", "salutation": "Ms"}, "en", "Kathy"),
        ({"given_name": "Siobhán", "family_name": "O'Connor", "salutation": "Ms"}, "en", "Ms O'Connor"),
        ({"given_name": "Siobhán", "family_name": "O'Connor"}, "en", "Siobhán"),
        (
            {"native_name": "陳靜", "family_name": "Chen", "given_name": "Jing", "salutation": "小姐"},
            "zh-hant",
            "陳小姐",
        ),
        ({"native_name": "陈静", "salutation": "小姐"}, "zh-hans", "陈小姐"),
        ({"native_name": "歐陽娜娜", "salutation": "女士"}, "zh-hant", "歐陽女士"),  # a two-character surname
        ({"native_name": "田中 直樹", "salutation": "先生"}, "zh-hant", "田中先生"),  # split where written
        ({"family_name": "田中", "given_name": "直樹", "salutation": "先生"}, "zh-hant", "田中先生"),  # its own field
        ({"family_name": "歐陽", "given_name": "娜娜", "salutation": "女士"}, "zh-hant", "歐陽女士"),
        ({"family_name": "王", "given_name": "芳", "salutation": "女士"}, "zh-hans", "王女士"),
        ({"native_name": "陳靜"}, "zh-hant", "陳靜"),  # no salutation: the whole name, as entered
        ({"native_name": "陳靜", "given_name": "Jing", "salutation": "小姐"}, "en", "Jing"),
    ],
)
def test_how_a_guest_is_addressed(fields, language, addressed):
    assert guest(**fields).address_name(language) == addressed


def test_the_default_address_is_in_the_guests_own_language():
    chen = guest(native_name="陳靜", family_name="Chen", given_name="Jing", salutation="小姐", language="zh-Hant-TW")
    assert chen.message_language() == "zh-hant"
    assert chen.address_name() == "陳小姐"
    assert chen.address_name("en") == "Jing"


@pytest.mark.parametrize(
    ("day", "pairs"),
    [
        (date(2027, 2, 28), [(2, 28), (2, 29)]),  # a common year: 29 February is celebrated on the 28th
        (date(2028, 2, 28), [(2, 28)]),
        (date(2028, 2, 29), [(2, 29)]),
        (date(2027, 3, 1), [(3, 1)]),
    ],
)
def test_which_dates_are_celebrated_on_a_day(day, pairs):
    assert celebrated_on(day) == pairs


def test_the_next_occurrence_of_29_february():
    assert next_occurrence(2, 29, date(2027, 1, 10)) == date(2027, 2, 28)
    assert next_occurrence(2, 29, date(2027, 3, 1)) == date(2028, 2, 29)
    assert next_occurrence(12, 31, date(2027, 12, 31)) == date(2027, 12, 31)  # today counts
