"""The guest card: the brief on screen, and the quick forms staff use during the contact."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import ContactForm, IssueForm, PreferenceForm, first_submission
from crm.models import Customer, Staff
from personalization.brief import build_brief

RECENT_CONTACTS = 5


def _staff(request: HttpRequest) -> Staff:
    staff = selectors.staff_of(request.user)
    if staff is None:
        raise PermissionDenied
    return staff


def _card(request: HttpRequest, customer: Customer, staff: Staff, *, status: int = 200, **forms) -> HttpResponse:
    brief = build_brief(customer=customer, property_id=staff.property_id, contact_kind=request.GET.get("kind"))
    safety = [p for p in selectors.preference_list(customer=customer) if p.safety_critical]
    context = {
        "customer": customer,
        "brief": brief,
        "preference_form": forms.get("preference_form") or PreferenceForm(),
        "issue_form": forms.get("issue_form") or IssueForm(),
        "contact_form": forms.get("contact_form") or ContactForm(safety=safety),
        "contacts": selectors.contact_list(customer=customer)[:RECENT_CONTACTS],
    }
    return render(request, "personalization/card.html", context, status=status)


@login_required
def card(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    return _card(request, selectors.customer_get(organization=staff.organization, pk=pk), staff)


def _back(customer: Customer) -> HttpResponse:
    return redirect("card:customer", pk=customer.pk)


@login_required
@require_POST
def preference_add(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, staff, status=400, preference_form=form)
    if first_submission(request, form.cleaned_data["form_token"]):
        data = {k: v for k, v in form.cleaned_data.items() if k != "form_token"}
        services.preference_record(customer=customer, actor=request.user, property=staff.property, **data)
        messages.success(request, _("Preference saved."))
    return _back(customer)


@login_required
@require_POST
def issue_add(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return _card(request, customer, staff, status=400, issue_form=form)
    if first_submission(request, form.cleaned_data["form_token"]):
        data = {k: v for k, v in form.cleaned_data.items() if k != "form_token"}
        services.issue_open(customer=customer, actor=request.user, property=staff.property, **data)
        messages.success(request, _("Issue opened."))
    return _back(customer)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    safety = [p for p in selectors.preference_list(customer=customer) if p.safety_critical]
    form = ContactForm(request.POST, safety=safety)
    if not form.is_valid():
        return _card(request, customer, staff, status=400, contact_form=form)
    if first_submission(request, form.cleaned_data["form_token"]):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("form_token", "acknowledged")}
        acknowledged = [
            {"preference_id": p.pk, "text": p.text, "by": request.user.get_username(), "at": timezone.now().isoformat()}
            for p in safety
            if str(p.pk) in form.cleaned_data["acknowledged"]
        ]
        services.contact_log(customer=customer, actor=request.user, property=staff.property,
                             brief_shown={"safety_acknowledged": acknowledged}, **data)  # fmt: skip
        messages.success(request, _("Contact logged."))
    return _back(customer)


@login_required
@require_POST
def preference_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _staff(request)
    preference = selectors.preference_get(organization=staff.organization, pk=pk)
    try:
        services.preference_confirm(preference=preference, actor=request.user)
    except ValidationError as exc:  # pragma: no cover - confirm validates nothing today
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Confirmed: “%(text)s”.") % {"text": preference.text})
    return _back(preference.customer)
