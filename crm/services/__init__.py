"""All writes to the memory. Each service is one transaction, validates with
full_clean() before saving, and leaves an append-only ChangeRecord."""

from crm.services.access import access_record
from crm.services.customers import customer_create, customer_erase, customer_update
from crm.services.history import (
    contact_log,
    issue_open,
    issue_update,
    preference_confirm,
    preference_delete,
    preference_record,
    preference_update,
)
from crm.services.merges import customer_merge, merge_undo
from crm.services.staff import MANAGER_GROUP, manager_group, staff_upsert, token_issue

__all__ = [
    "access_record",
    "MANAGER_GROUP",
    "contact_log",
    "customer_create",
    "customer_erase",
    "customer_merge",
    "customer_update",
    "issue_open",
    "issue_update",
    "manager_group",
    "merge_undo",
    "preference_confirm",
    "preference_delete",
    "preference_record",
    "preference_update",
    "staff_upsert",
    "token_issue",
]
