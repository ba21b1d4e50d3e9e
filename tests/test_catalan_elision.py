"""Catalan pages elide "de" before a name that starts with a vowel sound ("la versió 1 d'Instància genèrica",
"Calendari d'Ajuntament de…"), as any Catalan reader expects; other names, numbers and languages are untouched."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext, ngettext

from engine.base.catalan import elide


@pytest.mark.parametrize(("name", "expected"), [
    ("Ajuntament de Sant Demo", "Versió 2 d'Ajuntament de Sant Demo"),
    ("Instància genèrica", "Versió 2 d'Instància genèrica"),
    ("Habitatge", "Versió 2 d'Habitatge"),
    ("Urbanisme", "Versió 2 d'Urbanisme"),
    ("Llicència d'obres", "Versió 2 de Llicència d'obres"),
    ("iogurt", "Versió 2 de iogurt"),  # a semivowel: no elision
    ("Hiena", "Versió 2 de Hiena"),
])
def test_de_drops_its_vowel_before_a_vowel_sound(name, expected):
    assert elide("Versió %(n)s de %(name)s", {"n": "2", "name": name}) % {"n": "2", "name": name} == expected


def test_a_number_keeps_de():
    assert elide("Introduïu un múltiple de %(n)s.", {"n": 8}) == "Introduïu un múltiple de %(n)s."


def test_the_app_s_catalan_messages_elide_and_the_others_do_not(app):
    with app.test_request_context():
        with force_locale("ca"):
            said = gettext("Version %(n)s of %(name)s", n=1, name="Instància genèrica")
            assert said == "Versió 1 d'Instància genèrica"
            counted = ngettext("%(num)s allegation received", "%(num)s allegations received", 2)
            assert counted == "2 al·legacions rebudes"
        with force_locale("es"):
            assert gettext("Version %(n)s of %(name)s", n=1, name="Instància genèrica") == (
                "Versión 1 de Instància genèrica")
            assert ngettext("%(num)s allegation received", "%(num)s allegations received", 1) == (
                "1 alegación recibida")


def test_a_catalan_page_elides_and_still_escapes_what_it_interpolates(app):
    """The pages' own gettext (Jinja's, autoescaped): elided in Catalan, the value escaped as before."""
    with app.test_request_context(), force_locale("ca"):
        page = app.jinja_env.from_string('{{ _("Version %(n)s of %(name)s", n=1, name=name) }}')
        assert page.render(name="Instància <b>genèrica</b>") == (
            "Versió 1 d'Instància &lt;b&gt;genèrica&lt;/b&gt;")
        counted = app.jinja_env.from_string(
            '{{ ngettext("%(num)s allegation received", "%(num)s allegations received", 1) }}')
        assert counted.render() == "1 al·legació rebuda"
