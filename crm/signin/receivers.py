"""A password change revokes the user's API token, whichever way it was changed.

The form, the admin (including "disable password-based authentication"), ``changepassword``,
``create_staff`` and any code that saves a user all go through the model's save: the stored hash is
compared with the one being saved. (A re-hash on login after a hasher upgrade counts as a change too:
the API client logs in again once.) A bulk ``QuerySet.update(password=...)`` is not seen: nothing in
Rapport does one."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save


def connect() -> None:
    """Called once from CrmConfig.ready()."""
    pre_save.connect(
        revoke_tokens_on_password_change,
        sender=get_user_model(),
        dispatch_uid="crm.signin.revoke_tokens_on_password_change",
    )


def revoke_tokens_on_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. last_login, saved at every login
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        from crm.services.signin import token_revoke

        token_revoke(user=instance)
