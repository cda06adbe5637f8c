from __future__ import annotations

from rest_framework.permissions import BasePermission

from crm.selectors import staff_of


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
