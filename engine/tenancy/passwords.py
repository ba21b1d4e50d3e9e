"""Password hashing with argon2 (argon2-cffi defaults follow RFC 9106 recommendations), and
the rule a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(new: str, repeated: str) -> None:
    """A new password typed twice: long enough, and the same both times."""
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="new_password"
        )
    if new != repeated:
        raise ValidationFailed(_l("The two new passwords are not the same."), field="repeat_password")
