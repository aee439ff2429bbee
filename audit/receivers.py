"""The framework's own events, audited: logons, logoffs, failed logons, password and MFA changes.
Domain changes are recorded by the services that make them; admin actions by the middleware."""

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import record


@receiver(auth_signals.user_logged_in, dispatch_uid="audit.logged_in")
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.login", actor=user, obj=user)


@receiver(auth_signals.user_logged_out, dispatch_uid="audit.logged_out")
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action="auth.logout", actor=user, obj=user)


@receiver(auth_signals.user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the login name is kept; the password never reaches the log.
    login = str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "")
    record(action="auth.login_failed", actor_label=login, outcome=AuditEvent.Outcome.FAILURE)


@receiver(account_signals.password_changed, dispatch_uid="audit.password_changed")
@receiver(account_signals.password_set, dispatch_uid="audit.password_set")
def password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.password_changed", actor=user, obj=user)


@receiver(account_signals.password_reset, dispatch_uid="audit.password_reset")
def password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.password_reset", actor=user, obj=user)


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit.mfa_added")
def mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(action="auth.mfa_added", actor=user, obj=user, type=authenticator.type)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit.mfa_removed")
def mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(action="auth.mfa_removed", actor=user, obj=user, type=authenticator.type)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit.mfa_reset")
def mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(action="auth.mfa_reset", actor=user, obj=user, type=authenticator.type)


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit.mfa_failed")
def mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.mfa_failed", actor=user, obj=user, outcome=AuditEvent.Outcome.FAILURE)
