"""The memory: who the customers are, what they like, what went wrong, every contact.

One module per family of models; everything is importable from ``crm.models``.
"""

from crm.models.access import SAFETY_ACTIONS, AccessAction, AccessChannel, AccessRecord
from crm.models.audit import ChangeAction, ChangeRecord
from crm.models.base import TimeStamped
from crm.models.customers import NAME_REQUIRED_MESSAGE, Customer, NameOrder
from crm.models.history import (
    SAFETY_CATEGORIES,
    VISIT_KINDS,
    Contact,
    ContactKind,
    Issue,
    IssueStatus,
    Polarity,
    Preference,
    PreferenceCategory,
    RecoveryStep,
    Severity,
    Source,
)
from crm.models.imports import UNDO_DAYS, GuestImport, ImportRow, ImportStatus, RowOutcome, RowPlan
from crm.models.lookup import Merge, NameWord, SearchTerm, SearchTermVisit, TermKind
from crm.models.stays import ExternalId, Stay, StayStatus
from crm.models.tenancy import Organization, Property, Role, Staff
from crm.models.webhooks import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint

__all__ = [
    "SAFETY_ACTIONS",
    "AccessAction",
    "AccessChannel",
    "AccessRecord",
    "NAME_REQUIRED_MESSAGE",
    "SAFETY_CATEGORIES",
    "VISIT_KINDS",
    "ChangeAction",
    "ChangeRecord",
    "Contact",
    "ContactKind",
    "Customer",
    "ExternalId",
    "GuestImport",
    "ImportRow",
    "ImportStatus",
    "Issue",
    "Merge",
    "NameWord",
    "IssueStatus",
    "NameOrder",
    "Organization",
    "Polarity",
    "Preference",
    "PreferenceCategory",
    "Property",
    "RecoveryStep",
    "RowOutcome",
    "RowPlan",
    "Role",
    "SearchTerm",
    "SearchTermVisit",
    "Severity",
    "Source",
    "Staff",
    "Stay",
    "StayStatus",
    "TermKind",
    "TimeStamped",
    "DeliveryStatus",
    "EventType",
    "WebhookDelivery",
    "WebhookEndpoint",
    "UNDO_DAYS",
]
