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
        value, its release — ~2.5 ms of Python and three round trips each, 14 ms for a touch's nine (2026-12-06),
        on every issue resolved (its follow-up) and every full_clean of these models. Here the field values are
        bound once and every condition is a column of one SELECT (one per model class: a proxy or a child binds its
        constraints' own model's fields, as Django does); the errors are Django's, in Django's order
        (`tests/crm/test_check_constraints.py` compares both ways). Unique constraints, and a CheckConstraint
        subclass with a validate() of its own, are validated by Django as before; so is every check of a SELECT
        that fails in the database (a division by zero), each then asked alone."""
        using = router.db_for_write(self.__class__, instance=self)
        constraints = self.get_constraints()
        failed = set()  # the failing checks' ids (a constraint defines __eq__, not __hash__)
        for model_class, model_constraints in constraints:
            checks = [
                constraint
                for constraint in model_constraints
                if _asked_together(constraint)
                and not (exclude and constraint._expression_refs_exclude(model_class, constraint.condition, exclude))
            ]
            failed.update(id(constraint) for constraint in self._failed_checks(model_class, checks, exclude, using))
        errors = {}
        for model_class, model_constraints in constraints:
            for constraint in model_constraints:
                try:
                    if not _asked_together(constraint):
                        constraint.validate(model_class, self, exclude=exclude, using=using)
                    elif id(constraint) in failed:
                        raise ValidationError(
                            constraint.get_violation_error_message(), code=constraint.violation_error_code
                        )
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _failed_checks(self, model_class, checks, exclude, using) -> list[models.CheckConstraint]:
        """The CheckConstraints whose condition is false for this row's values (NULL passes, as in the database):
        one SELECT, or, when the database refuses it, each check asked alone, Django's way (a database error
        there passes the check, as in Django)."""
        if not checks:
            return []
        try:
            return self._failed_in_one_select(model_class, checks, exclude, using)
        except DatabaseError as error:
            logger.info("Checking %s together failed (%s): each alone", [check.name for check in checks], error)
        failed = []
        for constraint in checks:
            try:
                constraint.validate(model_class, self, exclude=exclude, using=using)
            except ValidationError:
                failed.append(constraint)
        return failed

    def _failed_in_one_select(self, model_class, checks, exclude, using) -> list[models.CheckConstraint]:
        """The way `Q.check` asks one condition, with every condition a column (in a savepoint inside a
        transaction, so that an error leaves it usable)."""
        query = Query(None)
        for name, value in self._get_field_expression_map(meta=model_class._meta, exclude=exclude).items():
            query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
        for number, constraint in enumerate(checks):
            query.add_annotation(
                Coalesce(Q(constraint.condition), True, output_field=BooleanField()), f"_check_{number}"
            )
        with transaction.atomic(using=using) if connections[using].in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
        return [constraint for constraint, holds in zip(checks, row, strict=True) if not holds]


def _asked_together(constraint) -> bool:
    """A CheckConstraint validated Django's way (not a subclass with a validate() of its own)."""
    return type(constraint).validate is models.CheckConstraint.validate
