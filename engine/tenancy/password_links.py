"""One-time links by which a person sets their own password: a new tenant's first
administrator, or a user whose administrator reset their password.

Only the SHA-256 of the secret is stored. A link expires after :data:`VALID_FOR`, works once,
and issuing a new link for a user cancels the older ones still unused.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.base.clock import as_utc, utcnow
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _, _l
from engine.base.mail import send_after_commit
from engine.base.settings import current_settings
from engine.tenancy.login import change_password
from engine.tenancy.models import User
from engine.tenancy.passwords import check_new_password
from engine.tenancy.tokens import digest

VALID_FOR = timedelta(days=3)


class PasswordLink(db.Model):  # type: ignore[name-defined]
    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 (hex) of the secret; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: When it was used, or cancelled by a newer link.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


def issue_password_link(user_id: int) -> str:
    """A new one-time secret for this user (older unused links stop working; the caller commits)."""
    now = utcnow()
    db.session.execute(
        update(PasswordLink).where(PasswordLink.user_id == user_id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    secret = secrets.token_urlsafe(32)
    db.session.add(PasswordLink(user_id=user_id, token_hash=digest(secret), created_at=now,
                                expires_at=now + VALID_FOR))  # fmt: skip
    db.session.flush()
    return secret


def _usable(secret: str) -> PasswordLink | None:
    if not secret or len(secret) > 200:
        return None
    link = db.session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == digest(secret))
    ).scalar_one_or_none()
    if link is None or link.used_at is not None or not link.user.active:
        return None
    expires = as_utc(link.expires_at)
    if expires is None or expires <= utcnow():
        return None
    return link


def user_of_link(secret: str) -> User | None:
    """Whose password this link sets, or None when it is unknown, used, cancelled or expired."""
    link = _usable(secret)
    return link.user if link is not None else None


def set_password_with_link(secret: str, new: str, repeated: str) -> User:
    """Set the password through a link, which then stops working; the user's sessions end."""
    link = _usable(secret)
    if link is None:
        raise ValidationFailed(
            _l("This link has expired or was already used. Ask your administrator for a new one."), field="link"
        )
    check_new_password(new, repeated)
    change_password(link.user_id, new)
    link.used_at = utcnow()
    link.user.failed_logins, link.user.locked_until = 0, None
    db.session.flush()
    return link.user


def password_link_url(secret: str) -> str:
    return f"{current_settings().public_base_url}/password/{secret}"


def mail_password_link(user_id: int, secret: str) -> User:
    """E-mail a reset link to its user once the unit of work commits (when they have an address)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("Not found."))
    if user.email:
        subject = _("GEE: set your password")
        body = _("Hello %(name)s,\n\nYour GEE password was reset. Your user name is %(username)s.\n"
                 "Set a new password through this link (it works once and expires in three days):\n\n%(link)s\n",
                 name=user.full_name, username=user.username, link=password_link_url(secret))
        send_after_commit([user.email], subject, body)
    return user

