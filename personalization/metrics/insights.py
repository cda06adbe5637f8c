"""What to change: where the dashboard tells a manager to look, each finding with the rows behind it.

- **Drops**: the periods, and the properties, whose recognition (greeted_by_name_rate) or CSAT (csat_average) fell
  against the period before (figures from personalization.metrics.selectors.metrics_for, never recomputed here).
- **Recurring themes** of the issues opened in the range. Issues have no category in Rapport (crm.models.Issue:
  summary, severity, status), so a theme is a word of their summaries that recurs: English words (lower case, a
  plural's "s" kept) less stop words; Chinese cut into words by **jieba** (pinned in pyproject.toml; its default
  dictionary, which cuts Traditional as well as Simplified text), words of two characters or more less stop words,
  and counted under their Simplified form (OpenCC, crm.lookup.normalize.simplified) so 冷氣 and 冷气 are one theme.
  Each word counts once per issue; a theme recurs when at least two issues share it.
- **Complaints resolved but never followed up**: resolved issues whose follow-up (the email or the desk's call-back
  task) was not sent or done once its wait was over, and whose guest had no contact since the resolution.
- **Low scores nobody answered**: survey answers of 1 or 2 after which the guest had no contact and none of their
  issues was opened or changed.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from crm.lookup.normalize import simplified
from crm.models import Contact, Issue, IssueStatus
from personalization.metrics.drilldown import Period, answers_of, issues_opened_in
from personalization.models import Feedback, Touch, TouchKind, TouchStatus

MIN_RECURRENCE = 2  # issues sharing a word before it is a theme
THEMES_SHOWN = 8
LOW_SCORE = 2  # an answer of 1 or 2 out of 5 is low


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH_STOP_WORDS = _words(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other
    our out over own same she should so some such than that the their them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you your
    also got get still guest guests room asked said told"""
)
CHINESE_STOP_WORDS = _words(
    """的 了 是 在 和 与 也 就 都 很 太 有 没有 没 不 被 把 给 对 我们 我 你 他 她 它 他们 这 那 这个 那个 一个
    还 又 再 而且 但是 因为 所以 时候 客人 房间"""
)
_LATIN_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_segmenter = None


def _cut(text: str) -> list[str]:
    """jieba's words of a Chinese text (its dictionary is loaded once, on the first call: about 0.7 s)."""
    global _segmenter  # noqa: PLW0603 — one segmenter per process, loaded on first use
    if _segmenter is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _segmenter = jieba
    return list(_segmenter.cut(text))


def theme_words(summary: str) -> set[str]:
    """The theme words of one issue summary (see the module's docstring), each once."""
    words = {
        word.strip("'’-")
        for word in _LATIN_WORD.findall(summary.lower())
        if len(word) > 2 and not word.isdigit() and word.strip("'’-") not in ENGLISH_STOP_WORDS
    }
    if _HAN.search(summary):
        for word in _cut(summary):
            word = simplified(word.strip())
            if len(word) >= 2 and _HAN.search(word) and word not in CHINESE_STOP_WORDS:
                words.add(word)
    return {word for word in words if word}


@dataclass
class Theme:
    word: str
    issues: int


def recurring_themes(period: Period, *, limit: int = THEMES_SHOWN) -> list[Theme]:
    """The words that recur in the summaries of the issues opened in the period, most issues first."""
    counts: Counter = Counter()
    for summary in issues_opened_in(period).values_list("summary", flat=True):
        counts.update(theme_words(summary))
    recurring = [(word, n) for word, n in counts.items() if n >= MIN_RECURRENCE]
    recurring.sort(key=lambda item: (-item[1], item[0]))
    return [Theme(word, n) for word, n in recurring[:limit]]


def issues_of_theme(period: Period, *, word: str) -> list[Issue]:
    """The issues opened in the period whose summary has the theme word (the same words recurring_themes counts)."""
    wanted = simplified(word.strip().lower())
    return [issue for issue in issues_opened_in(period) if wanted in theme_words(issue.summary)]


@dataclass
class Drop:
    """A figure lower than in the period before: which figure, where (a property or None: the whole
    organization), the period (start, end) and the one before it, and both values."""

    figure: str  # "greeted_by_name_rate" or "csat_average"
    property_id: int | None
    property_name: str
    start: date
    end: date
    before: float
    now: float
    previous_start: date | None = None
    previous_end: date | None = None
    extra: dict = field(default_factory=dict)


WATCHED = ("greeted_by_name_rate", "csat_average")


def drops_between(periods: list[dict], *, property_id: int | None, property_name: str) -> list[Drop]:
    """The watched figures that fell from each period to the next (both known: a period without contacts or
    answers has no rate to compare)."""
    found = []
    for before, now in zip(periods, periods[1:], strict=False):
        for figure in WATCHED:
            if before[figure] is not None and now[figure] is not None and now[figure] < before[figure]:
                found.append(
                    Drop(
                        figure=figure,
                        property_id=property_id,
                        property_name=property_name,
                        start=date.fromisoformat(now["start"]),
                        end=date.fromisoformat(now["end"]),
                        before=before[figure],
                        now=now[figure],
                        previous_start=date.fromisoformat(before["start"]),
                        previous_end=date.fromisoformat(before["end"]),
                    )
                )
    return found


def resolved_not_followed_up(period: Period, *, now: datetime) -> QuerySet[Issue]:
    """Issues resolved on the period's days, still resolved (or closed), whose follow-up was not sent or done
    although its wait (RAPPORT_FOLLOW_UP_DELAY_HOURS) is over, and whose guest has had no contact since: a complaint
    nobody went back to. Oldest resolution first."""
    followed = Touch.objects.filter(
        issue=OuterRef("pk"),
        kind__in=[TouchKind.ISSUE_FOLLOW_UP, TouchKind.STAFF_TASK],
        status__in=[TouchStatus.SENT, TouchStatus.DONE],
    )
    seen_since = Contact.objects.filter(customer=OuterRef("customer"), occurred_at__gt=OuterRef("resolved_at"))
    wait_over = now - timedelta(hours=settings.RAPPORT_FOLLOW_UP_DELAY_HOURS)
    resolved = Issue.objects.filter(status__in=[IssueStatus.RESOLVED, IssueStatus.CLOSED], resolved_at__lte=wait_over)
    return (
        period.rows(resolved, "resolved_at")
        .filter(~Exists(followed), ~Exists(seen_since))
        .select_related("customer", "property")
        .order_by("resolved_at", "pk")
    )


def low_scores_unanswered(period: Period) -> QuerySet[Feedback]:
    """Survey answers of 1 or 2 received on the period's days after which nobody went back to the guest: no contact
    since, and none of the guest's issues opened or changed since. Lowest first."""
    contacted = Contact.objects.filter(customer=OuterRef("customer"), occurred_at__gt=OuterRef("created_at"))
    issue_since = Issue.objects.filter(customer=OuterRef("customer")).filter(
        Q(opened_at__gt=OuterRef("created_at")) | Q(updated_at__gt=OuterRef("created_at"))
    )
    return answers_of(period).filter(score__lte=LOW_SCORE).filter(~Exists(contacted), ~Exists(issue_since))
