"""The public verification page (/verify): anyone with a CSV sees the document's metadata, can
download it and learns whether it is intact (Ley 40/2015 art. 42.b). No login; lookups are
rate-limited per client address so codes cannot be enumerated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from redis import Redis

from engine.base.errors import Conflict, NotFound
from engine.base.i18n import _l
from engine.base.settings import current_settings
from engine.documents.documents import Document, read_content, tipo_label, verify_by_csv
from engine.documents.signature_check import PdfVerification, has_signatures, verify_pdf
from engine.documents.verification_codes import regulation_label

bp = Blueprint("verify", __name__)

#: Lookups allowed per client address and minute.
LOOKUPS_PER_MINUTE = 20
WINDOW_SECONDS = 60


class FixedWindowLimiter:
    """Count hits per key and minute: in Redis when REDIS_URL is set (shared by every web
    process), else in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def hit(self, key: str, limit: int) -> bool:
        """Count one hit; False when ``key`` is over ``limit`` in the current window."""
        window = int(self.clock()) // WINDOW_SECONDS
        redis_url = current_settings().redis_url
        if redis_url:
            client = Redis.from_url(redis_url)
            name = f"gee:ratelimit:{key}:{window}"
            count = int(client.incr(name))
            if count == 1:
                client.expire(name, WINDOW_SECONDS * 2)
            return count <= limit
        with self._lock:
            for old in [k for k in self._counts if k[1] < window]:
                del self._counts[old]
            self._counts[(key, window)] = self._counts.get((key, window), 0) + 1
            return self._counts[(key, window)] <= limit

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


limiter = FixedWindowLimiter()


def _limited() -> None:
    if not limiter.hit(f"verify:{request.remote_addr or '-'}", LOOKUPS_PER_MINUTE):
        abort(429)


@bp.get("/verify")
def page() -> Any:
    code = (request.args.get("csv") or "").strip()
    if not code:
        return render_template("verify/page.html", code="", found=None, signatures=None)
    _limited()
    try:
        found = verify_by_csv(code)
    except NotFound:
        return render_template("verify/page.html", code=code, found=None, signatures=None, missing=True), 404
    signatures, csv_only = _signatures(found.document) if found.intact else (None, False)
    return render_template("verify/page.html", code=code, found=found, signatures=signatures, csv_only=csv_only,
                           tipo=tipo_label(found.document.tipo_documental),
                           regulation=regulation_label(found.regulation))


def _signatures(document: Document) -> tuple[PdfVerification | None, bool]:
    """The check of an intact PDF's signatures, and whether it is a PDF that carries none: such a
    document (a registry receipt, a letter issued with its CSV only) is authenticated by its code
    (art. 27.3.c Ley 39/2015, art. 42.b Ley 40/2015), not an invalid signed one."""
    if document.content_type != "application/pdf":
        return None, False
    from engine.base.context import Context

    content = read_content(Context.system(document.tenant_id, "public verification"), document.id)[1]
    if not has_signatures(content):
        return None, True
    return verify_pdf(content), False


@bp.get("/verify/download")
def download() -> Any:
    _limited()
    found = verify_by_csv(request.args.get("csv") or "")
    if not found.intact:
        raise Conflict(_l("Warning: the stored document no longer matches what was issued."))
    from engine.base.context import Context

    _, content = read_content(Context.system(found.document.tenant_id, "public verification"), found.document.id)
    response = Response(content, mimetype=found.document.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=found.document.file_name)
    return response
