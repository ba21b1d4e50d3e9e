"""The language of a page and how it writes dates.

The language: the person's choice (the menu; staff get theirs at login), then, on a municipality's
public pages (e-office, transparency portal, notice board), its default language (a citizen may read
Spanish with an English browser), and on staff pages the browser's, then Catalan. Dates and file sizes go
through :mod:`engine.base.formats` with the page's locale: ``{{ moment_value|moment }}``, ``{{ day_value|day }}``,
``{{ doc.size|filesize }}``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale, get_translations, refresh
from jinja2 import pass_context
from markupsafe import Markup

from engine.app import LANGUAGES
from engine.audit.labels import action_label
from engine.base.catalan import elide, in_catalan
from engine.base.form_labels import form_text
from engine.base.formats import format_day, format_moment, format_month, format_size
from engine.base.settings import current_settings
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import awaited_label, label_for, task_label
from engine.tenancy.languages import default_locale_of
from engine.tenancy.models import role_label

#: The language of a page when nothing else decides it.
FALLBACK_LOCALE = "ca"
#: The citizens' pages, which speak the municipality's default language whatever the browser prefers.
PUBLIC_PAGES = ("/seu/", "/transparencia/", "/tauler/")


def select_locale() -> str:
    if not has_request_context():
        return current_settings().default_locale  # CLI, worker
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    if request.path.startswith(PUBLIC_PAGES):
        code = (request.view_args or {}).get("tenant_code")
        return (default_locale_of(code) if code else None) or FALLBACK_LOCALE
    return request.accept_languages.best_match(LANGUAGES) or FALLBACK_LOCALE


def _locale() -> str:
    return str(get_locale() or FALLBACK_LOCALE)


def moment_filter(value: datetime | None, seconds: bool = False) -> str:
    """``{{ entry.presented_at|moment }}``: "3 Dec 2026, 07:59" in the page's language."""
    return format_moment(value, _locale(), seconds=seconds)


def day_filter(value: date | datetime | None, long: bool = False) -> str:
    """``{{ edict.starts_on|day }}``: "3 Dec 2026" (long: "3 December 2026") in the page's language."""
    return format_day(value, _locale(), long=long)


def month_filter(value: date) -> str:
    """``{{ row.month|month }}``: "Jan 2026", "gen. 2026" in the page's language."""
    return format_month(value, _locale())


def filesize_filter(size: int) -> str:
    """``{{ doc.size|filesize }}``: "36,3 kB" (ca, es), "36.3 kB" (en): a file's size in the page's language."""
    return format_size(size, _locale())


def page_translations() -> Any:
    """The page's catalogue, looked up once per request and language. Flask-Babel's own lookup
    walks the app, the domain and the locale again for each of the fifty-odd strings of a page;
    the locale object changes when the language is chosen afresh, and so does the catalogue."""
    locale = get_locale()
    found = g.get("gee_translations")
    if found is None or found[0] is not locale:
        found = g.gee_translations = (locale, get_translations())
    return found[1]


def _interpolated(context: Any, message: str, variables: dict[str, Any]) -> str:
    """``message`` filled in as Jinja's newstyle gettext does (escaped on an autoescaped page), elided first."""
    if variables and in_catalan():
        message = elide(message, variables)
    # the catalogue's own text is trusted markup, as Jinja's gettext treats it; the values are escaped by %
    text = Markup(message) if context.eval_ctx.autoescape else message  # noqa: S704
    return text % variables


@pass_context
def _page_gettext(context: Any, string: str, **variables: Any) -> str:
    return _interpolated(context, page_translations().ugettext(string), variables)


@pass_context
def _page_ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _interpolated(context, page_translations().ungettext(singular, plural, num), variables)


def init_app(app: Flask) -> None:
    app.extensions["babel"].locale_selector = select_locale
    # Flask-Babel caches the locale on ``g``, which an app context shared by several requests
    # (CLI, tests) would carry from one request to the next: choose afresh for each request.
    app.before_request(refresh)
    app.teardown_request(lambda _exc: refresh())
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # As Jinja's own newstyle callables, with Catalan's elision before the interpolation (engine.base.catalan).
    app.jinja_env.globals.update(gettext=_page_gettext, ngettext=_page_ngettext)
    app.jinja_env.filters["moment"] = moment_filter
    app.jinja_env.filters["day"] = day_filter
    app.jinja_env.filters["month"] = month_filter
    app.jinja_env.filters["filesize"] = filesize_filter
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["audit_action_label"] = action_label
    app.jinja_env.globals["task_label"] = lambda task: task_label(task, str(get_locale()))
    app.jinja_env.globals["awaited_label"] = lambda awaited: awaited_label(awaited, str(get_locale()))
    app.jinja_env.globals["element_label"] = lambda version, element_id: label_for(
        version, element_id, str(get_locale())
    )
    app.jinja_env.globals["form_text"] = lambda schema, part: form_text(schema, part, str(get_locale()))
    app.jinja_env.globals["procedure_label"] = lambda model: procedure_label(model.key, model.name, str(get_locale()))
    # A filter drop-down's choices: (the model's ``by`` attribute, its name in the reader's language).
    app.jinja_env.globals["procedure_choices"] = lambda models, by="id": [
        (getattr(model, by), procedure_label(model.key, model.name, str(get_locale()))) for model in models
    ]
