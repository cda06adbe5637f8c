"""Front-desk and manager screens: find a guest, open their card, fold duplicates together."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import brand, guest_list, phones, privacy, selectors, services
from crm.errors import Conflict
from crm.forms import EraseForm, MergeForm, NewGuestForm, PropertyBrandForm, apply_service_errors
from crm.lookup.entered import fields_from_lookup
from crm.models import AccessAction, AccessChannel, Customer, Staff
from crm.permissions import screen_manager, screen_staff
from crm.serializers import GuestListQuerySerializer

HOME_RESULTS = 20


def act_and_tell[T](request: HttpRequest, action: Callable[[], T], done: Callable[[T], str]) -> T | None:
    """A screen's button: run the service call; a refusal (Conflict, ValidationError) is said to the user as
    an error message and returns None, success as done(result). Every screen reports outcomes this way."""
    try:
        result = action()
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done(result))
        return result
    return None


def screen_button[T](
    get: Callable[..., T],
    back: Callable[[HttpRequest, Staff, T], HttpResponse],
    *,
    manager: bool = False,
) -> Callable[[Callable[[HttpRequest, Staff, T], str]], Callable[[HttpRequest, int], HttpResponse]]:
    """A screen's POST button on one of the organization's rows: login and POST required, 403 for front desk where
    manager, the row from the selector get (404 outside the staff member's organization). The decorated view calls
    the service and returns what to tell the user; a refusal is told instead (act_and_tell); back answers."""

    def decorate(view: Callable[[HttpRequest, Staff, T], str]) -> Callable[[HttpRequest, int], HttpResponse]:
        @login_required
        @require_POST
        @wraps(view)
        def button(request: HttpRequest, pk: int) -> HttpResponse:
            staff = screen_manager(request) if manager else screen_staff(request)
            row = get(organization=staff.organization, pk=pk)
            act_and_tell(request, lambda: view(request, staff, row), str)
            return back(request, staff, row)

        return button

    return decorate


def save_and_tell(request: HttpRequest, form, service: Callable[..., object], done: str, **arguments) -> bool:
    """A screen's form: when it is valid, call the service with its cleaned data, the user as the actor and the
    arguments; a refusal (ValidationError) is shown on the fields it names (apply_service_errors), success is said
    as the message done. True when saved."""
    if not form.is_valid():
        return False
    try:
        service(actor=request.user, **arguments, **form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    messages.success(request, done)
    return True


def screen_saw(request: HttpRequest, staff, customer, action: AccessAction) -> None:
    """Append to the access audit that this staff member saw the guest on a screen (crm.services.access_record)."""
    services.access_record(
        organization_id=staff.organization_id,
        customer_id=customer.pk,
        actor=request.user,
        action=action,
        channel=AccessChannel.SCREEN,
        property_id=staff.property_id,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The lookup box; results as you type (htmx swaps the #results partial), or on Enter without JavaScript.

    The box posts what is typed, so names stay out of URLs (access logs, browser history); ?q= still works
    for a link typed by hand."""
    staff = screen_staff(request)
    organization = staff.organization
    q = request.POST.get("q", "") if request.method == "POST" else request.GET.get("q", "")
    if q.strip():
        customers = selectors.customer_lookup(organization=organization, q=q)[:HOME_RESULTS]
    else:
        customers = selectors.customer_list(organization=organization).select_related("home_property")[:HOME_RESULTS]
    context = {"q": q, "customers": customers}
    if staff.is_manager and not request.htmx:
        context["retention"] = {
            "months": organization.anonymize_after_months,
            "due": selectors.customers_due_for_anonymizing(organization=organization).count(),
        }
        context["properties"] = organization.properties.order_by("name")
    template = "crm/home.html#results" if request.htmx else "crm/home.html"
    return render(request, template, context)


@login_required
def guest_list_download(request: HttpRequest) -> HttpResponse:
    """Managers: the guest list as a CSV or Excel file, filtered by tag and home property (crm.guest_list)."""
    staff = screen_manager(request)
    wanted = {key: value for key, value in request.GET.items() if value}
    query = GuestListQuerySerializer(data=wanted, context={"organization": staff.organization})
    if not query.is_valid():
        messages.error(request, " ".join(str(m) for errors in query.errors.values() for m in errors))
        return redirect("crm:home")
    return guest_list.guest_list_download(request, staff=staff, channel=AccessChannel.SCREEN, **query.validated_data)


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """Managers: profiles that look like one person, and the merges of the last 30 days."""
    organization = screen_manager(request).organization
    return render(
        request,
        "crm/duplicates.html",
        {
            "pairs": selectors.likely_duplicates(organization=organization),
            "merges": selectors.merge_list(organization=organization)[:50],
        },
    )


@login_required
def merge(request: HttpRequest) -> HttpResponse:
    """Managers: both profiles side by side — what moves, what wins — and a confirmation (GET ?kept=&duplicate=);
    the confirmed POST merges and opens the kept profile's card. Unconfirmed: 400, the comparison again."""
    organization = screen_manager(request).organization
    data = request.POST if request.method == "POST" else request.GET
    kept = selectors.customer_get(organization=organization, pk=data.get("kept"))
    duplicate = selectors.customer_get(organization=organization, pk=data.get("duplicate"))
    if kept.pk == duplicate.pk:
        messages.error(request, _("A customer cannot be merged into itself."))
        return redirect("crm:duplicates")
    form = MergeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        merged = act_and_tell(
            request,
            lambda: services.customer_merge(kept=kept, duplicate=duplicate, actor=request.user),
            lambda _merge: _("%(duplicate)s was merged into %(kept)s.") % {"duplicate": duplicate, "kept": kept},
        )
        return redirect("card:customer", pk=kept.pk) if merged else redirect("crm:duplicates")
    preview = selectors.merge_preview(kept=kept, duplicate=duplicate)
    status = 400 if request.method == "POST" else 200
    return render(request, "crm/merge.html", {"preview": preview, "form": form}, status=status)


@screen_button(selectors.merge_get, lambda request, staff, merge: redirect("crm:duplicates"), manager=True)
def merge_undo(request: HttpRequest, staff: Staff, merge) -> str:
    undone = services.merge_undo(merge=merge, actor=request.user)
    return _("The merge was undone: %(duplicate)s is back.") % {"duplicate": undone.duplicate}


@login_required
def customer_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: download everything held about the guest as a JSON file (audited, like the API's export)."""
    staff = screen_manager(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    document = privacy.export_document(
        customer=customer, actor=request.user, channel=AccessChannel.SCREEN, property_id=staff.property_id
    )
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="guest-{customer.pk}.json"'
    return response


@login_required
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: a page that names the guest and asks to confirm; the confirmed POST erases them for good and
    goes back to the lookup with a message that no longer names them."""
    staff = screen_manager(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        summary = services.customer_erase(
            customer=customer, actor=request.user, channel=AccessChannel.SCREEN, property_id=staff.property_id
        )
        messages.success(request, _("The guest #%(id)s was erased for good.") % {"id": summary["customer_id"]})
        return redirect("crm:home")
    screen_saw(request, staff, customer, AccessAction.PROFILE)
    return render(
        request,
        "crm/erase.html",
        {"customer": customer, "form": form},
        status=400 if request.method == "POST" else 200,
    )


NEW_GUESTS_KEY = "new_guest_forms"  # form token → the guest it created: a second click lands on the same card


@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    """Add a walk-in (front desk too). The lookup's "New guest" button posts what was typed (``q``, never in a
    URL): the form opens pre-filled (crm.lookup.entered). The form posts back here with its token; saved
    through customer_create, then the new guest's card; refused → the form again with the errors (400)."""
    staff = screen_staff(request)
    organization = staff.organization
    posted = request.method == "POST" and "form_token" in request.POST
    if posted:
        form = NewGuestForm(request.POST, organization=organization)  # a language Rapport writes, nothing else
        done = request.session.get(NEW_GUESTS_KEY, {})
        if request.POST.get("form_token") in done:  # a double click: the guest was already added
            return redirect("card:customer", pk=done[request.POST["form_token"]])
        if form.is_valid():
            try:
                customer = services.customer_create(  # a phone without +country: the desk's country
                    organization=organization, actor=request.user, property=staff.property, **form.service_fields()
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                request.session[NEW_GUESTS_KEY] = dict(list(done.items())[-50:]) | {
                    form.cleaned_data["form_token"]: customer.pk
                }
                messages.success(request, _("%(name)s was added.") % {"name": customer.display_name})
                return redirect("card:customer", pk=customer.pk)
    else:
        typed = request.POST.get("q", "") if request.method == "POST" else ""
        form = NewGuestForm(
            initial={"language": "en", "consent_marketing": False, **fields_from_lookup(typed)},
            organization=organization,
        )
    context = {"form": form, "duplicates": _typed_duplicates(form, organization, staff)}
    return render(request, "crm/new_guest.html", context, status=400 if posted else 200)


@login_required
@require_POST
def customer_new_duplicates(request: HttpRequest) -> HttpResponse:
    """The new-guest form's "already here?" list, as it is filled (htmx): profiles sharing the typed email,
    phone or whole name (selectors.likely_duplicates_of_unsaved: the rule the API reports on a new customer)."""
    staff = screen_staff(request)
    form = NewGuestForm(request.POST, organization=staff.organization)
    form.is_valid()  # what parses is compared; the rest waits for the save
    return render(
        request,
        "crm/new_guest.html#duplicates",
        {"duplicates": _typed_duplicates(form, staff.organization, staff)},
    )


def _typed_duplicates(form: NewGuestForm, organization, staff) -> list[tuple[Customer, tuple[str, ...]]]:
    values = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    names = ("given_name", "family_name", "native_name", "preferred_name", "email", "phone")
    fields = {name: values.get(name) or "" for name in names}
    if not any(fields.values()):
        return []
    try:
        fields["phone"] = phones.to_e164(fields["phone"])
    except ValidationError:
        fields["phone"] = ""
    typed = Customer(organization=organization, **fields)
    return selectors.likely_duplicates_of_unsaved(typed)


@login_required
def property_brand(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: a property's logo, accent colour, postal address and signature, as its guests' mails and pages show
    them; a refused form is shown again with its errors (400) and nothing is written."""
    staff = screen_manager(request)
    property_ = selectors.property_get(organization=staff.organization, pk=pk)
    form = PropertyBrandForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=PropertyBrandForm.initial_of(property_),
    )
    if request.method == "POST":
        done = _("Saved: the mails of %(place)s use this look now.") % {"place": property_.name}
        if save_and_tell(request, form, services.property_brand_update, done, property=property_):
            return redirect("crm:property-brand", pk=property_.pk)
        status = 400
    else:
        status = 200
    context = {
        "property": property_,
        "form": form,
        "palette": property_.palette(),
        "logo_url": brand.logo_path(property_),
        "preview_languages": [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
    }
    return render(request, "crm/property_brand.html", context, status=status)


def property_logo(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """A property's logo for its guests' pages (survey, unsubscribe) and the managers' screens: public, as in every
    mail; served by the app so that the pages' CSP (img-src 'self') allows it."""
    property_ = selectors.property_with_logo(pk=pk, name=name)
    content_type = "image/jpeg" if name.endswith(".jpg") else "image/png"
    response = FileResponse(property_.logo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
