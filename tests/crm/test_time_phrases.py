"""Every "… ago" phrase Rapport says, in three languages: one function (crm.time_phrases.time_ago), one table."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from crm.time_phrases import time_ago

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)

# (then, English, 简体中文, 繁體中文): no space between a number and its Chinese word, 个月/個月 (not "7 月前",
# which reads "before July"), "just now" never.
TABLE = [
    (NOW - timedelta(hours=2), "earlier today", "今天早些时候", "今天稍早"),
    (NOW - timedelta(seconds=20), "earlier today", "今天早些时候", "今天稍早"),
    (datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI), "yesterday", "昨天", "昨天"),
    (NOW - timedelta(days=3), "3 days ago", "3天前", "3天前"),
    (NOW - timedelta(days=13), "13 days ago", "13天前", "13天前"),
    (NOW - timedelta(days=14), "2 weeks ago", "2周前", "2週前"),
    (NOW - timedelta(days=21), "3 weeks ago", "3周前", "3週前"),
    (NOW - timedelta(days=59), "8 weeks ago", "8周前", "8週前"),
    (datetime(2026, 9, 30, 12, tzinfo=SHANGHAI), "2 months ago", "2个月前", "2個月前"),
    (datetime(2026, 5, 1, 12, tzinfo=SHANGHAI), "7 months ago", "7个月前", "7個月前"),
    (datetime(2025, 12, 3, 12, tzinfo=SHANGHAI), "11 months ago", "11个月前", "11個月前"),
    (datetime(2025, 12, 2, 8, tzinfo=SHANGHAI), "1 year ago", "1年前", "1年前"),
    (datetime(2023, 6, 1, 8, tzinfo=SHANGHAI), "3 years ago", "3年前", "3年前"),
]


@pytest.mark.parametrize(("then", "en", "hans", "hant"), TABLE)
def test_every_time_phrase_in_three_languages(then, en, hans, hant):
    for language, expected in (("en", en), ("zh-hans", hans), ("zh-hant", hant)):
        with translation.override(language):
            assert time_ago(then, NOW, SHANGHAI) == expected, language


def test_days_are_counted_at_the_place_not_on_the_servers_clock():
    # 16:30 UTC on 1 December is 00:30 on 2 December in Shanghai: at a Shanghai desk at 09:00 it was earlier
    # today; on a UTC clock (now 01:00 on 2 December) it was yesterday.
    night = datetime(2026, 12, 1, 16, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("en"):
        assert time_ago(night, NOW, SHANGHAI) == "earlier today"
        assert time_ago(night, NOW, ZoneInfo("UTC")) == "yesterday"


def test_no_phrase_has_a_stray_space_or_a_bare_month_in_chinese():
    for then, *_ in TABLE:
        for language in ("zh-hans", "zh-hant"):
            with translation.override(language):
                phrase = time_ago(then, NOW, SHANGHAI)
            assert " " not in phrase and "\xa0" not in phrase
            assert "月前" not in phrase or "个月前" in phrase or "個月前" in phrase
