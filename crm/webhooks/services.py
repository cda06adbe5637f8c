"""Writes of webhooks: endpoints (register, change, rotate the secret, delete), the event outbox, a manager's
retry. Events are recorded by the service that causes them, inside its transaction (webhook_event_record)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import encryption, prepared, rows
from crm.errors import Conflict
from crm.models import ChangeAction, DeliveryStatus, EventType, Organization, WebhookDelivery, WebhookEndpoint
from crm.services.common import User, assign, created, record, user_or_none
from crm.webhooks import addresses, signing

log = logging.getLogger(__name__)

ENDPOINT_FIELDS = ("url", "events", "description", "enabled")
# Why an endpoint is disabled (WebhookEndpoint.disabled_reason): the API says the code, the screen a sentence.
DISABLED_BY_MANAGER = "manager"
DISABLED_FAILING = "failing"


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated fields: an http(s) URL of a public address (or any with RAPPORT_WEBHOOKS_ALLOW_PRIVATE), and
    events from the catalogue, at least one, each once, in the catalogue's order."""
    fields = dict(fields)
    if "url" in fields:
        fields["url"] = (fields["url"] or "").strip()
        try:
            addresses.target(fields["url"])
        except addresses.Refused as exc:
            raise ValidationError({"url": [str(exc)]}) from exc
    if "events" in fields:
        events = fields["events"]
        if not isinstance(events, list | tuple) or not events:
            raise ValidationError({"events": [_("Choose at least one event.")]})
        unknown = [str(event) for event in events if event not in EventType.values]
        if unknown:
            raise ValidationError({"events": [_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)}]})
        fields["events"] = [event for event in EventType.values if event in set(events)]
    return fields


@transaction.atomic
def webhook_endpoint_create(
    *, organization: Organization, url: str, events: list[str], description: str = "", actor: User | None = None
) -> WebhookEndpoint:
    """Register an endpoint with a new secret (``endpoint.secret``: the caller shows it once). ValidationError on
    the url (not http(s), not found, a private address) or the events."""
    fields = _checked({"url": url, "events": events, "description": description})
    endpoint = WebhookEndpoint(organization=organization, secret=signing.secret_new(), created_by=user_or_none(actor))
    assign(endpoint, fields, ENDPOINT_FIELDS)
    endpoint.full_clean()
    endpoint.save()
    record(
        organization=organization,
        actor=actor,
        action=ChangeAction.WEBHOOK_CREATE,
        target=endpoint,
        changes=created(fields),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, actor: User | None = None, **fields: Any) -> WebhookEndpoint:
    """Change the URL, the events, the description, or enable / disable it. Enabling starts its failure count
    afresh; its waiting deliveries go out again at the dispatcher's next run."""
    fields = _checked(fields)
    changed = assign(endpoint, fields, ENDPOINT_FIELDS)
    if not changed:
        return endpoint
    endpoint.full_clean()
    if "enabled" in changed:
        if endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        else:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), DISABLED_BY_MANAGER
    endpoint.save()
    record(actor=actor, action=ChangeAction.WEBHOOK_UPDATE, target=endpoint, changes=changed)
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: User | None = None) -> WebhookEndpoint:
    """A new secret (``endpoint.secret``, shown once); the old one stops signing at once."""
    endpoint.secret = signing.secret_new()
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    record(organization=endpoint.organization, actor=actor, action=ChangeAction.WEBHOOK_ROTATE, target=endpoint)
    return endpoint


def webhook_secrets_reencrypt() -> tuple[int, list[int]]:
    """Every endpoint's secret encrypted again under the first key of RAPPORT_FIELD_KEYS, so that older keys can
    be removed (README "Secrets at rest"). Returns how many were rewritten and the ids of those no key opens.
    One short transaction per endpoint, its row locked: a concurrent rotation is never overwritten."""
    rewritten, undecryptable = 0, []
    for pk in WebhookEndpoint.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().only("secret_encrypted").get(pk=pk)
            try:
                token = encryption.reencrypt(endpoint.secret_encrypted)
            except encryption.Undecryptable:
                undecryptable.append(pk)
                continue
            WebhookEndpoint.objects.filter(pk=pk).update(secret_encrypted=token)
            rewritten += 1
    if undecryptable:
        log.error("webhook endpoints %s: secret %s", undecryptable, encryption.UNDECRYPTABLE)
    return rewritten, undecryptable


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None = None) -> None:
    """Delete an endpoint and its delivery log; deliveries not yet sent are dropped."""
    record(actor=actor, action=ChangeAction.WEBHOOK_DELETE, target=endpoint, changes={"url": {"old": endpoint.url}})
    endpoint.delete()


class _Batch:
    """The deliveries one transaction wrote, enqueued together after its commit: an import of 1,000 guests
    sends 20 task messages, not 1,000. Their rows are written already claimed with this batch's token."""

    def __init__(self) -> None:
        self.claim = secrets.token_hex(8)
        self.ids: list[int] = []

    def send(self) -> None:
        from crm.webhooks.delivery import enqueue_claimed

        enqueue_claimed(self.ids, self.claim)


_BATCH_ATTRIBUTE = "_rapport_webhook_batch"


def _batch() -> _Batch:
    """This transaction's batch: a new one when the last one was committed or rolled back (its callback is no
    longer waiting on the connection)."""
    database = transaction.get_connection()
    batch = getattr(database, _BATCH_ATTRIBUTE, None)
    if batch is None or not any(entry[1] == batch.send for entry in database.run_on_commit):
        batch = _Batch()
        setattr(database, _BATCH_ATTRIBUTE, batch)
        transaction.on_commit(batch.send, robust=True)
    return batch


# No savepoint: it runs inside the causing service's transaction, for every event (two statements, not four).
@transaction.atomic(savepoint=False)
def webhook_event_record(
    *, organization_id: int, event_type: EventType | str, data: dict[str, Any], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Write one delivery of this event for each enabled endpoint of the organization that wants it, in the
    caller's transaction, claimed for a first attempt right after the commit. ``data``: ids and facts only
    (never a guest's name, contact details or words). Nothing is written when no endpoint wants it."""
    return webhook_events_record(organization_id=organization_id, events=[(event_type, data)], now=now)


@transaction.atomic(savepoint=False)
def webhook_events_record(
    *, organization_id: int, events: list[tuple[EventType | str, dict[str, Any]]], now: datetime | None = None
) -> list[WebhookDelivery]:
    """webhook_event_record for many events of one organization (an import's batch of guests): the endpoints
    read once, the deliveries written in one INSERT."""
    events = [(EventType(event_type), data) for event_type, data in events]
    endpoints = _enabled_endpoints(organization_id)
    now = now or timezone.now()
    wanted = [
        (endpoint, event_type, {"type": event_type.value, "timestamp": now.isoformat(), "data": data})
        for event_type, data in events
        for endpoint in endpoints
        if endpoint.wants(event_type)
    ]
    if not wanted:
        return []
    batch = _batch()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            message_id=signing.message_id_new(),
            event_type=event_type,
            payload=payload,
            status=DeliveryStatus.SENDING,
            next_attempt_at=now,
            claim=batch.claim,
            claimed_at=now,
        )
        for endpoint, event_type, payload in wanted
    )
    batch.ids.extend(row.pk for row in deliveries)
    return deliveries


def _enabled_endpoints(organization_id: int) -> list[WebhookEndpoint]:
    """The organization's enabled endpoints, read on every write that records an event (a new guest, a contact, a
    preference, …) — most often to find none. The statement is written once (crm.rows) and prepared (crm.prepared):
    the queryset it replaces cost 0.9–2.0 ms an event recorded, the statement 0.2–0.7 (in process, interleaved,
    2026-12-07; the queryset was ~15 % of a new guest's CPU in a profile of bench/run mixed's requests)."""
    with prepared.cursor(connection) as cursor:
        cursor.execute(_endpoints_sql(connection.vendor), [organization_id])
        make = rows.maker(WebhookEndpoint)
        return [make(row) for row in cursor.fetchall()]


@cache
def _endpoints_sql(vendor: str) -> str:
    table = connection.ops.quote_name(WebhookEndpoint._meta.db_table)
    return f"SELECT {rows.columns(WebhookEndpoint, 'e')} FROM {table} e WHERE e.organization_id = %s AND e.enabled"  # noqa: S608


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, actor: User | None = None) -> WebhookDelivery:
    """A manager's retry: try it again now, with the same webhook-id (a failed one gets its full schedule of
    retries again). Conflict while it is being sent, or when its endpoint is disabled."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint__organization").get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SENDING:
        raise Conflict(_("This delivery is being sent right now."))
    if not delivery.endpoint.enabled:
        raise Conflict(_("This webhook is disabled: enable it first."))
    now = timezone.now()
    before = delivery.status
    if before == DeliveryStatus.FAILED:
        delivery.attempts = 0
    batch = _batch()
    delivery.status, delivery.claim, delivery.claimed_at, delivery.next_attempt_at = (
        DeliveryStatus.SENDING,
        batch.claim,
        now,
        now,
    )
    delivery.save(update_fields=["status", "claim", "claimed_at", "next_attempt_at", "attempts", "updated_at"])
    batch.ids.append(delivery.pk)
    record(
        organization=delivery.endpoint.organization,
        actor=actor,
        action=ChangeAction.WEBHOOK_RETRY,
        target=delivery,
        changes={"status": {"old": before, "new": DeliveryStatus.SENDING}, "webhook_id": delivery.message_id},
    )
    return delivery
