"""Celery tasks of the memory: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, OperationalError

from crm.lookup import terms
from crm.services import imports
from crm.services.retention import RetentionResult, customers_anonymize_inactive
from crm.webhooks import delivery


@shared_task(name="crm.apply_retention", ignore_result=True, soft_time_limit=30 * 60, time_limit=35 * 60)
def apply_retention() -> RetentionResult:
    """Nightly (beat): anonymize the guests past their organization's retention period; drop old access records."""
    return customers_anonymize_inactive()


@shared_task(name="crm.copy_visits", ignore_result=True, soft_time_limit=60, time_limit=90)
def copy_visits() -> int:
    """Every 5 s (beat): the last visits of the guests who came since, copied into their search terms."""
    return terms.visits_copy()


@shared_task(name="crm.deliver_webhooks", ignore_result=True)
def deliver_webhooks(delivery_ids: list[int], claim: str) -> dict[str, int]:
    """POST a claimed batch of webhook deliveries (crm.webhooks.delivery). The default time limits (60 s soft,
    90 s hard) stay below RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS (120): a batch is never handed out twice while
    it runs. Retries live in the outbox rows, not in Celery."""
    return dict(delivery.webhooks_deliver(delivery_ids=delivery_ids, claim=claim))


@shared_task(name="crm.dispatch_webhooks", ignore_result=True)
def dispatch_webhooks() -> int:
    """Every 10 s (beat): hand out the retries that fell due and stale claims; disable endpoints failing for days."""
    return delivery.webhooks_dispatch()


@shared_task(name="crm.drop_old_webhook_deliveries", ignore_result=True, soft_time_limit=30 * 60, time_limit=35 * 60)
def drop_old_webhook_deliveries() -> int:
    """Nightly (beat): the delivery log keeps RAPPORT_WEBHOOKS_KEEP_DAYS of delivered and failed deliveries."""
    return delivery.webhook_deliveries_drop_old()


@shared_task(
    bind=True, name="crm.import_apply", ignore_result=True, max_retries=3, soft_time_limit=60 * 60, time_limit=65 * 60
)
def import_apply(self, import_id: int) -> None:
    """Apply an import's remaining rows (crm.services.imports.import_run). A lost race with another write (an
    id taken meanwhile) or a database hiccup retries the batch; after the retries the import is failed (what
    was applied stays undoable, applying again continues). A killed worker's import is resumed by
    resume_imports."""
    try:
        imports.import_run(import_id=import_id)
    except (IntegrityError, OperationalError) as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=5 * (self.request.retries + 1)) from exc
        imports.import_fail(import_id=import_id, reason=str(exc))
        raise
    except SoftTimeLimitExceeded:
        raise  # the batch rolled back; resume_imports enqueues the import again
    except Exception as exc:
        imports.import_fail(import_id=import_id, reason=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="crm.resume_imports", ignore_result=True)
def resume_imports() -> int:
    """Every minute (beat): enqueue again the imports whose apply stalled (a worker killed mid-apply)."""
    stalled = imports.imports_stalled()
    for import_id in stalled:
        import_apply.delay(import_id)
    return len(stalled)
