"""Every periodic task, here and nowhere else (settings.CELERY_BEAT_SCHEDULE).

Beat copies these into django-celery-beat's tables when it starts (by name: a row of that name is updated, not
doubled); in the admin a manager may disable one, and an edited schedule lasts until beat restarts. The first two
names are those the data migration personalization 0002 used to create, so an existing database's rows are updated
in place.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

SCHEDULE = {
    # Claim due touches and enqueue their send_touches batches.
    "Dispatch due touches": {"task": "personalization.dispatch_touches", "schedule": timedelta(minutes=1)},
    # Each property is planned once its local night has come (touches.services.planning): an hourly look.
    "Plan greetings and win-backs (each property at its local night)": {
        "task": "personalization.plan_touches",
        "schedule": timedelta(hours=1),
    },
    # Gift delights for the coming birthdays, anniversaries and absences, at 02:30 (TIME_ZONE).
    "plan-delights-nightly": {"task": "personalization.plan_delights", "schedule": crontab(hour=2, minute=30)},
    # Retention: guests past their organization's period are anonymized, old access records dropped, at 03:15.
    "apply-retention-nightly": {"task": "crm.apply_retention", "schedule": crontab(hour=3, minute=15)},
    # Webhook retries that fell due, claims gone stale, endpoints failing for days (crm.webhooks.delivery).
    "dispatch-webhooks": {"task": "crm.dispatch_webhooks", "schedule": timedelta(seconds=10)},
    # The webhooks' delivery log keeps RAPPORT_WEBHOOKS_KEEP_DAYS of finished deliveries, at 03:45.
    "drop-old-webhook-deliveries": {"task": "crm.drop_old_webhook_deliveries", "schedule": crontab(hour=3, minute=45)},
    # Contacts logged since the last fold counted into the managers' day counters (every read folds first too).
    "count-contacts": {"task": "personalization.metrics_count_contacts", "schedule": timedelta(seconds=10)},
    # The last visits of the guests who came since, copied into their search terms (crm.lookup.terms.visits_copy).
    "copy-visits": {"task": "crm.copy_visits", "schedule": timedelta(seconds=5)},
    # Guest-list imports whose worker was killed mid-apply continue after their last committed batch.
    "resume-stalled-imports": {"task": "crm.resume_imports", "schedule": timedelta(minutes=1)},
}
