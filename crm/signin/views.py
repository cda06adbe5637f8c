"""The screens of signing in: password, then the code for a user with two-factor sign-in (the login form
and the admin login alike), and setting up two-factor sign-in with its recovery codes."""

from __future__ import annotations

import time
from base64 import b32encode

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from crm import selectors, services
from crm.signin.lockout import lockout_response
from crm.signin.middleware import MUST_ENROL

PENDING = "rapport_sign_in_pending"
# The code must follow the password within this time, or the password is asked again.
PENDING_SECONDS = 300


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class SignInView(LoginView):
    """Django's login form; a user with two-factor sign-in is not logged in yet but asked for a code next."""

    def form_valid(self, form):
        user = form.get_user()
        if selectors.has_second_factor(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": int(time.time()),
            }
            return redirect("sign-in-code")
        response = super().form_valid(form)
        staff = selectors.staff_of(user)
        if staff is not None and staff.must_use_two_factor:
            self.request.session[MUST_ENROL] = True
            return redirect("two-factor")
        return response


class AdminSignInView(SignInView):
    """The admin's login page (/admin/login/), through the same steps as the login form."""

    form_class = AdminAuthenticationForm
    template_name = "admin/login.html"

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and admin.site.has_permission(request):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
        }


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step: the code of the authenticator app, or a recovery code. A wrong code counts as a
    failed sign-in (django-axes), so guessing codes locks the account as guessing passwords does."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:  # removed or deactivated since the password was checked
        request.session.pop(PENDING, None)
        return redirect("login")
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            return lockout_response(request)
        try:
            device = services.second_factor_check(user=user, code=form.cleaned_data["code"], field="code")
        except ValidationError as exc:
            services.sign_in_failed(request=request, username=user.get_username())
            if getattr(request, "axes_locked_out", False):
                request.session.pop(PENDING, None)
                return lockout_response(request)
            form.add_error(None, exc.error_dict["code"])
        else:
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            if device is not None:
                django_otp.login(request, device)
            return redirect(pending["next"])
    return render(request, "registration/sign_in_code.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up two-factor sign-in (secret, QR code, a code to confirm), then see the recovery codes once;
    later: new recovery codes, or turning it off where the organization does not require it."""
    user = request.user
    staff = selectors.staff_of(user)
    required = staff is not None and staff.must_use_two_factor
    action = request.POST.get("action")
    form = CodeForm(request.POST if action == "confirm" else None)
    if action == "confirm" and form.is_valid():
        try:
            codes = services.two_factor_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.message_dict["code"])
        else:
            request.session.pop(MUST_ENROL, None)
            return render(request, "registration/recovery_codes.html", {"codes": codes, "enrolled": True})
    elif action == "renew" and selectors.has_second_factor(user):
        codes = services.recovery_codes_renew(user=user)
        return render(request, "registration/recovery_codes.html", {"codes": codes, "enrolled": False})
    elif action == "disable":
        try:
            services.two_factor_disable(user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Two-factor sign-in is off."))
        return redirect("two-factor")
    context: dict = {"required": required, "must_enrol": bool(request.session.get(MUST_ENROL))}
    if selectors.has_second_factor(user):
        context["enrolled"] = True
    else:
        device = services.two_factor_start(user=user)
        context.update(
            form=form,
            secret=b32encode(device.bin_key).decode(),
            qr_svg=segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("QR code")),
        )
    return render(request, "registration/two_factor.html", context)
