"""Writes of guest-list imports (issue 13): the preview (writes the import and its rows, never a guest), the
apply in batches (resumable: each batch's transaction marks its rows done), and the undo.

The rules are the memory's own: a row's fields are normalized by crm.services.customers (phones in the
property's country), validated by the Customer model, indexed by crm.lookup.terms, recorded as ChangeRecords;
only the writes are batched (bulk inserts and updates per BATCH rows), which a row at a time could not do
for 100,000 rows (docs/benchmarks.md "Imports")."""

from crm.imports import MAX_LISTED_ERRORS
from crm.services.imports.apply import import_apply, import_fail, import_run, imports_stalled
from crm.services.imports.preview import import_preview
from crm.services.imports.rows import BATCH
from crm.services.imports.undo import import_undo

__all__ = [
    "BATCH",
    "MAX_LISTED_ERRORS",
    "import_apply",
    "import_fail",
    "import_preview",
    "import_run",
    "import_undo",
    "imports_stalled",
]
