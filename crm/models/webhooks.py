"""Signed webhooks: the endpoints managers register, and the outbox of deliveries (one row per event per
endpoint, written in the transaction of the event; README "Webhooks")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm import encryption
from crm.models.base import TimeStamped
from crm.models.tenancy import Organization
from crm.validators import single_line


class EventType(models.TextChoices):
    """The catalogue of events an endpoint may ask for (API.md "Webhooks")."""

    CUSTOMER_CREATED = "customer.created", _("a guest was created")
    CUSTOMER_UPDATED = "customer.updated", _("a guest's profile changed")
    CUSTOMER_MERGED = "customer.merged", _("two profiles were merged")
    CUSTOMER_ERASED = "customer.erased", _("a guest was erased")
    ISSUE_OPENED = "issue.opened", _("an issue was opened")
    ISSUE_RESOLVED = "issue.resolved", _("an issue was resolved")
    FEEDBACK_RECEIVED = "feedback.received", _("a guest answered a survey")
    DELIGHT_DELIVERED = "delight.delivered", _("a gift was delivered")
    # Fires once stays exist (issue 13, "Stays and arrivals"): accepted in the catalogue today.
    STAY_CHECKED_IN = "stay.checked_in", _("a guest checked in")
    TASK_DONE = "task.done", _("a desk task was done")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be retried")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class WebhookEndpoint(TimeStamped):
    """Where an organization's events are POSTed. The secret (``whsec_`` + base64) signs every delivery: it is
    shown once, when made, and never read back by the API, the screens, the admin or the logs. It is stored
    encrypted (``secret_encrypted``, crm.encryption): a database dump or a replica holds no usable secret."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=2000, validators=[single_line])
    description = models.CharField(_("description"), max_length=200, blank=True, validators=[single_line])
    events = models.JSONField(_("events"), default=list)
    # A Fernet token of the secret (about 140 characters for a 38-character secret).
    secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Set by the first failed attempt after a success, cleared by the next success: "failing for days".
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["pk"]
        indexes = [
            # The endpoints an event goes to: WHERE organization_id = … AND enabled (every event's transaction).
            models.Index(fields=["organization", "enabled"], name="webhook_endpoint_org"),
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.events

    @property
    def secret(self) -> str:
        """The signing secret, decrypted: crm.encryption.Undecryptable when no key of RAPPORT_FIELD_KEYS opens it."""
        return encryption.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encryption.encrypt(value)


class WebhookDelivery(TimeStamped):
    """One event for one endpoint: the outbox row and its delivery log. ``message_id`` is the ``webhook-id``
    of every attempt, so a receiver that saw it already can drop a repeat. ``claim`` is the token of the batch
    a worker may send it in (see crm.webhooks.delivery): a batch whose claim was handed out again sends nothing.
    No foreign key to the guest: the payload holds ids only, and a merge or an erase has nothing to move."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [
            # The dispatcher: WHERE status = 'pending' AND next_attempt_at <= now ORDER BY next_attempt_at.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            # Stale claims: WHERE status = 'sending' AND claimed_at < …
            models.Index(fields=["status", "claimed_at"], name="webhook_delivery_claimed"),
            # An endpoint's delivery log, newest first.
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status"),
            models.CheckConstraint(condition=Q(event_type__in=EventType.values), name="webhook_delivery_event"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
