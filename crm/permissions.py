from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.permissions import BasePermission

from crm.models import Staff
from crm.selectors import staff_of


def screen_staff(request: HttpRequest) -> Staff:
    """The staff member using a screen (after login_required); 403 for a user outside every organization."""
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied
    return staff


def screen_manager(request: HttpRequest) -> Staff:
    """The manager or admin using a manager's screen; 403 for front desk."""
    staff = screen_staff(request)
    if not staff.is_manager:
        raise PermissionDenied
    return staff


def screen_property_id(request: HttpRequest, staff: Staff) -> int | None:
    """The property a desk screen lists (tasks, arrivals): the staff member's own; a manager may pick another of
    the organization with ?property=."""
    wanted = request.GET.get("property", "")
    if staff.is_manager and wanted.isdigit() and staff.organization.properties.filter(pk=wanted).exists():
        return int(wanted)
    return staff.property_id


def screen_properties(staff: Staff):
    """The properties a manager may pick on a desk screen (screen_property_id), by name; None for front desk,
    whose screens show their own property."""
    return staff.organization.properties.order_by("name") if staff.is_manager else None


class IsStaffMember(BasePermission):
    """Authenticated and belonging to an organization (any role)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return staff_of(request.user) is not None


class IsManager(IsStaffMember):
    """Managers and admins; front desk gets 403 on writes (reads allowed where the view says so)."""

    def has_permission(self, request, view) -> bool:
        staff = staff_of(request.user) if request.user and request.user.is_authenticated else None
        if staff is None:
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or staff.is_manager


class ManagersOnly(IsStaffMember):
    """Managers and admins, for reads too (the duplicates list, merges)."""

    def has_permission(self, request, view) -> bool:
        staff = staff_of(request.user) if request.user and request.user.is_authenticated else None
        return staff is not None and staff.is_manager
