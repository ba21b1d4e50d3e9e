"""A form post that runs one service: a refusal is flashed and nothing is kept, success is flashed too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from engine.base import unit_of_work
from engine.base.errors import Conflict, ValidationFailed


def act(work: Callable[[], Any], done: str, back: str) -> Any:
    """Run ``work``; show ``done`` or the refusal, then go ``back``."""
    try:
        work()
    except (ValidationFailed, Conflict) as exc:
        unit_of_work.discard()
        flash(str(exc), "danger")
        return redirect(back)
    flash(done, "success")
    return redirect(back)
