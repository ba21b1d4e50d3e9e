"""Password login with a lock-out that holds under parallel requests.

Every attempt first takes its number with one atomic ``UPDATE … RETURNING``; only the first
``login_max_failures`` attempts since the last success (or lock expiry) get their password
checked, so a burst of parallel guesses cannot test more passwords than the limit allows.
The attempt's row stays locked until the login's unit of work commits (a refused login is a
normal answer, so its count is kept), which serialises parallel attempts at one account.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from engine.base.clock import utcnow
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.base.settings import current_settings
from engine.tenancy.models import User
from engine.tenancy.passwords import hash_password, needs_rehash, verify_password

LOCKOUT = timedelta(minutes=5)


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None for any refusal (unknown user,
    wrong password, inactive or locked account) so that callers answer every refusal alike."""
    user = db.session.query(User).filter_by(username=username).one_or_none()
    if user is None or not user.active:
        return None
    user_id = user.id
    now = utcnow()
    limit = current_settings().login_max_failures
    # A lock that has run out starts a fresh count (only one of several parallel attempts resets it).
    db.session.execute(
        update(User)
        .where(User.id == user_id, User.locked_until.is_not(None), User.locked_until <= now)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    attempt = db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).one()
    if attempt.failed_logins > limit or attempt.locked_until is not None:
        _lock(user_id)
        return None
    if not verify_password(user.password_hash, password):
        if attempt.failed_logins >= limit:
            _lock(user_id)
        return None
    # A hash of older parameters is replaced now that the password is known, in the login's own unit of work.
    rehashed = {"password_hash": hash_password(password)} if needs_rehash(user.password_hash) else {}
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=0, locked_until=None, last_login_at=now, **rehashed)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    return user


def _lock(user_id: int) -> None:
    db.session.execute(
        update(User)
        .where(User.id == user_id, User.locked_until.is_(None))
        .values(locked_until=utcnow() + LOCKOUT)
        .execution_options(synchronize_session=False)
    )


def end_sessions(user_id: int) -> None:
    """Every session of this user ends now, on every browser (the caller commits)."""
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session=False)
    )
    user = db.session.get(User, user_id)
    if user is not None:
        db.session.refresh(user, ["session_epoch"])


def change_password(user_id: int, new_password: str) -> None:
    """A new password for this user; their open sessions end (the caller commits)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("Not found."))
    user.password_hash = hash_password(new_password)
    db.session.flush()
    end_sessions(user_id)


def deactivate_user(user_id: int) -> None:
    """The user can no longer log in; their open sessions end (the caller commits)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("Not found."))
    user.active = False
    db.session.flush()
    end_sessions(user_id)
