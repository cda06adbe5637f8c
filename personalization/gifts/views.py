"""Managers' screens for gift rules: the list with this month's spending, the editor with live checks and
the month-by-month preview, delights delivered by staff, and the history of changes read as sentences.
Front desk: 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Staff
from crm.permissions import screen_manager
from crm.views import screen_button
from personalization.gifts import selectors, services
from personalization.gifts.backtest import backtest
from personalization.gifts.forms import GiftRuleForm
from personalization.gifts.history import history_lines
from personalization.models import GiftRule

HISTORY = 100


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    organization = screen_manager(request).organization
    rules = list(selectors.gift_rule_list(organization=organization))
    for rule in rules:
        # A budget per property: the month's total against one property's cap would mislead.
        per_rule = rule.monthly_budget and not rule.budget_per_property
        rule.used_percent = round(rule.spent_this_month * 100 / rule.monthly_budget) if per_rule else None
    return render(request, "personalization/gifts/rules.html", {"rules": rules})


def _form(request: HttpRequest, staff: Staff, rule=None) -> GiftRuleForm:
    data = request.POST if request.method == "POST" else None
    return GiftRuleForm(data, instance=rule, organization=staff.organization)


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """New rule, or change one. Saving goes through the service; its refusals land on the fields."""
    staff = screen_manager(request)
    rule = selectors.gift_rule_get(organization=staff.organization, pk=pk) if pk else None
    form = _form(request, staff, rule)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                rule = services.gift_rule_create(
                    organization=staff.organization, actor=request.user, **form.service_fields()
                )
            else:
                # A fresh copy: validating the ModelForm already wrote the new values onto `rule`, and the
                # service, comparing against them, would see no change and save nothing.
                stored = selectors.gift_rule_get(organization=staff.organization, pk=rule.pk)
                rule = services.gift_rule_update(rule=stored, actor=request.user, **form.service_fields())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("gifts:rule", pk=rule.pk)
    preview = backtest(rule=rule, organization=staff.organization) if rule is not None and not form.is_bound else None
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "rule": rule, "preview": preview}
    return render(request, "personalization/gifts/editor.html", context, status=status)


@login_required
@require_POST
def rule_check(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """htmx, as the manager types: the form's errors, or the preview of the rule as it stands."""
    staff = screen_manager(request)
    rule = selectors.gift_rule_get(organization=staff.organization, pk=pk) if pk else None
    form = _form(request, staff, rule)
    preview = None
    if form.is_valid():
        candidate = form.save(commit=False)  # never saved: the preview of an unsaved change
        candidate.organization = staff.organization
        candidate.property_ids = [p.pk for p in form.cleaned_data["properties"]]  # the form's, not the stored
        preview = backtest(rule=candidate, organization=staff.organization)
    return render(request, "personalization/gifts/editor.html#check", {"form": form, "preview": preview})


@screen_button(selectors.gift_rule_get, lambda request, staff, rule: redirect("gifts:rules"), manager=True)
def rule_delete(request: HttpRequest, staff: Staff, rule: GiftRule) -> str:
    services.gift_rule_delete(rule=rule, actor=request.user)
    return _("Rule “%(name)s” deleted; its delivered gifts stay on record.") % {"name": rule.name}


@login_required
def delivered(request: HttpRequest) -> HttpResponse:
    organization = screen_manager(request).organization
    context = {
        "delights": selectors.delights_delivered(organization=organization)[:HISTORY],
        "history": history_lines(selectors.gift_audit(organization=organization)[:HISTORY], organization=organization),
    }
    return render(request, "personalization/gifts/delivered.html", context)


@login_required
def rule_history(request: HttpRequest, pk: int) -> HttpResponse:
    """One rule's changes and the gifts it paid for, newest first, as sentences."""
    organization = screen_manager(request).organization
    rule = selectors.gift_rule_get(organization=organization, pk=pk)
    records = selectors.gift_rule_history(rule=rule)[:HISTORY]
    context = {"rule": rule, "history": history_lines(records, organization=organization)}
    return render(request, "personalization/gifts/history.html", context)
