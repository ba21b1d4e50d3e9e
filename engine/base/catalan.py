"""Catalan elision of interpolated names: "de %(name)s" reads "d'Ajuntament de Sant Demo", "d'Instància
genèrica", never "de Ajuntament" (the preposition *de* drops its vowel before a word that starts with a vowel
or an h and a vowel). Only the catalogue's own ``de %(…)s`` is touched, and only for a text value: a number
(``de %(n)s``) or a word starting with a semivowel (*iogurt*, *hiena*, *ua*…) is left as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from flask_babel import Babel, Domain, get_locale

#: ``de `` before a named placeholder, as a whole word.
_DE_PLACEHOLDER = re.compile(r"\b([Dd])e %\((\w+)\)s")
#: A vowel sound at the start: a vowel, or a mute h and a vowel; not i/u followed by a vowel (a semivowel).
_VOWEL_START = re.compile(r"^(?:h?[aeoàèéíïòóúü]|h?[iu](?![aeiouàèéíòóú]))", re.IGNORECASE)


def elide(message: str, variables: Mapping[str, Any]) -> str:
    """``message`` (a Catalan catalogue text) with ``de %(x)s`` written ``d'%(x)s`` where ``x`` starts with a
    vowel sound."""

    def one(match: re.Match[str]) -> str:
        value = variables.get(match.group(2))
        if isinstance(value, str) and _VOWEL_START.match(value.strip()):
            return f"{match.group(1)}'%({match.group(2)})s"
        return match.group(0)

    return _DE_PLACEHOLDER.sub(one, message)


def in_catalan() -> bool:
    """Whether the current language is Catalan."""
    locale = get_locale()
    return locale is not None and locale.language == "ca"


class ElidingDomain(Domain):
    """The app's message domain: as Flask-Babel's, with Catalan's elision applied before interpolation."""

    def gettext(self, string: str, **variables: Any) -> str:
        if not variables or not in_catalan():
            return str(super().gettext(string, **variables))
        return elide(self.get_translations().ugettext(string), variables) % variables

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        if not in_catalan():
            return str(super().ngettext(singular, plural, num, **variables))
        variables.setdefault("num", num)
        return elide(self.get_translations().ungettext(singular, plural, num), variables) % variables


class ElidingBabel(Babel):
    """Flask-Babel with :class:`ElidingDomain` as the app's domain."""

    @cached_property
    def domain_instance(self) -> Domain:
        return ElidingDomain(domain=self.domain)
