from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECEIVERS = (
    "personalization.touches.receivers",
    "personalization.metrics.receivers",
    "personalization.gifts.receivers",
    "personalization.gifts.demo",
    "personalization.metrics.demo",
)


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self) -> None:
        # Receivers of crm's and the gift rules' signals (@receiver: connected as imported); personalization listens,
        # crm never imports it. In this order: a signal calls the touches' receiver first, then the metrics'.
        for module in RECEIVERS:
            import_module(module)
