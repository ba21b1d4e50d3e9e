"""The sections of the transparency portal and the article of Llei 19/2014 each answers to.

Sections filled from GEE's own records are computed (:mod:`engine.transparency.portal`); the
others are documents or links staff publish (:mod:`engine.transparency.publications`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel.speaklater import LazyString

from engine.base.i18n import _l


@dataclass(frozen=True)
class Section:
    key: str
    title: LazyString
    #: The legal source, printed under the section's heading.
    law: str


ORGANISATION = Section("organisation", _l("Organisation"), "Llei 19/2014 art. 9; Ley 19/2013 art. 6")
AGREEMENTS = Section("agreements", _l("Agreements of the collegiate bodies"), "Llei 19/2014 art. 10")
DECREES = Section("decrees", _l("Decree book (extracts)"), "Llei 19/2014 art. 10")
GRANTS = Section("grants", _l("Grants awarded"), "Llei 19/2014 art. 15; Ley 19/2013 art. 8.1.c")
PROCEDURES = Section("procedures", _l("Catalogue of procedures"), "Llei 19/2014 art. 10")
BUDGET = Section("budget", _l("Budget and its execution"), "Llei 19/2014 art. 11; Ley 19/2013 art. 8.1.d")
ORDINANCES = Section("ordinances", _l("Ordinances and regulations"), "Llei 19/2014 art. 10; Ley 19/2013 art. 7")
CONTRACTS = Section("contracts", _l("Contracts"), "Llei 19/2014 art. 13; Ley 19/2013 art. 8.1.a")
SALARIES = Section("salaries", _l("Pay of officers and senior posts"),
                   "Llei 19/2014 art. 11; Ley 19/2013 art. 8.1.f")
OTHER = Section("other", _l("Other information"), "Llei 19/2014 art. 8")

#: Filled from GEE's records, in the order the portal shows them.
FROM_RECORDS = (ORGANISATION, AGREEMENTS, DECREES, GRANTS, PROCEDURES)
#: Filled by staff with documents or links.
UPLOADED = (BUDGET, ORDINANCES, CONTRACTS, SALARIES, OTHER)
ALL = FROM_RECORDS + UPLOADED
BY_KEY = {s.key: s for s in ALL}
