"""Informational e-mail (alerts of new notifications, overdue tasks).

E-mail never carries legal effect (Ley 39/2015 art. 41.6: the alert is informational); the
notification itself lives in :mod:`engine.notifications.notifications`. Settings come from the
environment (README "Configuration"): ``GEE_SMTP_HOST`` (unset: no e-mail is sent, the alert
is only logged), ``GEE_SMTP_PORT`` (25) and ``GEE_SMTP_FROM``. A Flask app may override them
with the config keys of the same names (tests point them at a local SMTP sink).
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from flask import current_app, has_app_context
from flask_babel import force_locale

log = logging.getLogger("gee.mail")

DEFAULT_FROM = "gee@localhost"


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int
    sender: str

    @classmethod
    def current(cls) -> MailSettings:
        def value(name: str) -> str | None:
            if has_app_context() and current_app.config.get(name) not in (None, ""):
                return str(current_app.config[name])
            return os.environ.get(name) or None

        return cls(
            host=value("GEE_SMTP_HOST"),
            port=int(value("GEE_SMTP_PORT") or 25),
            sender=value("GEE_SMTP_FROM") or DEFAULT_FROM,
        )


def send_mail(recipients: Iterable[str], subject: str, body: str) -> bool:
    """Send a plain-text e-mail; False (and a log line) when SMTP is not configured.

    SMTP errors propagate, so a job sending mail is retried with backoff.
    """
    to = sorted({r for r in recipients if r})
    settings = MailSettings.current()
    if not to:
        return False
    if settings.host is None:
        log.info("e-mail not sent (GEE_SMTP_HOST unset): %s -> %s", subject, ", ".join(to))
        return False
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        smtp.send_message(message)
    return True


def send_after_commit(recipients: Iterable[str], subject: str, body: str) -> None:
    """Send once the open unit of work commits; an SMTP failure then is logged, not raised
    (what the unit wrote stays, and whoever needed the e-mail can ask for it again)."""
    from engine.base.unit_of_work import after_commit

    to = list(recipients)

    def send() -> None:
        try:
            send_mail(to, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("e-mail %r to %s not sent: %s", subject, ", ".join(to), exc)

    after_commit(send)


__all__ = ["MailSettings", "send_after_commit", "send_mail"]


class Reader(Protocol):
    """Someone who gets e-mail: an address (maybe none) and the language they chose."""

    email: str | None
    locale: str


def send_mail_in_their_languages(people: Iterable[Reader], compose: Callable[[str], tuple[str, str]]) -> None:
    """One e-mail per language the ``people`` chose: ``compose(locale)`` gives its subject and body,
    and runs with that language active, so its ``_l`` strings come out in it."""
    by_locale: dict[str, list[str]] = {}
    for person in people:
        if person.email:
            by_locale.setdefault(person.locale, []).append(person.email)
    for locale, recipients in sorted(by_locale.items()):
        with force_locale(locale):
            subject, body = compose(locale)
            send_mail(recipients, subject, body)
