from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = _("Personalization")

    def ready(self) -> None:
        from personalization.touches import triggers

        triggers.connect()
