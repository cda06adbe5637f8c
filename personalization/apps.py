from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self) -> None:
        from personalization.metrics import receivers as metrics_receivers
        from personalization.touches import receivers

        receivers.connect()
        metrics_receivers.connect()
        # Receivers of crm's signals: personalization listens, crm never imports it.
        from personalization.gifts import demo, receivers  # noqa: F401
        from personalization.metrics import demo as metrics_demo  # noqa: F401
