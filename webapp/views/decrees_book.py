"""The decree book (llibre de resolucions): the numbered decrees of a year, and its PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.clock import local_date, utcnow
from engine.base.i18n import _, _l
from engine.decrees.book import annul_decree, book, export_year_pdf, may_annul
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.inputs import YEAR_MAX, YEAR_MIN, int_arg, search_text
from webapp.navigation import NavItem

bp = Blueprint("decrees_book", __name__)

BOOK_ROLES = ("secretari", "alcalde", "tramitador", "admin")
NAV = [NavItem("decrees_book.index", _l("Decree book"), roles=BOOK_ROLES, order=40, menu="tools")]


def _year(raw: str | None) -> int:
    year = int_arg(raw, field="year", default=local_date(utcnow()).year,
                   low=YEAR_MIN, high=YEAR_MAX)
    assert year is not None
    return year


@bp.get("/decrees/book")
@roles_required(*BOOK_ROLES)
def index() -> Any:
    return _book_page(_year(request.args.get("year")))


def _book_page(year: int, errors: dict[str, str] | None = None) -> str:
    """The book of ``year``; after a refused annulment, its reason as typed with the refusal beside it."""
    this_year = local_date(utcnow()).year
    q = search_text(request.args.get("q"))
    decrees = book(g.ctx, year, q)
    return render_template("decrees/book.html", year=year, decrees=decrees, q=q,
                           annullable={d.id for d in decrees if may_annul(g.ctx, d)},
                           years=list(range(this_year, this_year - 10, -1)), errors=errors or {},
                           form=request.form)


@bp.post("/decrees/<int:decree_id>/annul")
@roles_required(*BOOK_ROLES)
def annul(decree_id: int) -> Any:
    try:
        decree = annul_decree(g.ctx, decree_id, request.form.get("reason", ""))
    except REFUSALS as exc:
        unit_of_work.discard()
        errors = field_errors(exc, {"reason": f"reason-{decree_id}"}, "annul")
        return _book_page(_year(request.form.get("year")), errors), exc.status
    flash(_("Decree %(number)s annulled.", number=decree.number), "success")
    return redirect(url_for("decrees_book.index", year=decree.year))


@bp.get("/decrees/book/<int:year>.pdf")
@roles_required(*BOOK_ROLES)
def pdf(year: int) -> Any:
    content = export_year_pdf(g.ctx, year, str(g.ctx.locale or "ca"))
    response = Response(content, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=f"llibre-decrets-{year}.pdf")
    return response
