from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECEIVERS = (
    "personalization.metrics.receivers",
    "personalization.touches.receivers",
    "personalization.gifts.receivers",
    "personalization.gifts.demo",
    "personalization.metrics.demo",
)


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self) -> None:
        # Receivers of crm's and the gift rules' signals (@receiver: connected as imported); personalization listens,
        # crm never imports it. In this order: a signal calls the metrics' receiver first, then the touches' — a
        # metrics receiver that takes the contacts' fold lock (merge, erasure) takes it before the touches' write
        # any day counter in the transaction, so it never waits for a fold while holding a row the fold needs.
        for module in RECEIVERS:
            import_module(module)
