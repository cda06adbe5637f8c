"""The guest card: the brief on screen, and the quick forms staff use during the contact."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import ContactForm, IssueForm, PreferenceForm, first_submission
from crm.models import AccessAction, AccessChannel, Customer, Staff
from crm.permissions import screen_staff
from crm.views import act_and_tell
from personalization import profile_views
from personalization import selectors as touch_selectors
from personalization.brief import brief_for
from personalization.gifts import selectors as gift_selectors
from personalization.gifts import services as gift_services

RECENT_CONTACTS = 5
CARD_TOUCHES = 10
CARD_ACCESS_LOG = 20


def _card(request: HttpRequest, customer: Customer, staff: Staff, *, status: int = 200, **forms) -> HttpResponse:
    brief = brief_for(
        organization=staff.organization,
        customer_id=customer.pk,
        property_id=staff.property_id,
        contact_kind=request.GET.get("kind"),
    )
    # Every showing of the card (also again with a form's errors) shows the guest's safety needs: audited.
    services.access_record(
        organization_id=staff.organization_id,
        customer_id=customer.pk,
        actor=request.user,
        action=AccessAction.CARD,
        channel=AccessChannel.SCREEN,
        property_id=staff.property_id,
    )
    safety = [p for p in selectors.preference_list(customer=customer) if p.safety_critical]
    context = {
        "customer": customer,
        "brief": brief,
        "preference_form": forms.get("preference_form") or PreferenceForm(),
        "issue_form": forms.get("issue_form") or IssueForm(),
        "contact_form": forms.get("contact_form") or ContactForm(safety=safety),
        "contacts": selectors.contact_list(customer=customer)[:RECENT_CONTACTS],
        "touches": touch_selectors.touch_list_of(customer=customer)[:CARD_TOUCHES],
        "manual_rules": gift_selectors.gift_rule_list(organization=staff.organization).filter(
            trigger="manual", active=True
        ),
        # Managers see who viewed this guest (their own view just now included).
        "access_log": selectors.access_log(customer_id=customer.pk, organization=staff.organization)[:CARD_ACCESS_LOG]
        if staff.is_manager
        else None,
        **profile_views.card_context(customer, staff, forms),
    }
    return render(request, "personalization/card.html", context, status=status)


@login_required
def card(request: HttpRequest, pk: int) -> HttpResponse:
    staff = screen_staff(request)
    return _card(request, selectors.customer_get(organization=staff.organization, pk=pk), staff)


def _back(customer: Customer) -> HttpResponse:
    return redirect("card:customer", pk=customer.pk)


def _quick_form(request: HttpRequest, pk: int, form_name: str, make_form, write, done: str) -> HttpResponse:
    """Validate one quick form of the card; write once per form token; back to the card, or the card
    again with the field errors (400) and what was typed."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    safety = [p for p in selectors.preference_list(customer=customer) if p.safety_critical]
    form = make_form(request.POST, safety)
    if not form.is_valid():
        return _card(request, customer, staff, status=400, **{form_name: form})
    if first_submission(request, form.cleaned_data["form_token"]):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("form_token", "acknowledged")}
        write(customer=customer, actor=request.user, property=staff.property, data=data, form=form, safety=safety)
        messages.success(request, done)
    return _back(customer)


@login_required
@require_POST
def preference_add(request: HttpRequest, pk: int) -> HttpResponse:
    def write(*, data, form, safety, **where):
        services.preference_record(**where, **data)

    return _quick_form(
        request, pk, "preference_form", lambda post, _: PreferenceForm(post), write, _("Preference saved.")
    )


@login_required
@require_POST
def issue_add(request: HttpRequest, pk: int) -> HttpResponse:
    def write(*, data, form, safety, **where):
        services.issue_open(**where, **data)

    return _quick_form(request, pk, "issue_form", lambda post, _: IssueForm(post), write, _("Issue opened."))


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    def write(*, data, form, safety, actor, **where):
        # Who acknowledged which safety need, and when: recorded on the contact itself.
        acknowledged = [
            {"preference_id": p.pk, "text": p.text, "by": actor.get_username(), "at": timezone.now().isoformat()}
            for p in safety
            if str(p.pk) in form.cleaned_data["acknowledged"]
        ]
        services.contact_log(actor=actor, brief_shown={"safety_acknowledged": acknowledged}, **where, **data)

    def make_form(post, safety):
        return ContactForm(post, safety=safety)

    return _quick_form(request, pk, "contact_form", make_form, write, _("Contact logged."))


@login_required
@require_POST
def preference_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    preference = selectors.preference_get(organization=screen_staff(request).organization, pk=pk)
    services.preference_confirm(preference=preference, actor=request.user)
    messages.success(request, _("Confirmed: “%(text)s”.") % {"text": preference.text})
    return _back(preference.customer)


def _delight_button(service, done: Promise):
    """A button of the card's delight section; a refusal (spent budget, expired, approval) is said on the card."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        delight = gift_selectors.delight_get(organization=screen_staff(request).organization, pk=pk)
        act_and_tell(request, lambda: service(delight=delight, actor=request.user), lambda d: done % {"gift": d.gift})
        return redirect("card:customer", pk=delight.customer_id)

    return view


delight_deliver = _delight_button(gift_services.delight_deliver, gettext_lazy("Delivered: “%(gift)s”."))
# Planned: for a costly gift, a manager's approval.
delight_plan = _delight_button(gift_services.delight_plan, gettext_lazy("Planned: “%(gift)s”."))
delight_decline = _delight_button(gift_services.delight_decline, gettext_lazy("Declined: “%(gift)s”."))


@login_required
@require_POST
def delight_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer a manual rule's gift from the card."""
    staff = screen_staff(request)
    customer = selectors.customer_get(organization=staff.organization, pk=pk)
    rule = gift_selectors.gift_rule_get(organization=staff.organization, pk=request.POST.get("rule"))
    act_and_tell(
        request,
        lambda: gift_services.delight_offer(
            rule=rule, customer=customer, actor=request.user, property_id=staff.property_id
        ),
        lambda delight: _("Offered: “%(gift)s”.") % {"gift": delight.gift},
    )
    return _back(customer)
