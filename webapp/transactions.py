"""The web edge of the unit of work: every view and API handler runs as one transaction.

Views and the services they call only change the session and flush; this wrapper commits
once when the view returns, rolls back when it raises, and after a lost race (see
:mod:`engine.base.unit_of_work`) runs the whole view again with the same request: uploads
are rewound and the messages flashed by the lost attempt dropped. After too many lost races
the answer is 409 (Conflict) and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, request, session

from engine.base.unit_of_work import run_in_transaction

#: Endpoints that never write (static files).
_SKIP = {"static"}


def transactional(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` as one unit of work (one commit; redone whole after a lost race)."""

    @wraps(view)
    def edge(*args: Any, **kwargs: Any) -> Any:
        flashed = list(session.get("_flashes", [])) if "_flashes" in session else None
        runs = 0

        def attempt() -> Any:
            nonlocal runs
            if runs:
                _restart(flashed)
            runs += 1
            return view(*args, **kwargs)

        return run_in_transaction(attempt)

    return edge


def _restart(flashed: list[Any] | None) -> None:
    """Put the request back as it came in before the view runs again."""
    for upload in request.files.values():
        upload.stream.seek(0)
    if flashed is None:
        session.pop("_flashes", None)
    else:
        session["_flashes"] = list(flashed)


def init_app(app: Flask) -> None:
    """Wrap every registered view (blueprints included): call after registering them."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint not in _SKIP and not endpoint.endswith(".static"):
            app.view_functions[endpoint] = transactional(view)
