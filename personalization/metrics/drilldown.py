"""The rows behind the dashboard's figures (drill-down), and what the dashboard reads at request time rather than
from the day counters: issues still open, tasks overdue, gift budgets, memory health, staff names.

Every read here is scoped to one organization, and every "rows of a period" read filters with ``in_local_days``:
the same days the counters use (personalization.metrics.figures: an event's day is the local day, in the zone of
the property where it happened, of the moment it happened; what happened at no property takes the default
property's zone), so a period's list holds exactly the rows its figure counted (less an erased guest's rows,
which are gone while their counts stay).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from crm.models import Contact, Issue, IssueStatus, Organization, Preference, Property, Severity, Staff
from crm.selectors import likely_duplicates
from personalization.brief.ranking import reconfirm_cutoff
from personalization.metrics.services.days import Zones
from personalization.models import Channel, Feedback, GiftRule, GiftSpend, Touch, TouchStatus


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def in_local_days(
    *, organization_id: int, property_id: int | None, start: date, end: date, field: str, property_field: str
) -> Q:
    """Rows whose moment `field` falls on a local day from start to end (inclusive) in the zone of their property
    (`property_field`): one property's, or every property's each in its own zone and those of no property in the
    default property's — the days the counters were written on."""
    zones = Zones(organization_id)

    def days_in(zone: ZoneInfo) -> Q:
        return Q(**{f"{field}__gte": _midnight(start, zone), f"{field}__lt": _midnight(end + timedelta(days=1), zone)})

    if property_id is not None:
        return Q(**{f"{property_field}_id": property_id}) & days_in(zones.of(property_id))
    where = Q(**{f"{property_field}__isnull": True}) & days_in(zones.of(None))
    for pk in Property.objects.filter(organization_id=organization_id).values_list("pk", flat=True):
        where |= Q(**{f"{property_field}_id": pk}) & days_in(zones.of(pk))
    return where


@dataclass(frozen=True)
class Period:
    """The local days from start to end (inclusive) of one organization, at one property or all (property_id None):
    what a drill-down reads."""

    organization: Organization
    property_id: int | None
    start: date
    end: date

    def rows(self, queryset: QuerySet, field: str, *, property_field: str = "property") -> QuerySet:
        """The queryset's rows of this organization's guests whose moment `field` falls on the period's days, each in
        its property's zone (in_local_days)."""
        days = in_local_days(
            organization_id=self.organization.pk,
            property_id=self.property_id,
            start=self.start,
            end=self.end,
            field=field,
            property_field=property_field,
        )
        return queryset.filter(customer__organization=self.organization).filter(days)


def answers_of(period: Period) -> QuerySet[Feedback]:
    """The survey answers received on the period's days (the rows of csat_average and csat_responses), lowest score
    first, then oldest."""
    answers = Feedback.objects.select_related("customer", "touch__property", "issue")
    return period.rows(answers, "created_at", property_field="touch__property").order_by("score", "created_at", "pk")


def issues_opened_in(period: Period) -> QuerySet[Issue]:
    """The issues opened on the period's days (the rows of issues_opened), newest first."""
    return period.rows(Issue.objects.select_related("customer", "property"), "opened_at").order_by("-opened_at", "-pk")


def issues_resolved_in(period: Period) -> QuerySet[Issue]:
    """The issues resolved on the period's days and resolved still (the rows of resolution_median_seconds: an issue
    resolved, reopened and resolved again counted each time, listed once, at its last resolution), quickest first."""
    resolved = Issue.objects.filter(resolved_at__isnull=False).select_related("customer", "property")
    return period.rows(resolved, "resolved_at").order_by(F("resolved_at") - F("opened_at"), "pk")


def contacts_in(period: Period) -> QuerySet[Contact]:
    """The contacts on the period's days (the rows of contacts and the recognition rates), newest first."""
    contacts = Contact.objects.select_related("customer", "property", "staff")
    return period.rows(contacts, "occurred_at").order_by("-occurred_at", "-pk")


# How old an open issue is, in days: the snapshot's columns (up to and including the first bound, …, older).
AGE_BOUNDS = (1, 7, 30)


@dataclass
class OpenIssues:
    """Issues open or in progress now, by severity and age."""

    by_severity: dict[str, list[int]]  # severity → count per age column (len(AGE_BOUNDS) + 1)
    total: int
    oldest: Issue | None


def open_issues_now(*, organization: Organization, property_id: int | None, now: datetime) -> OpenIssues:
    """The issues still open (open or in progress) at request time, counted by severity and by how long ago they
    were opened, and the oldest of them."""
    rows = Issue.objects.filter(
        customer__organization=organization, status__in=[IssueStatus.OPEN, IssueStatus.IN_PROGRESS]
    )
    if property_id is not None:
        rows = rows.filter(property_id=property_id)
    by_severity = {severity: [0] * (len(AGE_BOUNDS) + 1) for severity in Severity.values}
    total = 0
    for severity, opened_at in rows.values_list("severity", "opened_at"):
        age = (now - opened_at).total_seconds() / 86400
        column = next((i for i, bound in enumerate(AGE_BOUNDS) if age <= bound), len(AGE_BOUNDS))
        by_severity[severity][column] += 1
        total += 1
    oldest = rows.select_related("customer").order_by("opened_at", "pk").first()
    return OpenIssues(by_severity=by_severity, total=total, oldest=oldest)


def open_issues_list(*, organization: Organization, property_id: int | None) -> QuerySet[Issue]:
    """The issues still open, oldest first (the snapshot's rows)."""
    rows = Issue.objects.filter(
        customer__organization=organization, status__in=[IssueStatus.OPEN, IssueStatus.IN_PROGRESS]
    ).select_related("customer", "property")
    if property_id is not None:
        rows = rows.filter(property_id=property_id)
    return rows.order_by("opened_at", "pk")


def tasks_overdue(*, organization: Organization, property_id: int | None, now: datetime) -> int:
    """The desk's call-back tasks still open and due by now (at the property: its own and those of no property,
    as the task list shows them)."""
    tasks = Touch.objects.filter(
        organization=organization, channel=Channel.STAFF_TASK, status=TouchStatus.SCHEDULED, due_at__lte=now
    )
    if property_id is not None:
        tasks = tasks.filter(Q(property_id=property_id) | Q(property__isnull=True))
    return tasks.count()


@dataclass
class RuleBudget:
    rule: GiftRule
    month: date
    spent: Decimal
    deliveries: int
    budget: Decimal | None  # the month's cap (per property when the rule's budget is per property), None: no cap

    @property
    def used_percent(self) -> int | None:
        return round(self.spent * 100 / self.budget) if self.budget else None


def gift_budgets(*, organization: Organization, property_id: int | None, months: list[date]) -> list[RuleBudget]:
    """What each live rule spent in each month (GiftSpend's rows) against its monthly budget. For one property:
    that property's row of a rule budgeted per property, else the rule-wide row (GiftSpend.charged_at); for the
    whole organization every row, a per-property budget then counted once per property that spent."""
    rules = list(GiftRule.objects.live().filter(organization=organization).order_by("-priority", "name", "pk"))
    spend = GiftSpend.objects.filter(rule__in=rules, month__in=months)
    if property_id is not None:
        spend = spend.charged_at(property_id)
    totals: dict[tuple[int, date], dict] = {
        (row["rule_id"], row["month"]): row
        for row in spend.values("rule_id", "month").annotate(spent=Sum("spent"), deliveries=Sum("deliveries"))
    }
    places = Counter(
        (rule_id, month)
        for rule_id, month in spend.filter(property__isnull=False).values_list("rule_id", "month").distinct()
    )
    found = []
    for month in months:
        for rule in rules:
            row = totals.get((rule.pk, month), {})
            budget = rule.monthly_budget
            if budget is not None and rule.budget_per_property and property_id is None:
                budget = budget * max(1, places[(rule.pk, month)])
            found.append(
                RuleBudget(
                    rule=rule,
                    month=month,
                    spent=row.get("spent") or Decimal("0.00"),
                    deliveries=row.get("deliveries") or 0,
                    budget=budget,
                )
            )
    return found


def preferences_to_reconfirm(
    *, organization: Organization, property_id: int | None, now: datetime
) -> QuerySet[Preference]:
    """Preferences the brief would ask "still true?" about (personalization.brief.ranking.needs_reconfirmation),
    of the organization's guests (at a property: those whose home it is), least recently confirmed first."""
    rows = Preference.objects.filter(
        customer__organization=organization,
        customer__merged_into__isnull=True,
        last_confirmed_at__lte=reconfirm_cutoff(now),
    ).select_related("customer")
    if property_id is not None:
        rows = rows.filter(customer__home_property_id=property_id)
    return rows.order_by("last_confirmed_at", "pk")


def duplicates_waiting(*, organization: Organization, property_id: int | None) -> int:
    """Likely duplicate pairs waiting for a manager (crm.selectors.likely_duplicates); at a property, the pairs
    with a profile whose home it is."""
    pairs = likely_duplicates(organization=organization)
    if property_id is not None:
        pairs = [pair for pair in pairs if property_id in (pair.first.home_property_id, pair.second.home_property_id)]
    return len(pairs)


def staff_names(*, organization: Organization, user_ids: list[int]) -> dict[int, str]:
    """{user id: name as the staff table shows it} of the organization's staff (full name, else user name); a
    member of staff no longer in the organization is named by number."""
    names = {
        staff.user_id: staff.user.get_full_name() or staff.user.get_username()
        for staff in Staff.objects.filter(organization=organization, user_id__in=user_ids).select_related("user")
    }
    return {user_id: names.get(user_id) or _("Former staff member #%(id)s") % {"id": user_id} for user_id in user_ids}
