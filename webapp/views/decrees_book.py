"""The decree book (llibre de resolucions): the numbered decrees of a year, and its PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.i18n import _l
from engine.decrees.book import book, export_year_pdf
from webapp.auth import roles_required
from webapp.inputs import YEAR_MAX, YEAR_MIN, int_arg
from webapp.navigation import NavItem

bp = Blueprint("decrees_book", __name__)

BOOK_ROLES = ("secretari", "alcalde", "tramitador", "admin")
NAV = [NavItem("decrees_book.index", _l("Decree book"), roles=BOOK_ROLES, order=40, menu="tools")]


def _year() -> int:
    year = int_arg(request.args.get("year"), field="year", default=local_date(utcnow()).year,
                   low=YEAR_MIN, high=YEAR_MAX)
    assert year is not None
    return year


@bp.get("/decrees/book")
@roles_required(*BOOK_ROLES)
def index() -> Any:
    year = _year()
    this_year = local_date(utcnow()).year
    return render_template("decrees/book.html", year=year, decrees=book(g.ctx, year),
                           years=list(range(this_year, this_year - 10, -1)))


@bp.get("/decrees/book/<int:year>.pdf")
@roles_required(*BOOK_ROLES)
def pdf(year: int) -> Any:
    content = export_year_pdf(g.ctx, year, str(g.ctx.locale or "ca"))
    db.session.commit()  # the export is audited
    response = Response(content, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=f"llibre-decrets-{year}.pdf")
    return response
