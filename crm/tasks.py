"""Celery tasks of the memory: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task

from crm.services.retention import RetentionResult, customers_anonymize_inactive


@shared_task(name="crm.apply_retention", ignore_result=True, soft_time_limit=30 * 60, time_limit=35 * 60)
def apply_retention() -> RetentionResult:
    """Nightly (beat): anonymize the guests past their organization's retention period; drop old access records."""
    return customers_anonymize_inactive()
