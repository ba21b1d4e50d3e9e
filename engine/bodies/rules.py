"""The legal rules of a collegiate body's session, as pure functions.

- Convocation (LBRL art. 46.2.b): at least **two working days** before the session, in the
  tenant's calendar. The day of the convocation and the day of the session are not counted
  (Ley 39/2015 art. 30.2: a term starts the day after), so two whole working days lie between.
- Quorum (LBRL art. 46.2.c): one third of the legal number of members, never fewer than three,
  with the president and the secretary (or who stands in for them) present.
- Majorities (LBRL art. 47.1-2): simple (more for than against) by default; absolute (more than
  half the legal number of members voting for) where the law asks for it, and for the urgency of
  an item that is not on the agenda (ROF art. 83; TRLMRLC art. 98.c).
- Ties (LBRL art. 46.2.d): a simple-majority vote that ties is repeated; if the tie persists, the
  president's casting vote (vot de qualitat) decides. An absolute majority is never reached by a tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from engine.calendar import TenantCalendar

#: Working days that must lie between the convocation and the session (LBRL art. 46.2.b).
CONVOCATION_WORKING_DAYS = 2
#: A session never sits with fewer members than this (LBRL art. 46.2.c).
MINIMUM_QUORUM = 3
#: How the president's casting vote can go.
CASTING_VOTES = ("for", "against")


def convened_in_time(calendar: TenantCalendar, convened_on: date, session_on: date) -> bool:
    """Whether a convocation made on ``convened_on`` leaves two whole working days before ``session_on``."""
    return calendar.add_working_days(convened_on, CONVOCATION_WORKING_DAYS) < session_on


def latest_convocation_day(calendar: TenantCalendar, session_on: date) -> date:
    """The last day a session on ``session_on`` can still be convened (for an ordinary or extraordinary one)."""
    day = session_on - timedelta(days=1)
    while not convened_in_time(calendar, day, session_on):
        day -= timedelta(days=1)
    return day


def quorum(legal_members: int) -> int:
    """Members who must be present: one third of the legal number (rounded up), never fewer than three."""
    return max(MINIMUM_QUORUM, -(-legal_members // 3))


@dataclass(frozen=True)
class QuorumCheck:
    required: int
    present: int
    president_present: bool
    secretary_present: bool

    @property
    def constituted(self) -> bool:
        return self.present >= self.required and self.president_present and self.secretary_present


def check_quorum(legal_members: int, present: int, *, president_present: bool, secretary_present: bool) -> QuorumCheck:
    return QuorumCheck(quorum(legal_members), present, president_present, secretary_present)


def absolute_majority(legal_members: int) -> int:
    """Votes for that make more than half the legal number of members (LBRL art. 47.2)."""
    return legal_members // 2 + 1


def passes(majority: str, legal_members: int, votes_for: int, votes_against: int) -> bool:
    """Whether a vote carries: ``simple`` (more for than against) or ``absolute`` (art. 47.2)."""
    if majority == "absolute":
        return votes_for >= absolute_majority(legal_members)
    return votes_for > votes_against


def ties(majority: str, votes_for: int, votes_against: int) -> bool:
    """Whether a vote ends in the tie that art. 46.2.d resolves (a new vote, then the casting vote)."""
    return majority == "simple" and votes_for == votes_against
