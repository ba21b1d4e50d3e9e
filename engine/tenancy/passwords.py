"""Password hashing with argon2id, and the rule a new password must meet.

argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, t=3, p=4) cost about 0.35 s of
a login on a 2-core host and as much memory per concurrent login. GEE uses OWASP's recommended
minimum for argon2id instead, which OWASP gives as equivalent in strength to the other
configurations it lists; a hash stored with other parameters is replaced at the next login
(:func:`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l

MIN_PASSWORD_LENGTH = 12

#: OWASP Password Storage Cheat Sheet, "Argon2id": "a minimum configuration of 19 MiB of memory, an
#: iteration count of 2, and 1 degree of parallelism"
#: (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash that verified was made with other parameters than today's (so the login replaces it)."""
    return _hasher.check_needs_rehash(password_hash)


def check_new_password(new: str, repeated: str) -> None:
    """A new password typed twice: long enough, and the same both times."""
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="new_password"
        )
    if new != repeated:
        raise ValidationFailed(_l("The two new passwords are not the same."), field="repeat_password")
