"""Retention: guests nobody has seen for the organization's period are anonymized (erased), old access records
are dropped, and guest-list imports let go of the guests' data they held, every night (crm.tasks.apply_retention)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypedDict

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from crm import selectors
from crm.models import UNDO_DAYS, AccessChannel, AccessRecord, GuestImport, ImportRow, ImportStatus, Organization
from crm.services.customers import customer_erase

logger = logging.getLogger(__name__)

# Guests erased per organization and night at most, in batches of RETENTION_BATCH ids: each erase is its own
# transaction (a few statements per kind of row), so a batch holds no lock for long and a first night with years
# of silent guests is spread over several nights rather than one long run (the task's time limit is 30 min).
RETENTION_BATCH = 200
RETENTION_MAX_PER_RUN = 10_000
# Access records older than this are dropped in bulk; at scale, a table partitioned by month makes this a
# DROP of old partitions instead (README, "Access audit and data-subject rights").
ACCESS_LOG_KEEP_DAYS_DEFAULT = 730
ACCESS_LOG_DELETE_BATCH = 10_000
# A previewed import nobody applied is a draft holding a file's guests: it goes after this many days, whole.
IMPORT_PREVIEW_KEEP_DAYS = 7


class RetentionResult(TypedDict):
    anonymized: int
    failed: int
    access_records_dropped: int
    import_rows_dropped: int


def customers_anonymize_inactive(*, now: datetime | None = None) -> RetentionResult:
    """Erase, through customer_erase, every guest past their organization's retention period. One guest that
    cannot be erased is logged and skipped: the rest of the batch goes on."""
    now = now or timezone.now()
    anonymized = failed = 0
    for organization in Organization.objects.filter(anonymize_after_months__isnull=False).order_by("pk"):
        due = selectors.customers_due_for_anonymizing(organization=organization, now=now)
        ids = list(due.values_list("pk", flat=True)[:RETENTION_MAX_PER_RUN])
        for start in range(0, len(ids), RETENTION_BATCH):
            for customer in due.filter(pk__in=ids[start : start + RETENTION_BATCH]).select_related("organization"):
                try:
                    customer_erase(customer=customer, actor=None, channel=AccessChannel.SYSTEM)
                except SoftTimeLimitExceeded:
                    raise  # the night's time is up: stop here, the rest waits for tomorrow
                except Exception:
                    failed += 1
                    logger.exception(
                        "retention: guest #%s of organization #%s not erased", customer.pk, organization.pk
                    )
                else:
                    anonymized += 1
    return {
        "anonymized": anonymized,
        "failed": failed,
        "access_records_dropped": access_records_drop_old(now=now),
        "import_rows_dropped": import_rows_drop_expired(now=now),
    }


def access_records_drop_old(*, now: datetime | None = None) -> int:
    """Drop the access records older than RAPPORT_ACCESS_LOG_KEEP_DAYS (default 730), in batches by id."""
    keep_days = getattr(settings, "RAPPORT_ACCESS_LOG_KEEP_DAYS", ACCESS_LOG_KEEP_DAYS_DEFAULT)
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    dropped = 0
    while True:
        batch = list(AccessRecord.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:ACCESS_LOG_DELETE_BATCH])
        if not batch:
            return dropped
        dropped += AccessRecord.objects.filter(pk__in=batch).delete()[0]


def import_rows_drop_expired(*, now: datetime | None = None) -> int:
    """An import's rows hold the file's guests (values as read, and what an update changed, for undo). Once they
    can no longer be used they go: an applied import's after its UNDO_DAYS (undo refuses then), an undone one's at
    once, and a preview or a failed import nobody applied within IMPORT_PREVIEW_KEEP_DAYS goes whole (its error
    messages may quote the file). What stays of an applied import: its counts, who ran it, when. Returns how many
    rows went."""
    now = now or timezone.now()
    spent = GuestImport.objects.filter(
        status=ImportStatus.APPLIED, applied_at__lt=now - timedelta(days=UNDO_DAYS)
    ) | GuestImport.objects.filter(status=ImportStatus.UNDONE)
    dropped = ImportRow.objects.filter(upload__in=spent.values("pk")).delete()[0]
    drafts = GuestImport.objects.filter(
        status__in=[ImportStatus.PREVIEWED, ImportStatus.FAILED],
        created_at__lt=now - timedelta(days=IMPORT_PREVIEW_KEEP_DAYS),
    )
    dropped += ImportRow.objects.filter(upload__in=drafts.values("pk")).delete()[0]
    drafts.delete()
    return dropped
