from django.contrib import admin

from crm.admin import OrganizationScopedAdmin
from personalization.models import Tip


@admin.register(Tip)
class TipAdmin(OrganizationScopedAdmin):
    list_display = ["text", "property", "tags", "active"]
    list_filter = ["active", "property"]
    search_fields = ["text"]
