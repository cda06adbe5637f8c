"""Django admin for the memory. A non-superuser sees and edits only their own
organization's rows; foreign keys and the list filters offer only that organization's objects.

Customers, preferences and issues are written through crm.services, as the API and the screens write them:
a change record of who changed what, the search terms rebuilt, consent withdrawals and resolved issues
announced (their touches). The admin's form validates first, with the services' own rules where the model's
checks are not all of them (a phone's E.164 form, an issue's allowed moves). Contacts have no editing service
(each one counts a visit): the admin shows them read-only."""

from __future__ import annotations

from zoneinfo import available_timezones

import phonenumbers
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm import phones, selectors, services
from crm.forms import TagsField, language_choices
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
from crm.models.tenancy import phone_region_of
from crm.services.customers import CUSTOMER_FIELDS
from crm.services.history import ISSUE_FIELDS, PREFERENCE_FIELDS, issue_transition_check


def _organization_of(request):
    staff = selectors.staff_of(request.user)
    return staff.organization if staff else None


def scoped_related(request, model):
    """The rows of model a non-superuser's admin may offer (in a form's select or a list filter): their
    organization's; None when no scoping applies (a superuser, or a model without an organization)."""
    organization = None if request.user.is_superuser else _organization_of(request)
    if organization is None:
        return None
    if model is Organization:
        return Organization.objects.filter(pk=organization.pk)
    if model is Customer:
        return Customer.objects.filter(organization=organization)
    if model is Property:
        return Property.objects.filter(organization=organization)
    if model._meta.label == "auth.User":
        return model.objects.filter(staff__organization=organization)
    return None


class OrganizationRelatedFilter(admin.RelatedFieldListFilter):
    """A "by property" (or customer, user) filter that lists only the admin user's organization's rows."""

    def field_choices(self, field, request, model_admin):
        queryset = scoped_related(request, field.related_model)
        if queryset is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return [(row.pk, str(row)) for row in queryset.order_by(*ordering)]


class OrganizationScopedAdmin(admin.ModelAdmin):
    # Path from the model to its organization, for filtering.
    organization_path = "organization"

    def _organization(self, request):
        return _organization_of(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        organization = self._organization(request)
        if organization is None:
            return queryset.none()
        return queryset.filter(**{self.organization_path: organization})

    def get_list_filter(self, request):
        # Every filter on a foreign key lists only the organization's rows (another hotel's names leak nothing).
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item:
                field = self.model._meta.get_field(item)
                if field.is_relation and field.many_to_one:
                    item = (item, OrganizationRelatedFilter)
            filters.append(item)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = scoped_related(request, db_field.related_model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        organization = self._organization(request)
        if not request.user.is_superuser and organization is not None and hasattr(obj, "organization_id"):
            obj.organization = organization
        super().save_model(request, obj, form, change)


class ReadOnly:
    """A record nobody adds, changes or deletes in the admin, superusers included: written by its services only
    (erase and retention scrub or drop rows through them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    search_fields = ["name"]
    list_display = ["name", "require_two_factor"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        organization = self._organization(request)
        return queryset.filter(pk=organization.pk) if organization else queryset.none()


class PropertyAdminForm(forms.ModelForm):
    # Lists to choose from rather than free text: a mistyped zone or country would silently mean UTC or the
    # server's default region.
    timezone = forms.ChoiceField(label=_("time zone"), choices=lambda: [(z, z) for z in sorted(available_timezones())])
    country = forms.ChoiceField(
        label=_("country"),
        required=False,
        choices=lambda: [("", "—"), *((code, code) for code in sorted(phonenumbers.SUPPORTED_REGIONS))],
        help_text=_("Phone numbers typed without +country are read in it."),
    )

    class Meta:
        model = Property
        fields = ["organization", "name", "country", "timezone", "sender_email"]


@admin.register(Property)
class PropertyAdmin(OrganizationScopedAdmin):
    form = PropertyAdminForm
    list_display = ["name", "organization", "country", "timezone"]
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


def _values(instance, names) -> dict:
    """What the admin's form set on instance, as the keyword arguments of a service."""
    return {name: getattr(instance, name) for name in names}


def _write_preference(request, preference: Preference, customer: Customer) -> Preference:
    fields = _values(preference, PREFERENCE_FIELDS)
    if preference.pk is None:
        return services.preference_record(customer=customer, actor=request.user, **fields)
    original = Preference.objects.select_related("customer__organization").get(pk=preference.pk)
    return services.preference_update(preference=original, actor=request.user, **fields)


class CustomerAdminForm(forms.ModelForm):
    """Tags typed as "VIP, business" and the language from the ones Rapport writes, as on the card (crm.forms),
    instead of raw JSON and free text."""

    phone_region: str | None = None  # the admin user's property's country (CustomerAdmin.get_form)
    tags = TagsField(label=_("tags"), required=False, help_text=_("Separated by commas, e.g. VIP, business."))
    language = forms.ChoiceField(label=_("preferred language"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(self.instance.language if self.instance.pk else "")

    def clean_phone(self) -> str:
        # The service stores E.164 (crm.phones): refuse here what it would refuse, on the field; a number
        # without +country is read where the admin user works, else in the guest's home property's country.
        home = self.cleaned_data.get("home_property")
        region = self.phone_region or phone_region_of(home)
        return phones.to_e164(self.cleaned_data.get("phone") or "", region=region)


@admin.register(Customer)
class CustomerAdmin(OrganizationScopedAdmin):
    form = CustomerAdminForm
    list_display = ["display_name", "preferred_name", "email", "phone", "visit_count", "last_seen"]
    search_fields = ["given_name", "family_name", "native_name", "latin_name", "preferred_name", "email", "phone"]
    list_filter = ["language", "do_not_contact", "consent_marketing"]
    # The recorded pronunciation is uploaded through its own path, not among the services' fields.
    readonly_fields = ["visit_count", "first_seen", "last_seen", "created_at", "updated_at", "pronunciation_audio"]
    inlines = [PreferenceInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        staff = selectors.staff_of(request.user)
        form.phone_region = staff.property.phone_region if staff and staff.property else None
        return form

    def save_model(self, request, obj, form, change):
        fields = _values(obj, CUSTOMER_FIELDS)
        if change:
            customer = services.customer_update(customer=Customer.objects.get(pk=obj.pk), actor=request.user, **fields)
        else:
            organization = obj.organization if request.user.is_superuser else self._organization(request)
            customer = services.customer_create(organization=organization, actor=request.user, **fields)
            obj.pk = customer.pk
        obj.refresh_from_db()  # the derived fields (search name, pinyin) as the service wrote them

    def save_formset(self, request, form, formset, change):
        if formset.model is not Preference:
            return super().save_formset(request, form, formset, change)
        preferences = formset.save(commit=False)
        for preference in formset.deleted_objects:
            services.preference_delete(preference=preference, actor=request.user)
        for preference in preferences:
            _write_preference(request, preference, form.instance)

    # Deleting a guest in the admin is the erase (crm.services.customer_erase): the same scrubbing as the API.
    def delete_model(self, request, obj):
        services.customer_erase(customer=obj, actor=request.user, channel=AccessChannel.SCREEN)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            services.customer_erase(customer=customer, actor=request.user, channel=AccessChannel.SCREEN)

    def get_deleted_objects(self, objs, request):
        """The erase removes the guest's history with them, including kinds the admin shows read-only
        (contacts): the right to delete a customer is the right to erase them, not one per kind of row."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


class CustomerHistoryAdmin(OrganizationScopedAdmin):
    """A kind of a customer's history, scoped through its customer."""

    organization_path = "customer__organization"
    list_select_related = ["customer"]


@admin.register(Preference)
class PreferenceAdmin(CustomerHistoryAdmin):
    list_display = ["customer", "category", "text", "polarity", "safety_critical", "last_confirmed_at"]
    list_filter = ["category", "polarity", "source", "safety_critical"]
    search_fields = ["text"]
    readonly_fields = ["last_confirmed_at", "times_confirmed"]  # confirming is its own service

    def save_model(self, request, obj, form, change):
        obj.pk = _write_preference(request, obj, obj.customer).pk

    def delete_model(self, request, obj):
        services.preference_delete(preference=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for preference in queryset.select_related("customer__organization"):
            services.preference_delete(preference=preference, actor=request.user)


class IssueAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        old = self.instance.status if self.instance.pk else Issue._meta.get_field("status").default
        new = cleaned.get("status")
        if new and new != old:
            try:
                issue_transition_check(old=old, new=new, resolution=cleaned.get("resolution") or "")
            except ValidationError as refused:
                for field, messages in refused.message_dict.items():
                    self.add_error(field, messages)
        return cleaned


@admin.register(Issue)
class IssueAdmin(CustomerHistoryAdmin):
    form = IssueAdminForm
    list_display = ["summary", "customer", "severity", "status", "opened_at", "resolved_at"]
    list_filter = ["status", "severity"]
    search_fields = ["summary"]
    readonly_fields = ["opened_at", "first_response_at", "resolved_at", "closed_at"]

    def save_model(self, request, obj, form, change):
        fields = _values(obj, ISSUE_FIELDS)
        if change:
            original = Issue.objects.select_related("customer__organization").get(pk=obj.pk)
            services.issue_update(issue=original, actor=request.user, **fields)
        else:
            property_ = fields.pop("property")
            obj.pk = services.issue_open(customer=obj.customer, actor=request.user, property=property_, **fields).pk
        obj.refresh_from_db()


@admin.register(Contact)
class ContactAdmin(ReadOnly, CustomerHistoryAdmin):
    """Read-only: a contact counts a visit (crm.services.contact_log); staff log them on the guest card."""

    list_display = ["customer", "kind", "occurred_at", "greeted_by_name", "preference_honored", "delight_delivered"]
    list_filter = ["kind"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnly, OrganizationScopedAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "customer_id", "summary"]
    list_filter = ["action", "target_type"]


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnly, OrganizationScopedAdmin):
    """Read-only for everyone, superusers included: the access audit is append-only (only retention drops old
    entries)."""

    list_display = ["at", "actor", "action", "channel", "customer_id", "property"]
    list_filter = ["action", "channel"]
    list_select_related = ["actor", "property"]
    date_hierarchy = "at"
