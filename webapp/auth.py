"""Who is asking: the logged-in user, the current tenant and the engine Context for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.orm import joinedload

from engine.base.context import Context
from engine.base.db import db
from engine.tenancy.models import Membership, User
from webapp.i18n import select_locale

F = TypeVar("F", bound=Callable[..., Any])


def load_current_user() -> None:
    """Before each request: fill ``g.user`` and ``g.ctx`` from the session."""
    g.user = None
    g.ctx = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    # The memberships and their tenants come with the user: the roles, the tenant switcher and the
    # municipality's branding in the top bar, and the calendar of the inbox, all read them.
    user = db.session.get(User, user_id, options=[joinedload(User.memberships).joinedload(Membership.tenant)])
    if user is None or not user.active or session.get("session_epoch") != user.session_epoch:
        session.clear()
        return
    g.user = user
    tenant_ids = user.tenant_ids()
    tenant_id = session.get("tenant_id")
    if tenant_id not in tenant_ids:
        tenant_id = tenant_ids[0] if tenant_ids else None
        session["tenant_id"] = tenant_id
    if tenant_id is not None:
        g.ctx = Context(
            tenant_id=tenant_id,
            user_id=user.id,
            username=user.username,
            roles=user.roles_in(tenant_id),
            locale=select_locale(),
            platform_admin=user.platform_admin,
        )


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if g.get("ctx") is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """The current user must hold at least one of these roles in the current tenant."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not set(roles) & set(g.ctx.roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
