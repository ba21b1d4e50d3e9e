"""Personal API tokens: a user's key to the JSON API, bound to one tenant.

Only the SHA-256 of the secret is stored: the secret is shown once, when the token is
created, and cannot be recovered later (a lost token is revoked and replaced). A token acts
with the roles its user holds in its tenant *now*: revoking a role limits the token too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Executable, ForeignKey, Integer, String, and_, bindparam, null, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.audit import record
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Forbidden, NotFound
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.tenancy.models import Membership, User
from engine.tenancy.scoping import get_owned, scoped

#: Secrets look like ``gee_<43 url-safe characters>``: recognisable in logs and secret scanners.
PREFIX = "gee_"
NAME_MAX = 100
#: ``last_used_at`` is written at most this often, so reading the API does not write on every call.
TOUCH_EVERY = timedelta(minutes=1)


class ApiToken(db.Model):  # type: ignore[name-defined]
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    #: SHA-256 (hex) of the secret; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the secret, so its owner can tell tokens apart.
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def summary(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "hint": self.hint, "user_id": self.user_id,
                "revoked": self.revoked_at is not None}  # fmt: skip


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    #: Shown to the user once; only its digest is kept.
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(ctx: Context, name: str) -> NewToken:
    """A new token of the acting user for the context's tenant (the caller commits)."""
    if ctx.user_id is None or not ctx.roles:
        raise Forbidden(_l("You have no role in this organisation."))
    clean = clean_text(name, NAME_MAX, "name", required=True,
                       required_message=_l("Give the token a name, e.g. the program that will use it."))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=ctx.user_id, tenant_id=ctx.tenant_id, name=clean, token_hash=digest(secret),
                     hint=secret[: len(PREFIX) + 4])  # fmt: skip
    db.session.add(token)
    db.session.flush()
    record(ctx, "api_token.created", "api_token", token.id, after=token.summary())
    return NewToken(token, secret)


def list_tokens(ctx: Context) -> list[ApiToken]:
    """The acting user's tokens in this tenant, newest first (revoked ones too)."""
    stmt = scoped(ApiToken, ctx).where(ApiToken.user_id == ctx.user_id).order_by(ApiToken.id.desc())
    return list(db.session.execute(stmt).scalars())


def revoke_token(ctx: Context, token_id: object) -> ApiToken:
    """Revoke one of the acting user's tokens (idempotent); anyone else's is not found."""
    token = get_owned(ApiToken, ctx, token_id)
    if token.user_id != ctx.user_id:
        raise NotFound(_l("Not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(ctx, "api_token.revoked", "api_token", token.id, before={"revoked": False}, after=token.summary())
    return token


@cache
def _identity_query(also: Callable[[Any], ColumnElement[Any]] | None) -> Executable:
    """The query of :func:`context_for_secret`, built once per ``also``: every API request runs
    it, and building it (and its cache key) cost about as much CPU as running it. Only the columns
    a Context needs: no token or user entity to build for the session."""
    extra = also(ApiToken.tenant_id) if also is not None else null()
    return (
        select(ApiToken.id, ApiToken.tenant_id, ApiToken.user_id, ApiToken.revoked_at, ApiToken.last_used_at,
               User.username, User.active, User.locale, User.platform_admin, Membership.role, extra)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.tenant_id == ApiToken.tenant_id))
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )  # fmt: skip


_tokens = ApiToken.__table__
_STAMP = _tokens.update().where(_tokens.c.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def context_for_secret(
    secret: str | None,
    locale: str | None = None,
    also: Callable[[Any], ColumnElement[Any]] | None = None,
) -> tuple[Context, Any] | None:
    """The Context a bearer secret acts as, or None when it is unknown, revoked, or its user
    is inactive or no longer holds a role in the token's tenant. With it, the value of the column
    ``also`` builds from the token's tenant id (a fact about the tenant other features want
    to know; None without ``also``).

    One query reads the token, its user, the user's roles in the token's tenant (and ``also``). The token's
    ``last_used_at`` is stamped at most once every :data:`TOUCH_EVERY`, in the caller's unit of work
    (committed with whatever the request writes, never alone)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    rows = db.session.execute(_identity_query(also), {"token_hash": digest(secret)}).all()
    if not rows:
        return None
    token = rows[0]
    roles = frozenset(row.role for row in rows if row.role is not None)
    if token.revoked_at is not None or not token.active or not roles:
        return None
    now = utcnow()
    last = as_utc(token.last_used_at)
    if last is None or now - last >= TOUCH_EVERY:
        db.session.execute(_STAMP, {"token_id": token.id, "now": now})
    ctx = Context(tenant_id=token.tenant_id, user_id=token.user_id, username=token.username, roles=roles,
                  locale=locale or token.locale, platform_admin=token.platform_admin)  # fmt: skip
    return ctx, token[-1]
