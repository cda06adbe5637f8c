from django.contrib import admin

from crm.admin import OrganizationScopedAdmin, ReadOnly
from personalization.models import Feedback, Tip, Touch


@admin.register(Tip)
class TipAdmin(OrganizationScopedAdmin):
    list_display = ["text", "property", "tags", "active"]
    list_filter = ["active", "property"]
    search_fields = ["text"]


@admin.register(Touch)
class TouchAdmin(OrganizationScopedAdmin):
    """Read-only: touches change through their services (the Follow-ups screen cancels and sends)."""

    list_display = ["customer", "kind", "channel", "status", "due_at", "sent_at", "attempts", "reason"]
    list_filter = ["status", "kind", "channel"]
    date_hierarchy = "due_at"
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "issue", "delight"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly, OrganizationScopedAdmin):
    """Read-only: what a guest answered is theirs; nobody rewrites it (erasing a guest removes it)."""

    organization_path = "customer__organization"
    list_display = ["customer", "score", "comment", "issue", "created_at"]
    list_filter = ["score"]
    raw_id_fields = ["customer", "touch", "issue"]
