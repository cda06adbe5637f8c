from __future__ import annotations

import logging
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Django's checks, with a model's CheckConstraints asked of the database in one statement.

        Django asks each CheckConstraint on its own: a savepoint, a SELECT of the condition over every field's
        value, its release — ~2.5 ms of Python and three round trips each, 22 ms for a touch's nine (measured in
        `seed_demo`, 2026-12-06), on every issue resolved (its follow-up) and every full_clean of these models. Here
        the field values are bound once and every condition is a column of one SELECT; the messages and codes are
        Django's (`tests/crm/test_check_constraints.py` compares both ways). The other constraints (unique ones)
        are validated by Django as before."""
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        checks = []
        for model_class, model_constraints in self.get_constraints():
            for constraint in model_constraints:
                if isinstance(constraint, models.CheckConstraint):
                    condition = constraint.condition
                    if not (exclude and constraint._expression_refs_exclude(model_class, condition, exclude)):
                        checks.append(constraint)
                    continue
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        for constraint in self._failed_checks(checks, exclude, using):
            error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _failed_checks(self, checks, exclude, using) -> list[models.CheckConstraint]:
        """The CheckConstraints whose condition is false for this row's values (NULL passes, as in the database),
        in one SELECT — the way `Q.check` asks one, each condition a column. A database error passes them all, as
        `Q.check` does: the INSERT or UPDATE then meets the database's own constraints."""
        if not checks:
            return []
        query = Query(None)
        for name, value in self._get_field_expression_map(meta=self._meta, exclude=exclude).items():
            query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
        for number, constraint in enumerate(checks):
            query.add_annotation(
                Coalesce(Q(constraint.condition), True, output_field=BooleanField()), f"_check_{number}"
            )
        connection = connections[using]
        try:
            with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
                row = query.get_compiler(using=using).execute_sql(SINGLE)
        except DatabaseError as error:
            logger.warning("Got a database error checking %s: %s", [check.name for check in checks], error)
            return []
        return [constraint for constraint, holds in zip(checks, row, strict=True) if not holds]
