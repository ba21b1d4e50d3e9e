"""The document templates of a procedure, rendered from the process version they were deployed with.

Templates are written by process designers, so they run in Jinja2's sandbox, autoescaped (they
show what citizens typed), with ``StrictUndefined`` (a blank where a name or an amount should be
is worse than a document that is not made). A template may extend or include others of the same
version (``{% extends "_document.html" %}``): they are looked up in ``version.templates`` only,
never on the filesystem, so a running instance keeps the templates it was started with even
after the files under ``processes/templates`` change.

``decret.ca.html`` names a document with locale variants: rendered in ``es`` it is
``decret.es.html`` when the version has it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale, gettext
from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from engine.base.errors import NotFound
from engine.base.formats import format_amount, format_day, format_moment, format_percent
from engine.base.i18n import _l
from engine.documents.pdf import html_to_pdf
from engine.process.definition.template_locales import (
    DOCUMENT_LOCALES,
    LOCALE_VARIANT,
    document_locale,
    locale_variant,
    variant_locale,
)

if TYPE_CHECKING:
    from engine.process.models import ProcessVersion



@dataclass(frozen=True)
class RenderedTemplate:
    """A filled-in template: the file actually used (the locale variant) and its HTML."""

    name: str
    html: str

    @property
    def stem(self) -> str:
        """The file name without ``.html`` (``decret.es``): the default title, the PDF's name."""
        return self.name.rsplit(".", 1)[0]

    @property
    def pdf_filename(self) -> str:
        return f"{self.stem}.pdf"

    def pdf(self) -> bytes:
        return html_to_pdf(self.html)


def paragraphs(text: object) -> Markup:
    """A long text as typed (a decree's grounds, a report) as HTML paragraphs: a blank line starts
    a new paragraph, a single line break stays a line break; everything else escaped."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n"))]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in block.split("\n")))
        for block in blocks if block
    )


def _environment(templates: Mapping[str, str], locale: str) -> SandboxedEnvironment:
    """The sandbox a template is filled in, its dates, amounts and rates written as ``locale`` writes them."""
    env = SandboxedEnvironment(
        loader=DictLoader(dict(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = lambda value: format_amount(value, locale)
    env.filters["date"] = lambda value: format_day(value, locale, long=True)
    env.filters["moment"] = lambda value: format_moment(value, locale, long=True)
    env.filters["percent"] = lambda fraction, digits=2: format_percent(fraction, locale, digits)
    env.filters["paragraphs"] = paragraphs
    return env


def render_version_template(
    version: ProcessVersion, name: str, locale: str, context: Mapping[str, Any]
) -> RenderedTemplate:
    """Fill in ``name`` of ``version`` (its ``locale`` variant when there is one) with ``context``,
    plus ``locale`` and ``_`` (gettext in that locale). Raises NotFound when the version has no
    such template and jinja2.TemplateError when it cannot be filled in."""
    templates = version.templates or {}
    if name not in templates:
        raise NotFound(_l("The template %(name)s is not part of this procedure.", name=name))
    chosen = locale_variant(templates, name, locale)
    written_in = variant_locale(chosen) or document_locale(locale)
    template = _environment(templates, written_in).get_template(chosen)
    with force_locale(locale):
        html = template.render({**context, "locale": locale, "_": gettext})
    return RenderedTemplate(chosen, html)


__all__ = ["DOCUMENT_LOCALES", "LOCALE_VARIANT", "RenderedTemplate", "locale_variant", "render_version_template"]
