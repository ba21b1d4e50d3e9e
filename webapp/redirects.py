"""Where a ``next`` parameter may send the browser: only back to a path on this site."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def _has_unsafe_chars(text: str) -> bool:
    # Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    # "/\t/evil.example" and "/\\evil.example" would both leave the site.
    return any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in text)


def is_safe_next(target: str | None) -> bool:
    """True for a same-site relative path such as ``/expedients?page=2``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if _has_unsafe_chars(target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    # Percent-encoded forms ("/%2F/evil", "/%5Cevil", "/%09/evil"), however often encoded.
    path = parts.path
    for _round in range(3):
        decoded = unquote(path)
        if decoded.startswith("//") or _has_unsafe_chars(decoded):
            return False
        if decoded == path:
            break
        path = decoded
    return True


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a same-site path, else ``default``."""
    return target if target is not None and is_safe_next(target) else default
