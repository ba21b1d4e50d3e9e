"""Catalan dates use the straight apostrophe of the app's own texts ("d'esmena"), not CLDR's typographic one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine.base.formats import format_day, format_moment, format_month


def test_catalan_dates_write_the_straight_apostrophe():
    assert format_day(date(2027, 4, 26), "ca") == "26 d'abr. del 2027"
    assert format_day(date(2027, 8, 1), "ca", long=True) == "1 d'agost del 2027"
    assert format_day("2027-10-05", "ca", long=True) == "5 d'octubre del 2027"
    assert format_moment(datetime(2027, 4, 26, 8, 30, tzinfo=UTC), "ca") == "26 d'abr. del 2027, 10:30"
    every_month = [format_day(date(2027, m, 1), "ca", long=long) for m in range(1, 13) for long in (False, True)]
    every_month += [format_month(date(2027, m, 1), "ca") for m in range(1, 13)]
    assert not any("\u2019" in text for text in every_month)


def test_other_languages_are_unchanged():
    assert format_day(date(2027, 4, 26), "es") == "26 abr 2027"
    assert format_day(date(2027, 4, 26), "en", long=True) == "April 26, 2027"


def test_a_page_shows_the_date_with_the_straight_apostrophe(app):
    from html import unescape

    from flask import render_template_string

    with app.test_request_context():
        assert unescape(render_template_string("{{ when|day }}", when=date(2027, 4, 26))) == "26 d'abr. del 2027"
