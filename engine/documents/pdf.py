"""Every PDF GEE renders (registry receipts, the decree book, decrees, ENI indexes): Jinja2 HTML -> WeasyPrint.

Shared templates live in ``engine/documents/templates``; a feature may keep its own beside its module
(:func:`render_pdf_from`). All are autoescaped, since they show what
citizens typed. WeasyPrint is given a URL fetcher that refuses everything: a rendered
document never reaches the network or the filesystem, whatever ends up in the HTML.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from engine.base.clock import MADRID, as_utc

TEMPLATES = Path(__file__).resolve().parent / "templates"


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    """A stored (UTC) moment as the Europe/Madrid wall-clock time a reader expects."""
    moment = as_utc(value)
    return moment.astimezone(MADRID).strftime(fmt) if moment else ""


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["local_time"] = local_time


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"external resources are not loaded: {url}")


def render_html(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document; nothing it names (images, stylesheets) is fetched.

    The same HTML gives the same bytes: the font subsets WeasyPrint embeds would otherwise carry
    the second they were made (fontTools stamps them unless SOURCE_DATE_EPOCH is set, the
    reproducible-builds convention), so a signer re-reading a draft would get other bytes."""
    from weasyprint import HTML  # heavy import, only when a PDF is made

    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf


def render_pdf(template: str, **context: Any) -> bytes:
    """Render a template of ``engine/documents/templates`` to PDF bytes."""
    return html_to_pdf(render_html(template, **context))


def render_pdf_from(directory: Path, template: str, **context: Any) -> bytes:
    """Render ``template`` from ``directory`` (which may extend the records' ``_base.html``)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(directory), FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = local_time
    html = env.get_template(template).render(**context)
    return html_to_pdf(html)
