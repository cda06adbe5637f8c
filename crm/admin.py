"""Django admin for the memory. A non-superuser sees and edits only their own
organization's rows; foreign keys offer only that organization's objects."""

from __future__ import annotations

from django.contrib import admin

from crm import selectors, services
from crm.models import (
    AccessChannel,
    AccessRecord,
    ChangeRecord,
    Contact,
    Customer,
    Issue,
    Organization,
    Preference,
    Property,
    Staff,
)


class OrganizationScopedAdmin(admin.ModelAdmin):
    # Path from the model to its organization, for filtering.
    organization_path = "organization"

    def _organization(self, request):
        staff = selectors.staff_of(request.user)
        return staff.organization if staff else None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organization = self._organization(request)
        if organization is None:
            return queryset.none()
        return queryset.filter(**{self.organization_path: organization})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        organization = None if request.user.is_superuser else self._organization(request)
        if organization is not None:
            related = db_field.related_model
            if related is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=organization.pk)
            elif related is Customer:
                kwargs["queryset"] = Customer.objects.filter(organization=organization)
            elif related is Property:
                kwargs["queryset"] = Property.objects.filter(organization=organization)
            elif related._meta.label == "auth.User":
                kwargs["queryset"] = related.objects.filter(staff__organization=organization)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        organization = self._organization(request)
        if not request.user.is_superuser and organization is not None and hasattr(obj, "organization_id"):
            obj.organization = organization
        super().save_model(request, obj, form, change)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    search_fields = ["name"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        organization = self._organization(request)
        return queryset.filter(pk=organization.pk) if organization else queryset.none()


@admin.register(Property)
class PropertyAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "timezone"]
    search_fields = ["name"]


@admin.register(Staff)
class StaffAdmin(OrganizationScopedAdmin):
    list_display = ["user", "organization", "property", "role"]
    list_filter = ["role"]


class PreferenceInline(admin.TabularInline):
    model = Preference
    extra = 0
    fields = ["category", "text", "polarity", "source", "safety_critical", "last_confirmed_at", "times_confirmed"]
    readonly_fields = ["last_confirmed_at", "times_confirmed"]


@admin.register(Customer)
class CustomerAdmin(OrganizationScopedAdmin):
    list_display = ["display_name", "preferred_name", "email", "phone", "visit_count", "last_seen"]
    search_fields = ["given_name", "family_name", "native_name", "latin_name", "preferred_name", "email", "phone"]
    list_filter = ["language", "do_not_contact", "consent_marketing"]
    readonly_fields = ["visit_count", "first_seen", "last_seen", "created_at", "updated_at"]
    inlines = [PreferenceInline]

    # Deleting a guest in the admin is the erase (crm.services.customer_erase): the same scrubbing as the API.
    def delete_model(self, request, obj):
        services.customer_erase(customer=obj, actor=request.user, channel=AccessChannel.SCREEN)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            services.customer_erase(customer=customer, actor=request.user, channel=AccessChannel.SCREEN)


@admin.register(Preference)
class PreferenceAdmin(OrganizationScopedAdmin):
    organization_path = "customer__organization"
    list_display = ["customer", "category", "text", "polarity", "safety_critical", "last_confirmed_at"]
    list_filter = ["category", "polarity", "source", "safety_critical"]
    search_fields = ["text"]
    list_select_related = ["customer"]


@admin.register(Issue)
class IssueAdmin(OrganizationScopedAdmin):
    organization_path = "customer__organization"
    list_display = ["summary", "customer", "severity", "status", "opened_at", "resolved_at"]
    list_filter = ["status", "severity"]
    search_fields = ["summary"]
    list_select_related = ["customer"]


@admin.register(Contact)
class ContactAdmin(OrganizationScopedAdmin):
    organization_path = "customer__organization"
    list_display = ["customer", "kind", "occurred_at", "greeted_by_name", "preference_honored", "delight_delivered"]
    list_filter = ["kind"]
    list_select_related = ["customer"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(OrganizationScopedAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "customer_id", "summary"]
    list_filter = ["action", "target_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessRecord)
class AccessRecordAdmin(OrganizationScopedAdmin):
    """Read-only for everyone, superusers included: the access audit is append-only (only retention drops old
    entries)."""

    list_display = ["at", "actor", "action", "channel", "customer_id", "property"]
    list_filter = ["action", "channel"]
    list_select_related = ["actor", "property"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
