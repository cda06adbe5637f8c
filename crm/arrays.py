"""`field__any=values`: a field equal to one of many values, the values sent as one array on PostgreSQL
(`= ANY(%s)`), as IN elsewhere (SQLite, which the test suite also runs on).

An import matches and rewrites 1,000 rows per batch: with IN, Django prepares a placeholder per value and psycopg
splits a statement of ~1,000 placeholders in Python, a few milliseconds each: a sixth of an apply's CPU in a
profile (docs/benchmarks.md "Guest-list import"); one array is one parameter. Registered on every field in
CrmConfig.ready()."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = list(dict.fromkeys(field.get_db_prep_value(value, connection) for value in self.rhs))
        values = [value for value in values if value is not None]
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
