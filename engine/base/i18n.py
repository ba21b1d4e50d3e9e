"""Translation helpers usable outside a request (CLI, worker): Catalan is the default."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext, ngettext

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "gettext", "lazy_gettext", "ngettext"]
