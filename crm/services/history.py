"""Writes of what a customer likes, what went wrong, and each contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import signals
from crm.bulk import insert_one, insert_parts, saved
from crm.lookup import terms
from crm.models import (
    SAFETY_CATEGORIES,
    VISIT_KINDS,
    ChangeAction,
    Contact,
    Customer,
    EventType,
    Issue,
    IssueStatus,
    Polarity,
    Preference,
    PreferenceCategory,
    Property,
    RecoveryStep,
)
from crm.services.common import (
    User,
    assign,
    clean_for_save,
    created,
    deleted,
    record,
    update_fields,
    user_or_none,
)
from crm.webhooks import events as webhook_events
from crm.webhooks import services as webhooks

# What callers may write, in the order the API shows them (crm.serializers lists these, not copies).
PREFERENCE_FIELDS = ("category", "text", "key", "value", "polarity", "source", "safety_critical")
ISSUE_FIELDS = (
    "summary",
    "detail",
    "severity",
    "status",
    "resolution",
    "guest_summary",
    "compensation",
    "steps_done",
    "follow_up",
    "property",
    "owner",
)

# Which status an issue may move to from each status. Reopening is allowed
# from resolved and closed: a guest whose fix did not hold is a new problem.
ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    IssueStatus.OPEN: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.IN_PROGRESS: frozenset({IssueStatus.OPEN, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.RESOLVED: frozenset({IssueStatus.CLOSED, IssueStatus.OPEN, IssueStatus.IN_PROGRESS}),
    IssueStatus.CLOSED: frozenset({IssueStatus.OPEN}),
}


def _record(
    action: ChangeAction, row: Preference | Issue | Contact, actor: User | None, changes: dict[str, Any] | None = None
) -> None:
    """The change record of one row of a customer's history (the organization is its customer's)."""
    record(organization=row.customer.organization, actor=actor, action=action, target=row, changes=changes)


@transaction.atomic
def preference_record(
    *, customer: Customer, actor: User | None = None, property: Property | None = None, **fields: Any
) -> Preference:
    """Remember a preference; allergy and dietary ones are safety-critical unless said otherwise, and an allergy
    is to be avoided unless said otherwise (an allergy that is liked is refused: Preference.clean)."""
    preference, fields = preference_new(customer=customer, actor=actor, property=property, **fields)
    clean_for_save(preference)
    insert_one(preference)
    _record(ChangeAction.PREFERENCE_RECORD, preference, actor, created(fields))
    return preference


def preference_new(
    *, customer: Customer | None, actor: User | None = None, property: Property | None = None, **fields: Any
) -> tuple[Preference, dict[str, Any]]:
    """The unsaved preference preference_record() would save, with its defaults (and the fields as given, with
    the polarity it chose): shared with the imports, which save many at once."""
    if "polarity" not in fields and fields.get("category") == PreferenceCategory.ALLERGY:
        fields["polarity"] = Polarity.AVOID
    preference = Preference(
        customer=customer,
        recorded_by=user_or_none(actor),
        recorded_at_property=property,
        last_confirmed_at=timezone.now(),
    )
    assign(preference, fields, PREFERENCE_FIELDS)
    if "safety_critical" not in fields:
        preference.safety_critical = preference.category in SAFETY_CATEGORIES
    return preference, fields


@transaction.atomic
def preference_update(*, preference: Preference, actor: User | None = None, **fields: Any) -> Preference:
    changed = assign(preference, fields, PREFERENCE_FIELDS)
    if not changed:
        return preference
    preference.full_clean()
    preference.save(update_fields=update_fields(changed))
    _record(ChangeAction.PREFERENCE_UPDATE, preference, actor, changed)
    return preference


@transaction.atomic
def preference_confirm(*, preference: Preference, actor: User | None = None) -> Preference:
    """The customer (or staff) confirmed it is still true: count it and reset its age."""
    now = timezone.now()
    Preference.objects.filter(pk=preference.pk).update(
        times_confirmed=F("times_confirmed") + 1, last_confirmed_at=now, updated_at=now
    )
    preference.refresh_from_db(fields=["times_confirmed", "last_confirmed_at", "updated_at"])
    _record(ChangeAction.PREFERENCE_CONFIRM, preference, actor)
    return preference


@transaction.atomic
def preference_delete(*, preference: Preference, actor: User | None = None) -> None:
    _record(
        ChangeAction.PREFERENCE_DELETE,
        preference,
        actor,
        deleted({"text": preference.text, "category": preference.category}),
    )
    preference.delete()


@transaction.atomic
def issue_open(
    *,
    customer: Customer,
    actor: User | None = None,
    property: Property | None = None,
    opened_at: datetime | None = None,
    **fields: Any,
) -> Issue:
    """Record what went wrong; an issue may be created already in progress or resolved."""
    status = fields.pop("status", IssueStatus.OPEN)
    issue = Issue(
        customer=customer, property=property, owner=user_or_none(actor), opened_at=opened_at or timezone.now()
    )
    steps = fields.pop("steps_done", None)
    if steps:
        issue.recovery_steps = _ticked(issue, steps, actor, now=timezone.now())[0]
    assign(issue, fields, ISSUE_FIELDS)
    issue.full_clean(exclude=["status"])
    issue.save()
    _record(
        ChangeAction.ISSUE_OPEN,
        issue,
        actor,
        created({**fields, **({"steps_done": issue.steps_done} if steps else {})}),
    )
    signals.issue_opened.send(sender=Issue, issue=issue, actor=actor)
    webhooks.webhook_event_record(
        organization_id=customer.organization_id,
        event_type=EventType.ISSUE_OPENED,
        data=webhook_events.issue_data(issue),
    )
    if status != IssueStatus.OPEN:
        issue_update(issue=issue, actor=actor, status=status)
    return issue


@transaction.atomic
def issue_update(*, issue: Issue, actor: User | None = None, now: datetime | None = None, **fields: Any) -> Issue:
    """Change an issue; a status change follows ISSUE_TRANSITIONS and stamps its times (now: when it happened,
    default the present; the demo's history passes past moments)."""
    now = now or timezone.now()
    old_status = issue.status
    steps = fields.pop("steps_done", None)
    changed = assign(issue, fields, ISSUE_FIELDS)
    if steps is not None:
        entries, steps_changed = _ticked(issue, steps, actor, now=now)
        if steps_changed:
            changed["steps_done"] = steps_changed
            issue.recovery_steps = entries
    if not changed:
        return issue
    new_status = issue.status
    unanswered = issue.first_response_at is None
    if new_status != old_status:
        _apply_transition(issue, old_status, new_status, now=now)
    answered = unanswered and issue.first_response_at is not None
    issue.full_clean()
    saved = {"recovery_steps" if name == "steps_done" else name for name in changed}
    issue.save(update_fields=update_fields(saved | {"first_response_at", "resolved_at", "closed_at"}))
    _record(ChangeAction.ISSUE_UPDATE, issue, actor, changed)
    if answered:
        signals.issue_answered.send(sender=Issue, issue=issue, actor=actor)
    if new_status != old_status:
        if new_status == IssueStatus.RESOLVED:
            signals.issue_resolved.send(sender=Issue, issue=issue, actor=actor)
            webhooks.webhook_event_record(
                organization_id=issue.customer.organization_id,
                event_type=EventType.ISSUE_RESOLVED,
                data=webhook_events.issue_data(issue),
            )
        elif old_status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            signals.issue_reopened.send(sender=Issue, issue=issue, actor=actor, at=now)
    return issue


def _ticked(
    issue: Issue, steps: list[str], actor: User | None, *, now: datetime
) -> tuple[list[dict], dict[str, list[str]]]:
    """The issue's recovery steps once exactly `steps` are done: a step already done keeps who ticked it and when,
    a new one is ticked by actor now, one left out is unticked. Returns the entries (in the sequence's order) and
    {"old": [...], "new": [...]} of the step names, or {} when nothing changed. ValidationError on an unknown
    step."""
    unknown = [step for step in steps if step not in RecoveryStep.values]
    if unknown:
        raise ValidationError(
            {"steps_done": [_("Unknown recovery step: %(step)s.") % {"step": ", ".join(map(str, unknown))}]}
        )
    before = issue.step_entries()
    kept = {entry["step"]: entry for entry in before}
    by = user_or_none(actor)
    at = now.isoformat()
    entries = [
        kept.get(step) or {"step": step, "by": by.pk if by else None, "at": at}
        for step in RecoveryStep.values
        if step in set(steps)
    ]
    old, new = [entry["step"] for entry in before], [entry["step"] for entry in entries]
    return entries, ({"old": old, "new": new} if old != new else {})


def issue_transition_check(*, old: str, new: str, resolution: str) -> None:
    """Raise ValidationError (on status or resolution) when an issue may not move from old to new: the rule
    issue_update applies, also asked by forms that must refuse before anything is written (the admin)."""
    if new not in ISSUE_TRANSITIONS[old]:
        raise ValidationError(
            {"status": [_("An issue cannot move from %(old)s to %(new)s.") % {"old": old, "new": new}]}
        )
    if new == IssueStatus.RESOLVED and not resolution.strip():
        raise ValidationError({"resolution": [_("A resolution is required to resolve an issue.")]})


def _apply_transition(issue: Issue, old: str, new: str, *, now: datetime) -> None:
    issue_transition_check(old=old, new=new, resolution=issue.resolution)
    if new != IssueStatus.OPEN and issue.first_response_at is None:
        issue.first_response_at = now
    if new == IssueStatus.RESOLVED:
        issue.resolved_at = now
        issue.closed_at = None
    elif new == IssueStatus.CLOSED:
        issue.closed_at = now
    else:  # open or in progress again
        issue.resolved_at = None
        issue.closed_at = None


@transaction.atomic
def contact_log(
    *,
    customer: Customer,
    kind: str,
    actor: User | None = None,
    property: Property | None = None,
    occurred_at: datetime | None = None,
    note: str = "",
    greeted_by_name: bool = False,
    preference_honored: bool = False,
    delight_delivered: bool = False,
    brief_shown: dict | None = None,
) -> Contact:
    """Log an interaction and keep the customer's visit count and first/last seen in step."""
    contact = Contact(
        customer=customer,
        kind=kind,
        staff=user_or_none(actor),
        property=property,
        occurred_at=occurred_at or timezone.now(),
        note=note,
        greeted_by_name=greeted_by_name,
        preference_honored=preference_honored,
        delight_delivered=delight_delivered,
        brief_shown=brief_shown,
    )
    clean_for_save(contact, exclude=["customer"])
    counted = _visit_logged(customer, contact, visit=kind in VISIT_KINDS)
    customer.visit_count, customer.first_seen, customer.last_seen = (
        counted.visit_count,
        counted.first_seen,
        counted.last_seen,
    )
    _record(ChangeAction.CONTACT_LOG, contact, actor, created({"kind": kind}))
    signals.contact_logged.send(sender=Contact, contact=contact, actor=actor)
    return contact


# The visit counted and first and last seen moved by the UPDATE that locks the guest's row, which returns them: two
# desks logging at once both count (the second waits for the first's commit and adds to its figures). One statement
# where a SELECT … FOR UPDATE and an UPDATE were two; plain SQL that PostgreSQL and SQLite both speak (SQLite
# compares its datetimes as text, in one format, which orders them alike).
_VISIT_COUNT_SQL = """
UPDATE {table} SET
    visit_count = visit_count + %s,
    first_seen = CASE WHEN first_seen IS NULL OR first_seen > %s THEN %s ELSE first_seen END,
    last_seen = CASE WHEN last_seen IS NULL OR last_seen < %s THEN %s ELSE last_seen END,
    updated_at = %s
WHERE id = %s
RETURNING id, visit_count, first_seen, last_seen
"""


def _visit_logged(customer: Customer, contact: Contact, *, visit: bool) -> Customer:
    """Count the contact (a visit adds one to visit_count) and move first and last seen, locking the guest's row
    until the commit; save the contact; mark the guest's search terms as owed the new last seen (copied within
    seconds by terms.visits_copy: terms.visit_pending_sql says why not here).
    Returns a Customer holding id, visit_count, first_seen and last_seen (a raw query: the fields' own converters
    read them back on both databases). On PostgreSQL one statement: the UPDATE, the pending mark and the contact's
    INSERT as data-modifying CTEs, one round trip where there were three; elsewhere the three in turn."""
    adapt = connection.ops.adapt_datetimefield_value
    when, now = adapt(contact.occurred_at), adapt(timezone.now())
    count = _VISIT_COUNT_SQL.format(table=connection.ops.quote_name(Customer._meta.db_table))
    params: list[Any] = [int(visit), when, when, when, when, now, customer.pk]
    if connection.vendor != "postgresql":
        for counted in Customer.objects.raw(count, params):
            contact.save()
            with connection.cursor() as cursor:
                cursor.execute(terms.visit_pending_sql("(SELECT %s AS id) AS counted"), [counted.pk])
            return counted
        raise Customer.DoesNotExist(f"customer {customer.pk} is no longer on file")
    columns, placeholders, values = insert_parts(contact)
    sql = (
        f"WITH counted AS ({count}), pending AS ({terms.visit_pending_sql('counted')}),"  # noqa: S608 (ours)
        f" logged AS (INSERT INTO {connection.ops.quote_name(Contact._meta.db_table)} ({columns})"
        f" VALUES ({placeholders}) RETURNING id)"
        " SELECT counted.id, counted.visit_count, counted.first_seen, counted.last_seen, logged.id AS contact_id"
        " FROM counted, logged"
    )
    for counted in Customer.objects.raw(sql, [*params, *values]):
        saved(contact, counted.contact_id)
        return counted
    # Its foreign key is checked at the commit, which this rollback forestalls.
    raise Customer.DoesNotExist(f"customer {customer.pk} is no longer on file")
