"""A Ple for tests/test_bodies*.py: the test town (tests/procedures_helpers.py) with its mayor as
president, its secretary, and councillors up to the legal number; a licence expedient whose
procedure proposes to the Ple and waits for the agreement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from unittest.mock import patch

from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.bodies import bodies, minutes, sessions
from engine.bodies.models import Body, BodySession
from engine.bodies.proposals import pending_proposals
from engine.bodies.sessions import calendar_of
from engine.process.definition.deploy import deploy_process
from engine.signatures import circuits
from engine.tenancy.models import User
from tests.procedures_helpers import Town, town
from tests.test_signatures_helpers import KEY_PASSWORD

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn" / "proposta_ple.bpmn"
COUNCILLORS = ["Pere Font", "Laia Serra", "Joan Riera", "Núria Pla", "Marc Soler", "Carme Vives", "Oriol Coll",
               "Rosa Bosch", "Jaume Prat", "Mercè Camps"]


def ple_town(legal_members: int = 7) -> tuple[Town, Body]:
    """The town with the proposal procedure deployed and a Ple of ``legal_members`` (mayor included)."""
    t = town("instancia_generica.bpmn")
    result = deploy_process(None, FIXTURE, shared=True, created_by="tests")
    assert result.ok, [str(p) for p in result.problems]
    secretary = t.people["secretari"]
    ple = bodies.create_body(secretary, code="ple", name="Ple de l'Ajuntament", kind="ple",
                             legal_members=legal_members)
    mayor = db.session.get(User, t.people["alcalde"].user_id)
    clerk_of_council = db.session.get(User, secretary.user_id)
    assert mayor is not None and clerk_of_council is not None
    bodies.add_member(secretary, ple.id, name=mayor.full_name, role="president", user_id=mayor.id, group="Grup A")
    bodies.add_member(secretary, ple.id, name=clerk_of_council.full_name, role="secretari",
                      user_id=clerk_of_council.id)
    for n, name in enumerate(COUNCILLORS[: legal_members - 1]):
        bodies.add_member(secretary, ple.id, name=name, role="vocal", group="Grup A" if n % 2 else "Grup B")
    db.session.commit()
    return t, ple


def working_days_ahead(t: Town, n: int, hour: int = 19) -> datetime:
    """``hour`` o'clock (Spain) of the ``n``-th working day after today in the town's calendar."""
    day = calendar_of(t.people["secretari"]).add_working_days(local_date(utcnow()), n)
    return datetime.combine(day, time(hour, 0), tzinfo=MADRID)


def sign_all(signer: Context, password: str = KEY_PASSWORD) -> int:
    """Sign every step waiting in ``signer``'s queue; how many were signed."""
    steps = circuits.pending_for(signer)
    for step in steps:
        circuits.sign(signer, step.id, password)
    db.session.commit()
    return len(steps)


def propose(t: Town, title: str = "Aprovació del projecte d'obres de la piscina", majority: str = "simple") -> int:
    """A licence expedient whose procedure sends a proposal to the Ple; its instance id."""
    expedient_id = t.open_case("Llicència d'obres majors: piscina municipal")
    instance_id = t.start("proposta_ple", expedient_id,
                          {"titol": title, "text": "Es proposa aprovar el projecte.", "majoria": majority})
    db.session.commit()
    return instance_id


def convened_session(t: Town, ple: Body, *, proposals: int = 1) -> BodySession:
    """An ordinary session three working days ahead with the pending proposals, convened and signed."""
    secretary = t.people["secretari"]
    session = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 3),
                                      place="Sala de plens")
    for proposal in pending_proposals(secretary, ple.id):
        sessions.add_proposal(secretary, session.id, proposal.id)
    sessions.convene(secretary, session.id)
    db.session.commit()
    assert sign_all(t.people["alcalde"]) == 1
    return session


@contextmanager
def during(session: BodySession, after: int = 5) -> Iterator[None]:
    """The session's day has come: the sessions' clock reads ``after`` minutes past its start (attendance,
    votes and the closing are recorded from the start on)."""
    moment = as_utc(session.starts_at)
    assert moment is not None
    with patch.object(sessions, "utcnow", lambda: moment + timedelta(minutes=after)):
        yield


def present(session: BodySession, *names: str) -> dict[int, bool]:
    """Attendance by member name: the president and the secretary always, plus ``names``."""
    return {m.id: m.role in ("president", "secretari") or m.name in names for m in session.body.members}


def hold(t: Town, session: BodySession, votes: tuple[int, int, int], *names: str) -> BodySession:
    secretary = t.people["secretari"]
    with during(session):
        sessions.record_attendance(secretary, session.id, present(session, *names), {})
        for item in session.items:
            sessions.vote_item(secretary, session.id, item.id, votes_for=votes[0], against=votes[1],
                               abstentions=votes[2], debate="Sense debat.")
        sessions.close_session(secretary, session.id)
    minutes.draft_minutes(secretary, session.id)
    db.session.commit()
    return session


def approve_minutes(t: Town, second: BodySession, first: BodySession) -> None:
    """``second`` (a draft session) approves the signed minutes of ``first``: convened, signed, voted 4-0-0."""
    secretary = t.people["secretari"]
    item = sessions.add_minutes_approval(secretary, second.id, first.id)
    sessions.convene(secretary, second.id)
    db.session.commit()
    sign_all(t.people["alcalde"])
    with during(second):
        sessions.record_attendance(secretary, second.id, present(second, "Pere Font", "Laia Serra", "Joan Riera"),
                                   {})
        sessions.vote_item(secretary, second.id, item.id, votes_for=4, against=0, abstentions=0)
    db.session.commit()
