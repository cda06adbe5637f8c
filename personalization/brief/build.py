"""The brief builder: one customer, their preferences, issues and the place's tips → the sections of API.md."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm import languages
from crm.models import ContactKind, Customer, Issue, IssueStatus, Organization, Preference, RecoveryStep
from crm.models.tenancy import zone_named
from crm.partial_dates import celebrated_on
from crm.time_phrases import time_ago
from personalization.brief import inputs
from personalization.brief.inputs import BriefInputs
from personalization.brief.ranking import needs_reconfirmation, relevance
from personalization.gifts.services import delights_suggest
from personalization.models import Tip

MAX_RECALL = 5
MAX_TIPS = 2
# An arrival without a departure logged after it is the stay in progress for this long at most (a
# departure that was never logged must not make next season's visit "the same visit").
STAY_MAX_DAYS = 30


class Pronunciation(TypedDict):
    respelling: str
    pinyin: str
    note: str


class Greet(TypedDict):
    text: str
    name: str
    salutation: str
    pronunciation: Pronunciation
    visit_count: int
    last_seen: datetime | None
    occasion: str | None  # "birthday" | "anniversary" today at the property, else None
    visit_number: int  # this visit's number, counted once whether its arrival is logged or not
    previous_visit: datetime | None  # when the visit before this one was, if known
    stay: StayOfGreet | None  # the stay going on today at this property, as the PMS told it


class StayOfGreet(TypedDict):
    arrival: date
    departure: date
    nights: int
    room: str


class Occasion:
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"


class SafetyItem(TypedDict):
    preference_id: int
    category: str
    text: str
    polarity: str


class RecallItem(TypedDict):
    preference_id: int
    category: str
    text: str
    polarity: str
    source: str
    times_confirmed: int
    last_confirmed_at: datetime
    needs_reconfirmation: bool


class RepairItem(TypedDict):
    issue_id: int
    summary: str
    status: str
    severity: str
    next_step: str
    steps_done: list[str]


class DelightItem(TypedDict):
    delight_id: int
    rule_id: int
    gift: str
    reason: str
    cost: str
    status: str
    needs_approval: bool
    budget_left: str | None


class Brief(TypedDict):
    customer: dict
    greet: Greet
    safety: list[SafetyItem]
    recall: list[RecallItem]
    repair: list[RepairItem]
    delight: list[DelightItem]
    tips: list[dict]
    close: dict


def visit_in_progress(
    kind: str, at: datetime, *, departed_at: datetime | None, now: datetime, zone: ZoneInfo, contact_kind: str | None
) -> bool:
    """Whether the guest's latest logged visit (kind, at) is the visit now under way: not followed by a
    departure, and on the same day at the place, or an arrival of a stay still going on (unless the desk is
    greeting a new arrival)."""
    if departed_at is not None and departed_at >= at:
        return False
    if at.astimezone(zone).date() >= now.astimezone(zone).date():
        return True
    staying = kind == ContactKind.ARRIVAL and now - at < timedelta(days=STAY_MAX_DAYS)
    return staying and contact_kind != ContactKind.ARRIVAL


def visit_of(
    customer: Customer,
    visits: tuple[tuple[str, datetime], ...],
    *,
    departed_at: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    contact_kind: str | None = None,
) -> tuple[int, datetime | None]:
    """(this visit's number, when the visit before it was): the current visit is counted once, whether its
    arrival is logged yet or not. visits: the two latest arrival/visit contacts, newest first. A count
    imported without contacts falls back to last_seen."""
    if visits and visit_in_progress(*visits[0], departed_at=departed_at, now=now, zone=zone, contact_kind=contact_kind):
        return max(customer.visit_count, 1), visits[1][1] if len(visits) > 1 else None
    previous = visits[0][1] if visits else (customer.last_seen if customer.visit_count else None)
    return customer.visit_count + 1, previous


def occasion_of(customer: Customer, today) -> str | None:
    """birthday or anniversary when one is celebrated today (29 February on 28 February), else None."""
    days = celebrated_on(today)
    for occasion, when in ((Occasion.BIRTHDAY, customer.birthday), (Occasion.ANNIVERSARY, customer.anniversary)):
        if when is not None and (when.month, when.day) in days:
            return occasion
    return None


def greeting_text(
    name: str, *, number: int, previous: datetime | None, occasion: str | None, now, zone, nights: int | None = None
) -> str:
    """The words to greet with, in the active language: the occasion, welcome (back), this visit's number
    and when the one before it was (crm.time_phrases), and the stay's nights when a PMS told us of it."""
    sentences = []
    if occasion == Occasion.BIRTHDAY:
        sentences.append(_("Happy birthday, %(name)s!") % {"name": name})
    elif occasion == Occasion.ANNIVERSARY:
        sentences.append(_("Happy anniversary, %(name)s!") % {"name": name})
    if number <= 1:
        sentences.append(_("Welcome!") if occasion else _("Welcome, %(name)s!") % {"name": name})
    else:
        sentences.append(_("Welcome back!") if occasion else _("Welcome back, %(name)s!") % {"name": name})
        if previous is not None:
            when = time_ago(previous, now, zone)
            sentences.append(_("Visit number %(number)s; last here %(when)s.") % {"number": number, "when": when})
        else:
            sentences.append(_("Visit number %(number)s.") % {"number": number})
    if nights:
        sentences.append(ngettext("One night with us.", "%(nights)s nights with us.", nights) % {"nights": nights})
    return languages.join_sentences(sentences, translation.get_language())


def _greet(customer: Customer, language: str, now: datetime, loaded: BriefInputs, contact_kind: str | None) -> Greet:
    name = customer.address_name(language)
    zone = zone_named(loaded.zone)
    number, previous = visit_of(
        customer, loaded.visits, departed_at=loaded.departed_at, now=now, zone=zone, contact_kind=contact_kind
    )
    occasion = occasion_of(customer, now.astimezone(zone).date())
    stay = loaded.stay
    with translation.override(language):
        text = greeting_text(
            name,
            number=number,
            previous=previous,
            occasion=occasion,
            now=now,
            zone=zone,
            nights=stay.nights if stay is not None else None,
        )
    return {
        "text": text,
        "name": name,
        "salutation": customer.salutation,
        "occasion": occasion,
        "pronunciation": {
            "respelling": customer.pronunciation,
            "pinyin": customer.pinyin,
            "note": customer.pronunciation_note,
        },
        "visit_count": customer.visit_count,
        "last_seen": customer.last_seen,
        "visit_number": number,
        "previous_visit": previous,
        "stay": None
        if stay is None
        else {"arrival": stay.arrival, "departure": stay.departure, "nights": stay.nights, "room": stay.room},
    }


def next_step(issue: Issue) -> str:
    """The next move of the L.E.A.S.T. / H.E.A.R.T. recovery sequence, in the staff's language."""
    summary = issue.summary
    if issue.status == IssueStatus.RESOLVED:
        return _("Ask whether “%(summary)s” is fixed to their satisfaction, and thank them for telling us.") % {
            "summary": summary
        }
    steps = {
        RecoveryStep.LISTEN: _("Listen: ask how “%(summary)s” affected their stay, and let them finish."),
        RecoveryStep.EMPATHIZE: _("Empathize: acknowledge how frustrating “%(summary)s” was."),
        RecoveryStep.APOLOGIZE: _("Apologize for “%(summary)s”, sincerely and without excuses."),
        RecoveryStep.SOLVE: _("Solve: agree on a fix for “%(summary)s” and say when it will be done."),
        RecoveryStep.THANK: _("Thank them for telling us about “%(summary)s”, then close the issue."),
    }
    done = set(issue.steps_done)
    step = next((s for s in RecoveryStep.values if s not in done), None)
    if step is None:
        return _("Every recovery step is done: resolve “%(summary)s” with what was agreed.") % {"summary": summary}
    return steps[step] % {"summary": summary}


def _tips(customer: Customer, preferences: list[Preference], tips: list[Tip]) -> list[dict]:
    """At most two tips (of this property or the whole organization) sharing the most interests with
    the guest: their tags and the categories of what they like."""
    interests = {t.lower() for t in customer.tags} | {p.category for p in preferences if p.polarity == "likes"}
    scored = []
    for tip in tips:
        shared = interests & {t.lower() for t in tip.tags}
        if shared:
            scored.append((-len(shared), tip.property_id is None, tip.pk, tip))
    return [{"text": tip.text, "tags": tip.tags} for *_, tip in sorted(scored)[:MAX_TIPS]]


def _delights(loaded: BriefInputs, property_id: int | None, now: datetime) -> list[DelightItem]:
    """What the gift rules suggest now, best first, each a recorded Delight staff can deliver."""
    items: list[DelightItem] = []
    for c in delights_suggest(
        customer=loaded.customer,
        property_id=property_id,
        preferences=loaded.preferences,
        issues=loaded.issues,
        now=now,
        rules=loaded.rules,
        today=now.astimezone(zone_named(loaded.zone)).date(),  # birthdays at the property
    ):
        budget = c.rule.monthly_budget
        items.append(
            {
                "delight_id": c.existing.id,
                "rule_id": c.rule.pk,
                "gift": c.gift,
                "reason": c.reason,
                "cost": f"{c.cost:.2f}",
                "status": c.existing.status,
                "needs_approval": c.needs_approval,
                "budget_left": None if budget is None else f"{budget - c.rule.spent_this_month:.2f}",
            }
        )
    return items


def brief_for(
    *,
    organization: Organization,
    customer_id: int,
    property_id: int | None = None,
    contact_kind: str | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    then: list[str] | None = None,
) -> Brief:
    """The brief of one of the organization's customers at one contact (Customer.DoesNotExist for
    another's): one query reads everything it needs (personalization.brief.inputs). zone: the property's,
    when the caller has it (the staff member's property); which gift rules are live is asked for the day there.
    then: statements sent with that read, in the same round trip (the view's access record, inputs.load)."""
    now = now or timezone.now()
    loaded = inputs.load(
        organization=organization, customer_id=customer_id, property_id=property_id, now=now, zone=zone, then=then
    )
    return build_brief(loaded, property_id=property_id, contact_kind=contact_kind, now=now)


def build_brief(
    loaded: BriefInputs, *, property_id: int | None = None, contact_kind: str | None = None, now: datetime
) -> Brief:
    """The sections of the brief from what inputs.load read; the delight section records what the gift
    rules newly suggest (one insert, only when there is something new)."""
    customer, preferences, issues = loaded.customer, loaded.preferences, loaded.issues
    language = customer.message_language()
    safety = [p for p in preferences if p.safety_critical]
    others = sorted(
        (p for p in preferences if not p.safety_critical),
        key=lambda p: relevance(p, contact_kind=contact_kind, property_id=property_id, now=now),
        reverse=True,
    )[:MAX_RECALL]
    open_issues = [i for i in issues if i.status != IssueStatus.RESOLVED]
    tips = _tips(customer, preferences, loaded.tips)
    delights = _delights(loaded, property_id, now)
    name = customer.address_name(language)
    with translation.override(language):
        sentences = [_("Thank you, %(name)s. We look forward to seeing you again.") % {"name": name}]
        if open_issues:
            # Said to the guest: their issue in words they may hear (its guest summary), never the internal one.
            words = open_issues[0].guest_words
            sentences.append(
                _("We will follow up on “%(summary)s”.") % {"summary": words}
                if words
                else _("We will follow up on what went wrong.")
            )
    close = languages.join_sentences(sentences, language)
    return {
        "customer": {"id": customer.pk, "display_name": customer.display_name, "language": language},
        "greet": _greet(customer, language, now, loaded, contact_kind),
        "safety": [
            {"preference_id": p.pk, "category": p.category, "text": p.text, "polarity": p.polarity} for p in safety
        ],
        "recall": [
            {
                "preference_id": p.pk,
                "category": p.category,
                "text": p.text,
                "polarity": p.polarity,
                "source": p.source,
                "times_confirmed": p.times_confirmed,
                "last_confirmed_at": p.last_confirmed_at,
                "needs_reconfirmation": needs_reconfirmation(p.last_confirmed_at, now),
            }
            for p in others
        ],
        "repair": [
            {
                "issue_id": i.pk,
                "summary": i.summary,
                "status": i.status,
                "severity": i.severity,
                "next_step": next_step(i),
                "steps_done": i.steps_done,
            }
            for i in issues
        ],
        "delight": delights,
        "tips": tips,
        "close": {"text": close},
    }
