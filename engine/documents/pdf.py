"""Every PDF GEE renders (registry receipts, the decree book, decrees, ENI indexes): Jinja2 HTML -> WeasyPrint.

Shared templates live in ``engine/documents/templates``; a feature may keep its own beside its module
(:func:`render_pdf_from`). All are autoescaped, since they show what
citizens typed. WeasyPrint is given a URL fetcher that refuses everything: a rendered
document never reaches the network or the filesystem, whatever ends up in the HTML.
Dates are written with the ``moment`` and ``day`` filters in the document's language: pass
``locale=`` (Catalan unless Spanish, :func:`document_locale`).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from engine.base.formats import format_day, format_moment
from engine.process.definition.template_locales import document_locale

TEMPLATES = Path(__file__).resolve().parent / "templates"


def stamp_time(value: datetime, locale: str | None) -> str:
    """The moment printed on a signature or seal stamp, to the second, in the document's language."""
    return format_moment(value, document_locale(locale), seconds=True, long=True)


@pass_context
def _moment(context: Context, value: datetime | None, seconds: bool = False) -> str:
    """``{{ entry.presented_at | moment }}``: Spain's day and time in the document's ``locale``."""
    return format_moment(value, document_locale(context.get("locale")), seconds=seconds, long=True)


@pass_context
def _day(context: Context, value: date | datetime | str | None) -> str:
    """``{{ decree.signed_at | day }}``: the day, month in words, in the document's ``locale``."""
    return format_day(value, document_locale(context.get("locale")), long=True)


def _environment(loader: BaseLoader) -> Environment:
    env = Environment(loader=loader, autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["moment"] = _moment
    env.filters["day"] = _day
    return env


_env = _environment(FileSystemLoader(TEMPLATES))


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
    env = _environment(ChoiceLoader([FileSystemLoader(directory), FileSystemLoader(TEMPLATES)]))
    html = env.get_template(template).render(**context)
    return html_to_pdf(html)
