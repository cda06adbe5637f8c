"""All writes to the memory. Each service is one transaction, validates with
full_clean() before saving, and leaves an append-only ChangeRecord."""

from crm.services.access import access_record, access_record_many, access_record_sql
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
from crm.services.pronunciation import customer_pronunciation_record, customer_pronunciation_remove
from crm.services.properties import property_brand_update
from crm.services.signin import (
    recovery_codes_renew,
    second_factor_check,
    sign_in_failed,
    token_issue,
    token_revoke,
    two_factor_confirm,
    two_factor_disable,
    two_factor_start,
)
from crm.services.staff import MANAGER_GROUP, manager_group, staff_upsert
from crm.webhooks.services import (
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
)

__all__ = [
    "access_record",
    "access_record_many",
    "access_record_sql",
    "MANAGER_GROUP",
    "contact_log",
    "customer_create",
    "customer_erase",
    "customer_merge",
    "customer_pronunciation_record",
    "customer_pronunciation_remove",
    "customer_update",
    "issue_open",
    "issue_update",
    "manager_group",
    "merge_undo",
    "preference_confirm",
    "property_brand_update",
    "preference_delete",
    "preference_record",
    "preference_update",
    "recovery_codes_renew",
    "second_factor_check",
    "sign_in_failed",
    "staff_upsert",
    "token_issue",
    "token_revoke",
    "two_factor_confirm",
    "two_factor_disable",
    "two_factor_start",
    "webhook_delivery_retry",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_update",
    "webhook_secret_rotate",
]
