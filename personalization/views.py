"""The guest card: the brief on screen, and the quick forms staff use during the contact."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm import selectors, services
from crm.forms import ContactForm, IssueForm, IssueResolveForm, IssueStepsForm, PreferenceForm, first_submission
from crm.models import AccessAction, Customer, Issue, IssueStatus, Preference, RecoveryStep, Staff
from crm.permissions import screen_staff
from crm.views import act_and_tell, screen_button, screen_saw
from personalization import profile_views
from personalization import selectors as touch_selectors
from personalization.brief import brief_for
from personalization.gifts import selectors as gift_selectors
from personalization.gifts import services as gift_services
from personalization.models import Delight

RECENT_CONTACTS = 5
CARD_TOUCHES = 10
CARD_ACCESS_LOG = 20


def _card(request: HttpRequest, customer: Customer, staff: Staff, *, status: int = 200, **forms) -> HttpResponse:
    brief = brief_for(
        organization=staff.organization,
        customer_id=customer.pk,
        property_id=staff.property_id,
        zone=staff.zone(),
        contact_kind=request.GET.get("kind"),
    )
    # Every showing of the card (also again with a form's errors) shows the guest's safety needs: audited.
    screen_saw(request, staff, customer, AccessAction.CARD)
    safety = [p for p in selectors.preference_list(customer=customer) if p.safety_critical]
    context = {
        "customer": customer,
        "brief": brief,
        "preference_form": forms.get("preference_form") or PreferenceForm(),
        "issue_form": forms.get("issue_form") or IssueForm(),
        "contact_form": forms.get("contact_form") or ContactForm(safety=safety),
        "contacts": selectors.contact_list(customer=customer)[:RECENT_CONTACTS],
        "issue_panel": _issue_panel(customer, forms.get("issue_forms") or {}),
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


CARD_ISSUES = 10
ACTIVE_ISSUE = (IssueStatus.OPEN, IssueStatus.IN_PROGRESS)


def _issue_panel(customer: Customer, failed: dict[int, dict]) -> list[dict]:
    """The guest's issues for the card's issue section (personalization/_issues.html): open and in progress ones
    first, each with its recovery steps (who ticked each, and when) and its forms — a form refused a moment ago
    (failed: {issue id: {"steps_form" | "resolve_form": form}}) shown again with its errors and what was typed."""
    issues = sorted(selectors.issue_list(customer=customer)[:CARD_ISSUES], key=lambda i: i.status not in ACTIVE_ISSUE)
    users = get_user_model().objects.in_bulk(
        {entry["by"] for issue in issues for entry in issue.step_entries() if entry["by"]}
    )
    panel = []
    for issue in issues:
        done = {entry["step"]: entry for entry in issue.step_entries()}
        steps = []
        for value, label in RecoveryStep.choices:
            entry = done.get(value)
            by = users.get(entry["by"]) if entry and entry["by"] else None
            at = parse_datetime(entry["at"]) if entry and entry["at"] else None
            steps.append({"value": value, "label": label, "done": entry is not None, "by": by, "at": at})
        forms = failed.get(issue.pk, {})
        panel.append(
            {
                "issue": issue,
                "active": issue.status in ACTIVE_ISSUE,
                "steps": steps,
                "steps_form": forms.get("steps_form"),
                "resolve_form": forms.get("resolve_form")
                or IssueResolveForm(
                    initial={"compensation": issue.compensation, "guest_summary": issue.guest_summary},
                    auto_id=f"issue{issue.pk}_%s",
                ),
            }
        )
    return panel


@login_required
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """The guest card; a profile merged into another leads to the kept profile's card, saying so."""
    staff = screen_staff(request)
    merged = selectors.merged_profile(organization=staff.organization, pk=pk)
    if merged is not None:
        kept = merged.surviving_profile()
        messages.info(
            request,
            _("Profile #%(old)s (%(name)s) was merged into this one: %(kept)s.")
            % {"old": merged.pk, "name": merged.display_name, "kept": kept.display_name},
        )
        return redirect("card:customer", pk=kept.pk)
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


@screen_button(selectors.preference_get, lambda request, staff, preference: _back(preference.customer))
def preference_confirm(request: HttpRequest, staff: Staff, preference: Preference) -> str:
    services.preference_confirm(preference=preference, actor=request.user)
    return _("Confirmed: “%(text)s”.") % {"text": preference.text}


def _delight_button(service, done: Promise):
    """A button of the card's delight section; a refusal (spent budget, expired, approval) is said on the card."""

    @screen_button(gift_selectors.delight_get, lambda request, staff, d: redirect("card:customer", pk=d.customer_id))
    def view(request: HttpRequest, staff: Staff, delight: Delight) -> str:
        return done % {"gift": service(delight=delight, actor=request.user).gift}

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


# --- an issue's lifecycle on the card: acknowledge, tick the steps, resolve, reopen ---------------------------


def _issue_form(request: HttpRequest, pk: int, form_name: str, make_form, write, done) -> HttpResponse:
    """One issue form of the card: write through crm's service; back to the card, or the card again with the
    form's errors (400) and what was typed — a refusal of the service (a step unknown, a line break in a
    one-line text) on its field."""
    staff = screen_staff(request)
    issue = selectors.issue_get(organization=staff.organization, pk=pk)
    form = make_form(request.POST, auto_id=f"issue{issue.pk}_%s")
    if form.is_valid():
        try:
            write(issue, form.cleaned_data)
        except ValidationError as refused:
            for field, errors in refused.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, done(issue))
            return _back(issue.customer)
    customer = selectors.customer_get(organization=staff.organization, pk=issue.customer_id)
    return _card(request, customer, staff, status=400, issue_forms={issue.pk: {form_name: form}})


def _issue_button(request: HttpRequest, pk: int, status: str, done) -> HttpResponse:
    issue = selectors.issue_get(organization=screen_staff(request).organization, pk=pk)
    act_and_tell(
        request, lambda: services.issue_update(issue=issue, actor=request.user, status=status), lambda i: done(i)
    )
    return _back(issue.customer)


@login_required
@require_POST
def issue_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone at the desk is on it: open → in progress (stamps the first response)."""
    return _issue_button(
        request, pk, IssueStatus.IN_PROGRESS, lambda i: _("“%(summary)s” is in progress.") % {"summary": i.summary}
    )


@login_required
@require_POST
def issue_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """The fix did not hold: back to open (its pending follow-up is cancelled)."""
    return _issue_button(
        request, pk, IssueStatus.OPEN, lambda i: _("“%(summary)s” is open again.") % {"summary": i.summary}
    )


@login_required
@require_POST
def issue_steps(request: HttpRequest, pk: int) -> HttpResponse:
    """The recovery steps ticked (and the compensation): the brief's next step follows."""

    def write(issue: Issue, data: dict) -> None:
        services.issue_update(
            issue=issue, actor=request.user, steps_done=data["steps_done"], compensation=data["compensation"].strip()
        )

    return _issue_form(
        request,
        pk,
        "steps_form",
        IssueStepsForm,
        write,
        lambda i: _("Steps saved: “%(summary)s”.") % {"summary": i.summary},
    )


@login_required
@require_POST
def issue_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolved, with what was done (for the team) and what the guest may read; schedules the follow-up (a mail,
    or a call-back task on the desk's list for a guest without email)."""

    def write(issue: Issue, data: dict) -> None:
        services.issue_update(
            issue=issue,
            actor=request.user,
            status=IssueStatus.RESOLVED,
            resolution=data["resolution"].strip(),
            guest_summary=data["guest_summary"].strip(),
            compensation=data["compensation"].strip(),
        )

    return _issue_form(
        request,
        pk,
        "resolve_form",
        IssueResolveForm,
        write,
        lambda i: _("Resolved: “%(summary)s”.") % {"summary": i.summary},
    )
