from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customer memory")

    def ready(self) -> None:
        from django.db.models import Field, ForeignObject

        from crm import loaders
        from crm.arrays import AnyOf
        from crm.signin import receivers

        # A relation's lookups are its own (ForeignObject.get_class_lookups): ids given as ids.
        Field.register_lookup(AnyOf)
        ForeignObject.register_lookup(AnyOf)

        receivers.connect()
        loaders.connect()
