"""The citizen's session: separate keys from the staff session (``user_id``/``tenant_id``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from engine.citizens.identity import CitizenIdentity

CITIZEN_KEY = "seu_citizen"
NEXT_KEY = "seu_next"
F = TypeVar("F", bound=Callable[..., Any])


def current_citizen() -> CitizenIdentity | None:
    data = session.get(CITIZEN_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return CitizenIdentity.from_dict(data)
    except (KeyError, TypeError):
        session.pop(CITIZEN_KEY, None)
        return None


def log_in(citizen: CitizenIdentity) -> None:
    session[CITIZEN_KEY] = citizen.to_dict()


def log_out() -> None:
    session.pop(CITIZEN_KEY, None)
    session.pop(NEXT_KEY, None)


def citizen_required(view: F) -> F:
    """The citizen must be identified; otherwise they go to the identity provider and back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        citizen = current_citizen()
        if citizen is None:
            return redirect(url_for("seu.login", tenant_code=kwargs.get("tenant_code"), next=request.full_path))
        g.citizen = citizen
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
