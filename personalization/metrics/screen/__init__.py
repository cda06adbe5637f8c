"""What the managers' dashboard shows (issue 14): scope.py (where and when it looks, how figures read), cards.py
(cards and charts), summary.py (the tables of figures, and every table by key), change.py (what to change), rows.py
and cells.py (the rows behind each figure). The screen and the CSV files read the same tables."""

from personalization.metrics.screen.cards import cards, chart_list
from personalization.metrics.screen.rows import ROW_KINDS, rows_table
from personalization.metrics.screen.scope import GRANULARITY_NAMES, Scope, comparison_range, period_name
from personalization.metrics.screen.summary import CHANGE_TABLES, FIGURE_TABLES, dashboard_tables

__all__ = [
    "CHANGE_TABLES",
    "FIGURE_TABLES",
    "GRANULARITY_NAMES",
    "ROW_KINDS",
    "Scope",
    "cards",
    "chart_list",
    "comparison_range",
    "dashboard_tables",
    "period_name",
    "rows_table",
]
